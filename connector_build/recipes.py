"""Recipes: one function per connector language that turns a connector into a ContainerPlan.

The plan's order is what makes rebuilds cheap: dependency installation comes from the build
files alone (pyproject.toml, requirements.txt) in a stage of its own, and the connector's code
is copied last, so a code change re-runs only the final copy.

A Poetry connector with a ``poetry.lock`` installs exactly the locked versions: the lock's export
(made on the host, see poetry_lock) is the dependency stage's only input; the connector's own
package is installed editable from its build files in a later stage, with no resolution and no
network; image metadata comes before the code, which is copied last.
"""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector_build import java, poetry_lock
from connector_build.connector import Connector, Language
from connector_build.plan import (
    ContainerPlan,
    CopyFiles,
    CopyFromStage,
    DockerfileBase,
    Entrypoint,
    Env,
    ImageBase,
    Label,
    Run,
    Stage,
    StageBase,
    Workdir,
)

CODE_DIR = "/airbyte/integration_code"
MANIFEST_DIR = f"{CODE_DIR}/source_declarative_manifest"
DEPS_ROOT = "/install"
"""pip installs with ``--root`` here: the base's own install layout (Debian's dist-packages, or
site-packages on python images) under one folder, which the image copies onto ``/``."""

EXCLUDES = (
    ".git", ".venv", "venv", "**/__pycache__", "**/*.pyc", "secrets", "build", "dist", "*.egg-info",
    ".pytest_cache", ".mypy_cache", "unit_tests", "integration_tests", "acceptance-test-config.yml",
)
"""Never part of an image: local caches, credentials, tests (the test step adds its own)."""

PIP_INSTALL = ("python", "-m", "pip", "install", "--no-warn-script-location", f"--root={DEPS_ROOT}")
PACKAGE_ROOT = "/package"
"""Where the connector's own package is installed (``--root``), in a stage after the dependencies."""
LOCK_DIR = ".connector-pipelines-lock"
"""The lock's export and its installer, added to the build context (never in the connector folder)."""
LOCKED_INSTALL = Path(__file__).with_name("locked_install.py")


class RecipeUnsupported(Exception):
    """This connector cannot be built by this tool (yet); the message says why. A skip, not a failure."""


class RecipeError(Exception):
    """The connector's files are inconsistent (e.g. no baseImage); a build failure with this message."""


@dataclass(frozen=True)
class PythonProject:
    """What the build files say about installing a Python connector."""

    dependencies: tuple[str, ...]
    requirements_file: str | None
    installable: bool
    console_script: str | None
    uses_poetry: bool
    package_mode: bool
    """False for a Poetry project with ``package-mode = false``: nothing of its own to install."""

    @classmethod
    def read(cls, folder: Path) -> PythonProject:
        pyproject: dict = {}
        path = folder / "pyproject.toml"
        if path.is_file():
            try:
                pyproject = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise RecipeError(f"{path.name}: not valid TOML: {exc}") from None
        project = pyproject.get("project", {})
        poetry = pyproject.get("tool", {}).get("poetry", {})
        scripts = project.get("scripts") or poetry.get("scripts") or {}
        return cls(
            dependencies=tuple(project.get("dependencies", ())),
            requirements_file="requirements.txt" if (folder / "requirements.txt").is_file() else None,
            installable=bool(project or poetry) or (folder / "setup.py").is_file(),
            console_script=next(iter(scripts), None),
            uses_poetry=bool(poetry),
            package_mode=poetry.get("package-mode", True) is not False,
        )


def plan_for(connector: Connector, platform: str) -> ContainerPlan:
    """The plan for ``connector`` on ``platform``; raises RecipeUnsupported or RecipeError."""
    language = connector.language
    context_dir = connector.path
    excludes: tuple[str, ...] = EXCLUDES
    if language is Language.MANIFEST_ONLY:
        stages = manifest_only_stages(connector)
    elif language is Language.PYTHON:
        stages = python_stages(connector)
    elif language is Language.DOCKERFILE:
        stages = [Stage("image", DockerfileBase("Dockerfile"))]
    elif language is Language.JAVA:
        stages = java_stages(connector)
        context_dir, excludes = java.distribution_path(connector).parent, java.context_excludes(connector)
    else:
        raise RecipeUnsupported(f"no recipe for language '{connector.data.language_tag()}'")
    image = stages[-1]
    identity = identity_operations(connector, image)
    if image.operations and isinstance(image.operations[-1], CopyFiles):
        # Metadata first, the copied code last: a code change re-runs one step, not five.
        image.operations[-1:-1] = identity
    else:
        image.operations.extend(identity)
    plan = ContainerPlan(platform=platform, context_dir=context_dir, stages=stages, excludes=excludes,
                         generated_files=generated_files(connector))
    plan.validate()
    return plan


def identity_operations(connector: Connector, image: Stage) -> list[Label | Env]:
    """The labels the platform reads, and AIRBYTE_ENTRYPOINT when the recipe set an entrypoint."""
    ops: list[Label | Env] = [
        Label("io.airbyte.name", connector.docker_repository),
        Label("io.airbyte.version", connector.version),
    ]
    entrypoints = [op for op in image.operations if isinstance(op, Entrypoint)]
    if entrypoints:
        ops.append(Env("AIRBYTE_ENTRYPOINT", shlex.join(entrypoints[-1].argv)))
    return ops


def require_base_image(connector: Connector) -> str:
    if not connector.base_image:
        raise RecipeError(
            f"{connector.relative_path}/metadata.yaml: data.connectorBuildOptions.baseImage is missing; "
            f"a {connector.language.value} connector is built on a base image"
        )
    return connector.base_image


def manifest_only_stages(connector: Connector) -> list[Stage]:
    base = require_base_image(connector)
    if not (connector.path / "manifest.yaml").is_file():
        raise RecipeError(f"{connector.relative_path}: manifest-only connector without manifest.yaml")
    sources = ["manifest.yaml"] + [f for f in ("components.py",) if (connector.path / f).is_file()]
    # The declarative-manifest base reads manifest.yaml relative to its working directory.
    return [Stage("image", ImageBase(base), [
        Workdir(MANIFEST_DIR),
        CopyFiles(tuple(sources), MANIFEST_DIR + "/"),
    ])]


def builds_from_lock(folder: Path, project: PythonProject | None = None) -> bool:
    """A Poetry project with a poetry.lock: built from the lock. Anything else: as before."""
    return poetry_lock.has_lock(folder) and (project or PythonProject.read(folder)).uses_poetry


def read_lock(connector: Connector) -> poetry_lock.LockExport:
    try:
        export = poetry_lock.export_lock(connector.path)
    except poetry_lock.LockError as exc:
        raise RecipeError(f"{connector.relative_path}: {exc}") from None
    if export is None:
        raise RecipeError(f"{connector.relative_path}: no poetry.lock")
    return export


def java_stages(connector: Connector) -> list[Stage]:
    """The distribution the connector's own build made (pipelines/java_build.py), on the Java base."""
    tar = java.distribution_path(connector)
    if not tar.is_file():
        raise RecipeError(f"{connector.relative_path}: no distribution {java.DISTRIBUTION_DIR}/{tar.name}; "
                          "the connector's build (build-command under [tool.connector-pipelines.java]) makes it")
    return java.java_stages(connector, connector.base_image or java.DEFAULT_BASE_IMAGE)


def generated_files(connector: Connector) -> dict[str, str]:
    """For a Poetry connector with a lock: the lock's export and the installer that reads it; for a
    Java connector, its entrypoint base.sh."""
    if connector.language is Language.JAVA:
        return {f"{java.GENERATED_DIR}/base.sh": java.BASE_SH}
    if connector.language is not Language.PYTHON or not builds_from_lock(connector.path):
        return {}
    export = read_lock(connector)
    return {f"{LOCK_DIR}/dependencies.json": export.dependency_inputs(),
            f"{LOCK_DIR}/package.json": export.package_inputs(),
            f"{LOCK_DIR}/locked_install.py": LOCKED_INSTALL.read_text(encoding="utf-8")}


def python_stages(connector: Connector) -> list[Stage]:
    base = require_base_image(connector)
    project = PythonProject.read(connector.path)
    has_main = (connector.path / "main.py").is_file()
    if not has_main and not project.console_script:
        raise RecipeError(f"{connector.relative_path}: no main.py and no console script in pyproject.toml")
    if builds_from_lock(connector.path, project):
        return locked_python_stages(base, project, has_main, read_lock(connector))

    deps: list[Run | CopyFiles | Workdir] = [Workdir("/build")]
    pip: dict[str, Any] = dict(needs_network=True, needs_ca=True, cache="pip", cache_path="/root/.cache/pip")
    if project.requirements_file:
        deps += [CopyFiles((project.requirements_file,), "/build/"),
                 Run((*PIP_INSTALL, "-r", project.requirements_file), **pip)]
    elif project.dependencies and not project.uses_poetry:
        deps.append(Run((*PIP_INSTALL, *project.dependencies), **pip))
    if project.uses_poetry or (project.installable and not has_main):
        # Poetry's constraints need its own resolver, and a console script needs the package
        # installed: both install from the whole folder, after the requirements above.
        deps += [CopyFiles((".",), "/build/"), Run((*PIP_INSTALL, "/build"), **pip)]

    image = Stage("image", ImageBase(base))
    stages = [image]
    if any(isinstance(op, Run) for op in deps):
        stages.insert(0, Stage("deps", ImageBase(base), list(deps)))
        image.operations.append(CopyFromStage("deps", DEPS_ROOT + "/", "/"))
    entrypoint = ("python", f"{CODE_DIR}/main.py") if has_main else (str(project.console_script),)
    image.operations += [Workdir(CODE_DIR), Entrypoint(entrypoint), CopyFiles((".",), CODE_DIR + "/")]
    return stages


def locked_python_stages(base: str, project: PythonProject, has_main: bool,
                         export: poetry_lock.LockExport) -> list[Stage]:
    """deps (the lock's export only) -> package (the build files, no resolution) -> image.

    The connector's own package is installed editable from its build files (metadata, console
    scripts, a .pth naming the code folder), so a code change re-runs no install at all: only
    the final copy of the code. A package Poetry cannot install that way (a build script) is
    built from the whole folder instead.
    """
    deps = Stage("deps", ImageBase(base), [
        Workdir("/build"),
        CopyFiles((f"{LOCK_DIR}/dependencies.json", f"{LOCK_DIR}/locked_install.py"), "/build/"),
        Run(("python", "/build/locked_install.py", "/build/dependencies.json", DEPS_ROOT),
            needs_network=True, needs_ca=True, cache="pip", cache_path="/root/.cache/pip"),
    ])
    image = Stage("image", ImageBase(base), [CopyFromStage("deps", DEPS_ROOT + "/", "/")])
    stages = [deps]
    if project.package_mode and export.editable:
        stages.append(Stage("package", StageBase("deps"), [
            Workdir(CODE_DIR),
            CopyFiles((f"{LOCK_DIR}/package.json",), "/build/"),
            *(CopyFiles((name,), f"{CODE_DIR}/{name}") for name in export.package_build_files),
            Run(("python", "/build/locked_install.py", "--package", "/build/package.json", PACKAGE_ROOT)),
        ]))
        image.operations.append(CopyFromStage("package", PACKAGE_ROOT + "/", "/"))
    elif project.package_mode:
        stages.append(Stage("package", StageBase("deps"), [
            CopyFiles((".",), "/build/src/"),
            Run(("python", "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
                 "--no-warn-script-location", "--root-user-action=ignore", f"--root={PACKAGE_ROOT}", "/build/src")),
        ]))
        image.operations.append(CopyFromStage("package", PACKAGE_ROOT + "/", "/"))
    entrypoint = ("python", f"{CODE_DIR}/main.py") if has_main else (str(project.console_script),)
    image.operations += [Workdir(CODE_DIR), Entrypoint(entrypoint), CopyFiles((".",), CODE_DIR + "/")]
    return [*stages, image]
