"""Tests of the get_data stage: synthetic data and the label of a source's rows."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.get_data import label_rows
from {{ cookiecutter.package_name }}.synthetic import make_synthetic


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


def test_the_label_keeps_its_name_and_goes_last():
    """The label column keeps the source's name, moves last, 1 where it held the positive label."""
    frame = pd.DataFrame({"repaid": ["no", "yes", "no"], "amount": [1.0, 2.0, 3.0]})
    table = label_rows(frame, "repaid", "yes")
    assert table.column_names == ["amount", "repaid"]
    assert table.column("repaid").to_pylist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("values", "positive", "expected"),
    [
        (["yes", "no", "yes"], "yes", [1, 0, 1]),  # YAML 1.2: an unquoted yes stays text
        ([" yes", "no", "yes "], "yes", [1, 0, 1]),
        ([1, 0, 1], 1, [1, 0, 1]),
        ([1.0, 0.0, 1.0], 1, [1, 0, 1]),
        ([1, 0, 1], "1", [1, 0, 1]),  # quoted in params.yaml, numbers in the file
        (["1", "0", "1"], 1, [1, 0, 1]),  # a number in params.yaml, text in the file
        ([True, False, True], True, [1, 0, 1]),
        ([True, False, True], "True", [1, 0, 1]),
        (["True", "False", "True"], True, [1, 0, 1]),
        (["Y", "N", "Y"], "Y", [1, 0, 1]),
    ],
)
def test_the_positive_label_matches_whatever_yaml_made_of_it(values, positive, expected):
    """1 and "1", yes and "yes", true and "True" are the same label value."""
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0], "label": values})
    assert label_rows(frame, "label", positive).column("label").to_pylist() == expected


@pytest.mark.parametrize(
    ("label_column", "positive_label", "message"),
    [
        ("label", 1, "not a column"),
        (
            "status",
            "chargeback",
            r"never occurs in column 'status' \(its values include 'ok', 'fraud'\)",
        ),
    ],
)
def test_label_rows_names_a_wrong_label_setting(label_column, positive_label, message):
    """A label column or positive label that the data lacks is a UserError saying so."""
    frame = pd.DataFrame({"amount": [1.0, 2.0], "status": ["ok", "fraud"]})
    with pytest.raises(UserError, match=message):
        label_rows(frame, label_column, positive_label)


def test_label_rows_drops_rows_without_a_label(caplog):
    """A row whose label is missing is dropped, not taken as negative, and the warning counts them."""
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0], "label": [0, None, 1, None]})
    table = label_rows(frame, "label", 1)
    assert table.column("amount").to_pylist() == [1.0, 3.0]
    assert table.column("label").to_pylist() == [0, 1]
    assert "dropped 2 of 4 rows whose label" in caplog.text
