"""Benchmark what it costs to see whether the data changed, for each kind of source.

Bakes a project, then for each kind of source (the synthetic default, a local CSV file, the
same file over HTTP and in S3 on 127.0.0.1, a SQLite and a PostgreSQL table on 127.0.0.1)
holding --rows orders, prints medians over --repeats runs of:

- `check_source`: the check that runs on every `dvc repro` (fingerprint only);
- `get_data`: reading the whole source, what every run would cost without the check;
- a no-op `dvc repro` (nothing changed at the source), and the stages it ran.

The servers are the template's test servers (tests/), started on 127.0.0.1 and stopped
at the end. Run from the template's root, with its virtualenv:

    .venv/bin/python benchmarks/freshness.py [--rows 1e6] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

TEMPLATE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(TEMPLATE / "tests"))

from http_server import HttpServer  # noqa: E402
from pg_server import PostgresServer  # noqa: E402
from s3_server import S3Server  # noqa: E402


def orders(rows: int, seed: int = 0) -> pd.DataFrame:
    """Fraud-like orders with a time column, one a minute."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, rows).round(2),
            "age": rng.normal(40, 12, rows).round(1),
            "country": rng.choice(["NL", "DE", "FR", "BE"], rows),
            "created": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(rows), unit="min"),
            "status": np.where(rng.random(rows) < 0.05, "fraud", "ok"),
        }
    )


def sh(project: Path, *command: str, env: dict[str, str]) -> tuple[float, str]:
    """Run a command in ``project``; return its wall time and output."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def median_time(repeats: int, project: Path, *command: str, env: dict[str, str]) -> float:
    """The median wall time of ``command`` over ``repeats`` runs."""
    return statistics.median(sh(project, *command, env=env)[0] for _ in range(repeats))


def set_source(project: Path, **values: str) -> None:
    """Point get_data at a source of orders."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params["get_data"].update({"label_column": "status", "positive_label": "fraud", "query": "", **values})
    timed = bool(values.get("source"))  # synthetic data has no time column
    params["prepare"].update(split="time" if timed else "random", time_column="created" if timed else "")
    params["train"]["xgboost"]["n_estimators"] = 10
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def main() -> None:
    """Parse the arguments, set up each source, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6, help="orders in each source")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    rows = int(args.rows)

    work = Path(tempfile.mkdtemp(prefix="freshness-bench-"))
    subprocess.run([BIN / "cookiecutter", TEMPLATE, "--no-input", "-o", work], check=True, capture_output=True)
    project = work / "fraud-detection"
    frame = orders(rows)
    data = work / "www"
    data.mkdir()
    frame.to_csv(data / "orders.csv", index=False)
    with sqlite3.connect(work / "orders.db") as connection:
        frame.assign(created=frame["created"].astype(str)).to_sql("orders", connection, index=False)

    s3 = S3Server(work / "s3").start()
    http = HttpServer(data).start()
    postgres = PostgresServer(work / "postgres").start()
    try:
        s3.make_bucket("orders")
        import s3fs

        fs = s3fs.S3FileSystem(key=s3.access_key, secret=s3.secret_key, endpoint_url=s3.endpoint)
        fs.put_file(str(data / "orders.csv"), "orders/orders.csv")
        with postgres.connect() as connection:
            connection.execute(
                "CREATE TABLE orders (amount REAL, age REAL, country TEXT, created TIMESTAMP, status TEXT)"
            )
            with connection.cursor().copy("COPY orders FROM STDIN") as copy:
                for row in frame.itertuples(index=False):
                    copy.write_row(row)

        base_env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(project / "src"),
            "DVC_NO_ANALYTICS": "1",
            **s3.credentials(with_endpoint=True),
            **postgres.env(),
        }
        kinds = {
            "synthetic (default)": {"source": ""},
            "local CSV file": {"source": str(data / "orders.csv")},
            "CSV over HTTP": {"source": http.url("orders.csv")},
            "CSV in S3": {"source": "s3://orders/orders.csv"},
            "SQLite table": {"source": f"sqlite:///{work / 'orders.db'}", "query": "SELECT * FROM orders"},
            "PostgreSQL table": {"source": postgres.url(), "query": "SELECT * FROM orders"},
        }
        print(f"{rows:,} orders per source ({(data / 'orders.csv').stat().st_size / 1e6:.0f} MB as CSV); "
              f"medians of {args.repeats} runs\n")  # fmt: skip
        print("| source | check_source | get_data (whole read) | no-op `dvc repro` | stages it ran |")
        print("|---|---:|---:|---:|---|")
        for kind, values in kinds.items():
            set_source(project, **values)
            sh(project, "git", "commit", "-qam", kind, env=base_env)
            sh(project, "dvc", "repro", env=base_env)
            sh(project, "git", "add", "-A", env=base_env)
            sh(project, "git", "commit", "-qm", f"Ran {kind}", env=base_env)
            python = [str(BIN / "python"), "-m"]
            check = median_time(args.repeats, project, *python, "fraud_detection.check_source", env=base_env)
            read = median_time(max(1, args.repeats // 2), project, *python, "fraud_detection.get_data", env=base_env)
            sh(project, "dvc", "checkout", "-f", env=base_env)  # get_data rewrote raw.parquet
            noop = median_time(args.repeats, project, "dvc", "repro", env=base_env)
            _, output = sh(project, "dvc", "repro", env=base_env)
            ran = [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]
            print(f"| {kind} | {check:.2f} s | {read:.2f} s | {noop:.2f} s | {', '.join(ran) or 'none'} |")
    finally:
        postgres.stop()
        http.stop()
        s3.stop()


if __name__ == "__main__":
    main()
