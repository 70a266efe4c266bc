"""Train XGBoost on a Dask cluster (train.engine: dask), with the same rows held out as train.py.

The cluster is the scheduler at train.dask.scheduler (e.g. tcp://10.0.0.5:8786: a
`dask scheduler` with its workers, a Kubernetes or cloud Dask cluster), or, when that is
empty, a LocalCluster of worker processes on this machine. This process reads the training
set a batch at a time and sends each batch to the workers, so workers need no access to
its files and this process never holds the whole set. XGBoost trains there
(`xgboost.dask`); the booster comes back into the same XGBClassifier that the local engine
saves, so evaluate and users load it as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .boosting import boosting_rounds, early_stopping_rounds, evaluation_rows, training_weight
from .cli import UserError
from .dataset import BATCH_ROWS, feature_batches, read_labels, read_rows, row_count
from .progress import Progress

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before giving up


@contextmanager
def connect(scheduler: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A Dask client of the cluster at ``scheduler``, or of a new LocalCluster if it is empty."""
    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # not every worker's start and stop
    if not scheduler:
        with (
            LocalCluster(host="127.0.0.1", dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as error:
        raise UserError(
            f"no Dask scheduler answers at train.dask.scheduler {scheduler!r} ({error}). "
            "Start it, fix the address, or leave it empty for a cluster on this machine"
        ) from None
    with client:
        yield client


def fit_on_cluster(
    model: Any, path: Path, scheduler: str, *, seed: int, validation_size: float, live: Any
) -> None:
    """Fit the XGBClassifier ``model`` on the prepared Parquet file at ``path`` on a Dask cluster."""
    import dask
    import dask.array as da
    import xgboost.dask as dxgb

    rounds = early_stopping_rounds(model)
    labels = read_labels(path)
    validation, held_out = evaluation_rows(rounds, labels, seed, validation_size, live is not None)
    with connect(scheduler) as client:
        workers = sorted(client.scheduler_info()["workers"])
        log.info(
            "train engine: dask, scheduler %s, %d workers", client.scheduler.address, len(workers)
        )
        if not workers:
            raise UserError(
                f"the Dask scheduler at {client.scheduler.address} has no worker. Start workers "
                "(dask worker <address>) and run again"
            )
        rows = row_count(path)
        # Batches small enough that every worker gets some rows and trains.
        batch_rows = min(BATCH_ROWS, -(-rows // len(workers)))
        parts: dict[str, list] = {"features": [], "labels": [], "weight": []}
        progress = Progress("train: sent to the cluster", rows)
        start = 0
        for number, (features, batch_labels) in enumerate(feature_batches(path, batch_rows)):
            weight = training_weight(held_out, start, len(batch_labels))
            if weight is None:
                weight = np.ones(len(batch_labels), dtype=np.float32)
            worker = workers[number % len(workers)]
            for name, array in zip(parts, (features, batch_labels, weight), strict=True):
                future = client.scatter(array, workers=[worker])
                parts[name].append(
                    da.from_delayed(dask.delayed(future), shape=array.shape, dtype=array.dtype)
                )
            start += len(batch_labels)
            progress.update(len(batch_labels))
        progress.finish()
        features, truth, weight = (da.concatenate(parts[name]) for name in parts)
        settings = model.get_xgb_params()
        matrix = dxgb.DaskQuantileDMatrix(
            client, features, truth, weight=weight, max_bin=settings.get("max_bin")
        )
        evals = []
        if validation is not None:
            scored, truth = read_rows(path, validation)
            scored_matrix = dxgb.DaskDMatrix(client, da.from_array(scored), da.from_array(truth))
            evals = [(scored_matrix, "validation_0")]
        output = dxgb.train(
            client, settings, matrix, num_boost_round=boosting_rounds(model), evals=evals,
            early_stopping_rounds=rounds, verbose_eval=False,
        )  # fmt: skip
    booster = output["booster"]
    log.info("XGBoost ran %d boosting rounds on the cluster", booster.num_boosted_rounds())
    if live is not None:
        log_rounds(live, output["history"])
    model.load_model(bytearray(booster.save_raw("ubj")))


def log_rounds(live: Any, history: dict[str, dict[str, list[float]]]) -> None:
    """Log each round's metrics to dvclive as dvclive's XGBoost callback does on one machine."""
    series = [
        (f"{data}/{metric}", values)
        for data, metrics in history.items()
        for metric, values in metrics.items()
    ]
    for step in range(max((len(values) for _, values in series), default=0)):
        for name, values in series:
            live.log_metric(name, values[step])
        live.next_step()
