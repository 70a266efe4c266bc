"""A stand-in for GitHub or GitLab on 127.0.0.1 for the tests: git over HTTPS and the API calls of CML.

It runs in the test's process (a server thread) and speaks HTTPS with a certificate from a throwaway
CA (trustme); clients trust it through `client_env()`. Git goes through `git http-backend`; the API
answers the routes CML and the workflows use. API calls, uploads and pushes are recorded, so tests
can assert what was sent. Like the real forges, git and the API want the token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
import secrets
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, quote, urlsplit

import trustme
from s3_server import free_port

# Smart (and dumb) HTTP paths of a repository, with or without `.git`.
GIT_PATH = re.compile(r"/([^/]+)/([^/]+?)(?:\.git)?(/(?:info/refs|HEAD|git-upload-pack|git-receive-pack|objects/.+))")
HEADERS = ("Authorization", "PRIVATE-TOKEN", "Content-Type", "Content-Disposition")  # the ones recorded
# (method, path pattern, handler method); {repo} is owner/name, {project} the same URL-encoded (GitLab's id).
COMMON = [("POST", "/upload", "upload"), ("GET", r"/assets/(?P<name>[\w.-]+)", "asset")]
ROUTES = {
    "github": [
        ("GET", r"/api/v3/repos/{repo}/commits/(?P<sha>\w+)/pulls", "github_commit_pulls"),
        ("POST", r"/api/v3/repos/{repo}/issues/(?P<number>\d+)/comments", "github_pr_comment"),
        ("POST", r"/api/v3/repos/{repo}/commits/(?P<sha>\w+)/comments", "github_commit_comment"),
        ("GET", "/api/v3/repos/{repo}/pulls", "github_pulls"),
        ("POST", "/api/v3/repos/{repo}/pulls", "github_create_pull"),
        ("POST", r"/api/v3/repos/{repo}/actions/workflows/(?P<workflow>[^/]+)/dispatches", "github_dispatch"),
        ("GET", r"/api/v3/users/(?P<login>[^/]+)", "github_user"),  # CML's telemetry asks it when GITHUB_ACTOR is set
        # Self-hosted runners, as ec2-github-runner registers and waits for them (just-in-time).
        ("POST", "/api/v3/repos/{repo}/actions/runners/generate-jitconfig", "github_jit_runner"),
        ("GET", "/api/v3/repos/{repo}/actions/runners", "github_runners"),
    ],
    "gitlab": [
        ("GET", r"(?P<prefix>/.*)?/api/v4/version", "gitlab_version"),  # CML probes each prefix of the repo's path
        ("GET", r"/api/v4/projects/{project}/repository/commits/(?P<sha>\w+)/merge_requests", "gitlab_commit_mrs"),
        ("GET", "/api/v4/projects/{project}/merge_requests", "gitlab_mrs"),
        ("POST", r"/api/v4/projects/{project}/merge_requests/(?P<number>\d+)/notes", "gitlab_mr_note"),
        ("POST", r"/api/v4/projects/{project}/repository/commits/(?P<sha>\w+)/comments", "gitlab_commit_comment"),
        ("POST", "/api/v4/projects/{project}/merge_requests", "gitlab_create_mr"),
        ("POST", "/api/v4/projects/{project}/trigger/pipeline", "gitlab_trigger"),  # the trigger token is the auth
    ],
}
NO_TOKEN = {"upload", "asset", "gitlab_trigger"}


def system_certificates() -> str:
    """The file of certificates this machine trusts: $SSL_CERT_FILE, else certifi's."""
    if os.environ.get("SSL_CERT_FILE") and Path(os.environ["SSL_CERT_FILE"]).is_file():
        return os.environ["SSL_CERT_FILE"]
    import certifi

    return certifi.where()


class ForgeServer:
    """One fake forge of ``kind`` hosting the repository ``repo``, its files under ``root``."""

    def __init__(
        self,
        root: Path,
        kind: Literal["github", "gitlab"],
        repo: str = "team/fraud-detection",
        token: str | None = None,
    ):
        self.root, self.kind, self.repo = root, kind, repo
        self.token = token or "tok-" + secrets.token_hex(12)
        self.trigger_token = "glptt-" + secrets.token_hex(10)
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.repo_url = f"{self.url}/{repo}"  # the web page; add `.git` for a git remote
        self.token_url = f"https://x-access-token:{self.token}@127.0.0.1:{self.port}/{repo}.git"  # as CI checks out
        self.api_url = f"{self.url}/api/{'v3' if kind == 'github' else 'v4'}"
        self.upload_url = f"{self.url}/upload"  # for `cml comment create --publish-url`
        self.bare = root / "git" / f"{repo}.git"
        self.pulls: list[dict] = []  # {number, head_ref, head_sha, base_ref, title, body, state: "open"}
        self.comments: list[dict] = []  # {id, target: "pr", number, body} or {id, target: "commit", sha, body}
        self.dispatches: list[dict] = []  # GitHub {workflow, ref, inputs}; GitLab {pipeline, ref, variables}
        self.runners: list[dict] = []  # GitHub just-in-time runners: {id, name, status, busy, labels}
        self.uploads: list[dict] = []  # {filename, mime, sha256, size}
        self.lock = threading.Lock()
        self._log: list[dict] = []
        self._server: _Server | None = None
        self._ca = trustme.CA()
        root.mkdir(parents=True, exist_ok=True)
        self.ca_file = root / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        # The machine's trusted certificates plus this CA: clients that use it still reach the
        # package registries (through the machine's proxy, if it has one).
        self.ca_bundle = root / "ca-bundle.pem"
        self.ca_bundle.write_bytes(Path(system_certificates()).read_bytes() + b"\n" + self.ca_file.read_bytes())
        self.create_bare()

    def client_env(self) -> dict[str, str]:
        """Environment variables that make Node (CML), git and Python trust the server, and CML not phone home."""
        ca = str(self.ca_bundle)
        return {"NODE_EXTRA_CA_CERTS": ca, "GIT_SSL_CAINFO": ca, "SSL_CERT_FILE": ca, "ITERATIVE_DO_NOT_TRACK": "1"}

    def create_bare(self) -> None:
        """Create the bare repository (branch main, pushes allowed) unless it exists."""
        if not self.bare.exists():
            subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.bare)], check=True)
            subprocess.run(["git", "-C", str(self.bare), "config", "http.receivepack", "true"], check=True)

    def branch_sha(self, branch: str) -> str | None:
        """The commit of ``branch`` in the bare repository, None if there is no such branch."""
        command = ["git", "-C", str(self.bare), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"]
        found = subprocess.run(command, capture_output=True, text=True)
        return found.stdout.strip() if found.returncode == 0 else None

    def add_pull(self, number: int, head_ref: str, head_sha: str, base_ref: str = "main") -> dict:
        """Declare an open pull (merge) request, as if someone had opened it."""
        pull = {"number": number, "head_ref": head_ref, "head_sha": head_sha, "base_ref": base_ref}
        pull |= {"title": f"Pull request {number}", "body": "", "state": "open"}
        with self.lock:
            self.pulls.append(pull)
        return pull

    def requests(self, method: str | None = None, path_prefix: str | None = None) -> list[dict]:
        """The recorded requests, oldest first: {method, path, query, headers, body, route, status}.

        ``route`` is the handler's name, None for a request no route knows (answered 404), "git" for the
        git requests of pushes (git's first, anonymous, try is among them, answered 401). Fetches are not recorded.
        """
        with self.lock:
            entries = [dict(entry) for entry in self._log]
        return [e for e in entries if method in (None, e["method"]) and e["path"].startswith(path_prefix or "")]

    def start(self) -> ForgeServer:
        """Serve HTTPS on 127.0.0.1:``port`` from a daemon thread."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1").configure_cert(context)
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.forge = self
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # Called by the request handler (in its thread).

    def record(self, entry: dict) -> None:
        with self.lock:
            self._log.append(entry)

    def git_authorized(self, header: str) -> bool:
        """Whether ``header`` (Authorization) is HTTP Basic with the token as password, any user name."""
        scheme, _, value = header.partition(" ")
        try:
            return scheme.lower() == "basic" and base64.b64decode(value).decode().partition(":")[2] == self.token
        except ValueError:
            return False

    def api_authorized(self, headers: dict[str, str]) -> bool:
        """GitHub wants `Authorization: token X` (or Bearer), GitLab `PRIVATE-TOKEN: X` (or Bearer)."""
        scheme, _, value = headers.get("Authorization", "").partition(" ")
        bearer = value if scheme.lower() in ("token", "bearer") else None
        return (bearer if self.kind == "github" else headers.get("PRIVATE-TOKEN", bearer)) == self.token

    def route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The name of the handler of ``method`` ``path`` and the path's parameters; None if no route matches."""
        repo, project = re.escape(self.repo), re.escape(quote(self.repo, safe=""))
        for verb, pattern, name in COMMON + ROUTES[self.kind]:
            match = re.fullmatch(pattern.format(repo=repo, project=project), path)
            if verb == method and match:
                return name, match.groupdict()
        return None

    def answer(self, request: dict) -> tuple[str | None, int, object]:
        """(route, status, payload) for an API, upload or asset request; payload: JSON value, str, Path or None."""
        found = self.route(request["method"], request["path"])
        if not found:
            return None, 404, {"message": "Not Found"}
        name, params = found
        if name not in NO_TOKEN and not self.api_authorized(request["headers"]):
            return name, 401, {"message": "Bad credentials" if self.kind == "github" else "401 Unauthorized"}
        try:
            return name, *getattr(self, name)(request, **params)
        except (KeyError, TypeError, AttributeError) as error:  # a field missing, or a body of the wrong kind
            return name, 400, {"message": f"Bad request: {error!r}"}

    # The routes: each takes the request and the pattern's groups, and gives (status, payload).

    def upload(self, request):
        data = request["body"] if isinstance(request["body"], bytes) else b""
        mime = request["headers"].get("Content-Type", "application/octet-stream").split(";")[0]
        named = re.search(r'filename="([^"]*)"', request["headers"].get("Content-Disposition", ""))
        filename = named.group(1) if named else ""
        digest = hashlib.sha256(data).hexdigest()
        name = digest + (Path(filename).suffix or mimetypes.guess_extension(mime) or "")
        (self.root / "assets").mkdir(exist_ok=True)
        (self.root / "assets" / name).write_bytes(data)
        with self.lock:
            self.uploads.append({"filename": filename, "mime": mime, "sha256": digest, "size": len(data)})
        return 200, f"{self.url}/assets/{name}"  # CML takes the answer's text as the asset's URL

    def asset(self, request, name):
        path = self.root / "assets" / name
        return (200, path) if path.is_file() else (404, {"message": "Not Found"})

    def _comment(self, target: str, key: str, value: object, body: str) -> int:
        with self.lock:
            self.comments.append({"id": len(self.comments) + 1, "target": target, key: value, "body": body})
            return len(self.comments)

    def _create_pull(self, head: str, base: str, title: str, body: str) -> dict | None:
        sha = self.branch_sha(head)
        if sha is None:
            return None
        with self.lock:
            number = max([p["number"] for p in self.pulls], default=0) + 1
            pull = {"number": number, "head_ref": head, "head_sha": sha, "base_ref": base}
            self.pulls.append(pull | {"title": title, "body": body, "state": "open"})
            return self.pulls[-1]

    def github_pull(self, pull: dict) -> dict:
        shape = {key: pull[key] for key in ("number", "state", "title", "body")}
        head, base = {"ref": pull["head_ref"], "sha": pull["head_sha"]}, {"ref": pull["base_ref"]}
        return shape | {"html_url": f"{self.repo_url}/pull/{pull['number']}", "head": head, "base": base}

    def github_commit_pulls(self, request, sha):
        return 200, [self.github_pull(p) for p in self.pulls if p["head_sha"] == sha and p["state"] == "open"]

    def github_pulls(self, request):
        state = request["query"].get("state", "open")
        return 200, [self.github_pull(p) for p in self.pulls if state in ("all", p["state"])]

    def github_pr_comment(self, request, number):
        body = request["body"]["body"]
        k = self._comment("pr", "number", int(number), body)
        return 201, {"id": k, "html_url": f"{self.repo_url}/pull/{number}#issuecomment-{k}", "body": body}

    def github_commit_comment(self, request, sha):
        body = request["body"]["body"]
        k = self._comment("commit", "sha", sha, body)
        return 201, {"id": k, "html_url": f"{self.repo_url}/commit/{sha}#commitcomment-{k}", "body": body}

    def github_create_pull(self, request):
        fields = request["body"]
        head = fields["head"].rpartition(":")[2]  # "owner:branch" or "branch"
        pull = self._create_pull(head, fields["base"], fields.get("title", ""), fields.get("body") or "")
        if pull is None:
            error = {"resource": "PullRequest", "field": "head", "code": "invalid"}
            return 422, {"message": "Validation Failed", "errors": [error]}
        return 201, self.github_pull(pull)

    def github_dispatch(self, request, workflow):
        fields = request["body"]
        with self.lock:
            self.dispatches.append({"workflow": workflow, "ref": fields["ref"], "inputs": fields.get("inputs", {})})
        return 204, None

    def github_jit_runner(self, request):
        """Register a one-job runner; it counts as online at once (the test's act runs its job here)."""
        fields = request["body"]
        with self.lock:
            runner = {"id": len(self.runners) + 1, "name": fields["name"], "status": "online", "busy": False,
                      "labels": [{"name": label} for label in fields["labels"]]}  # fmt: skip
            self.runners.append(runner)
        return 201, {"runner": runner, "encoded_jit_config": f"jit-config-of-{fields['name']}"}

    def github_runners(self, request):
        return 200, {"total_count": len(self.runners), "runners": self.runners}

    def github_user(self, request, login):
        return 200, {"login": login, "id": 1, "name": login, "html_url": f"{self.url}/{login}"}

    def gitlab_version(self, request, prefix):
        return (404, {"message": "404 Not Found"}) if prefix else (200, {"version": "17.0.0"})

    def gitlab_mr(self, pull: dict) -> dict:
        shape = {"iid": pull["number"], "web_url": f"{self.repo_url}/-/merge_requests/{pull['number']}"}
        shape |= {"source_branch": pull["head_ref"], "target_branch": pull["base_ref"], "sha": pull["head_sha"]}
        state = "opened" if pull["state"] == "open" else pull["state"]
        return shape | {"title": pull["title"], "description": pull["body"], "state": state}

    def gitlab_commit_mrs(self, request, sha):
        return 200, [self.gitlab_mr(p) for p in self.pulls if p["head_sha"] == sha]

    def gitlab_mrs(self, request):
        state = request["query"].get("state", "all")
        return 200, [mr for mr in map(self.gitlab_mr, self.pulls) if state in ("all", mr["state"])]

    def gitlab_mr_note(self, request, number):
        body = request["body"]["body"]
        return 201, {"id": self._comment("pr", "number", int(number), body), "body": body}

    def gitlab_commit_comment(self, request, sha):
        note = request["body"]["note"]
        self._comment("commit", "sha", sha, note)
        return 201, {"note": note, "author": {"username": "forge"}}

    def gitlab_create_mr(self, request):
        fields = request["body"]
        source, target = fields["source_branch"], fields["target_branch"]
        pull = self._create_pull(source, target, fields.get("title", ""), fields.get("description", ""))
        if pull is None:
            return 422, {"message": [f"Source branch {source} does not exist"]}
        return 201, self.gitlab_mr(pull)

    def gitlab_trigger(self, request):
        fields = request["query"] | (request["body"] if isinstance(request["body"], dict) else {})
        if fields.get("token") != self.trigger_token:
            return 404, {"message": "404 Not Found"}
        variables = dict(fields.get("variables") or {})  # JSON; a form has variables[NAME] fields
        variables |= {key[10:-1]: value for key, value in fields.items() if re.fullmatch(r"variables\[.+\]", key)}
        with self.lock:
            number = len(self.dispatches) + 1
            self.dispatches.append({"pipeline": number, "ref": fields["ref"], "variables": variables})
        return 201, {"id": number, "web_url": f"{self.repo_url}/-/pipelines/{number}", "ref": fields["ref"]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    forge: ForgeServer

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hangs up or distrusts the CA is no error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 60

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        forge = self.server.forge
        url = urlsplit(self.path)
        raw = self.read_body()
        request = {"method": self.command, "path": url.path, "query": dict(parse_qsl(url.query))}
        request["headers"] = {name: self.headers[name] for name in HEADERS if name in self.headers}
        if git := GIT_PATH.fullmatch(url.path):
            return self.git(forge, request, raw, "/{}/{}.git{}".format(*git.groups()), url.query)
        kind = self.headers.get("Content-Type", "").split(";")[0]
        if kind == "application/json" and raw:
            request["body"] = json.loads(raw)
        elif kind == "application/x-www-form-urlencoded":
            request["body"] = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        else:
            request["body"] = raw or None
        request["route"], request["status"], payload = forge.answer(request)
        forge.record(request)  # before answering: the client may look at the log as soon as it has the answer
        self.reply(request["status"], payload)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers
            pass
        return b"".join(chunks)

    def reply(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        kind = "application/json"
        if isinstance(payload, Path):
            kind, payload = mimetypes.guess_type(payload.name)[0] or "application/octet-stream", payload.read_bytes()
        elif isinstance(payload, str):
            kind, payload = "text/plain; charset=utf-8", payload.encode()
        elif payload is not None:
            payload = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if payload is not None:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload or b"")))  # no body up to EOF: see git()
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def git(self, forge: ForgeServer, request: dict, raw: bytes, path_info: str, query: str) -> None:
        """Answer through `git http-backend` (CGI); record the requests of pushes (refused ones too)."""
        request |= {"body": None, "route": "git"}
        push = request["path"].endswith("/git-receive-pack") or "service=git-receive-pack" in query
        if not forge.git_authorized(self.headers.get("Authorization", "")):  # git's first try is anonymous
            request["status"] = 401
            if push:
                forge.record(request)
            return self.reply(401, {"message": "Requires authentication"}, {"WWW-Authenticate": 'Basic realm="forge"'})
        env = {**os.environ, "GIT_PROJECT_ROOT": str(forge.root / "git"), "GIT_HTTP_EXPORT_ALL": "1"}
        env |= {"PATH_INFO": path_info, "QUERY_STRING": query, "REQUEST_METHOD": self.command}
        env |= {"CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(raw))}
        env |= {"REMOTE_USER": "forge-user", "REMOTE_ADDR": self.client_address[0]}
        for header, variable in (("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if header in self.headers:
                env[variable] = self.headers[header]
        cgi = subprocess.run(["git", "http-backend"], input=raw, capture_output=True, env=env)
        head, _, body = cgi.stdout.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().splitlines() if ": " in line)
        request["status"] = int(headers.pop("Status", "200").split()[0])
        if push:
            forge.record(request)
        self.send_response(request["status"])
        for name, value in headers.items():
            self.send_header(name, value)
        # With a length, not up to EOF: a body up to EOF makes GnuTLS (git) want a TLS close_notify that ssl skips.
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
