"""Smoke test: the whole DVC pipeline runs on the example's small data set in a scratch copy of the project."""

import json
import os
import subprocess
import sys

import pytest

from conftest import copy_example


@pytest.mark.slow
def test_dvc_repro_runs_every_stage(tmp_path):
    """`dvc repro` runs get_data, prepare, train and evaluate and leaves a model and metrics."""
    copy_example(tmp_path)

    env = {
        **os.environ,
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(tmp_path / "src"),
        "DVC_NO_ANALYTICS": "1",
    }
    commands = (
        ["git", "init", "-q"],
        ["dvc", "init", "-q"],
        ["git", "add", "-A"],
        [
            "git",
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "commit",
            "-qm",
            "start",
        ],
        ["dvc", "repro"],
    )
    for command in commands:
        subprocess.run([sys.executable, "-m", *command] if command[0] == "dvc" else command,
                       cwd=tmp_path, env=env, check=True)  # fmt: skip

    assert (tmp_path / "models/model.joblib").stat().st_size > 0
    metrics = json.loads((tmp_path / "dvclive/evaluate/metrics.json").read_text())
    assert 0.5 < metrics["roc_auc"] <= 1
    assert (tmp_path / "dvclive/evaluate/plots/images/confusion_matrix.png").exists()
