"""Tests of core/committed.py: an output a revision records, "nothing there yet" or "unreadable"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core import committed
from {{ cookiecutter.package_name }}.core.cli import UserError

# DVC runs in this process here, and its own deprecation warnings are not this project's.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:dvc")

OUTPUT = Path("data/out.txt")
DVC_YAML = "stages:\n  make:\n    cmd: python -c \"open('data/out.txt', 'w').write('made')\"\n    outs:\n      - data/out.txt\n"


def sh(repo: Path, *command: str) -> None:
    """Run a command in ``repo``; a failure fails the test."""
    subprocess.run(command, cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git and DVC repository with a one-stage dvc.yaml, a local remote, and no commit yet."""
    for name, value in {
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "DVC_NO_ANALYTICS": "1", "DVC_SITE_CACHE_DIR": str(tmp_path / "site"),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    from dvc.repo import Repo  # in this process: a second DVC process would cost a second each

    Repo.init(root).close()
    remote = tmp_path / "remote"
    config = f"[core]\n    remote = storage\n['remote \"storage\"']\n    url = {remote}\n"
    (root / ".dvc" / "config").write_text(config, encoding="utf-8")
    (root / "dvc.yaml").write_text(DVC_YAML, encoding="utf-8")
    monkeypatch.chdir(root)
    committed.repository_at.cache_clear()
    return root


def commit(repo: Path, message: str) -> None:
    """Commit everything."""
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", message)
    committed.repository_at.cache_clear()


def test_nothing_is_there_before_the_first_commit(repo):
    """HEAD without a commit records nothing: a first run, not an error."""
    assert committed.read(OUTPUT, "HEAD") is None


def test_nothing_is_there_before_the_stage_ran(repo):
    """A revision whose dvc.lock does not exist, or records no such output, has nothing yet."""
    commit(repo, "The pipeline, not run")
    assert committed.read(OUTPUT, "HEAD") is None
    assert committed.read(Path("data/other.txt"), "HEAD") is None


def test_a_recorded_output_is_read_and_a_lost_one_is_unreadable(repo):
    """The bytes come from the cache, then from the remote; with both gone, an Unreadable error
    names the output, the revision and the remote, never None."""
    from dvc.repo import Repo

    with Repo(str(repo)) as dvc:
        dvc.reproduce()
    commit(repo, "Ran it")
    with Repo(str(repo)) as dvc:
        dvc.push()
    assert committed.read(OUTPUT, "main") == b"made"
    shutil.rmtree(repo / ".dvc" / "cache")
    committed.repository_at.cache_clear()
    copy = repo / "copy.txt"
    assert committed.copy(OUTPUT, "HEAD", copy) and copy.read_bytes() == b"made"
    shutil.rmtree(repo / ".dvc" / "cache", ignore_errors=True)  # if the copy filled it
    shutil.rmtree(repo.parent / "remote")
    committed.repository_at.cache_clear()
    with pytest.raises(committed.Unreadable) as raised:
        committed.read(OUTPUT, "HEAD")
    assert str(raised.value).startswith("data/out.txt as `HEAD` recorded it could not be read")
    assert "the DVC remote 'storage'" in str(raised.value)
    with pytest.raises(committed.Unreadable):
        committed.copy(OUTPUT, "HEAD", repo / "again.txt")
    assert not (repo / "again.txt").exists()


def test_a_revision_that_does_not_exist_is_refused(repo):
    """A base branch that is not here is an error, not "nothing to compare with"."""
    commit(repo, "Start")
    with pytest.raises(UserError, match="`nowhere` is not a branch or commit"):
        committed.read(OUTPUT, "nowhere")
