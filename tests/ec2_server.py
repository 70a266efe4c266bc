"""A local AWS for the tests of the CI teardown: moto's server on 127.0.0.1, which serves EC2.

The AWS command line and moto come from .tools/aws (tools/setup-test-tools.sh). Clients reach
it through AWS_ENDPOINT_URL_EC2, so the S3 remote of the same test keeps its own endpoint.
Tests start it, and stop it by its PID.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from s3_server import free_port, spawn_server, stop_process

AWS_TOOLS = Path(__file__).resolve().parents[1] / ".tools/aws/bin"


class Ec2Server:
    """One `moto_server` process."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Variables that point the AWS command line's EC2 calls here (any keys will do)."""
        return {"AWS_ENDPOINT_URL_EC2": self.endpoint}

    def start(self) -> Ec2Server:
        """Start serving and wait until the port accepts connections."""
        assert (AWS_TOOLS / "moto_server").exists(), "run tools/setup-test-tools.sh first"
        command = [str(AWS_TOOLS / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = spawn_server(command, self.port, "moto_server", seconds=60)
        return self

    def aws(self, *args: str) -> str:
        """Run the AWS command line against this server; its standard output."""
        env = {"PATH": str(AWS_TOOLS), "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", **self.env()}
        result = subprocess.run([str(AWS_TOOLS / "aws"), *args], capture_output=True, text=True, env=env, check=True)
        return result.stdout

    def instances(self, region: str) -> dict[str, dict]:
        """Every instance in ``region``: its id -> {"state": ..., "tags": {...}}."""
        found = json.loads(self.aws("ec2", "describe-instances", "--region", region, "--output", "json"))
        return {
            instance["InstanceId"]: {
                "state": instance["State"]["Name"],
                "tags": {tag["Key"]: tag["Value"] for tag in instance.get("Tags", [])},
            }
            for reservation in found["Reservations"]
            for instance in reservation["Instances"]
        }

    def default_network(self, region: str) -> tuple[str, str]:
        """A subnet and a security group of the region's default VPC (moto makes them)."""
        subnet = self.aws(
            "ec2", "describe-subnets", "--region", region, "--query", "Subnets[0].SubnetId", "--output", "text"
        )
        group = self.aws(
            "ec2", "describe-security-groups", "--region", region, "--group-names", "default",
            "--query", "SecurityGroups[0].GroupId", "--output", "text",
        )  # fmt: skip
        return subnet.strip(), group.strip()

    def attribute(self, region: str, instance: str, name: str) -> str:
        """An attribute of an instance (instanceInitiatedShutdownBehavior, userData, ...), as text."""
        args = ["--region", region, "--instance-id", instance, "--attribute", name, "--output", "json"]
        found = json.loads(self.aws("ec2", "describe-instance-attribute", *args))
        value = found[name[0].upper() + name[1:]]
        return value.get("Value", "") if isinstance(value, dict) else str(value)

    def launch(self, region: str, tags: dict[str, str]) -> str:
        """Start an instance with ``tags`` (none: untagged); its id."""
        command = ["ec2", "run-instances", "--region", region, "--image-id", "ami-0123456789abcdef0"]
        command += ["--instance-type", "t3.micro", "--query", "Instances[0].InstanceId", "--output", "text"]
        if tags:
            pairs = ",".join(f"{{Key={key},Value={value}}}" for key, value in tags.items())
            command += ["--tag-specifications", f"ResourceType=instance,Tags=[{pairs}]"]
        return self.aws(*command).strip()

    def stop(self) -> None:
        """Stop the server if it runs."""
        stop_process(self.process)
