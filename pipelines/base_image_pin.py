"""Pin a base image by the digest its registry serves, asked of the configured mirror if any.

    await pinned_reference("docker.io/airbyte/python-connector-base:4.0.2",
                           {"docker.io/airbyte": "localhost:5000/airbyte"})
    # -> "docker.io/airbyte/python-connector-base:4.0.2@sha256:<the digest localhost:5000 serves>"

The reference keeps its original name (metadata.yaml names the public image); builds map it to the
mirror again, as for every pinned base image.
"""

from __future__ import annotations

from connector_build.images import ImageReference, resolve_base_image
from connector_build.problems import UserError
from registry.credentials import registry_auth
from registry.oci import RegistryClient, RegistryError, RegistryUnreachable


async def pinned_reference(reference: str, mirrors: dict[str, str]) -> str:
    unpinned = reference.split("@", 1)[0]
    resolved = resolve_base_image(unpinned, mirrors)
    target = ImageReference.parse(resolved.reference)
    if not target.tag:
        raise UserError(f"base image {reference}: name a tag to pin, e.g. {unpinned}:1.0.0")
    try:
        async with RegistryClient.for_registry(target.registry, registry_auth(target.registry)) as client:
            digest = await client.manifest_digest(target.repository, target.tag)
    except RegistryUnreachable as exc:
        raise UserError(f"cannot pin the base image {unpinned}: {exc} (a mirror: --image-mirror FROM=TO or "
                        "[tool.connector-pipelines.image-mirrors])") from None
    except RegistryError as exc:
        raise UserError(f"cannot pin the base image {unpinned}: {exc}") from None
    if digest is None:
        raise UserError(f"cannot pin the base image {unpinned}: {resolved.reference} is not in its registry")
    return f"{unpinned}@{digest}"
