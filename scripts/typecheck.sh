#!/usr/bin/env bash
# Static checks of the Dagger engine and the Dagger module, which cannot run here (the Dagger
# engine cannot be downloaded on this machine): mypy, strict for those two, against dagger-io's
# own type annotations, so a wrong method or argument name fails; then ruff.
#
#     bash scripts/typecheck.sh
#
# Also checked (non-strict, [tool.mypy] in pyproject.toml): the rest of pipelines/engines/ and
# the plan and image modules the engines share, and the contract tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

"$PYTHON" -m mypy \
    pipelines/engines/dagger.py \
    dagger/src \
    pipelines/engines/__init__.py pipelines/engines/base.py pipelines/engines/docker.py \
    pipelines/engines/dockerfile_render.py connector_build/plan.py connector_build/images.py \
    tests/contract

"$PYTHON" -m ruff check pipelines/engines/dagger.py dagger/src tests/contract
