"""The provider-neutral CI commands, run for real against an S3 server on 127.0.0.1, without CML.

CML's CLI cannot be installed here, so these tests run every step the workflows run,
with `cml` absent: the report is written to a file and the command says it did not post.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import bake, run, set_params, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ci")]


@pytest.fixture(scope="module")
def project(server, tmp_path_factory):
    """A project for S3 and both CI systems, on small data, trained once by `ci train` on main."""
    assert shutil.which("cml") is None, "these tests prove the path without CML"
    project = bake(
        tmp_path_factory.mktemp("ci"),
        dvc_remote="s3",
        dvc_remote_url="s3://models/fraud-detection",
        dvc_remote_endpoint_url=server.endpoint,
        ci="both",
    )
    set_params(
        project, get_data__n_samples=3000, train__xgboost__n_estimators=30, train__random_forest__n_estimators=30
    )
    run(project, "git", "commit", "-qam", "Use a small data set")
    first = ci(project, server, "train", "--timeout", "120")
    assert stages_run(first.stdout) == ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
    assert "not everything was pulled" in first.stderr  # a first run: nothing on the remote, it goes on
    assert "trying again in" not in first.stderr  # at once: retrying cannot bring outputs never pushed
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Train on main")
    return project


def ci(project, server, *args, check=True):
    """Run `python -m fraud_detection.ci ...` as CI would (CI=true, the remote's keys set)."""
    env = {**server.credentials(), "CI": "true"}
    return run(project, sys.executable, "-m", "fraud_detection.ci", *args, env=env, check=check)


def test_train_on_a_fresh_clone_restores_instead_of_rerunning(project, server, tmp_path):
    """`ci train` on a new machine with nothing changed pulls the outputs and runs no stage but check_source."""
    clone = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    result = ci(clone, server, "train", "--timeout", "120")
    assert stages_run(result.stdout) == ["check_source"]
    assert (clone / "models/model.joblib").exists()


def test_train_on_a_gpu_runner_hands_cuda_to_xgboost(project, server, tmp_path):
    """`ci train --device cuda`, as both pipelines run it on a GPU runner, trains with
    train.xgboost.device set to cuda, and the saved model carries it. (There is no GPU here:
    XGBoost itself falls back to the CPU with a warning.)"""
    clone = tmp_path / "gpu-runner"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    result = ci(clone, server, "train", "--device", "cuda", "--timeout", "120")
    assert stages_run(result.stdout) == ["check_source", "train", "evaluate"]
    assert yaml.safe_load((clone / "params.yaml").read_text())["train"]["xgboost"]["device"] == "cuda"
    device = run(clone, sys.executable, "-c", "import joblib; print(joblib.load('models/model.joblib').device)")
    assert device.stdout.strip() == "cuda"


def test_experiment_report_and_gate(project, server):
    """`ci train --exp-args` runs an experiment and pushes it; `ci report` compares it with main and
    writes the report without posting; `ci gate` passes or fails by the thresholds in params.yaml,
    and refuses a base that does not exist."""
    run(project, "git", "checkout", "-qb", "try-random-forest")
    result = ci(project, server, "train", "--exp-args", "-S train.model=random_forest", "--timeout", "120")
    assert stages_run(result.stdout) == ["check_source", "train", "evaluate"]

    report = ci(project, server, "report", "--base", "main", "--output", "report.md")
    assert "not posted: cml is not installed" in report.stderr
    text = (project / "report.md").read_text()
    assert "| Metric | `main`'s model (champion) | This run's model (challenger) | Change |" in text
    assert "Both models scored on this run's test set: 600 rows." in text
    assert "| Average precision (gate) | 0." in text
    assert "## Drift: the base model's data against today's" in text
    assert "Past the drift threshold: 0 of 20 features." in text  # the same synthetic data
    assert "train.model" in text and "random_forest" in text  # the parameters diff
    for image in ("confusion_matrix.png", "roc_precision_recall.png", "feature_importance.png"):
        assert f"(./dvclive/evaluate/plots/images/{image})" in text
        assert (project / "dvclive/evaluate/plots/images" / image).exists()

    set_params(project, gate__min=0.0, gate__max_drop=1.0)
    passed = ci(project, server, "gate", "--base", "main")
    assert "quality gate passed" in passed.stderr
    nowhere = ci(project, server, "gate", "--base", "no-such-branch", "--json", check=False)
    assert nowhere.returncode == 1 and nowhere.stdout == ""  # a missing base never passes on the floor
    errors = [line for line in nowhere.stderr.splitlines() if line.startswith("ERROR")]
    assert errors == [errors[0]] and errors[0].startswith("ERROR: the base `no-such-branch` is neither")

    set_params(project, gate__min=0.999)
    failed = ci(project, server, "gate", "--base", "main", check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("ERROR: quality gate failed: average_precision 0.")
    assert "Traceback" not in failed.stderr


def test_propose_without_cml_says_so(project, server):
    """With a changed dvc.lock or params.yaml but no CML, `ci propose` says it opened no pull
    request; with neither changed, it says there is nothing to propose."""
    set_params(project, train__model="logistic_regression")
    changed = ci(project, server, "propose")
    assert "pull request not opened: cml is not installed" in changed.stderr
    run(project, "git", "checkout", "--", "dvc.lock", "params.yaml")
    unchanged = ci(project, server, "propose")
    assert "dvc.lock is unchanged: nothing to propose" in unchanged.stderr
