"""A new user's own data, end to end: a car-loan CSV whose label is yes/no, set without quotes.

The project is baked as "Car Loans"; its data is a CSV in data/ tracked with `dvc add`, with
a timestamp, text, boolean and number columns and the label `repaid` (yes/no). params.yaml
is edited as a person would, `positive_label: yes` unquoted. It trains, runs an experiment
through `dvc exp run -S` (which rewrites params.yaml as YAML 1.2), applies and commits it,
takes a new day of rows and retrains. Then a branch derives a feature in features.py alone
and drops two raw columns (one an id): the derived column reaches training and evaluation,
the gate still scores main's model with main's feature code, and the project's own tests
pass. Last, days of bad data: the data check refuses them before training, or reports them,
and the fixed data loses nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import bake, run, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("your-data")]

DAY = 1500  # loan applications a day


def loans(rows: int, start: int = 0) -> pd.DataFrame:
    """Car-loan applications, one an hour from 2026-01-01 plus ``start`` hours; repaid yes/no."""
    rng = np.random.default_rng(start)
    income = rng.uniform(20_000, 120_000, rows).round(-2)
    amount = rng.uniform(5_000, 60_000, rows).round(-2)
    first_car = rng.random(rows) < 0.3
    score = 3 - 8 * amount / income - 0.8 * first_car + rng.normal(0, 0.7, rows)
    return pd.DataFrame(
        {
            "loan_id": np.arange(start, start + rows) + 100_000,
            "applied": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(start, start + rows), unit="h"),
            "amount": amount,
            "income": income,
            "purpose": rng.choice(["new car", "used car", "van"], rows),
            "first_car": first_car,
            "repaid": np.where(score > 0, "yes", "no"),
        }
    )


def edit_params(project, **replacements: str) -> None:
    """Change lines of params.yaml as a person would in an editor: ``key: old`` -> ``key: new``."""
    path = project / "params.yaml"
    text = path.read_text()
    for key, value in replacements.items():
        text, count = re.subn(rf"^(\s*{key}:) [^#\n]*?(\s*(#.*)?)$", rf"\1 {value}\2", text, count=1, flags=re.M)
        assert count == 1, key
    path.write_text(text)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Car Loans, its own CSV tracked with DVC, trained once and committed on main."""
    project = bake(tmp_path_factory.mktemp("loans"), project_name="Car Loans")
    assert project.name == "car-loans"
    (project / "data").mkdir()
    loans(DAY).to_csv(project / "data/loans.csv", index=False)
    edit_params(
        project,
        source="data/loans.csv",
        label_column="repaid",
        positive_label="yes",
        class_names="[defaulted, repaid]",
        split="time",
        time_column="applied",
        time_features="[weekday]",
        n_estimators="30",
    )
    assert "positive_label: yes " in (project / "params.yaml").read_text()
    run(project, "dvc", "add", "data/loans.csv")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Our car loans")
    first = run(project, "dvc", "repro")
    assert stages_run(first.stdout) == ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Train on our loans")
    return project


def test_the_label_keeps_its_name_and_no_fraud_word_is_left(project):
    """raw.parquet and the prepared sets keep `repaid` (1 for yes); only the synthetic example
    speaks of fraud; the confusion matrix names the classes from params.yaml."""
    raw = pq.read_table(project / "data/raw.parquet")
    assert raw.column_names[-1] == "repaid"
    assert set(raw.column("repaid").to_pylist()) == {0, 1}
    for name in ("train", "test"):
        assert pq.read_schema(project / f"data/prepared/{name}.parquet").names[-1] == "repaid"
    found = subprocess.run(["grep", "-rliE", "fraud|legit", "src/"], cwd=project, capture_output=True, text=True)
    assert found.stdout.split() == ["src/car_loans/synthetic.py"]
    confusion = json.loads((project / "dvclive/evaluate/plots/custom/confusion_matrix.json").read_text())
    assert {cell["actual"] for cell in confusion} == {"defaulted", "repaid"}


def test_an_applied_experiment_then_new_rows_retrain(project):
    """`dvc exp run -S` rewrites params.yaml (yes unquoted, as YAML 1.2); applied and committed,
    the next day's rows retrain without the label turning into a boolean."""
    run(project, "dvc", "exp", "run", "-S", "train.model=logistic_regression", "--name", "linear")
    run(project, "dvc", "exp", "apply", "linear")
    params = (project / "params.yaml").read_text()
    assert re.search(r"^\s*positive_label: yes\b", params, re.M), params
    assert re.search(r"^\s*model: logistic_regression\b", params, re.M)
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Logistic regression")

    pd.concat([loans(DAY), loans(DAY // 3, start=DAY)]).to_csv(project / "data/loans.csv", index=False)
    run(project, "dvc", "add", "data/loans.csv")
    result = run(project, "dvc", "repro")
    assert stages_run(result.stdout) == ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
    assert pq.ParquetFile(project / "data/raw.parquet").metadata.num_rows == DAY + DAY // 3
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "A new day of loans")


FEATURES = '''"""Derived features."""


def add_features(rows):
    """The loan as a share of the yearly income, in place of the income; the id is no feature."""
    rows["loan_to_income"] = rows["amount"] / rows["income"]
    return rows.drop(columns=["income", "loan_id"])
'''


def test_a_derived_feature_reaches_training_and_main_is_scored_with_its_own_code(project):
    """features.py alone adds a column (and drops one): prepare, train and evaluate rerun and use
    it; the gate scores main's model with main's features.py, exactly as main's evaluate did."""
    run(project, "git", "checkout", "-qb", "loan-to-income")
    (project / "src/car_loans/features.py").write_text(FEATURES)
    result = run(project, "dvc", "repro")
    assert stages_run(result.stdout) == ["check_source", "prepare", "train", "evaluate"]
    names = pq.read_schema(project / "data/prepared/train.parquet").names
    assert "loan_to_income" in names and "income" not in names and "loan_id" not in names
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Loan to income")

    gate = run(project, sys.executable, "-m", "car_loans.ci", "gate", "--base", "main", "--json", check=False)
    decision = json.loads(gate.stdout)
    shown = json.loads(run(project, "dvc", "metrics", "show", "--json", "-a").stdout)
    evaluated = shown["main"]["data"]["dvclive/evaluate/metrics.json"]["data"]
    assert decision["champion_metrics"] == pytest.approx(evaluated, abs=1e-12)
    assert decision["challenger_metrics"] != decision["champion_metrics"]
    report = run(project, sys.executable, "-m", "car_loans.ci", "report", "--base", "main")
    assert "not posted" in report.stderr
    text = (project / "report.md").read_text()
    assert "`main`'s model (champion)" in text
    assert "loan_to_income" in text  # drift measures the derived column too
    data = text.split("## Data: what the models learned from")[1].split("## Drift")[0]
    [training] = [line for line in data.splitlines() if line.startswith("| Training |")]
    assert training.count(", 2026-01-01T00:00:00 to 2026-") == 2, data  # main's and the branch's
    assert "New rows (later than 2026-" in data and "): 0." in data  # the same rows as main's
    assert "- `src/car_loans/features.py`" in text.split("## Code changed since `main`")[1]


def test_the_projects_own_tests_pass_on_its_own_data(project):
    """The bake's own tests, quick and slow, pass in the project its user changed: their own CSV
    with a yes/no label, class names and a time split in params.yaml, a derived column and two
    dropped ones in features.py; the tests of their own project ran on their data, none skipped."""
    result = run(project, sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    own = [line for line in result.stdout.splitlines() if line.startswith("tests/test_your_project.py::")]
    assert len(own) == 3 and all(" PASSED" in line for line in own), own


def digests(project) -> dict[str, bytes]:
    """The model and the metrics, byte for byte."""
    return {name: (project / name).read_bytes() for name in ("models/model.joblib", "dvclive/evaluate/metrics.json")}


def new_day(project, frame: pd.DataFrame) -> subprocess.CompletedProcess:
    """Write ``frame`` as the day's loans.csv, track it, and run `dvc repro` (its result, unchecked)."""
    frame.to_csv(project / "data/loans.csv", index=False)
    run(project, "dvc", "add", "data/loans.csv")
    return run(project, "dvc", "repro", check=False)


def test_a_bad_day_is_refused_a_thin_one_reported_and_the_good_data_comes_back(project):
    """Against the committed model's data: a renamed column and an empty label each stop the run
    in one ERROR line naming the column, the model and metrics untouched; 60% missing amounts
    train and the report flags the column; the committed data back, nothing is lost."""
    before = digests(project)
    committed = pd.read_csv(project / "data/loans.csv")

    renamed = new_day(project, committed.rename(columns={"income": "yearly_income"}))
    assert renamed.returncode != 0
    errors = [line for line in renamed.stderr.splitlines() if line.startswith("ERROR: column")]
    assert len(errors) == 1 and errors[0].startswith("ERROR: column 'income' is missing"), renamed.stderr
    assert "'yearly_income': renamed?" in errors[0]
    assert digests(project) == before

    empty = new_day(project, committed.assign(repaid=None))
    assert empty.returncode != 0
    errors = [line for line in empty.stderr.splitlines() if "'repaid'" in line]
    assert len(errors) == 1 and errors[0].startswith("ERROR: every row's label (column 'repaid') is missing")
    assert digests(project) == before

    thin = committed.copy()
    thin.loc[np.random.default_rng(1).random(len(thin)) < 0.6, "amount"] = np.nan
    trained = new_day(project, thin)
    assert trained.returncode == 0, trained.stderr
    assert "Running stage 'train'" in trained.stdout
    findings = json.loads((project / "data/checks.json").read_text())["findings"]
    assert [(f["hard"], f["column"]) for f in findings] == [(False, "amount")]
    run(project, sys.executable, "-m", "car_loans.ci", "report", "--base", "main")
    assert "- column 'amount' is 6" in (project / "report.md").read_text()  # about 60% missing

    back = new_day(project, committed)  # the export fixed: the committed day's rows again
    assert back.returncode == 0, back.stderr
    assert "Running stage 'train'" not in back.stdout  # restored from the run-cache, not retrained
    assert digests(project) == before, back.stdout
