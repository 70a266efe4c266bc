"""Feature drift for the CI report: how each feature shifted since the base model's training data.

Each feature column shared by the base branch's raw data and today's is measured on its
own: numbers, booleans, dates and timestamps by the two-sample Kolmogorov-Smirnov
statistic (the largest gap between the two cumulative distributions), text by the total
variation distance between the shares of its values (the share of rows that would have to
change value to turn one distribution into the other). Both lie between 0 (same
distribution) and 1 (no overlap), so one threshold from params.yaml flags either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core.dataset import rows_by_group
from ..core.profile import kind

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

# Each side is measured on at most this many rows, drawn at random, so drift costs the same
# at any data size. A KS statistic or a share on 100,000 rows is within about 0.005 of its
# value on all rows: far below any threshold worth flagging.
SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class Shift:
    """How far one feature moved: ``statistic`` of ``measure`` ("KS" or "TVD")."""

    feature: str
    measure: str
    statistic: float
    flagged: bool


def feature_shifts(
    base: pa.Table, today: pa.Table, threshold: float, label: str | None = None, seed: int = 0
) -> list[Shift]:
    """Measure the shift of each feature shared by ``base`` and ``today``, largest first.

    Columns are taken in today's order; the ``label`` and columns found on one side only
    are skipped. A shift is flagged when its statistic is above ``threshold``.
    """
    base_names = set(base.column_names)
    names = [name for name in dict.fromkeys(today.column_names) if name in base_names]
    names = [name for name in names if name != label]
    base, today = sample(base, names, seed), sample(today, names, seed)
    shifts = []
    for name in names:
        measured = shift(base.column(name), today.column(name))
        if measured is None:
            log.warning("drift: column %r has a type drift cannot measure; skipped", name)
            continue
        measure, statistic = measured
        shifts.append(Shift(name, measure, statistic, flagged=statistic > threshold))
    # sorted() is stable: equal shifts keep today's column order.
    return sorted(shifts, key=lambda s: s.statistic, reverse=True)


def sample(table: pa.Table, names: list[str], seed: int) -> pa.Table:
    """The columns ``names`` of at most SAMPLE_ROWS rows of ``table``, drawn with ``seed``.

    Each side draws from a fresh generator of the same seed: two tables of the same
    length keep the same rows, so identical data always measures exactly 0.
    """
    import pyarrow as pa

    # The first column of each name, should a table repeat one.
    table = table.select([table.column_names.index(name) for name in names])
    rows = sampled_rows(table.num_rows, seed)
    return table if rows is None else table.take(pa.array(rows))


def sampled_rows(count: int, seed: int) -> np.ndarray | None:
    """SAMPLE_ROWS of ``count`` row numbers drawn with ``seed``, sorted; None to keep them all.

    Sorted, the rows are gathered in file order, which is cheaper.
    """
    if count <= SAMPLE_ROWS:
        return None
    return np.sort(np.random.default_rng(seed).choice(count, SAMPLE_ROWS, replace=False))


def sample_file(path: Path, seed: int = 0) -> pa.Table:
    """At most SAMPLE_ROWS rows of a Parquet file, the rows ``sample`` draws, read a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sampled_rows(pq.ParquetFile(path).metadata.num_rows, seed)
    return pq.read_table(path) if rows is None else pa.concat_tables(rows_by_group(path, rows))


def shift(base: pa.ChunkedArray, today: pa.ChunkedArray) -> tuple[str, float] | None:
    """The measure ("KS" or "TVD") and statistic of one column's shift, or None if unmeasurable."""
    kinds = {kind(base.type), kind(today.type)}
    if None in kinds:
        return None
    kinds.discard("empty")  # a column of nulls only is measured as the other side is
    if kinds in ({"number"}, {"time"}):
        return "KS", ks_statistic(values(base), values(today))
    # Text, or a column whose type changed kind (say numbers to text): compare the values
    # as text, so the change shows as drift rather than as an error.
    return "TVD", total_variation(base, today)


def values(column: pa.ChunkedArray) -> np.ndarray:
    """The non-missing values of a number or time column as float64; times as epoch microseconds."""
    import pyarrow as pa

    column = column.drop_null()
    if len(column) == 0:
        return np.empty(0)
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        # One unit for both sides (microseconds, 2^53 of them span 285 years exactly as
        # float64), so a base in ns and today in ms, or dates against timestamps, compare.
        column = column.cast(pa.timestamp("us"), safe=False).cast(pa.int64())
    numbers = column.cast(pa.float64()).to_numpy()
    return numbers[~np.isnan(numbers)]  # NaN is missing, as in prepare


def ks_statistic(base: np.ndarray, today: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic; 1 if one side has no values and the other has."""
    from scipy.stats import ks_2samp

    if len(base) == 0 or len(today) == 0:
        return float(len(base) != len(today))
    # The asymptotic method only skips the exact p-value, which is never used here and
    # is slow for a few thousand rows; the statistic is the same.
    return float(ks_2samp(base, today, method="asymp").statistic)


def total_variation(base: pa.ChunkedArray, today: pa.ChunkedArray) -> float:
    """0.5 * sum of |share in base - share today| over all values, missing counted as a value.

    1 if one side has no rows and the other has.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(base) == 0 or len(today) == 0:
        return float(len(base) != len(today))
    parts = []
    for column, sign in ((base, 1.0), (today, -1.0)):
        # One value type for both sides: dictionaries with different dictionaries, string
        # against large_string, numbers against text all compare as large strings.
        counts = pc.value_counts(column.cast(pa.large_string()))  # counts nulls too
        shares = pc.divide(counts.field("counts").cast(pa.float64()), sign * len(column))
        parts.append(pa.table({"value": counts.field("values"), "share": shares}))
    # Summing each value's +base and -today shares gives p - q; null values group together.
    differences = pa.concat_tables(parts).group_by("value").aggregate([("share", "sum")])
    return 0.5 * float(pc.sum(pc.abs(differences.column("share_sum"))).as_py())


def drift_figure(shifts: list[Shift], threshold: float, top: int = 20) -> Figure:
    """Draw horizontal bars of the ``top`` largest shifts, flagged ones in red, and the threshold."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    shown = sorted(shifts, key=lambda s: s.statistic, reverse=True)[:top][::-1]  # largest on top
    figure = Figure(figsize=(6, 0.3 * len(shown) + 1.6), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(shown))
    colours = ["tab:red" if s.flagged else "tab:blue" for s in shown]
    axes.barh(positions, [s.statistic for s in shown], color=colours)
    # Tick labels rather than string categories: matplotlib would merge equal strings.
    axes.set_yticks(positions, [f"{s.feature} ({s.measure})" for s in shown])
    axes.axvline(threshold, linestyle="--", color="grey")
    axes.set(xlim=(0, 1.02), xlabel="shift (KS statistic, or total variation distance for text)")
    # Below the axes, where it cannot hide a bar.
    figure.legend(
        handles=[
            Patch(color="tab:red", label="drifted"),
            Patch(color="tab:blue", label="within threshold"),
            Line2D([], [], linestyle="--", color="grey", label=f"threshold {threshold:g}"),
        ],
        loc="outside lower center", ncols=3, frameon=False,
    )  # fmt: skip
    if not shown:
        axes.text(0.5, 0.5, "no feature shared", ha="center", va="center", transform=axes.transAxes)
    figure.suptitle("Feature drift: base training data vs today")
    return figure


def drift_table(shifts: list[Shift], top: int = 20) -> str:
    """A Markdown table of the ``top`` largest shifts, drifted ones marked, and a count of them."""
    if not shifts:
        return "No feature is shared by the base and today's data: drift not measured."
    ordered = sorted(shifts, key=lambda s: s.statistic, reverse=True)
    lines = ["| Feature | Measure | Shift | |", "|---|---|---:|---|"]
    for s in ordered[:top]:
        feature = s.feature.replace("|", "\\|")  # a | in a name would split the row
        mark = "**drifted**" if s.flagged else ""
        lines.append(f"| {feature} | {s.measure} | {s.statistic:.3f} | {mark} |")
    flagged = sum(s.flagged for s in shifts)
    noun = "feature" if len(shifts) == 1 else "features"
    count = f"Past the drift threshold: {flagged} of {len(shifts)} {noun}."
    if len(shifts) > top:
        count += f" The {top} largest shifts are listed."
    return "\n".join([*lines, "", count])
