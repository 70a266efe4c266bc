"""What the baked project costs before it does any work: its first install and a no-op `dvc repro`.

    .venv/bin/python benchmarks/project_overhead.py [--baseline REV] [--repeats 3] [--install]

bakes the default project from this template as it is now and, with --baseline, from the
template at an earlier commit; for each it prints, side by side:

- a cold `dvc repro` (every stage) and the median of --repeats no-op `dvc repro` runs (only
  check_source runs), with this checkout's .venv and the bake's src/ on PYTHONPATH, as the
  tests run projects;
- with --install, the wall time of the bake's first `uv sync` from an empty uv cache (every
  library downloaded from the package index, bytecode compiled), and the size of its .venv;
- with --floor, the same for a copy of today's bake without the check_source stage (get_data
  no longer waits for it): what DVC itself takes to find that nothing changed, the least a
  no-op `dvc repro` of these stages can cost on this machine.

The two bakes take turns for each repeat, so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PARTS = ["{{cookiecutter.project_slug}}", "hooks", "cookiecutter.json"]


def template_at(revision: str | None, folder: Path) -> Path:
    """The template's files at ``revision`` (None: the working tree) in ``folder``."""
    folder.mkdir(parents=True)
    if revision is None:
        for part in PARTS:
            source = TEMPLATE / part
            if source.is_dir():
                shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
            else:
                shutil.copy(source, folder / part)
        return folder
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, *PARTS], cwd=TEMPLATE, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def bake(template: Path, output: Path) -> Path:
    """The default project baked from ``template`` into ``output``, with its first commit."""
    subprocess.run(
        [str(BIN / "cookiecutter"), "--no-input", "-o", str(output), str(template)], check=True, capture_output=True
    )
    return next(path for path in output.iterdir() if path.is_dir())


def without_source_check(project: Path) -> Path:
    """``project`` with the check_source stage taken out of dvc.yaml, and get_data's dep on it."""
    dvc_yaml = project / "dvc.yaml"
    text = dvc_yaml.read_text(encoding="utf-8")
    start, end = text.index("  check_source:"), text.index("  get_data:")
    text = text[:start] + text[end:]
    dvc_yaml.write_text(text.replace("      - data/source.json\n", "", 1), encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "No source check"], cwd=project, check=True)
    return project


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall seconds of ``command``, which must succeed."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def project_env(project: Path) -> dict[str, str]:
    """This checkout's tools first on PATH, the bake's package importable."""
    return {
        **os.environ,
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(project / "src"),
        "DVC_NO_ANALYTICS": "1",
    }


def first_install(project: Path) -> tuple[float, int]:
    """Seconds of the first `uv sync` from an empty cache, and the .venv's size in MB."""
    with tempfile.TemporaryDirectory(prefix="uv-cache-") as cache:
        env = {**os.environ, "UV_CACHE_DIR": cache}
        env.pop("VIRTUAL_ENV", None)
        seconds = timed([str(BIN / "uv"), "sync", "--quiet"], project, env)
    size = sum(path.stat().st_size for path in (project / ".venv").rglob("*") if path.is_file())
    return seconds, size // 2**20


def main() -> None:
    """Bake, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="an earlier commit of this template to compare with")
    parser.add_argument("--repeats", type=int, default=3, help="no-op runs per bake (median)")
    parser.add_argument("--install", action="store_true", help="also time the first `uv sync` (downloads)")
    parser.add_argument("--floor", action="store_true", help="also today's bake without the check_source stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overhead-") as scratch:
        root = Path(scratch)
        bakes = {"now": bake(template_at(None, root / "t-now"), root / "now")}
        if args.baseline:
            bakes[args.baseline] = bake(template_at(args.baseline, root / "t-base"), root / "base")
        if args.floor:
            bakes["no check"] = without_source_check(bake(root / "t-now", root / "floor"))
        cold = {name: timed([str(BIN / "dvc"), "repro"], path, project_env(path)) for name, path in bakes.items()}
        noop: dict[str, list[float]] = {name: [] for name in bakes}
        for _ in range(args.repeats):
            for name, path in bakes.items():
                noop[name].append(timed([str(BIN / "dvc"), "repro"], path, project_env(path)))
        installs = {name: first_install(path) for name, path in bakes.items()} if args.install else {}
    print(f"{'bake':<12} {'cold dvc repro':>15} {'no-op dvc repro (median)':>25} {'first uv sync':>14} {'.venv':>8}")
    for name in bakes:
        seconds, size = installs.get(name, (None, None))
        install = f"{seconds:.1f} s" if seconds is not None else "-"
        venv = f"{size} MB" if size is not None else "-"
        print(
            f"{name:<12} {cold[name]:>13.1f} s {statistics.median(noop[name]):>23.2f} s {install:>14} {venv:>8}"
            f"   (no-op runs: {', '.join(f'{s:.2f}' for s in noop[name])})"
        )


if __name__ == "__main__":
    main()
