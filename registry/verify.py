"""Offline verification of published versions: the image the registry serves for a tag, its
signature, its attached provenance and SBOMs, and what the store recorded about it (the registry
entries' ``generated`` digests, the publish marker), one :class:`Check` per fact.

"Offline" means no transparency log, no certificate authority, nothing but the public key, the
OCI registry (a private mirror will do) and the store (a folder, a bucket, or the URL it is
served at). Every check says what it compared and where, so a failure points at the tampering.

    source = StoreSource.open("./store")          # or "http://host:8080/files/"
    checks = await verify_version(client, source, "airbyte/source-x", "1.2.3", public_key)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from connector_build import versions
from connector_build.problems import UserError
from registry import layout
from registry.attestations import load_provenance, load_sbom
from registry.image_signatures import verify_image
from registry.models import REGISTRIES
from registry.oci import RegistryClient, RegistryError
from registry.provenance import subject_digests
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
    platforms = await platform_digests(client, repository, digest)
    checks.append(await _or_failed("provenance", where, provenance_check(client, source, repository, version,
                                                                          digest)))
    checks += [await _or_failed("sbom", f"{where} ({platform})",
                                sbom_check(client, source, repository, version, platform, platform_digest))
               for platform, platform_digest in platforms.items()]
    checks += entry_checks(source, repository, version, digest, platforms)
    checks += record_checks(source, repository, version, digest)
    return checks


async def _or_failed(name: str, where: str, check: Coroutine[Any, Any, Check]) -> Check:
    """A referrer the registry lists but cannot serve (or serves wrong) fails the check, not the run."""
    try:
        return await check
    except RegistryError as exc:
        return Check(name, False, where, str(exc))


async def platform_digests(client: RegistryClient, repository: str, digest: str) -> dict[str, str]:
    """``{"linux/amd64": "sha256:…"}`` of the served image index (the image itself when it is no index),
    named as the attest step names them in ``generated.platformDigests``."""
    manifest = await client.get_manifest(repository, digest)
    if manifest is None or not manifest.is_index:
        return {"linux/amd64": digest}
    found = {}
    for entry in manifest.json().get("manifests", []):
        platform = entry.get("platform") or {}
        found[f"{platform.get('os', 'linux')}/{platform.get('architecture', 'amd64')}"] = entry["digest"]
    return found


async def provenance_check(client: RegistryClient, source: StoreSource, repository: str, version: str,
                           digest: str) -> Check:
    """A SLSA provenance attached to the served index, naming it as a subject, equal to the stored copy."""
    where = f"{client.registry}/{repository}@{digest}"
    found = await load_provenance(client, repository, digest)
    if found is None:
        return Check("provenance", False, where, "no SLSA provenance attached")
    referrer, statement = found
    subjects = subject_digests(statement)
    if digest not in subjects:
        return Check("provenance", False, where, f"the attached statement's subjects {subjects} do not include "
                                                 f"the served digest")
    path = layout.provenance_file(repository, version)
    stored = source.read_json(path)
    if stored is None:
        return Check("provenance", False, f"{source.url}/{path}", "absent: the store holds no provenance")
    if stored != statement:
        return Check("provenance", False, f"{source.url}/{path}",
                     f"differs from the statement attached to {digest} ({referrer})")
    return Check("provenance", True, where, "subject is the served digest; the stored copy is the attached one")


async def sbom_check(client: RegistryClient, source: StoreSource, repository: str, version: str, platform: str,
                     digest: str) -> Check:
    """An SPDX SBOM attached to the platform's image, describing that digest, equal to the stored copy."""
    where = f"{client.registry}/{repository}@{digest} ({platform})"
    found = await load_sbom(client, repository, digest)
    if found is None:
        return Check("sbom", False, where, "no SPDX SBOM attached")
    path = layout.sbom_file(repository, version, platform)
    stored = source.read(path)
    if stored is None:
        return Check("sbom", False, f"{source.url}/{path}", "absent: the store holds no SBOM for this platform")
    if source.read_json(path) != found[1]:
        return Check("sbom", False, f"{source.url}/{path}",
                     f"differs from the SBOM attached to the {platform} image {digest}")
    described = _described_digest(stored)
    if described != digest:
        return Check("sbom", False, f"{source.url}/{path}", f"describes {described}, not {digest}")
    return Check("sbom", True, where, "attached, describes this image, equal to the stored copy")


def _described_digest(document: bytes) -> str | None:
    """The checksum of the package the SPDX document DESCRIBES (the image), as ``sha256:<hex>``."""
    try:
        spdx = json.loads(document)
        described = {r["relatedSpdxElement"] for r in spdx["relationships"]
                     if r.get("spdxElementId") == "SPDXRef-DOCUMENT" and r.get("relationshipType") == "DESCRIBES"}
        for package in spdx["packages"]:
            if package.get("SPDXID") in described:
                for checksum in package.get("checksums", []):
                    if checksum.get("algorithm") == "SHA256":
                        return "sha256:" + str(checksum["checksumValue"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


def entry_checks(source: StoreSource, repository: str, version: str, digest: str,
                 platforms: dict[str, str]) -> list[Check]:
    """Each registry entry of the version records the served index digest and platform digests."""
    checks = []
    for registry in REGISTRIES:
        path = layout.version_file(repository, version, layout.entry_file_name(registry))
        entry = source.read_json(path)
        if entry is None:
            continue  # not listed in that registry
        generated = entry.get("generated") or {}
        where = f"{source.url}/{path}"
        if generated.get("imageDigest") != digest:
            checks.append(Check(f"{registry} entry", False, where, f"generated.imageDigest is "
                                f"{generated.get('imageDigest')}, the registry serves {digest}"))
        elif generated.get("platformDigests") != platforms:
            checks.append(Check(f"{registry} entry", False, where,
                                f"generated.platformDigests {generated.get('platformDigests')} are not the served "
                                f"index's {platforms}"))
        else:
            checks.append(Check(f"{registry} entry", True, where, "records the served index and platform digests"))
    if not checks:
        path = layout.version_file(repository, version, layout.entry_file_name("oss"))
        checks.append(Check("entry", False, f"{source.url}/{path}", "no registry entry for this version"))
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
