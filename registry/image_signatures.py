"""Image signatures where cosign keeps them: the ``sha256-<hex>.sig`` tag beside the image.

That tag is an OCI image manifest; each layer is one simple-signing payload (media type
``application/vnd.dev.cosign.simplesigning.v1+json``) with its base64 signature in the
``dev.cosignproject.cosign/signature`` annotation. cosign appends a layer per signature; so do
we, and a signature already there by the same key over the same digest is not made twice.

    await sign_image(client, "airbyte/source-x", digest, "localhost:5000/airbyte/source-x", key)
    check = await verify_image(client, "airbyte/source-x", digest, public_key)   # .ok, .message
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from connector_build.images import is_docker_hub
from registry.oci import RegistryClient
from registry.signing import PublicKey, SigningKey, read_simple_signing_payload, simple_signing_payload

SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
_ZERO_TIME = "0001-01-01T00:00:00Z"  # what go-containerregistry's empty image carries


def signature_tag(digest: str) -> str:
    """``sha256:abc…`` -> ``sha256-abc….sig``: where cosign looks for the signatures of ``digest``."""
    algorithm, _, hex_digest = digest.partition(":")
    return f"{algorithm}-{hex_digest}.sig"


def docker_reference(registry: str, repository: str) -> str:
    """The identity cosign writes in a payload: the repository's full name, as go-containerregistry
    spells it (``index.docker.io/...`` for Docker Hub)."""
    return f"index.docker.io/{repository}" if is_docker_hub(registry) else f"{registry}/{repository}"


@dataclass(frozen=True)
class FoundSignature:
    payload: bytes
    signature: str
    layer_digest: str


@dataclass(frozen=True)
class SignatureCheck:
    ok: bool
    message: str


@dataclass(frozen=True)
class SignOutcome:
    created: bool
    """False when a signature by this key over this digest was already there (a rerun)."""
    tag: str
    manifest_digest: str | None


async def image_signatures(client: RegistryClient, repository: str, digest: str) -> list[FoundSignature]:
    """Every simple-signing layer under ``digest``'s ``.sig`` tag (none when the tag is absent)."""
    manifest = await client.get_manifest(repository, signature_tag(digest))
    if manifest is None:
        return []
    found = []
    for layer in manifest.json().get("layers", []):
        signature = (layer.get("annotations") or {}).get(SIGNATURE_ANNOTATION)
        if layer.get("mediaType") != SIMPLE_SIGNING_MEDIA_TYPE or not signature:
            continue
        payload = await client.get_blob(repository, layer["digest"])
        found.append(FoundSignature(payload, signature, layer["digest"]))
    return found


def signed_by(found: FoundSignature, key: PublicKey, digest: str) -> bool:
    """The signature verifies with ``key`` and its payload names ``digest``."""
    claim = read_simple_signing_payload(found.payload)
    return claim is not None and claim.digest == digest and key.verify(found.payload, found.signature)


async def verify_image(client: RegistryClient, repository: str, digest: str, key: PublicKey) -> SignatureCheck:
    """Is there a signature by ``key`` over ``digest``? The message says what was found either way."""
    tag = signature_tag(digest)
    where = f"{client.registry}/{repository}:{tag}"
    found = await image_signatures(client, repository, digest)
    if not found:
        return SignatureCheck(False, f"no signature for {digest} ({where} is absent or holds none)")
    for signature in found:
        if signed_by(signature, key, digest):
            return SignatureCheck(True, f"signed by key {key.key_id} ({where})")
    claims = [read_simple_signing_payload(s.payload) for s in found]
    wrong_digest = [c.digest for c in claims if c is not None and c.digest != digest]
    if wrong_digest:
        return SignatureCheck(False, f"{where}: a payload names {wrong_digest[0]}, not {digest}")
    return SignatureCheck(False, f"{where}: {len(found)} signature(s), none made by key {key.key_id}")


async def sign_image(client: RegistryClient, repository: str, digest: str, reference: str,
                     key: SigningKey) -> SignOutcome:
    """Add a signature by ``key`` over ``digest`` to its ``.sig`` tag, keeping the ones there."""
    tag = signature_tag(digest)
    existing = await client.get_manifest(repository, tag)
    layers: list[dict[str, Any]] = existing.json().get("layers", []) if existing else []
    for found in await image_signatures(client, repository, digest):
        if signed_by(found, key.public_key, digest):
            return SignOutcome(False, tag, existing.digest if existing else None)
    payload = simple_signing_payload(reference, digest)
    payload_digest = _digest(payload)
    await client.ensure_blob(repository, payload_digest, payload)
    layers = [*layers, {"mediaType": SIMPLE_SIGNING_MEDIA_TYPE, "size": len(payload), "digest": payload_digest,
                        "annotations": {SIGNATURE_ANNOTATION: key.sign(payload)}}]
    config = _config([layer["digest"] for layer in layers])
    config_digest = _digest(config)
    await client.ensure_blob(repository, config_digest, config)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": config_digest},
                "layers": layers}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    pushed = await client.put_manifest(repository, tag, body, OCI_MANIFEST)
    return SignOutcome(True, tag, pushed)


def _config(diff_ids: list[str]) -> bytes:
    """The image config go-containerregistry gives cosign's signature image: empty, one history
    entry per layer, the payloads (uncompressed) as diff ids."""
    config = {"architecture": "", "created": _ZERO_TIME, "history": [{"created": _ZERO_TIME} for _ in diff_ids],
              "os": "", "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}}
    return json.dumps(config, separators=(",", ":")).encode()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
