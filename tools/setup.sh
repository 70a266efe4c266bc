#!/usr/bin/env bash
# Make .venv with everything the template's tooling needs, pinned by requirements.txt.
# uv installs the pinned set in seconds; plain pip would first have to resolve it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(sed -n 's/^uv==//p' requirements.txt)"
fi
# Bytecode compiled now, once: the tests run stages with PYTHONDONTWRITEBYTECODE=1.
.venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python -r requirements.txt
