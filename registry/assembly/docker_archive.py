"""Write assembled images in the ``docker save`` format, which ``docker load`` of every daemon
version reads (dockerd 20.10 does not load OCI-layout archives).

The config is written byte for byte, so the daemon's image id is the pushed config's digest and
its layers are the same diff_ids. A base layer whose file is absent is taken from the daemon's
own store: ``docker load`` only reads a layer file when it lacks that layer (moby
image/tarexport/load.go), so base layers go in only for a daemon that has not got the base.

    with open(path, "wb") as out:
        write_docker_archive(out, [(assembled_amd64, ["airbyte/source-x:dev"])], base_layer_files={})
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from registry.assembly.image import AssembledPlatform


def blob_path(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def write_docker_archive(out: BinaryIO, images: Sequence[tuple[AssembledPlatform, Sequence[str]]], *,
                         base_layer_files: Mapping[str, Path]) -> None:
    """``base_layer_files``: downloaded base layers (gzip'd as pushed; ``docker load`` inflates them)."""
    entries: dict[str, bytes | Path] = {}
    manifest = []
    for image, tags in images:
        entries[blob_path(image.config_digest)] = image.config
        entries[blob_path(image.layer.digest)] = image.layer.blob
        for digest, path in base_layer_files.items():
            if any(d["digest"] == digest for d in image.base.layers):
                entries[blob_path(digest)] = path
        layers = [blob_path(d["digest"]) for d in image.base.layers] + [blob_path(image.layer.digest)]
        manifest.append({"Config": blob_path(image.config_digest), "RepoTags": list(tags), "Layers": layers})
    entries["manifest.json"] = json.dumps(manifest, separators=(",", ":")).encode()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name in sorted(entries):
            content = entries[name]
            if isinstance(content, Path):
                tar.add(str(content), arcname=name)
            else:
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(content), 0o644
                tar.addfile(info, io.BytesIO(content))
