"""Engines execute ContainerPlans. ``open_engine`` picks one by name and imports it lazily,
so the Docker path never needs dagger-io installed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connector_build.plan import ContainerPlan
from pipelines.engines.base import BuildOptions, BuiltImage, Engine, EngineUnavailable, RunResult
from pipelines.logs import StepLog
from registry.auth import RegistryAuth


def open_engine(name: str) -> Engine:
    """Connect to the named engine or raise EngineUnavailable with how to fix it."""
    if name == "docker":
        from pipelines.engines.docker import DockerEngine

        return DockerEngine.connect()
    if name == "dagger":
        try:
            from pipelines.engines.dagger import DaggerEngine
        except ModuleNotFoundError as exc:
            if exc.name != "dagger":
                raise
            raise EngineUnavailable("--engine dagger needs the Dagger SDK: pip install "
                                    "'connector-pipelines[dagger]'") from None
        return DaggerEngine.connect()
    raise EngineUnavailable(f"unknown engine '{name}' (choose docker or dagger)")


class LazyEngine:
    """Opens the named engine on first use. A publish where every version is already out never
    needs a daemon, and so never connects to one (nor fails for want of one)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._engine: Engine | None = None

    def _get(self) -> Engine:
        if self._engine is None:
            self._engine = open_engine(self.name)
        return self._engine

    @property
    def notices(self) -> list[str]:
        return list(self._engine.notices) if self._engine is not None else []

    async def build(self, plan: ContainerPlan, *, tags: Sequence[str], log: StepLog,
                    options: BuildOptions) -> BuiltImage:
        return await self._get().build(plan, tags=tags, log=log, options=options)

    async def run(self, image: str, args: Sequence[str], *, platform: str | None = None,
                  files: Mapping[str, bytes] | None = None, stdin: bytes | None = None,
                  env: Mapping[str, str] | None = None, network: str = "none",
                  entrypoint: Sequence[str] | None = None,
                  timeout_s: float = 600, log: StepLog) -> RunResult:
        return await self._get().run(image, args, platform=platform, files=files, stdin=stdin, env=env,
                                     network=network, entrypoint=entrypoint, timeout_s=timeout_s, log=log)

    async def pull(self, reference: str, *, platform: str, auth: RegistryAuth | None, log: StepLog) -> str:
        return await self._get().pull(reference, platform=platform, auth=auth, log=log)

    async def push(self, image: str, reference: str, *, auth: RegistryAuth | None, log: StepLog) -> str:
        return await self._get().push(image, reference, auth=auth, log=log)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()

    def remove_own_containers(self) -> int:
        return self._engine.remove_own_containers() if self._engine is not None else 0

    def opened(self) -> Engine:
        """The engine itself, connected now: for a step that needs that engine's own API."""
        return self._get()


def unwrapped(engine: Engine) -> Engine:
    """``engine`` as the concrete engine it stands for (a ``LazyEngine`` is opened)."""
    return engine.opened() if isinstance(engine, LazyEngine) else engine
