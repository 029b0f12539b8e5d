"""Poetry connectors on the real daemon: the lock's versions in the image, cached dependencies, one-line failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import anyio
import pytest

from connector_build.monorepo import Monorepo
from connector_build.recipes import plan_for
from pipelines.build_options import resolve_build_options
from pipelines.logs import StepLog
from tests.integration.test_build import cli, run_in_image, spec_message
from tests.poetry_connectors import LOCKED_BACKOFF, copy_poetry_connector, lock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

TAG = "cp-i13-test/poetry:dev"
VERSION_OF = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"


def build(repo_path: Path, engine, log_path: Path) -> str:
    repo = Monorepo.open(repo_path)
    plan = plan_for(repo.discover().connectors["source-tiny-poetry"], "linux/amd64")
    options = resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host")
    image = anyio.run(lambda: engine.build(plan, tags=[TAG], log=StepLog(log_path), options=options))
    return image.image_id


def step_cached(log: str, command_part: str) -> bool:
    """Whether the classic builder answered the RUN step containing ``command_part`` from its cache."""
    lines = log.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("Step ") and command_part in line)
    return lines[index + 1].strip() == "---> Using cache"


def test_the_image_holds_the_locked_version_and_a_code_change_skips_the_dependency_stage(
        tmp_path: Path, docker_client, docker_engine) -> None:
    folder = copy_poetry_connector(tmp_path)
    image = build(tmp_path, docker_engine, tmp_path / "first.log")
    python = ["python", "-c", VERSION_OF]
    # pyproject.toml says backoff >=2.1 (newer releases exist); the lock says 2.1.2.
    assert run_in_image(docker_client, image, "backoff", entrypoint=python).strip() == LOCKED_BACKOFF
    assert run_in_image(docker_client, image, "source-tiny-poetry", entrypoint=python).strip() == "0.1.0"
    assert spec_message(run_in_image(docker_client, image, "spec"))["connectionSpecification"]["type"] == "object"
    console_script = run_in_image(docker_client, image, "spec", entrypoint=["source-tiny-poetry"])
    assert spec_message(console_script)

    run_py = folder / "source_tiny_poetry" / "run.py"
    run_py.write_text(run_py.read_text() + "# a one-line code change\n")
    changed = build(tmp_path, docker_engine, tmp_path / "second.log")
    log = (tmp_path / "second.log").read_text()
    assert step_cached(log, '"/build/dependencies.json", "/install"'), log  # the locked dependencies
    assert step_cached(log, '"--package"'), log  # the connector's own package (editable)
    assert "Successfully installed" not in log
    shown = run_in_image(docker_client, changed, "/airbyte/integration_code/source_tiny_poetry/run.py",
                         entrypoint=["tail", "-n1"])
    assert shown.strip() == "# a one-line code change"
    imported = run_in_image(docker_client, changed, "-c", "import source_tiny_poetry.run as r; print(r.__file__)",
                            entrypoint=["python"])
    assert imported.strip() == "/airbyte/integration_code/source_tiny_poetry/run.py"
    docker_client.images.remove(TAG, force=True)


def test_a_lock_that_cannot_be_honoured_fails_with_one_line(tmp_path: Path) -> None:
    too_new = copy_poetry_connector(tmp_path, "source-poetry-py312", 1)
    text = (too_new / "pyproject.toml").read_text()
    (too_new / "pyproject.toml").write_text(text.replace('python = "^3.9"', 'python = "^3.12"'))
    windows = copy_poetry_connector(tmp_path, "source-poetry-windows", 2)
    (windows / "pyproject.toml").write_text(text.replace('backoff = ">=2.1"', 'backoff = ">=2.1"\npywin32 = "*"'))
    for folder in (too_new, windows):
        lock(folder)
    reports = tmp_path / "reports"
    result = cli(tmp_path, "build", "source-poetry-py312", "source-poetry-windows", "--concurrency", "2",
                 "--report-dir", str(reports))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    summaries = {c["connector"]: c["steps"][0]["summary"]
                 for c in json.loads((reports / "report.json").read_text())["connectors"]}
    assert re.fullmatch(r'build failed: source-tiny-poetry: pyproject\.toml says python = "\^3\.12", '
                        r"the base image's Python is 3\.11\.\d+", summaries["source-poetry-py312"])
    assert re.fullmatch(r"build failed: pywin32 \d+(\.\d+)*: poetry\.lock has no wheel for this platform "
                        r"\(x86_64, CPython 3\.11\.\d+\) and no sdist", summaries["source-poetry-windows"])
