"""A pipeline output as a git revision recorded it: "nothing there yet" told from "unreadable".

The data check reads the profile committed at HEAD, the CI report and gate read the base
branch's model, encoding, data and split. Each asks here. There are three answers:

- the bytes, from the DVC cache or the remote, as the revision's dvc.lock records them;
- None: nothing to compare yet, because the revision has no commit (a new repository), no
  dvc.lock, or its dvc.lock records no such output (its pipeline never made it);
- a UserError: the output is recorded but cannot be read (the cache lacks it and the remote
  is unreachable, lacks it or refuses the credentials), or the revision does not exist.

A failure to fetch is never taken for "nothing there": a check that cannot read what it
compares against stops and says so.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from .cli import UserError


def check_revision(revision: str) -> bool:
    """True if ``revision`` names a commit; False for HEAD without commits; a UserError otherwise."""
    result = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", revision + "^{commit}"],
        capture_output=True, check=False,
    )  # fmt: skip
    if result.returncode == 0:
        return True
    if revision == "HEAD":
        return False
    raise UserError(
        f"`{revision}` is not a branch or commit of this repository. "
        f"Fetch it (git fetch origin {revision}) or name the revision to compare with"
    )


def filesystem(revision: str) -> Any:
    """DVC's view of this repository at ``revision``: git for dvc.lock, the cache or remote for data."""
    return repository_at(str(Path.cwd().resolve()), revision)


@cache
def repository_at(root: str, revision: str) -> Any:
    """DVC's view of the repository at ``root`` and ``revision``, made once."""
    from dvc.api import DVCFileSystem

    return DVCFileSystem(root, rev=revision)


class Unreadable(UserError):
    """An output that a revision records, but that cannot be read from the cache or the remote."""

    def __init__(self, path: Path, revision: str, reason: str) -> None:
        self.path, self.revision, self.reason = path, revision, reason
        super().__init__(
            f"{path} as `{revision}` recorded it could not be read ({reason}). "
            "Check the DVC remote and its credentials"
        )


def remote() -> str:
    """The default DVC remote, by name and URL, as the error messages show it."""
    from dvc.repo import Repo

    try:
        with Repo(".") as repo:
            name = repo.config["core"].get("remote")
            url = repo.config["remote"].get(name, {}).get("url") if name else None
    except Exception:  # only a message is at stake: say what is known
        return "the DVC remote"
    return f"the DVC remote {name!r} ({url})" if name else "no DVC remote (none is set as default)"


def where(path: Path, revision: str, error: Exception) -> Unreadable:
    """The error for an output that ``revision`` records but that cannot be read."""
    from dvc.exceptions import PathMissingError

    if isinstance(error, PathMissingError | FileNotFoundError):  # DVC's "neither has it"
        reason = f"it is not in the DVC cache, and {remote()} lacks it or cannot be reached"
    else:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return Unreadable(path, revision, reason)


def recorded(path: Path, revision: str) -> bool:
    """True if ``revision``'s dvc.lock records ``path`` (as an output, or in one that is a folder)."""
    if not check_revision(revision):
        return False
    try:
        info = filesystem(revision).info(path.as_posix())
    except FileNotFoundError:
        return False
    except Exception as error:  # a folder output whose listing cannot be fetched
        raise where(path, revision, error) from None
    if "dvc_info" not in info:  # a file git tracks
        return True
    entry = info["dvc_info"].get("entry")  # dvc.yaml names it; dvc.lock gives it a hash once run
    return bool(getattr(entry, "hash_info", None) or info["dvc_info"].get("md5"))


def read(path: Path, revision: str) -> bytes | None:
    """The bytes of ``path`` as ``revision`` recorded it; None if it records no such output."""
    if not recorded(path, revision):
        return None
    try:
        with filesystem(revision).open(path.as_posix(), mode="rb") as handle:
            return handle.read()
    except Exception as error:  # recorded, so any failure is "unreadable", never "absent"
        raise where(path, revision, error) from None


def copy(path: Path, revision: str, destination: Path) -> bool:
    """Copy ``path`` as ``revision`` recorded it to ``destination``, a piece at a time.

    False if the revision records no such output; a UserError if it cannot be fetched.
    """
    if not recorded(path, revision):
        return False
    try:
        with (
            filesystem(revision).open(path.as_posix(), mode="rb") as handle,
            destination.open("wb") as out,
        ):
            shutil.copyfileobj(handle, out, 16 * 2**20)
    except Exception as error:  # recorded, so any failure is "unreadable", never "absent"
        destination.unlink(missing_ok=True)
        raise where(path, revision, error) from None
    return True
