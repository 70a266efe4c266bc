"""Stage prepare: split the raw data into train and test sets, add the derived features, encode.

prepare.split: random splits each class at random; time holds out the latest rows by
prepare.time_column. Each batch of raw rows gets the columns of features.add_features;
how the columns become float32 features (core/encoding.py) is learned on the training rows
only and saved to data/prepared/encoding.json, so that rows of another day are encoded
alike. Writes data/prepared/: {train,test}.parquet (float32 features, the label last),
encoding.json, test_rows.npy (which raw rows are the test set, for the CI report) and
split.json (each set's rows and time range, for the report too).

The raw data is never held whole: the split reads the label (and time) column, the encoding
is learned one column at a time, and the rows are encoded and written a batch at a time.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import features
from .core import derived
from .core import params as p
from .core.cli import UserError, run
from .core.dataset import ParquetColumns, first_rows, label_of, row_groups, table_writer
from .core.encoding import TIME_PARTS, apply_encoding, as_time, learn_encoding
from .core.files import atomic, write_text_atomic
from .core.paths import ENCODING, RAW_DATA, SPLIT, TEST_DATA, TEST_ROWS, TRAIN_DATA
from .core.progress import Progress

log = logging.getLogger(__name__)

SPLITS = ["random", "time"]
PROBE_ROWS = 1000  # rows features.add_features is tried on first, to see what it adds and drops


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
    labels = raw.column(label_of(raw.column_names)).to_numpy()
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
        columns = raw.column_names[:-1]
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
    """Return sorted (train, test) row indices with each class split in the same proportion.

    What scikit-learn's train_test_split(stratify=...) does, written with NumPy: prepare
    needs nothing else of scikit-learn, whose import would cost this stage about a second on
    every run; and the one-line errors below say what to change.
    """
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
        which = "positive" if len(classes) and classes[0] else "negative"
        raise UserError(f"{rows} is {which}: rows of both classes are needed. {fix}")
    return classes


def split_summary(
    raw: ParquetColumns, params: dict, train_rows: np.ndarray, test_rows: np.ndarray
) -> dict:
    """Each set's rows and, when prepare.time_column is set, its first and last time (ISO text)."""
    summary: dict = {"train": {"rows": len(train_rows)}, "test": {"rows": len(test_rows)}}
    if not p.text(params, "prepare.time_column"):
        return summary
    _, times = time_column(raw, params)
    for name, rows in (("train", train_rows), ("test", test_rows)):
        chosen = times.take(pa.array(rows))
        bounds = pc.min_max(chosen)
        first, last = bounds["min"].as_py(), bounds["max"].as_py()
        summary[name]["time"] = [
            None if first is None else first.isoformat(),
            None if last is None else last.isoformat(),
        ]
    return summary


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
    label = label_of(raw.column_names)
    train_rows, test_rows = split_indices(raw, params)
    add = features.add_features
    planned = derived.plan(first_rows(RAW_DATA, PROBE_ROWS), label, add)
    if planned.changes:
        log.info(
            "features.add_features adds %s and drops %s",
            ", ".join(planned.added) or "nothing", ", ".join(planned.dropped) or "nothing",
        )  # fmt: skip
    training = derived.TrainingColumns(RAW_DATA, train_rows, label, add, planned)
    encoding = learn_encoding(training, max_categories, time_features, label)
    del training
    if not encoding["features"]:
        raise UserError(
            f"{RAW_DATA} has no usable feature column. Check get_data.source "
            "(date/time columns are features only through prepare.time_features)"
        )
    split = split_summary(raw, params, train_rows, test_rows)
    role = np.full(raw.num_rows, -1, dtype=np.int8)  # per raw row: 0 train, 1 test, -1 left out
    role[train_rows], role[test_rows] = 0, 1
    with atomic(TEST_ROWS) as partial, partial.open("wb") as out:
        np.save(out, test_rows.astype(np.int64))
    del train_rows, test_rows
    progress = Progress("prepare", raw.num_rows)
    with table_writer(TRAIN_DATA) as write_train, table_writer(TEST_DATA) as write_test:
        start = 0
        for group in row_groups(RAW_DATA):
            rows = derived.with_derived(group, label, add) if planned.changes else group
            roles = role[start : start + rows.num_rows]
            write_train(apply_encoding(rows.take(np.flatnonzero(roles == 0)), encoding))
            write_test(apply_encoding(rows.take(np.flatnonzero(roles == 1)), encoding))
            start += rows.num_rows
            progress.update(rows.num_rows)
    progress.finish()
    write_text_atomic(ENCODING, json.dumps(encoding, indent=2, ensure_ascii=False) + "\n")
    write_text_atomic(SPLIT, json.dumps(split, indent=2) + "\n")
    log.info(
        "wrote %d training and %d test rows, %d features",
        np.count_nonzero(role == 0), np.count_nonzero(role == 1), len(encoding["features"]),
    )  # fmt: skip


if __name__ == "__main__":
    run(main)
