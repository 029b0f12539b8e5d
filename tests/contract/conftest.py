"""Fixtures of the engine contract: one engine per parameter, each skipped with its reason.

The Docker engine is always part of the contract (a real daemon and the local registry from
`bash scripts/setup.sh`; outside CI a missing piece skips, in CI it fails). The Dagger engine is
part of it wherever a Dagger engine can be reached (a `dagger run` session,
_EXPERIMENTAL_DAGGER_RUNNER_HOST, or the `dagger` CLI on PATH); elsewhere its cases are skipped
and the skip says why.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from pipelines.engines.base import Engine
from registry.auth import RegistryAuth

# The Docker fixtures are the integration suite's own; importing them here registers them.
from tests.integration.conftest import (  # noqa: F401
    PYTHON_BASE,
    LocalRegistry,
    base_images,
    docker_client,
    local_registry,
)

ENGINES = ("docker", pytest.param("dagger", marks=pytest.mark.go_tools))
"""The Dagger cases need the engine setup builds with Go: `.ci/run` runs them after that build."""

DAGGER_BASE_ENV = "CONTRACT_DAGGER_BASE_IMAGE"
"""A Python base image the Dagger engine can pull (default: the local registry's, which an engine
in its own container reaches only with host networking)."""


@dataclass
class EngineUnderTest:
    """How a contract case makes, configures and inspects one engine."""

    name: str
    make: Callable[[], Engine]
    """A new engine (opened inside the case's event loop, closed by the case)."""
    base_image: str
    registry_auth: list[RegistryAuth]
    labels: Callable[[Engine, str, str], Awaitable[dict[str, str]]]
    """Labels of a built image, read the way that engine can show them."""


@pytest.fixture(params=ENGINES)
def engine_under_test(request: pytest.FixtureRequest) -> EngineUnderTest:
    if request.param == "docker":
        return _docker(request)
    return _dagger(request)


def _docker(request: pytest.FixtureRequest) -> EngineUnderTest:
    import docker

    from pipelines.engines.docker import DockerEngine

    client = request.getfixturevalue("docker_client")
    registry: LocalRegistry = request.getfixturevalue("local_registry")
    request.getfixturevalue("base_images")

    async def labels(engine: Engine, image: str, platform: str) -> dict[str, str]:
        found = client.images.get(image).attrs["Config"].get("Labels") or {}
        return dict(found)

    return EngineUnderTest(
        name="docker",
        # An engine of its own: closing it must not close the session's shared client.
        make=lambda: DockerEngine(docker.from_env(timeout=600)),
        base_image=PYTHON_BASE,
        registry_auth=[RegistryAuth(registry.address, registry.username, registry.password)],
        labels=labels,
    )


def _dagger(request: pytest.FixtureRequest) -> EngineUnderTest:
    pytest.importorskip("dagger", reason="dagger: dagger-io is not installed (pip install -e '.[dagger]')")
    from pipelines.engines.dagger import HOW_TO_CONNECT, DaggerEngine, engine_reachable

    if engine_reachable() is None:
        pytest.skip(f"dagger: no Dagger engine can be reached here; {HOW_TO_CONNECT}")
    base = os.environ.get(DAGGER_BASE_ENV)
    auth: list[RegistryAuth] = []
    if base is None:
        registry: LocalRegistry = request.getfixturevalue("local_registry")
        base = PYTHON_BASE
        auth = [RegistryAuth(registry.address, registry.username, registry.password)]

    async def labels(engine: Engine, image: str, platform: str) -> dict[str, str]:
        assert isinstance(engine, DaggerEngine)
        found: dict[str, str] = {}
        for name in ("io.airbyte.name", "io.airbyte.version"):
            value = await engine.label(image, name, platform=platform)
            if value is not None:
                found[name] = value
        return found

    return EngineUnderTest(
        name="dagger",
        make=lambda: DaggerEngine.connect(),
        base_image=base,
        registry_auth=auth,
        labels=labels,
    )
