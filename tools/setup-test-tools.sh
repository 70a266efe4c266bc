#!/usr/bin/env bash
# Tools the tests need beyond Python:
#   - Debian packages: shellcheck (actionlint runs it on every `run:` block), rsync, and the
#     PostgreSQL server binaries (tests/pg_server.py runs a real server);
#   - into .tools/ with npm: Node 22 with gitlab-ci-local (runs the GitLab pipeline), and the
#     CML command line (the workflows' `cml` calls run for real). The npm registry serves CML;
#     where it does not, the release kept in ../shared/vendor/ is installed instead;
#   - into .tools/aws/ with uv: the AWS command line and moto's AWS emulator (the teardown
#     job's `aws ec2` calls run against it), pinned in tools/requirements-aws.txt.
# act, which runs the GitHub workflow on this machine, comes with requirements.txt.
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

CML_VERSION=0.20.6
CML_VENDORED=../shared/vendor/dvcorg-cml-$CML_VERSION.tgz
if [ ! -x .tools/node_modules/.bin/gitlab-ci-local ] || [ ! -x .tools/node_modules/.bin/cml ]; then
    # One npm command for all: a later `npm install` would remove what an earlier one put there.
    npm_install() { npm install --prefix .tools --no-save --no-audit --no-fund --loglevel=error "$@"; }
    if ! npm_install gitlab-ci-local@4.75.1 node@22 "@dvcorg/cml@$CML_VERSION" 2>/dev/null; then
        if [ ! -f "$CML_VENDORED" ]; then
            echo "ERROR: the npm registry has no @dvcorg/cml@$CML_VERSION and $CML_VENDORED is missing. Put the release there (npm pack @dvcorg/cml@$CML_VERSION)." >&2
            exit 1
        fi
        npm_install gitlab-ci-local@4.75.1 node@22 "$(realpath "$CML_VENDORED")"
    fi
fi

if [ ! -x .tools/aws/bin/aws ] || [ ! -x .tools/aws/bin/moto_server ]; then
    .venv/bin/uv venv --quiet --python .venv/bin/python .tools/aws
fi
.venv/bin/uv pip install --quiet --python .tools/aws/bin/python -r tools/requirements-aws.txt
