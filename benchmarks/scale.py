"""Benchmark the streaming pipeline against today's in-memory one, at 1e7 and 1e8 rows.

Bakes the default project twice from this template, in a temporary folder: as of a baseline
revision (--baseline, default d94b2c2, the last commit whose stages hold the whole data set
in memory), and as the template's working tree is now, uncommitted changes included (prepare,
train and evaluate stream through Parquet row groups). Then it runs each stage of each bake
(`python -m fraud_detection.<stage>`, with check_source and check_data where it has them, in
the baked git repository with PYTHONPATH=src, bytecode cached and warmed up as in
benchmarks/pipeline.py) under /usr/bin/time, for four configurations:

1. the in-memory pipeline at --rows-small rows (default 1e7) x 20 features;
2. the streaming pipeline at the same size (train.matrix: auto, which keeps XGBoost's
   quantized matrix in memory at that size);
3. the same with train.matrix: disk (XGBoost's external memory; one run);
4. the streaming pipeline at --large-rows rows (default 1e8, train.matrix: auto; always one
   run; --skip-large leaves it out).

It prints Markdown, side by side: each stage's wall time, peak RSS (%M) and peak / raw array
(rows x features x 8 bytes, the data as one float64 array), the end-to-end time, the test
ROC-AUC and average precision (dvclive/evaluate/metrics.json) and the size of data/raw.parquet
and of all the files of a run; then the streaming / in-memory time ratio at --rows-small and
each stage's peak against the target, at most 0.5x the raw array. Figures are medians of
--repeats runs, the two pipelines taking turns. Each streaming stage's peak at 2e4 rows, its
fixed part, and the last log line of each stage follow.

Each run's files are deleted once measured, but the largest run needs about 200 bytes of
disk per row (20 GB at 1e8 rows) under --work (default: the system's temporary folder),
which is checked first.

Run from the template's root, with its virtualenv; the tables go to stdout, ready to paste
into benchmarks/latest.md, the progress and each stage's log lines to stderr:

    .venv/bin/python benchmarks/scale.py [--baseline d94b2c2] [--rows-small 1e7]
        [--large-rows 1e8 | --skip-large] [--repeats 1] [--work DIR]

A quick try, in a minute or two: `--rows-small 1e5 --large-rows 1e6`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import BIN, STAGES, TEMPLATE, bake, environment, label, read_params, run, set_rows

PACKAGE = "fraud_detection"  # package_name of the default bake
TARGET = 0.5  # each stage's peak RSS at most this share of the raw float64 array
BYTES_PER_ROW = 200  # disk for all the files of one run (about 160 at 20 float32 features)
WARM_UP_ROWS = 20_000  # the run that warms the bytecode cache up also shows each stage's fixed peak
MB = 2**20
PROGRESS = re.compile(r": [\d,]+ (of [\d,]+ \w+|\w+ in )")  # "train: 40 of 100 rounds (40%)", "... 100 rounds in 2 min"


@dataclass
class Stage:
    """One stage's run: wall seconds, peak RSS in MB, exit status and output lines."""

    seconds: float
    peak_mb: float
    status: int
    log: list[str]
    signal: int | None = None  # the signal that ended it, if one did (9: likely out of memory)

    @property
    def ok(self) -> bool:
        """Whether the stage succeeded."""
        return self.status == 0 and self.signal is None


@dataclass
class Run:
    """One run of the pipeline: its stages, test metrics and the disk its files took."""

    stages: dict[str, Stage]
    metrics: dict[str, float] | None
    raw_parquet_mb: float | None
    files_mb: float

    @property
    def failed(self) -> str | None:
        """The stage that failed, if one did."""
        return next((name for name, stage in self.stages.items() if not stage.ok), None)


@dataclass
class Config:
    """A pipeline (a baked project) at one size, and its runs."""

    name: str  # "in-memory" or "streaming"
    project: Path
    stages: tuple[str, ...]
    rows: int
    features: int
    untouched: set[Path]  # the project's files and folders before any run: never deleted
    matrix: str | None = None  # train.matrix, for a pipeline that has it (None: auto)
    runs: list[Run] = field(default_factory=list)

    @property
    def title(self) -> str:
        """E.g. 'streaming 1e8', 'streaming 1e7 disk'."""
        return f"{self.name} {label(self.rows)}" + (f" {self.matrix}" if self.matrix else "")

    @property
    def raw_mb(self) -> float:
        """The data as one float64 array, in MB."""
        return self.rows * self.features * 8 / MB

    @property
    def failed(self) -> Run | None:
        """The first run that failed, if one did."""
        return next((r for r in self.runs if r.failed), None)


def rows_arg(text: str) -> int:
    """A row count written as 1e7 or 10000000."""
    return int(float(text))


def git(*args: str) -> str:
    """Run git in the template; return its output, stripped."""
    return subprocess.run(["git", *args], cwd=TEMPLATE, capture_output=True, text=True, check=True).stdout.strip()


def describe_revision(rev: str) -> str:
    """A revision as 'abc1234 (2026-11-24)', or exit with one line if git does not know it."""
    try:
        return git("log", "-1", "--format=%h (%cs)", f"{rev}^{{commit}}", "--")
    except subprocess.CalledProcessError:
        sys.exit(f"ERROR: git does not know the revision {rev!r} in {TEMPLATE}. Give a commit, tag or branch.")


def describe_working_tree() -> str:
    """HEAD and how many files the bake reads differ from it, e.g. 'HEAD d94b2c2 + 4 changed files'."""
    changed = git("status", "--porcelain", "--", "{{cookiecutter.project_slug}}", "hooks", "cookiecutter.json")
    count = len(changed.splitlines())
    return f"HEAD {git('rev-parse', '--short', 'HEAD')} + {count} changed file{'s' * (count != 1)}"


def check_disk(work: Path, rows: int) -> None:
    """Exit with one line if ``work`` has too little free disk for a run of ``rows`` rows."""
    need, free = rows * BYTES_PER_ROW, shutil.disk_usage(work).free
    if free < need:
        sys.exit(
            f"ERROR: {label(rows)} rows need about {need / 1e9:.0f} GB of disk under {work}, which has "
            f"{free / 1e9:.0f} GB free. Give --work a folder on a larger disk, lower --large-rows or add --skip-large."
        )


def bake_revision(rev: str, into: Path) -> Path:
    """Export the template at ``rev`` and bake it as pipeline.bake() bakes the working tree."""
    template = Path(tempfile.mkdtemp(prefix=f"template-{rev.replace('/', '-')}-", dir=into))
    archive = subprocess.run(["git", "archive", rev], cwd=TEMPLATE, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(template)], input=archive, check=True)
    target = Path(tempfile.mkdtemp(prefix="bake-", dir=into))
    run([str(BIN / "cookiecutter"), "--no-input", "-o", str(target), str(template)], into, environment())
    shutil.rmtree(template)
    project = target / "fraud-detection"
    for key, value in (("user.name", "Benchmark"), ("user.email", "benchmark@example.invalid")):
        if subprocess.run(["git", "config", key], cwd=project, capture_output=True).returncode:
            run(["git", "config", key, value], project, environment())
    return project


def stage_names(project: Path) -> tuple[str, ...]:
    """The project's stages in order, with the checks it has: check_source first, check_data after get_data."""
    order = ("check_source", STAGES[0], "check_data", *STAGES[1:])
    return tuple(name for name in order if (project / "src" / PACKAGE / f"{name}.py").exists())


def n_features(project: Path) -> int:
    """get_data.n_features in params.yaml."""
    return int(re.search(r"n_features:\s*(\d+)", read_params(project)).group(1))


def paths(project: Path) -> set[Path]:
    """Every file and folder in the project but git's."""
    return {p for p in project.rglob("*") if ".git" not in p.relative_to(project).parts}


def delete_new_files(project: Path, untouched: set[Path]) -> float:
    """Delete the files and folders a run made in ``project``; return the size of its files in MB."""
    new = paths(project) - untouched
    size = sum(p.stat().st_size for p in new if p.is_file())
    for path in new:
        if path.parent not in new:  # the top of what is new: a file, or a folder and all in it
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return size / MB


def run_stage(project: Path, stage: str) -> Stage:
    """Run ``python -m fraud_detection.<stage>`` under /usr/bin/time in ``project``, its output to stderr too."""
    report = project / ".time"
    command = ["/usr/bin/time", "-o", str(report), "-f", "%e %M", str(BIN / "python"), "-m", f"{PACKAGE}.{stage}"]
    log = []
    with subprocess.Popen(
        command, cwd=project, env=environment(project), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:  # shown as it comes, for whoever follows a long run
            print(f"    {line}", end="", file=sys.stderr, flush=True)
            if line.strip():
                log.append(line.rstrip("\n"))
    text = report.read_text()
    report.unlink()
    seconds, kilobytes = text.split()[-2:]
    killed = re.search(r"terminated by signal (\d+)", text)
    return Stage(
        seconds=float(seconds),
        peak_mb=int(kilobytes) / 1024,
        status=process.returncode,
        log=log,
        signal=int(killed.group(1)) if killed else None,
    )


def progress(message: str) -> None:
    """A line on stderr, with the time, for whoever watches a long run."""
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def run_pipeline(config: Config, rows: int | None = None) -> Run:
    """Run every stage of ``config`` at ``rows`` (default its own), stopping at a failure.

    The run's files are measured, then deleted.
    """
    rows = rows or config.rows
    set_rows(config.project, rows)
    set_matrix(config.project, config.matrix or "auto")
    stages: dict[str, Stage] = {}
    for name in config.stages:
        stage = stages[name] = run_stage(config.project, name)
        verdict = "" if stage.ok else f", FAILED (exit {stage.status}, signal {stage.signal})"
        progress(f"  {config.name} {label(rows)} {name}: {stage.seconds:.1f} s, {stage.peak_mb:.0f} MB{verdict}")
        if not stage.ok:
            break
    metrics_file = config.project / "dvclive/evaluate/metrics.json"
    metrics = None
    if all(s.ok for s in stages.values()) and metrics_file.exists():
        metrics = json.loads(metrics_file.read_text())
    raw = config.project / "data/raw.parquet"
    raw_mb = raw.stat().st_size / MB if raw.exists() else None
    return Run(stages, metrics, raw_mb, delete_new_files(config.project, config.untouched))


def set_matrix(project: Path, matrix: str) -> None:
    """Set train.matrix in params.yaml, if the project has it."""
    text = re.sub(r"(\n  matrix:\s*)\w+", rf"\g<1>{matrix}", read_params(project), count=1)
    (project / "params.yaml").write_text(text)


def prepare_config(name: str, project: Path, rows: int) -> tuple[Config, Run]:
    """A config for ``project``, and its first run, small, which warms the bytecode cache up."""
    config = Config(name, project, stage_names(project), rows, n_features(project), paths(project))
    progress(f"warming up {name} ({project})")
    warm = run_pipeline(config, WARM_UP_ROWS)
    if warm.failed:
        stage = warm.stages[warm.failed]
        sys.exit(
            f"ERROR: the {name} pipeline's {warm.failed} stage fails at {WARM_UP_ROWS} rows "
            f"(exit {stage.status}):\n" + "\n".join(stage.log[-10:])
        )
    return config, warm


def medians(config: Config) -> tuple[dict[str, Stage], float, float]:
    """Per stage the median seconds and peak; the median end-to-end seconds; the max peak.

    A configuration with a failed run shows that run instead.
    """
    runs = [config.failed] if config.failed else config.runs
    stages = {
        name: Stage(
            statistics.median(r.stages[name].seconds for r in runs),
            statistics.median(r.stages[name].peak_mb for r in runs),
            runs[0].stages[name].status,
            runs[-1].stages[name].log,
            runs[0].stages[name].signal,
        )
        for name in config.stages
        if name in runs[0].stages
    }
    total = statistics.median(sum(s.seconds for s in r.stages.values()) for r in runs)
    return stages, total, max(s.peak_mb for s in stages.values())


def ratio(a: float, b: float) -> str:
    """a / b as '1.23x'."""
    return f"{a / b:.2f}x"


def stage_order(configs: list[Config]) -> list[str]:
    """Every stage of the configurations, in the pipeline's order (that of the one with the most)."""
    longest = max((c.stages for c in configs), key=len)
    return list(dict.fromkeys((*longest, *(s for c in configs for s in c.stages))))


def side_by_side(configs: list[Config]) -> list[str]:
    """The stage-by-stage table of every configuration, with metrics and file sizes."""
    stages = stage_order(configs)
    summary = {c.title: medians(c) for c in configs}
    header = " | ".join(f"{c.title} s | peak MB | peak / raw" for c in configs)
    lines = [f"| stage | {header} |", "|---|" + "---:|---:|---:|" * len(configs)]
    for stage in stages:
        cells = []
        for c in configs:
            s = summary[c.title][0].get(stage)
            if s is None:
                cells.append("not run | - | -" if stage in c.stages else "no such stage | - | -")
            else:
                flag = "" if s.ok else " (failed)"
                cells.append(f"{s.seconds:.1f}{flag} | {s.peak_mb:.0f} | {ratio(s.peak_mb, c.raw_mb)}")
        lines.append(f"| {stage} | {' | '.join(cells)} |")
    cells = []
    for c in configs:
        _, total, peak = summary[c.title]
        end = "failed" if c.failed else f"**{total:.1f}**"
        cells.append(f"{end} | **{peak:.0f}** | **{ratio(peak, c.raw_mb)}**")
    lines.append(f"| **end to end** | {' | '.join(cells)} |")
    last = [c.failed or c.runs[-1] for c in configs]  # metrics and sizes do not vary between runs
    for key, name in (("roc_auc", "test ROC-AUC"), ("average_precision", "test average precision")):
        values = [f"{r.metrics[key]:.4f}" if r.metrics else "-" for r in last]
        lines.append(f"| {name} | {' | | | '.join(values)} | | |")
    sizes = [f"{r.raw_parquet_mb:.0f}" if r.raw_parquet_mb is not None else "-" for r in last]
    lines.append(f"| data/raw.parquet MB | {' | | | '.join(sizes)} | | |")
    sizes = [f"{r.files_mb:.0f}" for r in last]
    lines.append(f"| all files of a run MB | {' | | | '.join(sizes)} | | |")
    return lines


def time_ratios(memory: Config, streaming: Config) -> list[str]:
    """Streaming / in-memory wall time, stage by stage and end to end, at the same size."""
    (m, m_total, _), (s, s_total, _) = medians(memory), medians(streaming)
    lines = [
        f"| {label(memory.rows)} rows | in-memory s | streaming s | streaming / in-memory |",
        "|---|---:|---:|---:|",
    ]
    for stage in stage_order([memory, streaming]):
        if stage in m and stage in s and m[stage].ok and s[stage].ok:
            lines.append(f"| {stage} | {m[stage].seconds:.1f} | {s[stage].seconds:.1f} | "
                         f"{ratio(s[stage].seconds, m[stage].seconds)} |")  # fmt: skip
    if memory.failed or streaming.failed:
        lines.append("| **end to end** | | | a run failed |")
    else:
        lines.append(f"| **end to end** | **{m_total:.1f}** | **{s_total:.1f}** | **{ratio(s_total, m_total)}** |")
    return lines


def targets(configs: list[Config], floor: Run) -> list[str]:
    """Each stage's peak / raw array against the target, for every configuration."""
    header = " | ".join(f"{c.title} peak / raw | ≤ {TARGET}x" for c in configs)
    small = f"peak at {label(WARM_UP_ROWS)} rows MB"
    lines = [f"| stage | {header} | {small} |", "|---|" + "---:|---|" * len(configs) + "---:|"]
    summary = {c.title: medians(c)[0] for c in configs}
    for stage in stage_order(configs):
        cells = []
        for c in configs:
            s = summary[c.title].get(stage)
            if s is None or not s.ok:
                cells.append("failed | missed" if s else "- | -")
            else:
                share = s.peak_mb / c.raw_mb
                cells.append(f"{share:.2f}x | {'met' if share <= TARGET else 'missed'}")
        fixed = f"{floor.stages[stage].peak_mb:.0f}" if stage in floor.stages else "-"
        lines.append(f"| {stage} | {' | '.join(cells)} | {fixed} |")
    budgets = {label(c.rows): TARGET * c.raw_mb for c in configs if c.name == "streaming"}
    budget = ", ".join(f"{mb:.0f} MB at {rows}" for rows, mb in budgets.items())
    lines += ["", f"Target: each stage's peak RSS at most {TARGET}x the raw array ({budget})."]
    return lines


def growth(small: Config, large: Config) -> str:
    """How the streaming pipeline's time and peak grow from the small size to the large one."""
    (_, a_total, a_peak), (_, b_total, b_peak) = medians(small), medians(large)
    return (
        f"From {label(small.rows)} to {label(large.rows)} rows ({large.rows / small.rows:g}x the data), the "
        f"streaming pipeline's end-to-end time grows {ratio(b_total, a_total)} and its highest peak "
        f"{ratio(b_peak, a_peak)}."
    )


def failures(configs: list[Config]) -> list[str]:
    """What failed, with the last lines of its output."""
    lines = []
    for c in configs:
        if run := c.failed:
            stage = run.stages[run.failed]
            how = f"killed by signal {stage.signal}" if stage.signal else f"exit {stage.status}"
            hint = ", probably out of memory" if stage.signal == 9 else ""
            lines += [
                f"**{c.title}: {run.failed} failed** ({how}{hint}) after {stage.seconds:.1f} s at "
                f"{stage.peak_mb:.0f} MB; its last lines:",
                "",
                "```",
                *stage.log[-10:],
                "```",
                "",
            ]
    return lines


def last_log_lines(configs: list[Config]) -> list[str]:
    """The last log line of each stage in the last run of each configuration, and its last progress line."""
    lines = []
    for c in configs:
        run_ = c.failed or c.runs[-1]
        for name, stage in run_.stages.items():
            last = stage.log[-1].strip() if stage.log else "(no output)"
            lines.append(f"- {c.title}, {name}: `{last[:200]}`")
            ticks = [line.strip() for line in stage.log if PROGRESS.search(line)]
            if ticks and ticks[-1] != last:
                lines.append(f"  (last progress line: `{ticks[-1][:200]}`)")
    return lines


def machine() -> str:
    """CPUs, RAM and load average, e.g. '2 CPUs, 23 GB RAM, load average 0.5/0.4/0.3'."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {ram:.0f} GB RAM, load average {load}"


def main() -> None:
    """Parse the arguments, bake both pipelines, run every configuration, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="d94b2c2", help="revision of the in-memory pipeline (default d94b2c2)")
    parser.add_argument("--rows-small", type=rows_arg, default=10**7, help="rows of both pipelines (default 1e7)")
    parser.add_argument("--large-rows", type=rows_arg, default=10**8, help="rows of the large run (default 1e8)")
    parser.add_argument("--skip-large", action="store_true", help="leave out the large run")
    parser.add_argument("--repeats", type=int, default=1, help="runs per figure at --rows-small (median; default 1)")
    parser.add_argument("--work", type=Path, help="folder for the bakes and data (default: a temporary folder)")
    # Bake the streaming side from a revision rather than the working tree: to try this script
    # while the working tree is mid-change.
    parser.add_argument("--streaming-rev", help=argparse.SUPPRESS)
    args = parser.parse_args()

    parent = args.work or Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    check_disk(parent, args.rows_small if args.skip_large else max(args.rows_small, args.large_rows))
    baseline = describe_revision(args.baseline)
    streaming_source = (
        f"the template at {describe_revision(args.streaming_rev)}"
        if args.streaming_rev
        else f"the template's working tree ({describe_working_tree()})"
    )
    command = shlex.join([os.path.relpath(sys.executable), *sys.argv])
    lines = [
        f"# Scale benchmark: in-memory vs streaming ({time.strftime('%Y-%m-%d %H:%M')}, {machine()} at start)",
        "",
        f"`{command}`",
        "",
    ]
    work = Path(tempfile.mkdtemp(prefix="scale-bench-", dir=parent))
    try:
        progress(f"baking into {work}")
        memory_project = bake_revision(args.baseline, work)
        streaming_project = bake_revision(args.streaming_rev, work) if args.streaming_rev else bake(work)
        memory, _ = prepare_config("in-memory", memory_project, args.rows_small)
        streaming, floor = prepare_config("streaming", streaming_project, args.rows_small)
        for i in range(args.repeats):  # the two take turns, so that a slow spell of a shared machine hits both
            for config in (memory, streaming):
                if not config.failed:
                    progress(f"{config.title}, run {i + 1} of {args.repeats}")
                    config.runs.append(run_pipeline(config))
        configs = [memory, streaming]
        if not streaming.failed and "\n  matrix:" in read_params(streaming_project):
            disk = Config("streaming", streaming_project, streaming.stages, args.rows_small,
                          streaming.features, streaming.untouched, matrix="disk")  # fmt: skip
            progress(f"{disk.title}, one run")
            disk.runs.append(run_pipeline(disk))
            configs.append(disk)
        if not args.skip_large and not streaming.failed:
            large = Config("streaming", streaming_project, streaming.stages, args.large_rows,
                           streaming.features, streaming.untouched)  # fmt: skip
            progress(f"{large.title}, one run")
            large.runs.append(run_pipeline(large))
            configs.append(large)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines += [
        f"- **in-memory**: the template at {baseline}; {label(args.rows_small)} rows, "
        f"median of {args.repeats} run{'s' * (args.repeats != 1)}",
        f"- **streaming**: {streaming_source}; {label(args.rows_small)} rows, median of {args.repeats} "
        f"run{'s' * (args.repeats != 1)}, train.matrix auto"
        + "".join(f"; {c.title}: train.matrix {c.matrix or 'auto'}, one run" for c in configs[2:]),
        f"- {memory.features} features; raw array = rows x features x 8 bytes (float64): "
        + ", ".join(f"{mb:.0f} MB at {rows}" for rows, mb in {label(c.rows): c.raw_mb for c in configs}.items()),
        "- peak = peak RSS of the stage's process (/usr/bin/time %M); MB = 2^20 bytes",
        "",
        "## Stage by stage",
        "",
        *side_by_side(configs),
        "",
        *failures(configs),
        "## Summary",
        "",
        *time_ratios(memory, streaming),
        "",
        *targets(configs[1:], floor),
        "",
        f"`peak at {label(WARM_UP_ROWS)} rows`: each streaming stage's peak on next to no data, the part of "
        "its peak that does not grow with the rows (Python, its libraries, fixed buffers).",
        "",
    ]
    if configs[-1].rows != streaming.rows and not configs[-1].failed:
        lines += [growth(streaming, configs[-1]), ""]
    lines += [
        "## Last log line of each stage (last run)",
        "",
        *last_log_lines(configs),
        "",
        f"Load average at the end: {'/'.join(f'{x:.1f}' for x in os.getloadavg())}.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
