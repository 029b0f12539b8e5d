#!/usr/bin/env bash
# Run the test suite: the dev environment first (scripts/setup.sh, skipped when
# CP_SETUP_DONE=1), then `.venv/bin/python -m pytest -q` with this script's arguments.
# The local registry's LOCAL_REGISTRY* variables are exported for the integration tests.
# pytest's exit code 5 (no tests collected) counts as a skip, not a failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CP_REPO_ROOT"

if [[ "${CP_SETUP_DONE:-}" == 1 ]]; then
    log "CP_SETUP_DONE=1: not running scripts/setup.sh"
else
    bash "$CP_SCRIPTS_DIR/setup.sh"
fi

load_registry_credentials # exports LOCAL_REGISTRY, LOCAL_REGISTRY_USERNAME, LOCAL_REGISTRY_PASSWORD
export CONNECTOR_PIPELINES_HOME="$CP_HOME"

[[ -x .venv/bin/python ]] ||
    die "no .venv: run .ci/run, or python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'"

log "pytest -q $*"
rc=0
.venv/bin/python -m pytest -q "$@" || rc=$?
if ((rc == 5)); then
    log "pytest collected no tests (exit 5): treated as a skip"
    exit 0
fi
exit "$rc"
