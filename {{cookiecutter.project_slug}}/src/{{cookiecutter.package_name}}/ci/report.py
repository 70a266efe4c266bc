"""The training report posted on pull requests, as Markdown: the models side by side, drift, figures.

`python -m {{ cookiecutter.package_name }}.ci report` writes it; this module only builds it. Both
models are scored on this run's test set (see compare.py); what the models learned from and
which code changed come from changes.py; the drift section compares the data the base
branch's model trained on with today's, feature by feature (see drift.py); the time and cost
section comes from costs.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import committed
from ..core import params as p
from ..core.dataset import label_of
from ..core.paths import EVALUATE_LIVE_DIR, RAW_DATA, SOURCE_STATE
from . import changes, costs
from .compare import Comparison

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

IMAGES = EVALUATE_LIVE_DIR / "plots" / "images"
HEADLINE = {
    "roc_auc": "ROC-AUC",
    "average_precision": "Average precision",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "accuracy": "Accuracy",
}
FIGURES = {
    "Confusion matrix": "confusion_matrix.png",
    "ROC and precision-recall": "roc_precision_recall.png",
    "Feature importance": "feature_importance.png",
}
DRIFT_FIGURE = "drift.png"  # written next to the report


def dvc_output(*args: str) -> str:
    """The output of a DVC command, or a note that it failed."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1:] or ["no output"]
        return f"_`dvc {' '.join(args)}` failed: {last[0]}_"
    table = result.stdout.strip()
    return table if len(table.splitlines()) > 2 else "_No change._"  # a header alone: no row


def models_table(comparison: Comparison) -> list[str]:
    """Both models' metrics on the same test set, side by side."""
    champion = comparison.champion
    base = f"`{comparison.base}`'s model" if comparison.base else "Base model"
    lines = [
        f"| Metric | {base} (champion) | This run's model (challenger) | Change |",
        "|---|---:|---:|---:|",
    ]
    for key, label in HEADLINE.items():
        new = comparison.challenger[key]
        old = None if champion is None else champion[key]
        mark = " (gate)" if key == comparison.metric else ""
        lines.append(
            f"| {label}{mark} | {'' if old is None else f'{old:.4f}'} | {new:.4f} | "
            f"{'' if old is None else f'{new - old:+.4f}'} |"
        )
    return lines


def gate_line(comparison: Comparison) -> str:
    """The gate's verdict in one sentence."""
    if comparison.passed:
        return f"**Quality gate: passed** ({comparison.metric}, floor {comparison.floor:g}, largest drop {comparison.max_drop:g})."
    return "**Quality gate: failed.** " + "; ".join(comparison.reasons) + "."


def release_line(comparison: Comparison) -> str:
    """The model version this run's model would become, released with `ci release`."""
    from .release import ARTIFACT, next_version

    if not comparison.passed:
        return "Failing the gate, this model cannot be released."
    return f"Merged and released (`ci release`), this model becomes `{ARTIFACT}@{next_version()}`."


def source_line() -> str:
    """Where this run's data came from, from check_source's record."""
    if not SOURCE_STATE.exists():
        return ""
    state = json.loads(SOURCE_STATE.read_text(encoding="utf-8"))
    if state.get("kind") == "synthetic":
        return "Data: synthetic, made by get_data."
    marks = ", ".join(f"{k} {v}" for k, v in state.items() if k not in ("kind", "source", "query"))
    return f"Data: `{state.get('source')}` ({marks})."


def drift_section(base: str | None, params: dict, folder: Path) -> list[str]:
    """Per-feature shift between the base's training data and today's, with a figure.

    Each side is a sample of rows read from its file (the base's is copied from the DVC
    cache or remote first; one it records but that cannot be fetched stops the report), so
    the report costs the same memory at any data size.
    """
    from .drift import drift_figure, drift_table, feature_shifts, sample_file

    lines = ["", "## Drift: the base model's data against today's", ""]
    if base is None:
        return [*lines, "_No earlier model to compare with._"]
    threshold = p.get(
        params, "report.drift_threshold", "a number between 0 and 1",
        lambda v: p.is_number(v) and 0 < v < 1,
    )  # fmt: skip
    time_column = p.text(params, "prepare.time_column")
    with tempfile.TemporaryDirectory() as scratch:
        old = Path(scratch) / RAW_DATA.name
        if not committed.copy(RAW_DATA, base, old):
            return [*lines, f"_`{base}` has no data yet (its dvc.lock records none)._"]
        notes: list[str] = []
        today = without_times(featured(sample_file(RAW_DATA), "today's", notes), time_column)
        shifts = feature_shifts(
            without_times(featured(sample_file(old), f"`{base}`'s", notes), time_column),
            today, float(threshold), label_of(today.column_names),
        )  # fmt: skip
    lines += [*notes, drift_table(shifts), ""]
    if shifts:
        drift_figure(shifts, float(threshold)).savefig(folder / DRIFT_FIGURE, dpi=100)
        lines.append(f"![Feature drift](./{DRIFT_FIGURE})")
    return lines


def featured(table: pa.Table, whose: str, notes: list[str]) -> pa.Table:
    """Raw rows with the columns of this branch's features.py, so derived features are measured too.

    Rows it cannot take (the base's data may lack a column it needs) are measured as they
    are, and a line in ``notes`` says so in the report.
    """
    from .. import features
    from ..core.derived import with_derived

    try:
        return with_derived(table, label_of(table.column_names), features.add_features)
    except Exception as error:  # the user's code on other data: the report says what it measured
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        log.warning("drift: features.add_features failed on %s rows (%s)", whose, reason)
        notes += [
            f"_`features.add_features` failed on {whose} rows ({reason}): their raw columns "
            "are measured, without the derived ones._",
            "",
        ]
        return table


def without_times(table: pa.Table, time_column: str) -> pa.Table:
    """``table`` without its date and time columns: time moves on by design, it does not drift."""
    from ..core.encoding import as_time

    times = [
        name
        for name in table.column_names
        if name == time_column or as_time(table.column(name)) is not None
    ]
    return table.drop_columns(times)


def build(
    comparison: Comparison, params: dict, folder: Path, runner: costs.Runner | None = None
) -> str:
    """The whole report; figures it makes are written to ``folder``. ``runner``: the cloud
    machine CI trained on, for the cost estimate."""
    lines = ["# Training report", ""]
    if comparison.champion is None:
        lines += ["No champion to compare with: " + "; ".join(comparison.notes) + ".", ""]
    lines += [
        f"Both models scored on this run's test set: {comparison.test_rows} rows.",
        "",
        *models_table(comparison),
        "",
        gate_line(comparison),
    ]
    lines += ["", release_line(comparison)]
    source = source_line()
    if source:
        lines += ["", source]
    lines += changes.data_section(comparison.base, p.text(params, "prepare.time_column"))
    lines += drift_section(comparison.base, params, folder)
    if comparison.base:
        lines += [
            "",
            "## Parameters diff",
            "",
            dvc_output("params", "diff", comparison.base, "--md"),
        ]
    lines += changes.code_section(comparison.base)
    lines += costs.section(runner)
    lines += ["", "## Figures", ""]
    for title, name in FIGURES.items():
        if (IMAGES / name).exists():  # linked from where the report is, for CML to upload
            lines.append(f"![{title}](./{Path(os.path.relpath(IMAGES / name, folder)).as_posix()})")
    return "\n".join(lines) + "\n"
