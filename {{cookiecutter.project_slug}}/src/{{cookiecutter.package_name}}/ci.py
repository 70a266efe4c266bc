"""Continuous training, the same on any CI system: train, report, gate, propose, launch.

The CI workflows only call these commands, so they stay thin and each step also runs
on a laptop:

    python -m {{ cookiecutter.package_name }}.ci train [--exp-args "-S train.model=random_forest"] [--device cuda] [--smoke]
    python -m {{ cookiecutter.package_name }}.ci report [--base main] [--output report.md]
    python -m {{ cookiecutter.package_name }}.ci gate [--base main] [--json]
    python -m {{ cookiecutter.package_name }}.ci propose
    python -m {{ cookiecutter.package_name }}.ci launch [--exp-args ...] [--gpu t4] [--instance-type l]
    python -m {{ cookiecutter.package_name }}.ci release [--bump patch|minor|major] [--stage prod] [--push]
    python -m {{ cookiecutter.package_name }}.ci sweep [-S train.xgboost.max_depth=3,6] [--jobs 2 | --shard 1/2 | --leaderboard]

`report` and `gate` score the base branch's model and this run's on the same test set
(compare.py); report.py builds the report, with the steps' wall times and the runner's cost
(costs.py). `report` and `propose` post through CML (`cml comment create`, `cml pr create`)
when CML is installed and the CI variable is set; otherwise they write their output and say
that they did not post. `launch` starts the CI training from a laptop (launch.py);
`release` registers the model as a new version with GTO (release.py); `sweep` runs a grid of
experiments, here or shared among CI runners, and ranks them (sweep.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import params as p
from . import storage
from .cli import UserError, run
from .compare import compare
from .costs import STAGE_TIMES_VARIABLE, Runner, Stopwatch
from .launch import launch
from .paths import MODEL, RAW_DATA, TEST_DATA
from .release import BUMPS, release
from .report import build as build_report

log = logging.getLogger(__name__)

# A CI machine often has no git identity, and `dvc exp run` refuses to work without one.
CI_IDENTITY = {
    "user.name": "Continuous training",
    "user.email": "continuous-training@example.invalid",
}
SMOKE_ROWS = 2000  # rows a smoke run keeps at most


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git, capturing its output."""
    return subprocess.run(["git", *args], capture_output=True, text=True, check=check)


def dvc(*args: str, env: dict[str, str] | None = None) -> None:
    """Run a DVC command in this Python's environment (``env`` added); its failure is a UserError."""
    environment = {**os.environ, **(env or {})}
    if subprocess.run(
        [sys.executable, "-m", "dvc", *args], env=environment, check=False
    ).returncode:
        raise UserError(
            f"`dvc {' '.join(args)}` failed (see DVC's message above). Fix it and run again"
        )


def ensure_git_identity() -> None:
    """Give the repository a git identity if it has none."""
    for key, value in CI_IDENTITY.items():
        if not git("config", "--get", key, check=False).stdout.strip():
            git("config", key, value)


def train(exp_args: list[str], device: str | None, timeout: float, retries: int) -> None:
    """Pull what exists, run the pipeline (as an experiment if given arguments), push it all.

    Each step's wall time goes to training_times.json, for the report.
    """
    ensure_git_identity()
    clock = Stopwatch()
    try:
        with clock.step("pull"):
            storage.transfer("pull", timeout, retries, [])
    except UserError as error:  # the first run has nothing to pull yet
        log.warning("nothing pulled (%s); the pipeline computes what is missing", error)
    if device:
        exp_args = [*exp_args, "-S", f"train.xgboost.device={device}"]
    with tempfile.TemporaryDirectory() as folder:  # the stages append their times here
        stage_times = Path(folder) / "stages.jsonl"
        command = ["exp", "run", "--pull", *exp_args] if exp_args else ["repro", "--pull"]
        try:
            dvc(*command, env={STAGE_TIMES_VARIABLE: str(stage_times)})
        finally:
            clock.add_stages(stage_times)
    with clock.step("push"):
        storage.transfer("push", timeout, retries, [])
    clock.save()


def smoke(exp_args: list[str]) -> None:
    """Run the pipeline on at most SMOKE_ROWS rows, with no DVC remote: nothing pulled or pushed.

    For a run without secrets, such as a pull request from a fork: it shows that the code
    runs, not how good the model is.
    """
    ensure_git_identity()
    rows = min(SMOKE_ROWS, p.positive_int(p.load(), "get_data.n_samples"))
    smaller = ["-S", f"get_data.n_samples={rows}", "-S", f"get_data.max_rows={rows}"]
    dvc("exp", "run", *exp_args, *smaller)
    log.info("smoke run passed on at most %d rows; nothing was pulled or pushed", rows)


def resolve_base(base: str) -> str | None:
    """The git revision to compare with: ``base`` or ``origin/<base>``, None if neither exists."""
    for candidate in (base, f"origin/{base}"):
        if git("rev-parse", "--verify", "--quiet", f"{candidate}^0", check=False).returncode == 0:
            return candidate
    return None


def can_post() -> str | None:
    """Why posting through CML is not possible here, or None if it is."""
    if not os.environ.get("CI"):
        return "not running in CI (the CI variable is not set)"
    if shutil.which("cml") is None:
        return "cml is not installed"
    return None


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
    subprocess.run(["cml", "comment", "create", "--publish", str(output)], check=True)
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


def propose(title: str) -> None:
    """Open a pull request with the retrained dvc.lock (the outputs are in the DVC remote)."""
    if not git("status", "--porcelain", "--", "dvc.lock", "params.yaml").stdout.strip():
        log.info("dvc.lock is unchanged: nothing to propose")
        return
    why_not = can_post()
    if why_not:
        log.info("pull request not opened: %s", why_not)
        return
    # --skip-ci: the proposal's own commit starts no pipeline (on GitLab, a merge-request training).
    command = [
        "cml",
        "pr",
        "create",
        "--skip-ci",
        "--md",
        "--title",
        title,
        "dvc.lock",
        "params.yaml",
    ]
    subprocess.run(command, check=True)


def sweep(args: argparse.Namespace) -> None:
    """Run `ci sweep` (sweep.py, which builds on this module)."""
    from .sweep import command

    command(args)


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


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}.ci", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="pull, run the pipeline, push")
    train_parser.add_argument(
        "--exp-args", default="", help='arguments for `dvc exp run`, e.g. "-S train.model=xgboost"'
    )
    train_parser.add_argument(
        "--device", choices=["cpu", "cuda"], help="XGBoost's device (cuda on a GPU runner)"
    )
    train_parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per push/pull attempt"
    )
    train_parser.add_argument(
        "--retries", type=int, default=2, help="push/pull attempts after the first"
    )
    train_parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"only check that the pipeline runs: {SMOKE_ROWS} rows, no DVC remote",
    )
    for name, text in (
        ("report", "write (and post) the training report"),
        ("gate", "fail if the model got worse"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument(
            "--base", default="main", help="branch or revision to compare with (default main)"
        )
        if name == "report":
            sub.add_argument(
                "--output", type=Path, default=Path("report.md"), help="where to write the report"
            )
        else:
            sub.add_argument(
                "--json", action="store_true", help="print the comparison as one JSON object"
            )
    propose_parser = commands.add_parser(
        "propose", help="open a pull request with the retrained model"
    )
    propose_parser.add_argument(
        "--title", default="Retrained model", help="title of the pull request"
    )
    launch_parser = commands.add_parser(
        "launch", help="start the CI training of this branch (GitHub workflow or GitLab pipeline)"
    )
    launch_parser.add_argument("--exp-args", help="arguments for `dvc exp run` on the runner")
    launch_parser.add_argument(
        "--cloud", choices=["aws", "gcp", "azure"], help="the runner's cloud"
    )
    launch_parser.add_argument("--region", help="the runner's region")
    launch_parser.add_argument("--instance-type", help="CML's m, l, xl, or the cloud's own type")
    launch_parser.add_argument(
        "--gpu", choices=["nogpu", "t4", "v100", "k80"], help="the runner's GPU"
    )
    launch_parser.add_argument(
        "--spot", action=argparse.BooleanOptionalAction, help="a spot instance (or --no-spot)"
    )
    launch_parser.add_argument("--ref", help="branch to train (default: the checked-out one)")
    release_parser = commands.add_parser(
        "release", help="register the committed model as a new version (GTO), if it passes the gate"
    )
    release_parser.add_argument("--bump", choices=BUMPS, default="patch", help="default: patch")
    release_parser.add_argument("--stage", help="also assign the version to this stage, e.g. prod")
    release_parser.add_argument("--push", action="store_true", help="push the tags to origin")
    sweep_arguments(
        commands.add_parser(
            "sweep", help="run a grid of experiments (here, or one CI runner's share) and rank them"
        )
    )
    args = parser.parse_args(argv)

    if args.command == "train" and args.smoke:
        smoke(shlex.split(args.exp_args))
    elif args.command == "train":
        device = None if args.device in (None, "cpu") else args.device
        train(shlex.split(args.exp_args), device, args.timeout, args.retries)
    elif args.command == "report":
        report(args.base, args.output)
    elif args.command == "gate":
        gate(args.base, args.json)
    elif args.command == "propose":
        propose(args.title)
    elif args.command == "release":
        release_model(args.bump, args.stage, args.push)
    elif args.command == "sweep":
        sweep(args)
    else:
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


if __name__ == "__main__":
    run(main)
