"""OCI 1.1 referrers: attach an artifact (an SBOM, a provenance statement) to an image by digest.

An attached artifact is an OCI image manifest with an ``artifactType``, one layer holding the
document, the empty config, and a ``subject`` naming the image it describes. A registry with the
referrers API indexes it itself; one without (Debian's distribution 2.8) gets the spec's fallback:
the tag ``sha256-<hex of the subject>`` holding an OCI image index of the referrers, which the
client updates read-modify-write (we hold the connector's publish lease meanwhile).

    digest = await attach(client, "airbyte/source-x", subject, SPDX_JSON, sbom_bytes,
                          annotations={PLATFORM_ANNOTATION: "linux/amd64"})
    found = await list_referrers(client, "airbyte/source-x", subject.digest, artifact_type=SPDX_JSON)
    document = await load_artifact(client, "airbyte/source-x", found[0])   # the bytes attached

Attaching the same bytes twice yields the same manifest digest and lists it once (an idempotent rerun).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from registry.oci import OCI_INDEX, OCI_MANIFEST, Manifest, RegistryClient, RegistryError

EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"
EMPTY_CONFIG = b"{}"
SPDX_JSON = "application/spdx+json"
"""``artifactType`` (and layer media type) of an SPDX 2.3 JSON SBOM."""
IN_TOTO_JSON = "application/vnd.in-toto+json"
"""``artifactType`` (and layer media type) of an unsigned in-toto Statement."""
PREDICATE_ANNOTATION = "in-toto.io/predicate-type"
"""On an in-toto referrer: the statement's ``predicateType`` (as BuildKit annotates it)."""
PLATFORM_ANNOTATION = "dev.connector-pipelines.platform"
"""On an SBOM referrer: the platform (``linux/amd64``) of the image it describes."""


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    @classmethod
    def of(cls, manifest: Manifest) -> Descriptor:
        return cls(manifest.media_type, manifest.digest, len(manifest.body))

    def json(self) -> dict[str, Any]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


@dataclass(frozen=True)
class Referrer:
    """One entry of a referrers list: the artifact manifest's digest, its type and annotations."""

    digest: str
    artifact_type: str
    annotations: dict[str, str]
    size: int = 0


def referrers_tag(digest: str) -> str:
    """The fallback tag of the spec: ``sha256:abc…`` -> ``sha256-abc…`` (at most 128 characters)."""
    algorithm, _, hex_digest = digest.partition(":")
    return f"{algorithm}-{hex_digest}"[:128]


def artifact_manifest(subject: Descriptor, artifact_type: str, document: bytes,
                      annotations: dict[str, str] | None = None) -> bytes:
    """The OCI 1.1 artifact manifest carrying ``document`` as its one layer (deterministic bytes)."""
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY_CONFIG_TYPE, "digest": _sha256(EMPTY_CONFIG), "size": len(EMPTY_CONFIG),
                   "data": "e30="},
        "layers": [{"mediaType": artifact_type, "digest": _sha256(document), "size": len(document)}],
        "subject": subject.json(),
    }
    if annotations:
        manifest["annotations"] = dict(sorted(annotations.items()))
    return json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()


async def attach(client: RegistryClient, repository: str, subject: Descriptor, artifact_type: str,
                 document: bytes, annotations: dict[str, str] | None = None) -> str:
    """Push ``document`` as a referrer of ``subject``; returns the artifact manifest's digest."""
    for content in (EMPTY_CONFIG, document):
        await client.ensure_blob(repository, _sha256(content), content)
    body = artifact_manifest(subject, artifact_type, document, annotations)
    digest, indexed = await client.put_manifest_with_subject(repository, _sha256(body), body, OCI_MANIFEST)
    if not indexed:
        entry = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body), "artifactType": artifact_type}
        if annotations:
            entry["annotations"] = dict(sorted(annotations.items()))
        await _add_to_fallback_index(client, repository, subject.digest, entry)
    return digest


async def list_referrers(client: RegistryClient, repository: str, digest: str,
                         artifact_type: str | None = None) -> list[Referrer]:
    """What refers to ``digest``: from the referrers API when the registry has it, else the fallback tag."""
    index = await client.referrers_api(repository, digest)
    if index is None:
        manifest = await client.get_manifest(repository, referrers_tag(digest))
        index = manifest.json() if manifest is not None else {"manifests": []}
    found = [Referrer(entry["digest"], entry.get("artifactType", ""), dict(entry.get("annotations") or {}),
                      int(entry.get("size", 0)))
             for entry in index.get("manifests", []) if isinstance(entry, dict) and "digest" in entry]
    return [r for r in found if artifact_type is None or r.artifact_type == artifact_type]


async def load_artifact(client: RegistryClient, repository: str, referrer: Referrer | str) -> bytes:
    """The document a referrer carries (its first layer), checked against the layer's digest.

    Also checks that the manifest really is an artifact manifest with a ``subject``."""
    digest = referrer.digest if isinstance(referrer, Referrer) else referrer
    manifest = await client.get_manifest(repository, digest)
    if manifest is None:
        raise RegistryError(f"{repository}@{digest}: the referrer's manifest is missing")
    body = manifest.json()
    layers = body.get("layers") or []
    if "subject" not in body or not layers:
        raise RegistryError(f"{repository}@{digest}: not an artifact manifest (no subject or no layer)")
    return await client.get_blob(repository, layers[0]["digest"])


async def subject_of(client: RegistryClient, repository: str, referrer: Referrer | str) -> str | None:
    """The digest the referrer's manifest names as its ``subject`` (what the verify side compares)."""
    digest = referrer.digest if isinstance(referrer, Referrer) else referrer
    manifest = await client.get_manifest(repository, digest)
    return (manifest.json().get("subject") or {}).get("digest") if manifest else None


async def _add_to_fallback_index(client: RegistryClient, repository: str, subject_digest: str,
                                 entry: dict[str, Any]) -> None:
    """Read the ``sha256-<hex>`` tag's index, add ``entry`` unless listed, write it back."""
    tag = referrers_tag(subject_digest)
    current = await client.get_manifest(repository, tag)
    index: dict[str, Any] = current.json() if current is not None else {}
    manifests = [m for m in index.get("manifests", []) if isinstance(m, dict)]
    if any(m.get("digest") == entry["digest"] for m in manifests):
        return
    updated = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*manifests, entry]}
    await client.put_manifest(repository, tag, json.dumps(updated, separators=(",", ":")).encode(), OCI_INDEX)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
