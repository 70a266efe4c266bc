"""Continuous training sees new data, for every kind of source, with real DVC and real servers.

For a local file, a file served over HTTP, an S3 object, a SQLite and a PostgreSQL query:
the first `dvc repro` runs every stage; a second, with the data unchanged, runs only the
cheap check_source; new rows at the same source rerun get_data and everything after it.
The servers run on 127.0.0.1 and are stopped by the tests.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from conftest import ORDERS_PARAMS, bake, orders, run, set_params, stages_run
from http_server import HttpServer
from pg_server import PostgresServer

pytestmark = pytest.mark.slow

ALL = ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
DAY = 600  # rows a day, one an hour


def write_csv(path, rows):
    """Write the first ``rows`` orders to a CSV file, and move its time on a few seconds, so
    that a store that keeps modification times to the second sees a new version."""
    orders(rows).to_csv(path, index=False)
    stamp = os.stat(path).st_mtime + rows
    os.utime(path, (stamp, stamp))


def insert_sql(frame, table="orders"):
    """An INSERT statement with the rows of ``frame``."""
    values = ",".join(
        f"({r.amount}, {r.age}, '{r.country}', '{r.created.isoformat()}', '{r.status}')" for r in frame.itertuples()
    )
    return f"INSERT INTO {table} VALUES {values}"


def check_freshness(project, change, env=None):
    """Run the pipeline; again unchanged; again after ``change()`` added rows at the source."""
    run(project, "git", "commit", "-qam", "Read the orders")
    first = run(project, "dvc", "repro", env=env)
    assert stages_run(first.stdout) == ALL
    unchanged = run(project, "dvc", "repro", env=env)
    assert stages_run(unchanged.stdout) == ["check_source"]
    assert "Stage 'get_data' didn't change, skipping" in unchanged.stdout
    change()
    changed = run(project, "dvc", "repro", env=env)
    assert stages_run(changed.stdout) == ALL


@pytest.fixture
def project(tmp_path):
    """A project with the default answers, set to read orders."""
    project = bake(tmp_path / "bake")
    set_params(project, **ORDERS_PARAMS)
    return project


def test_a_local_file(project, tmp_path):
    """A CSV file at a path outside the project."""
    path = tmp_path / "orders.csv"
    write_csv(path, DAY)
    set_params(project, get_data__source=str(path))
    check_freshness(project, lambda: write_csv(path, 2 * DAY))


def test_a_file_over_http(project, tmp_path):
    """A CSV file served over HTTP (size and Last-Modified, no ETag)."""
    folder = tmp_path / "www"
    folder.mkdir()
    write_csv(folder / "orders.csv", DAY)
    server = HttpServer(folder).start()
    try:
        set_params(project, get_data__source=server.url("orders.csv"))
        check_freshness(project, lambda: write_csv(folder / "orders.csv", 2 * DAY))
    finally:
        server.stop()


def test_an_s3_object(project, server, tmp_path):
    """A Parquet object in an S3 bucket (its ETag)."""
    import s3fs

    fs = s3fs.S3FileSystem(key=server.access_key, secret=server.secret_key, endpoint_url=server.endpoint)
    fs.mkdir("sources")

    def upload(rows):
        orders(rows).to_parquet(tmp_path / "orders.parquet")
        fs.put_file(str(tmp_path / "orders.parquet"), "sources/orders.parquet")

    upload(DAY)
    set_params(project, get_data__source="s3://sources/orders.parquet")
    check_freshness(project, lambda: upload(2 * DAY), env=server.credentials(with_endpoint=True))


def test_a_sqlite_query(project, tmp_path):
    """A query on a SQLite file (its row count and latest time)."""
    path = tmp_path / "orders.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE orders (amount REAL, age REAL, country TEXT, created TEXT, status TEXT)")
        connection.execute(insert_sql(orders(DAY)))

    def add_a_day():
        with sqlite3.connect(path) as connection:
            connection.execute(insert_sql(orders(DAY, start=DAY)))

    set_params(project, get_data__source=f"sqlite:///{path}", get_data__query="SELECT * FROM orders")
    check_freshness(project, add_a_day)


def test_a_postgresql_query(project, tmp_path):
    """A query on a PostgreSQL server on 127.0.0.1, the password from PGPASSWORD."""
    server = PostgresServer(tmp_path / "postgres").start()
    try:
        server.execute("CREATE TABLE orders (amount REAL, age REAL, country TEXT, created TIMESTAMP, status TEXT)")
        server.execute(insert_sql(orders(DAY)))
        set_params(
            project,
            get_data__source=server.url(),
            get_data__query="SELECT * FROM orders WHERE created >= '2026-01-01'",
        )
        check_freshness(project, lambda: server.execute(insert_sql(orders(DAY, start=DAY))), env=server.env())
    finally:
        server.stop()
