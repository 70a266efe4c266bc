"""Helpers shared by the template's tests: bake a project, run commands in it, the option matrix."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cookiecutter.main import cookiecutter
from s3_server import S3Server

TEMPLATE = Path(__file__).resolve().parents[1]
OPTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# Commits made by the tests need an identity, whatever the machine's git config says.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def choices() -> dict[str, list]:
    """Every multiple-choice option of cookiecutter.json with its values (yes/no ones included)."""
    found = {}
    for key, value in OPTIONS.items():
        if key.startswith("_"):
            continue
        if isinstance(value, list):
            found[key] = value
        elif isinstance(value, bool):
            found[key] = [value, not value]
    return found


# Combinations the pre-generation hook refuses (test_hooks.py proves it), with the key whose
# value the matrix moves on to make the row valid.
def load_module(path: Path):
    """Import a file of the template as a module: hooks, and baked modules that need only the
    standard library, stay valid Python before rendering."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GPU_CLOUDS = load_module(TEMPLATE / "hooks/pre_gen_project.py").GPU_CLOUDS  # as the hook knows them
REFUSED = [
    (lambda row: row["aws_auth"] == "oidc" and row["ci"] in ("gitlab", "none"), "aws_auth"),
    (
        lambda row: row["runner"] == "ec2-github-runner" and (row["ci"] in ("gitlab", "none") or row["cloud"] != "aws"),
        "runner",
    ),
    (lambda row: row["cloud"] not in GPU_CLOUDS.get(row["cloud_gpu"], (row["cloud"],)), "cloud_gpu"),
]


def repaired(row: dict) -> dict:
    """``row`` with refused combinations moved on to the next value of their key."""
    options = choices()
    for refused, key in REFUSED:
        while refused(row):
            values = options[key]
            row = {**row, key: values[(values.index(row[key]) + 1) % len(values)]}
    return row


def option_matrix() -> list[dict]:
    """Bakes that together give every value of every option at least once (values rotated)."""
    options = choices()
    rounds = max(len(values) for values in options.values())
    rows = [repaired({key: values[i % len(values)] for key, values in options.items()}) for i in range(rounds)]
    for key, values in options.items():  # a value lost to a repair gets a row of its own
        for value in values:
            if not any(row[key] == value for row in rows):
                rows.append(repaired({**rows[0], key: value}))
    return rows


def matrix_id(answers: dict) -> str:
    """A readable test id such as ``model:xgboost-dvc_remote:local-ci:github``."""

    def show(value: object) -> str:
        return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)

    return "-".join(f"{key}:{show(value)}" for key, value in answers.items())


def bake(output_dir: Path, **answers) -> Path:
    """Bake the template with ``answers`` (defaults for the rest) and return the project folder."""
    path = cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir))
    return Path(path)


def project_env(project: Path) -> dict[str, str]:
    """Environment for commands in a baked project: this venv's tools, its package importable."""
    return {
        **os.environ,
        **GIT_IDENTITY,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(project / "src"),
        "DVC_NO_ANALYTICS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # keep bakes free of __pycache__, so their file tree stays exact
    }


def run(
    project: Path, *command: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess:
    """Run ``command`` in ``project`` (``env`` added); on failure show its output in the test report."""
    result = subprocess.run(
        command,
        cwd=project,
        env={**project_env(project), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def stages_run(output: str) -> list[str]:
    """The stages that `dvc repro` / `dvc exp run` output says it ran, in order."""
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")]


def set_params(project: Path, **values: object) -> None:
    """Set params.yaml keys given with ``__`` for dots, e.g. ``get_data__n_samples=2000``."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in values.items():
        *sections, key = dotted.split("__")
        node = params
        for section in sections:
            node = node[section]
        assert key in node, f"{dotted} is not in params.yaml"
        node[key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An S3 server on 127.0.0.1 with an empty bucket `models`, for one test module."""
    server = S3Server(tmp_path_factory.mktemp("s3")).start()
    server.make_bucket("models")
    yield server
    server.stop()


def orders(rows: int, start: int = 0, drift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Fraud-like orders, one an hour from 2026-01-01 plus ``start`` hours, about 7% fraud.

    ``drift`` moves the amounts up by that many standard deviations and makes fraud follow
    the amount less and the hour more, as when fraudsters change tactics.
    """
    rng = np.random.default_rng([seed, start])
    hours = np.arange(start, start + rows)
    amount = rng.lognormal(3 + drift, 1, rows)
    age = rng.normal(40, 12, rows)
    country = rng.choice(["NL", "DE", "FR", "BE"], rows)
    night = ((hours % 24) < 6).astype(float)
    score = -4 + (2 - drift) * (np.log(amount) - 3) + 2 * (age < 25) + (1 + drift) * night
    fraud = rng.random(rows) < 1 / (1 + np.exp(-score))
    return pd.DataFrame(
        {
            "amount": amount.round(2),
            "age": age.round(1),
            "country": country,
            "created": pd.Timestamp("2026-01-01") + pd.to_timedelta(hours, unit="h"),
            "status": np.where(fraud, "fraud", "ok"),
        }
    )


ORDERS_PARAMS = {
    "get_data__label_column": "status",
    "get_data__positive_label": "fraud",
    "prepare__split": "time",
    "prepare__time_column": "created",
    "prepare__time_features": ["hour"],
    "train__xgboost__n_estimators": 20,
}
