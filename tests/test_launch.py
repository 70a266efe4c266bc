"""`ci launch` starts a cloud training from a laptop: GitHub's workflow dispatch, GitLab's pipeline
trigger, both against the recording forge of tests/forge_server.py on 127.0.0.1."""

from __future__ import annotations

import sys

import pytest
from conftest import bake, run
from forge_server import ForgeServer


@pytest.fixture(params=["github", "gitlab"])
def forge_project(request, tmp_path):
    """A project baked for one CI, whose origin is a forge of that kind on 127.0.0.1."""
    forge = ForgeServer(tmp_path / "forge", kind=request.param).start()
    project = bake(tmp_path / "bake", ci=request.param)
    run(project, "git", "remote", "add", "origin", forge.repo_url + ".git")
    yield forge, project
    forge.stop()


def launch(project, forge, *args, token=None, check=True):
    """Run `ci launch` with the forge trusted and ``token`` as the kind of token its CI wants."""
    env = {**forge.client_env(), "GITHUB_TOKEN": "", "GH_TOKEN": "", "GITLAB_TRIGGER_TOKEN": ""}
    if token is not None:
        env["GITHUB_TOKEN" if forge.kind == "github" else "GITLAB_TRIGGER_TOKEN"] = token
    return run(project, sys.executable, "-m", "fraud_detection.ci", "launch", *args, env=env, check=check)


def test_launch_starts_the_ci_training_with_the_runner_settings(forge_project):
    """The branch, the experiment's arguments and the runner settings reach the forge's API, and
    the command says where to watch the run."""
    forge, project = forge_project
    token = forge.token if forge.kind == "github" else forge.trigger_token
    result = launch(
        project, forge, "--exp-args", "-S train.model=random_forest", "--gpu", "t4", "--instance-type", "l",
        "--spot", token=token,
    )  # fmt: skip
    [dispatch] = forge.dispatches
    settings = {"exp_args": "-S train.model=random_forest", "gpu": "t4", "instance_type": "l", "spot": "true"}
    if forge.kind == "github":
        assert dispatch == {"workflow": "train.yml", "ref": "main", "inputs": settings}
        watch = f"{forge.repo_url}/actions/workflows/train.yml"
    else:
        assert dispatch["ref"] == "main"
        assert dispatch["variables"] == {key.upper(): value for key, value in settings.items()}
        watch = f"{forge.repo_url}/-/pipelines/{dispatch['pipeline']}"
    name = {"github": "GitHub", "gitlab": "GitLab"}[forge.kind]
    assert result.stdout.strip() == f"Started training main on {name}. Watch it at {watch}"


@pytest.mark.parametrize("case", ["no token", "wrong token", "no origin"])
def test_launch_refuses_in_one_line(forge_project, case):
    """Without a token, with a wrong one, or without an origin: one ERROR line, nothing started."""
    forge, project = forge_project
    if case == "no origin":
        run(project, "git", "remote", "remove", "origin")
    token = {"no token": None, "wrong token": "not-the-token-42"}.get(case, forge.token)
    result = launch(project, forge, token=token, check=False)
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    expected = {
        "no token": "no GitHub token" if forge.kind == "github" else "no GitLab trigger token",
        "wrong token": "HTTP 401" if forge.kind == "github" else "HTTP 404",
        "no origin": "no `origin` remote",
    }[case]
    assert expected in line
    assert "not-the-token-42" not in result.stdout + result.stderr  # a token is never printed
    assert not forge.dispatches


def test_launch_refuses_a_setting_the_runner_does_not_take(tmp_path):
    """On your own runners (labels) the Train workflow declares no cloud: --cloud stops in one line
    that lists what it takes, before any call (GitHub would refuse undeclared inputs)."""
    forge = ForgeServer(tmp_path / "forge", kind="github").start()
    try:
        project = bake(tmp_path / "bake", ci="github", runner="labels")
        run(project, "git", "remote", "add", "origin", forge.repo_url + ".git")
        result = launch(project, forge, "--gpu", "t4", "--cloud", "gcp", token=forge.token, check=False)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "ERROR: --cloud is not a setting of this project's runner: "
            ".github/workflows/train.yml takes --exp-args, --gpu"
        ]
        assert not forge.dispatches
    finally:
        forge.stop()
