"""ci/machines.py, the training machines' lifecycle: the machine for each GPU, the boot script
that ends a machine by itself, and one-line errors. (Its AWS commands, teardown and the janitor,
are run against a local EC2 by the template's own tests.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.ci import machines
from {{ cookiecutter.package_name }}.ci.costs import prices

SCRIPT = Path(machines.__file__)


def script(*args: str) -> subprocess.CompletedProcess:
    """Run machines.py as the CI files do: a plain script, outside the package."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("gpu", sorted(machines.GPUS))
def test_every_gpu_has_a_priced_aws_machine(gpu):
    """Every GPU of the bake's choices is rented on AWS, and the report can price that machine."""
    kind, accelerator = machines.machine_type("aws", gpu, "m")
    assert kind in prices()["aws"], kind
    assert accelerator != "nogpu"


def test_a_type_of_the_clouds_own_is_kept():
    """A bigger machine of the cloud's own naming stays as given; CML's sizes are resolved."""
    assert machines.machine_type("aws", "t4", "g4dn.12xlarge") == ("g4dn.12xlarge", "tesla")
    assert machines.machine_type("gcp", "t4", "m") == ("n1-standard-8", "nvidia-tesla-t4")
    assert machines.machine_type("aws", "nogpu", "m") == ("m", "nogpu")
    assert machines.machine_type("aws", "nogpu", "m", native=True) == ("m5.2xlarge", "nogpu")
    assert (
        script("type", "--cloud", "aws", "--gpu", "h100", "--instance-type", "m").stdout
        == "p5.4xlarge h100\n"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["type", "--cloud", "azure", "--gpu", "l4", "--instance-type", "m"],
            "azure rents no L4 GPU",
        ),
        (
            ["type", "--cloud", "aws", "--gpu", "k80", "--instance-type", "m"],
            "GPU 'k80' is unknown",
        ),
        (["boot-script", "--minutes", "0"], "--minutes 0 is not a positive number"),
        (["teardown", "--region", "us-east-1", "--tag", "ci-run"], "tag 'ci-run' is not key=value"),
    ],
)
def test_bad_requests_end_in_one_line(args, says):
    result = script(*args)
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("ERROR: ") and says in line


def test_the_boot_script_powers_the_machine_off_after_the_limit(tmp_path):
    """Run as a machine runs it at boot, with `shutdown` recording what it was asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutdown = bin_dir / "shutdown"
    shutdown.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "asked"}\n')
    shutdown.chmod(shutdown.stat().st_mode | stat.S_IEXEC)
    boot = tmp_path / "boot.sh"
    boot.write_text(script("boot-script", "--minutes", "400").stdout)
    subprocess.run(
        ["sh", str(boot)], check=True, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    )
    assert (tmp_path / "asked").read_text().split()[:2] == ["-h", "+400"]
