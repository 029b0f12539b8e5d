"""Java connectors: the settings of their own build, where it leaves the distribution, and the image.

Airbyte's Java connectors are built by Gradle's ``distTar``: ``build/distributions/<name>.tar``
holding ``<name>/bin/<name>`` (a start script) and ``<name>/lib/*.jar``. The image is a Java base
with that tar unpacked into ``/airbyte`` and ``base.sh`` as entrypoint, which runs the start script
named by ``APPLICATION`` with the platform's arguments, as airbyte-ci made them. Only the
distribution reaches the image build (its context is the distribution's folder): sources, build
caches and the CA bundle stay with the build, which runs in a JDK container beforehand
(pipelines/java_build.py).
"""

from __future__ import annotations

import string
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from connector_build.connector import Connector
from connector_build.plan import CopyFiles, CopyFromStage, Entrypoint, Env, ImageBase, Run, Stage, Workdir

DISTRIBUTION_DIR = "build/distributions"
"""Where Gradle's distTar writes ``<name>.tar``, relative to the connector folder (Maven builds are
configured to write there too)."""
DEFAULT_BASE_IMAGE = "docker.io/airbyte/java-connector-base:2.0.1"
"""For a Java connector whose metadata names no ``baseImage``."""
AIRBYTE_DIR = "/airbyte"
ENTRYPOINT = f"{AIRBYTE_DIR}/base.sh"
GENERATED_DIR = ".connector-pipelines-java"
BASE_SH = f"""#!/usr/bin/env bash
# The entrypoint of Java connector images (AIRBYTE_ENTRYPOINT): the start script of the
# distribution, named by APPLICATION, run with the arguments the platform passes (spec, check ...).
set -euo pipefail
exec "{AIRBYTE_DIR}/bin/${{APPLICATION:?APPLICATION names the start script in {AIRBYTE_DIR}/bin}}" "$@"
"""
BUILD_OUTPUTS = frozenset({"build", "target", ".gradle", ".git", "secrets", ".idea"})
"""Folders whose files never make a distribution stale: build outputs, caches, credentials."""
PLACEHOLDERS = ("name", "path")


class JavaSettings(BaseModel):
    """``[tool.connector-pipelines.java]``: how a Java connector's own build is run.

    Commands run with ``sh -c`` at the monorepo's root, in the build image; ``{name}`` is the
    connector's name and ``{path}`` its folder relative to the root.
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    build_command: str = Field(default="./gradlew :airbyte-integrations:connectors:{name}:distTar",
                               alias="build-command")
    test_command: str = Field(default="./gradlew :airbyte-integrations:connectors:{name}:test",
                              alias="test-command")
    build_image: str = Field(default="localhost:5000/connector-pipelines/java-build:17", alias="build-image")
    """A JDK image with the build's tools (setup makes this one from Debian packages: JDK 17, Maven)."""
    cache_dir: str | None = Field(default=None, alias="cache-dir")
    """Dependency cache (the build's home folder: ~/.m2, ~/.gradle); default the user's cache folder."""
    concurrency: int = Field(default=1, ge=1)
    """Java builds at once: 1, as Airbyte forces for memory (airbytehq/airbyte#27168)."""

    @field_validator("build_command", "test_command")
    @classmethod
    def known_placeholders(cls, value: str) -> str:
        for _, field_name, _, _ in string.Formatter().parse(value):
            if field_name is not None and field_name not in PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{field_name}}} (use {{name}} or {{path}})")
        return value


def command_for(template: str, connector: Connector) -> str:
    return template.format(name=connector.name, path=connector.relative_path.as_posix())


def monorepo_root(connector: Connector) -> Path:
    """The folder commands run in: the connector's path less its path relative to the monorepo."""
    return connector.path.parents[len(connector.relative_path.parts) - 1]


def distribution_path(connector: Connector) -> Path:
    return connector.path / DISTRIBUTION_DIR / f"{connector.name}.tar"


def distribution_is_fresh(connector: Connector) -> bool:
    """A distribution tar newer than every file of the connector folder (build outputs aside) is
    used as it is; an older one (code changed since) is rebuilt, so a stale tar never ships."""
    tar = distribution_path(connector)
    if not tar.is_file():
        return False
    built = tar.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in source_files(connector.path))


def source_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for entry in folder.iterdir():
        if entry.name in BUILD_OUTPUTS:
            continue
        if entry.is_dir() and not entry.is_symlink():
            found += source_files(entry)
        elif entry.is_file():
            found.append(entry)
    return found


def java_stages(connector: Connector, base: str) -> list[Stage]:
    """unpack (the tar and base.sh, in a stage of their own) -> image (what unpack made, in /airbyte)."""
    tar = distribution_path(connector).name
    unpack = Stage("unpack", ImageBase(base), [
        CopyFiles((tar, f"{GENERATED_DIR}/base.sh"), "/tmp/distribution/"),
        Run(("sh", "-c", f"mkdir -p {AIRBYTE_DIR} && tar -xf /tmp/distribution/{tar} -C {AIRBYTE_DIR} "
                         "--strip-components=1 --no-same-owner "
                         f"&& install -m 0755 /tmp/distribution/base.sh {ENTRYPOINT} "
                         f"&& test -x {AIRBYTE_DIR}/bin/{connector.name}")),
    ])
    image = Stage("image", ImageBase(base), [
        Workdir(AIRBYTE_DIR),
        Env("APPLICATION", connector.name),
        Entrypoint((ENTRYPOINT,)),
        CopyFromStage("unpack", f"{AIRBYTE_DIR}/", f"{AIRBYTE_DIR}/"),
    ])
    return [unpack, image]


def context_excludes(connector: Connector) -> tuple[str, ...]:
    """The image build's context is the distribution's folder: everything there but the tar is left out."""
    folder = distribution_path(connector).parent
    tar = distribution_path(connector).name
    return tuple(sorted(entry.name for entry in folder.iterdir() if entry.name != tar))
