"""What a CI training took: each step's wall time, and an estimate of the cloud runner's cost.

`ci train` times its steps (pull, each pipeline stage that ran, push) and writes them to
training_times.json; the report turns them into a table, and prices the runner from the
instance type the CI file launched (the CLOUD, INSTANCE_TYPE, GPU and SPOT variables) and
the hourly prices in prices.toml.
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ..core.paths import TRAINING_TIMES
from .machines import Refused, machine_type


class Stopwatch:
    """The wall time of each step of a training, in order; saved to training_times.json."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self.start = time.monotonic()

    @contextmanager
    def step(self, name: str):
        """Time the block as step ``name``."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps.append((name, time.monotonic() - started))

    def add_stages(self, stage_times: Path) -> None:
        """Add the stages that recorded themselves in ``stage_times`` (one JSON per line)."""
        if stage_times.exists():
            for line in stage_times.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self.steps.append((entry["step"], entry["seconds"]))

    def save(self, path: Path = TRAINING_TIMES) -> None:
        """Write the steps and the total."""
        record = {
            "steps": [{"step": name, "seconds": round(seconds, 2)} for name, seconds in self.steps],
            "total_seconds": round(time.monotonic() - self.start, 2),
        }
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def duration(seconds: float) -> str:
    """``seconds`` for people: 4.2 s, 3 min 05 s, 1 h 02 min."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass
class Runner:
    """The cloud machine the training ran on, as the CI file launched it."""

    cloud: str
    instance_type: str  # CML's generic m, l, xl, or the cloud's own name
    gpu: str = "nogpu"
    spot: bool = False

    @classmethod
    def from_env(cls) -> Runner | None:
        """The runner described by CLOUD and INSTANCE_TYPE (GPU, SPOT), or None if unset."""
        cloud, instance_type = os.environ.get("CLOUD"), os.environ.get("INSTANCE_TYPE")
        if not cloud or not instance_type:
            return None
        spot = os.environ.get("SPOT", "false").lower() == "true"
        return cls(cloud, instance_type, os.environ.get("GPU") or "nogpu", spot)

    @property
    def machine(self) -> str:
        """The cloud's own name of the machine type (a generic type resolved as CML does)."""
        try:
            return machine_type(self.cloud, self.gpu, self.instance_type, native=True)[0]
        except Refused:
            return self.instance_type


def prices() -> dict:
    """The price table shipped with the package."""
    return tomllib.loads(files(__package__).joinpath("prices.toml").read_text(encoding="utf-8"))


def cost_line(runner: Runner | None, seconds: float) -> str:
    """One sentence: what the runner cost for ``seconds`` of training, as far as it is known."""
    if runner is None:
        return "Runner: not a cloud runner launched by CI (CLOUD and INSTANCE_TYPE unset): no cost estimate."
    table = prices()
    named = f"{runner.cloud} `{runner.machine}`"
    if runner.machine != runner.instance_type:
        named += f" (CML's `{runner.instance_type}`{'' if runner.gpu == 'nogpu' else ' + ' + runner.gpu})"
    hourly = table.get(runner.cloud, {}).get(runner.machine)
    if hourly is None:
        return f"Runner: {named}. No price for it in prices.toml: add one for a cost estimate."
    estimate = hourly * seconds / 3600
    amount = f"about ${estimate:.2f}" if estimate >= 0.01 else "under $0.01"
    line = (
        f"Runner: {named} at ${hourly:.3f}/h on demand: {amount} for this "
        f"training's {duration(seconds)}, before the machine's start-up "
        f"({table['source']}, {table['date']})."
    )
    if runner.spot:
        line += " It ran as a spot instance, whose price varies and is usually well below this."
    return line


def section(runner: Runner | None, path: Path = TRAINING_TIMES) -> list[str]:
    """The report's "Time and cost" section, from ``ci train``'s record."""
    lines = ["", "## Time and cost", ""]
    if not path.exists():
        return [*lines, f"_No {path}: `ci train` did not run here._"]
    record = json.loads(path.read_text(encoding="utf-8"))
    lines += ["| Step | Wall time |", "|---|---:|"]
    lines += [f"| {entry['step']} | {duration(entry['seconds'])} |" for entry in record["steps"]]
    lines += [f"| **whole training** | **{duration(record['total_seconds'])}** |", ""]
    lines.append("Pipeline stages not listed were unchanged, so DVC did not run them.")
    return [*lines, "", cost_line(runner, record["total_seconds"])]
