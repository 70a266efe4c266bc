"""`ci sweep` on a laptop: the grid of params.yaml run as experiments in DVC's queue, ranked.

For real with DVC and git on small data: no stage reads the sweep: section, so filling it
reruns nothing; the sweep queues one experiment per point, runs them two at a time, and
writes a leaderboard sorted by the quality gate's metric; a bad grid stops in one line
before anything is queued.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml
from conftest import bake, run, set_params, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sweep-local")]

GRID = {"train.xgboost.max_depth": [2, 6], "train.xgboost.learning_rate": [0.05, 0.3]}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A default bake on 2000 rows, its pipeline run and committed."""
    project = bake(tmp_path_factory.mktemp("sweep"))
    set_params(project, get_data__n_samples=2000, train__xgboost__n_estimators=20)
    run(project, "dvc", "repro")
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Small data")
    return project


def ci(project, *args: str, check: bool = True):
    return run(project, sys.executable, "-m", "fraud_detection.ci", *args, check=check)


def test_the_sweep_section_reruns_no_stage(project):
    """A grid written into params.yaml changes no stage's parameters: `dvc repro` runs only check_source."""
    set_params(project, sweep=GRID)
    assert stages_run(run(project, "dvc", "repro").stdout) == ["check_source"]
    run(project, "git", "commit", "-qam", "The grid")


def test_a_bad_grid_stops_in_one_line_before_anything_runs(project):
    """An unknown key ends in one ERROR line, exit 1, and nothing queued."""
    result = ci(project, "sweep", "-S", "train.xgboost.depth=2,3", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "ERROR: the sweep varies train.xgboost.depth, which is not a setting of params.yaml. "
        "Use a dotted key such as train.xgboost.max_depth"
    ]
    assert "Queued" not in run(project, "dvc", "queue", "status").stdout


def test_the_local_sweep_runs_the_grid_and_ranks_it(project):
    """`ci sweep --jobs 2` runs the 4 points of params.yaml's grid in DVC's queue; all succeed;
    the leaderboard lists them best first by average_precision, with each one's parameters."""
    result = ci(project, "sweep", "--jobs", "2", "--id", "local")
    status = run(project, "dvc", "queue", "status").stdout
    names = [f"sweep-local-{n}" for n in range(1, 5)]
    assert all(re.search(rf"{name}\s+.*Success", status) for name in names), status
    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    runs = {exp["name"]: exp for rev in shown for exp in (rev.get("experiments") or []) for exp in exp["revs"]}
    assert set(names) <= set(runs)

    board = (project / "leaderboard.md").read_text()
    assert board in result.stdout
    rows = [line for line in board.splitlines() if line.startswith("| ") and "`sweep-local-" in line]
    assert sorted(line.split("`")[1] for line in rows) == names
    scores = [float(line.split("|")[3]) for line in rows]
    assert scores == sorted(scores, reverse=True)
    for line in rows:  # each row's parameters are those of its experiment
        params = runs[line.split("`")[1]]["data"]["params"]["params.yaml"]["data"]["train"]["xgboost"]
        depth, rate = (cell.strip() for cell in line.split("|")[-3:-1])
        assert (params["max_depth"], params["learning_rate"]) == (int(depth), float(rate))
    metrics = runs[rows[0].split("`")[1]]["data"]["metrics"]["dvclive/evaluate/metrics.json"]["data"]
    assert f"{metrics['average_precision']:.4f}" == rows[0].split("|")[3].strip()
    assert yaml.safe_load((project / "params.yaml").read_text())["sweep"] == GRID  # the workspace is left as it was
