"""Offline verification of published versions: the image the registry serves for a tag, its
signature, and what the store recorded about it, one :class:`Check` per fact.

"Offline" means no transparency log, no certificate authority, nothing but the public key, the
OCI registry (a private mirror will do) and the store (a folder, a bucket, or the URL it is
served at). Every check says what it compared and where, so a failure points at the tampering.

    source = StoreSource.open("./store")          # or "http://host:8080/files/"
    checks = await verify_version(client, source, "airbyte/source-x", "1.2.3", public_key)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from connector_build import versions
from connector_build.problems import UserError
from registry import layout
from registry.image_signatures import verify_image
from registry.models import REGISTRIES
from registry.oci import RegistryClient
from registry.signing import PublicKey
from registry.store import Store
from registry.verify_checks import Check


@dataclass
class StoreSource:
    """A store to read from: a :class:`Store` (folder or fsspec URL), or a base URL it is served at."""

    url: str
    read: Callable[[str], bytes | None]
    store: Store | None = None

    @classmethod
    def open(cls, source: str) -> StoreSource:
        if source.startswith(("http://", "https://")):
            return cls(source, _http_reader(source))
        store = Store.open(source)
        if not store.is_present():
            raise UserError(f"store {store.url}: no such folder")
        return cls(store.url, store.read_bytes, store)

    def read_json(self, path: str) -> dict[str, Any] | None:
        raw = self.read(path)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return {"__unreadable__": path}
        return value if isinstance(value, dict) else {"__unreadable__": path}


def _http_reader(base_url: str) -> Callable[[str], bytes | None]:
    client = httpx.Client(timeout=30, follow_redirects=True)

    def read(path: str) -> bytes | None:
        url = f"{base_url.rstrip('/')}/{path}"
        try:
            response = client.get(url)
        except httpx.HTTPError as exc:
            raise UserError(f"{url}: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UserError(f"{url}: HTTP {response.status_code}")
        return response.content

    return read


# -- which connector, which version -----------------------------------------------------------


def registry_entries(source: StoreSource) -> list[dict[str, Any]]:
    """Every entry of both registry files (a connector in both appears twice)."""
    entries = []
    for registry in REGISTRIES:
        document = source.read_json(layout.registry_file(registry)) or {}
        for kind in ("sources", "destinations"):
            entries += [e for e in document.get(kind) or [] if isinstance(e, dict)]
    return entries


def resolve_repository(source: StoreSource, name: str) -> str:
    """``source-x`` or ``airbyte/source-x`` -> the ``dockerRepository`` the store records it under."""
    if "/" in name:
        return name
    found = {str(e.get("dockerRepository")) for e in registry_entries(source)
             if str(e.get("dockerRepository", "")).rsplit("/", 1)[-1] == name}
    if not found and source.store is not None:
        found = {"/".join(path.split("/")[1:]) for path in source.store.glob(layout.repository_glob(name))}
    if len(found) != 1:
        raise UserError(f"{name}: {'no' if not found else 'more than one'} connector of that name in "
                        f"{source.url}" + (f" ({', '.join(sorted(found))}): name it as org/name" if found else ""))
    return found.pop()


def resolve_version(source: StoreSource, repository: str) -> str:
    """The version the registries list for ``repository`` (its default), else the highest marker."""
    tags = {str(e.get("dockerImageTag")) for e in registry_entries(source) if e.get("dockerRepository") == repository}
    if not tags and source.store is not None:
        tags = {layout.version_of_marker(p) for p in source.store.glob(layout.version_marker_glob(repository))}
    if not tags:
        raise UserError(f"{repository}: no published version in {source.url}; give the VERSION")
    return max(tags, key=versions.sort_key)


# -- the checks ---------------------------------------------------------------------------------


async def verify_version(client: RegistryClient, source: StoreSource, repository: str, version: str,
                         key: PublicKey) -> list[Check]:
    """Tag, signature, and the store's records of the digest, for one published version."""
    where = f"{client.registry}/{repository}:{version}"
    digest = await client.manifest_digest(repository, version)
    if digest is None:
        return [Check("tag", False, where, "the registry has no such tag")]
    checks = [Check("tag", True, where, f"served as {digest}")]
    signature = await verify_image(client, repository, digest, key)
    checks.append(Check("signature", signature.ok, where, signature.message))
    checks += record_checks(source, repository, version, digest)
    return checks


def record_checks(source: StoreSource, repository: str, version: str, digest: str) -> list[Check]:
    """The digest the store recorded when it published the version (its marker) equals the served one."""
    path = layout.marker(repository, version)
    marker = source.read_json(path)
    if marker is None:
        return [Check("record", False, f"{source.url}/{path}", "absent: the store never recorded this version")]
    recorded = marker.get("digest")
    if recorded != digest:
        return [Check("record", False, f"{source.url}/{path}",
                      f"records {recorded}, the registry serves {digest}: the tag was moved after publish")]
    return [Check("record", True, f"{source.url}/{path}", f"records {digest}")]
