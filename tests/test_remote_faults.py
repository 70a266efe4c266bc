"""Faults on the way to the S3 remote: a push never hangs, fails in one line, and a retry completes."""

from __future__ import annotations

import filecmp
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import bake, project_env, run, set_params, stages_run
from s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("s3-faults")]


@pytest.fixture
def server(tmp_path):
    """A disk-backed S3 server throttled to 2 MB/s, so a push takes long enough to be cut."""
    server = S3Server(tmp_path / "s3", bwlimit="2M").start()
    server.make_bucket("models")
    yield server
    server.stop()


@pytest.fixture
def project(server, tmp_path):
    """An S3 project whose pipeline has run on ~35 MB of data, not yet pushed."""
    project = bake(
        tmp_path / "bake",
        dvc_remote="s3",
        dvc_remote_url="s3://models/fraud-detection",
        dvc_remote_endpoint_url=server.endpoint,
    )
    set_params(project, get_data__n_samples=150_000, train__xgboost__n_estimators=20)
    run(project, "git", "commit", "-qam", "More data")
    run(project, "dvc", "repro")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Run the pipeline")
    return project


def start_push(project, server, timeout: int, retries: int) -> subprocess.Popen:
    """Start `storage push` in the background."""
    command = [sys.executable, "-m", "fraud_detection.ci", "storage", "push", "--timeout", str(timeout)]
    return subprocess.Popen(
        [*command, "--retries", str(retries)],
        cwd=project,
        env={**project_env(project), **server.credentials()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def last_line(text: str) -> str:
    """The last non-empty line of ``text``."""
    return text.strip().splitlines()[-1]


def test_server_killed_mid_push_then_retry_completes_the_round_trip(project, server, tmp_path):
    """Killing the server mid-upload ends the push with one ERROR line in bounded time; once
    the server is back, a retry completes and a fresh clone pulls a byte-identical model."""
    started = time.monotonic()
    push = start_push(project, server, timeout=20, retries=1)
    uploads = server.root / "models"
    while not any(uploads.rglob("*")) or time.monotonic() - started < 3:
        assert push.poll() is None, push.communicate()
        time.sleep(0.2)
    server.kill()
    _, stderr = push.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert push.returncode == 1
    assert elapsed < 100  # two attempts of at most 20 s each, a 5 s pause, and DVC's start-up
    assert last_line(stderr).startswith("ERROR: dvc push ")
    assert "Traceback" not in stderr

    server.start(bwlimit="0")
    push = [sys.executable, "-m", "fraud_detection.ci", "storage", "push", "--timeout", "120"]
    run(project, *push, env=server.credentials())
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    run(clone, "dvc", "pull", "--run-cache", env=server.credentials())
    assert filecmp.cmp(project / "models/model.joblib", clone / "models/model.joblib", shallow=False)
    assert filecmp.cmp(project / "data/raw.parquet", clone / "data/raw.parquet", shallow=False)
    assert stages_run(run(clone, "dvc", "repro", env=server.credentials()).stdout) == ["check_source"]


def test_push_to_a_frozen_server_times_out_instead_of_hanging(project, server):
    """A server that accepts connections but never answers makes the push stop at its time limit."""
    os.kill(server.process.pid, signal.SIGSTOP)
    started = time.monotonic()
    push = start_push(project, server, timeout=8, retries=0)
    _, stderr = push.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert push.returncode == 1
    assert elapsed < 30  # 8 s, then SIGTERM and at most 5 s before SIGKILL
    assert last_line(stderr).startswith("ERROR: dvc push timed out after 8 s (1 attempt).")
