"""What every engine does, so pipelines are written once and run on Docker or Dagger.

    engine = DockerEngine.connect()
    image = await engine.build(plan, tags=["airbyte/source-x:dev"], log=log, options=options)
    result = await engine.run(image.reference, ["spec"], platform=plan.platform, log=log)
"""

from __future__ import annotations

import platform as host
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from connector_build.java import JavaSettings
from connector_build.plan import ContainerPlan
from pipelines.logs import StepLog
from registry.auth import RegistryAuth


def host_platform() -> str:
    """This machine's platform, as images name it."""
    machine = host.machine().lower()
    return "linux/arm64" if machine in {"aarch64", "arm64"} else "linux/amd64"


class EngineError(Exception):
    """An engine operation failed; ``log_tail`` holds the last lines worth showing."""

    def __init__(self, message: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail or []


def first_line(value: object) -> str:
    """The first line of an error or message: what a one-line summary shows of it."""
    text = str(value).strip()
    if text:
        return text.splitlines()[0]
    return type(value).__name__ if isinstance(value, BaseException) else "unknown error"


class EngineUnavailable(EngineError):
    """The engine cannot be reached at all (no daemon, no Dagger session): nothing can run."""


class BuildFailed(EngineError):
    pass


class PushFailed(EngineError):
    pass


@dataclass
class BuildOptions:
    """How builds reach the network. Resolved once from flags and settings, then passed down."""

    image_mirrors: dict[str, str] = field(default_factory=dict)
    ca_bundle: Path | None = None
    network: str = "host"
    registry_auth: list[RegistryAuth] = field(default_factory=list)
    assemble_manifest_only: bool = True
    """Manifest-only images are assembled without a build (pipelines/assembled_steps.py)."""
    java: JavaSettings = field(default_factory=JavaSettings)
    """How Java connectors' own builds run (pipelines/java_build.py)."""

    def auth_for(self, registry: str) -> RegistryAuth | None:
        return next((auth for auth in self.registry_auth if auth.registry == registry), None)


@dataclass(frozen=True)
class BuiltImage:
    """A built image in the engine's local store. ``reference`` is what ``run`` accepts."""

    reference: str
    platform: str
    image_id: str


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class Engine(Protocol):
    name: str

    @property
    def notices(self) -> list[str]:
        """One-time messages for the user (a mirror replaced a pinned digest, no Docker daemon …)."""
        ...

    async def build(self, plan: ContainerPlan, *, tags: Sequence[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage: ...

    async def run(self, image: str, args: Sequence[str], *, platform: str | None = None,
                  files: Mapping[str, bytes] | None = None, stdin: bytes | None = None,
                  env: Mapping[str, str] | None = None, network: str = "none",
                  entrypoint: Sequence[str] | None = None,
                  timeout_s: float = 600, log: StepLog) -> RunResult: ...

    async def pull(self, reference: str, *, platform: str, auth: RegistryAuth | None, log: StepLog) -> str:
        """Fetch ``reference`` for ``platform`` from its registry; return what ``run`` accepts."""
        ...

    async def push(self, image: str, reference: str, *, auth: RegistryAuth | None,
                   log: StepLog) -> str: ...

    async def close(self) -> None: ...

    def remove_own_containers(self) -> int:
        """Remove the containers this engine started that are still there; how many. The last
        thing a command does, even on Ctrl-C (after ``close``)."""
        ...
