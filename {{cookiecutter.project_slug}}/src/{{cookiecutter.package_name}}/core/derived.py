"""Derived columns: a function of raw rows (the project's features.add_features), applied to batches.

The function gets a batch of raw rows as a pandas DataFrame, without the label, and returns
the same rows with the columns it adds (and without those it drops). ``plan`` tries it on a
few rows first, to learn which columns it adds and drops and to refuse one that rewrites a
raw column; ``with_derived`` applies it to a batch; ``TrainingColumns`` shows the encoding
the training rows' columns, raw ones read from the file, derived ones made a batch at a time.
The function is passed in: this module does not import the stages' features.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from .cli import UserError
from .dataset import ParquetColumns, rows_by_group

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Derive = Callable[["pd.DataFrame"], "pd.DataFrame"]  # raw rows -> the same rows, columns added


@dataclass(frozen=True)
class Plan:
    """What the function does to the raw columns: the columns it adds and drops."""

    added: list[str]
    dropped: list[str]

    @property
    def changes(self) -> bool:
        """False when it adds and drops nothing: the raw columns are the features."""
        return bool(self.added or self.dropped)


def with_derived(rows: pa.Table, label: str | None, derive: Derive) -> pa.Table:
    """Raw rows with the columns ``derive`` makes; the label, if ``label`` names one, stays last.

    ``derive`` never sees the label: a feature made from it would not exist for new rows.
    """
    import pandas as pd

    frame = (rows.drop_columns([label]) if label else rows).to_pandas(split_blocks=True)
    count = len(frame)
    made = derive(frame)
    if not isinstance(made, pd.DataFrame) or len(made) != count:
        got = type(made).__name__ + (f" of {len(made)} rows" if hasattr(made, "__len__") else "")
        raise UserError(
            f"features.add_features must return a DataFrame of the {count} rows it was given, "
            f"not {got}. Return the rows with the new columns"
        )
    table = pa.Table.from_pandas(made, preserve_index=False)
    return table.append_column(label, rows.column(label)) if label else table


def plan(raw: pa.Table, label: str, derive: Derive) -> Plan:
    """Try ``derive`` on a few raw rows (label last): the columns it adds and drops.

    A raw column it changes is refused: the encoding learns each raw column from the file.
    """
    import pandas as pd

    before = raw.drop_columns([label]).to_pandas()
    after = with_derived(raw, label, lambda rows: derive(rows.copy())).drop_columns([label])
    after = after.to_pandas()
    columns = list(before.columns)
    added = [name for name in after.columns if name not in columns]
    dropped = [name for name in columns if name not in after.columns]
    for name in columns:
        if name not in dropped and not after[name].equals(before[name]):
            kind = pd.api.types.infer_dtype(after[name])
            raise UserError(
                f"features.add_features changes the raw column {name!r} (to {kind} values). "
                f"Add the new values as a column of their own (e.g. {name}_new) and drop {name!r}"
            )
    return Plan(added, dropped)


class TrainingColumns:
    """The training rows' columns as the encoding learns them: the raw ones read from the file
    one at a time when asked for, the added ones made once, a row group at a time.

    It answers ``column_names`` and ``column(name)`` as a ``pa.Table`` does.
    """

    def __init__(
        self, path: Path, rows: np.ndarray, label: str, derive: Derive, planned: Plan
    ) -> None:
        self.raw = ParquetColumns(path, rows)
        kept = [name for name in self.raw.column_names[:-1] if name not in planned.dropped]
        self.column_names = kept + planned.added
        chunks: dict[str, list] = {name: [] for name in planned.added}
        if planned.added:
            for group in rows_by_group(path, rows):
                made = with_derived(group, label, derive)
                for name in planned.added:
                    chunks[name] += made.column(name).chunks
        self.derived = {name: pa.chunked_array(parts) for name, parts in chunks.items()}

    def column(self, name: str) -> pa.ChunkedArray:
        """One column of the training rows."""
        return self.derived[name] if name in self.derived else self.raw.column(name)
