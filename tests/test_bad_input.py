"""Bad parameters and bad data make a stage stop with one readable line, and leave no output.

Each case runs a stage of a baked project as DVC would (`python -m fraud_detection.<stage>`)
and checks: exit code 1, a last line `ERROR: ...` that names the field, no traceback, and no
output file that DVC could take for a valid one.
"""

from __future__ import annotations

import shutil
import sys

import pytest
import yaml
from conftest import bake, run, set_params

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bad-input")]

STAGE_OUTPUT = {"get_data": "data/raw.parquet", "prepare": "data/prepared", "train": "models/model.joblib"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A baked project whose stages have run once on small data, with its good params.yaml."""
    project = bake(tmp_path_factory.mktemp("bad-input"))
    set_params(project, get_data__n_samples=600, train__xgboost__n_estimators=10)
    for stage in ("get_data", "prepare", "train", "evaluate"):
        run(project, sys.executable, "-m", f"fraud_detection.{stage}")
    return project


def edit(params: dict, dotted: str, value: object) -> None:
    """Set (or, for the value DELETE, remove) a dotted key."""
    *sections, key = dotted.split(".")
    for section in sections:
        params = params[section]
    if value is DELETE:
        del params[key]
    else:
        params[key] = value


DELETE = object()
SOURCES = {
    "orders.csv": "amount,country,status\n" + "".join(f"{i},NL,{'fraud' if i % 9 == 0 else 'ok'}\n" for i in range(90)),
    "empty.csv": "",
    "legit-only.csv": "amount,status\n" + "".join(f"{i},ok\n" for i in range(50)),
    "fraud-only.csv": "amount,status\n" + "".join(f"{i},fraud\n" for i in range(50)),
    "repeated.csv": "amount,status,amount\n1,ok,2\n",
    "no-values.csv": "amount,status\n" + "".join(f",{'fraud' if i % 5 == 0 else 'ok'}\n" for i in range(50)),
}
ORDERS = {"get_data.source": "orders.csv", "get_data.label_column": "status", "get_data.positive_label": "fraud"}
CASES = {
    "negative-size": ("get_data", {"get_data.n_samples": -5}, "get_data.n_samples in params.yaml must be a whole number above 0, not -5"),
    "zero-size": ("get_data", {"get_data.n_samples": 0}, "get_data.n_samples"),
    "text-size": ("get_data", {"get_data.n_samples": "many"}, "get_data.n_samples"),
    "missing-size": ("get_data", {"get_data.n_samples": DELETE}, "params.yaml has no get_data.n_samples"),
    "rate-above-one": ("get_data", {"get_data.positive_rate": 1.5}, "get_data.positive_rate"),
    "missing-source": ("get_data", {**ORDERS, "get_data.source": "nowhere.csv"}, "does not exist"),
    "excel-source": ("get_data", {**ORDERS, "get_data.source": "orders.xlsx"}, "neither CSV nor Parquet"),
    "unknown-label-column": ("get_data", {**ORDERS, "get_data.label_column": "label"}, "get_data.label_column 'label'"),
    "absent-positive-label": ("get_data", {**ORDERS, "get_data.positive_label": "chargeback"}, "get_data.positive_label"),
    "empty-file": ("get_data", {**ORDERS, "get_data.source": "empty.csv"}, "is empty"),
    "only-legit-rows": ("get_data", {**ORDERS, "get_data.source": "legit-only.csv"}, "never occurs"),
    "repeated-column": ("get_data", {**ORDERS, "get_data.source": "repeated.csv"}, "more than once"),
    "only-empty-features": ("prepare", {**ORDERS, "get_data.source": "no-values.csv"}, "has no usable feature column"),
    "only-fraud-rows": ("prepare", {**ORDERS, "get_data.source": "fraud-only.csv"}, "rows of both classes are needed"),
    "missing-time-column": ("prepare", {"prepare.split": "time", "prepare.time_column": "created"}, "prepare.time_column 'created' is not a column of the raw data"),
    "empty-time-column": ("prepare", {"prepare.split": "time"}, "prepare.split is time but prepare.time_column is empty"),
    "text-time-column": ("prepare", {**ORDERS, "prepare.split": "time", "prepare.time_column": "country"}, "prepare.time_column 'country' is not a date/time column"),
    "test-size-above-one": ("prepare", {"prepare.test_size": 1.5}, "prepare.test_size"),
    "test-size-zero": ("prepare", {"prepare.test_size": 0}, "prepare.test_size"),
    "unknown-model": ("train", {"train.model": "svm"}, "train.model in params.yaml must be one of xgboost"),
    "validation-size-zero": ("train", {"train.model": "xgboost", "train.validation_size": 0}, "train.validation_size"),
    "text-early-stopping": ("train", {"train.model": "xgboost", "train.xgboost.early_stopping_rounds": "ten"}, "train.xgboost"),
    "misspelt-hyperparameter": ("train", {"train.model": "random_forest", "train.random_forest.n_trees": 5}, "train.random_forest"),
    "bad-hyperparameter": ("train", {"train.model": "random_forest", "train.random_forest.max_depth": -1}, "train.random_forest"),
    "unknown-matrix": ("train", {"train.model": "xgboost", "train.matrix": "ssd"}, "train.matrix in params.yaml must be one of auto, memory, disk"),
    "unknown-engine": ("train", {"train.engine": "spark"}, "train.engine in params.yaml must be one of local, dask"),
    "dask-random-forest": ("train", {"train.model": "random_forest", "train.engine": "dask"}, "train.engine dask trains XGBoost only"),
    "bad-dask-scheduler": ("train", {"train.model": "xgboost", "train.engine": "dask", "train.dask.scheduler": "http://dask:8786"}, "no Dask scheduler answers at train.dask.scheduler 'http://dask:8786'"),
    "threshold-above-one": ("evaluate", {"evaluate.threshold": 2}, "evaluate.threshold"),
}  # fmt: skip


@pytest.mark.parametrize(("stage", "changes", "message"), CASES.values(), ids=CASES.keys())
def test_bad_input_stops_the_stage_in_one_line(project, tmp_path, stage, changes, message):
    """The stage exits 1 with one ERROR line naming the field, no traceback, and no output left."""
    for name, text in SOURCES.items():
        (project / name).write_text(text)
    good = (project / "params.yaml").read_text()
    params = yaml.safe_load(good)
    for dotted, value in changes.items():
        edit(params, dotted, value)
    bad_raw_data = stage != "get_data" and any(key.startswith("get_data.") for key in changes)
    try:
        (project / "params.yaml").write_text(yaml.safe_dump(params))
        if bad_raw_data:  # get_data accepts the source; the stage after it cannot use it
            run(project, sys.executable, "-m", "fraud_detection.get_data")
        output = project / STAGE_OUTPUT.get(stage, "dvclive/evaluate/metrics.json")
        moved = output.with_name(output.name + ".before")
        output.rename(moved)  # DVC removes a stage's outputs before running it
        try:
            result = run(project, sys.executable, "-m", f"fraud_detection.{stage}", check=False)
            assert result.returncode == 1, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            assert errors == [result.stderr.strip().splitlines()[-1]], result.stderr
            assert message in errors[0]
            assert not output.exists(), f"{output.name} was left behind"
        finally:
            if output.is_dir():
                shutil.rmtree(output)
            elif output.exists():
                output.unlink()
            moved.rename(output)
    finally:
        (project / "params.yaml").write_text(good)
        if bad_raw_data:
            run(project, sys.executable, "-m", "fraud_detection.get_data")


def test_malformed_params_file_names_its_line(project):
    """A YAML syntax error in params.yaml is reported with its line, for any stage."""
    good = (project / "params.yaml").read_text()
    (project / "params.yaml").write_text(good.replace("train:", "train: [", 1))
    try:
        result = run(project, sys.executable, "-m", "fraud_detection.train", check=False)
    finally:
        (project / "params.yaml").write_text(good)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("ERROR: params.yaml is not valid YAML at line")
