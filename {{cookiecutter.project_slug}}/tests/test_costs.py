"""Tests of the time and cost section of the report: step times, machine names, the estimate."""

import json

import pytest

from {{ cookiecutter.package_name }}.ci import costs
from {{ cookiecutter.package_name }}.ci.costs import Runner, Stopwatch, cost_line, duration
from {{ cookiecutter.package_name }}.core import cli


@pytest.mark.parametrize(
    ("seconds", "text"), [(4.24, "4.2 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")]
)
def test_duration_reads_like_a_person_would_say_it(seconds, text):
    assert duration(seconds) == text


def test_generic_types_resolve_as_cml_launches_them():
    assert Runner("aws", "m").machine == "m5.2xlarge"
    assert Runner("aws", "m", gpu="t4").machine == "g4dn.xlarge"
    assert Runner("azure", "l").machine == "Standard_F32s_v2"
    assert Runner("aws", "c5.xlarge").machine == "c5.xlarge"  # the cloud's own name is kept


def test_runner_comes_from_the_ci_variables(monkeypatch):
    monkeypatch.delenv("INSTANCE_TYPE", raising=False)
    assert Runner.from_env() is None
    variables = {"CLOUD": "aws", "INSTANCE_TYPE": "xl", "GPU": "nogpu", "SPOT": "true"}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert Runner.from_env() == Runner("aws", "xl", "nogpu", spot=True)


def test_the_estimate_is_price_times_time():
    line = cost_line(Runner("aws", "l"), 3600)
    assert "aws `m5.8xlarge` (CML's `l`) at $1.536/h on demand: about $1.54" in line
    assert costs.prices()["date"] in line
    assert "spot" in cost_line(Runner("aws", "l", spot=True), 60)
    assert "under $0.01" in cost_line(Runner("aws", "m"), 1)


def test_an_unknown_machine_or_no_runner_says_so():
    assert "No price for it in prices.toml" in cost_line(Runner("gcp", "n2-standard-8"), 60)
    assert "no cost estimate" in cost_line(None, 60)


def test_the_section_lists_each_step_and_the_whole(tmp_path, monkeypatch):
    """Steps timed by the stopwatch and stages that recorded themselves, in order."""
    stages = tmp_path / "stages.jsonl"
    monkeypatch.setenv(cli.STAGE_TIMES_VARIABLE, str(stages))
    cli.record_stage("train", 12.5)
    clock = Stopwatch()
    with clock.step("pull"):
        pass
    clock.add_stages(stages)
    clock.save(tmp_path / "times.json")
    steps = [entry["step"] for entry in json.loads((tmp_path / "times.json").read_text())["steps"]]
    assert steps == ["pull", "train"]
    lines = costs.section(Runner("aws", "m"), tmp_path / "times.json")
    assert "| train | 12.5 s |" in lines
    assert any(line.startswith("| **whole training** |") for line in lines)
    assert costs.section(None, tmp_path / "missing.json")[-1].startswith("_No ")
