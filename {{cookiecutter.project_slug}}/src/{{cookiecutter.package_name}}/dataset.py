"""The data shared by all stages: the label column, and Parquet files written atomically.

An output is written to a temporary file first and renamed into place, so a stage
that is killed half-way never leaves a file that looks complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

TARGET = "is_fraud"  # 1 for fraud, 0 otherwise, in every file the pipeline writes


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Give a temporary path to write; on success rename it to ``path``, on failure remove it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as Parquet, atomically."""
    import pyarrow.parquet as pq

    with atomic(path) as partial:
        pq.write_table(table, partial, use_dictionary=dictionary_columns(table.schema))


def write_batches(batches: Iterable[pa.RecordBatch], path: Path) -> int:
    """Write record batches of one schema to ``path`` as Parquet, atomically; return the rows.

    Only one batch is in memory at a time, however many rows the file gets.
    """
    import pyarrow.parquet as pq

    rows, writer = 0, None
    with atomic(path) as partial:
        try:
            for batch in batches:
                if writer is None:
                    schema = batch.schema
                    writer = pq.ParquetWriter(
                        partial, schema, use_dictionary=dictionary_columns(schema)
                    )
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary-encoding in Parquet: all but floats.

    Float features rarely repeat; encoding them anyway costs most of the write time.
    """
    import pyarrow as pa

    return [field.name for field in schema if not pa.types.is_floating(field.type)]


def read_features(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a prepared Parquet file as (features as float32, labels, feature names).

    Columns are read one at a time into one preallocated array, so the peak memory is
    that array plus one column, not a second copy of the whole table.
    """
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    names = [name for name in source.schema_arrow.names if name != TARGET]
    rows = source.metadata.num_rows
    features = np.empty((rows, len(names)), dtype=np.float32, order="F")
    for i, name in enumerate(names):
        features[:, i] = source.read(columns=[name]).column(0).to_numpy()
    labels = source.read(columns=[TARGET]).column(0).to_numpy().astype(np.int8, copy=False)
    return features, labels, names


def dump_atomic(obj: object, path: Path) -> None:
    """Save ``obj`` with joblib to ``path``, atomically."""
    import joblib

    with atomic(path) as partial:
        joblib.dump(obj, partial)
