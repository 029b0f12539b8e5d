#!/usr/bin/env bash
# The project's virtualenv at .venv with connector-pipelines[dev] installed (editable).
# (Re)created when missing or broken; reinstalled only when pyproject.toml or the extras changed
# since the last install (a stamp in .venv), so a second run takes a moment.
#
#   CP_PYTHON_EXTRAS  extras to install, default "dev" (the test and lint tools); the demo sets
#                     it empty: it runs the tool only, and the dev tools are most of a cold install.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CP_REPO_ROOT"

python=${PYTHON:-python3}
if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  log "creating .venv with $($python --version)"
  rm -rf .venv
  "$python" -m venv .venv
fi
stamp=".venv/.connector-pipelines-pyproject.sha256"
extras="${CP_PYTHON_EXTRAS-dev}"
target="."
[[ -z "$extras" ]] || target=".[$extras]"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $target"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]] || ! .venv/bin/python -m pip show -q connector-pipelines >/dev/null 2>&1; then
  log "pip install -e '$target'"
  start=$SECONDS
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target"
  echo "$want" >"$stamp"
  log "pip install took $((SECONDS - start))s"
else
  log ".venv up to date with pyproject.toml"
fi
log "installed: $(.venv/bin/connector-pipelines --version)"
