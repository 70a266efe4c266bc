"""Run a stage's ``main()`` so that a mistake the user can fix ends in one readable line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


class UserError(Exception):
    """A problem the user can fix (a parameter, a data file); its message says how."""


def run(main: Callable[[], None]) -> None:
    """Set up logging, call ``main``, and turn a ``UserError`` into ``ERROR: ...`` and exit 1."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    try:
        main()
    except UserError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(1)
