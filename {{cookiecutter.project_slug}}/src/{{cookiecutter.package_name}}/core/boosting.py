"""XGBoost trained from batches: held-out rows, the data iterator, the matrix in memory or on disk.

train.py calls ``fit_xgboost`` with a function that gives the training set batch by batch;
XGBoost quantizes the batches into its matrix (kept in memory, or on disk with its external
memory) and never sees the features whole as floats. Kept apart from train.py because it
imports XGBoost at once, which train.py does only when the model is XGBoost.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from . import params as p
from .cli import UserError
from .dataset import within
from .progress import Progress, duration

log = logging.getLogger(__name__)

LOGGED_ROWS = 20_000  # most rows XGBoost scores after each round, to stop early and for dvclive
# train.matrix auto keeps XGBoost's matrix in memory while it takes at most this share of it.
MEMORY_SHARE = 0.25

Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]  # (features, labels), anew per call


def fit_xgboost(
    model: Any,
    batches: Batches,
    labels: np.ndarray,
    read: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    *,
    seed: int,
    validation_size: float,
    live: Any,
    matrix: str = "memory",
) -> None:
    """Fit an XGBClassifier from ``batches``, one at a time: on all rows, or all but a validation part.

    ``labels`` are every row's labels (to draw the validation rows); ``read(rows)`` gives
    the features and labels of those rows. XGBoost quantizes the batches into its matrix,
    kept in ``memory`` or on ``disk`` (its external memory, read back every round); the
    booster is trained with XGBoost's own ``train``, then loaded into ``model``.
    """
    rounds = early_stopping_rounds(model)
    validation, held_out = evaluation_rows(rounds, labels, seed, validation_size, live is not None)
    max_bin = model.get_xgb_params().get("max_bin")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xgboost-pages-") as pages:
        if matrix == "disk":
            cache = Path(pages) / "train"
            data = xgb.ExtMemQuantileDMatrix(
                TrainingBatches(batches, held_out, cache, len(labels)), max_bin=max_bin
            )
        else:
            data = xgb.QuantileDMatrix(
                TrainingBatches(batches, held_out, rows=len(labels)), max_bin=max_bin
            )
        log.info(
            "XGBoost's matrix of %d rows made in %s, kept %s",
            len(labels), duration(time.monotonic() - started),
            "on disk" if matrix == "disk" else "in memory",
        )  # fmt: skip
        scored = read(validation) if validation is not None else None
        trained = boost(model, data, rounds, scored, live).save_raw("ubj")
        del data  # closes its cache files before their folder goes
    model.load_model(bytearray(trained))


def boost(
    model: Any,
    data: Any,
    rounds: int | None,
    validation: tuple[np.ndarray, np.ndarray] | None,
    live: Any,
) -> Any:
    """Train a booster with ``model``'s settings on ``data``, scoring ``validation`` every round."""
    evals = []
    if validation is not None:
        evals = [(xgb.DMatrix(validation[0], label=validation[1]), "validation_0")]
    total = boosting_rounds(model)
    callbacks = [RoundProgress(total)]
    if live is not None:
        from dvclive.xgb import DVCLiveCallback

        callbacks.append(DVCLiveCallback(live=live))
    return xgb.train(
        model.get_xgb_params(), data, num_boost_round=total, evals=evals,
        early_stopping_rounds=rounds, callbacks=callbacks, verbose_eval=False,
    )  # fmt: skip


def matrix_place(setting: str, rows: int, columns: int, available: int) -> str:
    """Where XGBoost keeps its matrix: train.matrix, or for auto, memory if it takes a small part of it.

    In memory, the matrix and training take about ``matrix_bytes``; on disk, the
    peak memory grows more slowly with the rows (0.62x the raw float64 array against 0.86x
    in memory at 10 million rows x 20 features, in the same time).
    """
    if setting != "auto":
        return setting
    return "memory" if matrix_bytes(rows, columns) <= MEMORY_SHARE * available else "disk"


def matrix_bytes(rows: int, columns: int) -> int:
    """About how much memory XGBoost's in-memory matrix and its training take."""
    return rows * (5 * columns + 32)


def boosting_rounds(model: Any) -> int:
    """The most boosting rounds an XGBClassifier runs: n_estimators, 100 if unset (as XGBoost's)."""
    return model.get_params()["n_estimators"] or 100


def early_stopping_rounds(model: Any) -> int | None:
    """The XGBClassifier's early_stopping_rounds, checked: a whole number above 0, or None."""
    rounds = model.get_params()["early_stopping_rounds"]
    if rounds is not None and not (p.is_int(rounds) and rounds > 0):
        # XGBoost would fail mid-training with a TypeError, or stop after one round.
        raise UserError(
            "train.xgboost.early_stopping_rounds must be a whole number above 0, or null, "
            f"not {rounds!r}. Change it in params.yaml"
        )
    return rounds


def evaluation_rows(
    rounds: int | None, labels: np.ndarray, seed: int, validation_size: float, logged: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The rows XGBoost scores after each round, and those it holds out of training.

    With early stopping, both are the validation rows; else, if the rounds are ``logged``,
    a fixed sample of at most LOGGED_ROWS rows is scored and none held out.
    """
    if rounds is not None:
        validation = validation_rows(labels, validation_size, seed)
        return validation, validation
    if logged:
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(len(labels), min(LOGGED_ROWS, len(labels)), replace=False)), None
    return None, None


def validation_rows(labels: np.ndarray, size: float, seed: int) -> np.ndarray:
    """Sorted indices of a share ``size`` of the rows (at most LOGGED_ROWS), stratified by label.

    Each class gives the same share of its rows, and at least one: a validation part
    without positive rows could not tell whether a round helps.
    """
    count = min(round(len(labels) * size), LOGGED_ROWS)
    rng = np.random.default_rng(seed)
    parts = []
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        taken = max(1, round(len(rows) * count / len(labels)))
        if taken >= len(rows):
            raise UserError(
                f"the training set has {len(rows)} row(s) with label {value}: too few to hold "
                "out validation rows for early stopping. Give more data, or set "
                "train.xgboost.early_stopping_rounds to null"
            )
        parts.append(rows[rng.choice(len(rows), taken, replace=False)])
    return np.sort(np.concatenate(parts))


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
        weight = training_weight(self.held_out, self.start, len(labels))
        self.start += len(labels)
        input_data(data=features, label=labels, weight=weight)
        if self.progress is not None:
            self.progress.update(len(labels))
        return True


def training_weight(held_out: np.ndarray | None, start: int, count: int) -> np.ndarray | None:
    """Each row's training weight in the batch of ``count`` rows from row ``start`` on.

    0 for the ``held_out`` rows: the same trees as training on a copy without them, and no
    second copy of the features in memory. None (all 1) when nothing is held out.
    """
    if held_out is None:
        return None
    weight = np.ones(count, dtype=np.float32)
    weight[within(held_out, start, start + count)] = 0
    return weight


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
