"""Smoke test: the whole DVC pipeline runs on a small data set in a scratch copy of the project."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml


@pytest.mark.slow
def test_dvc_repro_runs_every_stage(tmp_path, params_file):
    """`dvc repro` runs get_data, prepare, train and evaluate and leaves a model and metrics."""
    project = params_file.parent
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(project / name, tmp_path / name)
    shutil.copytree(project / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    params = yaml.safe_load((tmp_path / "params.yaml").read_text())
    params["get_data"]["n_samples"] = 2000
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))

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
