"""What the data check costs next to reading the data: check_data beside get_data, at --rows.

    .venv/bin/python benchmarks/data_check.py [--rows 1e7] [--repeats 1]

Bakes the default project in a temporary folder, sets get_data.n_samples to --rows, runs
`dvc repro check_data` and commits, so that HEAD holds a profile as it does on every day
after the first. Then, --repeats times, it runs get_data and check_data as their own
processes (`python -m fraud_detection.<stage>`, as benchmarks/pipeline.py measures stages)
under /usr/bin/time: check_data reads data/raw.parquet a row group at a time, learns its
profile and compares it with HEAD's. It prints each one's median wall time and peak RSS,
and check_data's against get_data's: the bar is a peak no higher than get_data's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from pipeline import BIN, bake, environment, label, measured, run, set_rows

STAGES = ("get_data", "check_data")


def main() -> None:
    """Bake, run once and commit, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda text: int(float(text)), default=10_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="data-check-") as scratch:
        project = bake(Path(scratch))
        env = environment(project)
        set_rows(project, args.rows)
        run([str(BIN / "dvc"), "repro", "check_data"], project, env)
        run(["git", "add", "-A"], project, env)
        run(["git", "commit", "-qm", "A day of data and its profile"], project, env)
        runs = [
            {stage: measured([str(BIN / "python"), "-m", f"fraud_detection.{stage}"], project, env) for stage in STAGES}
            for _ in range(args.repeats)
        ]
    figures = {
        stage: (statistics.median(r[stage][0] for r in runs), statistics.median(r[stage][1] for r in runs))
        for stage in STAGES
    }
    print(f"{label(args.rows)} rows x 20 features, median of {args.repeats}:\n")
    print("| stage | wall time | peak RSS |")
    print("|---|---:|---:|")
    for stage, (seconds, peak) in figures.items():
        print(f"| {stage} | {seconds:.1f} s | {peak:.0f} MB |")
    (read, read_peak), (check, check_peak) = figures["get_data"], figures["check_data"]
    print(f"\ncheck_data / get_data: {check / read:.2f}x the time, {check_peak / read_peak:.2f}x the peak")


if __name__ == "__main__":
    main()
