"""A small client for the OCI distribution API: does a tag exist, what is its digest, put an index.

It speaks the standard ``WWW-Authenticate`` challenge flow, Basic (a local registry with
htpasswd) and Bearer tokens (Docker Hub, GHCR), through an ``httpx.Auth`` so every request of a
shared connection pool is authenticated the same way.

    async with RegistryClient.for_registry("localhost:5000", auth) as client:
        digest = await client.manifest_digest("airbyte/source-x", "1.2.3")   # None when absent
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import re
from collections.abc import AsyncIterable, AsyncIterator, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from connector_build.images import is_docker_hub
from registry.auth import RegistryAuth

MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_HUB_API = "registry-1.docker.io"
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """The registry refused or failed a request; the message never contains credentials."""


class RegistryAuthError(RegistryError):
    """The credentials were refused (or are needed and missing)."""


class RegistryUnreachable(RegistryError):
    """No answer at all: connection refused, DNS, timeout."""


@dataclass
class ChallengeAuth(httpx.Auth):
    """Answer a registry's 401 challenge with Basic credentials or a Bearer token it issues."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    _header: str | None = field(default=None, repr=False)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._header:
            request.headers["Authorization"] = self._header
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("WWW-Authenticate", "")
        scheme, _, params_text = challenge.partition(" ")
        params = dict(_CHALLENGE_PARAM.findall(params_text))
        if scheme.lower() == "basic":
            if self.username is None:
                return
            self._header = basic_header(self.username, self.password or "")
        elif scheme.lower() == "bearer" and "realm" in params:
            query = {k: v for k, v in params.items() if k in {"service", "scope"}}
            token_request = httpx.Request("GET", params["realm"], params=query)
            if self.username is not None:
                token_request.headers["Authorization"] = basic_header(self.username, self.password or "")
            token_response = yield token_request
            if token_response.status_code != 200:
                return
            token_response.read()
            body = token_response.json()
            token = body.get("token") or body.get("access_token")
            if not token:
                return
            self._header = f"Bearer {token}"
        else:
            return
        request.headers["Authorization"] = self._header
        yield request


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def api_base(registry: str) -> str:
    """``docker.io`` -> Docker Hub's API host; loopback registries speak plain HTTP."""
    host = DOCKER_HUB_API if is_docker_hub(registry) else registry
    plain = host.startswith(("localhost", "127.", "[::1]"))
    return f"{'http' if plain else 'https'}://{host}"


class RegistryClient:
    def __init__(self, registry: str, client: httpx.AsyncClient) -> None:
        self.registry = registry
        self._client = client

    @classmethod
    def for_registry(cls, registry: str, auth: RegistryAuth | None, *, max_connections: int = 8,
                     timeout_s: float = 30.0) -> RegistryClient:
        challenge = ChallengeAuth(auth.username, auth.password) if auth else ChallengeAuth()
        base_url = api_base(registry)
        client = httpx.AsyncClient(
            base_url=base_url, auth=challenge, timeout=timeout_s,
            verify=base_url.startswith("https:"),  # plain HTTP: no CA bundle to load (tens of ms)
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )
        return cls(registry, client)

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise RegistryUnreachable(f"registry {self.registry} did not answer: {type(exc).__name__}") from None
        if response.status_code == 401:
            raise RegistryAuthError(f"registry {self.registry} refused the credentials (401 on {method} {url})")
        if response.status_code == 403:
            raise RegistryAuthError(f"registry {self.registry} denied access (403 on {method} {url})")
        return response

    async def check_access(self) -> None:
        """Raise RegistryAuthError when the credentials are wrong, RegistryUnreachable when it is down."""
        response = await self._request("GET", "/v2/")
        if response.status_code != 200:
            raise RegistryError(f"registry {self.registry}: GET /v2/ answered {response.status_code}")

    async def manifest_digest(self, repository: str, reference: str) -> str | None:
        """The digest of ``repository:reference``, or None when the tag (or repository) is absent."""
        response = await self._request("HEAD", f"/v2/{repository}/manifests/{reference}",
                                       headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(f"HEAD {repository}:{reference} answered {response.status_code}")
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        manifest = await self.get_manifest(repository, reference)
        return manifest.digest if manifest else None

    async def get_manifest(self, repository: str, reference: str) -> Manifest | None:
        response = await self._request("GET", f"/v2/{repository}/manifests/{reference}",
                                       headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(f"GET manifest {repository}:{reference} answered {response.status_code}")
        body = response.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return Manifest(media_type=response.headers.get("Content-Type", "").split(";")[0], body=body, digest=digest)

    async def get_blob_json(self, repository: str, digest: str) -> dict[str, Any]:
        response = await self._request("GET", f"/v2/{repository}/blobs/{digest}", follow_redirects=True)
        if response.status_code != 200:
            raise RegistryError(f"GET blob {repository}@{digest} answered {response.status_code}")
        return response.json()

    async def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        response = await self._request("PUT", f"/v2/{repository}/manifests/{reference}", content=body,
                                       headers={"Content-Type": media_type})
        if response.status_code not in (200, 201):
            raise RegistryError(f"PUT manifest {repository}:{reference} answered {response.status_code}: "
                                f"{response.text[:200]}")
        return response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()

    async def put_manifest_with_subject(self, repository: str, reference: str, body: bytes,
                                        media_type: str) -> tuple[str, bool]:
        """PUT a manifest that names a ``subject``: ``(digest, the registry indexed the referrer)``.

        A registry with the OCI 1.1 referrers API answers with an ``OCI-Subject`` header; without it
        the client keeps the referrers tag itself (see :mod:`registry.referrers`)."""
        response = await self._request("PUT", f"/v2/{repository}/manifests/{reference}", content=body,
                                       headers={"Content-Type": media_type})
        if response.status_code not in (200, 201):
            raise RegistryError(f"PUT manifest {repository}:{reference} answered {response.status_code}: "
                                f"{response.text[:200]}")
        digest = response.headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()
        return digest, "OCI-Subject" in response.headers

    async def referrers_api(self, repository: str, digest: str) -> dict[str, Any] | None:
        """The referrers API's image index for ``digest``, or None when the registry lacks the API
        (404, as the OCI distribution spec 1.1 asks of such registries: Debian's distribution 2.8)."""
        response = await self._request("GET", f"/v2/{repository}/referrers/{digest}",
                                       headers={"Accept": OCI_INDEX})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(f"GET referrers {repository}@{digest} answered {response.status_code}")
        return response.json()

    # -- blobs: what pushing an image without a daemon needs ------------------------------

    async def blob_exists(self, repository: str, digest: str) -> bool:
        response = await self._request("HEAD", f"/v2/{repository}/blobs/{digest}", follow_redirects=True)
        if response.status_code not in (200, 404):
            raise RegistryError(f"HEAD blob {repository}@{digest} answered {response.status_code}")
        return response.status_code == 200

    async def get_blob(self, repository: str, digest: str) -> bytes:
        """The blob's bytes, checked against ``digest``."""
        response = await self._request("GET", f"/v2/{repository}/blobs/{digest}", follow_redirects=True)
        if response.status_code != 200:
            raise RegistryError(f"GET blob {repository}@{digest} answered {response.status_code}")
        if "sha256:" + hashlib.sha256(response.content).hexdigest() != digest:
            raise RegistryError(f"GET blob {repository}@{digest}: the bytes do not match the digest")
        return response.content

    async def stream_blob(self, repository: str, digest: str) -> AsyncIterator[bytes]:
        """The blob in chunks (base layers are too big to hold in memory many times over)."""
        request = self._client.build_request("GET", f"/v2/{repository}/blobs/{digest}")
        try:
            response = await self._client.send(request, stream=True, follow_redirects=True)
        except httpx.TransportError as exc:
            raise RegistryUnreachable(f"registry {self.registry} did not answer: {type(exc).__name__}") from None
        try:
            if response.status_code != 200:
                raise RegistryError(f"GET blob {repository}@{digest} answered {response.status_code}")
            async for chunk in response.aiter_bytes(1 << 20):
                yield chunk
        finally:
            await response.aclose()

    async def mount_blob(self, repository: str, digest: str, from_repository: str) -> bool:
        """Cross-repository mount (no bytes move); False when the registry will not mount it."""
        response = await self._request("POST", f"/v2/{repository}/blobs/uploads/",
                                       params={"mount": digest, "from": from_repository})
        if response.status_code == 201:
            return True
        if response.status_code == 202:  # an upload session was opened instead: give it back
            location = response.headers.get("Location")
            if location:
                await self._request("DELETE", location)
            return False
        raise RegistryError(f"mount {digest} into {repository} answered {response.status_code}")

    async def put_blob(self, repository: str, digest: str, content: bytes | AsyncIterable[bytes],
                       size: int) -> None:
        """Upload one blob monolithically (POST a session, PUT the bytes with the digest)."""
        started = await self._request("POST", f"/v2/{repository}/blobs/uploads/")
        location = started.headers.get("Location")
        if started.status_code != 202 or not location:
            raise RegistryError(f"starting an upload to {repository} answered {started.status_code}")
        url = httpx.URL(location)
        url = url.copy_merge_params({"digest": digest})
        response = await self._request("PUT", str(url), content=content,
                                       headers={"Content-Type": "application/octet-stream",
                                                "Content-Length": str(size)})
        if response.status_code not in (201, 204):
            raise RegistryError(f"PUT blob {repository}@{digest} answered {response.status_code}: "
                                f"{response.text[:200]}")

    async def ensure_blob(self, repository: str, digest: str, content: bytes, *,
                          mount_from: Sequence[str] = ()) -> BlobTransfer:
        """Make ``digest`` present in ``repository``: found there, mounted from a sibling, or uploaded."""
        if await self.blob_exists(repository, digest):
            return BlobTransfer.PRESENT
        for source in mount_from:
            if source != repository and await self.mount_blob(repository, digest, source):
                return BlobTransfer.MOUNTED
        await self.put_blob(repository, digest, content, len(content))
        return BlobTransfer.UPLOADED


class BlobTransfer(enum.Enum):
    PRESENT = "present"
    MOUNTED = "mounted"
    UPLOADED = "uploaded"
    COPIED = "copied"
    """Streamed from another registry (a mirror) because no mount could reach it."""


async def copy_blob(source: RegistryClient, source_repository: str, target: RegistryClient,
                    target_repository: str, digest: str, size: int, *,
                    mount_from: Sequence[str] = ()) -> BlobTransfer:
    """Make a blob of ``source`` present in ``target``: mounted within ``target`` (from
    ``source_repository`` when both are one registry, else from ``mount_from``), found, or streamed
    across. The mount is tried first: one request whether or not the blob is already there (on a
    registry with htpasswd every request costs a bcrypt check)."""
    siblings = list(mount_from)
    if source.registry == target.registry:
        siblings.insert(0, source_repository)
    for sibling in dict.fromkeys(siblings):
        if sibling != target_repository and await target.mount_blob(target_repository, digest, sibling):
            return BlobTransfer.MOUNTED
    if await target.blob_exists(target_repository, digest):
        return BlobTransfer.PRESENT
    await target.put_blob(target_repository, digest, source.stream_blob(source_repository, digest), size)
    return BlobTransfer.COPIED


@dataclass(frozen=True)
class Manifest:
    media_type: str
    body: bytes
    digest: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def is_index(self) -> bool:
        return "index" in self.media_type or "manifest.list" in self.media_type


def image_index(platform_manifests: list[tuple[str, Manifest]]) -> bytes:
    """An OCI image index joining per-platform manifests under one tag."""
    manifests = []
    for platform, manifest in platform_manifests:
        os_name, _, arch = platform.partition("/")
        entry: dict[str, Any] = {
            "mediaType": manifest.media_type,
            "digest": manifest.digest,
            "size": len(manifest.body),
            "platform": {"os": os_name, "architecture": arch},
        }
        if arch == "arm64":
            entry["platform"]["variant"] = "v8"
        manifests.append(entry)
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests},
                      separators=(",", ":")).encode()
