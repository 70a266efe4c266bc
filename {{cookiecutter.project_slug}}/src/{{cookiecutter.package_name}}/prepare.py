"""Stage prepare: split the raw data into train and test sets and make every feature numeric.

Numbers stay numbers (missing values take the training median); a text column becomes
one 0/1 column per frequent value. Everything is learned on the training rows only, so
the test set stays unseen. Writes data/prepared/{train,test}.parquet, float32 features.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import params as p
from .cli import UserError, run
from .dataset import TARGET, write_table
from .paths import RAW_DATA, TEST_DATA, TRAIN_DATA

log = logging.getLogger(__name__)


def stratified_split(
    labels: np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted (train, test) row indices with each class split in the same proportion."""
    classes = np.unique(labels)
    if len(classes) < 2:
        raise UserError(
            f"every row has label {classes[0] if len(classes) else None}: fraud and legit rows "
            "are both needed. Check get_data.positive_label"
        )
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


def encode(train: pa.Table, test: pa.Table, max_categories: int) -> tuple[pa.Table, pa.Table]:
    """Make every feature a float32 column, learning medians and categories on ``train``."""
    train_columns: dict[str, pa.Array] = {}
    test_columns: dict[str, pa.Array] = {}
    for name in train.column_names:
        if name == TARGET:
            continue
        kind = train.schema.field(name).type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            column = train.column(name).cast(pa.float32())
            if missing_count(column) == len(column):
                log.warning("dropped column %r: it has no values in the training rows", name)
                continue
            median = pc.quantile(column, q=0.5)[0].as_py()  # exact, and quicker than a t-digest
            train_columns[name] = fill_missing(column, median)
            test_columns[name] = fill_missing(test.column(name).cast(pa.float32()), median)
        else:
            column = train.column(name).cast(pa.string())
            counts = pc.value_counts(column.drop_null()).to_pylist()
            counts.sort(key=lambda item: (-item["counts"], item["values"]))
            for item in counts[:max_categories]:
                value = item["values"]
                train_columns[f"{name}={value}"] = is_value(column, value)
                test_columns[f"{name}={value}"] = is_value(
                    test.column(name).cast(pa.string()), value
                )
    train_columns[TARGET] = train.column(TARGET)
    test_columns[TARGET] = test.column(TARGET)
    return pa.table(train_columns), pa.table(test_columns)


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


def main() -> None:
    """Read the prepare parameters and data/raw.parquet, write the prepared train and test sets."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    test_size = p.fraction(params, "prepare.test_size")
    max_categories = p.positive_int(params, "prepare.max_categories")

    raw = pq.ParquetFile(RAW_DATA).read()
    labels = raw.column(TARGET).to_numpy()
    train_rows, test_rows = stratified_split(labels, test_size, seed)
    train, test = raw.take(train_rows), raw.take(test_rows)
    del raw  # the split copies hold every row: keep only them in memory
    train, test = encode(train, test, max_categories)
    if train.num_columns == 1:
        raise UserError(f"{RAW_DATA} has no usable feature column. Check get_data.source")
    write_table(train, TRAIN_DATA)
    write_table(test, TEST_DATA)
    log.info(
        "wrote %d training and %d test rows, %d features",
        train.num_rows,
        test.num_rows,
        train.num_columns - 1,
    )


if __name__ == "__main__":
    run(main)
