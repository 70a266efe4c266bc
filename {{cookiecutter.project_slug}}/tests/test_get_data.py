"""Tests of the get_data stage: synthetic data and the label of a source's rows."""

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.cli import UserError
from {{ cookiecutter.package_name }}.get_data import label_rows, make_synthetic


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


def test_label_rows_drops_rows_without_a_label(caplog):
    """A row whose label is missing is dropped, not taken as legit, and the warning counts them."""
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0], "label": [0, None, 1, None]})
    table = label_rows(frame, "label", 1)
    assert table.column("amount").to_pylist() == [1.0, 3.0]
    assert table.column("is_fraud").to_pylist() == [0, 1]
    assert "dropped 2 of 4 rows whose label" in caplog.text
