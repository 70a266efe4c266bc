"""The baked project's DVC pipeline, run for real: repro, no-op, partial rerun, experiments, push and pull."""

from __future__ import annotations

import filecmp
import json
import subprocess

import pytest
from conftest import bake, run, set_params, stages_run

BAKES = {
    "default": {},
    "logistic_regression-py3.12-no-ci": {"model": "logistic_regression", "python_version": "3.12", "ci": "none"},
}
MODELS = ["xgboost", "random_forest", "logistic_regression"]


@pytest.fixture(
    scope="module",
    # One xdist group per bake: its tests run in order on one worker, the two bakes in parallel.
    params=[pytest.param(answers, id=name, marks=pytest.mark.xdist_group(name)) for name, answers in BAKES.items()],
)
def project(request, tmp_path_factory):
    """A baked project on small data, committed, whose pipeline has run once."""
    project = bake(tmp_path_factory.mktemp("e2e"), **request.param)
    set_params(
        project, get_data__n_samples=3000, train__xgboost__n_estimators=30, train__random_forest__n_estimators=30
    )
    run(project, "git", "commit", "-qam", "Use a small data set")
    first = run(project, "dvc", "repro")
    assert stages_run(first.stdout) == ["check_source", "get_data", "check_data", "prepare", "train", "evaluate"]
    run(project, "git", "add", "-A")
    run(project, "git", "commit", "-qm", "Run the pipeline")
    return project


@pytest.mark.slow
def test_first_repro_leaves_model_metrics_and_plots(project):
    """The first `dvc repro` leaves a model, the headline metrics and the report images."""
    assert (project / "models/model.joblib").stat().st_size > 0
    metrics = json.loads((project / "dvclive/evaluate/metrics.json").read_text())
    assert set(metrics) == {"roc_auc", "average_precision", "precision", "recall", "f1", "accuracy"}
    assert 0.5 < metrics["roc_auc"] <= 1
    for image in ("confusion_matrix.png", "feature_importance.png"):
        assert (project / "dvclive/evaluate/plots/images" / image).stat().st_size > 1000
    shown = json.loads(run(project, "dvc", "metrics", "show", "--json").stdout)
    assert shown[""]["data"]["dvclive/evaluate/metrics.json"]["data"] == metrics


@pytest.mark.slow
def test_second_repro_runs_no_stage(project):
    """Nothing changed, so a second `dvc repro` runs no stage but the cheap check of the source."""
    result = run(project, "dvc", "repro")
    assert stages_run(result.stdout) == ["check_source"]
    assert "Stage 'get_data' didn't change, skipping" in result.stdout


@pytest.mark.slow
def test_train_param_reruns_only_train_and_evaluate(project):
    """Changing a train parameter reruns train and evaluate, not get_data or prepare."""
    set_params(
        project, train__logistic_regression__C=0.5, train__xgboost__max_depth=4, train__random_forest__max_depth=8
    )
    result = run(project, "dvc", "repro")
    assert stages_run(result.stdout) == ["check_source", "train", "evaluate"]
    diff = json.loads(run(project, "dvc", "params", "diff", "--json").stdout)
    assert diff["params.yaml"]
    run(project, "git", "commit", "-qam", "Tune the models")


@pytest.mark.slow
def test_experiments_with_each_model_are_listed(project):
    """`dvc exp run -S train.model=<each>` succeeds and `dvc exp show` lists every one."""
    names = []
    for model in MODELS:
        result = run(
            project, "dvc", "exp", "run", "-S", f"train.model={model}", "--name", f"try-{model.replace('_', '-')}"
        )
        assert "get_data" not in stages_run(result.stdout)
        names.append(f"try-{model.replace('_', '-')}")
    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    listed = {exp["name"] for rev in shown for exp in (rev.get("experiments") or []) for exp in exp["revs"]}
    assert set(names) <= listed
    plots = run(project, "dvc", "plots", "show", "--json")
    assert "ROC" in plots.stdout
    run(project, "git", "checkout", "--", ".")
    run(project, "dvc", "checkout", "--force")


@pytest.mark.slow
def test_push_then_fresh_clone_pull_restores_the_model(project, tmp_path):
    """`dvc push` to the local remote, then a fresh clone's `dvc pull` gives a byte-identical model."""
    run(project, "dvc", "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    assert not (clone / "models/model.joblib").exists()
    run(clone, "dvc", "pull")
    assert filecmp.cmp(project / "models/model.joblib", clone / "models/model.joblib", shallow=False)
    assert stages_run(run(clone, "dvc", "repro").stdout) == ["check_source"]
