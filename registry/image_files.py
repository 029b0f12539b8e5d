"""Read chosen files of an image straight from its layers on an OCI registry: no daemon, no unpacking.

Each layer blob is streamed (gzip or plain tar, checked against its digest) through ``tarfile``
in a worker thread; only the files ``wanted`` selects are kept. Layers apply in order with the
OCI whiteout rules: ``.wh.<name>`` deletes ``<name>`` of the layers below, ``.wh..wh..opq`` empties
its folder of what the layers below put there.

    files = await image_files(client, "airbyte/source-x", platform_manifest_digest, wanted=is_wanted,
                              cache=LayerCache.default("sbom-v1"))
    files["var/lib/dpkg/status"]   # bytes, as the image's root filesystem shows it

A layer is content-addressed, so what it does to the wanted files is cached on disk by its digest
(``~/.cache/connector-pipelines/layer-files/<selection>/``): the base image's layers, shared by
every connector built on it, are read once per machine, not once per publish.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread

from registry.oci import RegistryClient, RegistryError

WHITEOUT_PREFIX = ".wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"
MAX_FILE_BYTES = 16 << 20
"""A wanted file larger than this is skipped (dpkg's status is ~100 KB, a METADATA a few KB)."""


@dataclass
class LayerChanges:
    """What one layer does to the wanted files: adds/replaces, deletes, empties folders."""

    files: dict[str, bytes] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    replaced: set[str] = field(default_factory=set)
    """Wanted paths this layer turned into something that is not a regular file (a link, a folder)."""


class LayerCache:
    """``LayerChanges`` by layer digest, one JSON file each; any unreadable entry is a miss."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def default(cls, selection: str) -> LayerCache:
        """``selection`` names what ``wanted`` picks (another selection, another folder)."""
        if os.environ.get("CONNECTOR_PIPELINES_NO_CACHE"):
            return cls(None)
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        return cls(base / "connector-pipelines" / "layer-files" / selection)

    def get(self, digest: str) -> LayerChanges | None:
        if self.folder is None:
            return None
        try:
            raw = json.loads((self.folder / _file_name(digest)).read_bytes())
            return LayerChanges(files={k: base64.b64decode(v) for k, v in raw["files"].items()},
                                deleted=set(raw["deleted"]), opaque=set(raw["opaque"]), replaced=set(raw["replaced"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, digest: str, changes: LayerChanges) -> None:
        if self.folder is None:
            return
        data = json.dumps({"files": {k: base64.b64encode(v).decode() for k, v in changes.files.items()},
                           "deleted": sorted(changes.deleted), "opaque": sorted(changes.opaque),
                           "replaced": sorted(changes.replaced)}).encode()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = self.folder / f".{uuid.uuid4().hex}.tmp"
            temp.write_bytes(data)
            os.replace(temp, self.folder / _file_name(digest))
        except OSError:
            pass  # a cache that cannot be written costs time, never the publish


def _file_name(digest: str) -> str:
    return digest.replace(":", "-") + ".json"


def normalise(name: str) -> str:
    """Tar member names as paths from the root: ``./usr/x`` and ``/usr/x`` -> ``usr/x``."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def read_layer(stream: io.BufferedIOBase, wanted: Callable[[str], bool]) -> LayerChanges:
    """One layer's changes to the wanted files, read in one pass over a (compressed) tar stream."""
    changes = LayerChanges()
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as tar:
            for member in tar:
                path = normalise(member.name)
                folder, _, name = path.rpartition("/")
                if name == OPAQUE_WHITEOUT:
                    changes.opaque.add(folder)
                elif name.startswith(WHITEOUT_PREFIX):
                    changes.deleted.add(f"{folder}/{name[len(WHITEOUT_PREFIX):]}".lstrip("/"))
                elif not wanted(path):
                    continue
                elif member.isfile() and member.size <= MAX_FILE_BYTES:
                    handle = tar.extractfile(member)
                    if handle is not None:
                        changes.files[path] = handle.read()
                elif member.islnk() and normalise(member.linkname) in changes.files:
                    changes.files[path] = changes.files[normalise(member.linkname)]
                else:
                    changes.replaced.add(path)
    except tarfile.TarError as exc:
        raise RegistryError(f"a layer is not a readable tar stream: {exc}") from None
    return changes


def apply_layer(files: dict[str, bytes], changes: LayerChanges) -> None:
    """Whiteouts hide the layers below (never the same layer's files), then the layer's files land."""
    for folder in changes.opaque:
        prefix = f"{folder}/" if folder else ""
        for path in [p for p in files if p.startswith(prefix)]:
            del files[path]
    for gone in changes.deleted | changes.replaced:
        for path in [p for p in files if p == gone or p.startswith(gone + "/")]:
            del files[path]
    files.update(changes.files)


async def image_files(client: RegistryClient, repository: str, manifest_digest: str,
                      wanted: Callable[[str], bool], cache: LayerCache | None = None) -> dict[str, bytes]:
    """The wanted files of one platform's image (a manifest, not an index), layer by layer."""
    manifest = await client.get_manifest(repository, manifest_digest)
    if manifest is None:
        raise RegistryError(f"{repository}@{manifest_digest} is not on the registry")
    if manifest.is_index:
        raise RegistryError(f"{repository}@{manifest_digest} is an image index: name one platform's manifest")
    files: dict[str, bytes] = {}
    for layer in manifest.json().get("layers", []):
        changes = cache.get(layer["digest"]) if cache else None
        if changes is None:
            changes = await _read_layer_blob(client, repository, layer, wanted)
            if cache:
                cache.put(layer["digest"], changes)
        apply_layer(files, changes)
    return files


async def image_config(client: RegistryClient, repository: str, manifest_digest: str) -> dict[str, Any]:
    """The image's config blob (``created``, ``architecture``, labels)."""
    manifest = await client.get_manifest(repository, manifest_digest)
    if manifest is None:
        raise RegistryError(f"{repository}@{manifest_digest} is not on the registry")
    config = manifest.json().get("config") or {}
    return await client.get_blob_json(repository, config["digest"]) if "digest" in config else {}


async def _read_layer_blob(client: RegistryClient, repository: str, layer: dict[str, Any],
                           wanted: Callable[[str], bool]) -> LayerChanges:
    media_type, digest = layer.get("mediaType", ""), layer["digest"]
    if "zstd" in media_type:
        raise RegistryError(f"layer {digest} is zstd-compressed ({media_type}): not readable here yet")
    chunks = client.stream_blob(repository, digest)
    reader = _ChunkReader(chunks)
    try:
        changes = await anyio.to_thread.run_sync(_read_and_drain, reader, wanted)
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
    if "sha256:" + reader.sha256.hexdigest() != digest:
        raise RegistryError(f"layer {repository}@{digest}: the bytes do not match the digest")
    return changes


def _read_and_drain(reader: _ChunkReader, wanted: Callable[[str], bool]) -> LayerChanges:
    stream = io.BufferedReader(reader, buffer_size=1 << 20)
    changes = read_layer(stream, wanted)
    while stream.read(1 << 20):  # tar padding after the end marker still counts for the digest
        pass
    return changes


class _ChunkReader(io.RawIOBase):
    """A blocking file over the async chunks of a blob, for ``tarfile`` in a worker thread; it hashes
    what passes so the layer is checked against its digest without a second read."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    async def _next_chunk(self) -> bytes:
        return await self._chunks.__anext__()

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                chunk = anyio.from_thread.run(self._next_chunk)
            except StopAsyncIteration:
                return 0
            self.sha256.update(chunk)
            self._pending = memoryview(chunk)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
