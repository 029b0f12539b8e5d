"""A new image from a base image and one layer: its config, a manifest per platform, an index.

Pure functions over bytes: given the same base and the same layer they give the same digests.
The config is the base's with the plan's changes applied (labels, env, working folder,
entrypoint), one history entry and the layer's diff_id appended; the manifest keeps the base's
media-type family (Docker schema 2 or OCI) and its layer descriptors untouched, so base layers
are referenced, never re-uploaded.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from registry.assembly.layer import Layer, sha256_digest
from registry.oci import OCI_INDEX, Manifest, image_index

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class BasePlatform:
    """One platform of a base image, as its registry serves it."""

    platform: str
    manifest: Manifest
    config: bytes

    def manifest_json(self) -> dict[str, Any]:
        return self.manifest.json()

    def config_json(self) -> dict[str, Any]:
        return json.loads(self.config)

    @property
    def layers(self) -> list[dict[str, Any]]:
        return list(self.manifest_json().get("layers", []))


@dataclass(frozen=True)
class BaseImage:
    """A base image resolved to digests: where it lives and each wanted platform."""

    reference: str
    registry: str
    repository: str
    digest: str
    """Of the index (or of the single manifest) the platforms come from."""
    platforms: dict[str, BasePlatform]


@dataclass(frozen=True)
class ImageChanges:
    """What an image adds to its base: files (absolute paths) and config changes."""

    files: dict[str, bytes]
    created_by: str
    labels: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    workdir: str | None = None
    entrypoint: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AssembledPlatform:
    base: BasePlatform
    layer: Layer
    config: bytes
    manifest: Manifest

    @property
    def platform(self) -> str:
        return self.base.platform

    @property
    def config_digest(self) -> str:
        return sha256_digest(self.config)

    @property
    def diff_ids(self) -> list[str]:
        return list(json.loads(self.config)["rootfs"]["diff_ids"])


@dataclass(frozen=True)
class AssembledImage:
    base: BaseImage
    platforms: dict[str, AssembledPlatform]
    index: bytes

    @property
    def index_digest(self) -> str:
        return sha256_digest(self.index)

    @property
    def index_media_type(self) -> str:
        return OCI_INDEX


def rfc3339(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assembled_config(base: BasePlatform, layer: Layer, changes: ImageChanges, *, epoch: int) -> bytes:
    """The base's config with ``changes`` applied, dated ``epoch``, and the layer appended."""
    config = copy.deepcopy(base.config_json())
    created = rfc3339(epoch)
    container = config.setdefault("config", {})
    if changes.labels:
        container["Labels"] = {**(container.get("Labels") or {}), **changes.labels}
    env = dict(item.split("=", 1) for item in container.get("Env") or [] if "=" in item)
    if changes.entrypoint is not None:
        container["Entrypoint"] = list(changes.entrypoint)
        env["AIRBYTE_ENTRYPOINT"] = shlex.join(changes.entrypoint)
    env.update(changes.env)
    if "AIRBYTE_ENTRYPOINT" not in env and container.get("Entrypoint"):
        # The platform reads the entrypoint from this variable; a base without it still has one.
        env["AIRBYTE_ENTRYPOINT"] = shlex.join(container["Entrypoint"])
    container["Env"] = [f"{name}={value}" for name, value in env.items()]
    if changes.workdir is not None:
        container["WorkingDir"] = changes.workdir
    config["created"] = created
    config["history"] = [*(config.get("history") or []), {"created": created, "created_by": changes.created_by}]
    rootfs = config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    rootfs["diff_ids"] = [*rootfs.get("diff_ids", []), layer.diff_id]
    return json.dumps(config, separators=(",", ":")).encode()


def platform_manifest(base: BasePlatform, layer: Layer, config: bytes) -> Manifest:
    """The base's manifest with the new config and the new layer on top, in the base's media types."""
    oci = base.manifest.media_type == OCI_MANIFEST
    media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
    body = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "size": len(config),
                   "digest": sha256_digest(config)},
        "layers": [*base.layers, {"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": layer.size,
                                  "digest": layer.digest}],
    }
    data = json.dumps(body, separators=(",", ":")).encode()
    return Manifest(media_type=media_type, body=data, digest=sha256_digest(data))


def assemble_image(base: BaseImage, layer: Layer, changes: ImageChanges, *, epoch: int) -> AssembledImage:
    platforms = {}
    for name in sorted(base.platforms):
        platform = base.platforms[name]
        config = assembled_config(platform, layer, changes, epoch=epoch)
        platforms[name] = AssembledPlatform(platform, layer, config, platform_manifest(platform, layer, config))
    index = image_index([(name, assembled.manifest) for name, assembled in platforms.items()])
    return AssembledImage(base=base, platforms=platforms, index=index)
