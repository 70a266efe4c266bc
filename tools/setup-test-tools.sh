#!/usr/bin/env bash
# Tools the tests need beyond Python: shellcheck (actionlint runs it on every `run:` block of
# the workflows), rsync, the PostgreSQL server binaries (tests/pg_server.py runs a real server)
# and Node 22 with gitlab-ci-local (to run the GitLab pipeline locally).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v rsync >/dev/null || missing+=(rsync)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "ERROR: missing ${missing[*]}. Install them (e.g. sudo apt-get install shellcheck rsync postgresql)." >&2
        exit 1
    fi
fi
if [ ! -x .tools/node_modules/.bin/gitlab-ci-local ]; then
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error gitlab-ci-local@4.75.1 node@22
fi
