"""How raw columns become float32 features: learned on the training rows, applied to any rows.

The encoding is data (``learn_encoding``), saved by prepare as data/prepared/encoding.json,
so that rows of another day are encoded alike (``apply_encoding``, also used to score the
base branch's model on today's rows): a number stays a number (missing: the training
median), a text column becomes one 0/1 column per frequent value, and a date/time column
(an Arrow date or timestamp, or ISO-8601 text) gives only the parts in prepare.time_features.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cli import UserError

if TYPE_CHECKING:
    from typing import Protocol

    class Columns(Protocol):
        """A table whose columns are read when asked for (a pa.Table, or a lazier stand-in)."""

        column_names: list[str]

        def column(self, name: str) -> pa.ChunkedArray: ...


log = logging.getLogger(__name__)

TIME_PARTS = {"hour": pc.hour, "weekday": pc.day_of_week, "day": pc.day, "month": pc.month}
TIME_SAMPLE = 1000  # text values tried as dates first: a column of other text fails fast


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
    train: Columns, max_categories: int, time_features: list[str], label: str | None = None
) -> dict:
    """Learn from the training rows' columns how each but ``label`` becomes float32 features.

    Returns ``{"features": [...], "label": label}``: per feature, in order, a JSON-ready dict with its
    ``name``, raw ``column`` and ``kind``: ``number`` (``fill``: the median, for missing
    values), ``category`` (the text ``value`` it flags; the ``max_categories`` most frequent)
    or ``time`` (a ``part`` of ``time_features``, one of ``TIME_PARTS``, and its ``fill``).
    A column without values is dropped, with a warning. Columns are read one at a time.
    """
    features: list[dict] = []
    for name in train.column_names:
        if name == label:
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
    return {"features": features, "label": label}


def apply_encoding(table: pa.Table, encoding: dict) -> pa.Table:
    """Make the float32 features of ``encoding`` from raw rows, in its order, then the label.

    A column of the encoding that ``table`` lacks counts as missing in every row: a number
    takes its fill value and a category 0.0, but a date/time column is a UserError. The
    label column (``encoding["label"]``) is kept, last, if ``table`` has it.
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
    label = encoding.get("label")
    if label in present:
        names.append(label)
        arrays.append(table.column(label))
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
