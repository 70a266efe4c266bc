"""The test stand-in for machulav/ec2-github-runner (action.yml beside it says why and what).

Start: ask GitHub for a just-in-time runner configuration (POST .../actions/runners/
generate-jitconfig), start the EC2 machine with the user data the action writes (the
pre-runner script saved and sourced, then the runner started with that configuration), tagged
on the instance and its volume, as a spot one if asked; write the outputs; wait until GitHub
lists the runner as online. Stop: terminate the machine. GitHub is the test's forge server
($GITHUB_API_URL), EC2 is moto's (the AWS command line, AWS_ENDPOINT_URL_EC2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

USER_DATA = """#!/bin/bash
exec > >(tee -a /tmp/runner-setup.log) 2>&1
set -e
cat > /tmp/pre-runner-script.sh << 'PRE_RUNNER_SCRIPT'
{pre}
PRE_RUNNER_SCRIPT
mkdir actions-runner && cd actions-runner
source /tmp/pre-runner-script.sh
export RUNNER_ALLOW_RUNASROOT=1
./run.sh --jitconfig {jit}
"""


def github(method: str, path: str, body: dict | None = None) -> dict:
    """Call the GitHub API of the run with the action's token."""
    url = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}/{path}"
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"token {os.environ['INPUT_GITHUB_TOKEN']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def aws(*args: str) -> str:
    result = subprocess.run(["aws", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"aws {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def output(name: str, value: str) -> None:
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as outputs:
        outputs.write(f"{name}={value}\n")


def start() -> None:
    label = os.environ["INPUT_LABEL"] or f"ec2-{int(time.time())}"
    if os.environ["INPUT_USE_JIT"] != "true":
        raise SystemExit("the stand-in covers use-jit: true, as the workflows use it")
    jit = github(
        "POST",
        "actions/runners/generate-jitconfig",
        {"name": f"ec2-{label}", "runner_group_id": 1, "labels": [label], "work_folder": "_work"},
    )
    region = os.environ["AWS_REGION"]
    tags = json.loads(os.environ["INPUT_TAGS"] or "[]")
    command = [
        "ec2", "run-instances", "--region", region, "--output", "text", "--query", "Instances[0].InstanceId",
        "--image-id", os.environ["INPUT_IMAGE"], "--instance-type", os.environ["INPUT_TYPE"],
        "--subnet-id", os.environ["INPUT_SUBNET"], "--security-group-ids", os.environ["INPUT_SECURITY_GROUP"],
        "--count", "1",
        "--user-data", USER_DATA.format(pre=os.environ["INPUT_PRE_RUNNER_SCRIPT"], jit=jit["encoded_jit_config"]),
    ]  # fmt: skip
    if tags:
        specs = [{"ResourceType": kind, "Tags": tags} for kind in ("instance", "volume")]
        command += ["--tag-specifications", json.dumps(specs)]
    if os.environ["INPUT_MARKET"] == "spot":
        command += [
            "--instance-market-options",
            json.dumps({"MarketType": "spot", "SpotOptions": {"SpotInstanceType": "one-time"}}),
        ]
    if os.environ["INPUT_VOLUME_SIZE"]:
        device = {"DeviceName": os.environ["INPUT_DEVICE"], "Ebs": {"VolumeSize": int(os.environ["INPUT_VOLUME_SIZE"])}}
        command += ["--block-device-mappings", json.dumps([device])]
    instance = aws(*command)
    print(f"AWS EC2 instance {instance} is started")
    output("label", label)
    output("ec2-instance-id", instance)
    output("region", region)
    deadline = time.monotonic() + 60 * float(os.environ["INPUT_TIMEOUT"] or 5)
    while time.monotonic() < deadline:
        runners = github("GET", "actions/runners")["runners"]
        if any(r["status"] == "online" and {"name": label} in r["labels"] for r in runners):
            print(f"GitHub self-hosted runner ec2-{label} is registered and ready to use")
            return
        time.sleep(2)
    raise SystemExit("the runner did not register in time")


def stop() -> None:
    instance = os.environ["INPUT_INSTANCE_ID"]
    aws("ec2", "terminate-instances", "--region", os.environ["AWS_REGION"], "--instance-ids", instance)
    print(f"AWS EC2 instance {instance} is terminated")


if __name__ == "__main__":
    start() if os.environ["INPUT_MODE"] == "start" else stop()
    sys.exit(0)
