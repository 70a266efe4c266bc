"""An HTTP file server on 127.0.0.1 for the tests: `python -m http.server` over one folder.

It runs in its own process, so DVC stages started by the tests can download from it. Its HEAD
and GET responses carry Content-Length and Last-Modified, but no ETag. Tests stop it by its PID.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from s3_server import free_port, spawn_server, stop_process


class HttpServer:
    """One `python -m http.server` process serving the files of ``root``."""

    def __init__(self, root: Path, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)

    def url(self, name: str = "") -> str:
        """The URL of the file ``name`` (a path relative to ``root``)."""
        return f"http://127.0.0.1:{self.port}/{quote(name)}"

    def start(self) -> HttpServer:
        """Start serving and wait until the port accepts connections."""
        command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(self.root)]
        self.process = spawn_server([*command, str(self.port)], self.port, "http.server")
        return self

    def stop(self) -> None:
        """Stop the server if it runs."""
        stop_process(self.process)
