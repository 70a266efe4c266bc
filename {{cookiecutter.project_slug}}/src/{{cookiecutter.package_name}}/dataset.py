"""The data shared by all stages: the label column, and Parquet files written atomically.

An output is written to a temporary file first and renamed into place, so a stage
that is killed half-way never leaves a file that looks complete.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

TARGET = "is_fraud"  # 1 for fraud, 0 otherwise, in every file the pipeline writes


def write_table(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as Parquet, atomically."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    pq.write_table(table, partial)
    os.replace(partial, path)


def read_features(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a prepared Parquet file as (features as float32, labels, feature names)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    names = [name for name in table.column_names if name != TARGET]
    features = np.empty((table.num_rows, len(names)), dtype=np.float32, order="F")
    for i, name in enumerate(names):
        features[:, i] = table.column(name).to_numpy()
    labels = table.column(TARGET).to_numpy().astype(np.int8, copy=False)
    return features, labels, names


def dump_atomic(obj: object, path: Path) -> None:
    """Save ``obj`` with joblib to ``path``, atomically."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    joblib.dump(obj, partial)
    os.replace(partial, path)
