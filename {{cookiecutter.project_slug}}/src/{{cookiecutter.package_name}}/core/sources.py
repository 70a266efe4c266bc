"""Where the data comes from: get_data.source names a file (path or URL) or a database.

Two things are asked of a source. Its *fingerprint* is what the store says about the data
without sending it (size and modification time, ETag, object version; for a database, the
query's row count and latest time): the check_source stage records it on every run, so
the pipeline reruns exactly when the data changed. Its *rows* are read by get_data.

A source written as `$NAME` is read from the environment variable NAME, so that a URL
holding a password stays out of params.yaml and git.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import TYPE_CHECKING, Any

from . import database
from .cli import UserError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

FILE_FORMATS = (".csv", ".csv.gz", ".parquet", ".pq")
# What fsspec stores report that changes when the data does: size and modification time
# (local files, HTTP), ETag (S3, HTTP, Azure), object version or generation (versioned S3,
# Google Cloud Storage), checksums some stores give.
CHANGE_MARKERS = {
    "size", "mtime", "etag", "last-modified", "lastmodified", "last_modified", "versionid",
    "version_id", "generation", "md5hash", "crc32c", "content-md5", "digest", "updated",
}  # fmt: skip


def resolve(source: str) -> str:
    """The source itself, or the value of the environment variable that ``$NAME`` names."""
    if not source.startswith("$"):
        return source
    name = source[1:].strip("{}")
    value = os.environ.get(name, "")
    if not value:
        raise UserError(
            f"get_data.source names the environment variable {name}, which is not set. "
            f"Export {name} with the data's URL"
        )
    return value


def describe(source: str) -> str:
    """The source as it may be shown in a log: a database URL without its password."""
    return database.safe_url(source) if database.is_database(source) else source


def fingerprint(source: str, query: str, time_column: str) -> dict[str, Any]:
    """What the store says about the data now, cheaply; equal fingerprints mean unchanged data."""
    if not source:
        return {"kind": "synthetic"}
    url = resolve(source)
    if database.is_database(url):
        return {
            "kind": "database",
            "source": source,
            "query": query,
            **database.fingerprint(url, source != url, query, time_column),
        }
    return {"kind": "file", "source": source, **file_fingerprint(url)}


def file_fingerprint(url: str) -> dict[str, Any]:
    """Size, modification time, ETag, version... of a file, or its MD5 if the store says too little."""
    import fsspec

    check_format(url)
    try:
        fs, path = fsspec.core.url_to_fs(url)
        info = fs.info(path)
    except FileNotFoundError:
        raise UserError(
            f"get_data.source {url!r} does not exist. Give an existing path or URL"
        ) from None
    except (OSError, ValueError) as error:  # network errors, refused connections, bad URLs
        raise UserError(
            f"cannot read get_data.source {url!r}: {first_line(error)}. Check the URL and the network"
        ) from None
    marks = {
        key: str(value)
        for key, value in sorted(info.items())
        if key.lower() in CHANGE_MARKERS and value is not None
    }
    if set(marks) <= {"size"}:
        log.warning(
            "%s gives no modification time, ETag or version: reading it whole to see whether "
            "it changed",
            url,
        )
        marks["md5"] = content_md5(fs, path)
    return marks


def content_md5(fs: Any, path: str) -> str:
    """The MD5 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.md5(usedforsecurity=False)
    with fs.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_format(url: str) -> None:
    """Refuse a file that is neither CSV nor Parquet, by its name."""
    name = url.lower().split("?")[0]
    if not name.endswith(FILE_FORMATS):
        raise UserError(
            f"get_data.source {url!r} is neither CSV nor Parquet nor a database URL. "
            f"Give a file ending in {', '.join(FILE_FORMATS)}, or a URL such as "
            "sqlite:///data/orders.db with get_data.query"
        )


def read(source: str, query: str) -> pd.DataFrame:
    """Every row of the source: the file's rows, or the rows the query returns."""
    url = resolve(source)
    if database.is_database(url):
        return database.read(url, source != url, query)
    return read_file(url)


def read_file(url: str) -> pd.DataFrame:
    """Read a CSV or Parquet file from a local path or any fsspec URL (s3://, https://, ...)."""
    import pandas as pd

    check_format(url)
    name = url.lower().split("?")[0]
    try:
        frame = read_parquet(url) if name.endswith((".parquet", ".pq")) else read_csv(url)
    except FileNotFoundError:
        raise UserError(
            f"get_data.source {url!r} does not exist. Give an existing path or URL"
        ) from None
    except pd.errors.EmptyDataError:
        raise UserError(
            f"get_data.source {url!r} is empty. Give a file with a header and rows"
        ) from None
    except UnicodeDecodeError:
        raise UserError(
            f"get_data.source {url!r} is not UTF-8 text. Save it as UTF-8 and run again"
        ) from None
    if frame.empty:
        raise UserError(f"get_data.source {url!r} has a header but no rows. Give it data")
    return frame


def read_parquet(url: str) -> pd.DataFrame:
    """Read a Parquet file through fsspec, as the fingerprint sees it (not pyarrow's own S3 client)."""
    import fsspec
    import pandas as pd

    with fsspec.open(url, "rb") as handle:
        return pd.read_parquet(handle)


def read_csv(url: str) -> pd.DataFrame:
    """Read a CSV file separated by commas, semicolons, tabs or bars; refuse repeated column names."""
    import csv

    import fsspec
    import pandas as pd

    with fsspec.open(url, "rt", encoding="utf-8", compression="infer") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        raise pd.errors.EmptyDataError(url)
    try:
        separator = csv.Sniffer().sniff(first_line, delimiters=",;\t|").delimiter
    except csv.Error:  # a single column: nothing to sniff
        separator = ","
    names = next(csv.reader([first_line], delimiter=separator))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # pandas would quietly rename the second one
        raise UserError(
            f"get_data.source has the column name {repeated[0]!r} more than once. "
            "Give every column its own name"
        )
    return pd.read_csv(url, sep=separator)


def first_line(error: BaseException) -> str:
    """The first line of an error's message (or its type when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
