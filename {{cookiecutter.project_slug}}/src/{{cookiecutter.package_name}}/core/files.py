"""Outputs written whole or not at all: a temporary file, renamed into place on success.

A stage killed half-way never leaves a file that looks complete. Kept apart from
dataset.py so that writing a small file imports neither NumPy nor Arrow.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Give a temporary path to write; on success rename it to ``path``, on failure remove it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically."""
    with atomic(path) as partial:
        partial.write_text(text, encoding="utf-8")
