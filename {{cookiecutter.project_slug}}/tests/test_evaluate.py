"""Tests of the evaluate stage: metrics and figures."""

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.evaluate import (
    confusion_figure,
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
    confusion_figure(np.array([0, 1, 1]), np.array([0, 1, 0])).savefig(tmp_path / "cm.png")
    importance_figure(["a", "b"], np.array([0.2, 0.8])).savefig(tmp_path / "fi.png")
    curves_figure(np.array([0, 1, 0, 1]), np.array([0.1, 0.7, 0.4, 0.9])).savefig(
        tmp_path / "cu.png"
    )
    for name in ("cm.png", "fi.png", "cu.png"):
        assert (tmp_path / name).stat().st_size > 1000
