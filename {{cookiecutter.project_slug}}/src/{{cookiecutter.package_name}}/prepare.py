"""Stage prepare: split the raw data into train and test sets and make every feature numeric.

prepare.split: random splits each class at random; time holds out the latest rows by
prepare.time_column. How the features are made is learned on the training rows only, as
data (``learn_encoding``) saved to data/prepared/encoding.json, so that rows of another day
can be encoded alike (``apply_encoding``): a number stays a number (missing: the training
median), a text column becomes one 0/1 column per frequent value, and a date/time column
(an Arrow date or timestamp, or ISO-8601 text) gives only the parts in prepare.time_features.
Writes data/prepared/{train,test}.parquet: float32 features and the label.

The raw data is never held whole: the split reads the label (and time) column, the encoding
is learned one column at a time, and the rows are encoded and written a batch at a time.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import params as p
from .cli import UserError, run
from .dataset import TARGET, atomic, row_groups, table_writer
from .paths import ENCODING, RAW_DATA, TEST_DATA, TRAIN_DATA
from .progress import Progress

log = logging.getLogger(__name__)

SPLITS = ["random", "time"]
TIME_PARTS = {"hour": pc.hour, "weekday": pc.day_of_week, "day": pc.day, "month": pc.month}
TIME_SAMPLE = 1000  # text values tried as dates first: a column of other text fails fast


class ParquetColumns:
    """A Parquet file seen as a table whose columns are read one at a time, when asked for.

    It answers ``column_names``, ``num_rows`` and ``column(name)`` as a ``pa.Table`` does;
    with ``rows``, only those rows of each column.
    """

    def __init__(self, path: str | object, rows: np.ndarray | None = None) -> None:
        self.file = pq.ParquetFile(path)
        self.rows = rows
        self.column_names = self.file.schema_arrow.names
        self.num_rows = self.file.metadata.num_rows if rows is None else len(rows)

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, read now."""
        column = self.file.read(columns=[name]).column(0)
        return column if self.rows is None else column.take(self.rows)


def split_rows(raw: pa.Table, params: dict) -> tuple[pa.Table, pa.Table]:
    """Split raw rows into (train, test) tables as the prepare section of ``params`` says."""
    train_rows, test_rows = split_indices(raw, params)
    return raw.take(train_rows), raw.take(test_rows)


def split_indices(raw: pa.Table | ParquetColumns, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, test) row numbers of ``raw`` as the prepare section of ``params`` says.

    ``split: random`` splits each class at random (``stratified_split``); ``split: time``
    leaves out the rows without a time (with a warning) and holds out the latest ones
    (``time_split``). Only the label and time columns are read.
    """
    test_size = p.fraction(params, "prepare.test_size")
    labels = raw.column(TARGET).to_numpy()
    if p.choice(params, "prepare.split", SPLITS) == "random":
        seed = p.get(params, "base.seed", "a whole number", p.is_int)
        return stratified_split(labels, test_size, seed)

    name, times = time_column(raw, params)
    rows = np.flatnonzero(pc.is_valid(times).to_numpy())
    if len(rows) < raw.num_rows:
        log.warning("dropped %d rows without a time in column %r", raw.num_rows - len(rows), name)
    if not len(rows):
        raise UserError(
            f"prepare.time_column {name!r} has no time in any row. "
            "Name the column that holds each row's time"
        )
    stamps = times.cast(pa.int64()).fill_null(0).to_numpy()[rows]
    train_at, test_at = time_split(stamps, labels[rows], test_size)
    return rows[train_at], rows[test_at]


def time_column(raw: pa.Table | ParquetColumns, params: dict) -> tuple[str, pa.ChunkedArray]:
    """The name and timestamps of prepare.time_column; a UserError says what to change."""
    name = p.text(params, "prepare.time_column")
    if not name:
        raise UserError(
            "prepare.split is time but prepare.time_column is empty. "
            "Name the column that holds each row's time"
        )
    if name not in raw.column_names:
        columns = [c for c in raw.column_names if c != TARGET]
        listed = ", ".join(columns[:10]) + (", ..." if len(columns) > 10 else "")
        raise UserError(
            f"prepare.time_column {name!r} is not a column of the raw data (it has {listed}). "
            "Name the column that holds each row's time"
        )
    column = raw.column(name)
    times = as_time(column)
    if times is None:
        example = column.drop_null().slice(0, 1).to_pylist()
        holds = f"values such as {example[0]!r}" if example else "no values"
        raise UserError(
            f"prepare.time_column {name!r} is not a date/time column (it holds {holds}). "
            "Name a column of dates or times such as 2024-05-01 or 2024-05-01T13:45:00"
        )
    return name, times


def stratified_split(
    labels: np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train, test) row indices with each class split in the same proportion."""
    classes = require_both_classes(labels, "every row", "Check get_data.positive_label")
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for value in classes:
        rows = np.flatnonzero(labels == value)
        if len(rows) < 2:
            raise UserError(
                f"only {len(rows)} row has label {value}: at least 2 are needed to split. "
                "Give more data"
            )
        rng.shuffle(rows)
        n_test = min(max(1, round(len(rows) * test_size)), len(rows) - 1)
        test_parts.append(rows[:n_test])
        train_parts.append(rows[n_test:])
    return np.sort(np.concatenate(train_parts)), np.sort(np.concatenate(test_parts))


def time_split(
    times: np.ndarray, labels: np.ndarray, test_size: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train, test) row indices: the test rows are the latest ``test_size`` share.

    Rows of equal time stay in row order (a stable sort), so every run splits alike.
    """
    require_both_classes(labels, "every row", "Check get_data.positive_label")
    order = np.argsort(times, kind="stable")
    n_test = min(max(1, round(len(order) * test_size)), len(order) - 1)
    train, test = np.sort(order[:-n_test]), np.sort(order[-n_test:])
    fix = "Change prepare.test_size, or use prepare.split: random"
    require_both_classes(labels[test], f"every test row (the latest {n_test})", fix)
    require_both_classes(labels[train], f"every training row (all but the latest {n_test})", fix)
    return train, test


def require_both_classes(labels: np.ndarray, rows: str, fix: str) -> np.ndarray:
    """Return the classes in ``labels``; one alone is a UserError about ``rows``, saying ``fix``."""
    classes = np.unique(labels)
    if len(classes) < 2:
        raise UserError(
            f"{rows} has label {classes[0] if len(classes) else None}: fraud and legit rows "
            f"are both needed. {fix}"
        )
    return classes


def as_time(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``column`` as timestamps if it holds dates or times, else None.

    Arrow dates and timestamps do, and so does text whose every value is an ISO-8601 date
    or date-time (2024-05-01, 2024-05-01T13:45:00.5, with Z or +02:00 on all or none of
    them; those with an offset are read in UTC). Numbers never do.
    """
    kind = column.type
    if pa.types.is_timestamp(kind):
        return column
    if pa.types.is_date(kind):
        return column.cast(pa.timestamp("ms"))
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    sample = column.drop_null().slice(0, TIME_SAMPLE)
    if not len(sample) or parse_iso(sample) is None:
        return None
    return parse_iso(column)


def parse_iso(text: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """``text`` parsed as ISO-8601 timestamps, or None if a value is no such date or time."""
    for kind in (pa.timestamp("us"), pa.timestamp("us", "UTC")):  # without, then with offsets
        try:
            return text.cast(kind)
        except pa.ArrowInvalid:
            continue
    return None


def time_part(times: pa.ChunkedArray, part: str) -> pa.ChunkedArray:
    """One part of timestamps (hour 0-23, weekday 0-6 from Monday, day 1-31, month 1-12)."""
    return TIME_PARTS[part](times).cast(pa.float32())


def learn_encoding(
    train: pa.Table | ParquetColumns, max_categories: int, time_features: list[str]
) -> dict:
    """Learn from the training rows how each raw column becomes float32 features.

    Returns ``{"features": [...]}``: per feature, in order, a JSON-ready dict with its
    ``name``, raw ``column`` and ``kind``: ``number`` (``fill``: the median, for missing
    values), ``category`` (the text ``value`` it flags; the ``max_categories`` most frequent)
    or ``time`` (a ``part`` of ``time_features``, one of ``TIME_PARTS``, and its ``fill``).
    A column without values is dropped, with a warning. Columns are read one at a time.
    """
    features: list[dict] = []
    for name in train.column_names:
        if name == TARGET:
            continue
        column = train.column(name)
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            fill = median(column.cast(pa.float32()))
            if fill is None:
                log.warning("dropped column %r: it has no values in the training rows", name)
                continue
            features.append({"name": name, "column": name, "kind": "number", "fill": fill})
        elif (times := as_time(column)) is not None:
            if not time_features:
                log.info("column %r holds dates or times: see prepare.time_features", name)
            elif times.null_count == len(times):
                log.warning("dropped column %r: it has no values in the training rows", name)
            else:
                features += [
                    {"name": f"{name}.{part}", "column": name, "kind": "time", "part": part,
                     "fill": median(time_part(times, part))}
                    for part in dict.fromkeys(time_features)
                ]  # fmt: skip
        else:
            counts = pc.value_counts(column.cast(pa.string()).drop_null()).to_pylist()
            counts.sort(key=lambda item: (-item["counts"], item["values"]))
            features += [
                {"name": f"{name}={item['values']}", "column": name, "kind": "category",
                 "value": item["values"]}
                for item in counts[:max_categories]
            ]  # fmt: skip
    return {"features": features}


def apply_encoding(table: pa.Table, encoding: dict) -> pa.Table:
    """Make the float32 features of ``encoding`` from raw rows, in its order, then the label.

    A column of the encoding that ``table`` lacks counts as missing in every row: a number
    takes its fill value and a category 0.0, but a date/time column is a UserError. The
    label column is kept if ``table`` has it.
    """
    present = set(table.column_names)
    cache: dict[str, pa.ChunkedArray] = {}  # a column cast or parsed once, not once per feature
    names, arrays = [], []
    for feature in encoding["features"]:
        name, kind = feature["column"], feature["kind"]
        if kind == "time":
            if name not in cache:
                cache[name] = encoded_times(table, name, feature["name"])
            array = fill_missing(time_part(cache[name], feature["part"]), feature["fill"])
        elif name not in present:
            fill = feature["fill"] if kind == "number" else 0.0
            array = pa.chunked_array([np.full(table.num_rows, fill, np.float32)])
        elif kind == "number":
            array = fill_missing(table.column(name).cast(pa.float32()), feature["fill"])
        else:
            if name not in cache:
                cache[name] = table.column(name).cast(pa.string())
            array = is_value(cache[name], feature["value"])
        names.append(feature["name"])
        arrays.append(array)
    if TARGET in present:
        names.append(TARGET)
        arrays.append(table.column(TARGET))
    return pa.Table.from_arrays(arrays, names=names)


def encoded_times(table: pa.Table, name: str, feature: str) -> pa.ChunkedArray:
    """The timestamps of column ``name``, which the encoding's ``feature`` is made of."""
    if name not in table.column_names:
        raise UserError(
            f"the data has no column {name!r}, which feature {feature!r} is made of. "
            "Give data with that column"
        )
    column = table.column(name)
    times = as_time(column)
    if times is None and column.null_count == len(column):  # a batch without a time
        return column.cast(pa.timestamp("us"))
    if times is None:
        raise UserError(
            f"column {name!r} holds no dates or times here, but feature {feature!r} is made "
            "of them. Give it dates such as 2024-05-01 or 2024-05-01T13:45:00"
        )
    return times


def median(column: pa.ChunkedArray) -> float | None:
    """The median of a float column (nulls and NaNs left out), or None if it has no value."""
    if missing_count(column) == len(column):
        return None
    return pc.quantile(column, q=0.5)[0].as_py()  # exact, and quicker than a t-digest


def missing_count(column: pa.ChunkedArray) -> int:
    """How many values of a float column are null or NaN."""
    return column.null_count + (pc.sum(pc.is_nan(column)).as_py() or 0)


def fill_missing(column: pa.ChunkedArray, value: float) -> pa.ChunkedArray:
    """Replace nulls and NaNs in a float column by ``value``; a full column is returned as is."""
    if not missing_count(column):
        return column
    return pc.if_else(pc.is_nan(column.fill_null(np.nan)), value, column).cast(pa.float32())


def is_value(column: pa.ChunkedArray, value: str) -> pa.ChunkedArray:
    """1.0 where ``column`` equals ``value``, else 0.0 (missing included)."""
    return pc.equal(column, value).fill_null(False).cast(pa.float32())


def time_features_param(params: dict) -> list[str]:
    """prepare.time_features: a list of parts of ``TIME_PARTS``, each once."""
    parts = p.get(
        params,
        "prepare.time_features",
        f"a list of any of {', '.join(TIME_PARTS)}, e.g. [hour, weekday]",
        lambda v: isinstance(v, list) and all(isinstance(x, str) and x in TIME_PARTS for x in v),
    )
    return list(dict.fromkeys(parts))


def main() -> None:
    """Read the prepare parameters and data/raw.parquet; write the prepared sets and encoding."""
    params = p.load()
    max_categories = p.positive_int(params, "prepare.max_categories")
    time_features = time_features_param(params)

    raw = ParquetColumns(RAW_DATA)
    train_rows, test_rows = split_indices(raw, params)
    encoding = learn_encoding(ParquetColumns(RAW_DATA, train_rows), max_categories, time_features)
    if not encoding["features"]:
        raise UserError(
            f"{RAW_DATA} has no usable feature column. Check get_data.source "
            "(date/time columns are features only through prepare.time_features)"
        )
    role = np.full(raw.num_rows, -1, dtype=np.int8)  # per raw row: 0 train, 1 test, -1 left out
    role[train_rows], role[test_rows] = 0, 1
    del train_rows, test_rows
    progress = Progress("prepare", raw.num_rows)
    with table_writer(TRAIN_DATA) as write_train, table_writer(TEST_DATA) as write_test:
        start = 0
        for rows in row_groups(RAW_DATA):
            roles = role[start : start + rows.num_rows]
            write_train(apply_encoding(rows.take(np.flatnonzero(roles == 0)), encoding))
            write_test(apply_encoding(rows.take(np.flatnonzero(roles == 1)), encoding))
            start += rows.num_rows
            progress.update(rows.num_rows)
    progress.finish()
    text = json.dumps(encoding, indent=2, ensure_ascii=False) + "\n"
    with atomic(ENCODING) as partial:
        partial.write_text(text, encoding="utf-8")
    log.info(
        "wrote %d training and %d test rows, %d features",
        np.count_nonzero(role == 0), np.count_nonzero(role == 1), len(encoding["features"]),
    )  # fmt: skip


if __name__ == "__main__":
    run(main)
