"""Tests of the data sources: files read and fingerprinted, SQLite queries, and their errors.

PostgreSQL and the remote stores are tested for real by the template's own tests.
"""

import sqlite3

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.sources import fingerprint, read, read_file


def test_read_file_reads_csv_and_parquet(tmp_path):
    """A CSV and a Parquet file with the same rows read back the same."""
    frame = pd.DataFrame({"amount": [1.5, 2.5], "country": ["NL", None], "label": [0, 1]})
    frame.to_csv(tmp_path / "orders.csv", index=False)
    frame.to_parquet(tmp_path / "orders.parquet")
    from_csv = read_file(str(tmp_path / "orders.csv"))
    from_parquet = read_file(str(tmp_path / "orders.parquet"))
    assert from_csv["amount"].tolist() == from_parquet["amount"].tolist() == [1.5, 2.5]


@pytest.mark.parametrize(
    ("name", "message"), [("missing.csv", "does not exist"), ("orders.xlsx", "neither CSV")]
)
def test_a_bad_file_source_is_refused(tmp_path, name, message):
    """A missing file or an unknown format is a UserError naming get_data.source."""
    with pytest.raises(UserError, match=message):
        read_file(str(tmp_path / name))
    with pytest.raises(UserError, match=message):
        fingerprint(str(tmp_path / name), "", "")


def test_read_file_sniffs_the_separator(tmp_path):
    """A CSV separated by semicolons or tabs reads into its columns."""
    (tmp_path / "semicolons.csv").write_text("amount;status\n1.5;ok\n2.5;fraud\n")
    (tmp_path / "tabs.csv").write_text("amount\tstatus\n1.5\tok\n")
    assert read_file(str(tmp_path / "semicolons.csv")).columns.tolist() == ["amount", "status"]
    assert read_file(str(tmp_path / "tabs.csv")).columns.tolist() == ["amount", "status"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"amount,status\n", "has a header but no rows"),
        (b"amount,status,amount\n1,ok,2\n", "column name 'amount' more than once"),
        ("name,status\nJos\u00e9,ok\n".encode("latin-1"), "not UTF-8"),
    ],
    ids=["empty", "header-only", "repeated-name", "latin-1"],
)
def test_read_file_refuses_unusable_csv(tmp_path, content, message):
    """An empty, header-only, repeated-column or non-UTF-8 CSV is a UserError saying what to fix."""
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_file(str(path))


def test_a_file_fingerprint_changes_with_the_file_only(tmp_path):
    """The fingerprint of an unchanged file is the same; new rows change it."""
    path = tmp_path / "orders.csv"
    path.write_text("amount,label\n1.0,0\n")
    first = fingerprint(str(path), "", "")
    assert fingerprint(str(path), "", "") == first
    path.write_text("amount,label\n1.0,0\n2.0,1\n")
    assert fingerprint(str(path), "", "") != first


def test_a_store_that_tells_only_the_size_is_compared_by_content():
    """Without a modification time, ETag or version, the bytes are hashed: a change that keeps
    the size still changes the fingerprint."""
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/orders.csv", b"amount,label\n1.0,0\n")
    first = fingerprint("memory://orders.csv", "", "")
    assert set(first) == {"kind", "source", "size", "md5"}
    fs.pipe("/orders.csv", b"amount,label\n2.0,1\n")
    assert fingerprint("memory://orders.csv", "", "")["md5"] != first["md5"]


def test_the_synthetic_default_has_a_constant_fingerprint():
    """With no source there is nothing outside the project to watch."""
    assert fingerprint("", "", "") == {"kind": "synthetic"}


@pytest.fixture
def orders_db(tmp_path):
    """A SQLite database with a table of three orders, and its URL."""
    path = tmp_path / "orders.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE orders (amount REAL, created TEXT, label INTEGER)")
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [
                (1.0, "2026-01-01T10:00", 0),
                (2.0, "2026-01-02T11:00", 1),
                (3.0, "2026-01-03T12:00", 0),
            ],
        )
    return path, f"sqlite:///{path}"


def test_a_sqlite_query_reads_its_rows(orders_db):
    """The rows the query returns are read with their columns."""
    _, url = orders_db
    frame = read(url, "SELECT * FROM orders WHERE amount > 1;")
    assert frame.columns.tolist() == ["amount", "created", "label"]
    assert frame["amount"].tolist() == [2.0, 3.0]


def test_a_database_fingerprint_is_the_row_count_and_latest_time(orders_db):
    """The check counts the rows and takes the latest time, and sees a new row."""
    path, url = orders_db
    first = fingerprint(url, "SELECT * FROM orders", "created")
    assert first["rows"] == 3
    assert first["latest"] == "2026-01-03T12:00"
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO orders VALUES (4.0, '2026-01-04T09:00', 1)")
    assert fingerprint(url, "SELECT * FROM orders", "created")["rows"] == 4


def test_a_source_can_come_from_the_environment(orders_db, monkeypatch):
    """`$NAME` reads the URL from an environment variable, and says so when it is not set."""
    _, url = orders_db
    monkeypatch.setenv("ORDERS_URL", url)
    assert len(read("$ORDERS_URL", "SELECT * FROM orders")) == 3
    monkeypatch.delenv("ORDERS_URL")
    with pytest.raises(UserError, match="ORDERS_URL, which is not set"):
        read("$ORDERS_URL", "SELECT * FROM orders")


@pytest.mark.parametrize(
    ("source", "query", "message"),
    [
        ("sqlite:///{db}", "", "get_data.query is empty"),
        (
            "sqlite:///{db}",
            "SELECT * FROM payments",
            "get_data.query failed in the database: no such table",
        ),
        ("sqlite:///{db}", "SELECT * FROM orders WHERE amount > 9", "returned no rows"),
        ("sqlite:///{missing}", "SELECT 1", "does not exist"),
        ("postgresql://fraud@db.example.com:port/orders", "SELECT 1", "not a valid database URL"),
        ("postgresql://fraud:secret@db.example.com/orders", "SELECT 1", "holds a password"),
    ],
    ids=[
        "empty-query",
        "bad-sql",
        "no-rows",
        "missing-file",
        "malformed-url",
        "password-in-params",
    ],
)
def test_a_bad_database_source_says_what_to_fix(orders_db, tmp_path, source, query, message):
    """Each mistake is one UserError naming what to change, for the check and for the read."""
    source = source.format(db=orders_db[0], missing=tmp_path / "missing.db")
    for call in (lambda: fingerprint(source, query, ""), lambda: read(source, query)):
        with pytest.raises(UserError, match=message):
            call()
