"""Optional libraries: what the default pipeline does not need comes with an extra of pyproject.toml.

A setting that needs one refuses, in one line, to run without it and names the
`uv sync --extra ...` that brings it.
"""

from __future__ import annotations

import importlib.util

from .cli import UserError


def require(module: str, extra: str, setting: str) -> None:
    """Refuse ``setting`` if ``module`` is not installed; say which extra brings it."""
    if importlib.util.find_spec(module) is None:
        raise UserError(
            f"{setting} needs {module}, which is not installed. "
            f"Install it with `uv sync --extra {extra}` (or pip install -e '.[{extra}]')"
        )
