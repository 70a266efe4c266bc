"""Score raw rows with a saved model, through this checkout's features.py and a saved encoding.

    python -m {{ cookiecutter.package_name }}.predict --model M --encoding E --rows R --output P

R is a Parquet file of raw rows (the columns of data/raw.parquet, the label last); P gets
each row's positive probability (a NumPy .npy file). The CI report runs this command
with the base branch's copy of the package, so that the base branch's model is scored on
today's rows with the feature code and encoding it was trained with, whatever this branch
changed in them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import features
from .core.cli import run
from .core.dataset import label_of, row_groups, table_features
from .core.derived import with_derived
from .core.encoding import apply_encoding
from .core.files import atomic
from .models import positive_probability

if TYPE_CHECKING:
    import pyarrow as pa


def probabilities(model: Any, encoding: dict, batches: Iterable[pa.Table]) -> np.ndarray:
    """The positive probability of each raw row of ``batches`` (label last), in order."""
    parts = [np.empty(0)]
    for rows in batches:
        label = label_of(rows.column_names)
        raw = with_derived(rows, label, features.add_features)
        encoded = apply_encoding(raw, {**encoding, "label": label})
        parts.append(positive_probability(model, table_features(encoded)[0]))
    return np.concatenate(parts)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, score the rows, write the probabilities."""
    import joblib

    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.predict", description=__doc__.splitlines()[0]
    )
    add = parser.add_argument
    add("--model", type=Path, required=True, help="a model saved by train (joblib)")
    add("--encoding", type=Path, required=True, help="encoding.json written by prepare")
    add("--rows", type=Path, required=True, help="raw rows, the label last, as Parquet")
    add("--output", type=Path, required=True, help="where to write the probabilities (.npy)")
    args = parser.parse_args(argv)
    model = joblib.load(args.model)
    encoding = json.loads(args.encoding.read_text(encoding="utf-8"))
    scores = probabilities(model, encoding, row_groups(args.rows))
    with atomic(args.output) as partial, partial.open("wb") as out:
        np.save(out, scores)


if __name__ == "__main__":
    run(main)
