"""`cruft update` across a template commit: the template's change arrives, the user's edits stay.

The template is copied into a git repository of its own, the project made from it with
`cruft create`, edited and committed by its user; then the template gets a second commit and
the project runs `cruft update`. For the default bake and the s3, gitlab and no-git ones.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GIT_IDENTITY, TEMPLATE, run

VARIANTS = {
    "default": {},
    "s3": {"dvc_remote": "s3", "dvc_remote_url": "s3://models/fraud"},
    "gitlab": {"ci": "gitlab"},
    "no-git": {"git_init": False},
}
CI_FILES = {"github": ".github/workflows/train.yml", "gitlab": ".gitlab-ci.yml"}


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder`` with the tests' identity; its output."""
    env = {**__import__("os").environ, **GIT_IDENTITY}
    return subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True, text=True).stdout


def cruft(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the cruft command line in ``folder``."""
    return run(folder, sys.executable, "-m", "cruft", *args, check=check)


def copy_template(path: Path) -> None:
    """This template's files (the project, hooks, questions) into ``path``, as they are now."""
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache")
    shutil.copytree(TEMPLATE / "{{cookiecutter.project_slug}}", path / "{{cookiecutter.project_slug}}", ignore=ignore)
    shutil.copytree(TEMPLATE / "hooks", path / "hooks", ignore=ignore)
    shutil.copy(TEMPLATE / "cookiecutter.json", path)


def template_repository(path: Path) -> Path:
    """A copy of this template in a git repository of its own, one commit."""
    copy_template(path)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "Template v1")
    return path


def change_template(path: Path) -> str:
    """The template's second commit: a new file, a README section, a module line, a CI setting,
    and a line in .dvc/config (which updates leave to the project). Its commit."""
    slug = path / "{{cookiecutter.project_slug}}"
    (slug / "CONTRIBUTING.md").write_text("# Contributing\n\nOpen a pull request.\n")
    with open(slug / "README.md", "a") as readme:
        readme.write("\n## Changelog\n\nTemplate v2.\n")
    with open(slug / "src/{{cookiecutter.package_name}}/core/paths.py", "a") as paths:
        paths.write('\nREPORT = Path("report.md")  # the CI training report\n')
    for name in (slug / ".github/workflows").iterdir():
        name.write_text(name.read_text().replace('IDLE_TIMEOUT: "600"', 'IDLE_TIMEOUT: "900"'))
    gitlab = next(slug.glob("*gitlab-ci.yml*"))
    gitlab.write_text(gitlab.read_text().replace('IDLE_TIMEOUT: "600"', 'IDLE_TIMEOUT: "900"'))
    config = slug / ".dvc/config"
    config.write_text(
        config.read_text().replace("    autostage = true\n", "    autostage = true\n    check_update = false\n")
    )
    git(path, "commit", "-qam", "Template v2")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "Template v2: contributing guide")
    return git(path, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_cruft_update_brings_the_template_change_and_keeps_the_users(tmp_path, answers):
    """The new file, README section, module line and CI setting arrive; the user's parameter
    and title stay; no conflict markers; .dvc/config (the remote's path) is left alone;
    .cruft.json records the new commit and `cruft check` passes."""
    template = template_repository(tmp_path / "template")
    extra = tmp_path / "answers.json"
    extra.write_text(json.dumps(answers))
    cruft(tmp_path, "create", str(template), "--no-input", "--output-dir", str(tmp_path / "out"),
          "--extra-context-file", str(extra))  # fmt: skip
    project = tmp_path / "out/fraud-detection"
    has_git = answers.get("git_init", True)
    if has_git:  # .cruft.json is in the first commit, and nothing is left uncommitted
        assert ".cruft.json" in git(project, "ls-files")
        assert git(project, "status", "--porcelain") == ""
    config_before = (project / ".dvc/config").read_text()

    # The user's own edits, committed.
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("n_samples: 100000", "n_samples: 50000"))
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# Fraud Detection", "# Fraud Detection at Example Shop", 1))
    if has_git:
        git(project, "commit", "-qam", "Our own settings")

    commit = change_template(template)
    result = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert "Good work! Project's cruft has been updated" in result.stdout + result.stderr, result.stdout + result.stderr

    # The template's change arrived...
    assert (project / "CONTRIBUTING.md").read_text().startswith("# Contributing")
    assert readme.read_text().rstrip().endswith("Template v2.")
    assert 'REPORT = Path("report.md")' in (project / "src/fraud_detection/core/paths.py").read_text()
    ci = CI_FILES[answers.get("ci", "github")]
    assert 'IDLE_TIMEOUT: "900"' in (project / ci).read_text()
    # ... the user's edits stayed, nothing collided, and what belongs to this machine was not touched.
    assert "n_samples: 50000" in params.read_text()
    assert readme.read_text().startswith("# Fraud Detection at Example Shop")
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert not path.name.endswith((".rej", ".orig")), path
            assert "<<<<<<<" not in path.read_text(errors="replace"), path
    assert (project / ".dvc/config").read_text() == config_before

    assert json.loads((project / ".cruft.json").read_text())["commit"] == commit
    cruft(project, "check")


# The last commit of this template whose package was one flat folder (ci.py, compare.py and
# the stages side by side), before the stages, core/ and ci/ were layered.
FLAT_LAYOUT = "06ea3c9"


def test_cruft_update_moves_a_project_from_the_flat_layout(tmp_path):
    """A project made from the flat layout, its params.yaml edited, updates to the layered one:
    the old flat modules are gone, core/ and ci/ arrived, the user's parameter stayed, and the
    import-linter contract (exhaustive: every module in a layer) passes."""
    template = tmp_path / "template"
    template.mkdir()
    parts = ["{{cookiecutter.project_slug}}", "hooks", "cookiecutter.json"]
    archive = subprocess.run(
        ["git", "archive", "--format=tar", FLAT_LAYOUT, *parts], cwd=TEMPLATE, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(template)], input=archive.stdout, check=True)
    git(template, "init", "-q", "-b", "main")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "The flat layout")
    cruft(tmp_path, "create", str(template), "--no-input", "--output-dir", str(tmp_path / "out"))
    project = tmp_path / "out/fraud-detection"
    package = project / "src/fraud_detection"
    assert (package / "ci.py").is_file() and not (package / "core").exists()
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("n_samples: 100000", "n_samples: 50000"))
    git(project, "commit", "-qam", "Our own settings")

    for part in parts:  # the template as it is now, as the next commit
        shutil.rmtree(template / part) if (template / part).is_dir() else (template / part).unlink()
    copy_template(template)
    git(template, "add", "-A")
    git(template, "commit", "-qm", "The layered layout")
    result = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert "Good work! Project's cruft has been updated" in result.stdout + result.stderr, result.stdout + result.stderr

    # fmt: off
    flat = {"ci", "compare", "report", "drift", "storage", "sweep", "launch", "release", "costs", "cli",
            "params", "paths", "dataset", "encoding", "boosting", "sources", "database", "progress", "tracking"}
    # fmt: on
    assert not [name for name in flat if (package / f"{name}.py").exists()]
    assert (package / "core/paths.py").is_file() and (package / "ci/__main__.py").is_file()
    assert (package / "features.py").is_file()
    text = params.read_text()
    assert "n_samples: 50000" in text and "class_names: [legit, fraud]" in text
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert not path.name.endswith((".rej", ".orig")), path
    check = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    lint = run(project, sys.executable, "-c", check)
    assert "1 kept, 0 broken" in lint.stdout
