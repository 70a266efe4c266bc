"""The data files of the pipeline: Parquet read and written in batches, the label as the last column.

Every file the pipeline writes (data/raw.parquet, the prepared sets) keeps the label under
the source's own column name, as 1 for the positive class and 0 otherwise, and as its last
column: the other columns are the features. Stages go through a file BATCH_ROWS rows at a
time (its Parquet row groups), so their memory stays bounded however many rows the data
has; outputs are written atomically (files.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .files import atomic

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 1_000_000  # rows read or written at a time: 80 MB of float32 at 20 features


def label_of(names: list[str]) -> str:
    """The label's column among a file's column ``names``: the last one."""
    return names[-1]


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as Parquet, atomically."""
    import pyarrow.parquet as pq

    with atomic(path) as partial:
        pq.write_table(
            table,
            partial,
            row_group_size=BATCH_ROWS,
            use_dictionary=dictionary_columns(table.schema),
        )


def write_batches(batches: Iterable[pa.RecordBatch | pa.Table], path: Path) -> int:
    """Write batches of one schema to ``path`` as Parquet, atomically; return the rows.

    Only one batch is in memory at a time, however many rows the file gets.
    """
    rows = 0
    with table_writer(path) as write:
        for batch in batches:
            write(batch)
            rows += batch.num_rows
    return rows


@contextmanager
def table_writer(path: Path) -> Iterator[Callable[[pa.RecordBatch | pa.Table], None]]:
    """Give a function that appends a batch (or table) to ``path``, written atomically on exit.

    The first batch sets the file's schema; a batch without rows adds no rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic(path) as partial:
        writer = None

        def write(batch: pa.RecordBatch | pa.Table) -> None:
            nonlocal writer
            if writer is None:
                schema = batch.schema
                writer = pq.ParquetWriter(
                    partial, schema, use_dictionary=dictionary_columns(schema)
                )
            if batch.num_rows:
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                writer.write_table(table, row_group_size=BATCH_ROWS)

        try:
            yield write
        finally:
            if writer is not None:
                writer.close()


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
    *names, label = source.schema_arrow.names
    rows = source.metadata.num_rows
    features = np.empty((rows, len(names)), dtype=np.float32, order="F")
    for i, name in enumerate(names):
        features[:, i] = source.read(columns=[name]).column(0).to_numpy()
    labels = source.read(columns=[label]).column(0).to_numpy().astype(np.int8, copy=False)
    return features, labels, names


def feature_names(path: Path) -> list[str]:
    """The feature columns of a prepared Parquet file, in order."""
    import pyarrow.parquet as pq

    return pq.read_schema(path).names[:-1]


def row_count(path: Path) -> int:
    """The rows of a Parquet file, from its footer (no row is read)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def read_labels(path: Path) -> np.ndarray:
    """The label column of a Parquet file of the pipeline, as int8 (one byte a row)."""
    import pyarrow.parquet as pq

    label = label_of(pq.read_schema(path).names)
    return pq.read_table(path, columns=[label]).column(0).to_numpy().astype(np.int8, copy=False)


def row_groups(path: Path, columns: list[str] | None = None) -> Iterator[pa.Table]:
    """Go through a Parquet file one row group at a time (``columns`` only, if given).

    Each group is read whole and let go before the next: unlike Arrow's batch iterator,
    which reads ahead and keeps hundreds of MB in its memory pool.
    """
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    for group in range(source.num_row_groups):
        yield source.read_row_group(group, columns=columns)


def first_rows(path: Path, count: int) -> pa.Table:
    """The first ``count`` rows of a Parquet file (fewer if it has fewer), read alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    batch = next(source.iter_batches(batch_size=count), None)
    if batch is None:
        return source.schema_arrow.empty_table()
    return pa.Table.from_batches([batch])


def within(rows: np.ndarray, start: int, end: int) -> np.ndarray:
    """The sorted row numbers ``rows`` that fall in [start, end), counted from ``start``."""
    return rows[(rows >= start) & (rows < end)] - start


def rows_by_group(
    path: Path, rows: np.ndarray, columns: list[str] | None = None
) -> Iterator[pa.Table]:
    """The given sorted row numbers of a Parquet file, read one row group at a time."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    start = 0
    for group in range(source.num_row_groups):
        end = start + source.metadata.row_group(group).num_rows
        inside = within(rows, start, end)
        if len(inside):
            yield source.read_row_group(group, columns=columns).take(inside)
        start = end


def table_features(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """A prepared table (features, then the label) as (features as float32, labels as int8).

    The features are filled into one preallocated array, a column at a time.
    """
    count = table.num_columns - 1
    features = np.empty((table.num_rows, count), dtype=np.float32, order="F")
    for i in range(count):
        features[:, i] = table.column(i).to_numpy()
    return features, table.column(count).to_numpy().astype(np.int8, copy=False)


def feature_batches(
    path: Path, batch_rows: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Go through a prepared Parquet file as (features as float32, labels), a row group at a time.

    With ``batch_rows``, row groups are cut into batches of at most that many rows.
    """
    for group in row_groups(path):
        step = batch_rows or group.num_rows or 1
        for start in range(0, group.num_rows, step):
            yield table_features(group.slice(start, step))


def read_rows(path: Path, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The features and labels of the given sorted row numbers, read a row group at a time."""
    import pyarrow as pa

    return table_features(pa.concat_tables(rows_by_group(path, rows)))


class ParquetColumns:
    """A Parquet file seen as a table whose columns are read one at a time, when asked for.

    It answers ``column_names``, ``num_rows`` and ``column(name)`` as a ``pa.Table`` does;
    with ``rows``, only those rows of each column.
    """

    def __init__(self, path: Path, rows: np.ndarray | None = None) -> None:
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        self.rows = rows
        self.column_names = self.file.schema_arrow.names
        self.num_rows = self.file.metadata.num_rows if rows is None else len(rows)

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, read now."""
        column = self.file.read(columns=[name]).column(0)
        return column if self.rows is None else column.take(self.rows)


def dump_atomic(obj: object, path: Path) -> None:
    """Save ``obj`` with joblib to ``path``, atomically."""
    import joblib

    with atomic(path) as partial:
        joblib.dump(obj, partial)
