"""A database source: a SQLAlchemy URL in get_data.source, the SQL in get_data.query.

SQLite needs no server: `sqlite:///data/orders.db` (a path from the project root).
PostgreSQL goes through psycopg: `postgresql://user@host:5432/database`. The password is
never written in params.yaml: libpq takes it from PGPASSWORD or ~/.pgpass, or the whole
URL comes from an environment variable (`source: $DATABASE_URL`). Every failure a user
can fix (a library not installed, a malformed URL, a server out of reach, a wrong password,
bad SQL, no rows) ends in one line saying what to change.

SQLAlchemy and psycopg come with extras of pyproject.toml (`database`, `postgres`). Every
connection goes through parse(), which refuses a URL whose libraries are missing and names
the extra; nothing imports SQLAlchemy before it, except safe_url(), which does without.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli import UserError
from .extras import require

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import URL, Connection

# URL schemes taken as databases (the part before "+driver"); anything else is a file.
DIALECTS = (
    "sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "duckdb",
    "snowflake", "redshift", "bigquery",
)  # fmt: skip
POSTGRES = ("postgresql", "postgres")  # its driver, psycopg, comes with the postgres extra
CONNECT_TIMEOUT = 10  # seconds to wait for a server before saying it cannot be reached


def is_database(url: str) -> bool:
    """True if ``url`` is a SQLAlchemy database URL rather than a file's path or URL."""
    scheme, found, _ = url.partition("://")
    return bool(found) and scheme.split("+")[0].lower() in DIALECTS


def safe_url(url: str) -> str:
    """``url`` with its password masked, for logs and messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # unparsable, or SQLAlchemy missing (parse says so): the scheme only
        return url.partition("://")[0] + "://..."


def dialect(url: str) -> str:
    """The URL's database, without its driver: "postgresql" for postgresql+psycopg://..."""
    return url.partition("://")[0].partition("+")[0].lower()


def setting(url: str) -> str:
    """How the refusals of a missing library name the setting: "a sqlite:// source in ..."."""
    return f"a {dialect(url)}:// source in get_data.source"


def extra_for(url: str) -> str:
    """The extra of pyproject.toml that brings this URL's libraries: postgres or database."""
    return "postgres" if dialect(url) in POSTGRES else "database"


def parse(url: str, from_environment: bool) -> URL:
    """Check the URL and pick the driver; a password written in params.yaml is refused.

    SQLAlchemy is needed to read the URL at all; psycopg, once the URL is known to be a
    valid PostgreSQL one without a password in it. Each missing one names its extra.
    """
    require("sqlalchemy", extra_for(url), setting(url))
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number fails here, not on connect
    except (ArgumentError, ValueError):
        raise UserError(
            f"get_data.source {safe_url(url)!r} is not a valid database URL. Write it as "
            "dialect://user@host:port/database, e.g. postgresql://analyst@db.example.com:5432/sales"
        ) from None
    if parsed.password is not None and not from_environment:
        raise UserError(
            "get_data.source holds a password, which params.yaml would put in git. Remove it "
            "and set PGPASSWORD (or ~/.pgpass), or put the whole URL in an environment "
            "variable and write source: $DATABASE_URL"
        )
    if parsed.drivername in POSTGRES:
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    if parsed.drivername == "postgresql+psycopg":
        require("psycopg", "postgres", setting(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise UserError(
                "get_data.source names no SQLite file. Write it as sqlite:///path/to/file.db"
            )
        if not Path(parsed.database).is_file():  # SQLite would quietly make an empty one
            raise UserError(
                f"the SQLite database {parsed.database} does not exist. Check the path in "
                "get_data.source (sqlite:///relative/path.db, sqlite:////absolute/path.db)"
            )
    return parsed


@contextmanager
def connect(url: str, from_environment: bool) -> Iterator[Connection]:
    """A connection to the database, closed afterwards; failures say what to fix."""
    parsed = parse(url, from_environment)
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError

    backend = parsed.get_backend_name()
    try:
        engine = create_engine(
            parsed,
            connect_args={"connect_timeout": CONNECT_TIMEOUT} if backend == "postgresql" else {},
        )
    except NoSuchModuleError:
        raise UserError(
            f"get_data.source uses {parsed.drivername!r}, which SQLAlchemy does not know. "
            "Use sqlite:// or postgresql://, or install that database's SQLAlchemy dialect"
        ) from None
    except ModuleNotFoundError as error:  # a driver no extra brings (mysql://, mssql://...)
        raise UserError(
            f"the driver for {backend} is not installed (no module {error.name!r}). "
            f"Install it in this environment, e.g. `uv add {error.name}`"
        ) from None
    try:
        try:
            connection = engine.connect()
        except DBAPIError as error:
            raise UserError(connection_problem(parsed, error.orig)) from None
        try:
            yield connection
        finally:
            connection.close()
    finally:
        engine.dispose()


def connection_problem(url: URL, error: BaseException) -> str:
    """One sentence on why the server refused or could not be reached, and what to do."""
    text = str(error).strip()
    lower = text.lower()
    where = f"{url.host or 'localhost'}:{url.port or 'default port'}"
    if "password authentication failed" in lower:
        return (
            f"the database at {where} refused the password of user {url.username!r}. "
            "Set the right one in PGPASSWORD or ~/.pgpass"
        )
    if "no password supplied" in lower:
        return (
            f"the database at {where} asks user {url.username!r} for a password and none was "
            "given. Set PGPASSWORD or ~/.pgpass (never the password in params.yaml)"
        )
    reason = text.splitlines()[0] if text else type(error).__name__
    return (
        f"cannot connect to the database at {where} ({reason}). "
        "Check the host, the port and the database name in get_data.source, and that the server runs"
    )


def checked_query(query: str) -> str:
    """The query without a trailing semicolon (it is nested in another); empty is refused."""
    sql = query.strip().rstrip(";").strip()
    if not sql:
        raise UserError(
            "get_data.query is empty: a database source needs the SQL that selects the "
            "training rows, e.g. SELECT * FROM orders"
        )
    return sql


def execute(connection: Connection, sql: str, what: str) -> Any:
    """Run ``sql`` as written (no parameter parsing); a database error names ``what`` to fix."""
    from sqlalchemy.exc import DBAPIError

    try:
        return connection.exec_driver_sql(sql)
    except DBAPIError as error:
        raise UserError(query_problem(what, error)) from None


def query_problem(what: str, error: BaseException) -> str:
    """One sentence on why the database refused a query."""
    message = str(getattr(error, "orig", error)).strip().splitlines()[0]
    return f"{what} failed in the database: {message}. Fix it in params.yaml"


def fingerprint(url: str, from_environment: bool, query: str, time_column: str) -> dict[str, Any]:
    """The query's row count and, given a time column, its latest time: no rows are sent."""
    sql = checked_query(query)
    with connect(url, from_environment) as connection:
        latest = ""
        if time_column:
            quoted = connection.dialect.identifier_preparer.quote(time_column)
            latest = f", MAX({quoted})"
        wrapped = f"SELECT COUNT(*){latest} FROM ({sql}) AS source_rows"
        what = "get_data.query" + (
            f" (with prepare.time_column {time_column!r})" if time_column else ""
        )
        row = execute(connection, wrapped, what).one()
    if not row[0]:
        raise UserError("get_data.query returned no rows. Check its table and WHERE clause")
    marks = {"rows": int(row[0])}
    if time_column:
        marks["latest"] = str(row[1])
    return marks


def read(url: str, from_environment: bool, query: str) -> pd.DataFrame:
    """Every row the query returns, as a DataFrame."""
    import pandas as pd

    sql = checked_query(query)
    with connect(url, from_environment) as connection:
        try:  # pandas turns NUMERIC's Decimals into floats and keeps dates as dates
            frame = pd.read_sql_query(sql, connection)
        except pd.errors.DatabaseError as error:  # it wraps the database's own error
            raise UserError(query_problem("get_data.query", error.__cause__ or error)) from None
    if frame.empty:
        raise UserError("get_data.query returned no rows. Check its table and WHERE clause")
    return frame
