"""What changed since the base branch, for the report: the data the models learned from, and the code.

The data: each set's rows and time range as prepare recorded them (data/prepared/split.json)
for the base's model and this run's, how many rows are new, and the data check's findings
(data/checks.json). The code: the files of the package and dvc.yaml that differ from the
base, by name (git diff).
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

from ..core import committed
from ..core.cli import UserError
from ..core.dataset import row_groups
from ..core.encoding import as_time
from ..core.paths import CHECKS, RAW_DATA, SPLIT

log = logging.getLogger(__name__)

CODE = ["src", "dvc.yaml"]  # what counts as code


def read_json(path: Path) -> dict | None:
    """A JSON file of this run, None if the pipeline did not write it."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def base_split(base: str) -> dict | None:
    """split.json as the base's run wrote it; None if the base records none (an older project).

    One it records but that cannot be fetched is a UserError (core/committed.py).
    """
    text = committed.read(SPLIT, base)
    return None if text is None else json.loads(text)


def rows_after(moment: str, time_column: str) -> int | None:
    """Today's raw rows later than ``moment`` (ISO text), read a row group at a time; None if
    the times cannot be compared."""
    import pyarrow as pa
    import pyarrow.compute as pc

    later = 0
    try:
        bound = as_time(pa.chunked_array([pa.array([moment])]))
        for table in row_groups(RAW_DATA, columns=[time_column]):
            times = as_time(table.column(time_column))
            if times is not None and bound is not None:
                later += pc.sum(pc.greater(times, bound.cast(times.type)[0])).as_py() or 0
    except (pa.ArrowException, KeyError) as error:
        log.warning("new rows not counted: %s", error)
        return None
    return later


def describe(split: dict | None) -> list[str]:
    """One table row a set: rows and time range."""
    if split is None:
        return ["—", "—"]
    cells = []
    for name in ("train", "test"):
        part = split[name]
        time = part.get("time")
        span = f", {time[0]} to {time[1]}" if time and time[0] else ""
        cells.append(f"{part['rows']:,} rows{span}")
    return cells


def data_section(base: str | None, time_column: str) -> list[str]:
    """The base's data and today's, side by side; the new rows; the data check's findings."""
    lines = ["", "## Data: what the models learned from", ""]
    today = read_json(SPLIT)
    if today is None:
        return [*lines, "_This run wrote no data/prepared/split.json._"]
    old = base_split(base) if base else None
    lines += [
        f"| Set | {f'`{base}`' if base else 'Base'} | This run |",
        "|---|---|---|",
        *(
            f"| {title} | {was} | {now} |"
            for title, was, now in zip(
                ("Training", "Test"), describe(old), describe(today), strict=True
            )
        ),
        "",
    ]
    if old is not None:
        last = max((part.get("time") or [None, None])[1] or "" for part in old.values())
        later = rows_after(last, time_column) if time_column and last else None
        if later is not None:
            lines.append(f"New rows (later than {last}): {later:,}.")
        else:
            grown = sum(part["rows"] for part in today.values()) - sum(
                part["rows"] for part in old.values()
            )
            lines.append(f"Rows: {grown:+,} against `{base}`.")
    checks = read_json(CHECKS)
    findings = [finding["text"] for finding in (checks or {}).get("findings", [])]
    if findings:
        lines += ["", "The data check found:", "", *(f"- {text}" for text in findings)]
    elif checks is not None:
        lines += ["", "The data check found nothing to report."]
    return lines


def changed_code(base: str) -> list[str]:
    """The files of the package and dvc.yaml that differ from ``base``; a UserError if git cannot say."""
    result = subprocess.run(
        ["git", "diff", "--name-only", base, "--", *CODE],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:  # never "no change": the report would say the code is the base's
        reason = (result.stderr.strip().splitlines() or ["no output"])[0]
        raise UserError(f"the code changed since `{base}` could not be listed ({reason})")
    return result.stdout.split()


def code_section(base: str | None) -> list[str]:
    """The changed code files, by name."""
    if not base:
        return []
    files = changed_code(base)
    lines = ["", f"## Code changed since `{base}`", ""]
    return [*lines, *(f"- `{name}`" for name in files)] if files else [*lines, "_No change._"]
