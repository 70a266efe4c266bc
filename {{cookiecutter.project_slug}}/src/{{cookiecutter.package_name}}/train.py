"""Stage train: fit the model named by train.model (models.py) on the training set and save it.

XGBoost goes through the training set in batches (core/boosting.py: a data iterator feeding
XGBoost's quantized matrix, kept in memory or on disk by train.matrix), so the features are
never held whole as floats; with train.engine dask it trains on a Dask cluster instead
(core/dask_training.py). Other models fit in memory, and are refused before loading when
the data would not fit.

XGBoost with early_stopping_rounds set (the default) holds out a stratified validation
part of the training rows, train.validation_size of them but at most 20,000, drawn with
base.seed (weight 0 in training); it stops adding trees once their log loss has not
improved for that many rounds, and predicts with the best round. Without early stopping
it trains on every row, and a fixed sample of at most 20,000 training rows is scored.

Writes models/model.joblib (an XGBClassifier or a scikit-learn model) and, through dvclive,
dvclive/train/ (for XGBoost, the log loss and average precision of every boosting round on
those rows: at most 20,000, so that scoring costs the same at any data size).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import models
from .core import params as p
from .core.cli import UserError, run
from .core.dataset import (
    dump_atomic,
    feature_batches,
    feature_names,
    read_features,
    read_labels,
    read_rows,
    row_count,
)
from .core.extras import require
from .core.paths import MODEL, TRAIN_DATA, TRAIN_LIVE_DIR
from .core.tracking import start_live

log = logging.getLogger(__name__)

VALIDATION_SIZE = 0.2  # share of rows held out for early stopping when fit() is not told
ENGINES = ["local", "dask"]
MATRICES = ["auto", "memory", "disk"]
# Bytes per feature value that an in-memory model needs: the float32 features, and the
# float64 copy that scikit-learn's solvers make.
IN_MEMORY_BYTES = 12


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
    if not models.MODELS[name].batches:
        return fit_in_memory(model, name, features, labels)
    from .core.boosting import fit_xgboost

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
        return models.MODELS[name].build(settings, seed)
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
    batches = models.MODELS[name].batches
    if engine == "dask" and not batches:
        raise UserError(
            f"train.engine dask trains XGBoost only, not {name}. "
            "Set train.model: xgboost, or train.engine: local"
        )
    if engine == "dask":
        require("distributed", "dask", "train.engine dask")
    # Only the batch engines hold rows out and build a matrix: other models need neither key.
    validation_size = p.fraction(params, "train.validation_size") if batches else VALIDATION_SIZE
    matrix = p.choice(params, "train.matrix", MATRICES) if batches else "memory"
    rows, columns = row_count(TRAIN_DATA), len(feature_names(TRAIN_DATA))
    if not batches:
        check_fits(name, rows, columns, available_memory())

    model = build(name, settings, seed)
    with start_live(TRAIN_LIVE_DIR) as live, user_errors(name):
        if not batches:
            fit_in_memory(model, name, *read_features(TRAIN_DATA)[:2])
        elif engine == "dask":
            from .core.dask_training import fit_on_cluster

            fit_on_cluster(
                model, TRAIN_DATA, p.text(params, "train.dask.scheduler"),
                seed=seed, validation_size=validation_size, live=live,
            )  # fmt: skip
        else:
            from .core.boosting import fit_xgboost, matrix_place

            place = matrix_place(matrix, rows, columns, available_memory())
            log.info("train engine: local, %d rows x %d features in batches", rows, columns)
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
