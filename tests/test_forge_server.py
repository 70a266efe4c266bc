"""Self-tests of the fake forge: the real CML comments and opens pull requests through it, git pushes to it."""

from __future__ import annotations

import json
import os
import socket
import ssl
import struct
import subprocess
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import GIT_IDENTITY, TEMPLATE
from forge_server import ForgeServer

CML = TEMPLATE / ".tools/node_modules/.bin/cml"
needs_cml = pytest.mark.skipif(not CML.exists(), reason="CML is not installed (tools/setup-test-tools.sh installs it)")
# Variables of a real CI job would steer CML (driver, SHA, pull request): the tests set their own.
CI_PREFIXES = ("GITHUB_", "GITLAB_", "CI", "REPO_TOKEN", "BITBUCKET_")


@pytest.fixture
def github(tmp_path):
    forge = ForgeServer(tmp_path / "forge", "github").start()
    yield forge
    forge.stop()


@pytest.fixture
def gitlab(tmp_path):
    forge = ForgeServer(tmp_path / "forge", "gitlab").start()
    yield forge
    forge.stop()


def client_env(forge: ForgeServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a client of ``forge``: no CI variables, git config and CML's files kept in ``tmp_path``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(CI_PREFIXES)}
    gitconfig = tmp_path / "gitconfig"  # CML adds safe.directory entries to the global git config
    gitconfig.touch()
    env |= {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    env |= {"XDG_CONFIG_HOME": str(tmp_path / "config"), **GIT_IDENTITY, **forge.client_env(), **extra}
    return env


def git(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check)


def write_png(path: Path) -> None:
    """A valid PNG of one grey pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\x80")) + chunk(b"IEND", b"")
    )


def workspace(forge: ForgeServer, path: Path, env: dict[str, str]) -> str:
    """A git repository at ``path`` with a report and its plot, ``origin`` on the forge; its HEAD commit."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main", env=env)
    write_png(path / "plot.png")
    (path / "report.md").write_text("# Scores\n\n![plot](plot.png)\n")
    git(path, "add", ".", env=env)
    git(path, "commit", "-q", "-m", "report", env=env)
    git(path, "remote", "add", "origin", forge.repo_url + ".git", env=env)
    return git(path, "rev-parse", "HEAD", env=env).stdout.strip()


def call(forge: ForgeServer, method: str, path: str, body: dict | None = None, form: bool = False, **headers: str):
    """(status, parsed JSON answer) of an API call."""
    data = None if body is None else (urlencode(body) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    request = urllib.request.Request(forge.api_url + path, data, {"Content-Type": kind, **headers}, method=method)
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=forge.ca_file)) as answer:
            return answer.status, json.loads(answer.read() or "null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@needs_cml
def test_cml_comments_on_github_with_a_published_plot(github, tmp_path):
    """`cml comment create --publish` uploads the plot, then comments on the commit (no pull request for it)."""
    env = client_env(github, tmp_path, REPO_TOKEN=github.token, GITHUB_REPOSITORY=github.repo)
    sha = workspace(github, tmp_path / "work", env)
    env["GITHUB_SHA"] = sha
    command = [str(CML), "comment", "create", "--publish", "--publish-url", github.upload_url, "report.md"]
    done = subprocess.run(command, cwd=tmp_path / "work", env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [upload] = github.uploads
    assert upload["mime"] == "image/png" and upload["filename"] == "plot.png"
    asset = f"{github.url}/assets/{upload['sha256']}.png"
    [comment] = github.comments
    assert comment["target"] == "commit" and comment["sha"] == sha
    assert asset in comment["body"]
    assert done.stdout.strip() == f"{github.repo_url}/commit/{sha}#commitcomment-1"
    api = github.requests(path_prefix="/api/")
    assert [(r["method"], r["route"], r["status"]) for r in api] == [
        ("GET", "github_commit_pulls", 200),
        ("POST", "github_commit_comment", 201),
    ]
    assert api[0]["headers"]["Authorization"] == f"token {github.token}"
    with urllib.request.urlopen(asset, context=ssl.create_default_context(cafile=github.ca_file)) as served:
        assert served.read() == (tmp_path / "work/plot.png").read_bytes()


def test_git_push_needs_the_token_and_pulls_need_the_branch(github, tmp_path):
    """A clone and a push with the token work, one without fails (401); a pull request needs its head branch."""
    env = client_env(github, tmp_path)
    git(tmp_path, "clone", "-q", github.token_url, "clone", env=env)
    clone = tmp_path / "clone"
    (clone / "README.md").write_text("hello\n")
    git(clone, "add", ".", env=env)
    git(clone, "commit", "-q", "-m", "first", env=env)
    git(clone, "push", "-q", "origin", "HEAD:main", "HEAD:refs/heads/feature", env=env)
    assert github.branch_sha("feature") == git(clone, "rev-parse", "HEAD", env=env).stdout.strip()

    refused = git(clone, "push", github.repo_url + ".git", "HEAD:refs/heads/other", env=env, check=False)
    assert refused.returncode != 0 and github.branch_sha("other") is None
    pushes = [(r["method"], r["path"].rsplit("/", 1)[1], r["status"]) for r in github.requests()]
    assert ("POST", "git-receive-pack", 200) in pushes
    assert pushes[-1] == ("GET", "refs", 401)  # info/refs?service=git-receive-pack, no credentials

    auth = {"Authorization": f"Bearer {github.token}"}
    status, pull = call(github, "POST", f"/repos/{github.repo}/pulls", {"head": "feature", "base": "main"}, **auth)
    assert status == 201 and pull["number"] == 1 and pull["html_url"] == f"{github.repo_url}/pull/1"
    assert pull["head"]["sha"] == github.branch_sha("feature")
    status, _ = call(github, "POST", f"/repos/{github.repo}/pulls", {"head": "missing", "base": "main"}, **auth)
    assert status == 422
    status, _ = call(github, "GET", f"/repos/{github.repo}/pulls")
    assert status == 401
    assert [r["route"] for r in github.requests(path_prefix="/api/")] == ["github_create_pull"] * 2 + ["github_pulls"]


@needs_cml
def test_cml_notes_a_gitlab_merge_request_and_pipelines_need_the_trigger_token(gitlab, tmp_path):
    """In a merge-request pipeline, CML notes the merge request; the trigger endpoint checks its own token."""
    env = client_env(gitlab, tmp_path, REPO_TOKEN=gitlab.token, CI_PROJECT_URL=gitlab.repo_url)
    sha = workspace(gitlab, tmp_path / "work", env)
    env |= {"CI_COMMIT_SHA": sha, "CI_MERGE_REQUEST_IID": "3"}
    command = [str(CML), "comment", "create", "--no-publish", "report.md"]
    done = subprocess.run(command, cwd=tmp_path / "work", env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [note] = gitlab.comments
    assert note["target"] == "pr" and note["number"] == 3 and "# Scores" in note["body"]
    assert done.stdout.strip() == f"{gitlab.repo_url}/-/merge_requests/3#note_1"
    assert all(r["headers"].get("PRIVATE-TOKEN") == gitlab.token for r in gitlab.requests())
    assert [r["route"] for r in gitlab.requests()].count(None) == 0

    form = {"token": gitlab.trigger_token, "ref": "main", "variables[RETRAIN]": "yes"}
    trigger = f"/projects/{gitlab.repo.replace('/', '%2F')}/trigger/pipeline"
    status, pipeline = call(gitlab, "POST", trigger, form, form=True)
    assert status == 201 and pipeline["web_url"] == f"{gitlab.repo_url}/-/pipelines/1"
    assert gitlab.dispatches == [{"pipeline": 1, "ref": "main", "variables": {"RETRAIN": "yes"}}]
    status, _ = call(gitlab, "POST", trigger, form | {"token": "wrong"}, form=True)
    assert status == 404 and len(gitlab.dispatches) == 1


@needs_cml
@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_cml_opens_a_pull_request(kind, tmp_path):
    """`cml pr create` pushes a branch of the changed file and opens a pull (merge) request for it."""
    forge = ForgeServer(tmp_path / "forge", kind).start()
    try:
        driver = {"GITHUB_REPOSITORY": forge.repo} if kind == "github" else {"CI_PROJECT_URL": forge.repo_url}
        env = client_env(forge, tmp_path, REPO_TOKEN=forge.token, **driver)
        sha = workspace(forge, tmp_path / "work", env)
        git(tmp_path / "work", "push", "-q", forge.token_url, "main", env=env)  # CML fetches the commit from origin
        (tmp_path / "work/metrics.json").write_text("{}\n")
        command = [str(CML), "pr", "create", "metrics.json"]
        done = subprocess.run(command, cwd=tmp_path / "work", env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        [pull] = forge.pulls
        assert pull["head_ref"] == f"main-cml-pr-{sha[:8]}" and pull["base_ref"] == "main"
        assert pull["head_sha"] == forge.branch_sha(pull["head_ref"]) != sha
        web = "pull/1" if kind == "github" else "-/merge_requests/1"
        assert done.stdout.strip() == f"{forge.repo_url}/{web}"
        assert None not in [r["route"] for r in forge.requests()]
    finally:
        forge.stop()


def test_stop_closes_the_port(tmp_path):
    """After stop() nothing listens on the port any more."""
    forge = ForgeServer(tmp_path, "github").start()
    assert call(forge, "GET", "/nowhere")[0] == 404
    assert forge.requests()[0]["route"] is None
    forge.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", forge.port)) != 0
