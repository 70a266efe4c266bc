#!/usr/bin/env bash
# Tools the tests need beyond Python: shellcheck (actionlint runs it on every `run:` block of
# the workflows), rsync and Node 22 with gitlab-ci-local (to run the GitLab pipeline locally).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null || ! command -v rsync >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq shellcheck rsync >/dev/null
    else
        echo "ERROR: shellcheck and rsync are missing. Install them (e.g. sudo apt-get install shellcheck rsync)." >&2
        exit 1
    fi
fi
if [ ! -x .tools/node_modules/.bin/gitlab-ci-local ]; then
    npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error gitlab-ci-local@4.75.1 node@22
fi
