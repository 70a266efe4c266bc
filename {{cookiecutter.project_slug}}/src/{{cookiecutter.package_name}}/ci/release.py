"""Model versions with GTO: `python -m {{ cookiecutter.package_name }}.ci release`.

The model is a DVC artifact (`artifacts: model` in dvc.yaml). Releasing registers a new
version of it with GTO: an annotated git tag `model@vX.Y.Z` on the commit whose dvc.lock
holds the model, and, with --stage, the tag that assigns it to that stage. The model of a
version comes back on any machine with `dvc artifacts get <repository> model --rev vX.Y.Z`.
A release is refused when the workspace is not committed, or when the model fails the
quality gate against the latest released version.
"""

from __future__ import annotations

import logging
import subprocess

from ..core import params as p
from ..core.cli import UserError
from .compare import compare

log = logging.getLogger(__name__)

ARTIFACT = "model"  # its name in dvc.yaml's artifacts
BUMPS = ("patch", "minor", "major")


def latest_version() -> str | None:
    """The latest registered version of the model (e.g. "v1.2.0"), None before the first."""
    from gto.api import find_latest_version
    from gto.exceptions import ArtifactNotFound

    try:
        found = find_latest_version(".", ARTIFACT)
    except ArtifactNotFound:  # no version registered yet
        return None
    return found.version if found else None


def next_version(bump: str = "patch") -> str:
    """The version a release with ``bump`` would register now."""
    from gto.versions import SemVer

    latest = latest_version() or "v0.0.0"  # the first release: v0.0.1, v0.1.0 or v1.0.0
    return SemVer(latest).bump(**{f"bump_{bump}": True}).version


def tag_list() -> list[str]:
    """The repository's tags."""
    return subprocess.run(
        ["git", "tag", "--list"], capture_output=True, text=True, check=True
    ).stdout.split()


def uncommitted() -> list[str]:
    """Tracked files with changes not committed (untracked files do not count)."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [line[3:] for line in status.splitlines()]


def release(bump: str, stage: str | None, push: bool) -> str:
    """Register the committed model as the next version (and assign ``stage``); return the version."""
    from gto.api import assign, register
    from gto.exceptions import GTOException

    changed = uncommitted()
    if changed:
        raise UserError(
            f"the workspace is not committed ({', '.join(changed[:5])}). "
            "Commit dvc.lock and the rest first: a version names a commit"
        )
    base = latest_version()
    comparison = compare(f"{ARTIFACT}@{base}" if base else None, p.load())
    if not comparison.passed:
        raise UserError(
            "quality gate failed against "
            + (f"{ARTIFACT}@{base}" if base else "the floor")
            + ": " + "; ".join(comparison.reasons) + ". Not released"
        )  # fmt: skip
    tags_before = set(tag_list())
    try:
        version = next_version(bump)
        register(".", ARTIFACT, "HEAD", version=version)
        if stage:
            assign(".", ARTIFACT, stage, version=version)
    except GTOException as error:
        raise UserError(f"GTO refused the release: {error}") from None
    if push:  # with git itself, so its credentials apply (those CI's checkout leaves, helpers)
        new_tags = sorted(set(tag_list()) - tags_before)
        pushed = subprocess.run(
            ["git", "push", "origin", *(f"refs/tags/{tag}" for tag in new_tags)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if pushed.returncode != 0:
            last = (pushed.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(
                f"{ARTIFACT}@{version} is tagged here, but pushing {', '.join(new_tags)} failed ({last}). "
                "Push the tags with git push origin --tags"
            )
    log.info(
        "released %s@%s%s%s", ARTIFACT, version, f" in stage {stage}" if stage else "",
        " and pushed the tags to origin" if push else " (tags not pushed: git push --tags)",
    )  # fmt: skip
    return version
