"""Benchmark the default XGBoost against logistic regression on small, imbalanced data.

Measures the average precision and ROC-AUC on a held-out stratified 20% of several
small data sets made offline to look like real credit and fraud tables (2,000 to 10,000
rows, about 3-5% positives, label noise, noise features, a mostly linear signal with a
few nonlinear terms), for each seed; then the medians per data set and over all, and the
median over all of XGBoost's AP minus logistic regression's on the same split. Both
models are the baked project's own: its ``fraud_detection.train.fit`` with the train
section of a params.yaml (the template's by default; give --params again, e.g. an older
params.yaml, to add a column per file) and base.seed set to the seed of the data set.

Run from the template's root, with its virtualenv:

    .venv/bin/python benchmarks/small_data.py [--seeds 10] [--params old.yaml --params new.yaml]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import yaml

TEMPLATE = Path(__file__).resolve().parent.parent
PARAMS = TEMPLATE / "{{cookiecutter.project_slug}}" / "params.yaml"
BIN = Path(sys.executable).parent  # the virtualenv's bin, with cookiecutter
TEST_SIZE = 0.2  # as prepare.test_size of the default bake


def logistic(rng: np.random.Generator, logit: np.ndarray, rate: float) -> np.ndarray:
    """0/1 labels drawn with probability sigmoid(logit + c), c chosen so that about ``rate`` are 1."""
    low, high = -30.0, 30.0
    for _ in range(60):  # bisection on the intercept: the mean probability grows with it
        middle = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(logit + middle)))) < rate:
            low = middle
        else:
            high = middle
    return (rng.random(len(logit)) < 1 / (1 + np.exp(-(logit + low)))).astype(np.int8)


def clusters(rows: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_classification: 4 informative of 20 features, 2% of labels flipped."""
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=rows, n_features=20, n_informative=4, n_redundant=2, n_clusters_per_class=2,
        weights=[1 - rate], flip_y=0.02, class_sep=1.0, random_state=seed,
    )  # fmt: skip


def linear(rows: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A logistic signal in 6 of 16 correlated Gaussian features, plus a square and a product."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(0, 0.3, (16, 16)) + np.eye(16)
    features = rng.standard_normal((rows, 16)) @ mixing
    z = (features - features.mean(0)) / features.std(0)
    logit = z[:, :6] @ np.array([1.0, -0.8, 0.6, 0.5, -0.4, 0.3])
    logit += 0.4 * z[:, 0] ** 2 + 0.4 * z[:, 1] * z[:, 2]
    return features, logistic(rng, logit, rate)


def credit(rows: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A credit-default table: income, age, credit use, late payments, accounts, flags, noise.

    Default risk is mostly linear in them, with a jump at near-full credit use and late
    payments weighing more when credit use is high; 8 of the 16 columns carry no signal.
    """
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.5, 0.6, rows)
    age = rng.integers(18, 80, rows).astype(float)
    utilisation = rng.beta(2, 5, rows)
    late = rng.poisson(0.3 + 1.5 * utilisation)
    accounts = rng.poisson(4, rows)
    mortgage = rng.random(rows) < 0.35
    limit = income * rng.uniform(0.1, 0.5, rows)
    inquiries = rng.poisson(1 + late * 0.3)
    noise = np.column_stack([
        rng.lognormal(3, 1, (rows, 3)), rng.standard_normal((rows, 3)), rng.integers(0, 5, (rows, 2))
    ])  # fmt: skip
    logit = (
        -0.8 * (np.log(income) - 10.5) / 0.6
        - 0.02 * (age - 45)
        + 2.0 * utilisation
        + 0.5 * late
        + 0.15 * inquiries
        - 0.3 * mortgage
        + 1.0 * (utilisation > 0.6)
        + 0.6 * late * utilisation
    )
    labels = logistic(rng, logit, rate)
    table = [income, age, utilisation, late, accounts, mortgage, limit, inquiries]
    return np.column_stack([*table, noise]), labels


def transactions(rows: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Card transactions: amount, hour, distance, merchant risk, velocity; fraud partly mislabelled.

    Fraud is likelier at night, far from home, for large amounts and at risky merchants;
    1% of labels are flipped (chargebacks filed late, or wrongly).
    """
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.5, 1.2, rows)
    hour = rng.integers(0, 24, rows).astype(float)
    distance = rng.exponential(20, rows)
    merchant_risk = rng.beta(1, 8, rows)
    velocity = rng.poisson(2, rows)
    online = rng.random(rows) < 0.4
    noise = rng.standard_normal((rows, 10))
    night = (hour < 6).astype(float)
    logit = (
        0.5 * (np.log(amount) - 3.5)
        + 0.8 * night
        + 0.6 * np.log1p(distance / 20)
        + 6.0 * merchant_risk
        + 0.2 * velocity
        + 0.4 * online
    )
    labels = logistic(rng, logit, rate)
    flipped = rng.random(rows) < 0.01
    labels[flipped] = 1 - labels[flipped]
    table = [amount, hour, distance, merchant_risk, velocity, online]
    return np.column_stack([*table, noise]), labels


# name: (maker, rows, positive rate)
DATA_SETS: dict[str, tuple[Callable[[int, float, int], tuple[np.ndarray, np.ndarray]], int, float]] = {
    "clusters": (clusters, 5_000, 0.03),
    "linear": (linear, 3_000, 0.04),
    "credit": (credit, 10_000, 0.03),
    "transactions": (transactions, 2_000, 0.04),
}


def bake(into: Path) -> Path:
    """Bake the default project into ``into``; return its src folder."""
    subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(into), str(TEMPLATE)],
        check=True, capture_output=True,
    )  # fmt: skip
    return into / "fraud-detection" / "src"


def train_section(path: Path) -> dict[str, Any]:
    """The train section of a (template or baked) params.yaml, with the model set to XGBoost."""
    text = path.read_text(encoding="utf-8").replace("{{ cookiecutter.model }}", "xgboost")
    return yaml.safe_load(text)["train"]


def split(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (train, test) row indices, TEST_SIZE of each class in the test part."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(labels))
    return tuple(train_test_split(rows, test_size=TEST_SIZE, stratify=labels, random_state=seed))


def score(train: Any, models: Any, name: str, section: dict[str, Any], seed: int, data: tuple) -> dict[str, float]:
    """Fit model ``name`` as the train stage would and return its test AP, ROC-AUC and seconds."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    features, labels, fit_rows, test_rows = data
    start = time.perf_counter()
    model = train.fit(
        name, dict(section[name]), seed, features[fit_rows], labels[fit_rows],
        validation_size=section.get("validation_size", train.VALIDATION_SIZE),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    probability = models.positive_probability(model, features[test_rows])
    return {
        "ap": average_precision_score(labels[test_rows], probability),
        "auc": roc_auc_score(labels[test_rows], probability),
        "s": seconds,
    }


def run_all(train: Any, models: Any, sections: dict[str, dict], sets: list[str], seeds: int) -> list[dict[str, Any]]:
    """One row per data set and seed: rows, positives, and each model's scores."""
    results = []
    for name in sets:
        maker, rows, rate = DATA_SETS[name]
        for seed in range(seeds):
            features, labels = maker(rows, rate, seed)
            features = np.asarray(features, dtype=np.float32)  # as prepare writes them
            data = (features, labels, *split(labels, seed))
            row: dict[str, Any] = {"data": name, "seed": seed, "rows": rows,
                                   "positives": int(labels.sum())}  # fmt: skip
            for label, section in sections.items():
                row[label] = score(train, models, "xgboost", section, seed, data)
            row["logistic"] = score(train, models, "logistic_regression", next(iter(sections.values())), seed, data)
            results.append(row)
            print(f"  {name} seed {seed} done", file=sys.stderr)
    return results


def table(results: list[dict[str, Any]], columns: list[str]) -> str:
    """A Markdown table: each model's AP, ROC-AUC and fit seconds per row, then the medians.

    The last line is the median over rows of each model's AP minus logistic regression's
    on the same split: steadier than the difference of the medians.
    """
    metrics = ("ap", "auc", "s")
    head = ["data set", "seed", "rows", "positives"]
    head += [f"{column} {header}" for column in columns for header in ("AP", "AUC", "s")]

    def line(first: list[str], rows: list[dict[str, Any]]) -> str:
        cells = [f"{statistics.median(row[column][metric] for row in rows):.3f}"
                 for column in columns for metric in metrics]  # fmt: skip
        return "| " + " | ".join(first + cells) + " |"

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += [line([row["data"], str(row["seed"]), str(row["rows"]), str(row["positives"])], [row])
              for row in results]  # fmt: skip
    for name in dict.fromkeys(row["data"] for row in results):
        subset = [row for row in results if row["data"] == name]
        lines.append(line([f"**{name} median**", "", "", ""], subset))
    lines.append(line(["**median of all**", "", "", ""], results))
    gaps = [f"{statistics.median(row[c]['ap'] - row['logistic']['ap'] for row in results):+.3f}"
            for c in columns]  # fmt: skip
    lines.append("| **median AP - logistic's AP** | | | | " + " | | | ".join(gaps) + " | | |")
    return "\n".join(lines)


def main() -> None:
    """Bake the project, run every data set and seed, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="seeds per data set (default 10)")
    parser.add_argument("--sets", default=",".join(DATA_SETS),
                        help=f"comma-separated data sets (default {','.join(DATA_SETS)})")  # fmt: skip
    parser.add_argument("--params", type=Path, action="append",
                        help="a params.yaml whose train section to use; repeat (files of distinct names) to compare "
                             "(default: the template's)")  # fmt: skip
    args = parser.parse_args()
    paths = args.params or [PARAMS]
    sections = {("xgboost" if path.resolve() == PARAMS else f"xgboost[{path.stem}]"): train_section(path)
                for path in paths}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="small-data-") as folder:
        sys.path.insert(0, str(bake(Path(folder))))
        train = importlib.import_module("fraud_detection.train")
        models = importlib.import_module("fraud_detection.models")
        results = run_all(train, models, sections, args.sets.split(","), args.seeds)
    print(table(results, [*sections, "logistic"]))


if __name__ == "__main__":
    main()
