"""A PostgreSQL source, for real: a server on 127.0.0.1, the password from the environment.

A good query is read by get_data; each bad database input (malformed URL, unreachable
server, wrong password, bad SQL, no rows) stops check_source and get_data with one
`ERROR:` line and leaves no output behind.
"""

from __future__ import annotations

import sys

import pyarrow.parquet as pq
import pytest
from conftest import bake, run, set_params
from pg_server import PostgresServer
from s3_server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("database")]

ROWS = 400


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A PostgreSQL server on 127.0.0.1 with a table `orders`."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres")).start()
    server.execute("CREATE TABLE orders (amount REAL, country TEXT, created TIMESTAMP, status TEXT)")
    server.execute(
        "INSERT INTO orders SELECT i, CASE WHEN i % 2 = 0 THEN 'NL' ELSE 'DE' END, "
        "TIMESTAMP '2026-01-01' + i * INTERVAL '1 hour', CASE WHEN i % 10 = 0 THEN 'fraud' ELSE 'ok' END "
        f"FROM generate_series(1, {ROWS}) AS i"
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory, postgres):
    """A project whose get_data reads the `orders` table."""
    project = bake(tmp_path_factory.mktemp("database"))
    set_params(
        project,
        get_data__source=postgres.url(),
        get_data__query="SELECT * FROM orders",
        get_data__label_column="status",
        get_data__positive_label="fraud",
    )
    return project


def stage(project, name, env, check=True):
    """Run one stage module as DVC would."""
    return run(project, sys.executable, "-m", f"fraud_detection.{name}", env=env, check=check)


def test_a_postgresql_query_is_read_with_the_password_from_the_environment(project, postgres):
    """With PGPASSWORD set, check_source records the row count and get_data writes every row,
    the timestamp column kept as a timestamp."""
    stage(project, "check_source", postgres.env())
    assert '"rows": 400' in (project / "data/source.json").read_text()
    stage(project, "get_data", postgres.env())
    table = pq.read_table(project / "data/raw.parquet")
    assert table.num_rows == ROWS
    assert str(table.schema.field("created").type).startswith("timestamp")
    assert table.column("status").to_pylist().count(1) == ROWS // 10


BAD = {
    "malformed-url": ({"get_data.source": "postgresql://fraud@127.0.0.1:port/fraud"}, {}, "is not a valid database URL"),
    "unreachable-server": ({"get_data.source": "postgresql://fraud@127.0.0.1:{free}/fraud"}, {}, "cannot connect to the database at 127.0.0.1:"),
    "wrong-password": ({}, {"PGPASSWORD": "wrong"}, "refused the password of user 'fraud'"),
    "no-password": ({}, {"PGPASSWORD": ""}, "asks user 'fraud' for a password"),
    "bad-sql": ({"get_data.query": "SELECT * FROM payments"}, {}, 'get_data.query failed in the database: relation "payments" does not exist'),
    "no-rows": ({"get_data.query": "SELECT * FROM orders WHERE amount < 0"}, {}, "get_data.query returned no rows"),
    "password-in-params": ({"get_data.source": "postgresql://fraud:hunter2@127.0.0.1/fraud"}, {}, "holds a password"),
}  # fmt: skip


@pytest.mark.parametrize(("changes", "env", "message"), BAD.values(), ids=BAD.keys())
def test_a_bad_database_input_stops_in_one_line(project, postgres, changes, env, message):
    """check_source and get_data each exit 1 with one ERROR line naming what to fix, no
    traceback, and no output file left."""
    good = (project / "params.yaml").read_text()
    values = {key.replace(".", "__"): value.format(free=free_port()) for key, value in changes.items()}
    try:
        set_params(project, **values)
        for name, output in (("check_source", "data/source.json"), ("get_data", "data/raw.parquet")):
            (project / output).unlink(missing_ok=True)  # DVC removes a stage's outputs before running it
            result = stage(project, name, {**postgres.env(), **env}, check=False)
            assert result.returncode == 1, result.stdout + result.stderr
            assert "Traceback" not in result.stderr
            errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
            assert errors == [result.stderr.strip().splitlines()[-1]], result.stderr
            assert message in errors[0]
            assert not (project / output).exists(), f"{output} was left behind"
            assert postgres.password not in result.stderr
    finally:
        (project / "params.yaml").write_text(good)
