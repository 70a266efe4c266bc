"""Champion against challenger: the base branch's model and this run's, scored on the same rows.

When the data changes from one day to the next, so does the test set, and a metric that
`main` measured last week says nothing about today's model. So the base branch's model
(the champion) is fetched from the DVC remote or cache as its dvc.lock records it, never
retrained, and scored on today's raw test rows by the base branch's own code (its
features.py and encoding, run as `python -m <package>.predict` from a copy of its src/),
next to this run's model (the challenger). The quality gate decides on that comparison and
on the floor in params.yaml.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core import committed
from ..core import params as p
from ..core.cli import UserError
from ..core.dataset import read_labels, row_groups, rows_by_group, write_batches
from ..core.paths import ENCODING, MODEL, RAW_DATA, TEST_DATA, TEST_ROWS

log = logging.getLogger(__name__)

METRIC_NAMES = ("roc_auc", "average_precision", "precision", "recall", "f1", "accuracy")


@dataclass
class Comparison:
    """Both models' metrics on today's test set and the gate's decision."""

    base: str | None  # the revision the champion comes from; None for a first release
    metric: str  # the metric the gate decides on
    challenger: dict[str, float]
    champion: dict[str, float] | None  # None when the base has no model yet
    test_rows: int
    floor: float
    max_drop: float
    reasons: list[str] = field(default_factory=list)  # why the gate fails; empty if it passes
    notes: list[str] = field(default_factory=list)  # why there is no champion, if there is none

    @property
    def passed(self) -> bool:
        """True when the challenger may replace the champion."""
        return not self.reasons

    def summary(self) -> dict[str, Any]:
        """The gate's decision as one JSON-ready object (what `ci gate --json` prints)."""
        return {
            "metric": self.metric,
            "champion": None if self.champion is None else self.champion[self.metric],
            "challenger": self.challenger[self.metric],
            "test_rows": self.test_rows,
            "base": self.base,
            "floor": self.floor,
            "max_drop": self.max_drop,
            "passed": self.passed,
            "reasons": self.reasons,
            "notes": self.notes,
            "champion_metrics": self.champion,
            "challenger_metrics": self.challenger,
        }


def gate_settings(params: dict) -> tuple[str, float, float]:
    """The gate's metric, floor and largest allowed drop, from params.yaml."""
    metric = p.choice(params, "gate.metric", list(METRIC_NAMES))
    floor = p.get(
        params, "gate.min", "a number between 0 and 1", lambda v: p.is_number(v) and 0 <= v <= 1
    )
    max_drop = p.get(
        params, "gate.max_drop", "a number of 0 or more", lambda v: p.is_number(v) and v >= 0
    )
    return metric, float(floor), float(max_drop)


def base_code(base: str, folder: Path) -> Path | None:
    """The base's src/ copied into ``folder`` (git archive); None if it has no predict.py."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", base, "src"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        reason = (archive.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[0]
        raise UserError(
            f"`{base}`'s code (src/) could not be read from git ({reason}), so its model cannot be "
            f"scored with it. Fetch the base branch (git fetch origin) and run again"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    package = __package__.split(".")[0]
    return folder / "src" if (folder / "src" / package / "predict.py").is_file() else None


def base_probabilities(base: str, model: Path, encoding: Path, rows: Path, output: Path) -> bool:
    """Score ``rows`` with the base's model by the base's own code; False if it has no predict.py."""
    code = base_code(base, output.parent / "base")
    if code is None:
        return False
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(code), *filter(None, [os.environ.get("PYTHONPATH")])]
    )}  # fmt: skip
    command = [
        sys.executable, "-m", f"{__package__.split('.')[0]}.predict", "--model", str(model),
        "--encoding", str(encoding), "--rows", str(rows), "--output", str(output),
    ]  # fmt: skip
    if subprocess.run(command, env=environment, check=False).returncode != 0:
        raise UserError(
            f"scoring `{base}`'s model with `{base}`'s code failed (see its message above). "
            "Check that the base branch's pipeline runs"
        )
    return True


def champion_metrics(base: str, threshold: float, notes: list[str]) -> dict[str, float] | None:
    """Score the base's model on today's raw test rows with the base's own code."""
    from ..evaluate import score

    try:
        model_bytes = committed.read(MODEL, base)
        if model_bytes is None:
            notes.append(f"`{base}` has no model yet (its dvc.lock records none)")
            return None
        encoding_bytes = committed.read(ENCODING, base)
    except committed.Unreadable as error:
        raise UserError(
            f"`{base}`'s model cannot be scored: {error.path} as `{base}` recorded it could not "
            f"be read ({error.reason}). The gate does not decide without it: check the DVC "
            "remote and its credentials, then run again"
        ) from None
    if encoding_bytes is None:
        raise UserError(
            f"`{base}` records a model but no feature encoding ({ENCODING}) to score it with. "
            f"Run the pipeline on `{base}` (dvc repro), commit and push, then run again"
        )
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model, encoding, rows = (
            folder / "model.joblib",
            folder / "encoding.json",
            folder / "rows.parquet",
        )
        model.write_bytes(model_bytes)
        encoding.write_bytes(encoding_bytes)
        # The rows evaluate scored, as prepare recorded them, a row group at a time.
        write_batches(rows_by_group(RAW_DATA, np.load(TEST_ROWS)), rows)
        output = folder / "probabilities.npy"
        if base_probabilities(base, model, encoding, rows, output):
            probabilities = np.load(output)
        else:  # a base from before predict.py: this branch's code is the nearest there is
            import joblib

            from ..predict import probabilities as score_rows

            log.warning("`%s` has no predict.py: its model is scored with this branch's code", base)
            probabilities = score_rows(
                joblib.load(model), json.loads(encoding_bytes), row_groups(rows)
            )
        return score(read_labels(rows), probabilities, threshold)


def compare(base: str | None, params: dict) -> Comparison:
    """Score this run's model and the base's on today's test set; apply the gate.

    Both go through the test rows a row group at a time, as evaluate does. ``base`` None
    (a first release) and a base with no model yet leave the floor alone to decide; a base
    whose model cannot be read is a UserError, never "no champion".
    """
    import joblib

    from ..evaluate import predict, score

    metric, floor, max_drop = gate_settings(params)
    threshold = p.fraction(params, "evaluate.threshold")
    if not all(path.exists() for path in (MODEL, TEST_DATA, TEST_ROWS)):
        raise UserError(f"{MODEL} or {TEST_DATA} is missing. Run the pipeline first (dvc repro)")
    labels, probabilities = predict(joblib.load(MODEL), TEST_DATA)
    challenger = score(labels, probabilities, threshold)
    notes: list[str] = []
    champion = None
    if base is None:
        notes.append("there is no earlier model to compare with")
    else:
        champion = champion_metrics(base, threshold, notes)
    comparison = Comparison(
        base, metric, challenger, champion, len(labels), floor, max_drop, notes=notes
    )
    comparison.reasons = gate_reasons(comparison)
    return comparison


def gate_reasons(comparison: Comparison) -> list[str]:
    """Why the challenger may not replace the champion; empty if it may."""
    metric, new = comparison.metric, comparison.challenger[comparison.metric]
    reasons = []
    if new < comparison.floor:
        reasons.append(f"{metric} {new:.4f} is below the floor gate.min={comparison.floor:g}")
    if comparison.champion is not None:
        old = comparison.champion[metric]
        if old - new > comparison.max_drop:
            reasons.append(
                f"{metric} {new:.4f} is {old - new:.4f} below the base model's {old:.4f} on the "
                f"same {comparison.test_rows} test rows, more than gate.max_drop={comparison.max_drop:g}"
            )
    return reasons
