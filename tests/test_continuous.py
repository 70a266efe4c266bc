"""Three days of continuous training through `ci train`, against S3 on 127.0.0.1, without CML.

The orders live in an S3 bucket that gets new rows, and the project's remote is another
bucket of the same server. Day 1 trains on main. Day 2, on a new runner with the same data,
runs none of prepare, train and evaluate, and the base model scores exactly as the new one.
Day 3 brings new, drifted rows: the pipeline retrains, the report shows the drift and both
models on day 3's test set, and the gate decides on that comparison. Afterwards each day's
data and model come back byte for byte from the remote on a fresh clone.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ORDERS_PARAMS, bake, orders, run, set_params, stages_run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("continuous")]

DAY = 600  # orders a day, one an hour
PIPELINE = {"get_data", "prepare", "train", "evaluate"}
OUTPUTS = ("data/source.json", "data/raw.parquet", "data/prepared/test.parquet", "models/model.joblib")


def ci(project, server, *args, check=True):
    """Run `python -m fraud_detection.ci ...` as CI would (CI=true, the keys of the S3 server)."""
    env = {**server.credentials(with_endpoint=True), "CI": "true"}
    return run(project, sys.executable, "-m", "fraud_detection.ci", *args, env=env, check=check)


def clone(origin, path, branch=None):
    """A new runner's checkout of ``origin`` (on a new ``branch`` if given)."""
    subprocess.run(["git", "clone", "-q", str(origin), str(path)], check=True)
    if branch:
        run(path, "git", "checkout", "-qb", branch)
    return path


def snapshot(project):
    """The bytes of the data and model outputs, and the commit they belong to."""
    commit = run(project, "git", "rev-parse", "HEAD").stdout.strip()
    return commit, {name: (project / name).read_bytes() for name in OUTPUTS}


def test_three_days_of_continuous_training(server, tmp_path):
    """Day 1 trains, day 2 (same data) retrains nothing, day 3 (new, drifted rows) retrains and
    is judged against day 1's model on day 3's test set; every day restores from the remote."""
    import s3fs

    fs = s3fs.S3FileSystem(key=server.access_key, secret=server.secret_key, endpoint_url=server.endpoint)
    fs.mkdir("orders")

    def publish(frame):
        frame.to_parquet(tmp_path / "orders.parquet")
        fs.put_file(str(tmp_path / "orders.parquet"), "orders/orders.parquet")

    project = bake(
        tmp_path / "bake",
        dvc_remote="s3",
        dvc_remote_url="s3://models/fraud-detection",
        dvc_remote_endpoint_url=server.endpoint,
        ci="github",
    )
    # A floor these small data sets clear: the gate is decided by the comparison.
    set_params(project, **ORDERS_PARAMS, get_data__source="s3://orders/orders.parquet", gate__min=0.2)
    run(project, "git", "commit", "-qam", "Train on the orders bucket")

    # Day 1: the first training, on main.
    publish(orders(DAY))
    day1 = ci(project, server, "train")
    assert set(stages_run(day1.stdout)) >= PIPELINE
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Day 1")
    days = [snapshot(project)]

    # Day 2: a new runner, nothing new at the source.
    runner = clone(project, tmp_path / "day2")
    day2 = ci(runner, server, "train")
    assert stages_run(day2.stdout) == ["check_source"]
    same = json.loads(ci(runner, server, "gate", "--base", "main", "--json").stdout)
    assert same["champion"] == pytest.approx(same["challenger"], abs=1e-12)
    assert same["passed"] is True

    # Day 3: a day of new orders, drifted, at the same source.
    publish(pd.concat([orders(DAY), orders(DAY, start=DAY, drift=1.0)]))
    runner = clone(project, tmp_path / "day3", branch="retrain")
    day3 = ci(runner, server, "train")
    assert set(stages_run(day3.stdout)) >= PIPELINE
    run(runner, "git", "add", "-A")
    run(runner, "git", "commit", "-qm", "Day 3")
    days.append(snapshot(runner))

    report_file = tmp_path / "report" / "report.md"
    report_file.parent.mkdir()
    ci(runner, server, "report", "--base", "main", "--output", str(report_file))
    report = report_file.read_text()
    assert "| Metric | `main`'s model (champion) | This run's model (challenger) | Change |" in report
    assert "Both models scored on this run's test set: 240 rows." in report
    amount = next(line for line in report.splitlines() if line.startswith("| amount |"))
    assert "**drifted**" in amount
    assert "| created |" not in report  # time moves on by design: it is no drifted feature
    assert (report_file.parent / "drift.png").stat().st_size > 0

    verdict = ci(runner, server, "gate", "--base", "main", "--json", check=False)
    decision = json.loads(verdict.stdout)
    assert decision["test_rows"] == 240
    assert decision["metric"] == "average_precision"
    assert decision["champion"] is not None
    fair = decision["champion"] - decision["challenger"] <= decision["max_drop"]
    assert decision["passed"] == (fair and decision["challenger"] >= decision["floor"])
    assert verdict.returncode == (0 if decision["passed"] else 1)

    # A much weaker model on the same day fails the gate on the comparison itself.
    ci(runner, server, "train", "--exp-args", "-S train.xgboost.n_estimators=1 -S train.xgboost.max_depth=1")
    weaker = ci(runner, server, "gate", "--base", "main", "--json", check=False)
    assert weaker.returncode == 1
    assert json.loads(weaker.stdout)["passed"] is False
    assert "below the base model's" in weaker.stderr.strip().splitlines()[-1]

    # Each day's data and model, restored from the remote on a fresh clone.
    fresh = clone(runner, tmp_path / "fresh")
    for commit, files in days:
        run(fresh, "git", "checkout", "-q", commit)
        run(fresh, "dvc", "pull", env=server.credentials())
        for name, content in files.items():
            assert (fresh / name).read_bytes() == content, f"{name} of {commit[:8]} differs"
