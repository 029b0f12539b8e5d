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
