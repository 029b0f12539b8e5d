#!/usr/bin/env bash
# Static checks of the whole tree: mypy over every package (connector_build, pipelines, registry,
# the Dagger module in dagger/src, the tests and the benchmarks), then ruff.
#
#     bash scripts/typecheck.sh
#
# The Dagger engine and the Dagger module, which cannot run here (the Dagger engine cannot be
# downloaded on this machine), are checked strictly ([[tool.mypy.overrides]] in pyproject.toml)
# against dagger-io's own type annotations, so a wrong method or argument name fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

"$PYTHON" -m mypy connector_build pipelines registry dagger/src tests bench

"$PYTHON" -m ruff check connector_build pipelines registry dagger/src tests bench
