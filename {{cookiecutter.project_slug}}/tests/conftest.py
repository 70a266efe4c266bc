"""What the tests share: the example's settings and data, and a scratch copy of the project.

Two kinds of tests live here. Most test the project's code (the stages, core/, ci/) on data
and settings they make themselves: the synthetic example's data settings, whatever your
params.yaml says, and `add_features` left as it comes (the rows unchanged), whatever your
features.py does. They pass however you change params.yaml and features.py. The tests in
test_your_project.py are the other kind: they check your params.yaml, and your features.py
and pipeline on a sample of your data, when it is here.
"""

from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.core import params as p
from {{ cookiecutter.package_name }}.synthetic import make_synthetic

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"

# The synthetic example's data settings, put over params.yaml for the tests of the code.
EXAMPLE = {
    "get_data": {
        "source": "", "query": "", "n_samples": 2000, "n_features": 20, "positive_rate": 0.03,
        "label_column": "is_fraud", "positive_label": 1, "max_rows": None,
    },
    "prepare": {"split": "random", "time_column": "", "time_features": []},
    "evaluate": {"class_names": ["legit", "fraud"]},
    "sweep": {},
}  # fmt: skip

# features.py as it comes: no derived column.
EXAMPLE_FEATURES = '''"""Derived features: none (the project's own features.py is not used by these tests)."""


def add_features(rows):
    """The rows unchanged."""
    return rows
'''


def example_params() -> dict:
    """params.yaml with the synthetic example's data settings over it."""
    params = p.load(PROJECT / "params.yaml")
    for section, values in EXAMPLE.items():
        params[section] = {**(params.get(section) or {}), **values} if values else {}
    return params


def write_params(path: Path, params: dict) -> Path:
    """Write ``params`` to ``path`` as DVC writes params.yaml (YAML 1.2)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False  # block style, one key a line, as params.yaml is written
    yaml.width = 4096  # a long URL stays on its line
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(params, out)
    return path


def copy_example(target: Path) -> Path:
    """A copy of the project in ``target`` (no .git, no .dvc), with the example's settings and features.py."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", ".gitignore", ".dvcignore"):
        if (PROJECT / name).exists():
            shutil.copy(PROJECT / name, target / name)
    shutil.copytree(PROJECT / "src", target / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (target / "src" / PACKAGE / "features.py").write_text(EXAMPLE_FEATURES, encoding="utf-8")
    write_params(target / "params.yaml", example_params())
    return target


@pytest.fixture(autouse=True)
def example_features(request, monkeypatch):
    """features.add_features leaves the rows as they are, but for the tests of your own project."""
    if request.node.get_closest_marker("your_project"):
        return
    from {{ cookiecutter.package_name }} import features

    monkeypatch.setattr(features, "add_features", lambda rows: rows)


@pytest.fixture(scope="session")
def params_file(tmp_path_factory):
    """A params.yaml of the example's settings (params.yaml's own values elsewhere)."""
    return write_params(tmp_path_factory.mktemp("example") / "params.yaml", example_params())


@pytest.fixture(scope="session")
def raw_table():
    """A synthetic raw table: 600 rows, 6 features, about 10% positive."""
    return make_synthetic(n_samples=600, n_features=6, positive_rate=0.1, seed=0)


@pytest.fixture(scope="session")
def features_and_labels(raw_table):
    """The raw table as a float32 feature matrix and 0/1 labels."""
    names = [n for n in raw_table.column_names if n != "is_fraud"]
    features = np.column_stack([raw_table.column(n).to_numpy() for n in names])
    return features, raw_table.column("is_fraud").to_numpy()
