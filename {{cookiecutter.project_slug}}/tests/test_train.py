"""Tests of the train stage: every model named in params.yaml fits and predicts."""

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core.boosting import LOGGED_ROWS, validation_rows
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.params import load
from {{ cookiecutter.package_name }}.models import MODELS, feature_importance
from {{ cookiecutter.package_name }}.train import fit


@pytest.mark.parametrize("name", MODELS)
def test_each_model_fits_with_its_params(name, features_and_labels, params_file):
    """Each model, with its settings from params.yaml, learns the tiny data better than chance."""
    from sklearn.metrics import roc_auc_score

    settings = load(params_file)["train"][name]
    if "n_estimators" in settings:
        settings = {**settings, "n_estimators": 20}
    features, labels = features_and_labels
    model = fit(name, settings, 0, features, labels)
    assert roc_auc_score(labels, model.predict_proba(features)[:, 1]) > 0.6
    assert feature_importance(model, lambda: (features, labels)).shape == (features.shape[1],)


def test_a_model_without_importances_gets_permutation_importance(features_and_labels):
    """A model with neither feature_importances_ nor coef_ is weighed by permutation importance,
    on the rows the sample gives, and only then read."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    features, labels = features_and_labels
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(features, labels)
    read = []
    importance = feature_importance(model, lambda: read.append(1) or (features, labels))
    assert read == [1]
    assert importance.shape == (features.shape[1],)
    assert (importance >= 0).all() and importance.max() > 0


def test_an_unknown_setting_is_a_user_error(features_and_labels):
    """A misspelt hyperparameter is named in a UserError, not a traceback."""
    with pytest.raises(UserError, match=r"train\.random_forest"):
        fit("random_forest", {"n_trees": 5}, 0, *features_and_labels)


def test_the_xgboost_device_reaches_xgboost(features_and_labels):
    """train.xgboost.device is handed to XGBoost as is: `cuda` trains on a GPU where there is one.

    Without a GPU, XGBoost itself falls back to the CPU and warns; the model still fits.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # XGBoost's "no GPU found" warning, on CPU-only machines
        model = fit("xgboost", {"n_estimators": 2, "device": "cuda"}, 0, *features_and_labels)
    assert model.get_params()["device"] == "cuda"
    assert model.predict_proba(features_and_labels[0]).shape == (len(features_and_labels[1]), 2)


def test_xgboost_stops_early_and_predicts_with_its_best_round(features_and_labels):
    """With early_stopping_rounds, XGBoost stops well before a cap it would overfit to.

    It predicts with the best round, and the same seed gives the same model.
    """
    features, labels = features_and_labels
    settings = {"n_estimators": 500, "learning_rate": 0.3, "early_stopping_rounds": 10}
    model = fit("xgboost", settings, 0, features, labels)
    rounds = model.get_booster().num_boosted_rounds()
    assert rounds == model.best_iteration + 1 + 10 < 500
    best = model.predict_proba(features, iteration_range=(0, model.best_iteration + 1))
    assert np.array_equal(model.predict_proba(features), best)
    again = fit("xgboost", settings, 0, features, labels)
    assert np.array_equal(again.predict_proba(features), model.predict_proba(features))


def test_the_validation_rows_are_stratified_capped_and_drawn_with_the_seed():
    """The held-out rows keep the share of fraud, stop at LOGGED_ROWS, and depend on the seed only."""
    labels = np.zeros(300_000, dtype=np.int8)
    labels[::25] = 1  # 4% fraud
    small = validation_rows(labels[:1_000], 0.2, 0)
    assert (len(small), labels[small].sum()) == (200, 8)
    rows = validation_rows(labels, 0.2, 0)
    assert (len(rows), labels[rows].sum()) == (LOGGED_ROWS, LOGGED_ROWS // 25)
    assert np.array_equal(rows, validation_rows(labels, 0.2, 0))
    assert not np.array_equal(rows, validation_rows(labels, 0.2, 1))


@pytest.mark.parametrize("rounds", ["ten", 0])
def test_a_wrong_early_stopping_setting_is_a_user_error(rounds, features_and_labels):
    """early_stopping_rounds that XGBoost would choke on, or stop after one round with, is named."""
    settings = {"n_estimators": 5, "early_stopping_rounds": rounds}
    with pytest.raises(UserError, match=r"early_stopping_rounds"):
        fit("xgboost", settings, 0, *features_and_labels)


def test_too_few_fraud_rows_to_hold_out_is_a_user_error(features_and_labels):
    """With one fraud row, nothing can be held out to stop early: the message says what to do."""
    features, labels = features_and_labels
    labels = np.zeros_like(labels)
    labels[0] = 1
    with pytest.raises(UserError, match=r"early_stopping_rounds to null"):
        fit("xgboost", {"n_estimators": 5, "early_stopping_rounds": 5}, 0, features, labels)
