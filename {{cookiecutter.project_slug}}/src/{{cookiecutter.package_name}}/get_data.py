"""Stage get_data: make a synthetic, fraud-like data set, or read one from a file or URL.

Writes data/raw.parquet: the source's feature columns as they are (text and missing
values included; prepare handles them) and the label as `is_fraud`, 1 for fraud.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from . import params as p
from .cli import UserError, run
from .dataset import TARGET, write_batches, write_table
from .paths import RAW_DATA

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

SOURCE_FORMATS = (".csv", ".csv.gz", ".parquet", ".pq")
BATCH_ROWS = 1_000_000  # synthetic rows made and written at a time: 80 MB at 20 features
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


def read_source(source: str) -> pd.DataFrame:
    """Read a CSV or Parquet file from a local path or any fsspec URL (s3://, https://, ...)."""
    import pandas as pd

    name = source.lower().split("?")[0]
    if not name.endswith(SOURCE_FORMATS):
        raise UserError(
            f"get_data.source {source!r} is neither CSV nor Parquet. "
            f"Give a file ending in {', '.join(SOURCE_FORMATS)}"
        )
    try:
        frame = pd.read_parquet(source) if name.endswith((".parquet", ".pq")) else read_csv(source)
    except FileNotFoundError:
        raise UserError(
            f"get_data.source {source!r} does not exist. Give an existing path or URL"
        ) from None
    except pd.errors.EmptyDataError:
        raise UserError(
            f"get_data.source {source!r} is empty. Give a file with a header and rows"
        ) from None
    except UnicodeDecodeError:
        raise UserError(
            f"get_data.source {source!r} is not UTF-8 text. Save it as UTF-8 and run again"
        ) from None
    if frame.empty:
        raise UserError(f"get_data.source {source!r} has a header but no rows. Give it data")
    return frame


def read_csv(source: str) -> pd.DataFrame:
    """Read a CSV file separated by commas, semicolons, tabs or bars; refuse repeated column names."""
    import csv

    import fsspec
    import pandas as pd

    with fsspec.open(source, "rt", encoding="utf-8", compression="infer") as handle:
        first_line = handle.readline()
    if not first_line.strip():
        raise pd.errors.EmptyDataError(source)
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
    return pd.read_csv(source, sep=separator)


def label_rows(frame: pd.DataFrame, label_column: str, positive_label: Any) -> pa.Table:
    """Replace ``label_column`` by `is_fraud` (1 where it equals ``positive_label``) as Arrow."""
    import pyarrow as pa

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
    labels = frame[label_column].astype(str) == str(positive_label)
    if not labels.any():
        raise UserError(
            f"get_data.positive_label {positive_label!r} never occurs in column {label_column!r}. "
            "Give the value that marks fraud"
        )
    features = frame.drop(columns=[label_column])
    for name in features.select_dtypes(include="object").columns:
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
        table = label_rows(read_source(source), label_column, positive_label)
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
