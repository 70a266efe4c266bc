"""Run a stage's ``main()`` so that a mistake the user can fix ends in one readable line."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path


class UserError(Exception):
    """A problem the user can fix (a parameter, a data file); its message says how."""


def run(main: Callable[[], None]) -> None:
    """Set up logging, call ``main``, and turn a ``UserError`` into ``ERROR: ...`` and exit 1.

    When `ci train` runs the pipeline, each stage's wall time is recorded for its report.
    """
    from .costs import record_stage

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    started = time.monotonic()
    try:
        main()
    except UserError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(1)
    record_stage(
        Path(sys.argv[0]).stem, time.monotonic() - started
    )  # `python -m <package>.<stage>`
