"""dvclive set up the same way by every stage that logs metrics or plots.

dvc.yaml declares the metrics and plots, so dvclive must not write a dvc.yaml of its
own (its default rewrites the project's) nor save experiments: DVC does that.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .cli import UserError

if TYPE_CHECKING:
    from dvclive import Live


def start_live(directory: Path) -> Live:
    """Return a dvclive logger writing to ``directory``; an empty git repository is a UserError."""
    from dvclive import Live
    from scmrepo.exceptions import SCMError

    try:
        return Live(str(directory), dvcyaml=False, save_dvc_exp=False)
    except SCMError as error:  # dvclive cannot start in a repository without commits
        raise UserError(
            f"git: {error}. Make a first commit (git add -A && git commit) and run again"
        ) from None
