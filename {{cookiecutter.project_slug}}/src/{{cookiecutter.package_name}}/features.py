"""Derived features: the one place to make new columns from the raw ones.

``add_features`` gets a batch of raw rows (the columns of data/raw.parquet, without the
label) as a pandas DataFrame and returns the same rows, in the same order, with the columns
you add. prepare calls it on every batch before the features are encoded, so training,
evaluation, drift and the CI report's scoring of the base branch's model (with that branch's
copy of this file) all see the same columns. For a car-loan data set, say::

    def add_features(rows):
        rows["loan_to_income"] = rows["amount"] / rows["income"]
        rows["term_years"] = rows["term_months"] // 12
        return rows.drop(columns=["customer_id"])   # a dropped column is no feature

Add columns; leave the raw ones as they are (to transform one, add the new version and
drop the old). Work row by row: a batch is a slice of the data (up to a million rows), so
a statistic of the batch (a mean, a rank) would differ from batch to batch; what must be
learned from the training rows (medians, frequent values) the encoding does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def add_features(rows: pd.DataFrame) -> pd.DataFrame:
    """Return ``rows`` with the derived columns added (none yet: the raw columns are the features)."""
    return rows
