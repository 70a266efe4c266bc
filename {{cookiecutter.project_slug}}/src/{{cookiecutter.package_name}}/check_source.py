"""Stage check_source: record what the store says about the data behind get_data.source.

DVC runs this stage on every `dvc repro` (always_changed in dvc.yaml). It asks the store
for a fingerprint of the data, never the data itself: size, modification time, ETag or
version of a file; row count and latest time of a database query. DVC reruns get_data,
and so the stages after it, only when data/source.json changed. The synthetic default has
no outside data: its fingerprint never changes.
"""

from __future__ import annotations

import json
import logging

from . import params as p
from . import sources
from .cli import run
from .dataset import atomic
from .paths import SOURCE_STATE

log = logging.getLogger(__name__)


def main() -> None:
    """Read the source settings, ask the store for the fingerprint, write data/source.json."""
    params = p.load()
    source = p.text(params, "get_data.source")
    query = p.text(params, "get_data.query")
    time_column = p.text(params, "prepare.time_column")
    state = sources.fingerprint(source, query, time_column)
    with atomic(SOURCE_STATE) as partial:
        partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("%s: %s", SOURCE_STATE, json.dumps(state, sort_keys=True))


if __name__ == "__main__":
    run(main)
