"""A profile of data/raw.parquet: what each column holds, learned a row group at a time.

The check_data stage keeps one with each day's data (data/profile.json) and compares
today's with the profile of the data the committed model was trained on (check_data.py):
the rows, the label's positive share and its values in the source, and for each column
its kind, its share of missing values, the most frequent values of a text column, and
the time range of prepare.time_column. Memory stays that of one column of one row group.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dataset import label_of

if TYPE_CHECKING:
    import pyarrow as pa

TOP_VALUES = 200  # most frequent values kept per text column
LABEL_VALUES = b"label_values"  # raw.parquet's metadata: the label's values in the source, counted


def kind(data_type: pa.DataType) -> str | None:
    """How a column of ``data_type`` is measured: number, time, text, or empty (all null).

    None for the types drift cannot measure (binary, lists, structs, ...).
    """
    import pyarrow as pa

    types = pa.types
    if types.is_null(data_type):
        return "empty"
    if (
        types.is_integer(data_type) or types.is_floating(data_type)
        or types.is_decimal(data_type) or types.is_boolean(data_type)
    ):  # fmt: skip
        return "number"
    if types.is_timestamp(data_type) or types.is_date(data_type):
        return "time"
    if (
        types.is_string(data_type) or types.is_large_string(data_type)
        or types.is_string_view(data_type) or types.is_dictionary(data_type)
    ):  # fmt: skip
        return "text"
    return None


def label_values(path: Path) -> dict[str, int] | None:
    """The label's values in the source and their counts, as get_data recorded them (None: synthetic)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata[LABEL_VALUES]) if LABEL_VALUES in metadata else None


def learn(path: Path, time_column: str = "") -> dict[str, Any]:
    """The profile of the Parquet file ``path``, read one column of one row group at a time."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    names = source.schema_arrow.names
    label, rows, positives = label_of(names), source.metadata.num_rows, 0
    kinds: dict[str, str] = {}
    missing: Counter[str] = Counter()
    values: dict[str, Counter[str]] = {}
    first = last = None
    for group in range(source.num_row_groups):
        for name in names:
            column = source.read_row_group(group, columns=[name]).column(0)
            if name == label:
                positives += int(pc.sum(column).as_py() or 0)
                continue
            if kinds.get(name, "empty") == "empty":  # a first row group may hold no value
                kinds[name] = kind(column.type) or str(column.type)
            missing[name] += column.null_count
            if kinds[name] == "text":
                counts = values.setdefault(name, Counter())
                for item in pc.value_counts(column.drop_null()).to_pylist():
                    counts[item["values"]] += item["counts"]
                if len(counts) > 10 * TOP_VALUES:  # bounded however many distinct values come
                    values[name] = Counter(dict(counts.most_common(TOP_VALUES)))
            if name == time_column:
                low, high = time_range(column)
                first = low if first is None or (low and low < first) else first
                last = high if last is None or (high and high > last) else last
    columns = {
        name: {
            "kind": kinds[name],
            "missing": missing[name] / rows if rows else 0.0,
            **({"top": top_values(values[name], rows - missing[name])} if name in values else {}),
        }
        for name in kinds
    }
    profile: dict[str, Any] = {
        "rows": rows,
        "label": {"column": label, "positive_share": positives / rows if rows else 0.0},
        "columns": columns,
    }
    source_values = label_values(path)
    if source_values is not None:
        profile["label"]["values"] = sorted(source_values)
    if time_column:
        profile["time"] = {"column": time_column, "first": first, "last": last}
    return profile


def top_values(counts: Counter[str], present: int) -> dict[str, Any]:
    """The most frequent values of a text column, and the share of its rows they cover."""
    top = counts.most_common(TOP_VALUES)
    covered = sum(count for _, count in top) / present if present else 1.0
    return {"values": sorted(value for value, _ in top), "covered": round(covered, 6)}


def time_range(column: pa.ChunkedArray) -> tuple[str | None, str | None]:
    """The earliest and latest time of ``column`` as ISO text (None when it holds none)."""
    import pyarrow.compute as pc

    from .encoding import as_time

    times = as_time(column)
    if times is None:
        return None, None
    bounds = pc.min_max(times)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return (low.isoformat() if low else None), (high.isoformat() if high else None)


def unseen_share(column: pa.ChunkedArray, known: list[str]) -> float:
    """The share of ``column``'s present values that are not among ``known``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    present = column.drop_null()
    if not len(present):
        return 0.0
    seen = pc.is_in(present.cast(pa.string()), value_set=pa.array(known, pa.string()))
    return 1 - pc.sum(seen).as_py() / len(present)
