"""Engines execute ContainerPlans. ``open_engine`` picks one by name and imports it lazily,
so the Docker path never needs dagger-io installed."""

from __future__ import annotations

from pipelines.engines.base import Engine, EngineUnavailable


def open_engine(name: str) -> Engine:
    """Connect to the named engine or raise EngineUnavailable with how to fix it."""
    if name == "docker":
        from pipelines.engines.docker import DockerEngine

        return DockerEngine.connect()
    if name == "dagger":
        from pipelines.engines.dagger import DaggerEngine

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
        return list(getattr(self._engine, "notices", []))

    async def build(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self._get().build(*args, **kwargs)

    async def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self._get().run(*args, **kwargs)

    async def pull(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self._get().pull(*args, **kwargs)

    async def push(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await self._get().push(*args, **kwargs)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()

    def remove_own_containers(self) -> int:
        cleanup = getattr(self._engine, "remove_own_containers", None)
        return cleanup() if cleanup else 0
