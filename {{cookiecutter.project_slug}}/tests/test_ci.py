"""The CI machinery (`python -m {{ cookiecutter.package_name }}.ci`) on a tiny project, offline.

The "world" is built once for the module: a copy of this project in a git repository with a
bare `origin` beside it and a local DVC remote, its data a few thousand rows in SQLite,
trained on `main`, committed and pushed; then a branch `candidate` with a change to
params.yaml that retrains nothing. The tests on the world are in the slow set (it takes about
half a minute to build); the others run each command alone, quickly. Nothing needs the
network, act, CML or a server; CI is unset, so nothing tries to post.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import copy_example, example_params, write_params
from {{ cookiecutter.package_name }}.ci import compare, launch, report, shell, storage, training
from {{ cookiecutter.package_name }}.ci.compare import Comparison
from {{ cookiecutter.package_name }}.core.cli import STAGE_TIMES_VARIABLE, UserError
from {{ cookiecutter.package_name }}.synthetic import make_synthetic

PACKAGE = "{{ cookiecutter.package_name }}"
PROJECT = Path(__file__).resolve().parents[1]
SOURCE = "sqlite:///data/loans.db"
QUERY = "SELECT * FROM loans"
LOANS = 2000  # rows of the world's data
CI_INIT = "src/{{ cookiecutter.package_name }}/ci/__init__.py"
FLOOR = 0.2  # the world's gate.min, which its small model clears
IDENTITY = {"name": "Test Author", "email": "author@example.com"}
# Variables of the machine or of a CI job that would change what the commands do.
UNSET = {
    "CI", "CLOUD", "INSTANCE_TYPE", "GPU", "SPOT", "GITHUB_TOKEN", "GH_TOKEN",
    "GITHUB_API_URL", "GITLAB_TRIGGER_TOKEN", STAGE_TIMES_VARIABLE, "PYTHONPATH",
}  # fmt: skip
METRICS = ("roc_auc", "average_precision", "precision", "recall", "f1", "accuracy")


def environment(home: Path, src: Path, **extra: str) -> dict[str, str]:
    """The variables of a command: this Python's tools first, ``src`` importable, nothing posted,
    a git identity, and git's and DVC's settings kept in ``home`` (not the machine's)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in UNSET and not name.startswith(("GIT_", "DVC_"))
    }
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        PYTHONPATH=str(src),
        DVC_NO_ANALYTICS="1",
        DVC_GLOBAL_CONFIG_DIR=str(home / "dvc-global"),
        DVC_SYSTEM_CONFIG_DIR=str(home / "dvc-system"),
        DVC_SITE_CACHE_DIR=str(home / "dvc-site"),
        GIT_CONFIG_GLOBAL=str(home / "gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME=IDENTITY["name"],
        GIT_AUTHOR_EMAIL=IDENTITY["email"],
        GIT_COMMITTER_NAME=IDENTITY["name"],
        GIT_COMMITTER_EMAIL=IDENTITY["email"],
        **extra,
    )
    return env


def run(cwd: Path, env: dict[str, str], *command: str | Path, check: bool = True):
    """Run a command in ``cwd``, capturing its output; with ``check``, fail the test on an error."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def ci(cwd: Path, env: dict[str, str], *args: str | Path):
    """`python -m <package>.ci ...`, its exit code left to the test."""
    return run(cwd, env, sys.executable, "-m", f"{PACKAGE}.ci", *args, check=False)


def dvc(cwd: Path, env: dict[str, str], *args: str | Path):
    """A DVC command with this Python's DVC; a failure fails the test."""
    return run(cwd, env, sys.executable, "-m", "dvc", *args)


def git(cwd: Path, env: dict[str, str], *args: str | Path):
    """A git command; a failure fails the test."""
    return run(cwd, env, "git", *args)


def assert_one_error(result, start: str) -> str:
    """The command failed with exit code 1 and exactly one `ERROR:` line, beginning ``start``."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert result.returncode == 1, result.stderr
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"ERROR: {start}"), errors[0]
    assert "Traceback" not in result.stderr
    return errors[0]


def edit_params(path: Path, **changes) -> None:
    """Set dotted keys of a params.yaml, written with __ (``gate__min=0.9`` sets gate.min)."""
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = params
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def write_loans(database: Path, rows: int, seed: int, label: str = "is_fraud") -> None:
    """Add ``rows`` synthetic loans (six numeric columns and the label) to a SQLite table."""
    table = make_synthetic(n_samples=rows, n_features=6, positive_rate=0.1, seed=seed)
    names = [*table.column_names[:-1], label]
    values = list(zip(*(column.to_pylist() for column in table.columns), strict=True))
    columns = ", ".join(f'"{name}" {"INTEGER" if name == label else "REAL"}' for name in names)
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS loans ({columns})")
        connection.executemany(f"INSERT INTO loans VALUES ({', '.join('?' * len(names))})", values)


def fake_program(folder: Path, name: str, exit_code: int) -> Path:
    """A stand-in for a program (gh, cml) that records its arguments and exits with ``exit_code``;
    the file where the calls are recorded."""
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text(
        f'#!/bin/sh\necho "$@" >> "{folder / name}.calls"\nexit {exit_code}\n', encoding="utf-8"
    )
    program.chmod(0o755)
    return folder / f"{name}.calls"


def first_in_path(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` with ``folder`` searched first for programs."""
    return {**env, "PATH": os.pathsep.join([str(folder), env["PATH"]])}


@dataclass
class World:
    """The trained project (checked out on `candidate`), its bare origin, the env of commands
    run on it, and main's metrics."""

    root: Path
    origin: Path
    env: dict[str, str]
    main_metrics: dict[str, float]


def build_world(base: Path) -> World:
    """Make the world: `main` trained on SQLite and pushed, then `candidate` with one change."""
    names = ("home", "project", "remote", "origin.git")
    home, root, remote, origin = (base / name for name in names)
    home.mkdir()
    root.mkdir()
    env = environment(home, root / "src")
    copy_example(root)
    (root / "data").mkdir()
    write_loans(root / "data" / "loans.db", LOANS, seed=0)
    edit_params(
        root / "params.yaml",
        get_data__source=SOURCE, get_data__query=QUERY, gate__min=FLOOR,
        train__xgboost__n_estimators=20, train__random_forest__n_estimators=20,
    )  # fmt: skip
    git(base, env, "init", "-q", "--bare", "-b", "main", origin)
    git(root, env, "init", "-q", "-b", "main")
    dvc(root, env, "init", "-q")
    if (PROJECT / ".dvc" / "plots").is_dir():  # the project's plot templates (dvc.yaml names one)
        shutil.copytree(PROJECT / ".dvc" / "plots", root / ".dvc" / "plots")
    dvc(root, env, "remote", "add", "-q", "-d", "storage", remote)
    git(root, env, "remote", "add", "origin", origin)
    git(root, env, "add", "-A")
    git(root, env, "commit", "-qm", "The project")
    dvc(root, env, "repro", "-q")
    git(root, env, "add", "-A")
    git(root, env, "commit", "-qm", "Trained")
    pushed = ci(root, env, "storage", "push")
    assert pushed.returncode == 0, pushed.stderr
    git(root, env, "push", "-q", "origin", "main")
    git(root, env, "checkout", "-qb", "candidate")
    edit_params(root / "params.yaml", gate__max_drop=0.02)  # no stage reads it: nothing reruns
    with (root / CI_INIT).open("a", encoding="utf-8") as out:  # code no stage runs
        out.write("# The CI machinery.\n")
    git(root, env, "commit", "-qam", "Allow a larger drop")
    git(root, env, "push", "-q", "origin", "candidate")
    metrics = json.loads((root / "dvclive" / "evaluate" / "metrics.json").read_text())
    return World(root, origin, env, metrics)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """The world, built once for the module."""
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def checks(world, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """`ci report` and `ci gate` against main, run once on the world; a gate against a base that
    does not exist ("nowhere"); and one whose gate.min no model reaches ("strict")."""
    gates = {
        "report": ci(world.root, world.env, "report", "--base", "main"),
        "gate": ci(world.root, world.env, "gate", "--base", "main", "--json"),
        "nowhere": ci(world.root, world.env, "gate", "--base", "nowhere", "--json"),
    }
    params = world.root / "params.yaml"
    original = params.read_text(encoding="utf-8")
    edit_params(params, gate__min=0.999)  # no stage reads it: the outputs stay as they are
    try:
        gates["strict"] = ci(world.root, world.env, "gate", "--base", "main", "--json")
    finally:
        params.write_text(original, encoding="utf-8")
    return gates


@pytest.fixture(scope="module")
def clone(world, tmp_path_factory):
    """A fresh clone of origin's main, its outputs pulled with `ci storage pull`; its env and
    the pull's result."""
    target = tmp_path_factory.mktemp("clone") / "project"
    git(world.root.parent, world.env, "clone", "-q", "-b", "main", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    return target, env, ci(target, env, "storage", "pull")


@pytest.fixture
def scratch(tmp_path):
    """A git repository of params.yaml and a dvc.lock, committed, with its env: for the commands
    that need no more."""
    (tmp_path / "home").mkdir()
    env = environment(tmp_path / "home", PROJECT / "src")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    write_params(repo / "params.yaml", example_params())
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n", encoding="utf-8")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-qm", "start")
    return repo, env


# --- the source check -------------------------------------------------------------------------


def sqlite_project(folder: Path, query: str, rows: int) -> Path:
    """A folder with params.yaml reading ``query`` from data/loans.db, which holds ``rows`` rows."""
    (folder / "data").mkdir(parents=True)
    write_params(folder / "params.yaml", example_params())
    edit_params(folder / "params.yaml", get_data__source=SOURCE, get_data__query=query)
    write_loans(folder / "data" / "loans.db", rows, seed=0)
    return folder


def test_check_source_counts_the_rows_of_a_sqlite_query(tmp_path):
    """It writes data/source.json with the query's row count, and a new count when rows are
    added to the table."""
    project = sqlite_project(tmp_path / "project", QUERY, 300)
    env = environment(tmp_path, PROJECT / "src")
    check = (sys.executable, "-m", f"{PACKAGE}.check_source")
    state = project / "data" / "source.json"
    run(project, env, *check)
    first = json.loads(state.read_text(encoding="utf-8"))
    assert first == {"kind": "database", "source": SOURCE, "query": QUERY, "rows": 300}
    write_loans(project / "data" / "loans.db", 20, seed=1)
    run(project, env, *check)
    assert json.loads(state.read_text(encoding="utf-8"))["rows"] == 320


def test_check_source_names_a_bad_query(tmp_path):
    """It exits 1 with one `ERROR:` line from the database and records nothing, when
    get_data.query names no table of the database."""
    project = sqlite_project(tmp_path / "project", "SELECT * FROM payments", 10)
    env = environment(tmp_path, PROJECT / "src")
    result = run(project, env, sys.executable, "-m", f"{PACKAGE}.check_source", check=False)
    assert_one_error(result, "get_data.query failed in the database: no such table: payments")
    assert not (project / "data" / "source.json").exists()


# --- the gate and the report, from given scores -------------------------------------------------


def scores(value: float, **changed: float) -> dict[str, float]:
    """Every metric at ``value``, some ``changed``."""
    return {**dict.fromkeys(METRICS, value), **changed}


def test_the_gate_weighs_the_floor_and_the_drop():
    """It gives one reason per broken rule, when the model is under the floor or dropped further
    than gate.max_drop below the champion; none within both."""
    fine = Comparison(
        base="main", metric="average_precision", challenger=scores(0.6),
        champion=scores(0.6, average_precision=0.605), test_rows=100, floor=0.5, max_drop=0.01,
    )  # fmt: skip
    assert compare.gate_reasons(fine) == []
    worse = Comparison(
        base="main", metric="average_precision", challenger=scores(0.6),
        champion=scores(0.6, average_precision=0.7), test_rows=100, floor=0.65, max_drop=0.01,
    )  # fmt: skip
    worse.reasons = compare.gate_reasons(worse)
    assert len(worse.reasons) == 2
    assert "below the floor gate.min=0.65" in worse.reasons[0]
    assert "0.1000 below the base model's 0.7000 on the same 100 test rows" in worse.reasons[1]
    assert worse.summary()["passed"] is False
    assert worse.summary()["champion"] == 0.7


def test_a_wrong_gate_setting_is_named(params_file):
    """It names gate.metric, when params.yaml asks for a metric evaluate does not compute."""
    params = yaml.safe_load(params_file.read_text())
    params["gate"]["metric"] = "log_loss"
    with pytest.raises(UserError, match=r"gate\.metric"):
        compare.gate_settings(params)


def test_code_that_git_cannot_show_is_an_error_not_no_change(scratch, monkeypatch, tmp_path):
    """The report's list of changed code and the champion's code refuse in one line, when git
    cannot read the base: never "no change", never this branch's code in its place."""
    from {{ cookiecutter.package_name }}.ci import changes

    repo, _ = scratch
    monkeypatch.chdir(repo)
    with pytest.raises(UserError, match="the code changed since `gone` could not be listed"):
        changes.changed_code("gone")
    with pytest.raises(UserError, match="`gone`'s code \\(src/\\) could not be read from git"):
        compare.base_code("gone", tmp_path / "base")


def test_a_report_without_a_base_says_so(tmp_path, monkeypatch, params_file):
    """It says there is no champion, leaves out drift and the parameters diff, and says the model
    cannot be released, when the run has no earlier model and fails the floor."""
    monkeypatch.chdir(tmp_path)
    comparison = Comparison(
        base=None, metric="average_precision", challenger=scores(0.4), champion=None,
        test_rows=50, floor=0.5, max_drop=0.01,
        reasons=["average_precision 0.4000 is below the floor gate.min=0.5"],
        notes=["there is no earlier model to compare with"],
    )  # fmt: skip
    text = report.build(comparison, yaml.safe_load(params_file.read_text()), tmp_path)
    assert "No champion to compare with: there is no earlier model to compare with." in text
    assert "| Average precision (gate) |  | 0.4000 |  |" in text
    assert "**Quality gate: failed.** average_precision 0.4000 is below the floor" in text
    assert "Failing the gate, this model cannot be released." in text
    assert "_No earlier model to compare with._" in text
    assert "## Parameters diff" not in text


# --- shell --------------------------------------------------------------------------------------


def test_can_post_says_why_not(monkeypatch):
    """It names the missing piece, when not in CI or without cml; None when both are there."""
    monkeypatch.delenv("CI", raising=False)
    assert shell.can_post() == "not running in CI (the CI variable is not set)"
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(shell.shutil, "which", lambda _: None)
    assert shell.can_post() == "cml is not installed"
    monkeypatch.setattr(shell.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert shell.can_post() is None


def test_a_comment_is_posted_through_cml(tmp_path, monkeypatch):
    """It hands the Markdown file to `cml comment create --publish`, when posting a report."""
    calls = fake_program(tmp_path / "bin", "cml", exit_code=0)
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), os.environ["PATH"]]))
    shell.post_comment(Path("report.md"))
    assert calls.read_text().split() == ["comment", "create", "--publish", "report.md"]


def test_a_git_identity_is_given_only_where_missing(scratch, monkeypatch):
    """It sets the CI identity's missing parts and keeps what the repository has, when git has
    no identity configured outside it."""
    repo, env = scratch
    for name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.chdir(repo)
    git(repo, env, "config", "user.name", "Ada")
    shell.ensure_git_identity()
    assert git(repo, env, "config", "user.name").stdout.strip() == "Ada"
    email = git(repo, env, "config", "user.email").stdout.strip()
    assert email == shell.CI_IDENTITY["user.email"]


def test_a_failed_dvc_command_is_a_user_error(tmp_path, monkeypatch):
    """It raises a UserError naming the command, when DVC fails."""
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="`dvc status --no-such-option` failed"):
        shell.dvc("status", "--no-such-option")


# --- storage's time limit and retries -----------------------------------------------------------


def test_an_attempt_past_its_time_is_stopped():
    """It stops the command and all it started, and returns None with what it printed, when it
    runs past the time limit."""
    started = time.monotonic()
    exit_code, tail = storage.attempt(["sh", "-c", "echo started; sleep 60; echo done"], timeout=2)
    assert exit_code is None
    assert tail == ["started"]
    # Had the sleep outlived its shell, holding the output open, reading would wait 5 s more.
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    ("direction", "tail", "calls", "message"),
    [
        ("push", ["dvc: timed out"], 3, "dvc push failed with exit code 1 (3 attempts)"),
        ("push", ["ERROR: AccessDenied"], 1, "the DVC remote refused the credentials"),
        ("pull", ["Missing cache files:"], 1, "some outputs are not in the DVC remote"),
        ("push", ["Missing cache files:"], 3, "dvc push failed with exit code 1 (3 attempts)"),
    ],
    ids=["retried", "refused", "missing", "missing-on-push"],
)
def test_transfer_retries_only_what_can_pass(monkeypatch, direction, tail, calls, message):
    """It tries again after a failure, but stops at once on refused credentials or on outputs
    no one pushed, and ends in one UserError, when every attempt fails."""
    attempts = []

    def attempt(command, timeout):
        attempts.append(command)
        return 1, tail

    monkeypatch.setattr(storage, "attempt", attempt)
    monkeypatch.setattr(storage.time, "sleep", lambda _: None)
    with pytest.raises(UserError, match=re.escape(message)):
        storage.transfer(direction, 10, 2, ["--jobs", "2"])
    assert len(attempts) == calls
    assert attempts[0][-4:] == [direction, "--run-cache", "--jobs", "2"]


# --- training, its steps in order ---------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """``ci train``'s pull, DVC commands and push recorded instead of run, in a scratch folder;
    the pull finds nothing, as on a first run, and the pipeline's train stage takes 1.5 s."""
    calls = []

    def transfer(direction, timeout, retries, extra):
        calls.append(direction)
        if direction == "pull":
            raise UserError("nothing to pull")

    def dvc(*args, env=None):
        calls.append(args)
        if env and STAGE_TIMES_VARIABLE in env:
            Path(env[STAGE_TIMES_VARIABLE]).write_text('{"step": "train", "seconds": 1.5}\n')

    monkeypatch.chdir(tmp_path)
    write_params(tmp_path / "params.yaml", example_params())
    monkeypatch.setattr(training.storage, "transfer", transfer)
    monkeypatch.setattr(training, "dvc", dvc)
    monkeypatch.setattr(training, "ensure_git_identity", lambda: None)
    return calls


def test_train_pulls_runs_and_pushes_in_order(recorded, tmp_path):
    """It pulls (a first run's empty remote only warns), runs the experiment with the device set,
    pushes, and records each step's time, when given experiment arguments and a GPU."""
    training.train(["-S", "train.model=xgboost"], "cuda", 60, 0)
    device = ("-S", "train.xgboost.device=cuda")
    assert recorded == [
        "pull",
        ("exp", "run", "--pull", "-S", "train.model=xgboost", *device),
        "push",
    ]
    times = json.loads((tmp_path / "training_times.json").read_text(encoding="utf-8"))
    assert [step["step"] for step in times["steps"]] == ["pull", "train", "push"]


def test_train_without_arguments_reproduces(recorded):
    """It runs `dvc repro --pull`, when given no experiment arguments."""
    training.train([], None, 60, 0)
    assert recorded == ["pull", ("repro", "--pull"), "push"]


def test_a_smoke_run_is_small_and_stays_local(recorded):
    """It runs an experiment on at most the smoke rows and neither pulls nor pushes, when asked
    for a smoke run."""
    training.smoke(["-S", "train.model=xgboost"])
    rows = training.SMOKE_ROWS
    assert recorded == [(
        "exp", "run", "--temp", "-S", "train.model=xgboost",
        "-S", f"get_data.n_samples={rows}", "-S", f"get_data.max_rows={rows}",
        "-S", "check_data.compare=false",
    )]  # fmt: skip


# --- launch -------------------------------------------------------------------------------------


def with_train_workflow(repo: Path) -> Path:
    """``repo`` with a GitHub Train workflow file that takes the settings exp_args and gpu."""
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "train.yml").write_text(
        "name: Train\non:\n  workflow_dispatch:\n    inputs:\n      exp_args: {}\n      gpu: {}\n",
        encoding="utf-8",
    )
    return repo


def test_launch_without_origin_says_so(scratch):
    """It exits 1 with one `ERROR:` line, when the repository has no origin remote."""
    repo, env = scratch
    result = ci(with_train_workflow(repo), env, "launch")
    assert_one_error(result, "this repository has no `origin` remote")


def test_launch_without_a_token_says_so(scratch, tmp_path):
    """It exits 1 with one `ERROR:` line and sends nothing, when GitHub is the forge and no token
    is set or stored by gh."""
    repo, env = scratch
    origin = "https://github.com/acme/fraud.git"
    git(with_train_workflow(repo), env, "remote", "add", "origin", origin)
    calls = fake_program(tmp_path / "bin", "gh", exit_code=1)  # gh auth token: not logged in
    result = ci(repo, first_in_path(env, tmp_path / "bin"), "launch", "--gpu", "t4")
    assert_one_error(result, "no GitHub token")
    assert calls.read_text().split() == ["auth", "token"]


def test_launch_refuses_a_setting_the_workflow_does_not_take(scratch, tmp_path):
    """A setting the Train workflow does not declare ends in one `ERROR:` line that lists what
    it takes, before any token is looked for."""
    repo, env = scratch
    origin = "https://github.com/acme/fraud.git"
    git(with_train_workflow(repo), env, "remote", "add", "origin", origin)
    calls = fake_program(tmp_path / "bin", "gh", exit_code=1)
    result = ci(repo, first_in_path(env, tmp_path / "bin"), "launch", "--cloud", "gcp")
    assert_one_error(
        result,
        "--cloud is not a setting of this project's runner: "
        ".github/workflows/train.yml takes --exp-args, --gpu",
    )
    assert not calls.exists()  # gh was not asked for a token


def test_launch_needs_a_ci_file():
    """It refuses, when the project has no CI file to start."""
    with pytest.raises(UserError, match="no CI file"):
        launch.launch("main", {}, {"github": False, "gitlab": False})


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://github.com/acme/fraud.git", "github.com", "acme/fraud"),
        ("git@github.com:acme/fraud.git", "github.com", "acme/fraud"),
        ("ssh://git@gitlab.example.com:2222/group/fraud.git", "gitlab.example.com", "group/fraud"),
        (
            "https://gitlab.example.com:8443/group/sub/fraud/",
            "gitlab.example.com:8443",
            "group/sub/fraud",
        ),
    ],
)
def test_origin_is_read_from_any_url_form(monkeypatch, url, host, path):
    """It finds the forge's host and the repository's path, when origin is HTTPS, SSH or scp-like."""
    monkeypatch.setattr(launch, "git_output", lambda *args: url)
    assert launch.Origin.read() == launch.Origin(host, path)


@pytest.mark.parametrize("url", ["/srv/git/fraud.git", "../fraud.git", "https://github.com/fraud"])
def test_an_origin_that_is_no_forge_is_refused(monkeypatch, url):
    """It refuses in one line, when origin is a folder or names no owner/repository."""
    monkeypatch.setattr(launch, "git_output", lambda *args: url)
    with pytest.raises(UserError, match="is not a GitHub or GitLab repository URL"):
        launch.Origin.read()


def git_answers(values: dict[tuple[str, ...], str]):
    """A stand-in for launch.git_output that answers the git commands in ``values``."""
    return lambda *args: values.get(args, "")


def test_launch_dispatches_the_github_workflow(monkeypatch, capsys, tmp_path):
    """It posts the workflow dispatch for the branch with the settings as inputs and says where
    to watch, when GitHub is the forge and a token is set."""
    monkeypatch.chdir(with_train_workflow(tmp_path))  # the settings the workflow declares
    sent = []
    monkeypatch.setattr(launch, "git_output", git_answers({
        ("remote", "get-url", "origin"): "git@github.com:acme/fraud.git",
        ("branch", "--show-current"): "feature",
    }))  # fmt: skip
    monkeypatch.setattr(launch, "post", lambda *args: sent.append(args) or b"")
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    settings = {"EXP_ARGS": "-S train.model=random_forest", "GPU": "t4"}
    launch.launch(None, settings, {"github": True, "gitlab": False})
    [(url, data, headers, _)] = sent
    assert url == "https://api.github.com/repos/acme/fraud/actions/workflows/train.yml/dispatches"
    assert json.loads(data) == {
        "ref": "feature", "inputs": {"exp_args": "-S train.model=random_forest", "gpu": "t4"},
    }  # fmt: skip
    assert headers["Authorization"] == "Bearer t0ken"
    assert capsys.readouterr().out.strip() == (
        "Started training feature on GitHub. "
        "Watch it at https://github.com/acme/fraud/actions/workflows/train.yml"
    )


def test_launch_triggers_the_gitlab_pipeline(monkeypatch, capsys):
    """It posts the trigger with the token, the ref and the settings as variables and prints the
    pipeline's page, when GitLab is the forge and a trigger token is set."""
    sent = []
    monkeypatch.setattr(launch, "git_output", git_answers({
        ("remote", "get-url", "origin"): "https://gitlab.example.com/group/sub/fraud.git",
    }))  # fmt: skip
    page = "https://gitlab.example.com/group/sub/fraud/-/pipelines/7"
    monkeypatch.setattr(
        launch, "post", lambda *args: sent.append(args) or json.dumps({"web_url": page}).encode()
    )
    monkeypatch.setenv("GITLAB_TRIGGER_TOKEN", "trig")
    launch.launch("main", {"GPU": "t4"}, {"github": True, "gitlab": True})  # the host decides
    [(url, data, _, _)] = sent
    assert url == "https://gitlab.example.com/api/v4/projects/group%2Fsub%2Ffraud/trigger/pipeline"
    form = dict(urllib.parse.parse_qsl(data.decode()))
    assert form == {"token": "trig", "ref": "main", "variables[GPU]": "t4"}
    assert capsys.readouterr().out.strip() == f"Started training main on GitLab. Watch it at {page}"


def test_launch_to_gitlab_needs_a_trigger_token(monkeypatch):
    """It refuses in one line and sends nothing, when GitLab is the forge and no trigger token
    is set."""
    monkeypatch.setattr(launch, "git_output", git_answers({
        ("remote", "get-url", "origin"): "git@gitlab.com:group/fraud.git",
    }))  # fmt: skip
    monkeypatch.setattr(launch, "post", lambda *args: pytest.fail("nothing may be sent"))
    monkeypatch.delenv("GITLAB_TRIGGER_TOKEN", raising=False)
    with pytest.raises(UserError, match="no GitLab trigger token"):
        launch.launch("main", {}, {"github": False, "gitlab": True})


# --- propose, sweep and the command line ----------------------------------------------------------


def test_propose_with_nothing_retrained_opens_nothing(scratch, tmp_path):
    """It says there is nothing to propose, in its log and the job summary, when dvc.lock and
    params.yaml are as committed."""
    repo, env = scratch
    summary = tmp_path / "summary.md"
    result = ci(repo, {**env, "GITHUB_STEP_SUMMARY": str(summary)}, "propose")
    assert result.returncode == 0, result.stderr
    assert "dvc.lock is unchanged: nothing to propose" in result.stderr
    assert summary.read_text(encoding="utf-8").startswith(
        "No new data and no change to the pipeline"
    )


def test_refused_posts_nothing_when_the_check_refused_nothing(scratch, tmp_path):
    """It says so and writes no summary, when the data check left no refusal."""
    repo, env = scratch
    summary = tmp_path / "summary.md"
    result = ci(repo, {**env, "GITHUB_STEP_SUMMARY": str(summary)}, "refused")
    assert result.returncode == 0, result.stderr
    assert "the data check refused nothing in this run" in result.stderr
    assert not summary.exists()


def test_refused_puts_the_findings_in_the_job_summary_and_posts_them(scratch, tmp_path):
    """It copies the refusal into the job summary and posts it through cml, when the data check
    refused the day's data in CI."""
    repo, env = scratch
    calls = fake_program(tmp_path / "bin", "cml", exit_code=0)
    (repo / "data_refused.md").write_text(
        "# Data refused\n\n- column 'amount' is missing\n", encoding="utf-8"
    )
    summary = tmp_path / "summary.md"
    env = {
        **first_in_path(env, tmp_path / "bin"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "CI": "true",
    }
    result = ci(repo, env, "refused")
    assert result.returncode == 0, result.stderr
    assert "- column 'amount' is missing" in summary.read_text(encoding="utf-8")
    assert calls.read_text(encoding="utf-8").split() == [
        "comment",
        "create",
        "--publish",
        "data_refused.md",
    ]


def test_propose_outside_ci_opens_nothing(scratch, tmp_path):
    """It says it opened no pull request and calls no cml, when dvc.lock changed outside CI."""
    repo, env = scratch
    calls = fake_program(tmp_path / "bin", "cml", exit_code=0)
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {train: {}}\n", encoding="utf-8")
    result = ci(repo, first_in_path(env, tmp_path / "bin"), "propose")
    assert result.returncode == 0, result.stderr
    assert "pull request not opened: not running in CI" in result.stderr
    assert not calls.exists()


def test_propose_in_ci_opens_a_pull_request_through_cml(scratch, tmp_path):
    """It asks cml for a pull request of dvc.lock and params.yaml that starts no CI, when dvc.lock
    changed in CI with cml installed."""
    repo, env = scratch
    calls = fake_program(tmp_path / "bin", "cml", exit_code=0)
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {train: {}}\n", encoding="utf-8")
    env = {**first_in_path(env, tmp_path / "bin"), "CI": "true"}
    result = ci(repo, env, "propose", "--title", "Nightly")
    assert result.returncode == 0, result.stderr
    assert calls.read_text().split() == [
        "pr", "create", "--skip-ci", "--md", "--title", "Nightly", "dvc.lock", "params.yaml",
    ]  # fmt: skip


def test_sweep_plan_prints_the_ci_matrix(scratch):
    """It prints one shard per runner, never more than points, when asked for --plan."""
    repo, env = scratch
    result = ci(repo, env, "sweep", "--plan", "3", "-S", "train.xgboost.max_depth=3,6")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"shard": [1, 2], "total": [2]}


def test_a_sweep_shard_needs_its_id(scratch):
    """It exits 1 with one `ERROR:` line, when --shard is given without the sweep's --id."""
    repo, env = scratch
    result = ci(repo, env, "sweep", "--shard", "1/2", "-S", "train.xgboost.max_depth=3,6")
    assert_one_error(result, "--shard and --leaderboard need the sweep's --id")


def test_a_leaderboard_without_origin_says_so(scratch):
    """It exits 1 with one `ERROR:` line carrying git's reason, when the sweep's experiments
    cannot be fetched from origin."""
    repo, env = scratch
    result = ci(repo, env, "sweep", "--leaderboard", "--id", "t1", "-S", "train.model=xgboost")
    line = assert_one_error(result, "`git fetch --quiet origin")
    assert "'origin' does not appear to be a git repository" in line


def test_unknown_options_are_refused(scratch):
    """It exits 2 with argparse's usage, when a command other than storage gets an unknown option."""
    repo, env = scratch
    result = ci(repo, env, "gate", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr


# The world's tests: they share one trained project, which takes about half a minute to
# build, so they are in the slow set.

# --- storage and release ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_world_trained_on_its_sqlite_rows(world):
    """It records the SQLite query's rows and trains on all of them, when dvc repro runs on a
    database source."""
    import pyarrow.parquet as pq

    state = json.loads((world.root / "data" / "source.json").read_text(encoding="utf-8"))
    assert state == {"kind": "database", "source": SOURCE, "query": QUERY, "rows": LOANS}
    assert pq.read_metadata(world.root / "data" / "raw.parquet").num_rows == LOANS


@pytest.mark.slow
def test_storage_pull_restores_the_model_in_a_fresh_clone(world, clone):
    """It brings back main's model byte for byte and its data, when run in a fresh git clone."""
    target, _, pulled = clone
    assert pulled.returncode == 0, pulled.stderr
    model = Path("models") / "model.joblib"
    assert (target / model).read_bytes() == (world.root / model).read_bytes()
    assert (target / "data" / "raw.parquet").exists()
    assert (target / "data" / "prepared" / "test.parquet").exists()


@pytest.mark.slow
def test_resolve_base_falls_back_to_origin(clone, monkeypatch):
    """It gives the branch, else origin's branch, and refuses a base that is neither, when asked
    for a base revision."""
    target, _, _ = clone
    monkeypatch.chdir(target)
    assert shell.resolve_base("main") == "main"
    assert shell.resolve_base("candidate") == "origin/candidate"  # never checked out here
    with pytest.raises(UserError, match="the base `nowhere` is neither a branch"):
        shell.resolve_base("nowhere")


@pytest.mark.slow
def test_release_refuses_uncommitted_changes(clone):
    """It exits 1 with one `ERROR:` line naming the changed file and tags nothing, when
    params.yaml has changes not committed."""
    target, env, _ = clone
    params = target / "params.yaml"
    original = params.read_text(encoding="utf-8")
    params.write_text(original + "# not committed\n", encoding="utf-8")
    try:
        line = assert_one_error(ci(target, env, "release"), "the workspace is not committed")
        assert "params.yaml" in line
    finally:
        params.write_text(original, encoding="utf-8")
    assert git(target, env, "tag", "--list").stdout == ""


@pytest.mark.slow
def test_release_tags_the_first_version(clone):
    """It tags model@v0.0.1 on the commit, GTO lists it, and --push sends the tag to origin, when
    the workspace is committed and the model clears the floor."""
    from gto.api import find_latest_version

    target, env, _ = clone
    result = ci(target, env, "release", "--push")
    assert result.returncode == 0, result.stderr
    assert "released model@v0.0.1 and pushed the tags to origin" in result.stderr
    assert git(target, env, "tag", "--list").stdout.split() == ["model@v0.0.1"]
    head = git(target, env, "rev-parse", "HEAD").stdout.strip()
    assert git(target, env, "rev-list", "-n1", "model@v0.0.1").stdout.strip() == head
    assert find_latest_version(str(target), "model").version == "v0.0.1"
    assert "refs/tags/model@v0.0.1" in git(target, env, "ls-remote", "--tags", "origin").stdout


# --- gate and report on the world -----------------------------------------------------------------


@pytest.mark.slow
def test_gate_refuses_a_base_that_does_not_exist(checks):
    """It exits 1 with one `ERROR:` line naming the base and prints no decision, when the base
    branch is neither here nor on origin: a missing base never leaves the floor alone to decide."""
    result = checks["nowhere"]
    assert_one_error(result, "the base `nowhere` is neither a branch or commit here")
    assert result.stdout == ""


@pytest.mark.slow
def test_gate_fails_below_the_floor_of_params(checks):
    """It exits 1 with one `ERROR: quality gate failed` line naming the floor, when params.yaml's
    gate.min is above the model's score."""
    result = checks["strict"]
    line = assert_one_error(result, "quality gate failed: average_precision")
    assert "below the floor gate.min=0.999" in line
    assert json.loads(result.stdout)["passed"] is False


@pytest.mark.slow
def test_gate_scores_mains_model_with_mains_code(world, checks):
    """It passes and prints a champion scored as main's own evaluate scored it, when run with
    --json on a branch whose model is main's."""
    result = checks["gate"]
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["base"] == "main"
    assert summary["champion"] is not None
    assert summary["passed"] is True
    assert summary["reasons"] == []
    assert summary["max_drop"] == 0.02  # the branch's params.yaml
    for name in METRICS:
        assert summary["champion_metrics"][name] == pytest.approx(world.main_metrics[name])
        assert summary["challenger_metrics"][name] == pytest.approx(world.main_metrics[name])
    assert "quality gate passed" in result.stderr


@pytest.mark.slow
def test_report_sets_both_models_side_by_side(world, checks):
    """It writes report.md with main's model and this run's, their metrics, the gate, the data,
    drift and the parameters diff, when run on a branch against main (not posted outside CI)."""
    result = checks["report"]
    assert result.returncode == 0, result.stderr
    assert "not posted: not running in CI" in result.stderr
    text = (world.root / "report.md").read_text(encoding="utf-8")
    assert "| Metric | `main`'s model (champion) | This run's model (challenger) | Change |" in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| ")]
    for name, label in report.HEADLINE.items():
        [cells] = [row for row in rows if row[0] in (f"| {label}", f"| {label} (gate)")]
        value = f"{world.main_metrics[name]:.4f}"
        assert cells[1:4] == [value, value, "+0.0000 |"]  # main's model on both sides
    assert "**Quality gate: passed**" in text
    assert "this model becomes `model@v0.0.1`" in text
    assert f"Data: `{SOURCE}` (rows {LOANS})." in text
    data = text.split("## Data: what the models learned from")[1].split("## Drift")[0]
    split = json.loads(
        (world.root / "data" / "prepared" / "split.json").read_text(encoding="utf-8")
    )
    assert split["train"]["rows"] + split["test"]["rows"] == LOANS
    for title, part in (("Training", "train"), ("Test", "test")):  # main's data is this run's
        assert f"| {title} | {split[part]['rows']:,} rows | {split[part]['rows']:,} rows |" in data
    assert "Rows: +0 against `main`." in data
    assert "The data check found nothing to report." in data
    assert "## Drift: the base model's data against today's" in text
    assert (world.root / report.DRIFT_FIGURE).stat().st_size > 0
    assert "gate.max_drop" in text.split("## Parameters diff")[1]
    assert text.split("## Code changed since `main`")[1].split("##")[0].strip() == f"- `{CI_INIT}`"
    assert "![Confusion matrix](./dvclive/evaluate/plots/images/confusion_matrix.png)" in text


# --- failing closed: "nothing there yet" is not "there, but unreadable" ---------------------------


def unreachable_remote(target: Path, env: dict[str, str]) -> None:
    """Point ``target``'s DVC remote at a folder that does not exist (in .dvc/config.local)."""
    dvc(target, env, "remote", "modify", "--local", "storage", "url", target.parent / "gone")


@pytest.mark.slow
def test_the_gate_refuses_when_mains_model_cannot_be_fetched(world, tmp_path):
    """It exits 1 with one `ERROR:` line about main's model and prints no decision, when main's
    model is neither in the cache nor in the reachable remote; with the remote back, it scores
    main's model and passes."""
    target = tmp_path / "project"
    git(tmp_path, world.env, "clone", "-q", "-b", "candidate", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    assert ci(target, env, "storage", "pull").returncode == 0
    shutil.rmtree(target / ".dvc" / "cache")  # this run's outputs stay in the workspace
    unreachable_remote(target, env)
    refused = ci(target, env, "gate", "--base", "main", "--json")
    line = assert_one_error(  # main is origin's here: this clone never checked it out
        refused, "`origin/main`'s model cannot be scored: models/model.joblib as `origin/main`"
    )
    assert "could not be read (it is not in the DVC cache" in line
    assert refused.stdout == ""
    (target / ".dvc" / "config.local").unlink()
    passed = ci(target, env, "gate", "--base", "main", "--json")
    assert passed.returncode == 0, passed.stderr
    summary = json.loads(passed.stdout)
    assert summary["champion"] == pytest.approx(world.main_metrics["average_precision"])


@pytest.mark.slow
def test_the_gate_passes_with_a_note_when_main_has_no_model_yet(world, tmp_path):
    """It passes on the floor and says main has no model yet, when main's dvc.lock records none
    (a project whose first training is this one)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**world.env, "PYTHONPATH": str(world.root / "src")}
    git(repo, env, "init", "-q", "-b", "main")
    dvc(repo, env, "init", "-q")
    shutil.copy(world.root / "params.yaml", repo / "params.yaml")
    (repo / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n", encoding="utf-8")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-qm", "Not trained yet")
    for part in ("models", "data/prepared"):  # this run's model and test set, untracked
        shutil.copytree(world.root / part, repo / part)
    result = ci(repo, env, "gate", "--base", "main", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["champion"] is None
    assert summary["notes"] == ["`main` has no model yet (its dvc.lock records none)"]
    assert "quality gate passed" in result.stderr and "against no base model" in result.stderr


@pytest.mark.slow
def test_a_fresh_clone_without_its_remote_stops_at_the_data_check(world, tmp_path):
    """`dvc repro` stops at check_data with one `ERROR:` line about the reference profile, no
    traceback, no profile and no model, when the committed reference cannot be fetched."""
    target = tmp_path / "project"
    git(tmp_path, world.env, "clone", "-q", "-b", "main", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    unreachable_remote(target, env)
    result = run(target, env, sys.executable, "-m", "dvc", "repro", check=False)
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("ERROR: the data")]
    assert len(ours) == 1, result.stderr
    assert ours[0].startswith("ERROR: the data check's reference, data/profile.json as `HEAD`")
    assert "check_data.compare: false" in ours[0]
    assert "Traceback" not in result.stderr
    assert "Running stage 'prepare'" not in result.stdout
    assert not (target / "data" / "profile.json").exists()
    assert not (target / "models" / "model.joblib").exists()


# --- slow: whole pipelines run again ------------------------------------------------------------


@pytest.mark.slow
def test_train_pulls_reruns_the_check_and_pushes(world, tmp_path):
    """It pulls, reruns only the source check, pushes, and records each step's time, when the
    pipeline in a fresh clone is up to date with the remote."""
    target = tmp_path / "project"
    git(tmp_path, world.env, "clone", "-q", "-b", "main", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    result = ci(target, env, "train")
    assert result.returncode == 0, result.stderr
    times = json.loads((target / "training_times.json").read_text(encoding="utf-8"))
    assert [step["step"] for step in times["steps"]] == ["pull", "check_source", "push"]
    assert git(target, env, "status", "--porcelain", "--untracked-files=no").stdout == ""


@pytest.mark.slow
def test_smoke_training_needs_no_remote(world, tmp_path):
    """It runs the whole pipeline as an experiment on at most its smoke rows, pushes nothing and
    leaves params.yaml, dvc.lock and the outputs as they were, when run with --smoke in a copy of
    the world whose remote is gone."""
    target = tmp_path / "project"
    shutil.copytree(world.root, target, symlinks=True)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    dvc(target, env, "remote", "modify", "--local", "storage", "url", tmp_path / "no-remote")
    model = (target / "models" / "model.joblib").read_bytes()
    result = ci(target, env, "train", "--smoke")
    assert result.returncode == 0, result.stderr
    assert "smoke run passed on at most" in result.stderr
    assert not (tmp_path / "no-remote").exists()
    assert git(target, env, "status", "--porcelain", "--untracked-files=no").stdout == ""
    assert (target / "models" / "model.joblib").read_bytes() == model


@pytest.mark.slow
def test_a_retrained_branch_is_gated_against_mains_model(world, tmp_path):
    """It scores main's model as main scored it and this branch's as it scored itself, and the
    gate's verdict follows gate.max_drop, when the branch trained another model."""
    target = tmp_path / "project"
    git(tmp_path, world.env, "clone", "-q", "-b", "candidate", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(target / "src")}
    pulled = ci(target, env, "storage", "pull")
    assert pulled.returncode == 0, pulled.stderr
    edit_params(
        target / "params.yaml", gate__max_drop=0,
        train__xgboost__max_depth=2, train__xgboost__n_estimators=5,
        train__random_forest__max_depth=2, train__logistic_regression__C=0.01,
    )  # fmt: skip
    dvc(target, env, "repro", "-q")
    mine = json.loads((target / "dvclive" / "evaluate" / "metrics.json").read_text())
    result = ci(target, env, "gate", "--base", "main", "--json")
    summary = json.loads(result.stdout)
    for name in METRICS:
        assert summary["champion_metrics"][name] == pytest.approx(world.main_metrics[name])
        assert summary["challenger_metrics"][name] == pytest.approx(mine[name])
    worse = summary["champion"] > summary["challenger"]
    assert result.returncode == (1 if worse else 0)
    assert summary["passed"] is not worse


@pytest.mark.slow
def test_a_sweep_shared_by_runners_is_ranked_and_applied(world, tmp_path):
    """It runs a runner's share as named experiments and pushes them, and the leaderboard, in
    another clone, fetches them, ranks them and applies the best with its outputs pulled, when
    the sweep runs as CI runs it."""
    grid = ("-S", "train.xgboost.max_depth=2", "--id", "t1")
    runner, leader = tmp_path / "runner", tmp_path / "leader"
    for target in (runner, leader):
        git(tmp_path, world.env, "clone", "-q", "-b", "candidate", world.origin, target)
    env = {**world.env, "PYTHONPATH": str(runner / "src")}
    shard = ci(runner, env, "sweep", "--shard", "1/1", *grid)
    assert shard.returncode == 0, shard.stderr
    assert "refs/exps/" in git(runner, env, "ls-remote", "origin").stdout
    env = {**world.env, "PYTHONPATH": str(leader / "src")}
    board = ci(leader, env, "sweep", "--leaderboard", *grid)
    assert board.returncode == 0, board.stderr
    text = (leader / "leaderboard.md").read_text(encoding="utf-8")
    assert "# Sweep `t1`: 1 experiments" in text
    assert "## Best: `sweep-t1-1`" in text
    assert "![Confusion matrix](./dvclive/evaluate/plots/images/confusion_matrix.png)" in text
    params = yaml.safe_load((leader / "params.yaml").read_text(encoding="utf-8"))
    assert params["train"]["xgboost"]["max_depth"] == 2
    assert (leader / "models" / "model.joblib").exists()
