"""The label: which column holds it, which value marks the positive class, what the classes are called.

get_data.label_column names the source's label column, which keeps that name in every
file the pipeline writes, as 1 where its value is get_data.positive_label and 0 elsewhere.
The value matches whatever YAML made of it: `1` matches 1, 1.0 and "1"; `yes` matches
"yes"; `true` matches a column of booleans or of the text True. evaluate.class_names are
the words a person reads for the two classes (plots, logs, the CI report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import params as p

if TYPE_CHECKING:
    import pandas as pd


def label_column(params: dict) -> str:
    """get_data.label_column: the name of the label's column, not empty."""
    return p.get(
        params, "get_data.label_column", "the name of the column that holds the label",
        lambda v: isinstance(v, str) and v.strip() != "",
    )  # fmt: skip


def positive_label(params: dict) -> Any:
    """get_data.positive_label: a number, a text or true/false."""
    return p.get(
        params, "get_data.positive_label", "the label value of the positive class (a number, a text or true/false)",
        lambda v: isinstance(v, int | float | str | bool),
    )  # fmt: skip


def class_names(params: dict) -> tuple[str, str]:
    """evaluate.class_names: two different names, the negative class first."""
    names = p.get(
        params, "evaluate.class_names", "two different names, the negative class first, e.g. [negative, positive]",
        lambda v: isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) and x.strip() for x in v)
        and v[0] != v[1],
    )  # fmt: skip
    return names[0], names[1]


def as_text(value: Any) -> str:
    """A label value as text: 1.0 and 1 as "1", True as "true", text stripped."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def as_number(value: Any) -> float | None:
    """A label value as a number, if it is one (1, 1.0, "1"); None otherwise."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def positive_rows(column: pd.Series, positive: Any) -> np.ndarray:
    """True where a label column holds the positive label, whatever types YAML and the file gave.

    Booleans compare as true/false whatever their case, numbers as numbers, anything else as
    text. A missing value is never positive.
    """
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if is_numeric_dtype(column) and not is_bool_dtype(column):
        number = as_number(positive)
        if number is None:
            return np.zeros(len(column), dtype=bool)
        return (column == number).fillna(False).to_numpy(dtype=bool)
    text = column.astype("string").str.strip()
    wanted = as_text(positive)
    if is_bool_dtype(column) or wanted.lower() in ("true", "false"):
        text, wanted = text.str.lower(), wanted.lower()
    return (text == wanted).fillna(False).to_numpy(dtype=bool)


def values_seen(column: pd.Series, count: int = 5) -> str:
    """A few of a column's distinct values, for a message: 'yes', 'no'."""
    values = column.dropna().unique()[:count]
    return ", ".join(repr(as_text(v)) for v in values) or "none"
