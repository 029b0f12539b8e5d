"""Read back what publish attached to an image: the verify side's entry point (no network but the registry's).

    found = await load_attestations(client, "airbyte/source-x", index_digest)
    found.provenance            # (digest of the referrer, statement dict) or None
    found.sboms["linux/amd64"]  # (digest of the referrer, SPDX dict); a platform without one is absent
    found.platforms             # {"linux/amd64": "sha256:...", ...} as the index lists them

Only referrers whose manifest names the expected ``subject`` count (a referrers list is just a
list: a fallback tag edited by hand could name anything). Documents that are not JSON raise
:class:`registry.oci.RegistryError` with where.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from registry.oci import RegistryClient, RegistryError
from registry.provenance import SLSA_PROVENANCE_V1
from registry.referrers import IN_TOTO_JSON, PREDICATE_ANNOTATION, SPDX_JSON, list_referrers, load_artifact, subject_of


@dataclass
class Attestations:
    platforms: dict[str, str] = field(default_factory=dict)
    provenance: tuple[str, dict[str, Any]] | None = None
    sboms: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


async def load_provenance(client: RegistryClient, repository: str,
                          index_digest: str) -> tuple[str, dict[str, Any]] | None:
    """The SLSA provenance attached to the index: ``(referrer digest, statement)``, or None."""
    for referrer in await list_referrers(client, repository, index_digest, IN_TOTO_JSON):
        if referrer.annotations.get(PREDICATE_ANNOTATION, SLSA_PROVENANCE_V1) != SLSA_PROVENANCE_V1:
            continue
        if await subject_of(client, repository, referrer) != index_digest:
            continue
        statement = _json(await load_artifact(client, repository, referrer), repository, referrer.digest)
        if statement.get("predicateType") == SLSA_PROVENANCE_V1:
            return referrer.digest, statement
    return None


async def load_sbom(client: RegistryClient, repository: str,
                    manifest_digest: str) -> tuple[str, dict[str, Any]] | None:
    """The SPDX SBOM attached to one platform's manifest: ``(referrer digest, document)``, or None."""
    for referrer in await list_referrers(client, repository, manifest_digest, SPDX_JSON):
        if await subject_of(client, repository, referrer) == manifest_digest:
            return referrer.digest, _json(await load_artifact(client, repository, referrer), repository,
                                          referrer.digest)
    return None


async def load_attestations(client: RegistryClient, repository: str, index_digest: str) -> Attestations:
    index = await client.get_manifest(repository, index_digest)
    if index is None:
        raise RegistryError(f"{repository}@{index_digest} is not on the registry")
    found = Attestations()
    if index.is_index:
        for entry in index.json().get("manifests", []):
            platform = entry.get("platform") or {}
            found.platforms[f"{platform.get('os', 'linux')}/{platform.get('architecture', 'amd64')}"] = entry["digest"]
    else:
        found.platforms["linux/amd64"] = index.digest
    found.provenance = await load_provenance(client, repository, index_digest)
    for platform, digest in found.platforms.items():
        sbom = await load_sbom(client, repository, digest)
        if sbom is not None:
            found.sboms[platform] = sbom
    return found


def _json(data: bytes, repository: str, digest: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise RegistryError(f"{repository}@{digest}: the attached document is not JSON") from None
    if not isinstance(value, dict):
        raise RegistryError(f"{repository}@{digest}: the attached document is not a JSON object")
    return value
