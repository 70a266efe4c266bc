"""Tiny in-memory data shared by the tests of each stage."""

from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.synthetic import make_synthetic

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def params_file():
    """The project's params.yaml."""
    return PROJECT / "params.yaml"


@pytest.fixture(scope="session")
def raw_table():
    """A synthetic raw table: 600 rows, 6 features, about 10% fraud."""
    return make_synthetic(n_samples=600, n_features=6, positive_rate=0.1, seed=0)


@pytest.fixture(scope="session")
def features_and_labels(raw_table):
    """The raw table as a float32 feature matrix and 0/1 labels."""
    names = [n for n in raw_table.column_names if n != "is_fraud"]
    features = np.column_stack([raw_table.column(n).to_numpy() for n in names])
    return features, raw_table.column("is_fraud").to_numpy()
