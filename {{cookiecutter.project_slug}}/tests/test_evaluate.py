"""Tests of the evaluate stage: metrics and figures."""

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.evaluate import (
    confusion_counts,
    confusion_figure,
    curve_points,
    curves_figure,
    importance_figure,
    score,
)


def test_score_of_a_perfect_ranking():
    """Probabilities that rank every fraud first give ROC-AUC and average precision of 1."""
    labels = np.array([0, 0, 0, 1, 1])
    metrics = score(labels, np.array([0.1, 0.2, 0.3, 0.8, 0.9]), threshold=0.5)
    assert metrics == {
        "roc_auc": 1.0, "average_precision": 1.0, "precision": 1.0,
        "recall": 1.0, "f1": 1.0, "accuracy": 1.0,
    }  # fmt: skip


def test_score_uses_the_threshold():
    """Precision and recall are taken at the threshold, the ranking metrics are not."""
    labels = np.array([0, 0, 1, 1])
    probabilities = np.array([0.1, 0.6, 0.4, 0.9])
    low, high = score(labels, probabilities, 0.3), score(labels, probabilities, 0.95)
    assert low["recall"] == 1.0
    assert high["recall"] == 0.0
    assert low["roc_auc"] == high["roc_auc"] == pytest.approx(0.75)


def test_figures_draw(tmp_path):
    """The confusion matrix, curves and feature importance figures save as PNG."""
    confusion_figure(np.array([0, 1, 1]), np.array([0, 1, 0]), ("legit", "fraud")).savefig(
        tmp_path / "cm.png"
    )
    importance_figure(["a", "b"], np.array([0.2, 0.8])).savefig(tmp_path / "fi.png")
    labels, probabilities = np.array([0, 1, 0, 1]), np.array([0.1, 0.7, 0.4, 0.9])
    curves = curve_points(labels, probabilities)
    curves_figure(curves, score(labels, probabilities, 0.5), 0.5).savefig(tmp_path / "cu.png")
    for name in ("cm.png", "fi.png", "cu.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_curves_keep_their_ends_and_drop_what_no_plot_shows():
    """On 200,000 rows the curves start and end where they should, with at most a few
    thousand points, and the area under the thinned ROC is the ROC-AUC to 0.001."""
    rng = np.random.default_rng(0)
    labels = (rng.random(200_000) < 0.03).astype(np.int8)
    probabilities = np.clip(rng.normal(0.3 + 0.4 * labels, 0.2), 0, 1)
    curves = curve_points(labels, probabilities)
    roc, pr = curves["roc"], curves["precision_recall"]
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
    assert pr["recall"][0] == 1 and pr["recall"][-1] == 0
    assert all(len(curve["threshold"]) < 5000 for curve in curves.values())
    assert all(
        np.all((curve["threshold"] >= 0) & (curve["threshold"] <= 1)) for curve in curves.values()
    )
    area = np.trapezoid(roc["tpr"], roc["fpr"])
    assert area == pytest.approx(score(labels, probabilities, 0.5)["roc_auc"], abs=1e-3)


def test_confusion_counts_add_up():
    """The four cells count each (actual, predicted) pair once."""
    counts = confusion_counts(
        np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), ("legit", "fraud")
    )
    assert {(c["actual"], c["predicted"]): c["count"] for c in counts} == {
        ("legit", "legit"): 1, ("legit", "fraud"): 1, ("fraud", "legit"): 1, ("fraud", "fraud"): 2,
    }  # fmt: skip
