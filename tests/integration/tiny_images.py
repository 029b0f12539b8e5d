"""Small real images pushed straight to a registry with our OCI client (no daemon): one tar layer
holding one file, an OCI config, a manifest. For tests and benchmarks that need many images fast.

    digest = await push_tiny_image(client, "cp-i17/tiny", "1.0.0", b"hello")
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

from registry.oci import RegistryClient

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("content.txt")
        info.size, info.mtime = len(content), 0
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


async def push_tiny_image(client: RegistryClient, repository: str, tag: str, content: bytes) -> str:
    """Push a one-file image under ``repository:tag``; returns its manifest digest."""
    layer = _layer(content)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [_digest(layer)]}}).encode()
    await client.ensure_blob(repository, _digest(layer), layer)
    await client.ensure_blob(repository, _digest(config), config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(config),
                   "digest": _digest(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": len(layer),
                    "digest": _digest(layer)}],
    }).encode()
    return await client.put_manifest(repository, tag, manifest, OCI_MANIFEST)
