"""The models train.model can name, built from their section of params.yaml.

Each builder imports its library only when that model is used: the imports alone
take seconds, and a stage should pay only for what it runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MODELS = ("xgboost", "random_forest", "logistic_regression")


def build(name: str, settings: dict[str, Any], seed: int) -> Any:
    """Return an unfitted scikit-learn compatible classifier."""
    if name == "xgboost":
        from xgboost import XGBClassifier

        # Early stopping watches the last metric: log loss, steadier than average precision
        # on a validation part with a few dozen fraud rows.
        return XGBClassifier(
            tree_method="hist", eval_metric=["aucpr", "logloss"], random_state=seed, **settings
        )
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_jobs=-1, random_state=seed, **settings)
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(random_state=seed, **settings))
    raise ValueError(f"unknown model {name!r}: expected one of {', '.join(MODELS)}")


def feature_importance(model: Any) -> np.ndarray:
    """How much each feature weighs: tree importances, or |coefficient| of a linear model."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(final, "feature_importances_"):
        return np.asarray(final.feature_importances_, dtype=np.float64)
    return np.abs(np.asarray(final.coef_, dtype=np.float64)).ravel()


def fraud_probability(model: Any, features: np.ndarray) -> np.ndarray:
    """The probability of fraud for each row, as float64, identical on every run.

    A forest predicting on several cores adds its trees' votes in whatever order they
    finish, which changes the last digits; it predicts on one core here instead.
    """
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(final, "estimators_") and getattr(final, "n_jobs", None) not in (None, 1):
        final.set_params(n_jobs=1)
    # float64 from every model (XGBoost gives float32), so metrics and curves see one type.
    return model.predict_proba(features)[:, 1].astype(np.float64)
