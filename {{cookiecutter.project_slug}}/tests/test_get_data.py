"""Tests of the get_data stage: synthetic data and reading a labelled source."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli import UserError
from {{ cookiecutter.package_name }}.get_data import label_rows, make_synthetic, read_source


def test_synthetic_data_is_imbalanced_like_fraud():
    """It makes the asked number of rows and features, with about the asked share of fraud."""
    table = make_synthetic(n_samples=5000, n_features=8, positive_rate=0.03, seed=1)
    assert table.num_rows == 5000
    assert table.num_columns == 9
    share = table.column("is_fraud").to_numpy().mean()
    assert 0.02 < share < 0.05


def test_synthetic_data_is_reproducible():
    """The same seed gives the same table."""
    first = make_synthetic(n_samples=200, n_features=3, positive_rate=0.1, seed=7)
    second = make_synthetic(n_samples=200, n_features=3, positive_rate=0.1, seed=7)
    assert first.equals(second)


def test_label_rows_maps_the_positive_label_to_one():
    """The label column becomes is_fraud, 1 where it held the positive label."""
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "status": ["ok", "fraud", "ok"]})
    table = label_rows(frame, "status", "fraud")
    assert table.column_names == ["amount", "is_fraud"]
    assert table.column("is_fraud").to_pylist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("label_column", "positive_label", "message"),
    [("label", 1, "not a column"), ("status", "chargeback", "never occurs")],
)
def test_label_rows_names_a_wrong_label_setting(label_column, positive_label, message):
    """A label column or positive label that the data lacks is a UserError saying so."""
    frame = pd.DataFrame({"amount": [1.0, 2.0], "status": ["ok", "fraud"]})
    with pytest.raises(UserError, match=message):
        label_rows(frame, label_column, positive_label)


def test_read_source_reads_csv_and_parquet(tmp_path):
    """A CSV and a Parquet file with the same rows read back the same."""
    frame = pd.DataFrame({"amount": [1.5, 2.5], "country": ["NL", None], "label": [0, 1]})
    frame.to_csv(tmp_path / "orders.csv", index=False)
    frame.to_parquet(tmp_path / "orders.parquet")
    from_csv = read_source(str(tmp_path / "orders.csv"))
    from_parquet = read_source(str(tmp_path / "orders.parquet"))
    assert from_csv["amount"].tolist() == from_parquet["amount"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("name", "message"), [("missing.csv", "does not exist"), ("orders.xlsx", "neither CSV")]
)
def test_read_source_refuses_a_bad_source(tmp_path, name, message):
    """A missing file or an unknown format is a UserError naming get_data.source."""
    with pytest.raises(UserError, match=message):
        read_source(str(tmp_path / name))


def test_read_source_sniffs_the_separator(tmp_path):
    """A CSV separated by semicolons or tabs reads into its columns."""
    (tmp_path / "semicolons.csv").write_text("amount;status\n1.5;ok\n2.5;fraud\n")
    (tmp_path / "tabs.csv").write_text("amount\tstatus\n1.5\tok\n")
    assert read_source(str(tmp_path / "semicolons.csv")).columns.tolist() == ["amount", "status"]
    assert read_source(str(tmp_path / "tabs.csv")).columns.tolist() == ["amount", "status"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"amount,status\n", "has a header but no rows"),
        (b"amount,status,amount\n1,ok,2\n", "column name 'amount' more than once"),
        ("name,status\nJos\u00e9,ok\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=["empty", "header-only", "repeated-name", "latin-1"],
)
def test_read_source_refuses_unusable_csv(tmp_path, content, message):
    """An empty, header-only, repeated-column or non-UTF-8 CSV is a UserError saying what to fix."""
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_source(str(path))
