"""Benchmark the baked DVC pipeline against the simplest scripts doing the same work.

Bakes a fresh project from this template in a temporary directory and prints a Markdown
table, each figure next to its comparison measured in the same run (medians over
--repeats runs):

1. cold `dvc repro` of the default bake (1e5 rows) vs four bare standalone scripts, with
   all bytecode cached, and as installed on a machine that writes no bytecode;
2. a no-op `dvc repro`, and a one-parameter `dvc exp run -S train.xgboost.max_depth=...`;
3. each stage's wall time and peak RSS at each --rows size (`python -m fraud_detection.<stage>`
   under /usr/bin/time), and average precision, vs "the seeds' way" (np.savetxt /
   np.genfromtxt text files and a RandomForestClassifier, on the rows the pipeline makes;
   skipped above 1e6 rows);
4. growth of time and peak memory between consecutive sizes.

Except in the "as installed" half of 1, Python bytecode is cached in a temporary folder
(PYTHONPYCACHEPREFIX) and warmed up by an unmeasured run first, so that a shell with
PYTHONDONTWRITEBYTECODE=1 does not add seconds of compiling to every process on either side.

Run from the template's root, with its virtualenv:

    .venv/bin/python benchmarks/pipeline.py [--rows 1e5,1e6] [--repeats 3] [--repeats-large 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin: python, dvc, cookiecutter
STAGES = ("get_data", "prepare", "train", "evaluate")
FEATURES = 20  # get_data.n_features of the default bake, and of the scripts below
NOOP_REPEATS = 10  # a no-op takes a second: cheap to repeat, and noisy on a shared machine
SEEDS_MAX_ROWS = 1_000_000  # the seeds' way needs ~27 GB at 1e7 rows
PYCACHE = Path(tempfile.gettempdir()) / "pipeline-bench-pycache"  # kept between runs

# The simplest scripts a user would write for the same four steps, top-level imports.
BARE = {
    "get_data": """
import pandas as pd
from sklearn.datasets import make_classification
X, y = make_classification(n_samples={rows}, n_features=20, n_informative=10, n_redundant=2,
                           weights=[0.97], class_sep=0.8, random_state=42)
df = pd.DataFrame(X, columns=[f"f{{i}}" for i in range(20)])
df["is_fraud"] = y
df.to_parquet("raw.parquet")
""",
    "prepare": """
import pandas as pd
from sklearn.model_selection import train_test_split
df = pd.read_parquet("raw.parquet")
train, test = train_test_split(df, test_size=0.2, stratify=df["is_fraud"], random_state=42)
train.to_parquet("train.parquet")
test.to_parquet("test.parquet")
""",
    "train": """
import joblib
import pandas as pd
from xgboost import XGBClassifier
df = pd.read_parquet("train.parquet")
model = XGBClassifier(tree_method="hist", n_estimators={n_estimators}, max_depth={max_depth},
                      learning_rate={learning_rate}, random_state=42)
model.fit(df.drop(columns="is_fraud"), df["is_fraud"])
joblib.dump(model, "model.joblib")
""",
    "evaluate": """
import json
import joblib
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score
df = pd.read_parquet("test.parquet")
model = joblib.load("model.joblib")
p = model.predict_proba(df.drop(columns="is_fraud"))[:, 1]
y = df["is_fraud"]
json.dump({{"roc_auc": roc_auc_score(y, p), "average_precision": average_precision_score(y, p)}},
          open("metrics.json", "w"))
""",
}

# "The seeds' way": text files through np.savetxt / np.genfromtxt and a random forest, on
# the very rows the pipeline makes (its generator, same seed), so average precision compares.
SEEDS = {
    "get_data": """
import numpy as np
from fraud_detection.synthetic import make_synthetic
table = make_synthetic(n_samples={rows}, n_features=20, positive_rate=0.03, seed=42)
np.savetxt("raw.csv", np.column_stack([c.to_numpy() for c in table.columns]), delimiter=",")
""",
    "prepare": """
import numpy as np
from sklearn.model_selection import train_test_split
data = np.genfromtxt("raw.csv", delimiter=",")
train, test = train_test_split(data, test_size=0.2, stratify=data[:, -1], random_state=42)
np.savetxt("train.csv", train, delimiter=",")
np.savetxt("test.csv", test, delimiter=",")
""",
    "train": """
import pickle
import numpy as np
from sklearn.ensemble import RandomForestClassifier
data = np.genfromtxt("train.csv", delimiter=",")
model = RandomForestClassifier(max_depth=5, n_estimators=100, n_jobs=-1, random_state=42)
model.fit(data[:, :-1], data[:, -1])
pickle.dump(model, open("model.pkl", "wb"))
""",
    "evaluate": """
import json
import pickle
import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
data = np.genfromtxt("test.csv", delimiter=",")
model = pickle.load(open("model.pkl", "rb"))
p = model.predict_proba(data[:, :-1])[:, 1]
y = data[:, -1]
json.dump({{"roc_auc": roc_auc_score(y, p), "average_precision": average_precision_score(y, p)}},
          open("metrics.json", "w"))
""",
}


def environment(project: Path | None = None, bytecode: str = "cached") -> dict[str, str]:
    """The environment for every command: the venv first on PATH, no DVC analytics.

    ``bytecode`` says how Python finds compiled modules:
    - "cached": every module is compiled once into PYCACHE and reused, by the pipeline and
      the scripts alike (the fair comparison of the code itself);
    - "installed": PYTHONDONTWRITEBYTECODE=1 and only the bytecode the install compiled
      (the baked project's `uv sync` compiles the libraries; its own modules compile each run);
    - "none": PYTHONDONTWRITEBYTECODE=1 and no compiled bytecode at all, as for libraries
      installed with uv's default on a machine that writes no bytecode (like this one, and
      many container images): every import compiles, every run.
    """
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if bytecode == "cached":
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        if bytecode == "none":  # Python then looks for bytecode only under an empty folder
            env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pipeline-bench-no-bytecode")
    if project is not None:
        env["PYTHONPATH"] = str(project / "src")
    return env


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run ``command``; return (wall seconds, combined output); fail loudly if it fails."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed in {cwd}:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout + result.stderr


def measured(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` under /usr/bin/time; return (wall seconds, peak RSS in MB)."""
    report = cwd / ".time"
    run(["/usr/bin/time", "-o", str(report), "-f", "%e %M", *command], cwd, env)
    seconds, kilobytes = report.read_text().split()[-2:]
    report.unlink()
    return float(seconds), int(kilobytes) / 1024


def bake(into: Path) -> Path:
    """Bake the default project into a new folder under ``into``; return the project dir."""
    target = Path(tempfile.mkdtemp(prefix="bake-", dir=into))
    run([str(BIN / "cookiecutter"), "--no-input", "-o", str(target), str(TEMPLATE)], into,
        environment())  # fmt: skip
    project = target / "fraud-detection"
    for key, value in (("user.name", "Benchmark"), ("user.email", "benchmark@example.invalid")):
        if subprocess.run(["git", "config", key], cwd=project, capture_output=True).returncode:
            run(["git", "config", key, value], project, environment())
    return project


def read_params(project: Path) -> str:
    """The text of the project's params.yaml."""
    return (project / "params.yaml").read_text()


def xgboost_settings(project: Path) -> dict[str, str]:
    """n_estimators, max_depth and learning_rate of train.xgboost in params.yaml."""
    section = read_params(project).split("xgboost:", 1)[1]
    keys = ("n_estimators", "max_depth", "learning_rate")
    return {key: re.search(rf"{key}:\s*([\d.]+)", section).group(1) for key in keys}


def set_rows(project: Path, rows: int) -> None:
    """Set get_data.n_samples in params.yaml."""
    text = re.sub(r"(n_samples:\s*)\d+", rf"\g<1>{rows}", read_params(project), count=1)
    (project / "params.yaml").write_text(text)


def write_scripts(folder: Path, scripts: dict[str, str], **values: object) -> Path:
    """Write one script per stage into ``folder`` (created), filling in ``values``."""
    folder.mkdir(parents=True, exist_ok=True)
    for stage, code in scripts.items():
        (folder / f"{stage}.py").write_text(code.format(**values).lstrip())
    return folder


def scripts_run(folder: Path, bytecode: str = "cached", project: Path | None = None) -> dict[str, tuple[float, float]]:
    """Run the four scripts in ``folder`` as separate processes: {stage: (seconds, peak MB)}.

    With ``project``, the scripts can import its package (the seeds' way uses its generator).
    """
    env = environment(project, bytecode)
    return {stage: measured([str(BIN / "python"), f"{stage}.py"], folder, env) for stage in STAGES}


def pipeline_run(project: Path) -> dict[str, tuple[float, float]]:
    """Run each stage module of the project: {stage: (seconds, peak MB)}."""
    env = environment(project)
    return {stage: measured([str(BIN / "python"), "-m", f"fraud_detection.{stage}"], project, env) for stage in STAGES}


def label(rows: int) -> str:
    """A row count as 1e5, 1e6, ... (or as is if not a power of ten)."""
    mantissa, exponent = f"{rows:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def median_runs(runs: list[dict[str, tuple[float, float]]]) -> dict[str, tuple[float, float]]:
    """Per stage, the median seconds and median peak MB over ``runs``."""
    return {
        stage: (
            statistics.median(r[stage][0] for r in runs),
            statistics.median(r[stage][1] for r in runs),
        )
        for stage in STAGES
    }


def average_precision(path: Path) -> float:
    """average_precision from a metrics JSON file."""
    return json.loads(path.read_text())["average_precision"]


def dvc(project: Path, *args: str, bytecode: str = "cached") -> tuple[float, str]:
    """Run a dvc command in ``project``; return (wall seconds, output)."""
    return run([str(BIN / "dvc"), *args], project, environment(project, bytecode))


def ran_stages(output: str) -> str:
    """The stages DVC says it ran, e.g. 'train+evaluate'."""
    return "+".join(re.findall(r"Running stage '(\w+)'", output)) or "none"


def warm_up(work: Path) -> None:
    """Run everything once, small and unmeasured, to fill the bytecode cache."""
    project = bake(work)
    set_rows(project, 1000)
    dvc(project, "repro")
    scripts_run(write_scripts(work / "warm-bare", BARE, rows=1000, **xgboost_settings(project)))
    scripts_run(write_scripts(work / "warm-seeds", SEEDS, rows=1000), project=project)


def section_repro(work: Path, repeats: int) -> tuple[list[str], Path]:
    """Cold `dvc repro` of a fresh bake vs the bare scripts; return lines and the last project.

    Measured twice: with all bytecode cached (the code against the code), and as installed
    on a machine that writes no bytecode (the baked project compiles its libraries at install).
    """
    times: dict[tuple[str, str], list[float]] = {}
    for i in range(repeats):
        for bytecode, bare_bytecode in (("cached", "cached"), ("installed", "none")):
            project = bake(work)
            seconds, _ = dvc(project, "repro", bytecode=bytecode)
            times.setdefault(("pipeline", bytecode), []).append(seconds)
            folder = write_scripts(work / f"bare-{bare_bytecode}-{i}", BARE, rows=100_000, **xgboost_settings(project))
            bare = sum(s for s, _ in scripts_run(folder, bare_bytecode).values())
            times.setdefault(("bare", bare_bytecode), []).append(bare)
    median = {key: statistics.median(values) for key, values in times.items()}
    ap_pipeline = average_precision(project / "dvclive/evaluate/metrics.json")
    ap_bare = average_precision(folder / "metrics.json")
    p, b = median["pipeline", "cached"], median["bare", "cached"]
    pi, bn = median["pipeline", "installed"], median["bare", "none"]
    lines = [
        "## 1. Cold run, default bake (1e5 rows)",
        "",
        "| | wall s | average precision |",
        "|---|---:|---:|",
        f"| `dvc repro` (fresh bake) | {p:.1f} | {ap_pipeline:.4f} |",
        f"| bare scripts (4 processes) | {b:.1f} | {ap_bare:.4f} |",
        f"| ratio pipeline / bare | {p / b:.2f}x | |",
        "",
        "Both with every module's bytecode compiled beforehand. As installed, on a machine",
        "that writes no bytecode (PYTHONDONTWRITEBYTECODE=1, as this one and many container",
        "images), where the baked project's `uv sync` compiled its libraries",
        "(`compile-bytecode = true`) and the scripts' libraries were installed by uv's default:",
        "",
        "| | wall s |",
        "|---|---:|",
        f"| `dvc repro` (fresh bake) | {pi:.1f} |",
        f"| bare scripts (4 processes) | {bn:.1f} |",
        f"| ratio pipeline / bare | {pi / bn:.2f}x |",
        "",
    ]
    return lines, project


def section_incremental(project: Path, repeats: int) -> list[str]:
    """No-op `dvc repro` and a one-parameter `dvc exp run` in an already reproduced project."""
    run(["git", "add", "-A"], project, environment())
    run(["git", "commit", "-qm", "Reproduce the pipeline"], project, environment())
    noops = [dvc(project, "repro") for _ in range(max(repeats, NOOP_REPEATS))]
    noop = [seconds for seconds, _ in noops]
    depths = [d for d in range(3, 12) if str(d) != xgboost_settings(project)["max_depth"]]
    exp, stages = [], set()
    for depth in depths[:repeats]:  # a new value each time, so the run-cache cannot answer
        seconds, output = dvc(project, "exp", "run", "-S", f"train.xgboost.max_depth={depth}")
        exp.append(seconds)
        stages.add(ran_stages(output))
    return [
        "## 2. Incremental runs (1e5 rows)",
        "",
        "| | wall s | stages run |",
        "|---|---:|---|",
        f"| no-op `dvc repro` | {statistics.median(noop):.1f} | {ran_stages(noops[-1][1])} |",
        f"| `dvc exp run -S train.xgboost.max_depth=N` | {statistics.median(exp):.1f} | {', '.join(sorted(stages))} |",
        "",
    ]


def file_sizes(project: Path) -> str:
    """Sizes of the pipeline's outputs that grow with the data, in MB."""
    paths = [
        "data/raw.parquet",
        "data/prepared/train.parquet",
        "data/prepared/test.parquet",
        "models/model.joblib",
        *sorted(p.relative_to(project).as_posix() for p in (project / "dvclive/evaluate/plots").glob("*/*.json")),
    ]
    return ", ".join(f"{p} {(project / p).stat().st_size / 1e6:.2f}" for p in paths)


def section_sizes(work: Path, sizes: list[int], repeats: int, repeats_large: int) -> tuple[list[str], dict]:
    """Per stage time and peak RSS at each size, pipeline vs the seeds' way."""
    project = bake(work)
    results: dict[int, dict[str, dict]] = {}
    lines: list[str] = []
    for rows in sizes:
        n = repeats_large if rows >= 1_000_000 else repeats
        set_rows(project, rows)
        pipeline = median_runs([pipeline_run(project) for _ in range(n)])
        ap = average_precision(project / "dvclive/evaluate/metrics.json")
        results[rows] = {"pipeline": pipeline}
        seeds, ap_seeds = None, None
        if rows <= SEEDS_MAX_ROWS:
            folder = write_scripts(work / f"seeds-{rows}", SEEDS, rows=rows)
            seeds = median_runs([scripts_run(folder, project=project) for _ in range(n)])
            ap_seeds = average_precision(folder / "metrics.json")
            results[rows]["seeds"] = seeds
        raw_mb = rows * FEATURES * 8 / 2**20  # the data as one float64 array
        lines += [
            f"## 3. End to end, {label(rows)} rows (stage by stage, medians of {n})",
            "",
            f"Raw array ({label(rows)} x {FEATURES} float64): {raw_mb:.0f} MB.",
            "",
            "| stage | pipeline s | pipeline peak MB | peak / raw array | seeds' way s | seeds' way peak MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for stage in STAGES:
            s = f"{seeds[stage][0]:.1f} | {seeds[stage][1]:.0f}" if seeds else "skipped | skipped"
            seconds, peak = pipeline[stage]
            lines.append(f"| {stage} | {seconds:.1f} | {peak:.0f} | {peak / raw_mb:.2f}x | {s} |")
        total = sum(t for t, _ in pipeline.values())
        peak = max(m for _, m in pipeline.values())
        if seeds:
            seeds_total = sum(t for t, _ in seeds.values())
            seeds_peak = max(m for _, m in seeds.values())
            lines += [
                f"| **total / max** | **{total:.1f}** | **{peak:.0f}** | **{peak / raw_mb:.2f}x** "
                f"| **{seeds_total:.1f}** | **{seeds_peak:.0f}** |",
                f"| average precision | {ap:.4f} | | | {ap_seeds:.4f} | |",
                "",
                f"End to end, seeds' way / pipeline: {seeds_total / total:.2f}x time, "
                f"{seeds_peak / peak:.2f}x peak memory.",
            ]
        else:
            lines += [
                f"| **total / max** | **{total:.1f}** | **{peak:.0f}** | **{peak / raw_mb:.2f}x** | | |",
                f"| average precision | {ap:.4f} | | | | |",
            ]
        lines += ["", f"Output sizes (MB): {file_sizes(project)}", ""]
    return lines, results


def section_growth(results: dict) -> list[str]:
    """Ratio of time and peak memory between consecutive sizes, per stage and in total."""
    sizes = sorted(results)
    lines = ["## 4. Growth between consecutive sizes (time x, peak memory x)", ""]
    for way in ("pipeline", "seeds"):
        steps = [(a, b) for a, b in itertools.pairwise(sizes) if way in results[b]]
        if not steps:
            continue
        header = " | ".join(f"{label(a)} -> {label(b)} time | mem" for a, b in steps)
        lines += [f"| {way} stage | {header} |", "|---|" + "---:|---:|" * len(steps)]
        for stage in (*STAGES, "total"):
            cells = []
            for a, b in steps:
                before, after = results[a][way], results[b][way]
                if stage == "total":
                    t = sum(x for x, _ in after.values()) / sum(x for x, _ in before.values())
                    m = max(y for _, y in after.values()) / max(y for _, y in before.values())
                else:
                    t = after[stage][0] / before[stage][0]
                    m = after[stage][1] / before[stage][1]
                cells.append(f"{t:.1f}x | {m:.1f}x")
            lines.append(f"| {stage} | {' | '.join(cells)} |")
        lines.append("")
    return lines


def main() -> None:
    """Parse the arguments, run the four sections, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1e5,1e6", help="comma-separated sizes (default 1e5,1e6)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--repeats-large", type=int, help="runs per figure from 1e6 rows on (default --repeats)")
    args = parser.parse_args()
    sizes = sorted(int(float(size)) for size in args.rows.split(","))

    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        lines = [
            f"# Pipeline benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
            f"load average {load} at start)",
            "",
        ]
        warm_up(work)
        repro_lines, project = section_repro(work, args.repeats)
        lines += repro_lines + section_incremental(project, args.repeats)
        size_lines, results = section_sizes(work, sizes, args.repeats, args.repeats_large or args.repeats)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        lines += size_lines + section_growth(results) + [f"Load average at the end: {load}."]
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
