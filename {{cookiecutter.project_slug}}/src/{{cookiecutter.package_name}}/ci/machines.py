"""The cloud machines CI rents for training: the type that carries each GPU, and how each one ends.

A machine must end even when CI does not end it (a cancelled run, a runner that never
registered, an outage), so three things stand between it and a forgotten bill:
  1. at boot it schedules its own power-off after the longest job plus a margin (`boot-script`),
     and on AWS the launch makes power-off terminate it (`end-on-shutdown`);
  2. the teardown job terminates the machines of its run, whatever the training did (`teardown`);
  3. a scheduled janitor terminates any machine of this repository older than the longest job
     (`janitor`).
The CI files run this file as a script, with only Python's standard library and the AWS command
line, so those jobs install nothing:

    python3 src/{{ cookiecutter.package_name }}/ci/machines.py type --cloud aws --gpu l4 --instance-type m
    python3 src/{{ cookiecutter.package_name }}/ci/machines.py boot-script --minutes 400
    python3 src/{{ cookiecutter.package_name }}/ci/machines.py janitor --region us-east-1 --repository owner/name --older-than 420
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

# What each cloud rents for each GPU, one GPU per machine where the cloud has that size:
# (machine type, accelerator). The accelerator is what CML's --cloud-gpu gets: GCP attaches a
# T4 to a general N1 machine; elsewhere the machine type carries the GPU and names it.
GPUS = {
    "t4": {
        "aws": ("g4dn.xlarge", "tesla"),
        "gcp": ("n1-standard-8", "nvidia-tesla-t4"),
        "azure": ("Standard_NC4as_T4_v3", "tesla"),
    },
    "a10g": {"aws": ("g5.xlarge", "a10g")},
    "l4": {"aws": ("g6.xlarge", "l4"), "gcp": ("g2-standard-8", "nvidia-l4")},
    "a100": {
        "aws": ("p4d.24xlarge", "a100"),  # AWS's smallest A100 machine has eight
        "gcp": ("a2-highgpu-1g", "nvidia-tesla-a100"),
        "azure": ("Standard_NC24ads_A100_v4", "a100"),
    },
    "h100": {
        "aws": ("p5.4xlarge", "h100"),
        "gcp": ("a3-highgpu-1g", "nvidia-h100-80gb"),
        "azure": ("Standard_NC40ads_H100_v5", "h100"),
    },
}
# CML's sizes without a GPU, as its Terraform provider launches them.
SIZES = {
    "aws": {"m": "m5.2xlarge", "l": "m5.8xlarge", "xl": "m5.16xlarge"},
    "azure": {"m": "Standard_F8s_v2", "l": "Standard_F32s_v2", "xl": "Standard_F64s_v2"},
}
CML_SIZES = ("m", "l", "xl")
# CML's region names, and the cloud's own ones they stand for on AWS.
AWS_REGIONS = {
    "us-east": "us-east-1",
    "us-west": "us-west-1",
    "eu-west": "eu-west-1",
    "eu-north": "eu-north-1",
}
# The tag on every machine a run of this repository launches, which the janitor looks for.
REPOSITORY_TAG = "ci-repository"
LIVE_STATES = "pending,running,stopping,stopped"


class Refused(Exception):
    """A bad request, said in one line."""


def machine_type(cloud: str, gpu: str, instance_type: str, native: bool = False) -> tuple[str, str]:
    """The machine type to launch and the accelerator for CML's --cloud-gpu ("nogpu" for none).

    Without a GPU the instance type stays as given (CML's m, l, xl or the cloud's own), or with
    ``native`` becomes the cloud's name for CML's size. With a GPU, CML's sizes become the cloud's
    machine for that GPU; a type of the cloud's own is kept.
    """
    if gpu == "nogpu":
        return SIZES.get(cloud, {}).get(
            instance_type, instance_type
        ) if native else instance_type, "nogpu"
    if gpu not in GPUS:
        raise Refused(f"GPU {gpu!r} is unknown. Choose one of nogpu, {', '.join(GPUS)}")
    if cloud not in GPUS[gpu]:
        offered = ", ".join(name for name, clouds in GPUS.items() if cloud in clouds)
        raise Refused(
            f"{cloud} rents no {gpu.upper()} GPU. Choose one it rents ({offered}) or another cloud"
        )
    kind, accelerator = GPUS[gpu][cloud]
    return (kind if instance_type in CML_SIZES else instance_type), accelerator


def boot_script(minutes: int) -> str:
    """What a machine runs at boot: power off after ``minutes``, whatever CI does meanwhile."""
    return (
        "#!/bin/sh\n"
        f"# End this machine after {minutes} minutes (the longest job and a margin), even if CI\n"
        "# never tears it down. On AWS the launch made power-off terminate it.\n"
        f"shutdown -h +{minutes} 'Training runner: time limit reached'\n"
    )


def aws_region(region: str) -> str:
    """The AWS name of ``region`` (CML's us-east is us-east-1)."""
    return AWS_REGIONS.get(region, region)


def aws(*args: str) -> str:
    """Run the AWS command line; its output. A failure becomes a Refused with AWS's own words."""
    try:
        result = subprocess.run(["aws", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Refused(
            "the AWS command line (aws) is not installed. Install it, e.g. pip install awscli"
        ) from None
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise Refused(f"aws {' '.join(args[:2])} failed: {said}")
    return result.stdout


def machines(region: str, tags: dict[str, str]) -> list[dict]:
    """The machines in ``region`` not yet terminated that carry every one of ``tags``."""
    filters = [f"Name=tag:{key},Values={value}" for key, value in tags.items()]
    found = json.loads(
        aws(
            "ec2",
            "describe-instances",
            "--region",
            region,
            "--output",
            "json",
            "--filters",
            *filters,
            f"Name=instance-state-name,Values={LIVE_STATES}",
        )
    )
    return [
        {
            "id": instance["InstanceId"],
            "launched": datetime.fromisoformat(instance["LaunchTime"].replace("Z", "+00:00")),
            "tags": {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])},
        }
        for reservation in found["Reservations"]
        for instance in reservation["Instances"]
    ]


def terminate(region: str, ids: list[str]) -> None:
    """Terminate the machines ``ids``."""
    if ids:
        aws(
            "ec2",
            "terminate-instances",
            "--region",
            region,
            "--instance-ids",
            *ids,
            "--output",
            "json",
        )


def parse_tag(text: str) -> dict[str, str]:
    """``key=value`` as a one-tag dict."""
    key, equals, value = text.partition("=")
    if not equals or not key or not value:
        raise Refused(f"tag {text!r} is not key=value. Give one like ci-run=ec2-123-1")
    return {key: value}


def end_on_shutdown(region: str, tag: dict[str, str]) -> str:
    """Make the machines tagged ``tag`` terminate, not stop, when they power off."""
    ids = [machine["id"] for machine in machines(region, tag)]
    for machine_id in ids:
        aws("ec2", "modify-instance-attribute", "--region", region, "--instance-id", machine_id,
            "--attribute", "instanceInitiatedShutdownBehavior", "--value", "terminate")  # fmt: skip
    if not ids:
        return f"No machine tagged {format_tag(tag)} is up: nothing to set."
    return f"Machine(s) {' '.join(ids)} will terminate when they power off."


def format_tag(tag: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in tag.items())


def teardown(region: str, tag: dict[str, str]) -> str:
    """Terminate every machine tagged ``tag``; one line that says what was done."""
    ids = [machine["id"] for machine in machines(region, tag)]
    terminate(region, ids)
    return (
        f"Terminated runner machine(s) left by this run: {' '.join(ids)}"
        if ids
        else "No runner machine left."
    )


def janitor(
    region: str, repository: str, older_than: timedelta, now: datetime | None = None
) -> list[str]:
    """Terminate this repository's machines launched more than ``older_than`` ago; a line for each."""
    now = now or datetime.now(UTC)
    old = [
        m
        for m in machines(region, {REPOSITORY_TAG: repository})
        if now - m["launched"] > older_than
    ]
    terminate(region, [machine["id"] for machine in old])
    lines = [
        f"Terminated {m['id']} ({format_tag(m['tags'])}): up {int((now - m['launched']).total_seconds() // 60)} min"
        for m in old
    ]
    limit = older_than.total_seconds() / 60
    return lines or [f"No machine of {repository} in {region} is older than {limit:g} min."]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    kind = commands.add_parser(
        "type", help="print the machine type and CML's --cloud-gpu for a GPU"
    )
    kind.add_argument("--cloud", required=True, choices=["aws", "gcp", "azure"])
    kind.add_argument("--gpu", required=True)
    kind.add_argument("--instance-type", required=True)
    kind.add_argument(
        "--native", action="store_true", help="the cloud's own name for CML's sizes too"
    )
    region = commands.add_parser(
        "aws-region", help="print AWS's name of a region (CML's us-east is us-east-1)"
    )
    region.add_argument("region")
    boot = commands.add_parser("boot-script", help="print the script a machine runs at boot")
    boot.add_argument("--minutes", type=int, required=True, help="power off after this long")
    for name, text in (("end-on-shutdown", "make power-off terminate the tagged machines (AWS)"),
                       ("teardown", "terminate the tagged machines (AWS)")):  # fmt: skip
        command = commands.add_parser(name, help=text)
        command.add_argument("--region", required=True)
        command.add_argument("--tag", required=True, help="key=value")
    sweep = commands.add_parser(
        "janitor", help="terminate this repository's machines older than a limit (AWS)"
    )
    sweep.add_argument("--region", required=True)
    sweep.add_argument(
        "--repository", required=True, help="owner/name, as the machines' ci-repository tag says"
    )
    sweep.add_argument("--older-than", type=float, required=True, help="minutes")
    args = parser.parse_args(argv)
    try:
        if args.command == "type":
            print(*machine_type(args.cloud, args.gpu, args.instance_type, args.native))
        elif args.command == "aws-region":
            print(aws_region(args.region))
        elif args.command == "boot-script":
            if args.minutes < 1:
                raise Refused(f"--minutes {args.minutes} is not a positive number of minutes")
            print(boot_script(args.minutes), end="")
        elif args.command == "end-on-shutdown":
            print(end_on_shutdown(aws_region(args.region), parse_tag(args.tag)))
        elif args.command == "teardown":
            print(teardown(aws_region(args.region), parse_tag(args.tag)))
        else:
            if args.older_than <= 0:
                raise Refused(
                    f"--older-than {args.older_than:g} is not a positive number of minutes"
                )
            print(
                *janitor(
                    aws_region(args.region), args.repository, timedelta(minutes=args.older_than)
                ),
                sep="\n",
            )
    except Refused as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
