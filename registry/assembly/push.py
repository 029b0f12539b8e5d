"""Push an assembled image straight to a registry: blobs, a manifest per platform, the index.

Only what is new is uploaded (the layer of files and the configs). Base layers are found
present, mounted from the base's repository when the base lives on the same registry (or from
a repository this run already filled), or else streamed from the base's registry (a mirror).

    result = await push_image(image, target_client, "airbyte/source-x", tags=["1.0.0", "latest"],
                              source=resolver.client(image.base.registry), known=blob_locations)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import anyio

from connector_build.plan import platform_suffix
from registry.assembly.image import AssembledImage
from registry.oci import BlobTransfer, RegistryClient, RegistryError, copy_blob

PARALLEL_BLOBS = 8


@dataclass
class PushResult:
    index_digest: str
    manifests: dict[str, str]
    """Platform -> manifest digest."""
    transfers: Counter[BlobTransfer] = field(default_factory=Counter)

    def summary(self) -> str:
        return ", ".join(f"{count} {kind.value}" for kind, count in sorted(self.transfers.items(),
                                                                           key=lambda item: item[0].value))


@dataclass
class BlobLocations:
    """Which repository of the target registry is known to hold a blob: the next connector on the
    same base mounts from there instead of copying from the mirror again."""

    by_digest: dict[str, str] = field(default_factory=dict)


async def push_image(image: AssembledImage, target: RegistryClient, repository: str, *, tags: Sequence[str],
                     source: RegistryClient, known: BlobLocations | None = None) -> PushResult:
    known = known if known is not None else BlobLocations()
    result = PushResult(index_digest=image.index_digest, manifests={})
    base_layers = {d["digest"]: d["size"] for p in image.platforms.values() for d in p.base.layers}
    own_blobs = {p.layer.digest: p.layer.blob for p in image.platforms.values()}
    own_blobs.update({p.config_digest: p.config for p in image.platforms.values()})
    limit = anyio.Semaphore(PARALLEL_BLOBS)
    errors: list[Exception] = []

    async def base_layer(digest: str, size: int) -> None:
        mount_from = [known.by_digest[digest]] if digest in known.by_digest else []
        async with limit:
            try:
                transfer = await copy_blob(source, image.base.repository, target, repository, digest, size,
                                           mount_from=mount_from)
            except Exception as exc:  # raised below, without the task group's ExceptionGroup
                errors.append(exc)
                return
        known.by_digest.setdefault(digest, repository)
        result.transfers[transfer] += 1

    async def own_blob(digest: str, data: bytes) -> None:
        # Uploaded without asking first: a few KiB, and two requests instead of three when new.
        async with limit:
            try:
                await target.put_blob(repository, digest, data, len(data))
            except Exception as exc:
                errors.append(exc)
                return
        result.transfers[BlobTransfer.UPLOADED] += 1

    async with anyio.create_task_group() as group:
        for digest, size in base_layers.items():
            group.start_soon(base_layer, digest, size)
        for digest, data in own_blobs.items():
            group.start_soon(own_blob, digest, data)
    if errors:
        raise errors[0]

    async def put_platform(platform: str) -> None:
        manifest = image.platforms[platform].manifest
        reference = f"{tags[0]}-{platform_suffix(platform)}" if tags else manifest.digest
        result.manifests[platform] = await target.put_manifest(repository, reference, manifest.body,
                                                               manifest.media_type)

    async def put_index(tag: str) -> None:
        await target.put_manifest(repository, tag, image.index, image.index_media_type)

    await _all(put_platform, list(image.platforms))  # a manifest needs its blobs, an index its manifests
    await _all(put_index, list(tags))
    return result


async def _all(action: Callable[[str], Awaitable[None]], items: list[str]) -> None:
    """Run ``action`` on every item at once; raise the first error as itself (not a group)."""
    errors: list[Exception] = []

    async def one(item: str) -> None:
        try:
            await action(item)
        except Exception as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for item in items:
            group.start_soon(one, item)
    if errors:
        raise errors[0]


async def copy_image(source: RegistryClient, repository: str, reference: str, target: RegistryClient,
                     target_repository: str, *, tags: Sequence[str]) -> str:
    """An image (an index and its platforms, or one manifest) from one registry to another, under
    ``tags``; blobs already there are not sent again. Returns its digest (unchanged by the copy)."""
    top = await source.get_manifest(repository, reference)
    if top is None:
        raise RegistryError(f"{source.registry}/{repository}:{reference} does not exist")
    children = [entry["digest"] for entry in top.json().get("manifests", [])] if top.is_index else []
    for digest in children:
        child = await source.get_manifest(repository, digest)
        if child is None:
            raise RegistryError(f"{source.registry}/{repository}@{digest} does not exist")
        await _copy_manifest_blobs(source, repository, target, target_repository, child.json())
        await target.put_manifest(target_repository, child.digest, child.body, child.media_type)
    if not top.is_index:
        await _copy_manifest_blobs(source, repository, target, target_repository, top.json())
    for tag in tags:
        await target.put_manifest(target_repository, tag, top.body, top.media_type)
    return top.digest


async def _copy_manifest_blobs(source: RegistryClient, repository: str, target: RegistryClient,
                               target_repository: str, manifest: dict) -> None:
    for blob in [manifest["config"], *manifest.get("layers", [])]:
        await copy_blob(source, repository, target, target_repository, blob["digest"], blob["size"])
