"""Every value of every option bakes into a complete project that passes its own checks."""

from __future__ import annotations

import configparser
import json
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, bake, matrix_id, option_matrix, run

MATRIX = option_matrix()
STAGES = ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
EXTRAS = {"local": None, "none": None, "s3": "s3", "gs": "gs", "azure": "azure", "gdrive": "gdrive", "ssh": "ssh"}


def expected_tree(package: str, ci: str = "github", janitor: bool = True) -> set[str]:
    """The files a bake must hold, and no others (git's own folder aside)."""
    modules = [
        "__init__", "check_source", "get_data", "check_data", "prepare", "train", "evaluate",
        "features", "models", "synthetic", "predict",
        *(f"core/{name}" for name in (
            "__init__", "boosting", "cli", "committed", "dask_training", "database", "dataset", "derived",
            "encoding", "extras", "files", "labels", "params", "paths", "profile", "progress", "sources", "tracking",
        )),
        *(f"ci/{name}" for name in (
            "__init__", "__main__", "compare", "costs", "drift", "launch", "release", "report",
            "changes", "leaderboard", "machines", "shell", "storage", "sweep", "training",
        )),
    ]  # fmt: skip
    tests = [
        "conftest", "test_batches", "test_check_data", "test_ci", "test_committed", "test_costs", "test_drift",
        "test_evaluate", "test_extras", "test_features", "test_get_data", "test_layers", "test_machines",
        "test_params", "test_pipeline", "test_prepare", "test_sources", "test_sweep", "test_train",
        "test_your_project",
    ]  # fmt: skip
    docs = ["data", "experiments", "features-and-models", "install", "layout", "model-versions", "scale", "storage"]
    return {
        ".cookiecutter.json", ".dvc/.gitignore", ".dvc/config", ".dvc/plots/confusion_counts.json",
        ".dvcignore", ".gitignore", "README.md", "dvc.yaml", "params.yaml", "pyproject.toml",
        *(f"src/{package}/{name}.py" for name in modules), f"src/{package}/ci/prices.toml",
        *(f"tests/{name}.py" for name in tests),
        *(f"docs/{name}.md" for name in docs),
        *({"docs/continuous-training.md"} if ci != "none" else set()),
        *({".github/actionlint.yaml", *(f".github/workflows/{name}.yml" for name in ("train", "sweep", "test"))}
          if ci in ("github", "both") else set()),
        *({".github/workflows/janitor.yml"} if ci in ("github", "both") and janitor else set()),
        *({".gitlab-ci.yml"} if ci in ("gitlab", "both") else set()),
    }  # fmt: skip


def files_of(project: Path) -> set[str]:
    """Every file in ``project`` outside .git, as posix paths relative to it."""
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


@pytest.fixture(scope="module", params=MATRIX, ids=[matrix_id(a) for a in MATRIX])
def baked(request, tmp_path_factory):
    """One project per row of the option matrix: its folder, the answers, the files as baked."""
    answers = request.param
    project = bake(tmp_path_factory.mktemp("bake"), **answers)
    # The tree as baked, before any test runs a tool in it (DVC, for one, adds .dvc/tmp).
    return project, answers, files_of(project)


def test_file_tree_is_exact(baked):
    """The bake holds exactly the expected files."""
    _, answers, files = baked
    janitor = answers["runner"] != "labels" and answers["cloud"] == "aws"
    assert files == expected_tree("fraud_detection", answers["ci"], janitor)


def test_no_template_syntax_is_left(baked):
    """No `{{ cookiecutter... }}`, `{%` or `%}` survives in any file."""
    project, _, files = baked
    leftover = re.compile(r"\{\{\s*cookiecutter|\{%|%\}|\{#")
    for name in files:
        text = (project / name).read_text(encoding="utf-8")
        assert not leftover.search(text), f"template syntax left in {name}"


def test_answers_are_kept(baked):
    """.cookiecutter.json holds the answers in replay format, machine paths left out."""
    project, answers, _ = baked
    kept = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    for key, value in answers.items():
        assert kept[key] == value
    assert kept["project_slug"] == "fraud-detection"
    assert not any(key in kept for key in ("_output_dir", "_repo_dir", "_checkout"))


def test_dvc_yaml_has_every_stage(baked):
    """dvc.yaml runs each stage's module, with its module in deps and its params named; only
    check_source runs every time."""
    project, _, _ = baked
    pipeline = yaml.safe_load((project / "dvc.yaml").read_text())
    assert list(pipeline["stages"]) == STAGES
    for name, stage in pipeline["stages"].items():
        assert stage["cmd"] == f"python -m fraud_detection.{name}"
        assert f"${{pkg}}/{name}.py" in stage["deps"]
        assert stage["params"]
        assert stage["outs"]
    assert [name for name, stage in pipeline["stages"].items() if stage.get("always_changed")] == ["check_source"]
    assert "data/source.json" in pipeline["stages"]["get_data"]["deps"]
    assert pipeline["vars"] == [{"pkg": "src/fraud_detection"}]
    assert set(pipeline["metrics"]) == {"dvclive/evaluate/metrics.json", "dvclive/train/metrics.json"}


def test_params_follow_the_answers(baked):
    """params.yaml has a section per stage (check_source reads get_data's) and trains the chosen model."""
    project, answers, _ = baked
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert set(STAGES[1:]) <= set(params)
    assert params["train"]["model"] == answers["model"]
    assert params["get_data"]["n_samples"] > 0
    assert {"xgboost", "random_forest", "logistic_regression"} <= set(params["train"])


def test_pyproject_names_the_remote_extra(baked):
    """pyproject.toml parses, requires the chosen Python, and DVC with the remote's extra."""
    project, answers, _ = baked
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == f">={answers['python_version']}"
    dvc = next(dep for dep in meta["dependencies"] if dep.startswith("dvc") and not dep.startswith("dvclive"))
    extra = EXTRAS[answers["dvc_remote"]]
    assert dvc.startswith(f"dvc[{extra}]>=" if extra else "dvc>=")


def test_dvc_config_holds_the_remote(baked):
    """.dvc/config sets the chosen remote as default, a local one as an absolute path."""
    project, answers, _ = baked
    config = configparser.ConfigParser()
    config.read_string((project / ".dvc/config").read_text())
    if answers["dvc_remote"] == "none":
        assert "remote" not in config["core"]
        return
    assert config["core"]["remote"] == "storage"
    url = config["'remote \"storage\"'"]["url"]
    if answers["dvc_remote"] == "local":
        assert Path(url).is_absolute()
        assert Path(url).name == "fraud-detection-dvc-storage"
        assert Path(url).parent == project.parent
    else:
        assert url.startswith(f"{answers['dvc_remote']}://")


def test_git_repository_follows_the_answer(baked):
    """With git_init, everything is in one first commit and the tree is clean; without, no .git."""
    project, answers, _ = baked
    if not answers["git_init"]:
        assert not (project / ".git").exists()
        return
    log = run(project, "git", "log", "--oneline").stdout.splitlines()
    assert len(log) == 1
    assert run(project, "git", "status", "--porcelain").stdout == ""
    assert run(project, "git", "branch", "--show-current").stdout.strip() == "main"


def test_ruff_passes(baked):
    """The bake passes its own ruff configuration."""
    project, _, _ = baked
    run(project, sys.executable, "-m", "ruff", "check", "--no-cache", ".")


def test_quick_own_tests_pass(baked):
    """The bake's own unit tests pass (those of its CI machinery run once, below)."""
    project, _, _ = baked
    quick = ["-m", "not slow", "--ignore=tests/test_ci.py"]
    run(project, sys.executable, "-m", "pytest", "-q", *quick, "-p", "no:cacheprovider")


@pytest.mark.slow
def test_own_pipeline_test_passes(baked):
    """The bake's own pipeline smoke test passes (its CI machinery's tests run once, below)."""
    project, _, _ = baked
    slow = ["-m", "slow", "--ignore=tests/test_ci.py"]
    run(project, sys.executable, "-m", "pytest", "-q", *slow, "-p", "no:cacheprovider")


@pytest.mark.slow
def test_own_machinery_tests_pass(tmp_path):
    """The default bake's tests of its CI machinery pass, the slow ones on a trained world too."""
    project = bake(tmp_path)
    run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_ci.py")


def test_other_names_reach_every_file(tmp_path):
    """A custom project name gives its slug and package everywhere, and the bake still lints."""
    project = bake(tmp_path, project_name="Webshop Chargebacks 2")
    assert project.name == "webshop-chargebacks-2"
    assert files_of(project) == expected_tree("webshop_chargebacks_2")
    assert "python -m webshop_chargebacks_2.train" in (project / "dvc.yaml").read_text()
    run(project, sys.executable, "-m", "ruff", "check", "--no-cache", ".")


def test_hostile_text_bakes_into_valid_files(tmp_path):
    """Quotes, backslashes and unicode in free text come back intact from pyproject.toml."""
    answers = {
        "project_name": 'Zoë\'s "Fraud" Check',
        "description": 'Catches "bad" orders; it\'s C:\\fast & <safe> — ünïcode',
        "author": "O'Brien \\ Søren",
    }
    project = bake(tmp_path, **answers)
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["description"] == answers["description"]
    assert meta["authors"][0]["name"] == answers["author"]
    assert project.name == "zoe-s-fraud-check"
    kept = json.loads((project / ".cookiecutter.json").read_text(encoding="utf-8"))["cookiecutter"]
    assert {key: kept[key] for key in answers} == answers
    for name in files_of(project):  # every file of a parseable kind parses
        text = (project / name).read_text(encoding="utf-8")
        if name.endswith(".py"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # an invalid escape sequence would only warn
                compile(text, name, "exec")
        elif name.endswith((".yaml", ".yml")):
            yaml.safe_load(text)
    run(project, sys.executable, "-m", "ruff", "check", "--no-cache", ".")


def test_cruft_create_bakes_and_records_the_template(tmp_path):
    """`cruft create` bakes the committed template and writes .cruft.json for `cruft update`."""
    command = [sys.executable, "-m", "cruft", "create", str(TEMPLATE), "--no-input", "--output-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "fraud-detection"
    assert json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]["model"] == "xgboost"
    assert (project / "dvc.yaml").exists()


@pytest.mark.slow
def test_readme_install_command_works(tmp_path):
    """`uv sync`, the baked README's install command, installs the project and writes uv.lock; its
    quick tests pass there. CI's `uv sync --locked` installs that lock, and refuses one that no
    longer matches pyproject.toml until `uv lock` renews it."""
    uv = str(Path(sys.executable).parent / "uv")
    project = bake(tmp_path)
    run(project, uv, "sync", "--quiet")
    assert (project / "uv.lock").exists()
    run(project, ".venv/bin/dvc", "version")
    run(project, ".venv/bin/python", "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider")
    run(project, uv, "sync", "--locked", "--quiet")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = [\n", 'dependencies = [\n    "tomli-w>=1.0",\n', 1)
    )
    stale = run(project, uv, "sync", "--locked", "--quiet", check=False)
    assert stale.returncode != 0 and "needs to be updated" in stale.stderr, stale.stderr
    run(project, uv, "lock", "--quiet")
    run(project, uv, "sync", "--locked", "--quiet")


def test_dvc_lists_the_remote(baked):
    """`dvc remote list` shows the chosen remote as `storage` with its URL (none: no remote)."""
    project, answers, _ = baked
    listed = run(project, "dvc", "remote", "list").stdout.split()
    if answers["dvc_remote"] == "none":
        assert listed == []
    else:
        assert listed[0] == "storage"
        url = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]["dvc_remote_url"]
        assert listed[1].endswith(url.lstrip("."))


SECRET_PATTERNS = re.compile(
    # A placeholder such as `=...` or `<key>` is fine; a value of 8+ key-like characters is not.
    r"AKIA[0-9A-Z]{16}|(secret_access_key|password|connection_string|account_key|sas_token)\s*[=:]\s*['\"]?[\w/+]{8,}"
    r"|AccountKey=|-----BEGIN [A-Z ]*PRIVATE KEY|\"private_key\"",
    re.IGNORECASE,
)


def test_no_secret_in_any_file(baked):
    """No bake writes a credential into a file; git ignores the places credentials may go."""
    project, answers, files = baked
    for name in files:
        text = (project / name).read_text(encoding="utf-8")
        assert not SECRET_PATTERNS.search(text), f"{name} holds something like a secret"
    if answers["git_init"]:
        private = [".dvc/config.local", ".env", ".env.ci", "credentials.json", "service-account-key.json", "key.pem"]
        ignored = run(project, "git", "check-ignore", *private).stdout.split()
        assert ignored == private


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", True),
        ("AKIAIOSFODNN7EXAMPLE", True),
        ("password: hunter2hunter2", True),
        ("export AWS_SECRET_ACCESS_KEY=...", False),
        ("dvc remote modify --local storage secret_access_key ...", False),
    ],
)
def test_secret_scan_tells_keys_from_placeholders(text, flagged):
    """The scan flags key-like values and lets the README's placeholders through."""
    assert bool(SECRET_PATTERNS.search(text)) is flagged
