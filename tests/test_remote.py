"""An S3 remote for real (rclone's S3 server on 127.0.0.1): round trip, run-cache, S3 source, credentials."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys

import pytest
from conftest import bake, run, set_params, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("s3")]


@pytest.fixture(scope="module")
def project(server, tmp_path_factory):
    """A project baked for S3 at that server, run once and pushed with its run-cache."""
    project = bake(
        tmp_path_factory.mktemp("s3-project"),
        dvc_remote="s3",
        dvc_remote_url="s3://models/fraud-detection",
        dvc_remote_endpoint_url=server.endpoint,
    )
    set_params(
        project, get_data__n_samples=3000, train__xgboost__n_estimators=30, train__random_forest__n_estimators=30
    )
    run(project, "git", "commit", "-qam", "Use a small data set")
    run(project, "dvc", "repro")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Run the pipeline")
    push = [sys.executable, "-m", "fraud_detection.ci", "storage", "push", "--timeout", "120"]
    run(project, *push, env=server.credentials())
    return project


def clone(project, destination):
    """A fresh git clone of ``project``: code and dvc.lock, no data."""
    subprocess.run(["git", "clone", "-q", str(project), str(destination)], check=True)
    return destination


def test_fresh_clone_pulls_a_byte_identical_model_and_runs_nothing(project, server, tmp_path):
    """After `dvc pull --run-cache` a fresh clone has the same model, and `dvc repro` runs only check_source."""
    other = clone(project, tmp_path / "clone")
    run(other, "dvc", "pull", "--run-cache", env=server.credentials())
    assert filecmp.cmp(project / "models/model.joblib", other / "models/model.joblib", shallow=False)
    assert stages_run(run(other, "dvc", "repro", env=server.credentials()).stdout) == ["check_source"]


def test_repro_pull_on_a_fresh_clone_runs_nothing(project, server, tmp_path):
    """`dvc repro --pull` on a fresh clone fetches what it needs and runs only check_source."""
    other = clone(project, tmp_path / "clone")
    result = run(other, "dvc", "repro", "--pull", env=server.credentials())
    assert stages_run(result.stdout) == ["check_source"]
    assert (other / "models/model.joblib").exists()


def test_a_param_set_run_elsewhere_is_restored_not_retrained(project, server, tmp_path):
    """An experiment pushed with its run-cache comes back on a fresh clone without running train."""
    experiment = run(project, "dvc", "exp", "run", "-S", "train.model=random_forest")
    assert stages_run(experiment.stdout) == ["check_source", "train", "evaluate"]
    expected = json.loads((project / "dvclive/evaluate/metrics.json").read_text())
    push = [sys.executable, "-m", "fraud_detection.ci", "storage", "push", "--timeout", "120"]
    run(project, *push, env=server.credentials())
    # Back to the commit: only the run-cache now knows the random-forest outputs.
    run(project, "git", "checkout", "--", ".")
    run(project, "dvc", "checkout", "--force")

    other = clone(project, tmp_path / "clone")
    result = run(other, "dvc", "exp", "run", "--pull", "-S", "train.model=random_forest", env=server.credentials())
    assert stages_run(result.stdout) == ["check_source"]
    assert "Stage 'train' is cached - skipping run" in result.stdout
    assert json.loads((other / "dvclive/evaluate/metrics.json").read_text()) == expected


def test_get_data_reads_its_source_from_s3(project, server):
    """get_data.source may be an s3:// URL: the CSV there becomes data/raw.parquet."""
    import pyarrow.parquet as pq
    import s3fs

    fs = s3fs.S3FileSystem(key=server.access_key, secret=server.secret_key, endpoint_url=server.endpoint)
    rows = "amount,country,status\n" + "".join(
        f"{i * 1.5},{'NL' if i % 3 else 'DE'},{'chargeback' if i % 10 == 0 else 'ok'}\n" for i in range(200)
    )
    fs.pipe("models/sources/orders.csv", rows.encode())
    set_params(
        project,
        get_data__source="s3://models/sources/orders.csv",
        get_data__label_column="status",
        get_data__positive_label="chargeback",
    )
    try:
        # DVC finds the endpoint in .dvc/config; get_data's fsspec reads it from the environment.
        run(project, sys.executable, "-m", "fraud_detection.get_data", env=server.credentials(with_endpoint=True))
        table = pq.read_table(project / "data/raw.parquet")
        assert table.num_rows == 200
        assert table.column_names == ["amount", "country", "status"]
        assert sum(table.column("status").to_pylist()) == 20
    finally:
        run(project, "git", "checkout", "--", "params.yaml")
        run(project, "dvc", "checkout", "--force")


def test_wrong_credentials_give_dvc_s_error_not_a_traceback(project, server, tmp_path):
    """A wrong secret key ends in DVC's own message and one ERROR line, with no Python traceback."""
    other = clone(project, tmp_path / "clone")
    wrong = {**server.credentials(), "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    result = run(
        other, sys.executable, "-m", "fraud_detection.ci", "storage", "pull", "--timeout", "60", check=False, env=wrong
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ERROR: the DVC remote refused the credentials"), result.stderr
