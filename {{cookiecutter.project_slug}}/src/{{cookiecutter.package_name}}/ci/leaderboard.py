"""The leaderboard of a sweep: its experiments from `dvc exp show`, ranked, as markdown.

`ci sweep` (sweep.py) runs the experiments; this reads them back through `dvc.api.exp_show`,
ranks them by the quality gate's metric, and writes leaderboard.md with each run's metrics
and swept parameters, best first, and the best run's figures when they are in the workspace.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..core import params as p
from ..core.cli import UserError
from .compare import METRIC_NAMES
from .report import FIGURES, IMAGES

log = logging.getLogger(__name__)


def collect(names: list[str]) -> list[dict]:
    """The `dvc exp show` rows of the experiments ``names`` that exist here."""
    import dvc.api

    wanted = set(names)
    return [row for row in dvc.api.exp_show() if row.get("Experiment") in wanted]


def metric_of(row: dict, metric: str) -> float | None:
    """The value of ``metric`` in a row of `dvc exp show`, None if the run has none."""
    keys = [key for key in row if key == metric or key.endswith(f":{metric}")]
    value = row.get(keys[0]) if keys else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def show(value: Any, digits: int | None = None) -> str:
    """A value for the table: a metric with ``digits`` decimals, a parameter as written."""
    if value is None:
        return "—"
    if isinstance(value, float) and digits is not None:
        return f"{value:.{digits}f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def ranked(rows: list[dict], metric: str) -> list[dict]:
    """``rows`` best first by ``metric`` (higher is better), then by name; runs without it last."""

    def order(row: dict) -> tuple:
        score = metric_of(row, metric)
        return (score is None, -(score or 0.0), row["Experiment"])

    return sorted(rows, key=order)


def best(rows: list[dict], metric: str) -> dict | None:
    """The best row by ``metric``; None when no run has it."""
    top = ranked(rows, metric)[:1]
    return top[0] if top and metric_of(top[0], metric) is not None else None


def leaderboard(
    sweep_id: str, rows: list[dict], metric: str, keys: list[str], figures: dict[str, Path]
) -> str:
    """The markdown leaderboard of `dvc exp show` ``rows``, ranked by ``metric``.

    ``keys`` are the swept parameters; ``figures`` (title: path relative to where the file is
    written) are the best run's.
    """
    rows, others = ranked(rows, metric), [name for name in METRIC_NAMES if name != metric]
    lines = [
        f"# Sweep `{sweep_id}`: {len(rows)} experiments",
        "",
        f"Ranked by **{metric}**, the quality gate's metric (higher is better).",
        "",
        "| rank | experiment | " + " | ".join([f"**{metric}**", *others, *keys]) + " |",
        "|---:|---|" + "---:|" * (1 + len(others)) + "---|" * len(keys),
    ]
    for rank, row in enumerate(rows, start=1):
        cells = [show(metric_of(row, name), 4) for name in (metric, *others)]
        cells += [show(row.get(key)) for key in keys]
        lines.append(f"| {rank} | `{row['Experiment']}` | " + " | ".join(cells) + " |")
    failed = [f"`{row['Experiment']}`" for row in rows if metric_of(row, metric) is None]
    if failed:
        lines += ["", "No metrics (the run failed): " + ", ".join(failed) + "."]
    top = best(rows, metric)
    if top:
        name = top["Experiment"]
        lines += ["", f"## Best: `{name}`", ""]
        lines += [
            f"Try it with `dvc exp apply {name}` (elsewhere, `dvc exp pull origin {name}` first)."
        ]
        if figures:
            lines += ["", *(f"![{title}](./{path.as_posix()})" for title, path in figures.items())]
    return "\n".join(lines) + "\n"


def write(sweep_id: str, names: list[str], keys: list[str], output: Path, figures: bool) -> None:
    """Write and print the leaderboard of ``names``; with ``figures``, the workspace's (the best applied)."""
    metric = p.text(p.load(), "gate.metric")
    rows = collect(names)
    if not rows:
        raise UserError(f"no experiment of sweep {sweep_id}. Check --id, and that the runs pushed")
    up = Path(*[".."] * len(output.parent.parts))  # the figures are linked from where the file is
    shown = {
        title: up / IMAGES / file for title, file in FIGURES.items() if (IMAGES / file).exists()
    }
    text = leaderboard(
        sweep_id, rows, metric, keys, shown if figures and best(rows, metric) else {}
    )
    output.write_text(text, encoding="utf-8")
    print(text)
    log.info("leaderboard written to %s", output)
