"""Stage train: fit the model named by train.model on the training set and save it.

XGBoost goes through the training set in batches (a data iterator feeding XGBoost's
quantized matrix), so the features are never held whole as floats; with train.engine
dask it trains on a Dask cluster instead (dask_training.py). Random forest and logistic
regression fit in memory, and are refused before loading when the data would not fit.

XGBoost with early_stopping_rounds set (the default) holds out a stratified validation
part of the training rows, train.validation_size of them but at most LOGGED_ROWS, drawn
with base.seed (weight 0 in training); it stops adding trees once their log loss has not
improved for that many rounds, and predicts with the best round. Without early stopping
it trains on every row, and a fixed sample of at most LOGGED_ROWS training rows is scored.

Writes models/model.joblib (an XGBClassifier or a scikit-learn model) and, through dvclive,
dvclive/train/ (for XGBoost, the log loss and average precision of every boosting round on
those rows: at most LOGGED_ROWS, so that scoring costs the same at any data size).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from . import models
from . import params as p
from .cli import UserError, run
from .dataset import (
    dump_atomic,
    feature_batches,
    feature_names,
    read_features,
    read_labels,
    read_rows,
    row_count,
)
from .paths import MODEL, TRAIN_DATA, TRAIN_LIVE_DIR
from .progress import duration
from .tracking import start_live

log = logging.getLogger(__name__)

LOGGED_ROWS = 20_000  # most rows XGBoost scores after each round, to stop early and for dvclive
VALIDATION_SIZE = 0.2  # share of rows held out for early stopping when fit() is not told
ENGINES = ["local", "dask"]
MATRICES = ["auto", "memory", "disk"]
MEMORY_SHARE = (
    0.25  # matrix: auto keeps XGBoost's matrix in memory while it takes at most this share
)
# Bytes per feature value that an in-memory model needs: the float32 features, and the
# float64 copy that scikit-learn's solvers make.
IN_MEMORY_BYTES = 12

Batches = Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]]  # (features, labels), anew per call


def fit(
    name: str,
    settings: dict[str, Any],
    seed: int,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    validation_size: float = VALIDATION_SIZE,
    live: Any = None,
) -> Any:
    """Build the model ``name`` with ``settings`` and fit it on arrays; XGBoost logs to ``live``.

    ``validation_size`` is the share of rows XGBoost holds out to stop early (if its
    settings have early_stopping_rounds); the other models ignore it.
    """
    model = build(name, settings, seed)
    if name != "xgboost":
        return fit_in_memory(model, name, features, labels)
    with user_errors(name):
        fit_xgboost(
            model, lambda: [(features, labels)], labels,
            lambda rows: (features[rows], labels[rows]),
            seed=seed, validation_size=validation_size, live=live,
        )  # fmt: skip
    return model


def build(name: str, settings: dict[str, Any], seed: int) -> Any:
    """The unfitted model; a setting it does not take is a UserError."""
    try:
        return models.build(name, settings, seed)
    except TypeError as error:
        raise UserError(
            f"train.{name} has a setting the model does not take ({error}). Remove or rename it"
        ) from None


def fit_in_memory(model: Any, name: str, features: np.ndarray, labels: np.ndarray) -> Any:
    """Fit a scikit-learn model on arrays."""
    with user_errors(name):
        model.fit(features, labels)
    return model


@contextmanager
def user_errors(name: str) -> Iterator[None]:
    """Turn scikit-learn's and XGBoost's parameter checks (ValueError) into a UserError."""
    try:
        yield
    except UserError:
        raise
    except ValueError as error:
        raise UserError(
            f"train.{name} is not accepted: {str(error).splitlines()[0]}. Fix it in params.yaml"
        ) from None


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
    import xgboost as xgb

    from .batches import TrainingBatches

    rounds = early_stopping_rounds(model)
    validation, held_out = evaluation_rows(rounds, labels, seed, validation_size, live is not None)
    max_bin = model.get_xgb_params().get("max_bin")
    started = time.monotonic()
    # Weight 0 leaves the held-out rows out of training: the same trees as fitting on a
    # copy without them, and no second copy of the features in memory.
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
            "XGBoost's matrix of %d rows made in %s, kept on %s",
            len(labels), duration(time.monotonic() - started), matrix,
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
    import xgboost as xgb

    from .batches import RoundProgress

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
    peak memory barely grows with the rows, and training takes about twice as long.
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
    without fraud could not tell whether a round helps.
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


def check_fits(name: str, rows: int, columns: int, available: int) -> None:
    """Refuse an in-memory model whose data would not fit in ``available`` bytes of memory."""
    needed = rows * columns * IN_MEMORY_BYTES
    if needed > available:
        raise UserError(
            f"train.model {name} holds all {rows:,} rows x {columns} features in memory: about "
            f"{needed / 2**30:.1f} GB, more than the {available / 2**30:.1f} GB available. "
            "Use train.model: xgboost, which streams the data, or a machine with more memory"
        )


def available_memory() -> int:
    """Bytes of memory this process can still take: what the system has free or can reclaim."""
    import psutil

    return psutil.virtual_memory().available


def main() -> None:
    """Read the train parameters and training set, fit, save the model and the training log."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    name = p.choice(params, "train.model", list(models.MODELS))
    settings = p.section(params, f"train.{name}")
    engine = p.choice(params, "train.engine", ENGINES)
    matrix = p.choice(params, "train.matrix", MATRICES) if name == "xgboost" else "memory"
    if engine == "dask" and name != "xgboost":
        raise UserError(
            f"train.engine dask trains XGBoost only, not {name}. "
            "Set train.model: xgboost, or train.engine: local"
        )
    # Only XGBoost holds rows out: the other models do not need the key.
    validation_size = (
        p.fraction(params, "train.validation_size") if name == "xgboost" else VALIDATION_SIZE
    )
    rows, columns = row_count(TRAIN_DATA), len(feature_names(TRAIN_DATA))
    if name != "xgboost":
        check_fits(name, rows, columns, available_memory())

    model = build(name, settings, seed)
    with start_live(TRAIN_LIVE_DIR) as live:
        if name != "xgboost":
            fit_in_memory(model, name, *read_features(TRAIN_DATA)[:2])
        elif engine == "dask":
            from .dask_training import fit_on_cluster

            fit_on_cluster(
                model, TRAIN_DATA, p.text(params, "train.dask.scheduler"),
                seed=seed, validation_size=validation_size, live=live,
            )  # fmt: skip
        else:
            place = matrix_place(matrix, rows, columns, available_memory())
            log.info("train engine: local, %d rows x %d features in batches", rows, columns)
            with user_errors(name):
                fit_xgboost(
                    model, lambda: feature_batches(TRAIN_DATA), read_labels(TRAIN_DATA),
                    lambda wanted: read_rows(TRAIN_DATA, wanted),
                    seed=seed, validation_size=validation_size, live=live, matrix=place,
                )  # fmt: skip
        live.log_metric("train_rows", rows, plot=False)
    dump_atomic(model, MODEL)
    log.info("trained %s on %d rows x %d features, saved %s", name, rows, columns, MODEL)
    best = getattr(model, "best_iteration", None)  # set only when XGBoost stopped early
    if best is not None:
        log.info("XGBoost predicts with its first %d rounds, the best on held-out rows", best + 1)


if __name__ == "__main__":
    run(main)
