"""In-process stand-ins for the engine and the OCI registry, so pipeline steps run in milliseconds.

    registry = FakeRegistry()
    engine = FakeEngine(registry)                     # a push lands in ``registry``
    async with registry.client() as client: ...       # a RegistryClient over httpx.MockTransport

The engine answers ``spec`` (and whatever ``responses`` scripts) like a connector would; the
registry keeps manifests and blobs in dicts and speaks the part of the distribution API the
publish steps use. The real daemon and registry are the integration tests' business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector_build.plan import ContainerPlan
from pipelines.engines.base import BuildOptions, BuiltImage, RunResult
from pipelines.logs import StepLog
from registry.auth import RegistryAuth
from registry.memory_registry import IMAGE_MANIFEST as IMAGE_MANIFEST  # re-exported for the tests
from registry.memory_registry import MemoryRegistry as FakeRegistry
from registry.memory_registry import digest_of as digest_of

SPEC = {"documentationUrl": "https://docs.example.com", "connectionSpecification": {
    "type": "object", "properties": {"city": {"type": "string"}}}}


def message(kind: str, **payload: Any) -> str:
    return json.dumps({"type": kind, **payload})


def spec_output(spec: dict[str, Any] = SPEC) -> str:
    return message("SPEC", spec=spec) + "\n"


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
