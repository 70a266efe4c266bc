"""Tests of params.yaml checking: a wrong value is named with what it must be."""

import pytest

from {{ cookiecutter.package_name }}.core import params as p
from {{ cookiecutter.package_name }}.core.cli import UserError


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


def test_params_are_read_as_dvc_writes_them(tmp_path):
    """YAML 1.2, as DVC reads and writes params.yaml: unquoted yes, no, on and off stay text."""
    path = tmp_path / "params.yaml"
    path.write_text("get_data:\n  positive_label: yes\n  other: [no, on, off, Yes, N, true, 1]\n")
    params = p.load(path)
    assert params["get_data"]["positive_label"] == "yes"
    assert params["get_data"]["other"] == ["no", "on", "off", "Yes", "N", True, 1]


@pytest.mark.parametrize("names", [["legit"], ["same", "same"], "legit,fraud", ["a", ""]])
def test_class_names_must_be_two_different_names(names):
    """evaluate.class_names names the negative and the positive class, two different words."""
    from {{ cookiecutter.package_name }}.core.labels import class_names

    with pytest.raises(
        UserError, match=r"evaluate\.class_names in params\.yaml must be two different names"
    ):
        class_names({"evaluate": {"class_names": names}})
