"""Tests of going through the data in batches: each stage gives what it would on the whole data at once."""

import logging
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from {{ cookiecutter.package_name }} import prepare
from {{ cookiecutter.package_name }}.core import dataset
from {{ cookiecutter.package_name }}.core.boosting import fit_xgboost, matrix_place
from {{ cookiecutter.package_name }}.core.cli import UserError
from {{ cookiecutter.package_name }}.core.dataset import feature_batches, read_rows, write_batches
from {{ cookiecutter.package_name }}.core.encoding import apply_encoding, learn_encoding
from {{ cookiecutter.package_name }}.core.progress import Progress, duration
from {{ cookiecutter.package_name }}.evaluate import predict
from {{ cookiecutter.package_name }}.models import positive_probability
from {{ cookiecutter.package_name }}.train import build, check_fits, fit

PARAMS = """\
base: {seed: 0}
prepare: {split: random, time_column: "", test_size: 0.25, max_categories: 3, time_features: [hour]}
"""


def raw_orders(rows: int = 200) -> pa.Table:
    """Orders with a number that has gaps, a text, a date-time and a label."""
    rng = np.random.default_rng(0)
    amount = rng.integers(0, 50, rows).astype(float)
    amount[::17] = np.nan
    return pa.table({
        "amount": amount,
        "country": pa.array(rng.choice(["NL", "DE", "FR", "BE", None], rows)),
        "created": pa.array([f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:00:00" for i in range(rows)]),
        "is_fraud": pa.array((rng.random(rows) < 0.2).astype(np.int8)),
    })  # fmt: skip


@pytest.mark.parametrize("split", ["random", "time"])
def test_prepare_in_batches_writes_what_the_whole_table_gives(split, tmp_path, monkeypatch):
    """Row groups of 7 rows give the same training and test files as splitting and encoding at once."""
    monkeypatch.chdir(tmp_path)
    raw = raw_orders()
    text = PARAMS.replace("split: random", f"split: {split}").replace('""', "created")
    (tmp_path / "params.yaml").write_text(text)
    (tmp_path / "data").mkdir()
    pq.write_table(raw, tmp_path / "data/raw.parquet", row_group_size=7)
    prepare.main()

    params = {
        "base": {"seed": 0},
        "prepare": {"split": split, "time_column": "created", "test_size": 0.25},
    }
    train, test = prepare.split_rows(raw, params)
    encoding = learn_encoding(train, 3, ["hour"], "is_fraud")
    assert pq.read_table("data/prepared/train.parquet").equals(apply_encoding(train, encoding))
    assert pq.read_table("data/prepared/test.parquet").equals(apply_encoding(test, encoding))


def test_rows_are_read_across_batches(tmp_path, features_and_labels):
    """read_rows and feature_batches give the rows of the file, whatever the batch size."""
    features, labels = features_and_labels
    path = tmp_path / "train.parquet"
    write_prepared(path, features, labels)
    batches = list(feature_batches(path, batch_rows=64))
    assert len(batches) == -(-len(labels) // 64)
    assert np.array_equal(np.concatenate([f for f, _ in batches]), features)
    wanted = np.array([0, 63, 64, 65, 599])
    rows, truth = read_rows(path, wanted)
    assert np.array_equal(rows, features[wanted]) and np.array_equal(truth, labels[wanted])


def test_xgboost_from_batches_is_the_model_of_one_array(tmp_path, features_and_labels):
    """On features with few distinct values (so the quantiles are exact), batches change nothing.

    The held-out rows are left out of training in every batch alike.
    """
    features, labels = features_and_labels
    features = np.round(features * 4)  # a few dozen values per feature: every bin exact
    path = tmp_path / "train.parquet"
    write_prepared(path, features, labels)
    settings = {"n_estimators": 30, "early_stopping_rounds": 5}
    whole = fit("xgboost", settings, 0, features, labels)
    batched = build("xgboost", settings, 0)
    fit_xgboost(
        batched, lambda: feature_batches(path, batch_rows=64), labels,
        lambda rows: read_rows(path, rows), seed=0, validation_size=0.2, live=None,
    )  # fmt: skip
    assert batched.best_iteration == whole.best_iteration
    assert np.array_equal(batched.predict_proba(features), whole.predict_proba(features))


def test_xgboost_with_its_matrix_on_disk_is_the_model_of_memory(
    tmp_path, caplog, monkeypatch, features_and_labels
):
    """train.matrix disk (XGBoost's external memory) trains the same trees as memory.

    Its page files go to the temporary folder and are gone once training ends.
    """
    features, labels = features_and_labels
    path = tmp_path / "train.parquet"
    write_prepared(path, features, labels)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    models = {}
    for matrix in ("memory", "disk"):
        models[matrix] = build("xgboost", {"n_estimators": 20}, 0)
        with caplog.at_level(logging.INFO):
            fit_xgboost(
                models[matrix], lambda: feature_batches(path, batch_rows=128), labels,
                lambda rows: read_rows(path, rows), seed=0, validation_size=0.2, live=None,
                matrix=matrix,
            )  # fmt: skip
    kept = [m.split(", kept ")[1] for m in caplog.messages if ", kept " in m]
    assert kept == ["in memory", "on disk"]
    assert not list(scratch.iterdir())
    probabilities = [model.predict_proba(features) for model in models.values()]
    assert np.allclose(*probabilities, atol=1e-6)


def test_auto_keeps_the_matrix_in_memory_while_it_takes_a_quarter_of_it():
    """train.matrix auto: memory for 1e6 rows with 16 GB free, disk for 1e8."""
    assert matrix_place("auto", 1_000_000, 20, available=16 << 30) == "memory"
    assert matrix_place("auto", 100_000_000, 20, available=16 << 30) == "disk"
    assert matrix_place("memory", 100_000_000, 20, available=16 << 30) == "memory"


def test_evaluate_predicts_batch_by_batch_as_on_the_whole_set(
    tmp_path, monkeypatch, features_and_labels
):
    """The probabilities of evaluate's batches are those of the whole test set at once."""
    features, labels = features_and_labels
    path = tmp_path / "test.parquet"
    monkeypatch.setattr(dataset, "BATCH_ROWS", 100)  # row groups of 100 rows
    write_prepared(path, features, labels)
    model = fit("xgboost", {"n_estimators": 10}, 0, features, labels)  # row by row: exact
    truth, probabilities = predict(model, path)
    assert np.array_equal(truth, labels)
    assert np.array_equal(probabilities, positive_probability(model, features))


def test_an_in_memory_model_too_big_for_the_memory_is_refused():
    """Random forest on more rows than memory holds is refused, saying to use XGBoost."""
    check_fits("random_forest", 1_000_000, 20, available=1 << 30)  # 0.2 GB of 1 GB: fits
    with pytest.raises(
        UserError, match=r"about 22\.4 GB, more than the 16\.0 GB .* train\.model: xgboost"
    ):
        check_fits("random_forest", 100_000_000, 20, available=16 << 30)


def test_progress_says_how_far_and_how_long_is_left(caplog):
    """A progress line counts what is done, its share, and the time left at the pace so far."""
    progress = Progress("prepare", 4_000_000, every=0)
    progress.started -= 10  # ten seconds ago
    with caplog.at_level(logging.INFO):
        progress.update(1_000_000)
    assert caplog.messages == ["prepare: 1,000,000 of 4,000,000 rows (25%), about 30 s left"]
    assert [duration(s) for s in (8, 200, 3900)] == ["8 s", "3 min 20 s", "1 h 05 min"]


def write_prepared(path, features, labels):
    """Write features and labels as prepare does (float32 columns, then is_fraud)."""
    columns = {f"f{i}": features[:, i].astype(np.float32) for i in range(features.shape[1])}
    write_batches([pa.table({**columns, "is_fraud": labels.astype(np.int8)})], path)
