"""`ci train`: pull what exists, run the pipeline, push it all; or a smoke run with no remote.

Each step's wall time (pull, each stage that ran, push) goes to training_times.json, for
the report's time and cost section (costs.py).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from ..core import params as p
from ..core.cli import STAGE_TIMES_VARIABLE, UserError
from . import storage
from .costs import Stopwatch
from .shell import dvc, ensure_git_identity

log = logging.getLogger(__name__)

SMOKE_ROWS = 2000  # rows a smoke run keeps at most


def train(exp_args: list[str], device: str | None, timeout: float, retries: int) -> None:
    """Pull what exists, run the pipeline (as an experiment if given arguments), push it all."""
    ensure_git_identity()
    clock = Stopwatch()
    try:
        with clock.step("pull"):
            storage.transfer("pull", timeout, retries, [])
    except UserError as error:  # a first run, or outputs never pushed: they are computed
        log.warning(
            "not everything was pulled (%s); the pipeline computes what is missing, and the "
            "data check stops the run if its reference cannot be read", error,
        )  # fmt: skip
    if device:
        exp_args = [*exp_args, "-S", f"train.xgboost.device={device}"]
    with tempfile.TemporaryDirectory() as folder:  # the stages append their times here
        stage_times = Path(folder) / "stages.jsonl"
        command = ["exp", "run", "--pull", *exp_args] if exp_args else ["repro", "--pull"]
        try:
            dvc(*command, env={STAGE_TIMES_VARIABLE: str(stage_times)})
        finally:
            clock.add_stages(stage_times)
    with clock.step("push"):
        storage.transfer("push", timeout, retries, [])
    clock.save()


def smoke(exp_args: list[str]) -> None:
    """Run the pipeline on at most SMOKE_ROWS rows, with no DVC remote: nothing pulled or pushed.

    For a run without secrets, such as a pull request from a fork: it shows that the code
    runs, not how good the model is. The experiment runs in a temporary copy of the workspace
    (`dvc exp run --temp`), so params.yaml, dvc.lock and the outputs here stay as they were.
    Its data is not the committed model's, so the data check only learns its profile.
    """
    ensure_git_identity()
    rows = min(SMOKE_ROWS, p.positive_int(p.load(), "get_data.n_samples"))
    smaller = ["-S", f"get_data.n_samples={rows}", "-S", f"get_data.max_rows={rows}"]
    dvc("exp", "run", "--temp", *exp_args, *smaller, "-S", "check_data.compare=false")
    log.info("smoke run passed on at most %d rows; nothing was pulled or pushed", rows)
