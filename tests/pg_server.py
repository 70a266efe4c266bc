"""A real PostgreSQL server on 127.0.0.1 for the tests, with a password-protected test role.

Tests start it (initdb in a fresh temporary folder, then the `postgres` binary) and stop it by
its PID. initdb and postgres refuse to run as root, so as root (as in CI) they run as the
`postgres` system user of Debian's postgresql package.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from s3_server import free_port

USER = "fraud"
DATABASE = "fraud"
SYSTEM_USER = "postgres"  # who runs the server when the tests run as root


def bindir() -> Path:
    """The folder of initdb and postgres: the newest /usr/lib/postgresql/*/bin, else `pg_config --bindir`."""
    found = [Path(path).parent for path in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    if found:
        return max(found, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)
    if shutil.which("pg_config"):
        path = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
        if (path / "postgres").exists():
            return path
    raise RuntimeError("PostgreSQL server binaries not found (run tools/setup-test-tools.sh)")


def as_server_user() -> dict[str, Any]:
    """subprocess arguments that run a command as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": SYSTEM_USER, "group": SYSTEM_USER, "extra_groups": []}


class PostgresServer:
    """One `postgres` process with role `fraud` owning database `fraud`; its log goes to ``root``."""

    def __init__(self, root: Path, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.user = USER
        self.password = secrets.token_hex(16)
        self.database = DATABASE
        self.home: Path | None = None  # temporary folder with the data dir and the socket dir
        self.process: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)

    @property
    def log(self) -> Path:
        """The server's output (kept after stop, for post-mortems)."""
        return self.root / "postgres.log"

    def url(self, with_password: bool = False) -> str:
        """The server's URL for the test role, with its password when asked."""
        secret = f":{self.password}" if with_password else ""
        return f"postgresql://{self.user}{secret}@127.0.0.1:{self.port}/{self.database}"

    def env(self) -> dict[str, str]:
        """Environment variables that give clients (libpq, psql) the password."""
        return {"PGPASSWORD": self.password}

    def connect(self, database: str | None = None) -> Any:
        """A psycopg connection (autocommit) as the test role."""
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database or self.database,
            connect_timeout=5,
            autocommit=True,
        )

    def execute(self, sql: str) -> list[tuple]:
        """Run ``sql`` as the test role; the rows it returns (none for statements without a result)."""
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def start(self) -> PostgresServer:
        """initdb, start the server and wait until it accepts the test role; create its database."""
        # A fresh folder under /tmp: short enough for the socket path, and (chowned) reachable by
        # the postgres user, which cannot enter pytest's 0700 tmp folders of root.
        self.home = Path(tempfile.mkdtemp(prefix="pg-test-", dir="/tmp" if os.geteuid() == 0 else None))
        data, sockets, pwfile = self.home / "data", self.home / "sockets", self.home / "pwfile"
        sockets.mkdir()
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            for path in (self.home, sockets, pwfile):
                shutil.chown(path, SYSTEM_USER, SYSTEM_USER)
        bin_dir = bindir()
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", self.user, f"--pwfile={pwfile}"]
        initdb += ["--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--no-sync", "--encoding=UTF8"]
        result = subprocess.run(initdb, cwd=self.home, capture_output=True, text=True, **as_server_user())
        pwfile.unlink()
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"initdb exited with {result.returncode}\n{result.stdout}\n{result.stderr}")

        command = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(sockets)]
        command += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=self.home, stdout=log, stderr=log, **as_server_user())
        self._wait_ready()
        with self.connect("postgres") as connection:
            connection.execute(f'CREATE DATABASE "{self.database}" OWNER "{self.user}"')
        return self

    def _wait_ready(self) -> None:
        """Wait (30 s at most) until the server accepts a login: the port opens before it can."""
        import psycopg

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                self.connect("postgres").close()
                return
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postgres did not accept connections within 30 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop the server (smart shutdown, then fast, then SIGKILL) and remove its data folder."""
        if self.process and self.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
                os.kill(self.process.pid, sig)
                try:
                    self.process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
