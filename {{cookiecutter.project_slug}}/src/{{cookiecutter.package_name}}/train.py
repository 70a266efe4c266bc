"""Stage train: fit the model named by train.model on the training set and save it.

Writes models/model.joblib and, through dvclive, dvclive/train/ (for XGBoost, the
log loss and average precision of every boosting round, measured on a fixed sample of
at most LOGGED_ROWS training rows, so that logging costs the same at any data size).
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

LOGGED_ROWS = 20_000  # training rows XGBoost scores after each round, for dvclive


def fit(
    name: str,
    settings: dict[str, Any],
    seed: int,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    live: Any = None,
) -> Any:
    """Build the model ``name`` with ``settings`` and fit it; XGBoost logs rounds to ``live``."""
    try:
        model = models.build(name, settings, seed)
    except TypeError as error:
        raise UserError(
            f"train.{name} has a setting the model does not take ({error}). Remove or rename it"
        ) from None
    try:
        if name == "xgboost" and live is not None:
            from dvclive.xgb import DVCLiveCallback

            model.set_params(callbacks=[DVCLiveCallback(live=live)])
            rng = np.random.default_rng(seed)
            logged = np.sort(rng.choice(len(labels), min(LOGGED_ROWS, len(labels)), replace=False))
            model.fit(
                features, labels, eval_set=[(features[logged], labels[logged])], verbose=False
            )
            # The callback holds the logger: keep it out of the saved model. (set_params would
            # also push the change into the fitted booster, which breaks saving it.)
            model.callbacks = None
        else:
            model.fit(features, labels)
    except ValueError as error:  # scikit-learn's and XGBoost's parameter checks
        raise UserError(
            f"train.{name} is not accepted: {str(error).splitlines()[0]}. Fix it in params.yaml"
        ) from None
    return model


def main() -> None:
    """Read the train parameters and training set, fit, save the model and the training log."""
    params = p.load()
    seed = p.get(params, "base.seed", "a whole number", p.is_int)
    name = p.choice(params, "train.model", list(models.MODELS))
    settings = p.section(params, f"train.{name}")

    features, labels, _ = read_features(TRAIN_DATA)
    with start_live(TRAIN_LIVE_DIR) as live:
        model = fit(name, settings, seed, features, labels, live=live)
        live.log_metric("train_rows", len(labels), plot=False)
    dump_atomic(model, MODEL)
    log.info("trained %s on %d rows x %d features, saved %s", name, *features.shape, MODEL)


if __name__ == "__main__":
    run(main)
