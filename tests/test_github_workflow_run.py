"""The GitHub workflows of a baked project, run for real under act: launch-runner, train, teardown;
and test.yml, the project's own checks.

What runs for real: every job and step of .github/workflows/train.yml on this machine (act),
the project's `ci` commands, DVC against an S3 server on 127.0.0.1, the real CML command line
posting to a GitHub stand-in on 127.0.0.1 (API, git over HTTPS, image uploads), and the
teardown's `aws ec2` calls against moto's EC2. What cannot: the machine that `cml runner
launch` starts (Terraform and a cloud account); its handler is a recorder, after CML's own
parser has checked every option (tests/actions/setup-node/cml.js, which the npm stand-in installs).

The project reads orders from an HTTP server on 127.0.0.1; main's model was trained on the
first day's rows and pushed before the runs.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from act_runner import run_workflow
from conftest import ORDERS_PARAMS, bake, orders, run, set_params
from ec2_server import Ec2Server
from forge_server import ForgeServer
from http_server import HttpServer
from s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.workflow_run, pytest.mark.xdist_group("act")]

DAY = 600  # orders a day
LABEL = "cml-1-1"  # the runner label of act's run 1, attempt 1
REGION = "us-east-1"


class World:
    """The servers and the origin repository that every run of this module shares."""

    def __init__(self, root):
        self.root = root
        self.s3 = S3Server(root / "s3").start()
        self.s3.make_bucket("models")
        self.ec2 = Ec2Server().start()
        self.http = HttpServer(root / "www").start()
        self.forge = ForgeServer(root / "forge", kind="github").start()

    def stop(self):
        for server in (self.forge, self.http, self.ec2, self.s3):
            server.stop()

    def secrets(self) -> dict[str, str]:
        """What a repository of the team has: the token, and keys of the DVC remote and AWS."""
        keys = self.s3.credentials()
        return {
            "GITHUB_TOKEN": self.forge.token,
            "CML_RUNNER_TOKEN": self.forge.token,
            "AWS_ACCESS_KEY_ID": keys["AWS_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": keys["AWS_SECRET_ACCESS_KEY"],
        }

    def env(self) -> dict[str, str]:
        return {**self.ec2.env(), "AWS_DEFAULT_REGION": REGION}

    def publish(self, frame) -> None:
        frame.to_csv(self.root / "www/orders.csv", index=False)

    def git_env(self) -> dict[str, str]:
        """git's settings for the origin: trust its certificate, send the token, never prompt."""
        header = "AUTHORIZATION: basic " + base64.b64encode(f"x:{self.forge.token}".encode()).decode()
        return {
            **self.forge.client_env(), "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraheader", "GIT_CONFIG_VALUE_0": header,
        }  # fmt: skip

    def clone(self, name: str):
        """A clone of the origin, as a developer's machine has it."""
        path = self.root / name
        env = {**os.environ, **self.git_env()}
        subprocess.run(["git", "clone", "-q", self.forge.repo_url + ".git", str(path)], check=True, env=env)
        return path

    def push(self, project, *refspec: str) -> str:
        """Push ``refspec`` to the origin; return HEAD's commit."""
        run(project, "git", "push", "-q", "origin", *refspec, env=self.git_env())
        return run(project, "git", "rev-parse", "HEAD").stdout.strip()

    def objects(self) -> set[str]:
        """The files in the DVC remote."""
        return {str(path) for path in (self.s3.root / "models").rglob("*") if path.is_file()}


@contextmanager
def trained_world(root: Path, **params: object) -> Iterator[World]:
    """Servers up, and main on the origin with a model trained on day 1 and pushed.

    The project reads the orders over HTTP, with ``params`` set besides.
    """
    world = World(root)
    try:
        world.publish(orders(DAY))
        project = bake(
            root / "bake", ci="github", dvc_remote="s3", dvc_remote_url="s3://models/fraud",
            dvc_remote_endpoint_url=world.s3.endpoint,
        )  # fmt: skip
        set_params(project, get_data__source=world.http.url("orders.csv"), gate__min=0.0, **ORDERS_PARAMS, **params)
        run(project, str(Path(sys.executable).parent / "uv"), "lock", "--quiet")  # CI installs with --locked
        run(project, "git", "add", "uv.lock")
        run(project, "git", "commit", "-qam", "Read the orders, lock the environment")
        run(project, "git", "remote", "add", "origin", world.forge.repo_url + ".git")
        env = {**world.s3.credentials(), "CI": ""}
        run(project, sys.executable, "-m", "fraud_detection.ci", "train", env=env)
        run(project, "git", "add", "dvc.lock")
        run(project, "git", "commit", "-qm", "Train on day 1")
        world.push(project, "main")
        yield world
    finally:
        world.stop()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The world of this module's runs (see ``trained_world``)."""
    with trained_world(tmp_path_factory.mktemp("world")) as world:
        yield world


def pull_request(world, branch: str, number: int, fork: bool = False, **params) -> tuple:
    """Push ``branch`` with ``params`` changed and declare its pull request; its clone and payload."""
    project = world.clone(f"pr-{number}")
    run(project, "git", "checkout", "-qb", branch)
    set_params(project, **params)
    run(project, "git", "commit", "-qam", f"Try {params}")
    sha = world.push(project, branch)
    world.forge.add_pull(number, branch, sha)
    owner = "someone" if fork else "team"
    payload = {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": branch, "sha": sha, "repo": {"full_name": f"{owner}/fraud-detection"}},
            "base": {"ref": "main", "repo": {"full_name": "team/fraud-detection"}},
        },
        "repository": {"full_name": "team/fraud-detection", "name": "fraud-detection", "owner": {"login": "team"}},
    }
    return project, payload


def machine_state(world, launch: dict) -> str:
    """The state now of the EC2 instance that the recorded ``launch`` left."""
    region = {"us-east": "us-east-1", "eu-west": "eu-west-1"}.get(launch["region"], launch["region"])
    return world.ec2.instances(region)[launch["instance"]]["state"]


def boot_script_asks(script: str, root: Path) -> list[str]:
    """Run a machine's boot script as the machine would, with `shutdown` recording its arguments."""
    folder = Path(tempfile.mkdtemp(dir=root))
    (folder / "shutdown").write_text(f'#!/bin/sh\necho "$@" > {folder / "asked"}\n')
    (folder / "shutdown").chmod(0o755)
    (folder / "boot.sh").write_text(script)
    subprocess.run(
        ["sh", str(folder / "boot.sh")], check=True, env={**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}
    )
    return shlex.split((folder / "asked").read_text())[:2]


def with_runner(world, runner: str, branch: str, number: int, depth: int, **answers) -> tuple:
    """A pull request whose train.yml is that of a bake with ``runner`` (the other answers as the
    world's bake), training trees ``depth`` deep, a depth no other run of the world trains, so
    its model is new to the remote; its clone and payload."""
    baked = bake(world.root / f"bake-{runner}", ci="github", runner=runner, **answers)
    project, payload = pull_request(world, branch, number, train__xgboost__max_depth=depth)
    for name in (".github/workflows/train.yml", ".github/actionlint.yaml"):
        shutil.copy(baked / name, project / name)
    run(project, "git", "commit", "-qam", f"Train on runners of {runner}")
    sha = world.push(project, branch)
    world.forge.pulls[-1]["head_sha"] = sha
    payload["pull_request"]["head"]["sha"] = sha
    return project, payload


def plain(log: str) -> str:
    """``log`` without its colours (pytest colours its output under act)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", log)


def report_comments(world, before: int) -> list[dict]:
    """The comments posted since there were ``before``."""
    return world.forge.comments[before:]


def test_a_pull_request_trains_on_the_runner_posts_the_report_and_tears_down(world):
    """launch-runner asks CML for a one-job runner tagged with the run; train pulls, trains the
    branch's parameters, pushes to S3, posts the report on the pull request with its figures
    uploaded, and passes the gate; teardown terminates the machine the launch left."""
    project, payload = pull_request(world, "deeper-trees", 7, train__xgboost__max_depth=4)
    objects, comments = world.objects(), len(world.forge.comments)
    result = run_workflow(project, "pull_request", payload, world.forge, world.secrets(), world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert [result.job_result(job) for job in ("launch-runner", "train", "teardown")] == ["succeeded"] * 3
    assert result.job_result("smoke") is None

    [launch] = result.launches
    assert (launch["cloud"], launch["region"], launch["type"], launch["gpu"]) == ("aws", REGION, "m", None)
    assert launch["labels"] == LABEL and launch["metadata"] == {
        "ci-repository": "team/fraud-detection",
        "ci-run": LABEL,
    }
    assert launch["single"] and launch["idleTimeout"] == 600 and launch["hddSize"] == 64 and not launch["spot"]
    # The machine ends itself: its boot script powers it off after MACHINE_MINUTES, and on AWS
    # the launch job made power-off terminate it.
    assert boot_script_asks(base64.b64decode(launch["startupScript"]).decode(), world.root) == ["-h", "+400"]
    assert world.ec2.attribute(REGION, launch["instance"], "instanceInitiatedShutdownBehavior") == "terminate"

    assert world.objects() > objects, "nothing new was pushed to the DVC remote"
    [comment] = report_comments(world, comments)
    assert (comment["target"], comment["number"]) == ("pr", 7)
    body = comment["body"]
    assert "# Training report" in body and "`origin/main`'s model (champion)" in body
    assert "**Quality gate: passed**" in body
    assert "## Time and cost" in body and "| train |" in body
    assert "aws `m5.2xlarge` (CML's `m`) at $0.384/h" in body
    figures = [upload for upload in world.forge.uploads if upload["mime"] == "image/png"]
    assert figures and all(f"/assets/{upload['sha256']}" in body for upload in figures)
    assert "quality gate passed" in result.log

    assert machine_state(world, launch) == "terminated"
    assert "Terminated runner machine(s) left by this run" in result.log
    unknown = [request for request in world.forge.requests() if request["route"] is None]
    assert not unknown, unknown


def test_a_worse_model_fails_the_gate_and_teardown_still_runs(world):
    """A pull request whose model is much worse than main's on the same test rows: the report is
    posted, the gate fails the train job, and teardown still terminates the machine."""
    project, payload = pull_request(
        world, "stumps", 8, train__xgboost__max_depth=1, train__xgboost__n_estimators=1,
        train__xgboost__learning_rate=0.01, train__xgboost__early_stopping_rounds=None,
    )  # fmt: skip
    comments = len(world.forge.comments)
    result = run_workflow(project, "pull_request", payload, world.forge, world.secrets(), world.env())
    assert result.returncode != 0
    assert [result.job_result(job) for job in ("launch-runner", "train", "teardown")] == [
        "succeeded", "failed", "succeeded",
    ], result.log[-6000:]  # fmt: skip
    assert "quality gate failed" in result.log and "below the base model's" in result.log
    [comment] = report_comments(world, comments)
    assert "**Quality gate: failed.**" in comment["body"]
    assert "Training: failure" in result.log  # teardown's summary
    assert machine_state(world, result.launches[0]) == "terminated"


def test_new_data_dispatched_with_nothing_new_trains_nothing_and_opens_nothing(world):
    """A repository_dispatch event of type new-data (what the job that writes the data sends)
    starts the training on main as a schedule would; with no new orders behind the URL,
    check_source finds them unchanged, no other stage runs, and no pull request is opened."""
    project = world.clone("new-data")
    pulls = len(world.forge.pulls)
    payload = {"action": "new-data", "client_payload": {}, "repository": {"full_name": "team/fraud-detection"}}
    result = run_workflow(project, "repository_dispatch", payload, world.forge, world.secrets(), world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert [result.job_result(job) for job in ("launch-runner", "train", "teardown")] == ["succeeded"] * 3
    assert "Running stage 'check_source'" in result.log
    assert "Running stage 'get_data'" not in result.log and "Running stage 'train'" not in result.log
    assert "dvc.lock is unchanged: nothing to propose" in result.log
    assert world.forge.pulls[pulls:] == []


def test_a_day_of_broken_data_is_refused_and_its_findings_posted(world):
    """The schedule on main, after the export renamed a column: check_data refuses the day, the
    train job fails before anything is trained, the findings are posted on the commit instead
    of a report, no pull request is opened, and teardown still runs."""
    world.publish(orders(DAY).rename(columns={"amount": "total"}))
    try:
        project = world.clone("refused")
        pulls, comments = len(world.forge.pulls), len(world.forge.comments)
        payload = {"schedule": "0 8 * * *", "repository": {"full_name": "team/fraud-detection"}}
        result = run_workflow(project, "schedule", payload, world.forge, world.secrets(), world.env())
        assert result.returncode != 0
        assert [result.job_result(job) for job in ("launch-runner", "train", "teardown")] == [
            "succeeded", "failed", "succeeded",
        ], result.log[-6000:]  # fmt: skip
        assert "ERROR: column 'amount' is missing from today's data" in result.log
        assert "Running stage 'prepare'" not in result.log and "Running stage 'train'" not in result.log
        [comment] = world.forge.comments[comments:]
        assert comment["target"] == "commit"
        assert comment["body"].startswith("# Data refused") and "column 'amount' is missing" in comment["body"]
        assert world.forge.pulls[pulls:] == []
    finally:
        world.publish(orders(DAY))


def test_a_scheduled_run_on_new_data_proposes_the_retrained_model(world):
    """The schedule on main, after new orders arrived behind the same URL: check_source sees
    them, the pipeline retrains, and the real `cml pr create` pushes a branch with the new
    dvc.lock (its commit marked to skip CI) and opens a pull request through the API."""
    world.publish(orders(2 * DAY))
    project = world.clone("schedule")
    objects, pulls = world.objects(), len(world.forge.pulls)
    payload = {"schedule": "0 8 * * *", "repository": {"full_name": "team/fraud-detection"}}
    result = run_workflow(project, "schedule", payload, world.forge, world.secrets(), world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert "Running stage 'get_data'" in result.log and "Running stage 'train'" in result.log
    assert world.objects() > objects

    [pull] = world.forge.pulls[pulls:]
    assert pull["base_ref"] == "main" and pull["title"] == "Retrained model (1)"
    branch = pull["head_ref"]
    log = subprocess.run(
        ["git", "-C", str(world.forge.bare), "log", "-1", "--format=%s", branch], capture_output=True, text=True
    ).stdout
    assert "[skip ci]" in log
    changed = subprocess.run(
        ["git", "-C", str(world.forge.bare), "diff", "--name-only", "main", branch], capture_output=True, text=True
    ).stdout.split()
    assert changed == ["dvc.lock"]


def test_a_run_started_from_a_laptop_passes_its_settings_to_the_launch_and_the_training(world):
    """`ci launch` on a branch dispatches the workflow through the API; that dispatch, run by
    act, hands its inputs to `cml runner launch` (region, type, spot) and to `ci train` (the
    experiment's arguments); the report prices that runner; the experiment is proposed to the
    branch; a machine that already stopped by itself leaves teardown nothing to do, and no error."""
    project = world.clone("dispatch")
    run(project, "git", "checkout", "-qb", "tuning")
    world.push(project, "tuning")
    dispatches = len(world.forge.dispatches)
    run(
        project, sys.executable, "-m", "fraud_detection.ci", "launch", "--exp-args", "-S train.xgboost.max_depth=3",
        "--region", "eu-west", "--instance-type", "l", "--spot",
        env={**world.forge.client_env(), "GITHUB_TOKEN": world.forge.token},
    )  # fmt: skip
    [dispatch] = world.forge.dispatches[dispatches:]
    assert dispatch["ref"] == "tuning"

    comments, pulls = len(world.forge.comments), len(world.forge.pulls)
    payload = {
        "inputs": dispatch["inputs"], "ref": f"refs/heads/{dispatch['ref']}",
        "repository": {"full_name": "team/fraud-detection"},
    }  # fmt: skip
    result = run_workflow(
        project, "workflow_dispatch", payload, world.forge, world.secrets(),
        {**world.env(), "CML_LAUNCH_MACHINE": "gone"}, dispatch["inputs"],
    )  # fmt: skip
    assert result.returncode == 0, result.log[-6000:]
    [launch] = result.launches
    assert (launch["region"], launch["type"], launch["spot"]) == ("eu-west", "l", True)
    assert "Ran experiment(s)" in result.log

    [comment] = report_comments(world, comments)
    assert comment["target"] == "commit"  # no pull request: the report goes on the commit
    assert "aws `m5.8xlarge` (CML's `l`) at $1.536/h" in comment["body"] and "spot instance" in comment["body"]
    [pull] = world.forge.pulls[pulls:]
    assert pull["base_ref"] == "tuning"
    params = subprocess.run(
        ["git", "-C", str(world.forge.bare), "show", f"{pull['head_ref']}:params.yaml"],
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert "max_depth: 3" in params
    assert machine_state(world, launch) == "terminated"
    assert "No runner machine left." in result.log


def test_an_ec2_github_runner_bake_trains_on_its_machine_and_stops_it(world):
    """runner ec2-github-runner: launch-runner asks GitHub for a just-in-time runner and starts an
    EC2 machine with the action (its stand-in, against moto and the forge), tagged with the
    repository and the run, whose boot script powers it off after MACHINE_MINUTES and whom
    power-off terminates; train runs on it to a pushed model and a report; teardown's stop
    terminates it."""
    project, payload = with_runner(world, "ec2-github-runner", "on-ec2", 11, depth=5)
    subnet, group = world.ec2.default_network(REGION)
    variables = {
        "RUNNER_AMI_ID": "ami-0123456789abcdef0",
        "RUNNER_SUBNET_ID": subnet,
        "RUNNER_SECURITY_GROUP_ID": group,
    }
    objects, comments, before = world.objects(), len(world.forge.comments), set(world.ec2.instances(REGION))
    secrets = {**world.secrets(), "RUNNER_TOKEN": world.forge.token}
    result = run_workflow(project, "pull_request", payload, world.forge, secrets, world.env(), variables=variables)
    assert result.returncode == 0, result.log[-6000:]
    assert [result.job_result(job) for job in ("launch-runner", "train", "teardown")] == ["succeeded"] * 3
    assert not result.launches  # no CML launch

    assert [r["name"] for r in world.forge.runners if r["labels"] == [{"name": "ec2-1-1"}]] == ["ec2-ec2-1-1"]
    [machine] = [m for m in set(world.ec2.instances(REGION)) - before]
    described = world.ec2.instances(REGION)[machine]
    assert described["tags"] == {"ci-repository": "team/fraud-detection", "ci-run": "ec2-1-1"}
    assert described["state"] == "terminated", "teardown's stop left the machine"
    assert world.ec2.attribute(REGION, machine, "instanceInitiatedShutdownBehavior") == "terminate"
    user_data = base64.b64decode(world.ec2.attribute(REGION, machine, "userData")).decode()
    assert "./run.sh --jitconfig jit-config-of-ec2-ec2-1-1" in user_data
    boot = user_data.split("<< 'PRE_RUNNER_SCRIPT'\n")[1].split("\nPRE_RUNNER_SCRIPT")[0]
    assert boot_script_asks(boot, world.root) == ["-h", "+400"]

    assert world.objects() > objects, "nothing new was pushed to the DVC remote"
    [comment] = report_comments(world, comments)
    assert (comment["target"], comment["number"]) == ("pr", 11) and "# Training report" in comment["body"]
    assert "aws `m5.2xlarge`" in comment["body"]  # CML's m, as EC2 names it
    assert "Terminated runner machine(s)" not in result.log and "No runner machine left." in result.log


def test_a_labels_bake_trains_on_your_own_runner(world):
    """runner labels: train runs on the runner the bake's labels name (this machine, for act),
    with no launch and no teardown, to a pushed model and a report that prices nothing."""
    project, payload = with_runner(world, "labels", "on-own-runner", 12, depth=7, runner_labels="self-hosted, gpu")
    objects, comments = world.objects(), len(world.forge.comments)
    result = run_workflow(project, "pull_request", payload, world.forge, world.secrets(), world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert result.job_result("train") == "succeeded"
    assert all(result.job_result(job) is None for job in ("launch-runner", "teardown", "smoke"))
    assert not result.launches
    assert world.objects() > objects, "nothing new was pushed to the DVC remote"
    [comment] = report_comments(world, comments)
    assert (comment["target"], comment["number"]) == ("pr", 12) and "**Quality gate: passed**" in comment["body"]
    assert "no cost estimate" in comment["body"]


def test_the_janitor_runs_on_its_schedule_and_leaves_young_machines(world):
    """janitor.yml on its schedule: it reads this repository's machines from EC2 (moto) and,
    none being older than the limit, terminates nothing and says so. (Which machines it
    terminates is run against moto in test_machines.py.)"""
    project = world.clone("janitor")
    young = world.ec2.launch(REGION, {"ci-repository": "team/fraud-detection", "ci-run": "cml-9-1"})
    payload = {"schedule": "17 * * * *", "repository": {"full_name": "team/fraud-detection"}}
    result = run_workflow(
        project, "schedule", payload, world.forge, world.secrets(), world.env(), workflow="janitor.yml"
    )
    assert result.returncode == 0, result.log[-4000:]
    assert result.job_result("janitor") == "succeeded"
    assert "No machine of team/fraud-detection in us-east-1 is older than 420 min." in result.log
    assert world.ec2.instances(REGION)[young]["state"] == "running"


def test_a_pull_request_from_a_fork_gets_a_smoke_run(world):
    """A fork's pull request has no secrets: no launch, no training on a cloud machine, no push,
    no report, no teardown; the smoke job runs the pipeline on reduced data and says so."""
    project, payload = pull_request(world, "fork-change", 9, fork=True, train__xgboost__max_depth=5)
    objects, comments = world.objects(), len(world.forge.comments)
    secrets = {"GITHUB_TOKEN": world.forge.token}  # a fork's run gets a read-only token, nothing else
    result = run_workflow(project, "pull_request", payload, world.forge, secrets, world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert result.job_result("smoke") == "succeeded"
    assert all(result.job_result(job) is None for job in ("launch-runner", "train", "teardown"))
    assert not result.launches
    summary = re.search(r"⚙  Summary - ### Smoke run only: this pull request comes from a fork", result.log)
    assert summary, result.log[-4000:]  # act shows what the job wrote to $GITHUB_STEP_SUMMARY
    assert "smoke run passed on at most 2000 rows" in result.log
    assert world.objects() == objects and len(world.forge.comments) == comments


def test_a_pull_request_runs_the_projects_checks_on_a_hosted_runner(world):
    """test.yml on a pull request, a fork's with a read-only token and no secret: on the hosted
    runner, uv installs uv.lock with its cache on, then the quick tests, ruff and lint-imports
    run and pass; nothing is launched, trained or posted."""
    project, payload = pull_request(world, "checked", 13, fork=True, train__xgboost__max_depth=2)
    objects, comments = world.objects(), len(world.forge.comments)
    result = run_workflow(
        project, "pull_request", payload, world.forge, {"GITHUB_TOKEN": world.forge.token}, world.env(),
        workflow="test.yml",
    )  # fmt: skip
    log = plain(result.log)
    assert result.returncode == 0, log[-6000:]
    assert result.job_result("test") == "succeeded"
    assert "cache: true" in log  # what the setup-uv stand-in was asked
    summary = re.search(r"=+ (\d+ passed\b[^=\n]*?\d+ deselected[^=\n]*?) in [\d.]+s\b", log)  # -m "not slow"
    assert summary and "failed" not in summary.group(1), log[-4000:]
    assert "All checks passed!" in log  # ruff
    assert re.search(r"Contracts: \d+ kept, 0 broken\.", log)  # lint-imports
    assert not result.launches and world.objects() == objects and len(world.forge.comments) == comments


def test_a_pull_request_that_breaks_a_test_fails_the_checks(world):
    """test.yml on a pull request that adds a failing test: the Tests step fails the job and
    names the test; the steps after it do not run."""
    project, payload = pull_request(world, "broken", 14, train__xgboost__max_depth=3)
    (project / "tests/test_broken.py").write_text(
        '"""A test that this change breaks."""\n\n\ndef test_the_change_keeps_the_sum():\n    assert sum([1, 1]) == 3\n'
    )
    run(project, "git", "add", "tests/test_broken.py")
    run(project, "git", "commit", "-qm", "Break a test")
    sha = world.push(project, "broken")
    world.forge.pulls[-1]["head_sha"] = payload["pull_request"]["head"]["sha"] = sha
    result = run_workflow(
        project, "pull_request", payload, world.forge, {"GITHUB_TOKEN": world.forge.token}, world.env(),
        workflow="test.yml",
    )  # fmt: skip
    log = plain(result.log)
    assert result.returncode != 0
    assert result.job_result("test") == "failed", log[-6000:]
    assert "FAILED tests/test_broken.py::test_the_change_keeps_the_sum" in log
    assert re.search(r"\b1 failed, \d+ passed", log), log[-4000:]  # the others still pass
    assert "All checks passed!" not in log and "Contracts:" not in log


def test_a_retrained_model_landing_on_main_is_released(world):
    """A push to main that changes dvc.lock (a merged retrained model) runs only the release job:
    it pulls the model, passes the gate, registers it with GTO and pushes the version tag."""
    project = world.clone("release")
    set_params(project, train__xgboost__max_depth=5)
    run(project, sys.executable, "-m", "fraud_detection.ci", "train", env={**world.s3.credentials(), "CI": ""})
    run(project, "git", "commit", "-qam", "Retrained model")
    before = run(project, "git", "rev-parse", "HEAD~1").stdout.strip()
    after = world.push(project, "main")
    payload = {
        "ref": "refs/heads/main", "before": before, "after": after,
        "repository": {"full_name": "team/fraud-detection"},
    }  # fmt: skip
    result = run_workflow(project, "push", payload, world.forge, world.secrets(), world.env())
    assert result.returncode == 0, result.log[-6000:]
    assert result.job_result("release") == "succeeded"
    assert all(result.job_result(job) is None for job in ("launch-runner", "train", "smoke", "teardown"))
    assert not result.launches
    assert "released model@v0.0.1 and pushed the tags to origin" in result.log
    tagged = subprocess.run(
        ["git", "-C", str(world.forge.bare), "rev-list", "-n1", "model@v0.0.1"], capture_output=True, text=True
    )
    assert tagged.stdout.strip() == after
