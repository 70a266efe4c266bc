"""The synthetic example: fraud-like orders made from a seed, when get_data.source is empty.

About get_data.positive_rate of the rows are fraud; the label column is get_data.label_column
(is_fraud in the example's params.yaml) and evaluate.class_names call the classes legit and
fraud. It lets the pipeline run end to end with no data of your own; point get_data.source
at your data and this module is no longer used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .core.dataset import BATCH_ROWS
from .core.progress import Progress

if TYPE_CHECKING:
    import pyarrow as pa

LABEL = "is_fraud"  # the example's label column
CLASS_SEPARATION = 0.6  # distance of the class clusters from the centre, in standard deviations


def synthetic_batches(
    n_samples: int, n_features: int, positive_rate: float, seed: int, label: str = LABEL
) -> Iterator[pa.RecordBatch]:
    """Make an imbalanced binary data set, ``BATCH_ROWS`` rows at a time, as float32 columns.

    About ``positive_rate`` of the rows are fraud (at least one row of each class), marked
    1 in the last column, ``label``. Half
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
    names = [f"feature_{i:02d}" for i in range(n_features)] + [label]

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


def make_synthetic(
    n_samples: int, n_features: int, positive_rate: float, seed: int, label: str = LABEL
) -> pa.Table:
    """The whole synthetic data set as one table (see ``synthetic_batches``)."""
    import pyarrow as pa

    return pa.Table.from_batches(
        synthetic_batches(n_samples, n_features, positive_rate, seed, label)
    )
