"""Tests of your own project: your params.yaml, and your features.py and pipeline on your data.

The other tests check the project's code on the synthetic example (conftest.py); these check
what you changed. They read a sample of data/raw.parquet, the rows get_data made from your
source; where it is not here yet (a fresh clone before `dvc pull`), they are skipped and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PACKAGE, PROJECT
from {{ cookiecutter.package_name }} import check_data, features
from {{ cookiecutter.package_name }}.core import derived, labels
from {{ cookiecutter.package_name }}.core import params as p
from {{ cookiecutter.package_name }}.core.dataset import first_rows, write_table
from {{ cookiecutter.package_name }}.models import MODELS

pytestmark = pytest.mark.your_project

RAW = PROJECT / "data" / "raw.parquet"
SAMPLE_ROWS = 5000  # the first rows of your data the pipeline test trains on


def your_sample(rows: int):
    """The first ``rows`` rows of data/raw.parquet; the test is skipped if it is not here."""
    if not RAW.exists():
        pytest.skip(
            "data/raw.parquet is not here yet: `dvc pull` (or `dvc repro`) brings your data"
        )
    return first_rows(RAW, rows)


def test_your_params_yaml_is_valid():
    """Every setting the stages check in your params.yaml passes its check."""
    params = p.load(PROJECT / "params.yaml")
    assert p.positive_int(params, "get_data.n_samples") > 0
    assert 0 < p.fraction(params, "prepare.test_size") < 1
    assert p.choice(params, "train.model", list(MODELS))
    assert labels.label_column(params)
    assert len(set(labels.class_names(params))) == 2
    assert check_data.settings(params)


def test_your_features_run_on_a_sample_of_your_data():
    """features.add_features takes 1,000 rows of your data and gives them back, with the columns
    it adds and without those it drops, the label untouched."""
    sample = your_sample(1000)
    label = labels.label_column(p.load(PROJECT / "params.yaml"))
    try:
        plan = derived.plan(sample, label, features.add_features)
        made = derived.with_derived(sample, label, features.add_features)
    except Exception as error:  # the test's message is the point: say it is features.py
        pytest.fail(f"features.add_features fails on your data: {type(error).__name__}: {error}")
    assert made.num_rows == sample.num_rows
    assert made.column_names[-1] == label
    assert set(plan.added) <= set(made.column_names)
    assert not set(plan.dropped) & set(made.column_names)


@pytest.mark.slow
def test_your_pipeline_trains_on_a_sample_of_your_data(tmp_path):
    """prepare, train and evaluate, with your params.yaml and features.py, train a model on the
    first rows of your data and score it."""
    sample = your_sample(SAMPLE_ROWS)
    label = labels.label_column(p.load(PROJECT / "params.yaml"))
    if len(set(sample.column(label).to_pylist()) - {None}) < 2:
        pytest.skip(f"the first {sample.num_rows:,} rows of data/raw.parquet hold one class only")
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(PROJECT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "data").mkdir()
    write_table(sample, tmp_path / "data" / "raw.parquet")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    for stage in ("prepare", "train", "evaluate"):
        result = subprocess.run(
            [sys.executable, "-m", f"{PACKAGE}.{stage}"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{stage} failed on your data:\n{result.stderr}"
    metrics = json.loads(Path(tmp_path / "dvclive" / "evaluate" / "metrics.json").read_text())
    assert 0 <= metrics["roc_auc"] <= 1
