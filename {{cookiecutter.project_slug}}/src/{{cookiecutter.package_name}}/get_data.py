"""Stage get_data: read the data from a file or database, or make the synthetic example's.

Writes data/raw.parquet: the source's columns as they are (text, dates and missing values
included; prepare handles them), the label last, under its own name (get_data.label_column),
as 1 where it is get_data.positive_label and 0 elsewhere. Rows whose label is missing are
dropped, with a warning that counts them. DVC reruns this stage when the check_source stage
finds that the data behind the source changed.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from . import synthetic
from .core import labels, profile, sources
from .core import params as p
from .core.cli import UserError, run
from .core.dataset import write_batches, write_table
from .core.paths import RAW_DATA

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

log = logging.getLogger(__name__)

LABEL_VALUES_KEPT = 20  # the label's most frequent values recorded in raw.parquet


def label_rows(frame: pd.DataFrame, label_column: str, positive_label: Any) -> pa.Table:
    """The rows as Arrow, ``label_column`` moved last as 1 where it is ``positive_label``, else 0."""
    import pyarrow as pa
    from pandas.api.types import is_object_dtype

    if label_column not in frame.columns:
        raise UserError(
            f"get_data.label_column {label_column!r} is not a column of the source "
            f"(it has {', '.join(map(str, frame.columns[:10]))}). Name the label column"
        )
    missing = frame[label_column].isna()
    if missing.all():
        raise UserError(
            f"every row's label (column {label_column!r}) is missing. Check that the source "
            "still fills it, and get_data.label_column"
        )
    if missing.any():
        log.warning(
            "dropped %d of %d rows whose label (column %r) is missing",
            missing.sum(), len(frame), label_column,
        )  # fmt: skip
        frame = frame[~missing]
    positive = labels.positive_rows(frame[label_column], positive_label)
    if not positive.any():
        raise UserError(
            f"get_data.positive_label {labels.as_text(positive_label)!r} never occurs in column "
            f"{label_column!r} (its values include {labels.values_seen(frame[label_column])}). "
            "Give the value that marks the positive class"
        )
    features = frame.drop(columns=[label_column])
    for name in features.columns:  # mixed Python objects (text with gaps, dates) become text
        if is_object_dtype(features[name]):
            features[name] = features[name].astype("string")
    table = pa.Table.from_pandas(features, preserve_index=False)
    table = table.append_column(label_column, pa.array(positive.astype(np.int8)))
    # The label's own values, for check_data to notice one it never saw.
    counts = frame[label_column].map(labels.as_text).value_counts().head(LABEL_VALUES_KEPT)
    values = json.dumps({str(value): int(count) for value, count in counts.items()})
    return table.replace_schema_metadata({profile.LABEL_VALUES: values})


def main() -> None:
    """Read the get_data parameters, get the data, write data/raw.parquet."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    source = p.text(params, "get_data.source")
    label_column = labels.label_column(params)
    if source:
        positive_label = labels.positive_label(params)
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
        positives = int(np.asarray(table.column(label_column)).sum())
    else:
        rows = p.positive_int(params, "get_data.n_samples")
        columns = p.positive_int(params, "get_data.n_features")
        positive_rate = p.fraction(params, "get_data.positive_rate")
        positives = synthetic.positive_count(rows, positive_rate)
        batches = synthetic.synthetic_batches(rows, columns, positive_rate, seed, label_column)
        write_batches(batches, RAW_DATA)
    log.info(
        "wrote %s: %d rows, %d columns besides the label %r, %.2f%% of them positive",
        RAW_DATA, rows, columns, label_column, 100 * positives / rows,
    )  # fmt: skip


if __name__ == "__main__":
    run(main)
