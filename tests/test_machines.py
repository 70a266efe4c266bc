"""The training machines' teardown and janitor (ci/machines.py of the bake) against moto's EC2 on
127.0.0.1: each terminates exactly the machines it should, and end-on-shutdown makes power-off
terminate a machine. The boot script and the launches that use all three run under act in
test_github_workflow_run.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import bake
from ec2_server import AWS_TOOLS, Ec2Server

REGION = "us-east-1"
REPOSITORY = "team/fraud-detection"


@pytest.fixture(scope="module")
def machines(tmp_path_factory):
    """A function that runs the bake's machines.py (as the CI files do) against a fresh EC2."""
    script = bake(tmp_path_factory.mktemp("bake"), ci="github", git_init=False) / "src/fraud_detection/ci/machines.py"
    server = Ec2Server().start()

    def call(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **server.env(), "PATH": f"{AWS_TOOLS}:{os.environ['PATH']}"}
        env |= {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env)

    call.server = server
    yield call
    server.stop()


def test_the_janitor_terminates_only_this_repositorys_old_machines(machines):
    """Older than the limit and tagged with this repository: terminated. Young, untagged, or of
    another repository: left alone. Each termination is said in one line."""
    ec2 = machines.server
    old = ec2.launch(REGION, {"ci-repository": REPOSITORY, "ci-run": "cml-1-1"})
    untagged = ec2.launch(REGION, {})
    elsewhere = ec2.launch(REGION, {"ci-repository": "team/another", "ci-run": "cml-1-1"})
    # The limit below is 18 s: the old machines are 30 s older than the young one, which the
    # janitor sees seconds after its launch, even on a busy machine.
    time.sleep(30)
    young = ec2.launch(REGION, {"ci-repository": REPOSITORY, "ci-run": "cml-2-1"})
    result = machines("janitor", "--region", REGION, "--repository", REPOSITORY, "--older-than", "0.3")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"Terminated {old} (ci-repository={REPOSITORY}, ci-run=cml-1-1): up ")
    states = {name: ec2.instances(REGION)[name]["state"] for name in (old, untagged, elsewhere, young)}
    assert states == {old: "terminated", untagged: "running", elsewhere: "running", young: "running"}
    again = machines("janitor", "--region", REGION, "--repository", REPOSITORY, "--older-than", "60")
    assert again.stdout.strip() == f"No machine of {REPOSITORY} in {REGION} is older than 60 min."


def test_teardown_terminates_the_runs_machines_and_end_on_shutdown_arms_them(machines):
    ec2 = machines.server
    mine = ec2.launch(REGION, {"ci-repository": REPOSITORY, "ci-run": "ec2-7-1"})
    other = ec2.launch(REGION, {"ci-repository": REPOSITORY, "ci-run": "ec2-8-1"})
    armed = machines("end-on-shutdown", "--region", "us-east", "--tag", "ci-run=ec2-7-1")  # CML's region name
    assert armed.stdout.strip() == f"Machine(s) {mine} will terminate when they power off."
    assert ec2.attribute(REGION, mine, "instanceInitiatedShutdownBehavior") == "terminate"
    assert ec2.attribute(REGION, other, "instanceInitiatedShutdownBehavior") == "stop"
    result = machines("teardown", "--region", REGION, "--tag", "ci-run=ec2-7-1")
    assert result.stdout.strip() == f"Terminated runner machine(s) left by this run: {mine}"
    assert ec2.instances(REGION)[mine]["state"] == "terminated" and ec2.instances(REGION)[other]["state"] == "running"
    assert (
        machines("teardown", "--region", REGION, "--tag", "ci-run=ec2-7-1").stdout.strip() == "No runner machine left."
    )


def test_an_aws_failure_is_one_line(machines):
    """EC2 refusing (here: a region it does not know) ends in one ERROR line naming the call."""
    result = machines("teardown", "--region", "mars-north-1", "--tag", "ci-run=x")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("ERROR: aws ec2 describe-instances failed:")
