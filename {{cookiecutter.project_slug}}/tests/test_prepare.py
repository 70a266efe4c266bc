"""Tests of the prepare stage: the stratified split and the feature encoding."""

import numpy as np
import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }}.cli import UserError
from {{ cookiecutter.package_name }}.prepare import encode, stratified_split


def test_split_keeps_the_fraud_share_in_both_sets():
    """Each class is split in the asked proportion, and no row is lost or repeated."""
    labels = np.array([1] * 30 + [0] * 970)
    train, test = stratified_split(labels, test_size=0.2, seed=0)
    assert len(test) == 200
    assert labels[test].sum() == 6
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(1000))


def test_split_refuses_a_single_class():
    """Data with one class only cannot train a classifier: a UserError says so."""
    with pytest.raises(UserError, match="both needed"):
        stratified_split(np.zeros(10, dtype=np.int8), test_size=0.2, seed=0)


def test_encode_fills_numbers_and_expands_text():
    """Missing numbers take the training median; text becomes one 0/1 column per value."""
    train = pa.table({
        "amount": [1.0, None, 3.0, 5.0],
        "country": ["NL", "DE", "NL", None],
        "is_fraud": pa.array([0, 1, 0, 0], pa.int8()),
    })  # fmt: skip
    test = pa.table({
        "amount": [None, 2.0],
        "country": ["FR", "DE"],
        "is_fraud": pa.array([1, 0], pa.int8()),
    })  # fmt: skip
    train_out, test_out = encode(train, test, max_categories=20)
    assert train_out.column_names == ["amount", "country=NL", "country=DE", "is_fraud"]
    assert train_out.column("amount").to_pylist() == [1.0, 3.0, 3.0, 5.0]
    assert test_out.column("amount").to_pylist() == [3.0, 2.0]
    assert test_out.column("country=NL").to_pylist() == [0.0, 0.0]
    assert test_out.column("country=DE").to_pylist() == [0.0, 1.0]


def test_encode_drops_a_column_without_values():
    """A column that is empty in the training rows is dropped, not filled with NaN."""
    train = pa.table(
        {"empty": pa.array([None, None], pa.float64()), "x": [1.0, 2.0], "is_fraud": [0, 1]}
    )
    train_out, test_out = encode(train, train, max_categories=5)
    assert train_out.column_names == test_out.column_names == ["x", "is_fraud"]
