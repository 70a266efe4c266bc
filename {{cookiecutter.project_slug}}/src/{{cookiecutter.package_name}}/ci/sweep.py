"""Sweeps: run a grid of parameters as DVC experiments, here in DVC's queue or shared among CI runners.

    python -m {{ cookiecutter.package_name }}.ci sweep [-S train.xgboost.max_depth=3,6 ...] [--jobs 2]
    python -m {{ cookiecutter.package_name }}.ci sweep --plan 2                  # CI: the matrix of shards
    python -m {{ cookiecutter.package_name }}.ci sweep --shard 1/2 --id RUN      # CI: one runner's share
    python -m {{ cookiecutter.package_name }}.ci sweep --leaderboard --id RUN    # CI: rank, post, apply the best

The grid is the `sweep:` section of params.yaml, or `-S key=v1,v2` lists as `dvc exp run
--queue -S` takes them; it is checked against params.yaml first, so a typo stops in one line
before anything runs. Every combination is one experiment, named `sweep-<id>-<n>` in the
order of itertools.product, as DVC names a queued grid. Locally DVC expands the grid and
runs its queue, `--jobs` at a time. DVC has no way to share a grid among machines, so in
CI each runner runs its share itself (`--shard I/N`: points I, I+N, ...), pushes each run's
outputs to the DVC remote and its experiments as git refs to origin; `--leaderboard` ranks
them all (leaderboard.py), posts the leaderboard and applies the best to the workspace, for
`ci gate` and `ci propose`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import shlex
import time
from pathlib import Path
from typing import Any

from ..core import params as p
from ..core.cli import UserError
from . import leaderboard, storage
from .shell import can_post, dvc, ensure_git_identity, git, post_comment

log = logging.getLogger(__name__)

Grid = dict[str, list[Any]]  # dotted parameter key -> the values to try
EXPERIMENTS = "refs/exps"  # where DVC keeps experiments as git refs
EXAMPLE = "-S train.xgboost.max_depth=3,6"
MISSING = object()  # a key params.yaml does not have
UNFINISHED = ("Queued", "Running")  # the states of a queued experiment still to end


def split_grid(text: str) -> list[str]:
    """The ``key=v1,v2`` items of a string of -S options, as a CI input gives them."""
    tokens, items = shlex.split(text), []
    while tokens:
        option = tokens.pop(0)
        if option not in ("-S", "--set-param") or not tokens:
            raise UserError(f"the grid {text!r} must be -S options such as {EXAMPLE}")
        items.append(tokens.pop(0))
    return items


def parse_overrides(items: list[str]) -> Grid:
    """Turn ``key=v1,v2`` items into a grid; each value is read as YAML, as DVC reads -S values."""
    grid: Grid = {}
    for item in items:
        key, sign, values = item.partition("=")
        if not sign or not key.strip() or not values.strip():
            raise UserError(f"-S {item!r} must be key=value1,value2, e.g. {EXAMPLE}")
        grid[key.strip()] = [p.parse(value) for value in values.split(",")]
    return grid


def is_scalar(value: Any) -> bool:
    """True for a value one -S option can set: a number, text, yes/no or null."""
    return value is None or isinstance(value, str | int | float | bool)


def check_grid(grid: Any, params: dict) -> Grid:
    """Return ``grid`` if each key is a parameter of params.yaml with a list of values to try."""
    if not isinstance(grid, dict) or not grid:
        raise UserError(
            f"the sweep has no grid. Give -S lists ({EXAMPLE}) or fill the sweep section of params.yaml"
        )
    for key, values in grid.items():
        node: Any = {} if str(key).startswith("sweep.") else params
        for part in str(key).split("."):
            node = node.get(part, MISSING) if isinstance(node, dict) else MISSING
        if node is MISSING or isinstance(node, dict):  # not in params.yaml, or a whole section
            raise UserError(
                f"the sweep varies {key}, which is not a setting of params.yaml. "
                "Use a dotted key such as train.xgboost.max_depth"
            )
        if not isinstance(values, list) or not values or not all(map(is_scalar, values)):
            raise UserError(
                f"the sweep's {key} must be a list of values such as [3, 6], not {values!r}"
            )
    return grid


def read_grid(params: dict, items: list[str]) -> Grid:
    """The grid of -S ``items`` if any, else the sweep: section of params.yaml."""
    return check_grid(parse_overrides(items) if items else params.get("sweep") or {}, params)


def points(grid: Grid) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in the order of itertools.product."""
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` as (I, N), with 1 <= I <= N."""
    index, _, total = text.partition("/")
    if not (index.isdigit() and total.isdigit() and 1 <= int(index) <= int(total)):
        raise UserError(f"--shard {text!r} must be I/N with 1 <= I <= N, e.g. --shard 1/2")
    return int(index), int(total)


def share(count: int, index: int, total: int) -> list[int]:
    """The point numbers (1-based) that shard ``index`` of ``total`` runs: every total-th one."""
    return list(range(index, count + 1, total))


def matrix(count: int, runners: int) -> dict[str, list[int]]:
    """The CI matrix of shards: one per runner, no more runners than points."""
    if runners < 1:
        raise UserError(f"a sweep needs at least one runner, not {runners}")
    total = min(runners, count)
    return {"shard": list(range(1, total + 1)), "total": [total]}


def render(value: Any) -> str:
    """``value`` as DVC's -S reads it back: text as is unless it would read as something else."""
    if isinstance(value, str) and p.parse(value) == value and not set(value) & set(",'\"[]{}= "):
        return value
    return json.dumps(value)


def overrides(point: dict[str, Any]) -> list[str]:
    """The -S options of one point."""
    return [arg for key, value in point.items() for arg in ("-S", f"{key}={render(value)}")]


def name(sweep_id: str, number: int) -> str:
    """The experiment name of point ``number`` of the sweep ``sweep_id``, as DVC names a queued grid."""
    return f"sweep-{sweep_id}-{number}"


def names(grid: Grid, sweep_id: str) -> list[str]:
    """The experiment names of every point of the grid."""
    return [name(sweep_id, number) for number in range(1, len(points(grid)) + 1)]


def run_local(grid: Grid, sweep_id: str, jobs: int, output: Path) -> None:
    """Queue the grid as DVC expands it, run the queue ``jobs`` at a time, wait, write the leaderboard."""
    from dvc.api import exp_show
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo

    ensure_git_identity()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # its "no hostname" on each ask
    wanted = names(grid, sweep_id)
    lists = [f"{key}={','.join(map(render, values))}" for key, values in grid.items()]
    # DVC names a grid's experiments <name>-1, <name>-2, ...; a single point keeps the name.
    label = f"sweep-{sweep_id}" if len(wanted) > 1 else wanted[0]
    dvc("exp", "run", "--queue", *(arg for item in lists for arg in ("-S", item)), "--name", label)
    dvc("queue", "start", "-j", str(jobs))
    states: dict[str, str] = {}
    misreads = idle = polls = 0
    while len(states) < len(wanted) or set(UNFINISHED) & set(states.values()):
        time.sleep(2)
        polls += 1
        if polls % 15 == 0:  # every half minute: is a worker still there to run what is left?
            with Repo() as repo:
                idle = 0 if repo.experiments.celery_queue.worker_status() else idle + 1
            if idle >= 2:
                left = sorted(set(wanted) - {e for e, s in states.items() if s not in UNFINISHED})
                raise UserError(
                    f"DVC's queue has no worker left, and {', '.join(left)} did not finish; "
                    "see `dvc queue logs <name>`, then `dvc queue start` to run them"
                )
        try:
            rows = exp_show()
        except (FileNotFoundError, ValueError, NotDvcRepoError):
            # A run ended, and its workspace went away, while DVC read it: ask again.
            misreads += 1
            if misreads > 30:
                raise
            continue
        misreads = 0
        states = {
            row["Experiment"]: row.get("State") or "Success"
            for row in rows
            if row.get("Experiment") in wanted
        }
    leaderboard.write(sweep_id, wanted, list(grid), output, figures=False)
    failed = sorted(experiment for experiment, state in states.items() if state != "Success")
    if failed:
        raise UserError(f"experiments {', '.join(failed)} failed; see `dvc queue logs <name>`")


def run_shard(
    grid: Grid, sweep_id: str, shard: tuple[int, int], timeout: float, retries: int
) -> None:
    """Run this runner's share of the grid one point after another, pushing each, then the refs."""
    ensure_git_identity()
    try:
        storage.transfer("pull", timeout, retries, [])
    except UserError as error:  # the first run has nothing to pull yet
        log.warning("nothing pulled (%s); the pipeline computes what is missing", error)
    everything, done, failed = points(grid), [], []
    for number in share(len(everything), *shard):
        experiment = name(sweep_id, number)
        options = overrides(everything[number - 1])
        log.info("point %d of %d: %s", number, len(everything), " ".join(options))
        try:
            dvc("exp", "run", "--pull", *options, "--name", experiment)
        except UserError:
            failed.append(experiment)
            continue
        storage.transfer("push", timeout, retries, [])  # its outputs, while they are checked out
        done.append(experiment)
    # The experiments as git refs, pushed by git itself: `dvc exp push` would go through
    # DVC's own git client, which does not use the credentials CI checkouts leave in git's
    # config (http.extraheader).
    refs = git("for-each-ref", "--format=%(refname)", EXPERIMENTS).stdout.split()
    mine = [ref for ref in refs if ref.rsplit("/", 1)[-1] in done]
    if mine:
        git("push", "--quiet", "origin", *(f"{ref}:{ref}" for ref in mine))
        log.info("pushed %s", ", ".join(done))
    if failed:
        raise UserError(f"experiments {', '.join(failed)} failed; see DVC's messages above")


def finish(sweep_id: str, grid: Grid, output: Path, timeout: float, retries: int) -> None:
    """Fetch every runner's experiments, apply the best, write and post the leaderboard."""
    ensure_git_identity()
    # git fetches the refs (with the checkout's credentials, see run_shard); `dvc exp apply`
    # would then check the best's outputs out of the local cache, which does not have them,
    # so its params.yaml and dvc.lock are restored by git and what they name is pulled.
    git("fetch", "--quiet", "origin", f"+{EXPERIMENTS}/*:{EXPERIMENTS}/*")
    metric = p.text(p.load(), "gate.metric")
    top = leaderboard.best(leaderboard.collect(names(grid, sweep_id)), metric)
    if top:
        git("restore", f"--source={top['rev']}", "--worktree", "--", ".")
        storage.transfer("pull", timeout, retries, [])
    leaderboard.write(sweep_id, names(grid, sweep_id), list(grid), output, figures=True)
    why_not = can_post()
    if why_not:
        log.info("leaderboard not posted: %s", why_not)
        return
    post_comment(output)
    log.info("leaderboard posted")


def command(args: argparse.Namespace) -> None:
    """Run the `ci sweep` that ``args`` (ci.py's command line) ask for."""
    grid = read_grid(p.load(), args.grid + split_grid(args.grid_args))
    if args.plan is not None:
        print(json.dumps(matrix(len(points(grid)), args.plan)))
        return
    if (args.shard or args.leaderboard) and not args.id:
        raise UserError("--shard and --leaderboard need the sweep's --id, the same on every runner")
    sweep_id = args.id or time.strftime("%Y%m%d-%H%M%S")
    if args.shard:
        run_shard(grid, sweep_id, parse_shard(args.shard), args.timeout, args.retries)
    elif args.leaderboard:
        finish(sweep_id, grid, args.output, args.timeout, args.retries)
    else:
        run_local(grid, sweep_id, args.jobs, args.output)
