"""The models train.model can name: one registry entry each, built from its params.yaml section.

To add a model, write a function that takes its settings (the `train.<name>` section of
params.yaml) and the seed and returns an unfitted scikit-learn classifier; add it to
MODELS; add its `train.<name>:` section to params.yaml. Then `dvc exp run -S
train.model=<name>` trains it, and evaluate and the CI report score it like the others.
For example, scikit-learn's histogram gradient boosting::

    def hist_gradient_boosting(settings, seed):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed, **settings)

    MODELS["hist_gradient_boosting"] = Model(hist_gradient_boosting)

A model is fitted in memory with its ``fit``, unless its entry says ``batches=True``: then
the training set is streamed in batches into XGBoost's own matrix (core/boosting.py), which
only an XGBClassifier takes. Each builder imports its library when it is used: the imports
alone take seconds, and a stage should pay only for what it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

IMPORTANCE_ROWS = 2000  # test rows permutation importance shuffles (evaluate reads them)


@dataclass(frozen=True)
class Model:
    """How to build one kind of model, and how it is trained."""

    build: Callable[[dict[str, Any], int], Any]  # (its params.yaml settings, seed) -> unfitted
    batches: bool = False  # True: XGBoost's engines stream the training set (XGBClassifier only)


def xgboost(settings: dict[str, Any], seed: int) -> Any:
    """XGBoost's histogram trees; early stopping watches the held-out rows' log loss."""
    from xgboost import XGBClassifier

    # Early stopping watches the last metric: log loss, steadier than average precision
    # on a validation part with a few dozen positive rows.
    return XGBClassifier(
        tree_method="hist", eval_metric=["aucpr", "logloss"], random_state=seed, **settings
    )


def random_forest(settings: dict[str, Any], seed: int) -> Any:
    """scikit-learn's random forest, on every core."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_jobs=-1, random_state=seed, **settings)


def logistic_regression(settings: dict[str, Any], seed: int) -> Any:
    """Logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(random_state=seed, **settings))


MODELS: dict[str, Model] = {
    "xgboost": Model(xgboost, batches=True),
    "random_forest": Model(random_forest),
    "logistic_regression": Model(logistic_regression),
}


def final_step(model: Any) -> Any:
    """The estimator itself, out of a scikit-learn pipeline if it is one."""
    return model.steps[-1][1] if hasattr(model, "steps") else model


def feature_importance(
    model: Any, sample: Callable[[], tuple[np.ndarray, np.ndarray]], seed: int = 0
) -> np.ndarray:
    """How much each feature weighs: the model's own importances or |coefficients| if it has
    them; else permutation importance, the drop in average precision when a feature's values
    are shuffled, on the rows ``sample()`` gives (called only then)."""
    final = final_step(model)
    if hasattr(final, "feature_importances_"):
        return np.asarray(final.feature_importances_, dtype=np.float64)
    if hasattr(final, "coef_"):
        return np.abs(np.asarray(final.coef_, dtype=np.float64)).ravel()
    from sklearn.inspection import permutation_importance

    features, labels = sample()
    result = permutation_importance(
        model, features, labels, scoring="average_precision", n_repeats=5, random_state=seed
    )
    return np.clip(result.importances_mean, 0, None)


def positive_probability(model: Any, features: np.ndarray) -> np.ndarray:
    """The probability of the positive class for each row, as float64, identical on every run.

    A forest predicting on several cores adds its trees' votes in whatever order they
    finish, which changes the last digits; it predicts on one core here instead.
    """
    final = final_step(model)
    if hasattr(final, "estimators_") and getattr(final, "n_jobs", None) not in (None, 1):
        final.set_params(n_jobs=1)
    # float64 from every model (XGBoost gives float32), so metrics and curves see one type.
    return model.predict_proba(features)[:, 1].astype(np.float64)
