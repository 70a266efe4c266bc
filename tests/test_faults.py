"""Faults survived: a stage killed mid-run, runs repeated with the same seed, queued experiments.

DVC and the stages run for real in a baked project on small data.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest
from conftest import bake, project_env, run, set_params, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]
STAGES = ["get_data", "prepare", "train", "evaluate"]
ALL = ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
MODELS = ["xgboost", "random_forest", "logistic_regression"]
PREDICT = (
    "import hashlib, joblib; "
    "from fraud_detection.core.dataset import read_features; from fraud_detection.models import positive_probability; "
    "from fraud_detection.core.paths import MODEL, TEST_DATA; "
    "features, _, _ = read_features(TEST_DATA); "
    "print(hashlib.sha256(positive_probability(joblib.load(MODEL), features).tobytes()).hexdigest())"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A baked project on small data, committed, with no output yet."""
    project = bake(tmp_path_factory.mktemp("faults"))
    set_params(
        project, get_data__n_samples=2000, train__xgboost__n_estimators=30, train__random_forest__n_estimators=30
    )
    run(project, "git", "commit", "-qam", "Use a small data set")
    return project


def metrics(project) -> dict:
    """The evaluate metrics of the workspace."""
    return json.loads((project / "dvclive/evaluate/metrics.json").read_text())


def fingerprint(project) -> str:
    """A hash of the saved model's predicted probabilities on the test set."""
    return run(project, sys.executable, "-c", PREDICT).stdout.strip()


@pytest.fixture(scope="module")
def reference(project):
    """Metrics of an uninterrupted `dvc repro`."""
    assert stages_run(run(project, "dvc", "repro").stdout) == ALL
    expected = metrics(project)
    run(project, "git", "checkout", "--", ".")
    return expected


def runs(process: psutil.Process, module: str) -> bool:
    """Whether ``process`` (still alive) runs ``python -m <module>``."""
    try:
        return module in process.cmdline()
    except psutil.Error:  # it ended, or became a zombie, meanwhile
        return False


def kill_stage_when_running(project, stage: str) -> int:
    """Rerun ``stage`` alone with `dvc repro`, kill -9 its process once it runs; return dvc's exit code."""
    command = [sys.executable, "-m", "dvc", "repro", "--force", "--single-item", stage]
    repro = subprocess.Popen(
        command, cwd=project, env=project_env(project), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    target = f"fraud_detection.{stage}"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            victim = next((c for c in psutil.Process(repro.pid).children(recursive=True) if runs(c, target)), None)
            if victim is not None:
                time.sleep(0.1)  # under way, and still importing: the small stages end within a second
                victim.send_signal(signal.SIGKILL)
                break
            assert repro.poll() is None, f"dvc repro ended before {stage} started"
            time.sleep(0.05)
        else:
            pytest.fail(f"{stage} never started")
        repro.communicate(timeout=300)
    finally:
        if repro.poll() is None:
            repro.kill()
    return repro.returncode


@pytest.mark.parametrize("stage", STAGES)
def test_kill_9_mid_stage_then_repro_gives_the_same_metrics(project, reference, stage):
    """After a stage is killed with SIGKILL, `dvc repro` completes with the metrics of an
    uninterrupted run (its partial work is dropped; the stage comes back from the cache).
    Computing it again gives the same metrics too: see the determinism test."""
    assert kill_stage_when_running(project, stage) != 0
    restored = run(project, "dvc", "repro")
    assert f"Stage '{stage}' is cached - skipping run" in restored.stdout
    assert metrics(project) == reference


@pytest.mark.parametrize("model", MODELS)
def test_same_params_and_seed_give_identical_results(project, reference, model):
    """Two runs of train and evaluate with one model and seed give identical metrics and predictions."""
    results = []
    for _ in range(2):
        run(project, "dvc", "exp", "run", "-S", f"train.model={model}", "--force")
        results.append((metrics(project), fingerprint(project)))
    assert results[0] == results[1]
    run(project, "git", "checkout", "--", ".")


def test_queued_experiments_all_complete(project):
    """Three experiments queued and run two at a time all succeed and are listed."""
    for model in MODELS:
        run(
            project,
            "dvc",
            "exp",
            "run",
            "--queue",
            "-S",
            f"train.model={model}",
            "--name",
            f"q-{model.replace('_', '-')}",
        )
    run(project, "dvc", "queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = run(project, "dvc", "queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(3)
    assert "Failed" not in status, status
    assert status.count("Success") == len(MODELS), status
    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    listed = {exp["name"] for rev in shown for exp in (rev.get("experiments") or []) for exp in exp["revs"]}
    assert {f"q-{m.replace('_', '-')}" for m in MODELS} <= listed
    run(project, "dvc", "queue", "stop", check=False)
