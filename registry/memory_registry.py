"""An OCI distribution registry held in memory, spoken to over ``httpx.MockTransport``.

For benchmarks and unit tests that need a registry's answers (manifests by tag and digest, blobs,
monolithic uploads) without a server: ``MemoryRegistry().client()`` is a ``RegistryClient`` whose
requests never leave the process. Real registries are the integration tests' business.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from registry.oci import OCI_INDEX, RegistryClient

IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_MANIFEST_PATH = re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/]+)$")
_BLOB_PATH = re.compile(r"^/v2/(?P<repo>.+)/blobs/(?P<digest>[^/]+)$")
_UPLOAD_PATH = re.compile(r"^/v2/(?P<repo>.+)/blobs/uploads/(?P<session>[^/]*)$")


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass
class MemoryRegistry:
    """Manifests by (repository, tag or digest), blobs by (repository, digest)."""

    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    blobs: dict[tuple[str, str], bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def put(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        digest = digest_of(body)
        self.manifests[(repository, reference)] = (media_type, body)
        self.manifests[(repository, digest)] = (media_type, body)
        return digest

    def put_image(self, repository: str, tag: str, labels: Mapping[str, str], architecture: str = "amd64") -> str:
        """A one-platform image whose config carries ``labels``; returns the manifest digest."""
        config = json.dumps({"architecture": architecture, "os": "linux", "config": {"Labels": dict(labels)}}).encode()
        config_digest = digest_of(config)
        self.blobs[(repository, config_digest)] = config
        manifest = json.dumps({"schemaVersion": 2, "mediaType": IMAGE_MANIFEST,
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": config_digest, "size": len(config)},
                               "layers": []}).encode()
        return self.put(repository, tag, manifest, IMAGE_MANIFEST)

    def put_index(self, repository: str, tag: str, platform_digests: Mapping[str, str]) -> str:
        """An index over manifests already stored, as a finished publish leaves it."""
        entries = []
        for platform, digest in platform_digests.items():
            media_type, body = self.manifests[(repository, digest)]
            entries.append({"mediaType": media_type, "digest": digest, "size": len(body),
                            "platform": {"os": "linux", "architecture": platform.split("/")[1]}})
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        return self.put(repository, tag, body, OCI_INDEX)

    def digest(self, repository: str, reference: str) -> str | None:
        found = self.manifests.get((repository, reference))
        return digest_of(found[1]) if found else None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        path = request.url.path
        if path == "/v2/":
            return httpx.Response(200)
        if match := _MANIFEST_PATH.match(path):
            key = (match["repo"], match["ref"])
            if request.method == "PUT":
                digest = self.put(*key, request.content, request.headers["Content-Type"])
                return httpx.Response(201, headers={"Docker-Content-Digest": digest})
            if key not in self.manifests:
                return httpx.Response(404)
            media_type, body = self.manifests[key]
            headers = {"Docker-Content-Digest": digest_of(body), "Content-Type": media_type}
            return httpx.Response(200, headers=headers, content=b"" if request.method == "HEAD" else body)
        if match := _UPLOAD_PATH.match(path):  # monolithic upload: POST a session, PUT the bytes
            if request.method == "POST":
                return httpx.Response(202, headers={"Location": f"/v2/{match['repo']}/blobs/uploads/s1"})
            self.blobs[(match["repo"], request.url.params["digest"])] = request.content
            return httpx.Response(201)
        if (match := _BLOB_PATH.match(path)) and (match["repo"], match["digest"]) in self.blobs:
            return httpx.Response(200, content=self.blobs[(match["repo"], match["digest"])])
        return httpx.Response(404)

    def client(self) -> RegistryClient:
        http = httpx.AsyncClient(base_url="https://registry.example", transport=httpx.MockTransport(self.handle))
        return RegistryClient("registry.example", http)
