#!/usr/bin/env bash
# Create (or refresh) the project's virtualenv at .venv and install the package with its dev
# tools. Quick when nothing changed: pip finds everything already satisfied.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CP_REPO_ROOT"

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
log "installing connector-pipelines[dev] into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
log "installed: $(.venv/bin/connector-pipelines --version)"
