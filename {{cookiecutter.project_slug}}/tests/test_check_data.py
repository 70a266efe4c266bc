"""Tests of check_data: the profile learned from raw data, and today's against the reference."""

import pyarrow as pa
import pytest

from {{ cookiecutter.package_name }} import check_data
from {{ cookiecutter.package_name }}.core import params as p
from {{ cookiecutter.package_name }}.core import profile
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.dataset import write_table

LIMITS = {
    "compare": True,
    "max_missing": 0.9,
    "missing_increase": 0.2,
    "min_rows": 0.5,
    "positive_share": (0.5, 2.0),
    "max_unseen": 0.2,
}


def raw(tmp_path, amount, purpose, label, name="raw.parquet"):
    """A raw.parquet of these columns, the label last."""
    path = tmp_path / name
    table = pa.table({"amount": amount, "purpose": purpose, "repaid": pa.array(label, pa.int8())})
    write_table(table, path)
    return path


@pytest.fixture
def reference(tmp_path):
    """The profile of 1,000 rows: amount always there, purpose car/van, a quarter positive."""
    path = raw(tmp_path, [float(i) for i in range(1000)], ["car", "van"] * 500, [1, 0, 0, 0] * 250)
    return profile.learn(path)


def findings(old, new, unseen=None):
    return [(f.hard, f.column) for f in check_data.compare(old, new, LIMITS, unseen or {})]


def test_the_profile_says_what_each_column_holds(reference):
    assert reference["rows"] == 1000
    assert reference["label"] == {"column": "repaid", "positive_share": 0.25}
    assert reference["columns"]["amount"] == {"kind": "number", "missing": 0.0}
    assert reference["columns"]["purpose"]["kind"] == "text"
    assert reference["columns"]["purpose"]["top"] == {"values": ["car", "van"], "covered": 1.0}


def test_the_same_data_has_no_finding(reference):
    assert findings(reference, reference) == []


def test_a_renamed_column_is_a_hard_finding_and_the_new_name_is_shown(reference, tmp_path):
    today = {**reference, "columns": dict(reference["columns"])}
    today["columns"]["total"] = today["columns"].pop("amount")
    result = check_data.compare(reference, today, LIMITS, {})
    assert [(f.hard, f.column) for f in result] == [(True, "amount"), (False, "total")]
    assert "'total': renamed?" in result[0].text


def test_a_column_of_another_kind_is_hard(reference):
    today = {
        **reference,
        "columns": {**reference["columns"], "amount": {"kind": "text", "missing": 0.0}},
    }
    assert findings(reference, today) == [(True, "amount")]


def test_missing_values_are_soft_until_the_hard_threshold(reference, tmp_path):
    amounts = [None if i % 10 < 6 else float(i) for i in range(1000)]  # 60% missing
    today = profile.learn(
        raw(tmp_path, amounts, ["car", "van"] * 500, [1, 0, 0, 0] * 250, "day2.parquet")
    )
    assert findings(reference, today) == [(False, "amount")]
    today["columns"]["amount"]["missing"] = 0.95
    assert findings(reference, today) == [(True, "amount")]


def test_counts_compare_only_under_the_same_settings(reference):
    today = {**reference, "rows": 100, "label": {"column": "repaid", "positive_share": 0.9}}
    assert findings(
        {**reference, "settings": {"n_samples": 1000}}, {**today, "settings": {"n_samples": 1000}}
    ) == [
        (True, None),
        (True, "repaid"),
    ]
    assert (
        findings(
            {**reference, "settings": {"n_samples": 1000}},
            {**today, "settings": {"n_samples": 100}},
        )
        == []
    )


def test_unseen_text_values_are_soft(reference, tmp_path):
    path = raw(tmp_path, [1.0] * 10, ["car"] * 5 + ["boat"] * 5, [1, 0] * 5, "day2.parquet")
    import pyarrow.parquet as pq

    share = profile.unseen_share(
        pq.read_table(path).column("purpose"), reference["columns"]["purpose"]["top"]["values"]
    )
    assert share == 0.5
    assert findings(reference, reference, {"purpose": share}) == [(False, "purpose")]


def test_new_label_values_are_hard(reference):
    old = {**reference, "label": {**reference["label"], "values": ["no", "yes"]}}
    new = {**reference, "label": {**reference["label"], "values": ["maybe", "no", "yes"]}}
    assert findings(old, new) == [(True, "repaid")]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "positive_share",
            [2.0, 0.5],
            "check_data.positive_share in params.yaml must be two numbers above 0, the lower first",
        ),
        ("max_missing", "lots", "check_data.max_missing"),
        ("compare", "yes", "check_data.compare in params.yaml must be true or false"),
    ],
)
def test_a_bad_threshold_names_its_key(params_file, key, value, message):
    params = p.load(params_file)
    params["check_data"][key] = value
    with pytest.raises(UserError, match=message):
        check_data.settings(params)


def test_the_shipped_thresholds_are_valid(params_file):
    assert check_data.settings(p.load(params_file))["positive_share"] == (0.5, 2.0)


def test_a_refusal_lists_what_stopped_the_run_then_the_rest(reference):
    today = {**reference, "columns": dict(reference["columns"])}
    today["columns"]["total"] = today["columns"].pop("amount")
    findings = check_data.compare(reference, today, LIMITS, {})
    text = check_data.refusal([f for f in findings if f.hard], findings)
    assert text.startswith("# Data refused\n")
    assert (
        text.index("column 'amount' is missing")
        < text.index("Also found:")
        < text.index("column 'total' is new")
    )
