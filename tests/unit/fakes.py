"""In-process stand-ins for the engine and the OCI registry, so pipeline steps run in milliseconds.

    registry = FakeRegistry()
    engine = FakeEngine(registry)                     # a push lands in ``registry``
    async with registry.client() as client: ...       # a RegistryClient over httpx.MockTransport

The engine answers ``spec`` (and whatever ``responses`` scripts) like a connector would; the
registry keeps manifests and blobs in dicts and speaks the part of the distribution API the
publish steps use. The real daemon and registry are the integration tests' business.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from connector_build.plan import ContainerPlan
from pipelines.engines.base import BuildOptions, BuiltImage, RunResult
from pipelines.logs import StepLog
from registry.auth import RegistryAuth
from registry.oci import OCI_INDEX, RegistryClient

IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SPEC = {"documentationUrl": "https://docs.example.com", "connectionSpecification": {
    "type": "object", "properties": {"city": {"type": "string"}}}}
_MANIFEST_PATH = re.compile(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/]+)$")
_BLOB_PATH = re.compile(r"^/v2/(?P<repo>.+)/blobs/(?P<digest>[^/]+)$")
_UPLOAD_PATH = re.compile(r"^/v2/(?P<repo>.+)/blobs/uploads/(?P<session>[^/]*)$")


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def message(kind: str, **payload: Any) -> str:
    return json.dumps({"type": kind, **payload})


def spec_output(spec: dict[str, Any] = SPEC) -> str:
    return message("SPEC", spec=spec) + "\n"


@dataclass
class FakeRegistry:
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


Responder = Callable[[str, list[str], Mapping[str, str], bytes | None], RunResult]


def spec_responder(image: str, args: list[str], env: Mapping[str, str], stdin: bytes | None) -> RunResult:
    """A connector that answers ``spec`` and lists one installed package; fails anything else."""
    if args == ["spec"]:
        return RunResult(0, spec_output(), "")
    if args[:2] == ["-m", "pip"]:
        return RunResult(0, json.dumps([{"name": "airbyte-cdk", "version": "7.10.1"}]), "")
    return RunResult(2, "", f"unexpected command {args}")


@dataclass
class FakeEngine:
    """Builds by recording the plan; pushes into a :class:`FakeRegistry` with the image's labels."""

    registry: FakeRegistry = field(default_factory=FakeRegistry)
    responder: Responder = spec_responder
    name: str = "fake"
    notices: list[str] = field(default_factory=list)
    built: list[tuple[ContainerPlan, list[str]]] = field(default_factory=list)
    runs: list[tuple[str, list[str], dict[str, str]]] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    pulled: list[str] = field(default_factory=list)
    files_seen: list[dict[str, bytes]] = field(default_factory=list)
    fail_build: str | None = None

    async def build(self, plan: ContainerPlan, *, tags: Sequence[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage:
        if self.fail_build:
            from pipelines.engines.base import BuildFailed

            raise BuildFailed(self.fail_build)
        self.built.append((plan, list(tags)))
        log.write(f"built {tags[0]} for {plan.platform}")
        return BuiltImage(reference=tags[0], platform=plan.platform, image_id=f"{plan.platform}|{tags[0]}")

    async def run(self, image: str, args: Sequence[str], *, platform: str | None = None,
                  files: Mapping[str, bytes] | None = None, stdin: bytes | None = None,
                  env: Mapping[str, str] | None = None, network: str = "none",
                  entrypoint: Sequence[str] | None = None,
                  timeout_s: float = 600, log: StepLog) -> RunResult:
        self.runs.append((image, list(args), dict(env or {})))
        self.files_seen.append(dict(files or {}))
        return self.responder(image, list(args), env or {}, stdin)

    async def pull(self, reference: str, *, platform: str, auth: RegistryAuth | None, log: StepLog) -> str:
        self.pulled.append(f"{reference} {platform}")
        return reference

    async def push(self, image: str, reference: str, *, auth: RegistryAuth | None, log: StepLog) -> str:
        """``image`` is a built image id (``platform|tag``); its labels come from the plan that built it."""
        plan = next(plan for plan, tags in self.built if f"{plan.platform}|{tags[0]}" == image)
        name, _, tag = reference.rpartition(":")
        repository = name.split("/", 1)[1] if "." in name.split("/", 1)[0] else name
        self.pushed.append(reference)
        return self.registry.put_image(repository, tag, plan.labels(), plan.platform.split("/")[1])

    async def close(self) -> None:
        return None

    def remove_own_containers(self) -> int:
        return 0
