"""Tests of features.py's seam: derived columns reach the prepared sets, and scoring sees them too."""

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import predict, prepare
from {{ cookiecutter.package_name }}.core import derived
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.evaluate import predict as evaluate_predict
from {{ cookiecutter.package_name }}.train import fit

PARAMS = """
base: {seed: 0}
prepare: {split: random, time_column: "", test_size: 0.25, max_categories: 3, time_features: []}
"""


def loans(rows: int = 400) -> pa.Table:
    """Car loans: amount and income, the label `repaid` last (1: repaid)."""
    rng = np.random.default_rng(0)
    income = rng.uniform(20, 100, rows)
    amount = rng.uniform(5, 60, rows)
    repaid = (amount / income + rng.normal(0, 0.1, rows) < 0.5).astype(np.int8)
    return pa.table({"amount": amount, "income": income, "repaid": repaid})


def with_ratio(rows):
    """A derived feature: the loan as a share of the yearly income."""
    rows["loan_to_income"] = rows["amount"] / rows["income"]
    return rows


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project folder with params.yaml and the raw loans, row groups of 50 rows."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text(PARAMS)
    (tmp_path / "data").mkdir()
    pq.write_table(loans(), tmp_path / "data/raw.parquet", row_group_size=50)
    return tmp_path


def test_a_derived_column_reaches_the_prepared_sets(project, monkeypatch):
    """A column added in features.add_features is a feature of both sets, the label still last."""
    monkeypatch.setattr(prepare.features, "add_features", with_ratio)
    prepare.main()
    train = pq.read_table("data/prepared/train.parquet")
    assert train.column_names == ["amount", "income", "loan_to_income", "repaid"]
    raw = pq.read_table("data/raw.parquet")
    rows = np.load("data/prepared/test_rows.npy")
    test = pq.read_table("data/prepared/test.parquet")
    expected = (raw.column("amount").to_numpy() / raw.column("income").to_numpy())[rows]
    np.testing.assert_allclose(test.column("loan_to_income").to_numpy(), expected, rtol=1e-6)


def test_changing_a_raw_column_is_refused(project):
    """A feature function that rewrites a raw column is told to add a new column instead."""

    def rewrite(rows):
        rows["amount"] = rows["amount"] * 2
        return rows

    with pytest.raises(UserError, match="changes the raw column 'amount'"):
        derived.plan(loans(10), "repaid", rewrite)


def test_the_rows_must_come_back(project):
    """A feature function that drops rows is refused in one line."""
    with pytest.raises(UserError, match="must return a DataFrame of the 10 rows"):
        derived.with_derived(loans(10), "repaid", lambda rows: rows.head(3))


def test_a_dropped_column_is_no_feature(project):
    """A column the function drops is planned as dropped, nothing added."""
    plan = derived.plan(loans(10), "repaid", lambda rows: rows.drop(columns=["income"]))
    assert (plan.added, plan.dropped) == ([], ["income"])


def test_predict_scores_raw_rows_as_evaluate_scores_prepared_ones(project, monkeypatch):
    """predict.py on the raw test rows gives the probabilities evaluate gives on the prepared ones."""
    monkeypatch.setattr(prepare.features, "add_features", with_ratio)
    prepare.main()
    train = pq.read_table("data/prepared/train.parquet")
    features = np.column_stack([train.column(i).to_numpy() for i in range(train.num_columns - 1)])
    model = fit("logistic_regression", {"max_iter": 200}, 0, features, train.column(-1).to_numpy())
    joblib.dump(model, "model.joblib")
    raw = pq.read_table("data/raw.parquet").take(np.load("data/prepared/test_rows.npy"))
    pq.write_table(raw, "rows.parquet", row_group_size=30)
    predict.main(
        ["--model", "model.joblib", "--encoding", "data/prepared/encoding.json",
         "--rows", "rows.parquet", "--output", "scores.npy"]
    )  # fmt: skip
    _, expected = evaluate_predict(model, project / "data/prepared/test.parquet")
    np.testing.assert_allclose(np.load("scores.npy"), expected)
