"""The sweep workflow of a baked project, run for real under act: a grid fanned out over two runners.

The same world as test_github_workflow_run.py (act on this machine, the real CML against a
GitHub stand-in on 127.0.0.1, S3 and EC2 on 127.0.0.1, orders over HTTP; `cml runner launch`
alone is a recorder): a manual run of .github/workflows/sweep.yml with a 4-point grid and two
runners plans two shares, launches two one-job runners, runs two experiments on each, pushes
them to the forge and their outputs to S3, posts one leaderboard, proposes the best, and
tears both machines down.
"""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from act_runner import run_workflow
from test_github_workflow_run import REGION, machine_state, trained_world

pytestmark = [pytest.mark.slow, pytest.mark.workflow_run, pytest.mark.xdist_group("act")]

GRID = "-S train.xgboost.max_depth=2,4 -S train.xgboost.learning_rate=0.1,0.5"
NAMES = [f"sweep-1-1-{n}" for n in range(1, 5)]  # act's run 1, attempt 1


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Servers up, and main on the origin with a model trained on day 1 and pushed.

    The gate lets any point of the grid through, so that the best is always proposed.
    """
    with trained_world(tmp_path_factory.mktemp("sweep-world"), gate__max_drop=1.0) as world:
        yield world


def bare_git(world, *args: str) -> str:
    """The output of git in the forge's repository."""
    return subprocess.run(
        ["git", "-C", str(world.forge.bare), *args], capture_output=True, text=True, check=True
    ).stdout


def test_a_sweep_fans_out_over_two_runners_and_posts_one_leaderboard(world):
    """A manual run with a 4-point grid and two runners: plan makes two shares, each launch asks
    CML for a one-job runner with its own label; each share runs two experiments on its runner
    and pushes them (git refs on the forge, outputs in S3); the leaderboard job posts one comment
    ranking all four by the gate's metric with the best's figures uploaded, passes the gate and
    opens a pull request with the best's parameters; teardown terminates both machines."""
    project = world.clone("sweep")
    objects, comments, pulls = world.objects(), len(world.forge.comments), len(world.forge.pulls)
    inputs = {
        "grid": GRID, "runners": "2", "cloud": "aws", "region": REGION, "instance_type": "m", "spot": "false",
    }  # fmt: skip
    payload = {"inputs": inputs, "ref": "refs/heads/main", "repository": {"full_name": "team/fraud-detection"}}
    result = run_workflow(
        project, "workflow_dispatch", payload, world.forge, world.secrets(), world.env(), inputs,
        timeout=1500, workflow="sweep.yml",
    )  # fmt: skip
    assert result.returncode == 0, result.log[-8000:]
    jobs = ("plan", "launch-runners-1", "launch-runners-2", "sweep-1", "sweep-2", "leaderboard", "teardown")
    assert [result.job_result(job) for job in jobs] == ["succeeded"] * len(jobs)  # act names a share <job>-<n>

    # Two runners, one per share, each with its own label; one tag for the whole run.
    assert sorted(launch["labels"] for launch in result.launches) == ["cml-1-1-1", "cml-1-1-2"]
    for launch in result.launches:
        assert launch["metadata"] == {"ci-repository": "team/fraud-detection", "ci-run": "cml-1-1"}
        assert launch["single"] and launch["idleTimeout"] == 600 and launch["startupScript"]
        assert machine_state(world, launch) == "terminated"
    assert "Terminated runner machine(s) left by this run" in result.log
    # Each share ran its points (1 and 3, 2 and 4) on its own runner, the two side by side.
    for share, numbers in ((1, (1, 3)), (2, (2, 4))):
        ran = re.findall(rf"^\[Sweep/sweep-{share} *\] .*INFO: point (\d) of 4: ", result.log, re.MULTILINE)
        assert ran == [str(number) for number in numbers], share

    # Every experiment on the forge as a git ref, and its model in S3.
    refs = bare_git(world, "for-each-ref", "--format=%(refname)", "refs/exps").split()
    assert sorted(ref.rsplit("/", 1)[1] for ref in refs) == NAMES
    assert world.objects() > objects
    for ref in refs:
        lock = yaml.safe_load(bare_git(world, "show", f"{ref}:dvc.lock"))
        [model] = [out for out in lock["stages"]["train"]["outs"] if out["path"] == "models/model.joblib"]
        md5 = model["md5"]
        assert (world.s3.root / "models/fraud/files/md5" / md5[:2] / md5[2:]).is_file(), ref

    # One leaderboard, ranked by the gate's metric, with the best's figures.
    [comment] = world.forge.comments[comments:]
    body = comment["body"]
    assert "# Sweep `1-1`: 4 experiments" in body and "Ranked by **average_precision**" in body
    rows = [line for line in body.splitlines() if re.match(r"\| \d+ \| `sweep-", line)]
    assert sorted(line.split("`")[1] for line in rows) == NAMES
    scores = [float(line.split("|")[3]) for line in rows]
    assert scores == sorted(scores, reverse=True)
    best = rows[0].split("`")[1]
    assert f"## Best: `{best}`" in body
    figures = [upload for upload in world.forge.uploads if upload["mime"] == "image/png"]
    assert figures and all(f"/assets/{upload['sha256']}" in body for upload in figures[-3:])

    # The best proposed: its parameters in a pull request to main.
    assert "quality gate passed" in result.log
    [pull] = world.forge.pulls[pulls:]
    assert pull["base_ref"] == "main" and pull["title"] == "Best of sweep 1"
    depth, rate = (cell.strip() for cell in rows[0].split("|")[-3:-1])
    params = yaml.safe_load(bare_git(world, "show", f"{pull['head_ref']}:params.yaml"))
    assert (params["train"]["xgboost"]["max_depth"], params["train"]["xgboost"]["learning_rate"]) == (
        int(depth), float(rate),
    )  # fmt: skip
