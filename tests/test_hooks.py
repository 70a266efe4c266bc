"""Bad answers stop the bake with one line, `ERROR: <what>. <how to fix>.`, and leave nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE, load_module

ONE_LINE = r"^ERROR: [^\n]+\. [^\n]+\.$"


def load_hook(name: str):
    """Import a hook file as a module."""
    return load_module(TEMPLATE / "hooks" / f"{name}.py")


def bake_cli(output: Path, *pairs: str) -> subprocess.CompletedProcess:
    """Run the cookiecutter command line, with no prompts, answers given as ``key=value``."""
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output), str(TEMPLATE), *pairs]
    return subprocess.run(command, capture_output=True, text=True)


BAD_ANSWERS = {
    "slug-with-space": ({"project_slug": "fraud detection"}, "project_slug"),
    "slug-leading-digit": ({"project_name": "3D Fraud"}, "package_name"),
    "package-keyword": ({"project_name": "Class"}, "Python keyword"),
    "package-shadows-dependency": ({"project_name": "xgboost"}, "shadow"),
    "package-shadows-stdlib": ({"project_name": "json"}, "shadow"),
    "package-non-ascii": ({"package_name": "frauddé"}, "package_name"),
    "empty-name": ({"project_name": " "}, "project_name is empty"),
    "multiline-description": ({"description": "one\ntwo"}, "description spans several lines"),
    "bad-email": ({"author_email": "nobody"}, "author_email"),
    "s3-url-on-local": ({"dvc_remote": "local", "dvc_remote_url": "s3://bucket/x"}, "not a folder path"),
    "local-path-on-s3": ({"dvc_remote": "s3", "dvc_remote_url": "/srv/storage"}, "does not fit a s3 remote"),
    "gs-url-on-azure": ({"dvc_remote": "azure", "dvc_remote_url": "gs://bucket"}, "does not fit a azure remote"),
    "url-on-none": ({"dvc_remote": "none", "dvc_remote_url": "s3://bucket"}, "dvc_remote is 'none'"),
    "empty-url-on-ssh": ({"dvc_remote": "ssh", "dvc_remote_url": ""}, "empty for a ssh remote"),
    "local-remote-inside-project": ({"dvc_remote_url": "storage"}, "inside the project"),
    "cron-four-fields": ({"training_schedule": "0 8 * *"}, "5 fields"),
    "cron-hour-25": ({"training_schedule": "0 25 * * *"}, "hour '25' is not between 0 and 23"),
    "cron-words": ({"training_schedule": "daily at eight"}, "training_schedule"),
    "cron-open-range": ({"training_schedule": "0 8 1- * *"}, "day of month '' is not between 1 and 31"),
    "cron-zero-step": ({"training_schedule": "*/0 * * * *"}, "step '0' is not a whole number above 0"),
    "gpu-on-cpu-instance": ({"cloud_gpu": "a100", "cloud_instance_type": "m5.large"}, "has no GPU"),
    "gpu-the-cloud-lacks": ({"cloud": "azure", "cloud_gpu": "l4"}, "azure rents no L4 GPU"),
    "ec2-runner-on-gitlab": ({"runner": "ec2-github-runner", "ci": "gitlab"}, "registers GitHub runners"),
    "ec2-runner-on-gcp": ({"runner": "ec2-github-runner", "cloud": "gcp"}, "starts AWS machines"),
    "labels-empty": ({"runner": "labels", "runner_labels": "self-hosted,,gpu"}, "runner_labels"),
    "gpu-on-e2-gcp": ({"cloud": "gcp", "cloud_gpu": "t4", "cloud_instance_type": "e2-standard-4"}, "has no GPU"),
    "region-with-space": ({"cloud_region": "us east"}, "cloud_region"),
    "oidc-on-gitlab": ({"aws_auth": "oidc", "ci": "gitlab"}, "aws_auth 'oidc' is for GitHub Actions"),
    "endpoint-on-gs": (
        {"dvc_remote": "gs", "dvc_remote_endpoint_url": "https://minio.example.com"},
        "dvc_remote is 'gs'",
    ),
    "endpoint-not-http": (
        {"dvc_remote": "s3", "dvc_remote_url": "s3://b/p", "dvc_remote_endpoint_url": "minio:9000"},
        "not an http(s) URL",
    ),
}


@pytest.mark.parametrize(("answers", "mentions"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_refused_in_one_line(tmp_path, answers, mentions):
    """The cookiecutter CLI exits non-zero, prints one ERROR line naming the problem, bakes nothing."""
    output = tmp_path / "out"
    result = bake_cli(output, *(f"{key}={value}" for key, value in answers.items()))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    assert mentions in errors[0]
    assert re.match(ONE_LINE, errors[0]), errors[0]
    assert "Traceback" not in result.stderr  # cookiecutter logs its own on stdout; ours has none
    assert not output.exists() or list(output.iterdir()) == []


def test_an_unknown_choice_is_refused_by_cookiecutter(tmp_path):
    """A value outside a choice list (an unknown cloud) is refused before any hook runs, naming the choices."""
    output = tmp_path / "out"
    result = bake_cli(output, "cloud=digitalocean")
    assert result.returncode != 0
    assert (
        "digitalocean provided for choice variable cloud, but the choices are ['aws', 'gcp', 'azure']" in result.stderr
    )
    assert not output.exists()


def test_the_hook_knows_the_gpus_the_ci_files_rent():
    """The GPU choices of cookiecutter.json, the clouds the hook accepts for each, and the
    machines that ci/machines.py launches for them are the same."""
    machines = load_module(TEMPLATE / "{{cookiecutter.project_slug}}/src/{{cookiecutter.package_name}}/ci/machines.py")
    hook = load_hook("pre_gen_project")
    choices = json.loads((TEMPLATE / "cookiecutter.json").read_text())["cloud_gpu"]
    assert choices == hook.CHOICES["cloud_gpu"] == ["nogpu", *machines.GPUS]
    assert {gpu: tuple(clouds) for gpu, clouds in machines.GPUS.items()} == hook.GPU_CLOUDS


def test_checks_accept_the_defaults():
    """The pre-generation checks find nothing wrong with sensible answers."""
    hook = load_hook("pre_gen_project")
    answers = {
        "project_name": "Fraud Detection", "project_slug": "fraud-detection", "package_name": "fraud_detection",
        "description": "d", "author": "a", "author_email": "a@b.c", "python_version": "3.11",
        "model": "xgboost", "dvc_remote": "s3", "dvc_remote_url": "s3://bucket/x", "ci": "github", "git_init": True,
        "runner": "cml", "runner_labels": "self-hosted, gpu", "cloud": "aws", "cloud_region": "us-east-1",
        "cloud_instance_type": "g5.xlarge", "cloud_gpu": "t4",
        "cloud_spot": False, "training_schedule": "0 8 * * 1-5", "aws_auth": "oidc",
    }  # fmt: skip
    assert hook.first_error(answers) is None
    assert hook.first_error({**answers, "ci": "jenkins"}).startswith("ci 'jenkins' is not one of")


def test_post_hook_keeps_only_answers(tmp_path, monkeypatch):
    """The answers file drops cookiecutter's machine-specific keys but keeps the template source."""
    hook = load_hook("post_gen_project")
    monkeypatch.chdir(tmp_path)
    hook.write_answers({"model": "xgboost", "_template": "gh:org/t", "_output_dir": "/home/x", "_repo_dir": "/tmp/y"})
    text = (tmp_path / ".cookiecutter.json").read_text()
    assert '"_template": "gh:org/t"' in text
    assert "/home/x" not in text
    assert "/tmp/y" not in text


def test_template_code_passes_ruff():
    """The hooks and these tests pass ruff (the hooks are valid Python before rendering)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "hooks", "tests"], cwd=TEMPLATE, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("text", ["Use {{ x }} here", "Use {% raw %} here"], ids=["braces", "block"])
def test_template_syntax_in_an_answer_is_refused_by_cookiecutter(tmp_path, text):
    """Cookiecutter reads `{{` and `{%` in an answer as a template and refuses it; nothing is baked."""
    output = tmp_path / "out"
    result = bake_cli(output, f"description={text}")
    assert result.returncode != 0
    assert not output.exists() or list(output.iterdir()) == []
