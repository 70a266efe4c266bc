"""Stage evaluate: score the saved model on the test set and draw the plots for reports.

Headline metrics are ROC-AUC and average precision, which rank positive rows above negative
ones whatever the threshold; when few rows are positive, accuracy alone would look good for
a model that flags nothing. Precision, recall, F1 and accuracy are taken at
evaluate.threshold. Writes dvclive/evaluate/: metrics.json, the ROC, precision-recall and
confusion-matrix data that dvc.yaml plots, and PNG images (confusion matrix, ROC and
precision-recall curves, feature importance) for reports; the classes are called by
evaluate.class_names. The model predicts on the test set a batch at a time, so only the
labels and probabilities (9 bytes a row) are held whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .core import labels as classes
from .core import params as p
from .core.cli import run
from .core.dataset import feature_batches, feature_names, read_rows, row_count
from .core.paths import EVALUATE_LIVE_DIR, MODEL, TEST_DATA
from .core.progress import Progress
from .core.tracking import start_live
from .models import IMPORTANCE_ROWS, feature_importance, positive_probability

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

CURVE_STEP = 0.001  # plotted curves keep one point per cell of this size (see curve_points)


def score(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> dict[str, float]:
    """Return the metrics of positive-class ``probabilities`` against true ``labels``."""
    from sklearn import metrics

    predicted = probabilities >= threshold
    return {
        "roc_auc": float(metrics.roc_auc_score(labels, probabilities)),
        "average_precision": float(metrics.average_precision_score(labels, probabilities)),
        "precision": float(metrics.precision_score(labels, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(labels, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(labels, predicted, zero_division=0)),
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
    }


def confusion_counts(
    labels: np.ndarray, predicted: np.ndarray, names: tuple[str, str]
) -> list[dict[str, object]]:
    """The confusion matrix as four rows of (actual, predicted, count), classes called ``names``.

    dvc.yaml draws them with .dvc/plots/confusion_counts.json; dvclive's own confusion
    plot would write one row per test row instead (about 120 MB for 2 million rows).
    """
    cells = np.bincount(2 * labels.astype(np.int64) + predicted, minlength=4)
    return [
        {"actual": names[a], "predicted": names[b], "count": int(cells[2 * a + b])}
        for a in (0, 1)
        for b in (0, 1)
    ]


def confusion_figure(labels: np.ndarray, predicted: np.ndarray, names: tuple[str, str]) -> Figure:
    """Draw the confusion matrix with counts, the two classes' ``names`` on each axis."""
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay

    figure = Figure(figsize=(4.5, 4), layout="constrained")
    ConfusionMatrixDisplay.from_predictions(
        labels, predicted, labels=[0, 1], display_labels=list(names),
        ax=figure.subplots(), colorbar=False, cmap="Blues", values_format="d",
    )  # fmt: skip
    figure.suptitle("Confusion matrix (test set)")
    return figure


def curve_points(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The ROC and precision-recall curves, with the threshold of each point.

    A curve has a point per distinct probability: hundreds of thousands on millions of
    test rows. A point in the same CURVE_STEP x CURVE_STEP cell as the point before it is
    dropped (no plot can show it), which keeps the plot data small at any size.
    """
    from sklearn.metrics import precision_recall_curve, roc_curve

    fpr, tpr, roc_thresholds = roc_curve(labels, probabilities, drop_intermediate=True)
    precision, recall, pr_thresholds = precision_recall_curve(
        labels, probabilities, drop_intermediate=True
    )
    roc = {"fpr": fpr, "tpr": tpr, "threshold": np.minimum(roc_thresholds, 1.0)}  # first is inf
    pr = {"recall": recall, "precision": precision, "threshold": np.append(pr_thresholds, 1.0)}
    return {
        "roc": thinned(roc, "fpr", "tpr"),
        "precision_recall": thinned(pr, "recall", "precision"),
    }


def thinned(curve: dict[str, np.ndarray], x: str, y: str) -> dict[str, np.ndarray]:
    """Keep the points of ``curve`` that move to another CURVE_STEP cell, and both ends."""
    cells = np.round(np.column_stack([curve[x], curve[y]]) / CURVE_STEP)
    keep = np.ones(len(cells), dtype=bool)
    keep[1:-1] = np.any(cells[1:-1] != cells[:-2], axis=1)
    return {name: values[keep] for name, values in curve.items()}


def plot_rows(curve: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """A curve as the list of rows dvclive writes for a plot."""
    names = list(curve)
    return [
        dict(zip(names, map(float, row), strict=True)) for row in zip(*curve.values(), strict=True)
    ]


def curves_figure(
    curves: dict[str, dict[str, np.ndarray]], metrics: dict[str, float], positive_share: float
) -> Figure:
    """Draw the ROC and precision-recall curves side by side."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4), layout="constrained")
    roc_axes, pr_axes = figure.subplots(1, 2)
    roc, pr = curves["roc"], curves["precision_recall"]
    roc_axes.plot(roc["fpr"], roc["tpr"], label=f"model (AUC = {metrics['roc_auc']:.3f})")
    roc_axes.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    roc_axes.set(title="ROC", xlabel="False positive rate", ylabel="True positive rate")
    pr_axes.step(
        pr["recall"], pr["precision"], where="post",
        label=f"model (AP = {metrics['average_precision']:.3f})",
    )  # fmt: skip
    pr_axes.axhline(positive_share, linestyle=":", color="grey", label="chance")
    pr_axes.set(title="Precision-recall", xlabel="Recall", ylabel="Precision")
    for axes in (roc_axes, pr_axes):
        axes.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal")
        axes.legend(loc="lower right" if axes is roc_axes else "lower left")
    return figure


def importance_figure(names: list[str], importances: np.ndarray, top: int = 20) -> Figure:
    """Draw a horizontal bar chart of the ``top`` most important features."""
    from matplotlib.figure import Figure

    order = np.argsort(importances)[::-1][:top][::-1]
    figure = Figure(figsize=(6, 0.3 * len(order) + 1.2), layout="constrained")
    axes = figure.subplots()
    axes.barh([names[i] for i in order], importances[order], color="tab:blue")
    axes.set_xlabel("importance")
    figure.suptitle("Feature importance")
    return figure


def predict(model: Any, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The labels of a prepared Parquet file and the model's positive probabilities, batch by batch."""
    progress = Progress("evaluate", row_count(path))
    labels, probabilities = [], []
    for features, batch_labels in feature_batches(path):
        labels.append(batch_labels)
        probabilities.append(positive_probability(model, features))
        progress.update(len(batch_labels))
    progress.finish()
    return np.concatenate(labels), np.concatenate(probabilities)


def test_sample(labels: np.ndarray) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """A function reading at most IMPORTANCE_ROWS test rows, drawn at random, when called."""

    def read() -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(0)
        count = min(IMPORTANCE_ROWS, len(labels))
        return read_rows(TEST_DATA, np.sort(rng.choice(len(labels), count, replace=False)))

    return read


def main() -> None:
    """Score the model on the test set, log metrics and plots with dvclive."""
    import joblib

    params = p.load()
    threshold = p.fraction(params, "evaluate.threshold")
    names = classes.class_names(params)
    model = joblib.load(MODEL)
    labels, probabilities = predict(model, TEST_DATA)
    columns = feature_names(TEST_DATA)
    predicted = (probabilities >= threshold).astype(np.int8)
    metrics = score(labels, probabilities, threshold)
    curves = curve_points(labels, probabilities)

    with start_live(EVALUATE_LIVE_DIR) as live:
        for name, value in metrics.items():
            live.log_metric(name, value, plot=False)
        live.log_plot("roc", plot_rows(curves["roc"]), x="fpr", y="tpr")
        live.log_plot(
            "precision_recall", plot_rows(curves["precision_recall"]), x="recall", y="precision"
        )
        live.log_plot(
            "confusion_matrix", confusion_counts(labels, predicted, names),
            x="actual", y="predicted", template="confusion_counts",
        )  # fmt: skip
        live.log_image("confusion_matrix.png", confusion_figure(labels, predicted, names))
        live.log_image(
            "roc_precision_recall.png", curves_figure(curves, metrics, float(labels.mean()))
        )
        live.log_image(
            "feature_importance.png",
            importance_figure(columns, feature_importance(model, test_sample(labels))),
        )
    log.info("test set: %s", ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))


if __name__ == "__main__":
    run(main)
