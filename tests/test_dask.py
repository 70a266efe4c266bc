"""train.engine dask, for real: XGBoost trains on a Dask cluster and saves the model the local engine would.

Two clusters: the LocalCluster that train makes when train.dask.scheduler is empty, and a
`dask scheduler` with two `dask worker` processes on 127.0.0.1, as on other machines. Each
run is a `dvc exp run` of a baked project, compared with the local engine on the same data.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import bake, project_env, run, set_params
from s3_server import free_port, stop_process, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]

ROWS = 20_000


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A baked project whose pipeline ran with the local engine, committed, and its ROC-AUC."""
    project = bake(tmp_path_factory.mktemp("dask"))
    set_params(project, get_data__n_samples=ROWS)
    run(project, "git", "commit", "-qam", "Use a small data set")
    run(project, "dvc", "repro")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Train with the local engine")
    return project, metrics(project)["roc_auc"]


def metrics(project) -> dict[str, float]:
    """The evaluate stage's metrics in the workspace."""
    return json.loads((project / "dvclive/evaluate/metrics.json").read_text())


def saved_model_class(project) -> str:
    """The class of models/model.joblib, loaded as a user would."""
    code = "import joblib; print(type(joblib.load('models/model.joblib')).__name__)"
    return run(project, sys.executable, "-c", code).stdout.strip()


def test_a_local_cluster_trains_as_well_as_the_local_engine(project):
    """With no scheduler given, train starts a LocalCluster; the model scores within 0.01 ROC-AUC
    and its rounds are logged."""
    project, local_auc = project
    result = run(project, "dvc", "exp", "run", "-S", "train.engine=dask")
    assert "train engine: dask, scheduler tcp://127.0.0.1:" in result.stdout + result.stderr
    assert abs(metrics(project)["roc_auc"] - local_auc) <= 0.01
    assert saved_model_class(project) == "XGBClassifier"
    # Each boosting round's log loss on the held-out rows reaches dvclive, as on one machine.
    rounds = (project / "dvclive/train/plots/metrics/validation_0/logloss.tsv").read_text().splitlines()
    assert len(rounds) > 10


def test_a_scheduler_with_two_workers_trains_on_both(project, tmp_path):
    """A scheduler and two workers in processes of their own: both train, the log names the address."""
    project, local_auc = project
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = project_env(project)
    processes = []
    try:
        scheduler = subprocess.Popen(
            ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(scheduler)
        wait_for_port(scheduler, port, "dask scheduler")
        logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
        for log in logs:
            with log.open("w") as output:
                processes.append(subprocess.Popen(
                    ["dask", "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"],
                    env=env, stdout=output, stderr=subprocess.STDOUT,
                ))  # fmt: skip
        wait_for_workers(address, 2)

        result = run(project, "dvc", "exp", "run", "-S", "train.engine=dask", "-S", f"train.dask.scheduler={address}")
        assert f"train engine: dask, scheduler {address}, 2 workers" in result.stdout + result.stderr
        ranks = [line.split("got rank ")[1].strip() for log in logs for line in log.read_text().splitlines()
                 if "got rank" in line]  # fmt: skip
        assert sorted(ranks) == ["0", "1"], "both workers should train"
        assert abs(metrics(project)["roc_auc"] - local_auc) <= 0.01
        assert saved_model_class(project) == "XGBClassifier"
    finally:
        for process in reversed(processes):
            stop_process(process)


def wait_for_workers(address: str, count: int) -> None:
    """Wait until ``count`` workers have joined the scheduler at ``address``."""
    from distributed import Client

    with Client(address, timeout=20) as client:
        client.wait_for_workers(count, timeout=60)
