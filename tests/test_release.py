"""Model versions with GTO: `ci release` on a real git repository with the local DVC remote.

A release tags the commit whose dvc.lock holds the model (`model@vX.Y.Z`, and `model#<stage>#N`
with --stage), after the gate passed against the last version; the model of a version comes
back byte for byte on a fresh clone with `dvc artifacts get`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import bake, run, set_params

pytestmark = pytest.mark.slow


def ci(project, *args, check=True):
    return run(project, sys.executable, "-m", "fraud_detection.ci", *args, check=check)


def tags(project) -> list[str]:
    return run(project, "git", "tag", "--list").stdout.split()


def error_line(result) -> str:
    [line] = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    return line


def test_release_registers_a_version_that_a_fresh_clone_restores(tmp_path):
    project = bake(tmp_path / "bake")
    set_params(project, get_data__n_samples=3000, train__xgboost__n_estimators=30, gate__min=0.0)
    run(project, "dvc", "repro", "--quiet")
    run(project, "dvc", "push", "--quiet")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Train the first model")

    ci(project, "report")
    assert "this model becomes `model@v0.0.1`" in (project / "report.md").read_text()

    # Refused: a workspace with changes not committed.
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nA note.\n")
    refused = ci(project, "release", check=False)
    assert refused.returncode == 1
    assert "the workspace is not committed (README.md)" in error_line(refused)
    run(project, "git", "checkout", "-q", "README.md")
    assert tags(project) == []

    released = ci(project, "release", "--bump", "minor", "--stage", "prod")
    assert "released model@v0.1.0 in stage prod" in released.stderr
    assert tags(project) == ["model#prod#1", "model@v0.1.0"]
    shown = run(project, "gto", "show").stdout
    assert "v0.1.0" in shown and "model" in shown
    assert (
        run(project, "git", "rev-list", "-n1", "model@v0.1.0").stdout == run(project, "git", "rev-parse", "HEAD").stdout
    )

    # Refused: the same commit again (GTO), and a model below the gate's floor.
    again = ci(project, "release", check=False)
    assert "GTO refused the release" in error_line(again) and "already registered" in error_line(again)
    set_params(project, gate__min=0.99)
    run(project, "git", "commit", "-qam", "A floor no model reaches")
    failing = ci(project, "release", check=False)
    assert "quality gate failed against model@v0.1.0" in error_line(failing)
    assert tags(project) == ["model#prod#1", "model@v0.1.0"]

    # A fresh clone gets the model of a version, or of a stage, from the DVC remote.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    model = (project / "models/model.joblib").read_bytes()
    run(clone, "dvc", "artifacts", "get", str(project), "model", "--rev", "v0.1.0", "-o", "v010.joblib")
    run(clone, "dvc", "artifacts", "get", ".", "model", "--stage", "prod", "-o", "prod.joblib")
    assert (clone / "v010.joblib").read_bytes() == model
    assert (clone / "prod.joblib").read_bytes() == model
