"""Stage train: fit the model named by train.model on the training set and save it.

XGBoost with early_stopping_rounds set (the default) first holds out a stratified
validation part of the training rows, train.validation_size of them but at most
LOGGED_ROWS, drawn with base.seed; it stops adding trees once their log loss has not
improved for that many rounds, and predicts with the best round. Without early stopping
it trains on every row, and a fixed sample of at most LOGGED_ROWS training rows is scored.

Writes models/model.joblib and, through dvclive, dvclive/train/ (for XGBoost, the log
loss and average precision of every boosting round on those rows: at most LOGGED_ROWS,
so that scoring costs the same at any data size).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from . import models
from . import params as p
from .cli import UserError, run
from .dataset import dump_atomic, read_features
from .paths import MODEL, TRAIN_DATA, TRAIN_LIVE_DIR
from .tracking import start_live

log = logging.getLogger(__name__)

LOGGED_ROWS = 20_000  # most rows XGBoost scores after each round, to stop early and for dvclive
VALIDATION_SIZE = 0.2  # share of rows held out for early stopping when fit() is not told


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
    """Build the model ``name`` with ``settings`` and fit it; XGBoost logs rounds to ``live``.

    ``validation_size`` is the share of rows XGBoost holds out to stop early (if its
    settings have early_stopping_rounds); the other models ignore it.
    """
    try:
        model = models.build(name, settings, seed)
    except TypeError as error:
        raise UserError(
            f"train.{name} has a setting the model does not take ({error}). Remove or rename it"
        ) from None
    try:
        if name == "xgboost":
            fit_xgboost(
                model, features, labels, seed=seed, validation_size=validation_size, live=live
            )
        else:
            model.fit(features, labels)
    except ValueError as error:  # scikit-learn's and XGBoost's parameter checks
        raise UserError(
            f"train.{name} is not accepted: {str(error).splitlines()[0]}. Fix it in params.yaml"
        ) from None
    return model


def fit_xgboost(
    model: Any,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    seed: int,
    validation_size: float,
    live: Any,
) -> None:
    """Fit an XGBClassifier: on all rows, or on all but a validation part if it stops early."""
    rounds = model.get_params()["early_stopping_rounds"]
    if rounds is not None and not (p.is_int(rounds) and rounds > 0):
        # XGBoost would fail mid-training with a TypeError, or stop after one round.
        raise UserError(
            "train.xgboost.early_stopping_rounds must be a whole number above 0, or null, "
            f"not {rounds!r}. Change it in params.yaml"
        )
    if rounds is not None:
        validation = validation_rows(labels, validation_size, seed)
        # Weight 0 leaves the held-out rows out of training: the same trees as fitting on a
        # copy without them, and no second copy of the features in memory.
        weight = np.ones(len(labels), dtype=np.float32)
        weight[validation] = 0
    elif live is not None:
        rng = np.random.default_rng(seed)
        validation = np.sort(rng.choice(len(labels), min(LOGGED_ROWS, len(labels)), replace=False))
        weight = None
    else:
        model.fit(features, labels)
        return
    if live is not None:
        from dvclive.xgb import DVCLiveCallback

        model.set_params(callbacks=[DVCLiveCallback(live=live)])
    model.fit(
        features,
        labels,
        sample_weight=weight,
        eval_set=[(features[validation], labels[validation])],
        verbose=False,
    )
    # The callback holds the logger: keep it out of the saved model. (set_params would
    # also push the change into the fitted booster, which breaks saving it.)
    model.callbacks = None


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


def main() -> None:
    """Read the train parameters and training set, fit, save the model and the training log."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    name = p.choice(params, "train.model", list(models.MODELS))
    settings = p.section(params, f"train.{name}")
    # Only XGBoost holds rows out: the other models do not need the key.
    validation_size = (
        p.fraction(params, "train.validation_size") if name == "xgboost" else VALIDATION_SIZE
    )

    features, labels, _ = read_features(TRAIN_DATA)
    with start_live(TRAIN_LIVE_DIR) as live:
        model = fit(
            name, settings, seed, features, labels, validation_size=validation_size, live=live
        )
        live.log_metric("train_rows", len(labels), plot=False)
    dump_atomic(model, MODEL)
    log.info("trained %s on %d rows x %d features, saved %s", name, *features.shape, MODEL)
    best = getattr(model, "best_iteration", None)  # set only when XGBoost stopped early
    if best is not None:
        log.info("XGBoost predicts with its first %d rounds, the best on held-out rows", best + 1)


if __name__ == "__main__":
    run(main)
