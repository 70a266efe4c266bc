"""Stage check_source: record what the store says about the data behind get_data.source.

DVC runs this stage on every `dvc repro` (always_changed in dvc.yaml). It asks the store
for a fingerprint of the data, never the data itself: size, modification time, ETag or
version of a file; row count and latest time of a database query. DVC reruns get_data,
and so the stages after it, only when data/source.json changed. The synthetic default has
no outside data: its fingerprint never changes. It runs on every `dvc repro`, so it imports
nothing heavy (no NumPy, no Arrow) for the synthetic and file sources.
"""

from __future__ import annotations

import json
import logging

from .core import params as p
from .core import sources
from .core.cli import run
from .core.files import write_text_atomic
from .core.paths import SOURCE_STATE

log = logging.getLogger(__name__)


def main() -> None:
    """Read the source settings, ask the store for the fingerprint, write data/source.json."""
    params = p.load()
    source = p.text(params, "get_data.source")
    query = p.text(params, "get_data.query")
    time_column = p.text(params, "prepare.time_column")
    state = sources.fingerprint(source, query, time_column)
    write_text_atomic(SOURCE_STATE, json.dumps(state, indent=2, sort_keys=True) + "\n")
    log.info("%s: %s", SOURCE_STATE, json.dumps(state, sort_keys=True))


if __name__ == "__main__":
    run(main)
