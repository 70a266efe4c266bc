"""Settings that need an optional library: refused in one line naming the extra that brings it.

The stages run as DVC runs them (`python -m {{ cookiecutter.package_name }}.<stage>`) in a
scratch folder with the example's params.yaml and the setting under test. The library is
hidden from that process only: a sitecustomize.py first on PYTHONPATH puts None in
sys.modules under its name, which is how Python marks a module that cannot be imported
(`import` fails, importlib finds no spec).
"""

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from conftest import PROJECT, example_params
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.paths import MODEL, RAW_DATA, SOURCE_STATE, TRAIN_LIVE_DIR

PACKAGE = "{{ cookiecutter.package_name }}"
SQLITE = "sqlite:///data/orders.db"
POSTGRES = "postgresql://analyst@localhost:5432/sales"  # never reached: the check comes first
OUTPUTS = {"check_source": SOURCE_STATE, "get_data": RAW_DATA}  # what each stage writes


def test_a_missing_extra_is_named():
    """A setting whose optional library is missing names the `uv sync --extra` that brings it."""
    from {{ cookiecutter.package_name }}.core.extras import require

    with pytest.raises(UserError, match=r"needs no_such_library.*uv sync --extra dask"):
        require("no_such_library", "dask", "train.engine dask")


def project(folder: Path, **sections: dict) -> Path:
    """A folder with the example's params.yaml, ``sections`` merged into it, and data/orders.db."""
    (folder / "data").mkdir(parents=True)
    params = example_params()
    for name, values in sections.items():
        params[name] = {**(params.get(name) or {}), **values}
    # JSON is YAML 1.2 as DVC reads it, with every string quoted (a URL's colons included).
    (folder / "params.yaml").write_text(json.dumps(params, indent=2), encoding="utf-8")
    with closing(sqlite3.connect(folder / "data" / "orders.db")) as connection, connection:
        connection.execute("CREATE TABLE orders (amount REAL, is_fraud INTEGER)")
        connection.execute("INSERT INTO orders VALUES (1.0, 0), (2.0, 1)")
    return folder


def run_without(folder: Path, hidden: list[str], stage: str) -> subprocess.CompletedProcess:
    """Run ``stage`` in ``folder`` with the modules ``hidden`` made unimportable for it alone."""
    hider = folder.parent / "hider"
    hider.mkdir()
    (hider / "sitecustomize.py").write_text(
        f"import sys\n\nfor name in {hidden!r}:\n    sys.modules[name] = None\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hider), str(PROJECT / "src")])}
    return subprocess.run(
        [sys.executable, "-m", f"{PACKAGE}.{stage}"],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def assert_refused(result: subprocess.CompletedProcess, module: str, extra: str) -> None:
    """Exit code 1, one `ERROR:` line naming ``module`` and `uv sync --extra <extra>`, no traceback."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert result.returncode == 1, result.stderr
    assert len(errors) == 1, result.stderr
    assert f"needs {module}, which is not installed" in errors[0], errors[0]
    assert f"uv sync --extra {extra}`" in errors[0], errors[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("stage", list(OUTPUTS))
@pytest.mark.parametrize(
    ("source", "hidden", "extra"),
    [
        pytest.param(SQLITE, ["sqlalchemy"], "database", id="sqlite-without-sqlalchemy"),
        pytest.param(POSTGRES, ["psycopg"], "postgres", id="postgresql-without-psycopg"),
        pytest.param(POSTGRES, ["sqlalchemy", "psycopg"], "postgres", id="postgresql-without-both"),
    ],
)
def test_a_database_source_without_its_extra_is_refused_in_one_line(
    tmp_path, stage, source, hidden, extra
):
    """check_source and get_data refuse a database source whose library is missing, in one
    line naming the extra that brings it (postgres for a postgresql:// URL), and write nothing."""
    folder = project(
        tmp_path / "project", get_data={"source": source, "query": "SELECT * FROM orders"}
    )
    result = run_without(folder, hidden, stage)
    assert_refused(result, hidden[0], extra)
    assert not (folder / OUTPUTS[stage]).exists()


def test_the_dask_engine_without_its_extra_is_refused_in_one_line(tmp_path):
    """train with train.engine dask and no Dask distributed refuses in one line naming the dask
    extra, before reading any data, and writes no model or training log."""
    folder = project(tmp_path / "project", train={"model": "xgboost", "engine": "dask"})
    result = run_without(folder, ["distributed"], "train")
    assert_refused(result, "distributed", "dask")
    assert not (folder / MODEL).exists()
    assert not (folder / TRAIN_LIVE_DIR).exists()
