"""Tests of the sweep's grid: reading it, expanding it, sharing it among runners; of its leaderboard."""

import pytest

from {{ cookiecutter.package_name }}.ci import leaderboard, sweep
from {{ cookiecutter.package_name }}.core import params as p
from {{ cookiecutter.package_name }}.core.cli import UserError

GRID = ["train.xgboost.max_depth=3,6", "train.xgboost.learning_rate=0.1,0.3"]


@pytest.fixture(scope="module")
def params(params_file):
    """The project's parameters."""
    return p.load(params_file)


def test_the_shipped_grid_is_empty_and_asks_for_one(params):
    """params.yaml ships an empty sweep: section; a sweep without -S lists says how to give a grid."""
    assert params["sweep"] == {}
    with pytest.raises(UserError, match="the sweep has no grid"):
        sweep.read_grid(params, [])


def test_s_lists_expand_in_product_order(params):
    """-S lists give every combination, the first key varying slowest, values read as YAML."""
    grid = sweep.read_grid(params, GRID)
    assert sweep.points(grid) == [
        {"train.xgboost.max_depth": 3, "train.xgboost.learning_rate": 0.1},
        {"train.xgboost.max_depth": 3, "train.xgboost.learning_rate": 0.3},
        {"train.xgboost.max_depth": 6, "train.xgboost.learning_rate": 0.1},
        {"train.xgboost.max_depth": 6, "train.xgboost.learning_rate": 0.3},
    ]


def test_the_params_section_is_the_grid_without_s_lists(params):
    """The sweep: section of params.yaml is used when no -S list is given; a null setting can vary."""
    grid = {"train.model": ["xgboost", "random_forest"], "get_data.max_rows": [None, 1000]}
    assert sweep.read_grid({**params, "sweep": grid}, []) == grid
    assert len(sweep.points(grid)) == 4


def test_a_ci_input_string_gives_the_same_grid(params):
    """The -S options in one string, as a CI input holds them, give the same grid."""
    items = sweep.split_grid(" ".join(f"-S {item}" for item in GRID))
    assert sweep.read_grid(params, items) == sweep.read_grid(params, GRID)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"train.xgboost.depth": [3, 6]}, "varies train.xgboost.depth, which is not a setting"),
        ({"train.xgboost": [3, 6]}, "varies train.xgboost, which is not a setting"),
        ({"train.xgboost.max_depth": 6}, "must be a list of values"),
        ({"train.xgboost.max_depth": []}, "must be a list of values"),
        ({"train.model": [["xgboost"]]}, "must be a list of values"),
        ({"sweep.x": [1]}, "which is not a setting"),
        ([3, 6], "the sweep has no grid"),
    ],
)
def test_a_bad_grid_is_named(params, grid, message):
    """An unknown key, a value that is not a list of scalars, or no mapping is refused in one line."""
    with pytest.raises(UserError, match=message):
        sweep.read_grid({**params, "sweep": grid}, [])


@pytest.mark.parametrize(
    "items", [["train.xgboost.max_depth"], ["train.xgboost.max_depth="], ["=3,6"]]
)
def test_a_bad_s_list_is_named(params, items):
    """An -S item without key=values is refused with an example."""
    with pytest.raises(UserError, match="must be key=value1,value2"):
        sweep.read_grid(params, items)


def test_a_grid_string_of_other_options_is_refused():
    """The CI input takes only -S options."""
    with pytest.raises(UserError, match="must be -S options"):
        sweep.split_grid("--queue -S train.model=xgboost")


def test_shards_share_every_point_once():
    """Shard I of N runs points I, I+N, ...: together every point exactly once."""
    assert sweep.share(5, 1, 2) == [1, 3, 5]
    assert sweep.share(5, 2, 2) == [2, 4]
    assert sorted(n for i in (1, 2, 3) for n in sweep.share(7, i, 3)) == list(range(1, 8))
    assert sweep.parse_shard("2/3") == (2, 3)
    assert sweep.matrix(4, 2) == {"shard": [1, 2], "total": [2]}
    assert sweep.matrix(2, 5) == {"shard": [1, 2], "total": [2]}  # no runner without a point


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0", "-1/2"])
def test_a_bad_shard_is_named(text):
    """A shard must be I/N with 1 <= I <= N."""
    with pytest.raises(UserError, match="must be I/N"):
        sweep.parse_shard(text)


def test_no_runner_is_refused():
    with pytest.raises(UserError, match="at least one runner"):
        sweep.matrix(4, 0)


@pytest.mark.parametrize(
    "value", [3, 0.1, 0.001, True, None, "xgboost", "3", "a b", "yes", "x,y", "null"]
)
def test_each_value_reaches_dvc_as_it_was(value):
    """What `dvc exp run -S key=<text>` reads back (as YAML 1.2, as DVC does) is the value of the grid."""
    [option, text] = sweep.overrides({"train.model": value})
    assert option == "-S"
    assert p.parse(text.split("=", 1)[1]) == value


def row(experiment, average_precision, depth):
    """A row as `dvc exp show` gives it."""
    return {
        "Experiment": experiment,
        "rev": "abc1234",
        "average_precision": average_precision,
        "roc_auc": 0.9,
        "train.xgboost.max_depth": depth,
    }


def test_the_leaderboard_ranks_by_the_gates_metric():
    """Best first by the metric, a failed run last, the swept parameters shown, the best's figures."""
    rows = [row("sweep-7-1", 0.61, 3.0), row("sweep-7-2", "!", 6.0), row("sweep-7-3", 0.72, 6.0)]
    figures = {"Confusion matrix": leaderboard.IMAGES / "confusion_matrix.png"}
    text = leaderboard.leaderboard(
        "7", rows, "average_precision", ["train.xgboost.max_depth"], figures
    )
    table = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert [line.split("`")[1] for line in table] == ["sweep-7-3", "sweep-7-1", "sweep-7-2"]
    assert table[0].startswith("| 1 | `sweep-7-3` | 0.7200 |") and table[0].endswith("| 6 |")
    assert "No metrics (the run failed): `sweep-7-2`." in text
    assert "## Best: `sweep-7-3`" in text
    assert "![Confusion matrix](./dvclive/evaluate/plots/images/confusion_matrix.png)" in text


def test_a_sweep_where_every_run_failed_names_no_best():
    text = leaderboard.leaderboard("7", [row("sweep-7-1", None, 3)], "average_precision", [], {})
    assert "## Best" not in text and "`sweep-7-1`" in text
