"""Self-tests of the test servers: PostgreSQL, the HTTP file server and EC2 start, serve, stop."""

from __future__ import annotations

import socket
import urllib.request

import psycopg
import pytest
from ec2_server import Ec2Server
from http_server import HttpServer
from pg_server import PostgresServer


def accepts(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_postgres_server(tmp_path):
    """The server keeps a table, refuses a wrong password, and leaves no port nor data behind."""
    server = PostgresServer(tmp_path / "pg").start()
    try:
        server.execute("CREATE TABLE scores (id int PRIMARY KEY, score float)")
        server.execute("INSERT INTO scores VALUES (1, 0.5), (2, 0.25)")
        assert server.execute("SELECT id, score FROM scores ORDER BY id") == [(1, 0.5), (2, 0.25)]
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(
                host="127.0.0.1", port=server.port, user=server.user, password="wrong", dbname=server.database
            )
    finally:
        server.stop()
    assert not accepts(server.port)
    assert server.home and not server.home.exists()


def test_http_server(tmp_path):
    """The server gives a file's bytes, and a HEAD gives its size and date; then the port closes."""
    (tmp_path / "data.csv").write_bytes(b"a,b\n1,2\n")
    server = HttpServer(tmp_path).start()
    try:
        with urllib.request.urlopen(server.url("data.csv")) as response:
            assert response.read() == b"a,b\n1,2\n"
        with urllib.request.urlopen(urllib.request.Request(server.url("data.csv"), method="HEAD")) as response:
            assert response.headers["Content-Length"] == "8"
            assert response.headers["Last-Modified"]
    finally:
        server.stop()
    assert not accepts(server.port)


def test_ec2_server(tmp_path):
    """moto's EC2 runs an instance with its tags, terminates it, and the port closes after stop."""
    server = Ec2Server().start()
    try:
        started = server.aws(
            "ec2", "run-instances", "--region", "eu-west-1", "--image-id", "ami-0123456789abcdef0",
            "--instance-type", "t3.micro", "--query", "Instances[0].InstanceId", "--output", "text",
            "--tag-specifications", "ResourceType=instance,Tags=[{Key=ci-run,Value=cml-7-1}]",
        ).strip()  # fmt: skip
        assert server.instances("eu-west-1") == {started: {"state": "running", "tags": {"ci-run": "cml-7-1"}}}
        assert server.instances("us-east-1") == {}
        server.aws("ec2", "terminate-instances", "--region", "eu-west-1", "--instance-ids", started)
        assert server.instances("eu-west-1")[started]["state"] == "terminated"
    finally:
        server.stop()
    assert not accepts(server.port)
