"""Tests of params.yaml checking: a wrong value is named with what it must be."""

import pytest

from {{ cookiecutter.package_name }} import params as p
from {{ cookiecutter.package_name }}.cli import UserError


def test_the_shipped_params_are_valid(params_file):
    """Every value the stages read from params.yaml passes its check."""
    params = p.load(params_file)
    assert p.positive_int(params, "get_data.n_samples") > 0
    assert 0 < p.fraction(params, "prepare.test_size") < 1
    assert p.choice(params, "train.model", ["xgboost", "random_forest", "logistic_regression"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "has no get_data.n_samples"),
        ({"get_data": {"n_samples": -5}}, "must be a whole number above 0, not -5"),
        ({"get_data": {"n_samples": "many"}}, "must be a whole number above 0"),
        ({"get_data": {"n_samples": True}}, "must be a whole number above 0"),
    ],
)
def test_a_wrong_size_is_named(params, message):
    """A missing, negative, text or yes/no size is refused with the key and the rule."""
    with pytest.raises(UserError, match=message):
        p.positive_int(params, "get_data.n_samples")


def test_a_malformed_file_is_named(tmp_path):
    """Broken YAML is refused with its line number."""
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  model: [xgboost\n")
    with pytest.raises(UserError, match="not valid YAML at line"):
        p.load(path)
