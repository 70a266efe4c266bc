"""The CI files of baked projects: validated by real validators, their structure asserted, and the
GitLab pipeline run for real by gitlab-ci-local, posting through the real CML.

Every bake's GitHub workflows (train.yml, sweep.yml, test.yml, janitor.yml: whatever the bake
holds) are checked against the official JSON schema (check-jsonschema's vendored copy) and by
actionlint with shellcheck on every `run:` block; one bake's workflows also run job by job under
act (test_github_workflow_run.py, test_github_sweep_run.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from act_runner import STAND_INS
from conftest import OPTIONS, TEMPLATE, bake, run, set_params
from forge_server import ForgeServer
from s3_server import S3Server

BIN = Path(sys.executable).parent
GITLAB_CI_LOCAL = TEMPLATE / ".tools/node_modules/.bin/gitlab-ci-local"
# Predefined variables the tests set themselves (gitlab-ci-local warns about each otherwise).
PREDEFINED = (
    "CI_COMMIT_MESSAGE",
    "CI_PIPELINE_SOURCE",
    "CI_COMMIT_BRANCH",
    "CI_DEFAULT_BRANCH",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
)
BAKES = {
    "github-aws-keys": {"ci": "github", "dvc_remote": "s3", "dvc_remote_url": "s3://models/fraud"},
    "github-ec2-runner-oidc": {"ci": "github", "runner": "ec2-github-runner", "aws_auth": "oidc", "cloud_gpu": "l4"},
    "both-labels": {"ci": "both", "runner": "labels", "runner_labels": "self-hosted, linux, gpu", "cloud_gpu": "t4"},
    "github-oidc-spot-no-schedule": {"ci": "github", "aws_auth": "oidc", "cloud_spot": True, "training_schedule": ""},
    "both-gcp-gpu": {"ci": "both", "cloud": "gcp", "cloud_gpu": "t4", "training_schedule": "30 2 * * 1"},
    "gitlab-azure": {"ci": "gitlab", "cloud": "azure", "dvc_remote": "azure", "dvc_remote_url": "azure://c/p"},
}
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@v\d+(\.\d+)*$")
# The project's own checks, in the order both CI systems run them.
CHECKS = ["uv sync --locked", 'uv run pytest -m "not slow"', "uv run ruff check", "uv run lint-imports"]
# The CML command line the workflow tests run; the CI files must install this very version.
CML_VERSION = json.loads((TEMPLATE / ".tools/node_modules/@dvcorg/cml/package.json").read_text())["version"]


@pytest.fixture(scope="module", params=BAKES.values(), ids=BAKES.keys())
def baked(request, tmp_path_factory):
    """A project baked with one CI combination, and its answers."""
    return bake(tmp_path_factory.mktemp("wf"), **request.param), request.param


def workflow(project: Path, name: str = "train") -> dict:
    """The parsed GitHub workflow (PyYAML reads the key `on` as True)."""
    return yaml.safe_load((project / f".github/workflows/{name}.yml").read_text())


def gitlab(project: Path) -> dict:
    """The parsed GitLab pipeline."""
    return yaml.safe_load((project / ".gitlab-ci.yml").read_text())


def github_wanted(answers: dict) -> bool:
    return answers["ci"] in ("github", "both")


def provider(answers: dict) -> str:
    """Who provides the training machine: cml, ec2-github-runner or labels."""
    return answers.get("runner", "cml")


def launches(answers: dict) -> bool:
    """Whether CI launches (and tears down) a machine for each run."""
    return provider(answers) != "labels"


def workflows(project: Path) -> list[str]:
    """The GitHub workflow files of a bake."""
    return sorted(f".github/workflows/{path.name}" for path in (project / ".github/workflows").glob("*.yml"))


def python_version(answers: dict) -> str:
    """The lowest Python the bake supports."""
    return answers.get("python_version", OPTIONS["python_version"][0])


def own_labels(answers: dict) -> list[str]:
    return [label.strip() for label in answers["runner_labels"].split(",")]


def gitlab_wanted(answers: dict) -> bool:
    return answers["ci"] in ("gitlab", "both")


def test_ci_files_follow_the_answer(baked):
    """The workflows and actionlint settings exist for github/both, .gitlab-ci.yml for gitlab/both."""
    project, answers = baked
    for name in ("train", "sweep", "test"):
        assert (project / f".github/workflows/{name}.yml").exists() == github_wanted(answers)
    janitor = github_wanted(answers) and launches(answers) and answers.get("cloud", "aws") == "aws"
    assert (project / ".github/workflows/janitor.yml").exists() == janitor
    assert (project / ".github/actionlint.yaml").exists() == github_wanted(answers)
    assert (project / ".gitlab-ci.yml").exists() == gitlab_wanted(answers)


def test_schemas_accept_the_ci_files(baked):
    """check-jsonschema's vendored GitHub-workflow and GitLab-CI schemas accept the files."""
    project, answers = baked
    checks = []
    if github_wanted(answers):
        checks += [("vendor.github-workflows", name) for name in workflows(project)]
        checks += [("custom.github-workflows-require-timeout", name) for name in workflows(project)]
    if gitlab_wanted(answers):
        checks += [("vendor.gitlab-ci", ".gitlab-ci.yml")]
    for schema, path in checks:
        run(project, str(BIN / "check-jsonschema"), "--builtin-schema", schema, path)


def test_actionlint_and_shellcheck_pass(baked):
    """actionlint, with shellcheck on every `run:` block, finds nothing in the workflows."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    assert shutil.which("shellcheck"), "shellcheck must be installed (tools/setup-test-tools.sh)"
    config = project / ".github/actionlint.yaml"
    result = run(
        project, str(BIN / "actionlint"), "-shellcheck", shutil.which("shellcheck"), "-config-file", str(config),
        *workflows(project), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_triggers_follow_the_answers(baked):
    """Pull requests, a manual run with runner inputs, and the baked schedule (or none)."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    on = workflow(project)[True]
    assert on["pull_request"]["branches"] == ["main"]
    assert on["repository_dispatch"] == {"types": ["new-data"]}  # the job that writes the data
    inputs = on["workflow_dispatch"]["inputs"]
    expected = {
        "cml": {"exp_args", "cloud", "region", "instance_type", "gpu", "spot"},
        "ec2-github-runner": {"exp_args", "region", "instance_type", "gpu", "spot"},  # AWS only
        "labels": {"exp_args", "gpu"},  # your runners: nothing to launch
    }[provider(answers)]
    assert set(inputs) == expected
    if "cloud" in inputs:
        assert inputs["cloud"]["default"] == answers.get("cloud", "aws")
    assert inputs["gpu"]["default"] == answers.get("cloud_gpu", "nogpu")
    assert inputs["gpu"]["options"] == ["nogpu", "t4", "a10g", "l4", "a100", "h100"]  # what clouds rent now
    if "spot" in inputs:
        assert inputs["spot"]["default"] is answers.get("cloud_spot", False)
    schedule = answers.get("training_schedule", "0 8 * * *")
    assert on.get("schedule") == ([{"cron": schedule}] if schedule else None)


def test_github_jobs_launch_train_and_always_tear_down(baked):
    """cml: launch-runner runs `cml runner launch` (--single, an idle timeout, the run's label and
    tags); ec2-github-runner: launch-runner starts the machine with the action (spot first if asked,
    then on demand) and teardown stops it; either way train runs on that runner and teardown always
    runs after both. labels: train runs on your runners' labels, with no launch and no teardown.
    Train calls the project's CI module; every job has a timeout."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    jobs = workflow(project)["jobs"]
    assert all(job["timeout-minutes"] <= 360 for job in jobs.values())
    kind = provider(answers)
    if kind == "labels":
        assert list(jobs) == ["train", "smoke", "release"]
        assert jobs["train"]["runs-on"] == own_labels(answers) and "needs" not in jobs["train"]
    else:
        assert list(jobs) == ["launch-runner", "train", "smoke", "release", "teardown"]
        steps = jobs["launch-runner"]["steps"]
        if kind == "cml":
            launch = next(step["run"] for step in steps if "cml runner launch" in step.get("run", ""))
            tags = ('--cloud-metadata="ci-repository=$REPOSITORY"', '--cloud-metadata="ci-run=$LABEL"')
            for flag in ("--single", "--idle-timeout=", "--labels=", "--cloud-gpu=", '--cloud="$CLOUD"', *tags):
                assert flag in launch
        else:
            starts = [step for step in steps if step.get("uses", "").startswith("machulav/ec2-github-runner@")]
            assert [step["id"] for step in starts] == ["spot", "on-demand"]
            assert starts[0]["continue-on-error"] is True and starts[0]["with"]["market-type"] == "spot"
            assert starts[1]["if"] == "steps.spot.outcome != 'success'" and "market-type" not in starts[1]["with"]
            for step in starts:
                assert step["with"]["mode"] == "start" and step["with"]["use-jit"] is True
                assert step["with"]["label"] == "${{ steps.machine.outputs.label }}"
            [stop] = [step for step in jobs["teardown"]["steps"] if step.get("with", {}).get("mode") == "stop"]
            assert stop["with"]["ec2-instance-id"] == "${{ needs.launch-runner.outputs.instance }}"
        assert jobs["train"]["needs"] == "launch-runner"
        prefix = "cml" if kind == "cml" else "ec2"
        assert jobs["train"]["runs-on"] == [
            "self-hosted",
            f"{prefix}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}",
        ]
        assert jobs["teardown"]["if"] == "always() && needs.launch-runner.result != 'skipped'"
        assert jobs["teardown"]["needs"] == ["launch-runner", "train"]
        assert any("machines.py teardown" in step.get("run", "") for step in jobs["teardown"]["steps"])
    runs = " ".join(step.get("run", "") for step in jobs["train"]["steps"])
    for command in ("ci train", "ci report", "ci gate", "ci propose"):
        assert f"python -m fraud_detection.{command}" in runs
    propose = next(step for step in jobs["train"]["steps"] if "ci propose" in step.get("run", ""))
    assert propose["if"] == "github.event_name != 'pull_request'"
    train = next(step for step in jobs["train"]["steps"] if "ci train" in step.get("run", ""))
    refused = next(step for step in jobs["train"]["steps"] if "ci refused" in step.get("run", ""))
    assert refused["if"] == f"failure() && steps.{train['id']}.outcome == 'failure'"  # a refused day, posted


def test_every_launch_ends_its_machine_by_itself(baked):
    """Every launch, in every CI file, hands the machine the boot script that powers it off after
    MACHINE_MINUTES (CML's --cloud-startup-script, ec2-github-runner's pre-runner-script), and
    on AWS sets it to terminate on power-off; removing either fails here. What the boot script
    does, and that the janitor and teardown terminate the right machines, is run under act and
    against moto's EC2 in test_github_workflow_run.py and test_machines.py."""
    project, answers = baked
    if not launches(answers):
        pytest.skip("your own runners: nothing is launched")
    boot = 'boot-script --minutes "$MACHINE_MINUTES"'
    end = "machines.py end-on-shutdown"
    if github_wanted(answers):
        for name, job in (("train", "launch-runner"), ("sweep", "launch-runners")):
            flow = workflow(project, name)
            assert int(flow["env"]["MACHINE_MINUTES"]) >= 360 + 20  # the launch and the longest job
            steps = flow["jobs"][job]["steps"]
            runs = " ".join(step.get("run", "") for step in steps)
            assert boot in runs and end in runs, (name, runs)
            ends = [step for step in steps if end in step.get("run", "")]
            assert all(step["if"].startswith("always()") for step in ends)  # also after a failed start
            if provider(answers) == "cml":
                assert '--cloud-startup-script="$boot"' in runs
            else:
                starts = [step for step in steps if step.get("uses", "").startswith("machulav/ec2-github-runner@")]
                assert starts and all(step["with"]["pre-runner-script"] == "${{ steps.machine.outputs.boot }}"
                                      for step in starts)  # fmt: skip
    if gitlab_wanted(answers):
        pipeline = gitlab(project)
        assert int(pipeline["variables"]["MACHINE_MINUTES"]) >= 380
        for job in ("launch-runner", "sweep-launch"):
            script = " ".join(pipeline[job]["script"])
            assert boot in script and '--cloud-startup-script="$BOOT"' in script, job
            assert end in " ".join(pipeline[job]["after_script"]), job  # after_script runs even on failure


def test_cml_comes_from_npm_at_the_tested_version(baked):
    """No CI file uses iterative/setup-cml (a node16 action no longer maintained) or the stale CML
    images; every job that calls `cml` installs @dvcorg/cml from npm at CML_VERSION, the version
    these tests run; every other action is pinned to a major version."""
    project, answers = baked
    texts = {name: (project / name).read_text() for name in workflows(project) if github_wanted(answers)}
    if gitlab_wanted(answers):
        texts[".gitlab-ci.yml"] = (project / ".gitlab-ci.yml").read_text()
    if not texts:
        pytest.skip("no CI in this bake")
    for name, text in texts.items():
        assert "setup-cml" not in text and "iterative/cml:" not in text, name
    install = 'npm install --global --no-audit --no-fund "@dvcorg/cml@$CML_VERSION"'
    if github_wanted(answers):
        for name in ("train", "sweep"):
            flow = workflow(project, name)
            assert flow["env"]["CML_VERSION"] == CML_VERSION
            for job_name, job in flow["jobs"].items():
                runs = [step.get("run", "") for step in job["steps"]]
                calls = [
                    run
                    for run in runs
                    if re.search(r"^\s*cml |\.ci (report|propose|refused|sweep .*--leaderboard)", run, re.M)
                ]
                if calls:
                    assert any(install in run for run in runs), (name, job_name)
                    node = [step for step in job["steps"] if step.get("uses", "").startswith("actions/setup-node@")]
                    assert node and node[0]["with"]["node-version"] >= 22, (name, job_name)
    if gitlab_wanted(answers):
        pipeline = gitlab(project)
        assert pipeline["variables"]["CML_VERSION"] == CML_VERSION
        assert "@dvcorg/cml@$CML_VERSION" in pipeline[".install"]["cml"]
        for job in ("train", "sweep-leaderboard", *(("launch-runner", "sweep-launch") if launches(answers) else ())):
            assert pipeline[".install"]["cml"] in pipeline[job]["script"], job


def test_github_least_privilege(baked):
    """No default permissions; each job asks for its own; OIDC only when chosen, and not for the
    fork's smoke run, the sweep's plan or the project's checks; secrets only in step env, never in
    a `run:` script, and none for the checks; actions pinned to a version; one training, one
    sweep, and one run of the checks, per branch. Every workflow file of the bake is covered."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    oidc = answers.get("aws_auth") == "oidc"
    for kind in (Path(name).stem for name in workflows(project)):
        flow = workflow(project, kind)
        assert flow["permissions"] == {}
        if kind != "janitor":
            assert flow["concurrency"]["group"] == f"{kind}-${{{{ github.ref }}}}"
        for name, job in flow["jobs"].items():
            assert "permissions" in job, name
            aws = kind != "test" and name not in ("smoke", "plan")
            assert ("id-token" in job["permissions"]) == (oidc and aws), name
            assert "secrets." not in str(job.get("env", "")), name
            for step in job["steps"]:
                if "uses" in step:
                    assert PINNED.match(step["uses"]), step["uses"]
                else:
                    assert "with" not in step, step.get("name")
                assert "secrets." not in step.get("run", ""), step.get("name")
                if "secrets." in str(step.get("with", "")):  # only the runner token, as the action's input
                    assert step["uses"].startswith("machulav/ec2-github-runner@"), step.get("name")
                    assert [key for key, value in step["with"].items() if "secrets." in str(value)] == ["github-token"]
        text = (project / f".github/workflows/{kind}.yml").read_text()
        if kind == "test":
            assert "secrets." not in text  # the checks need no secret, so a fork's pull request runs them too
        else:
            assert ("secrets.AWS_SECRET_ACCESS_KEY" in text) != oidc
        assert "${{ }}" not in text and "${{}}" not in text  # every expression survived baking
    assert set(workflow(project)["jobs"]["train"]["permissions"]) >= {"contents", "pull-requests"}
    sweep = workflow(project, "sweep")["jobs"]
    assert set(sweep["leaderboard"]["permissions"]) >= {"contents", "pull-requests"}
    assert sweep["sweep"]["permissions"]["contents"] == "write"  # it pushes the experiments


def test_github_sweep_fans_out_and_always_tears_down(baked):
    """The sweep workflow: plan's matrix of shares drives one launch per share (its own label; CML
    with --single and an idle timeout, or ec2-github-runner) and one `ci sweep --shard` job per
    share on that runner, or on your runners' labels; the leaderboard job runs after every share;
    teardown always runs after the launches, finding the machines by the run's tag."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    flow = workflow(project, "sweep")
    assert set(flow[True]) == {"workflow_dispatch"}
    assert {"grid", "runners"} <= set(flow[True]["workflow_dispatch"]["inputs"])
    assert flow[True]["workflow_dispatch"]["inputs"]["runners"]["default"] == 2
    jobs = flow["jobs"]
    assert all(job["timeout-minutes"] <= 360 for job in jobs.values())
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert 'ci sweep --grid-args="$GRID" --plan "$RUNNERS"' in jobs["plan"]["steps"][-1]["run"]
    assert jobs["sweep"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["sweep"]["strategy"]["fail-fast"] is False
    shard = jobs["sweep"]["steps"][-1]
    assert shard["env"]["SHARD"] == "${{ matrix.shard }}/${{ matrix.total }}" and '--shard "$SHARD"' in shard["run"]
    runs = " ".join(step.get("run", "") for step in jobs["leaderboard"]["steps"])
    for command in ('ci sweep --grid-args="$GRID" --leaderboard', "ci gate", "ci propose"):
        assert f"python -m fraud_detection.{command}" in runs
    assert jobs["leaderboard"]["needs"] == "sweep"
    if not launches(answers):
        assert list(jobs) == ["plan", "sweep", "leaderboard"]
        assert jobs["sweep"]["runs-on"] == own_labels(answers) and jobs["sweep"]["needs"] == "plan"
        return
    assert list(jobs) == ["plan", "launch-runners", "sweep", "leaderboard", "teardown"]
    assert jobs["launch-runners"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    prefix = "cml" if provider(answers) == "cml" else "ec2"
    label = f"{prefix}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}-${{{{ matrix.shard }}}}"
    steps = jobs["launch-runners"]["steps"]
    if prefix == "cml":
        launch = next(step for step in steps if "cml runner launch" in step.get("run", ""))
        for flag in ("--single", "--idle-timeout=", '--labels="$LABEL"', '--cloud-metadata="ci-run=$RUN_TAG"'):
            assert flag in launch["run"]
        assert launch["env"]["LABEL"] == label
    else:
        [start] = [step for step in steps if step.get("uses", "").startswith("machulav/ec2-github-runner@")]
        assert start["with"]["label"] == label and start["with"]["mode"] == "start"
    assert jobs["sweep"]["runs-on"] == ["self-hosted", label]
    assert jobs["sweep"]["needs"] == ["plan", "launch-runners"]
    assert jobs["teardown"]["if"] == "always() && needs.launch-runners.result != 'skipped'"
    assert jobs["teardown"]["needs"] == ["launch-runners", "sweep"]


def test_github_checks_run_on_every_pull_request_on_a_hosted_runner(baked):
    """test.yml runs the project's own checks on every pull request and push to main, on a
    GitHub-hosted runner whoever provides the training machine, within 15 minutes: setup-uv with
    its cache on and the lowest supported Python, then `uv sync --locked`, the quick tests, ruff
    and lint-imports, in that order. Its setup-uv pin is the one the act run replaces."""
    project, answers = baked
    if not github_wanted(answers):
        pytest.skip("no GitHub workflow in this bake")
    flow = workflow(project, "test")
    assert flow[True] == {"push": {"branches": ["main"]}, "pull_request": {"branches": ["main"]}}
    assert flow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    assert list(flow["jobs"]) == ["test"]
    job = flow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest" and job["timeout-minutes"] <= 15
    assert job["permissions"] == {"contents": "read"}
    checkout, uv, *steps = job["steps"]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["persist-credentials"] is False
    assert uv["uses"].startswith("astral-sh/setup-uv@") and uv["uses"] in STAND_INS  # test_github_workflow_run.py
    assert uv["with"] == {"enable-cache": True, "python-version": python_version(answers)}
    assert [step["run"] for step in steps] == CHECKS


def test_gitlab_pipeline_structure(baked):
    """Commit-message, schedule, web, trigger-API and merge-request triggers; an optional CML
    runner; a push of dvc.lock to the default branch runs the release job alone (`ci release`);
    a teardown that always runs when a runner was launched."""
    project, answers = baked
    if not gitlab_wanted(answers):
        pytest.skip("no GitLab pipeline in this bake")
    pipeline = gitlab(project)
    rules = [rule["if"] for rule in pipeline["workflow"]["rules"]]
    assert "$CI_COMMIT_MESSAGE =~ /^trigger training/" in rules
    for source in ("schedule", "web", "trigger", "merge_request_event"):
        assert f'$CI_PIPELINE_SOURCE == "{source}"' in rules
    [push] = [rule for rule in pipeline["workflow"]["rules"] if "push" in rule["if"]]
    assert push["changes"] == ["dvc.lock"] and push["variables"] == {"RELEASE_ONLY": "true"}
    assert pipeline["stages"] == ["launch", "train", "leaderboard", "release", "teardown"]
    [train] = [line for line in pipeline["train"]["script"] if "ci train" in line]
    assert train.endswith("|| { uv run python -m fraud_detection.ci refused; exit 1; }")  # a refused day, posted
    assert pipeline["release"]["rules"] == [{"if": '$RELEASE_ONLY == "true"'}]
    assert any("ci release --push" in line for line in pipeline["release"]["script"])
    assert pipeline["variables"]["CLOUD"] == answers.get("cloud", "aws")
    if provider(answers) == "labels":  # GitLab's tags: your runners, nothing launched or torn down
        assert pipeline["train"]["tags"] == own_labels(answers) and "needs" not in pipeline["train"]
        assert pipeline["variables"]["LAUNCH_RUNNER"] == "false"
        assert not {"launch-runner", "sweep-launch", "teardown", "janitor"} & set(pipeline)
        return
    # cml, and ec2-github-runner, which is GitHub's: GitLab launches with CML
    launch = " ".join(pipeline["launch-runner"]["script"])
    assert "--single" in launch and '--cloud-metadata="ci-repository=$CI_PROJECT_PATH"' in launch
    assert pipeline["train"]["needs"] == [{"job": "launch-runner", "optional": True}]
    assert pipeline["train"]["tags"] == ["$RUNNER_TAG"]
    never = {"if": '$RELEASE_ONLY == "true" || $SWEEP == "true" || $JANITOR == "true"', "when": "never"}
    for job in ("launch-runner", "train"):
        assert pipeline[job]["rules"][0] == never, job
    assert pipeline["teardown"]["rules"][0] == {"if": '$RELEASE_ONLY == "true" || $JANITOR == "true"', "when": "never"}
    assert pipeline["teardown"]["rules"][1] == {"if": '$LAUNCH_RUNNER == "true"', "when": "always"}
    assert any("machines.py teardown" in line for line in pipeline["teardown"]["script"])
    if answers.get("cloud", "aws") == "aws":
        assert pipeline["janitor"]["rules"] == [{"if": '$JANITOR == "true"'}]
        assert any("machines.py janitor" in line for line in pipeline["janitor"]["script"])


def test_gitlab_sweep_structure(baked):
    """SWEEP on a manual or triggered pipeline runs the sweep instead of the training: one
    launch and one `ci sweep --shard` per SHARE (the same list, CI_NODE_TOTAL the number of
    shares), on a runner labelled with its share; then the leaderboard, gate and proposal;
    teardown also runs after a sweep's launches."""
    project, answers = baked
    if not gitlab_wanted(answers):
        pytest.skip("no GitLab pipeline in this bake")
    pipeline = gitlab(project)
    assert pipeline["variables"]["SWEEP"] == "false" and pipeline["variables"]["SWEEP_GRID"] == ""
    sweep_rule = {"if": '$SWEEP == "true" && $CI_PIPELINE_SOURCE =~ /^(web|trigger)$/'}
    for job in ("sweep-launch", "sweep", "sweep-leaderboard")[0 if launches(answers) else 1 :]:
        assert pipeline[job]["rules"] == [sweep_rule], job
    assert pipeline["sweep"]["parallel"]["matrix"] == [{"SHARE": ["1", "2"]}]
    if provider(answers) == "labels":
        assert pipeline["sweep"]["tags"] == own_labels(answers) and "sweep-launch" not in pipeline
    else:
        assert {"if": '$SWEEP == "true"', "when": "always"} in pipeline["teardown"]["rules"]
        assert pipeline["sweep-launch"]["parallel"]["matrix"] == pipeline["sweep"]["parallel"]["matrix"]
        launch = " ".join(pipeline["sweep-launch"]["script"])
        for flag in (
            "--single",
            "--idle-timeout=",
            '--labels="$RUNNER_TAG-$SHARE"',
            '--cloud-metadata="ci-run=$RUNNER_TAG"',
        ):
            assert flag in launch
        assert pipeline["sweep"]["tags"] == ["$RUNNER_TAG-$SHARE"] and pipeline["sweep"]["needs"] == ["sweep-launch"]
    assert any('--shard "$SHARE/$CI_NODE_TOTAL"' in line for line in pipeline["sweep"]["script"])
    board = " ".join(pipeline["sweep-leaderboard"]["script"])
    for command in ('ci sweep --grid-args="$SWEEP_GRID" --leaderboard', "ci gate", "ci propose"):
        assert f"python -m fraud_detection.{command}" in board
    assert pipeline["sweep-leaderboard"]["needs"] == ["sweep"]


def test_gitlab_checks_run_on_every_merge_request_on_a_shared_runner(baked):
    """The test job runs the project's own checks on merge requests only, in uv's image on
    GitLab's shared runners (no tag, so never the training machine; nothing launched, nothing
    waited for), within 15 minutes: `uv sync --locked`, the quick tests, ruff and lint-imports,
    with uv's cache inside the project, kept by GitLab's cache keyed on uv.lock."""
    project, answers = baked
    if not gitlab_wanted(answers):
        pytest.skip("no GitLab pipeline in this bake")
    pipeline = gitlab(project)
    job = pipeline["test"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    image = f"ghcr.io/astral-sh/uv:python{python_version(answers)}-bookworm"
    assert job["image"] == pipeline["train"]["image"] == image  # Python and uv, as the other jobs
    assert "tags" not in job and job["needs"] == [] and job["stage"] in pipeline["stages"]
    assert job["timeout"] == "15m"
    assert job["variables"] == {"UV_CACHE_DIR": "$CI_PROJECT_DIR/.uv-cache"}
    assert job["cache"] == {"key": {"files": ["uv.lock"]}, "paths": [".uv-cache"]}
    install, *checks = job["script"]
    assert install == "command -v uv || python3 -m pip install --quiet uv"  # as the other jobs
    assert checks == CHECKS


def test_every_ci_install_uses_the_lock(baked):
    """Each `uv sync` in the CI files is `uv sync --locked`: CI trains with the libraries of uv.lock."""
    project, _ = baked
    texts = [
        (project / name).read_text() for name in (*workflows(project), ".gitlab-ci.yml") if (project / name).exists()
    ]
    if not texts:
        pytest.skip("no CI in this bake")
    syncs = [line for text in texts for line in text.splitlines() if "uv sync" in line]
    assert syncs and all("uv sync --locked" in line for line in syncs), syncs


def test_a_gpu_runner_trains_xgboost_on_cuda(baked):
    """Both pipelines hand `--device cuda` to `ci train` on a GPU runner and `cpu` otherwise; `ci
    train` turns it into train.xgboost.device (run for real in test_ci.py). GitLab's shell line is
    run here by bash for each GPU value; GitHub's expression can only be read."""
    project, answers = baked
    if not (github_wanted(answers) or gitlab_wanted(answers)):
        pytest.skip("no CI in this bake")
    if github_wanted(answers):
        step = next(s for s in workflow(project)["jobs"]["train"]["steps"] if "ci train" in s.get("run", ""))
        assert '--device "$DEVICE"' in step["run"]
        assert step["env"]["DEVICE"] == "${{ (inputs.gpu || env.DEFAULT_GPU) != 'nogpu' && 'cuda' || 'cpu' }}"
    if gitlab_wanted(answers):
        script = gitlab(project)["train"]["script"]
        line = next(line for line in script if "DEVICE=" in line)
        assert any('--device "$DEVICE"' in command for command in script if "ci train" in command)
        for gpu, device in (("nogpu", "cpu"), ("h100", "cuda"), ("t4", "cuda")):
            shell = subprocess.run(
                ["bash", "-c", f'{line}\necho "$DEVICE"'], env={"GPU": gpu}, capture_output=True, text=True
            )
            assert shell.stdout.strip() == device, (gpu, shell.stderr)


def gitlab_ci_local(project: Path, variables: dict[str, str], *options: str) -> str:
    """Run the project's pipeline with gitlab-ci-local's shell executor; its log (it must pass)."""
    assert GITLAB_CI_LOCAL.exists(), "run tools/setup-test-tools.sh first"
    command = [str(GITLAB_CI_LOCAL), "--no-color", "--force-shell-executor", "--shell-isolation", *options]
    command += ["--no-artifacts-to-source", "--ignore-predefined-vars", ",".join(PREDEFINED)]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    # Its launcher runs `node` from PATH: the Node 22 installed beside it (with CML), not the system's.
    path = os.pathsep.join([str(GITLAB_CI_LOCAL.parent), str(BIN), os.environ.get("PATH", "")])
    result = run(project, *command, check=False, timeout=900, env={"PATH": path})
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return log


@pytest.mark.slow
@pytest.mark.workflow_run
@pytest.mark.xdist_group("gitlab")
def test_gitlab_pipeline_runs_under_gitlab_ci_local(tmp_path):
    """gitlab-ci-local runs the merge-request pipeline with its shell executor on a tagged (not CML)
    runner: train pushes to an S3 server on 127.0.0.1, the real CML posts the report on the merge
    request of a GitLab stand-in on 127.0.0.1 (figures uploaded), the gate passes; beside it the
    test job's checks pass (the quick tests, ruff, lint-imports); no release."""
    server = S3Server(tmp_path / "s3").start()
    forge = ForgeServer(tmp_path / "forge", kind="gitlab").start()
    try:
        server.make_bucket("models")
        project = gitlab_project(tmp_path, server, forge)
        log = gitlab_ci_local(project, {
            "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3",
            "CI_COMMIT_MESSAGE": "Use a small data set", **ci_variables(tmp_path, server, forge),
        })  # fmt: skip
        assert re.search(r"PASS\s+train", log), log
        assert re.search(r"PASS\s+test", log) and re.search(r"^test +> Contracts: \d+ kept, 0 broken", log, re.M), log
        assert "launch-runner" not in log and not re.search(r"PASS\s+release", log)  # no CML machine, no release
        assert "Running stage 'train'" in log
        assert "report posted" in log
        assert "quality gate passed" in log
        assert any((server.root / "models/fraud/files/md5").rglob("*")), "nothing was pushed to the S3 remote"
        [note] = forge.comments
        assert (note["target"], note["number"]) == ("pr", 3)
        assert "# Training report" in note["body"] and "## Time and cost" in note["body"]
        assert "no cost estimate" in note["body"]  # its own runner, not a cloud machine
        figures = [upload for upload in forge.uploads if upload["mime"] == "image/png"]
        assert figures and all(f"/assets/{upload['sha256']}" in note["body"] for upload in figures)
        api = forge.requests(path_prefix="/api/v4/projects")
        assert all(request["headers"].get("PRIVATE-TOKEN") == forge.token for request in api)
        report = project / ".gitlab-ci-local/artifacts/train/report.md"
        assert report.exists() and "| Average precision (gate) |" in report.read_text(), log[-5000:]
    finally:
        forge.stop()
        server.stop()


@pytest.mark.slow
@pytest.mark.workflow_run
@pytest.mark.xdist_group("gitlab")
def test_gitlab_release_job_tags_a_merged_model(tmp_path):
    """A push of a retrained dvc.lock to the default branch runs the release job alone: it pulls
    the model from S3, passes the gate, and pushes the GTO tag model@v0.0.1 to the GitLab stand-in."""
    server = S3Server(tmp_path / "s3").start()
    forge = ForgeServer(tmp_path / "forge", kind="gitlab").start()
    try:
        server.make_bucket("models")
        project = gitlab_project(tmp_path, server, forge)
        train_main(project, server, forge, "Retrained model")
        # gitlab-ci-local checks `changes:` against the default branch, which a push to it equals.
        variables = on_main("push", "Retrained model", tmp_path, server, forge)
        log = gitlab_ci_local(project, variables, "--evaluate-rule-changes=false")
        assert re.search(r"PASS\s+release", log), log
        assert not re.search(r"PASS\s+train", log)
        assert "released model@v0.0.1 and pushed the tags to origin" in log
        head = run(project, "git", "rev-parse", "HEAD").stdout.strip()
        assert forge.branch_sha("main") == head
        tagged = subprocess.run(
            ["git", "-C", str(forge.bare), "rev-list", "-n1", "model@v0.0.1"], capture_output=True, text=True
        )
        assert tagged.stdout.strip() == head
    finally:
        forge.stop()
        server.stop()


@pytest.mark.slow
@pytest.mark.workflow_run
@pytest.mark.xdist_group("gitlab")
def test_gitlab_trigger_with_nothing_new_trains_nothing(tmp_path):
    """A pipeline trigger (what the job that writes the data calls) runs the training on main as
    a schedule does; with the data unchanged since main's training, only check_source runs, the
    gate passes, and no merge request is proposed. The bake trains on your own runners (runner
    labels): train carries their tags, and no launch or teardown job exists."""
    server = S3Server(tmp_path / "s3").start()
    forge = ForgeServer(tmp_path / "forge", kind="gitlab").start()
    try:
        server.make_bucket("models")
        project = gitlab_project(tmp_path, server, forge, runner="labels", runner_labels="gpu-box, linux")
        assert gitlab(project)["train"]["tags"] == ["gpu-box", "linux"]
        train_main(project, server, forge, "Trained")
        variables = on_main("trigger", "Trained", tmp_path, server, forge)
        log = gitlab_ci_local(project, variables, "--evaluate-rule-changes=false")
        assert re.search(r"PASS\s+train", log), log
        assert "Running stage 'check_source'" in log and "Running stage 'train'" not in log
        assert "quality gate passed" in log
        assert "dvc.lock is unchanged: nothing to propose" in log
        assert not re.search(r"PASS\s+release", log) and "launch-runner" not in log and "teardown" not in log
    finally:
        forge.stop()
        server.stop()


def train_main(project: Path, server: S3Server, forge: ForgeServer, message: str) -> None:
    """Train ``project`` here with `ci train` (pushing to S3), commit, and push main to the forge."""
    run(project, sys.executable, "-m", "fraud_detection.ci", "train", env={**server.credentials(), "CI": ""})
    run(project, "git", "commit", "-qam", message)
    run(project, "git", "push", "-q", "origin", "main", env=forge_git_env(forge))


def on_main(source: str, message: str, tmp_path: Path, server: S3Server, forge: ForgeServer) -> dict[str, str]:
    """The variables of a pipeline on main started by ``source`` (push, trigger, ...)."""
    return {
        "CI_PIPELINE_SOURCE": source, "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_MESSAGE": message, "CI_SERVER_URL": forge.url,
        "CI_PROJECT_PATH": "team/fraud-detection", **ci_variables(tmp_path, server, forge),
    }  # fmt: skip


def gitlab_project(tmp_path: Path, server: S3Server, forge: ForgeServer, **answers) -> Path:
    """A GitLab bake (``answers`` besides) with the S3 remote, small data and a locked environment,
    on the forge as main."""
    project = bake(
        tmp_path / "bake", ci="gitlab", dvc_remote="s3", dvc_remote_url="s3://models/fraud",
        dvc_remote_endpoint_url=server.endpoint, **answers,
    )  # fmt: skip
    set_params(project, get_data__n_samples=3000, train__xgboost__n_estimators=30, gate__min=0.0)
    run(project, str(BIN / "uv"), "lock", "--quiet")  # the pipeline installs with --locked
    run(project, "git", "add", "uv.lock")
    run(project, "git", "commit", "-qam", "Use a small data set, lock the environment")
    # gitlab-ci-local takes the project's URL from origin; the report compares with origin/main.
    run(project, "git", "remote", "add", "origin", forge.repo_url + ".git")
    run(project, "git", "push", "-q", "origin", "main", env=forge_git_env(forge))
    run(project, "git", "fetch", "-q", "origin", env=forge_git_env(forge))
    return project


def forge_git_env(forge: ForgeServer) -> dict[str, str]:
    """git's settings for the forge: trust its certificate, send the token, never prompt."""
    header = "AUTHORIZATION: basic " + base64.b64encode(f"x:{forge.token}".encode()).decode()
    return {
        **forge.client_env(), "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraheader", "GIT_CONFIG_VALUE_0": header,
    }  # fmt: skip


def ci_variables(tmp_path: Path, server: S3Server, forge: ForgeServer) -> dict[str, str]:
    """What every pipeline here gets: no CML machine, the forge's token and certificate, S3 keys."""
    return {
        "LAUNCH_RUNNER": "false", "REPO_TOKEN": forge.token, "CML_COMMENT_PUBLISH_URL": forge.upload_url,
        **forge.client_env(), **server.credentials(), "GIT_TERMINAL_PROMPT": "0",
        # The test job keeps uv's cache in the project, for GitLab's cache to keep; here it uses
        # this machine's, as the other jobs do, rather than download every library again.
        "UV_CACHE_DIR": run(tmp_path, str(BIN / "uv"), "cache", "dir").stdout.strip(),
        # CML adds safe.directory entries to the global git config: keep them in the test's.
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }  # fmt: skip
