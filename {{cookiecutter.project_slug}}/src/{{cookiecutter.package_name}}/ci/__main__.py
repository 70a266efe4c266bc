"""Continuous training, the same on any CI system: train, report, gate, propose, launch, ...

The CI workflows only call this command, so they stay thin and each step also runs on a
laptop:

    python -m {{ cookiecutter.package_name }}.ci train [--exp-args "-S train.model=random_forest"] [--device cuda] [--smoke]
    python -m {{ cookiecutter.package_name }}.ci report [--base main] [--output report.md]
    python -m {{ cookiecutter.package_name }}.ci gate [--base main] [--json]
    python -m {{ cookiecutter.package_name }}.ci propose
    python -m {{ cookiecutter.package_name }}.ci refused
    python -m {{ cookiecutter.package_name }}.ci launch [--exp-args ...] [--gpu t4] [--instance-type l]
    python -m {{ cookiecutter.package_name }}.ci release [--bump patch|minor|major] [--stage prod] [--push]
    python -m {{ cookiecutter.package_name }}.ci sweep [-S train.xgboost.max_depth=3,6] [--jobs 2 | --shard 1/2 | --leaderboard]
    python -m {{ cookiecutter.package_name }}.ci storage push|pull [--timeout 1800] [--retries 2]

`train` (training.py) pulls, runs the pipeline and pushes; `report` and `gate` score the
base branch's model and this run's on the same test set (compare.py); report.py builds the
report, with drift (drift.py) and the steps' wall times and the runner's cost (costs.py).
`report` and `propose` post through CML when CML is installed and the CI variable is set;
otherwise they write their output and say that they did not post. `refused` posts, after a
failed training, what the data check refused (check_data.py wrote it), if it refused.
On GitHub, `propose` and `refused` also write a line to the job's summary. `launch` starts the CI
training from a laptop (launch.py); `release` registers the model as a new version with GTO
(release.py); `sweep` runs a grid of experiments and ranks them (sweep.py); `storage`
pushes and pulls with a time limit and retries (storage.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
from pathlib import Path

from ..core import params as p
from ..core.cli import UserError, run
from ..core.paths import MODEL, RAW_DATA, REFUSAL, TEST_DATA
from . import storage
from .compare import compare
from .costs import Runner
from .launch import launch
from .machines import GPUS
from .release import BUMPS, release
from .report import build as build_report
from .shell import can_post, cml, ensure_git_identity, git, post_comment, resolve_base
from .sweep import command as sweep
from .training import SMOKE_ROWS, smoke, train

log = logging.getLogger(__name__)


def report(base: str, output: Path) -> None:
    """Write the report; post it on the pull request when CML can."""
    params = p.load()
    comparison = compare(resolve_base(base), params)
    text = build_report(comparison, params, output.parent, Runner.from_env())
    output.write_text(text, encoding="utf-8")
    why_not = can_post()
    if why_not:
        log.info("report written to %s; not posted: %s", output, why_not)
        return
    post_comment(output)
    log.info("report posted")


def gate(base: str, as_json: bool) -> None:
    """Fail (exit 1) when the model is worse than the gate in params.yaml allows."""
    comparison = compare(resolve_base(base), p.load())
    if as_json:
        print(json.dumps(comparison.summary()))
    if not comparison.passed:
        raise UserError(
            "quality gate failed: " + "; ".join(comparison.reasons) + ". The model is not proposed"
        )
    against = (
        f"{comparison.champion[comparison.metric]:.4f} for {comparison.base}'s model"
        if comparison.champion
        else "no base model"
    )
    log.info(
        "quality gate passed: %s %.4f against %s, on %d test rows",
        comparison.metric, comparison.challenger[comparison.metric], against, comparison.test_rows,
    )  # fmt: skip


def release_model(bump: str, stage: str | None, push: bool) -> None:
    """Register the committed model as a new version (release.py), its outputs pulled if missing."""
    ensure_git_identity()  # a version is an annotated tag, which needs one
    if not all(path.exists() for path in (MODEL, TEST_DATA, RAW_DATA)):  # a fresh checkout
        storage.transfer("pull", 1800, 2, [])
    release(bump, stage, push)


def job_summary(text: str) -> None:
    """Add ``text`` to the GitHub job's summary page, when there is one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(text.rstrip("\n") + "\n")


def propose(title: str) -> None:
    """Open a pull request with the retrained dvc.lock (the outputs are in the DVC remote)."""
    if not git("status", "--porcelain", "--", "dvc.lock", "params.yaml").stdout.strip():
        log.info("dvc.lock is unchanged: nothing to propose")
        job_summary(
            "No new data and no change to the pipeline: the model is as it was, nothing proposed."
        )
        return
    why_not = can_post()
    if why_not:
        log.info("pull request not opened: %s", why_not)
        return
    # --skip-ci: the proposal's own commit starts no pipeline (on GitLab, a merge-request training).
    cml("pr", "create", "--skip-ci", "--md", "--title", title, "dvc.lock", "params.yaml")


def refused() -> None:
    """Post the data check's refusal, if this run's check refused the data."""
    if not REFUSAL.exists():
        log.info("the data check refused nothing in this run")
        return
    job_summary(REFUSAL.read_text(encoding="utf-8"))
    why_not = can_post()
    if why_not:
        log.info("%s not posted: %s", REFUSAL, why_not)
        return
    post_comment(REFUSAL)
    log.info("the data check's refusal posted")


def sweep_arguments(sweep_parser: argparse.ArgumentParser) -> None:
    """The options of `ci sweep` (sweep.py)."""
    add = sweep_parser.add_argument
    add(
        "-S",
        "--set-param",
        dest="grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="values to try, as `dvc exp run --queue -S` takes them (default: params.yaml's sweep:)",
    )
    add(
        "--grid-args",
        default="",
        help='the -S options in one string, as a CI input holds them: --grid-args="-S train.model=a,b"',
    )
    add("--jobs", type=int, default=2, help="experiments at a time here (default 2)")
    add("--id", help="the sweep's part of its experiments' names (default: the time)")
    add(
        "--output", type=Path, default=Path("leaderboard.md"), help="where to write the leaderboard"
    )
    add("--timeout", type=float, default=1800, help="seconds per push/pull attempt")
    add("--retries", type=int, default=2, help="push/pull attempts after the first")
    in_ci = sweep_parser.add_mutually_exclusive_group()
    in_ci.add_argument(
        "--plan",
        type=int,
        metavar="RUNNERS",
        help="print the CI matrix of shards for this many runners (JSON)",
    )
    in_ci.add_argument("--shard", metavar="I/N", help="run share I of N of the grid and push it")
    in_ci.add_argument(
        "--leaderboard",
        action="store_true",
        help="fetch every runner's experiments, rank them, post, apply the best",
    )


def command_line() -> argparse.ArgumentParser:
    """The parser of every command and its options."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("train", help="pull, run the pipeline, push").add_argument
    add("--exp-args", default="", help='arguments for `dvc exp run`, e.g. "-S train.model=xgboost"')
    add("--device", choices=["cpu", "cuda"], help="XGBoost's device (cuda on a GPU runner)")
    add("--timeout", type=float, default=1800, help="seconds per push/pull attempt")
    add("--retries", type=int, default=2, help="push/pull attempts after the first")
    add(
        "--smoke", action="store_true",
        help=f"only check that the pipeline runs: {SMOKE_ROWS} rows, no DVC remote",
    )  # fmt: skip
    for name, text in (
        ("report", "write (and post) the training report"),
        ("gate", "fail if the model got worse"),
    ):
        add = commands.add_parser(name, help=text).add_argument
        add("--base", default="main", help="branch or revision to compare with (default main)")
        if name == "report":
            add("--output", type=Path, default=Path("report.md"), help="where to write the report")
        else:
            add("--json", action="store_true", help="print the comparison as one JSON object")
    add = commands.add_parser(
        "propose", help="open a pull request with the retrained model"
    ).add_argument
    add("--title", default="Retrained model", help="title of the pull request")
    add = commands.add_parser(
        "launch", help="start the CI training of this branch (GitHub workflow or GitLab pipeline)"
    ).add_argument
    add("--exp-args", help="arguments for `dvc exp run` on the runner")
    add("--cloud", choices=["aws", "gcp", "azure"], help="the runner's cloud")
    add("--region", help="the runner's region")
    add("--instance-type", help="CML's m, l, xl, or the cloud's own type")
    add("--gpu", choices=["nogpu", *GPUS], help="the runner's GPU")
    add("--spot", action=argparse.BooleanOptionalAction, help="a spot instance (or --no-spot)")
    add("--ref", help="branch to train (default: the checked-out one)")
    commands.add_parser("refused", help="post what the data check refused, after a failed training")
    add = commands.add_parser(
        "release", help="register the committed model as a new version (GTO), if it passes the gate"
    ).add_argument
    add("--bump", choices=BUMPS, default="patch", help="default: patch")
    add("--stage", help="also assign the version to this stage, e.g. prod")
    add("--push", action="store_true", help="push the tags to origin")
    sweep_arguments(
        commands.add_parser(
            "sweep", help="run a grid of experiments (here, or one CI runner's share) and rank them"
        )
    )
    add = commands.add_parser(
        "storage", help="dvc push/pull with the run-cache, a time limit and retries; "
        "other options go to dvc"
    ).add_argument  # fmt: skip
    add("direction", choices=["push", "pull"])
    add("--timeout", type=float, default=1800, help="seconds per attempt (default 1800)")
    add("--retries", type=int, default=2, help="attempts after the first (default 2)")
    return parser


def launch_command(args: argparse.Namespace) -> None:
    """`ci launch`: the settings given, for the CI file this project has."""
    settings = {
        "EXP_ARGS": args.exp_args, "CLOUD": args.cloud, "REGION": args.region,
        "INSTANCE_TYPE": args.instance_type, "GPU": args.gpu,
        "SPOT": None if args.spot is None else str(args.spot).lower(),
    }  # fmt: skip
    ci_files = {
        "github": Path(".github/workflows/train.yml").exists(),
        "gitlab": Path(".gitlab-ci.yml").exists(),
    }
    launch(args.ref, {k: v for k, v in settings.items() if v is not None}, ci_files)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run one command."""
    parser = command_line()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "storage":  # only storage hands options on (to dvc push/pull)
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    device = None if getattr(args, "device", None) in (None, "cpu") else args.device
    commands = {
        "train": lambda: smoke(shlex.split(args.exp_args)) if args.smoke
        else train(shlex.split(args.exp_args), device, args.timeout, args.retries),
        "report": lambda: report(args.base, args.output),
        "gate": lambda: gate(args.base, args.json),
        "propose": lambda: propose(args.title),
        "refused": refused,
        "release": lambda: release_model(args.bump, args.stage, args.push),
        "sweep": lambda: sweep(args),
        "storage": lambda: storage.transfer(args.direction, args.timeout, args.retries, extra),
        "launch": lambda: launch_command(args),
    }  # fmt: skip
    commands[args.command]()


if __name__ == "__main__":
    run(main)
