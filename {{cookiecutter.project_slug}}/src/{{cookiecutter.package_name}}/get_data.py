"""Stage get_data: make a synthetic, fraud-like data set, or read one from a file or database.

Writes data/raw.parquet: the source's feature columns as they are (text, dates and missing
values included; prepare handles them) and the label as `is_fraud`, 1 for fraud. Rows
whose label is missing are dropped, with a warning that counts them. DVC reruns this
stage when the check_source stage finds that the data behind the source changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import params as p
from . import sources
from .cli import UserError, run
from .dataset import BATCH_ROWS, TARGET, write_batches, write_table
from .paths import RAW_DATA
from .progress import Progress

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

CLASS_SEPARATION = 0.6  # distance of the class clusters from the centre, in standard deviations


def synthetic_batches(
    n_samples: int, n_features: int, positive_rate: float, seed: int
) -> Iterator[pa.RecordBatch]:
    """Make an imbalanced binary data set, ``BATCH_ROWS`` rows at a time, as float32 columns.

    About ``positive_rate`` of the rows are fraud (at least one row of each class). Half
    the features are informative: each class is two Gaussian clusters, with their own
    correlations, at corners of a hypercube (as scikit-learn's make_classification does).
    Two more are linear mixes of those, the rest are noise.
    """
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    informative = max(1, n_features // 2)
    redundant = min(2, n_features - informative)
    clusters = 2 if informative >= 2 else 1
    centres = CLASS_SEPARATION * corners(rng, 2 * clusters, informative)
    mixes = rng.uniform(-1, 1, (2 * clusters, informative, informative)).astype(np.float32)
    redundant_mix = rng.uniform(-1, 1, (informative, redundant)).astype(np.float32)
    labels = np.zeros(n_samples, dtype=np.int8)
    labels[rng.choice(n_samples, positive_count(n_samples, positive_rate), replace=False)] = 1
    names = [f"feature_{i:02d}" for i in range(n_features)] + [TARGET]

    progress = Progress("get_data", n_samples)
    for start in range(0, n_samples, BATCH_ROWS):
        batch_rng = np.random.default_rng([seed, start])
        batch_labels = labels[start : start + BATCH_ROWS]
        rows = len(batch_labels)
        group = batch_labels * clusters + batch_rng.integers(0, clusters, rows)
        features = np.empty((rows, n_features), dtype=np.float32, order="F")
        features[:, informative + redundant :] = batch_rng.standard_normal(
            (rows, n_features - informative - redundant), dtype=np.float32
        )
        noise = batch_rng.standard_normal((rows, informative), dtype=np.float32)
        for g in range(2 * clusters):
            members = group == g
            features[members, :informative] = noise[members] @ mixes[g] + centres[g]
        del noise
        features[:, informative : informative + redundant] = (
            features[:, :informative] @ redundant_mix
        )
        columns = [pa.array(features[:, i]) for i in range(n_features)]
        yield pa.RecordBatch.from_arrays([*columns, pa.array(batch_labels)], names=names)
        progress.update(rows)
    progress.finish()


def positive_count(n_samples: int, positive_rate: float) -> int:
    """How many of ``n_samples`` synthetic rows are fraud: at least one of each class if possible."""
    return max(0, min(max(1, round(n_samples * positive_rate)), n_samples - 1))


def corners(rng: np.random.Generator, count: int, dimensions: int) -> np.ndarray:
    """``count`` distinct corners of the hypercube [-1, 1]^dimensions (or as many as exist)."""
    exact = min(dimensions, 16)  # corners drawn without repeats among the first 16 axes
    codes = rng.choice(2**exact, size=count, replace=count > 2**exact)
    bits = (codes[:, None] >> np.arange(exact)) & 1
    rest = rng.integers(0, 2, (count, dimensions - exact))
    return (2 * np.hstack([bits, rest]) - 1).astype(np.float32)


def make_synthetic(n_samples: int, n_features: int, positive_rate: float, seed: int) -> pa.Table:
    """The whole synthetic data set as one table (see ``synthetic_batches``)."""
    import pyarrow as pa

    return pa.Table.from_batches(synthetic_batches(n_samples, n_features, positive_rate, seed))


def label_rows(frame: pd.DataFrame, label_column: str, positive_label: Any) -> pa.Table:
    """Replace ``label_column`` by `is_fraud` (1 where it equals ``positive_label``) as Arrow."""
    import pyarrow as pa
    from pandas.api.types import is_numeric_dtype, is_object_dtype

    if label_column not in frame.columns:
        raise UserError(
            f"get_data.label_column {label_column!r} is not a column of the source "
            f"(it has {', '.join(map(str, frame.columns[:10]))}). Name the label column"
        )
    if label_column != TARGET and TARGET in frame.columns:
        raise UserError(
            f"the source already has a column {TARGET!r}. "
            "Use it as get_data.label_column, or rename it"
        )
    missing = frame[label_column].isna()
    if missing.all():
        raise UserError(
            f"every row's label (column {label_column!r}) is missing. Check get_data.label_column"
        )
    if missing.any():
        log.warning(
            "dropped %d of %d rows whose label (column %r) is missing",
            missing.sum(), len(frame), label_column,
        )  # fmt: skip
        frame = frame[~missing]
    column = frame[label_column]
    if is_numeric_dtype(column) and not isinstance(positive_label, str):
        labels = column == positive_label  # 1 matches 1.0 (a column with gaps is read as float)
    else:
        labels = column.astype(str) == str(positive_label)
    if not labels.any():
        raise UserError(
            f"get_data.positive_label {positive_label!r} never occurs in column {label_column!r}. "
            "Give the value that marks fraud"
        )
    features = frame.drop(columns=[label_column])
    for name in features.columns:  # mixed Python objects (text with gaps, dates) become text
        if is_object_dtype(features[name]):
            features[name] = features[name].astype("string")
    table = pa.Table.from_pandas(features, preserve_index=False)
    return table.append_column(TARGET, pa.array(labels.to_numpy(np.int8)))


def main() -> None:
    """Read the get_data parameters, get the data, write data/raw.parquet."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    source = p.text(params, "get_data.source")
    if source:
        label_column = p.text(params, "get_data.label_column")
        positive_label = p.get(
            params,
            "get_data.positive_label",
            "a number or a text",
            lambda v: isinstance(v, int | float | str),
        )
        query = p.text(params, "get_data.query")
        max_rows = p.get(
            params, "get_data.max_rows", "null or a whole number above 0",
            lambda v: v is None or (p.is_int(v) and v > 0),
        )  # fmt: skip
        log.info("reading %s", sources.describe(sources.resolve(source)))
        frame = sources.read(source, query)
        if max_rows is not None and len(frame) > max_rows:
            log.info("keeping the first %d of %d rows (get_data.max_rows)", max_rows, len(frame))
            frame = frame.head(max_rows)
        table = label_rows(frame, label_column, positive_label)
        write_table(table, RAW_DATA)
        rows, columns = table.num_rows, table.num_columns - 1
        positives = int(np.asarray(table.column(TARGET)).sum())
    else:
        rows = p.positive_int(params, "get_data.n_samples")
        columns = p.positive_int(params, "get_data.n_features")
        positive_rate = p.fraction(params, "get_data.positive_rate")
        positives = positive_count(rows, positive_rate)
        write_batches(synthetic_batches(rows, columns, positive_rate, seed), RAW_DATA)
    log.info(
        "wrote %s: %d rows, %d features, %.2f%% fraud",
        RAW_DATA, rows, columns, 100 * positives / rows,
    )  # fmt: skip


if __name__ == "__main__":
    run(main)
