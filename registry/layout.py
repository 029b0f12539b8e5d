"""Every path in a store, spelled once: the layout of Airbyte's public bucket, which platforms read.

Nothing else in the project builds a store path; a change of layout is a change here.

    metadata/<dockerRepository>/<version>/{metadata.yaml,icon.svg,oss.json,cloud.json,publish.json}
    metadata/<dockerRepository>/latest/{metadata.yaml,icon.svg,oss.json,cloud.json}   main releases
    metadata/<dockerRepository>/release_candidate/{...}                                release candidates
    specs/<dockerRepository>/<version>/spec.json (+ spec.cloud.json)
    connector_dependencies/<repo without airbyte/>/<version>/dependencies.json
    registries/v0/{oss,cloud}_registry.json
    .connector-pipelines/publish.lock                                                  one publish at a time

``publish.json`` (the marker) is ours: written last, it says a version is published and recorded.

    layout.version_file("airbyte/source-x", "1.2.3", layout.METADATA_FILE)
    # -> "metadata/airbyte/source-x/1.2.3/metadata.yaml"
"""

from __future__ import annotations

from typing import Final, Literal

LATEST: Final = "latest"
RELEASE_CANDIDATE: Final = "release_candidate"
Channel = Literal["latest", "release_candidate"]
CHANNELS: tuple[Channel, ...] = (LATEST, RELEASE_CANDIDATE)

METADATA_DIR = "metadata"
METADATA_FILE = "metadata.yaml"
ICON_FILE = "icon.svg"
MARKER_FILE = "publish.json"
SPEC_FILE = "spec.json"
CLOUD_SPEC_FILE = "spec.cloud.json"
LOCK_PATH = ".connector-pipelines/publish.lock"

CHANNEL_FILES = (METADATA_FILE, ICON_FILE, "oss.json", "cloud.json")
"""What ``latest/`` and ``release_candidate/`` hold: copies of the version folder's files."""

LATEST_METADATA_GLOB = f"{METADATA_DIR}/*/*/{LATEST}/{METADATA_FILE}"
"""Matches once anything has been released (``<org>/<name>`` repositories, as Airbyte's)."""


def entry_file_name(registry: str) -> str:
    """``oss.json`` / ``cloud.json``: a version's entry in that registry."""
    return f"{registry}.json"


def version_folder(repository: str, version: str) -> str:
    return f"{METADATA_DIR}/{repository}/{version}"


def version_file(repository: str, version: str, name: str) -> str:
    return f"{version_folder(repository, version)}/{name}"


def marker(repository: str, version: str) -> str:
    """The marker a publish writes last: the version is pushed, verified and recorded."""
    return version_file(repository, version, MARKER_FILE)


def channel_folder(repository: str, channel: Channel) -> str:
    return f"{METADATA_DIR}/{repository}/{channel}"


def channel_file(repository: str, channel: Channel, name: str) -> str:
    return f"{channel_folder(repository, channel)}/{name}"


def icon(repository: str) -> str:
    """The icon every entry's ``iconUrl`` points at: the latest release's."""
    return channel_file(repository, LATEST, ICON_FILE)


def spec_file(repository: str, version: str, name: str = SPEC_FILE) -> str:
    return f"specs/{repository}/{version}/{name}"


def spec_glob(repository: str) -> str:
    """Every cached version's ``spec.json``; :func:`version_of_spec` reads the version back."""
    return spec_file(repository, "*")


def version_of_spec(path: str) -> str:
    return path.split("/")[-2]


def dependencies_file(repository: str, version: str) -> str:
    """Airbyte names this folder without the ``airbyte/`` organisation."""
    return f"connector_dependencies/{repository.removeprefix('airbyte/')}/{version}/dependencies.json"


def registry_file(registry: str) -> str:
    """``registries/v0/oss_registry.json`` / ``cloud_registry.json``."""
    return f"registries/v0/{registry_file_name(registry)}"


def registry_file_name(registry: str) -> str:
    return f"{registry}_registry.json"


def parse_channel_file(path: str) -> tuple[str, Channel, str] | None:
    """``(repository, channel, file name)`` for a file in a ``latest/`` or ``release_candidate/``
    folder (a path as :meth:`Store.find` lists them under ``metadata``), else None."""
    parts = path.split("/")
    if len(parts) < 5 or parts[0] != METADATA_DIR:
        return None
    channel = parts[-2]
    if channel == LATEST:
        return "/".join(parts[1:-2]), LATEST, parts[-1]
    if channel == RELEASE_CANDIDATE:
        return "/".join(parts[1:-2]), RELEASE_CANDIDATE, parts[-1]
    return None
