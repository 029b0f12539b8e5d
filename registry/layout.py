"""Every path in a store, spelled once: the layout of Airbyte's public bucket, which platforms read.

Nothing else in the project builds a store path; a change of layout is a change here.

    metadata/<dockerRepository>/<version>/{metadata.yaml,icon.svg,oss.json,cloud.json,publish.json}
    metadata/<dockerRepository>/<version>/yanked.json                                  ours: a yank
    metadata/<dockerRepository>/<version>/provenance.json                              in-toto SLSA v1 provenance
    metadata/<dockerRepository>/<version>/sbom/<os>-<arch>.spdx.json                   SPDX 2.3 SBOM per platform
    metadata/<dockerRepository>/latest/{metadata.yaml,icon.svg,oss.json,cloud.json}   main releases
    metadata/<dockerRepository>/release_candidate/{...}                                release candidates
    specs/<dockerRepository>/<version>/spec.json (+ spec.cloud.json)
    connector_dependencies/<repo without airbyte/>/<version>/dependencies.json
    registries/v0/{oss,cloud}_registry.json
    registries/v0/{oss,cloud}_registry.json.sig                                       ours: cosign-format signature
    .connector-pipelines/locks/<dockerRepository>.lock                                 one publisher per connector
    .connector-pipelines/locks/registries.lock                                         one registry regeneration

``publish.json`` (the marker) is ours: written last, it says a version is published and recorded.
``yanked.json`` is ours too: the version stays recorded (and on the OCI registry) but is never the
connector's default again until unyanked.

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
YANK_FILE = "yanked.json"
PROVENANCE_FILE = "provenance.json"
SBOM_DIR = "sbom"
LOCKS_DIR = ".connector-pipelines/locks"
REGISTRIES_LOCK = f"{LOCKS_DIR}/registries.lock"
SIGNATURE_SUFFIX = ".sig"

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


def yank_marker(repository: str, version: str) -> str:
    """Present while the version is yanked: who, when and why."""
    return version_file(repository, version, YANK_FILE)


def version_marker_glob(repository: str, name: str = MARKER_FILE) -> str:
    """Every version's ``publish.json`` (or ``yanked.json``) of one connector."""
    return version_file(repository, "*", name)


def version_of_marker(path: str) -> str:
    """The version folder a :func:`marker` or :func:`yank_marker` path names."""
    return path.split("/")[-2]


def repository_of_marker(path: str) -> str:
    """The repository a :func:`marker` or :func:`yank_marker` path names (a :meth:`Store.find` path)."""
    return "/".join(path.split("/")[1:-2])


def repository_glob(folder_name: str) -> str:
    """The store folders of a connector named by its folder name (``source-x``), whatever its org."""
    return f"{METADATA_DIR}/*/{folder_name}"


def connector_lock(repository: str) -> str:
    """Held while one publisher pushes and records any version of this connector."""
    return f"{LOCKS_DIR}/{repository}.lock"


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


def provenance_file(repository: str, version: str) -> str:
    """The version's in-toto statement (SLSA provenance v1), the same bytes as attached to the image."""
    return version_file(repository, version, PROVENANCE_FILE)


def sbom_file(repository: str, version: str, platform: str) -> str:
    """The SPDX 2.3 SBOM of one platform's image (``linux/amd64`` -> ``sbom/linux-amd64.spdx.json``)."""
    return version_file(repository, version, f"{SBOM_DIR}/{platform.replace('/', '-')}.spdx.json")


def dependencies_file(repository: str, version: str) -> str:
    """Airbyte names this folder without the ``airbyte/`` organisation."""
    return f"connector_dependencies/{repository.removeprefix('airbyte/')}/{version}/dependencies.json"


def registry_file(registry: str) -> str:
    """``registries/v0/oss_registry.json`` / ``cloud_registry.json``."""
    return f"registries/v0/{registry_file_name(registry)}"


def registry_signature_file(registry: str) -> str:
    """The detached signature beside a registry file (base64, as ``cosign sign-blob`` writes it)."""
    return registry_file(registry) + SIGNATURE_SUFFIX


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
