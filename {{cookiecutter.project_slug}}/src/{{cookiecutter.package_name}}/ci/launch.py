"""Start a cloud training from a laptop: `python -m {{ cookiecutter.package_name }}.ci launch`.

On GitHub it dispatches the Train workflow (what `gh workflow run train.yml` does) with a
token from GITHUB_TOKEN, GH_TOKEN or the `gh` command line; on GitLab it triggers a pipeline
through the pipeline trigger API with a trigger token from GITLAB_TRIGGER_TOKEN. The forge
and the repository come from the `origin` remote. Either way the run trains the branch as
pushed, and this prints where to watch it.

It calls the forges' APIs itself rather than `gh workflow run` or `glab`: one command for
both forges, with the workflow's inputs checked here, that needs neither tool installed
(a token is enough) and ends in one line when the token or the branch is wrong. With `gh` at
hand, `gh workflow run train.yml --ref <branch> -f exp_args=...` does the same on GitHub.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..core.cli import UserError

log = logging.getLogger(__name__)

WORKFLOW = "train.yml"
FORGES = {"github": "GitHub", "gitlab": "GitLab"}


def git_output(*args: str) -> str:
    """What a git command prints, stripped; empty if it fails."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


@dataclass
class Origin:
    """The forge and repository of the `origin` remote."""

    host: str  # with the port, if any
    path: str  # owner/name, or group/subgroup/name on GitLab

    @classmethod
    def read(cls) -> Origin:
        """Parse `git remote get-url origin` (https://host/owner/name.git or git@host:owner/name.git)."""
        url = git_output("remote", "get-url", "origin")
        if not url:
            raise UserError(
                "this repository has no `origin` remote. Push it to GitHub or GitLab first "
                "(git remote add origin <url> && git push -u origin HEAD)"
            )
        match = re.match(r"^(?:[\w+]+://)?(?:[^@/]+@)?([^/:]+(?::\d+)?)[:/](.+?)(?:\.git)?/?$", url)
        if not match or url.startswith(("/", ".")) or "/" not in match.group(2):
            raise UserError(f"the origin remote {url!r} is not a GitHub or GitLab repository URL")
        host, path = match.groups()
        if url.startswith("git@") or url.startswith("ssh://"):
            host = host.split(":")[0]  # an SSH port says nothing about the web's
        return cls(host, path)

    def forge(self, files_present: dict[str, bool]) -> str:
        """ "github" or "gitlab": the CI file this project has, or the host's name when it has both."""
        if files_present["github"] != files_present["gitlab"]:
            return "github" if files_present["github"] else "gitlab"
        return "gitlab" if "gitlab" in self.host else "github"


def post(url: str, data: bytes, headers: dict[str, str], what: str) -> bytes:
    """POST ``data`` and return the body; an HTTP or network error becomes a UserError."""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:300]
        hint = {401: "the token is wrong or expired", 403: "the token may not start runs",
                404: "no such repository or workflow, or the token cannot see it"}.get(error.code, "")  # fmt: skip
        raise UserError(
            f"{what} failed: HTTP {error.code} from {url} ({hint or detail}). Check the token and the origin remote"
        ) from None
    except urllib.error.URLError as error:
        raise UserError(f"{what} failed: cannot reach {url} ({error.reason})") from None


def github_token() -> str:
    """A token for GitHub's API: GITHUB_TOKEN, GH_TOKEN, or the one `gh auth login` stored."""
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token and shutil.which("gh"):
        result = subprocess.run(
            ["gh", "auth", "token"], capture_output=True, text=True, check=False
        )
        token = result.stdout.strip() if result.returncode == 0 else ""
    if not token:
        raise UserError(
            "no GitHub token: set GITHUB_TOKEN to a token that may run workflows "
            "(fine-grained: Actions read and write), or log in with `gh auth login`"
        )
    return token


def check_inputs(inputs: dict[str, str]) -> None:
    """Refuse a setting the Train workflow does not declare (GitHub would answer 422)."""
    from ruamel.yaml import YAML, YAMLError

    path = Path(".github/workflows", WORKFLOW)
    try:
        workflow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError:
        raise UserError(f"{path} is not valid YAML. Fix its syntax") from None
    on = workflow.get("on") if isinstance(workflow, dict) else None
    dispatch = on.get("workflow_dispatch") if isinstance(on, dict) else None
    declared = list((dispatch or {}).get("inputs") or {})
    unknown = [name for name in inputs if name not in declared]
    if unknown:
        option = "--" + unknown[0].replace("_", "-")
        takes = ", ".join("--" + name.replace("_", "-") for name in declared) or "none"
        raise UserError(f"{option} is not a setting of this project's runner: {path} takes {takes}")


def github(origin: Origin, ref: str, inputs: dict[str, str]) -> str:
    """Dispatch the Train workflow on ``ref``; return where to watch it."""
    api = os.environ.get("GITHUB_API_URL") or (
        "https://api.github.com" if origin.host == "github.com" else f"https://{origin.host}/api/v3"
    )
    url = f"{api}/repos/{origin.path}/actions/workflows/{WORKFLOW}/dispatches"
    headers = {
        "Authorization": f"Bearer {github_token()}",
        "Accept": "application/vnd.github+json",
        "Content-Type": "application/json",
    }
    post(
        url,
        json.dumps({"ref": ref, "inputs": inputs}).encode(),
        headers,
        "starting the Train workflow",
    )
    return f"https://{origin.host}/{origin.path}/actions/workflows/{WORKFLOW}"


def gitlab(origin: Origin, ref: str, variables: dict[str, str]) -> str:
    """Trigger a pipeline on ``ref``; return its web page."""
    token = os.environ.get("GITLAB_TRIGGER_TOKEN")
    if not token:
        raise UserError(
            "no GitLab trigger token: create one (Settings > CI/CD > Pipeline trigger tokens) "
            "and set GITLAB_TRIGGER_TOKEN to it"
        )
    project = urllib.parse.quote(origin.path, safe="")
    url = f"https://{origin.host}/api/v4/projects/{project}/trigger/pipeline"
    form = {"token": token, "ref": ref, **{f"variables[{k}]": v for k, v in variables.items()}}
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = post(url, urllib.parse.urlencode(form).encode(), headers, "triggering the pipeline")
    return json.loads(body).get("web_url") or f"https://{origin.host}/{origin.path}/-/pipelines"


def current_branch() -> str:
    """The checked-out branch."""
    branch = git_output("branch", "--show-current")
    if not branch:
        raise UserError("no branch is checked out. Check out the branch to train, or pass --ref")
    return branch


def warn_if_unpushed(ref: str) -> None:
    """Say so when the remote's ``ref`` differs from the local one: the run trains what is pushed."""
    local, pushed = (
        git_output("rev-parse", "--verify", "--quiet", rev) for rev in (ref, f"origin/{ref}")
    )
    if local and local != pushed:
        log.warning(
            "origin/%s is not at your %s: the run trains what is pushed (git push first)", ref, ref
        )


def launch(ref: str | None, settings: dict[str, str], files_present: dict[str, bool]) -> None:
    """Start the training of ``ref`` (default: this branch) with the runner ``settings``."""
    if not any(files_present.values()):
        raise UserError(
            "this project has no CI file (.github/workflows/train.yml or .gitlab-ci.yml) to start"
        )
    origin = Origin.read()
    forge = origin.forge(files_present)
    inputs = {k.lower(): v for k, v in settings.items()}
    if forge == "github":
        check_inputs(inputs)
    ref = ref or current_branch()
    warn_if_unpushed(ref)
    where = github(origin, ref, inputs) if forge == "github" else gitlab(origin, ref, settings)
    print(f"Started training {ref} on {FORGES[forge]}. Watch it at {where}")
