"""Run a stage's ``main()`` so that a mistake the user can fix ends in one readable line."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# When set (by `ci train`), each stage appends its wall time to the file it names.
STAGE_TIMES_VARIABLE = "STAGE_TIMES"


class UserError(Exception):
    """A problem the user can fix (a parameter, a data file); its message says how."""


def run(main: Callable[[], None]) -> None:
    """Set up logging, call ``main``, and turn a ``UserError`` into ``ERROR: ...`` and exit 1."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    started = time.monotonic()
    try:
        main()
    except UserError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        sys.exit(1)
    # `python -m <package>.<stage>`: the stage is the module's name.
    record_stage(Path(sys.argv[0]).stem, time.monotonic() - started)


def record_stage(stage: str, seconds: float) -> None:
    """Append a stage's wall time to the file named by $STAGE_TIMES, if it is set."""
    target = os.environ.get(STAGE_TIMES_VARIABLE)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"step": stage, "seconds": round(seconds, 2)}) + "\n")
