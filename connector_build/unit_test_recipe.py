"""The image a Python connector's own tests run in: its built image, plus pytest, plus its tests.

Test dependencies install in a stage of their own (network and CA bundle there only); the test
image copies them in, then the test folders, so rerunning unchanged tests hits the cache.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from connector_build.connector import Connector, Language
from connector_build.plan import (
    ContainerPlan,
    CopyFiles,
    CopyFromStage,
    Entrypoint,
    ImageBase,
    Run,
    Stage,
    Workdir,
)
from connector_build.recipes import CODE_DIR, DEPS_ROOT, EXCLUDES, PIP_INSTALL

TEST_FOLDERS = ("unit_tests", "tests")
TEST_EXTRAS = ("dev", "test", "tests")
FIXTURE_FOLDERS = ("integration_tests",)
"""Configs and catalogs that unit tests often read; copied into the test image only."""


def unit_test_folder(connector: Connector) -> str | None:
    """The connector's unit-test folder, or None when it has none (or is not Python)."""
    if connector.language is not Language.PYTHON:
        return None
    return next((f for f in TEST_FOLDERS if (connector.path / f).is_dir()), None)


def test_requirements(folder: Path) -> list[str]:
    """pytest, plus the test extras or poetry dev group the connector declares."""
    wanted = ["pytest"]
    path = folder / "pyproject.toml"
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        extras = data.get("project", {}).get("optional-dependencies", {})
        for name in TEST_EXTRAS:
            wanted += extras.get(name, [])
        poetry_dev = data.get("tool", {}).get("poetry", {}).get("group", {}).get("dev", {}).get("dependencies", {})
        wanted += [name for name in poetry_dev if name != "python"]
    return list(dict.fromkeys(wanted))


def unit_test_plan_for(connector: Connector, image: str, platform: str) -> ContainerPlan:
    folder = unit_test_folder(connector)
    if folder is None:
        raise ValueError(f"{connector.name} has no unit tests")
    tools = Stage("test-tools", ImageBase(image, local=True), [
        Run((*PIP_INSTALL, *test_requirements(connector.path)), needs_network=True, needs_ca=True,
            cache="pip", cache_path="/root/.cache/pip"),
    ])
    copies = [CopyFiles((name,), f"{CODE_DIR}/{name}/") for name in (folder, *FIXTURE_FOLDERS)
              if (connector.path / name).is_dir()]
    tests = Stage("tests", ImageBase(image, local=True), [
        CopyFromStage("test-tools", DEPS_ROOT + "/", "/"),
        Workdir(CODE_DIR),
        *copies,
        Entrypoint(("python", "-m", "pytest")),
    ])
    excludes = tuple(e for e in EXCLUDES if e not in (*TEST_FOLDERS, *FIXTURE_FOLDERS))
    plan = ContainerPlan(platform=platform, context_dir=connector.path, stages=[tools, tests], excludes=excludes)
    plan.validate()
    return plan
