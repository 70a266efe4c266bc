"""Tests of the train stage: every model named in params.yaml fits and predicts."""

import pytest

from {{ cookiecutter.package_name }}.cli import UserError
from {{ cookiecutter.package_name }}.models import MODELS, feature_importance
from {{ cookiecutter.package_name }}.params import load
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
    assert feature_importance(model).shape == (features.shape[1],)


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
