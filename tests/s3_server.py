"""An S3-compatible server on 127.0.0.1 for the tests: `rclone serve s3` over a local folder.

The data lives on disk, so the server can be killed and started again without losing what
it stored. Tests start it, and stop it by its PID.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

RCLONE = Path(sys.executable).parent / "rclone"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(process: subprocess.Popen, port: int, name: str, seconds: float = 20) -> None:
    """Wait until ``process`` (called ``name`` in errors) accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start listening within {seconds:g} s")


def spawn_server(command: list[str], port: int, name: str, seconds: float = 20) -> subprocess.Popen:
    """Start ``command`` (called ``name`` in errors), quiet, and wait until it serves ``port``;
    if it does not, stop it and raise."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(process, port, name, seconds)
    except RuntimeError:
        stop_process(process)
        raise
    return process


def stop_process(process: subprocess.Popen | None) -> None:
    """Stop ``process`` if it runs (also when frozen with SIGSTOP): SIGTERM, SIGKILL after 10 s."""
    if process and process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class S3Server:
    """One `rclone serve s3` process serving ``root`` (each folder in it is a bucket)."""

    def __init__(self, root: Path, port: int | None = None, bwlimit: str | None = None):
        self.root = root
        self.port = port or free_port()
        self.bwlimit = bwlimit
        self.access_key = "test-" + secrets.token_hex(4)
        self.secret_key = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)

    @property
    def endpoint(self) -> str:
        """The server's URL."""
        return f"http://127.0.0.1:{self.port}"

    def credentials(self, with_endpoint: bool = False) -> dict[str, str]:
        """Environment variables with this server's keys (and its URL, for clients with no config)."""
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        if with_endpoint:
            env["AWS_ENDPOINT_URL"] = self.endpoint
        return env

    def start(self, bwlimit: str | None = None) -> S3Server:
        """Start serving and wait until the port accepts connections."""
        command = [str(RCLONE), "serve", "s3", str(self.root), "--addr", f"127.0.0.1:{self.port}"]
        command += ["--auth-key", f"{self.access_key},{self.secret_key}", "--config", "/dev/null"]
        limit = bwlimit or self.bwlimit
        if limit:
            command += ["--bwlimit", limit]
        self.process = spawn_server(command, self.port, "rclone serve s3")
        return self

    def make_bucket(self, name: str) -> None:
        """Create a bucket through the S3 API."""
        import s3fs

        fs = s3fs.S3FileSystem(key=self.access_key, secret=self.secret_key, endpoint_url=self.endpoint)
        fs.mkdir(name)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Stop the server if it runs (also when frozen with SIGSTOP)."""
        stop_process(self.process)
