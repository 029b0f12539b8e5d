"""Resolve a base image to digests through the OCI client, once per run.

A reference pinned by digest is fetched by that digest; through a mirror (whose bytes differ)
the mirror's tag is read once and everything after it by the digest it answered. Many
connectors share one base: each (reference, platforms) is resolved once, and each registry gets
one client (one connection pool, one authentication).

    resolver = BaseResolver(mirrors, auth_for=pull_auth)
    base = await resolver.resolve("docker.io/airbyte/source-declarative-manifest:7.10.1@sha256:…",
                                  ("linux/amd64", "linux/arm64"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import anyio

from connector_build.images import ImageReference, resolve_base_image
from registry.assembly.image import BaseImage, BasePlatform
from registry.auth import RegistryAuth
from registry.oci import Manifest, RegistryClient


class BaseImageError(Exception):
    """The base image cannot be used: absent, or without a wanted platform. One line."""


class BaseResolver:
    def __init__(self, mirrors: dict[str, str], *, auth_for: Callable[[str], RegistryAuth | None]) -> None:
        self.mirrors = mirrors
        self._auth_for = auth_for
        self._clients: dict[str, RegistryClient] = {}
        self._shared: set[str] = set()
        self._bases: dict[tuple[str, tuple[str, ...]], BaseImage] = {}
        self._locks: dict[tuple[str, tuple[str, ...]], anyio.Lock] = {}
        self.notices: list[str] = []
        """One-time messages (a mirror replaced a pinned digest)."""

    def client(self, registry: str) -> RegistryClient:
        if registry not in self._clients:
            self._clients[registry] = RegistryClient.for_registry(registry, self._auth_for(registry))
        return self._clients[registry]

    def share_client(self, client: RegistryClient) -> None:
        """Use an already open client for its registry (the publish target's), not a second one."""
        if client.registry not in self._clients:
            self._clients[client.registry] = client
            self._shared.add(client.registry)

    async def aclose(self) -> None:
        """Close the clients this resolver opened (a shared one belongs to whoever shared it)."""
        for registry, client in self._clients.items():
            if registry not in self._shared:
                await client.__aexit__()
        self._clients.clear()

    async def resolve(self, reference: str, platforms: Sequence[str]) -> BaseImage:
        resolved = resolve_base_image(reference, self.mirrors)
        notice = resolved.notice()
        if notice and notice not in self.notices:
            self.notices.append(notice)
        key = (resolved.reference, tuple(sorted(platforms)))
        lock = self._locks.setdefault(key, anyio.Lock())
        async with lock:
            if key not in self._bases:
                self._bases[key] = await self._fetch(resolved.reference, key[1], mirrored=bool(resolved.mirror))
            return self._bases[key]

    async def _fetch(self, reference: str, platforms: tuple[str, ...], *, mirrored: bool) -> BaseImage:
        parsed = ImageReference.parse(reference)
        client = self.client(parsed.registry)
        top = await client.get_manifest(parsed.repository, parsed.digest or parsed.tag or "latest")
        if top is None:
            hint = "" if mirrored else " (map its registry to a mirror with --image-mirror)"
            raise BaseImageError(f"base image {reference} is not in its registry{hint}")
        found: dict[str, BasePlatform] = {}
        if top.is_index:
            entries = top.json().get("manifests", [])
            wanted = {}
            for platform in platforms:
                os_name, _, arch = platform.partition("/")
                entry = next((e for e in entries if e.get("platform", {}).get("os") == os_name
                              and e.get("platform", {}).get("architecture") == arch), None)
                if entry is None:
                    raise BaseImageError(f"base image {reference} has no {platform} image")
                wanted[platform] = entry["digest"]
            errors: list[Exception] = []

            async def fetch(platform: str, digest: str) -> None:
                try:
                    manifest = await client.get_manifest(parsed.repository, digest)
                    if manifest is None or manifest.digest != digest:
                        raise BaseImageError(f"base image {reference}: {platform} manifest {digest} is missing")
                    found[platform] = await self._platform(client, parsed.repository, platform, manifest)
                except Exception as exc:  # raised below as itself, not as an ExceptionGroup
                    errors.append(exc)

            async with anyio.create_task_group() as group:
                for platform, digest in wanted.items():
                    group.start_soon(fetch, platform, digest)
            if errors:
                raise errors[0]
            found = {platform: found[platform] for platform in platforms}
        else:
            for platform in platforms:
                base = await self._platform(client, parsed.repository, platform, top)
                config = base.config_json()
                if f"{config.get('os')}/{config.get('architecture')}" != platform:
                    raise BaseImageError(f"base image {reference} is {config.get('os')}/"
                                         f"{config.get('architecture')} only, not {platform}")
                found[platform] = base
        return BaseImage(reference=reference, registry=parsed.registry, repository=parsed.repository,
                         digest=top.digest, platforms=found)

    @staticmethod
    async def _platform(client: RegistryClient, repository: str, platform: str, manifest: Manifest) -> BasePlatform:
        config_digest = manifest.json().get("config", {}).get("digest")
        if not config_digest:
            raise BaseImageError(f"{repository}@{manifest.digest} has no config (not an image manifest)")
        return BasePlatform(platform=platform, manifest=manifest,
                            config=await client.get_blob(repository, config_digest))
