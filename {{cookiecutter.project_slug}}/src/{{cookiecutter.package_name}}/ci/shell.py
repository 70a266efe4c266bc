"""The programs the CI steps run: git, DVC (in this Python's environment) and CML.

CML posts comments and opens pull requests only in CI with CML installed; elsewhere
``can_post`` says why not, and the steps write their output and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..core.cli import UserError

# A CI machine often has no git identity, and `dvc exp run` refuses to work without one.
CI_IDENTITY = {
    "user.name": "Continuous training",
    "user.email": "continuous-training@example.invalid",
}


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git, capturing its output; with ``check``, its failure is a UserError with git's message."""
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no output"]
        reason = next((line for line in lines if line.startswith(("fatal:", "error:"))), lines[-1])
        raise UserError(f"`git {' '.join(args)}` failed ({reason})")
    return result


def dvc(*args: str, env: dict[str, str] | None = None) -> None:
    """Run a DVC command in this Python's environment (``env`` added); its failure is a UserError."""
    environment = {**os.environ, **(env or {})}
    if subprocess.run(
        [sys.executable, "-m", "dvc", *args], env=environment, check=False
    ).returncode:
        raise UserError(
            f"`dvc {' '.join(args)}` failed (see DVC's message above). Fix it and run again"
        )


def ensure_git_identity() -> None:
    """Give the repository a git identity if it has none."""
    for key, value in CI_IDENTITY.items():
        if not git("config", "--get", key, check=False).stdout.strip():
            git("config", key, value)


def resolve_base(base: str) -> str:
    """The git revision to compare with: ``base`` or ``origin/<base>``; a UserError if neither exists.

    A base that is missing here (a shallow checkout, a branch not fetched) is not "nothing to
    compare with": the gate would decide on the floor alone.
    """
    for candidate in (base, f"origin/{base}"):
        if git("rev-parse", "--verify", "--quiet", f"{candidate}^0", check=False).returncode == 0:
            return candidate
    raise UserError(
        f"the base `{base}` is neither a branch or commit here nor `origin/{base}`, so there is "
        f"nothing to score this model against. Fetch it (git fetch origin {base}; in CI, check "
        f"out with the full history) or name another base with --base"
    )


def can_post() -> str | None:
    """Why posting through CML is not possible here, or None if it is."""
    if not os.environ.get("CI"):
        return "not running in CI (the CI variable is not set)"
    if shutil.which("cml") is None:
        return "cml is not installed"
    return None


def cml(*args: str) -> None:
    """Run CML (its output shown as it goes); its failure is a UserError."""
    if subprocess.run(["cml", *args], check=False).returncode != 0:
        raise UserError(f"`cml {' '.join(args)}` failed (see CML's message above)")


def post_comment(markdown: Path) -> None:
    """Post a Markdown file as a comment through CML, its images uploaded."""
    cml("comment", "create", "--publish", str(markdown))
