"""XGBoost fed in batches: the data iterator that train.py builds its matrix from, and a progress log.

Kept apart from train.py because it imports XGBoost at once, which train.py does only
when the model is XGBoost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from .progress import Progress


class TrainingBatches(xgb.DataIter):
    """Hand XGBoost the (features, labels) of ``batches()``, with weight 0 on the ``held_out`` rows.

    ``batches`` is called anew for each pass XGBoost makes over the data; ``held_out`` are
    sorted row numbers counted across batches. With ``cache`` (a path prefix), XGBoost's
    external memory keeps the quantized pages in files there instead of in memory. Each
    pass over the ``rows`` is logged as it goes.
    """

    def __init__(
        self,
        batches: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
        held_out: np.ndarray | None,
        cache: Path | None = None,
        rows: int = 0,
    ) -> None:
        self.batches, self.held_out, self.rows = batches, held_out, rows
        self.current: Iterator[tuple[np.ndarray, np.ndarray]] | None = None
        self.start = 0
        self.passes = 0
        self.progress: Progress | None = None
        if cache is None:
            super().__init__(release_data=True)
        else:
            super().__init__(cache_prefix=str(cache), release_data=True, on_host=False)

    def reset(self) -> None:
        """Start the next pass from the first batch."""
        self.current, self.start = None, 0
        if self.progress is not None:
            self.progress.finish()
            self.progress = None

    def next(self, input_data: Callable[..., None]) -> bool:
        """Give XGBoost the next batch; False once there is none."""
        if self.current is None:
            self.current = iter(self.batches())
            self.passes += 1
            self.progress = Progress(
                f"train: XGBoost reads the rows, pass {self.passes}", self.rows
            )
        batch = next(self.current, None)
        if batch is None:
            return False
        features, labels = batch
        end = self.start + len(labels)
        weight = None
        if self.held_out is not None:
            weight = np.ones(len(labels), dtype=np.float32)
            inside = self.held_out[(self.held_out >= self.start) & (self.held_out < end)]
            weight[inside - self.start] = 0
        self.start = end
        input_data(data=features, label=labels, weight=weight)
        if self.progress is not None:
            self.progress.update(len(labels))
        return True


class RoundProgress(xgb.callback.TrainingCallback):
    """Log the boosting rounds done out of ``total`` and the time left, every few seconds."""

    def __init__(self, total: int) -> None:
        self.total = total
        super().__init__()

    def before_training(self, model: Any) -> Any:
        """Start counting."""
        self.progress = Progress("train", self.total, "boosting rounds")
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        """Count one round; never stop training."""
        self.progress.update(1)
        return False

    def after_training(self, model: Any) -> Any:
        """Say how many rounds ran and how long they took."""
        self.progress.finish()
        return model
