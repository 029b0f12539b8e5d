"""The shared step lists (CLI and Dagger module), and the build step chosen by the engine's type."""

from __future__ import annotations

from typing import Any, cast

import anyio
import docker
import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from pipelines.assembled_steps import AssembleImages
from pipelines.build_steps import BuildImages
from pipelines.engines.base import BuildOptions, EngineUnavailable
from pipelines.engines.docker import DockerEngine
from pipelines.step_lists import build_pipeline, run_tests_pipeline
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeEngine


@pytest.fixture(scope="module")
def monorepo() -> Monorepo:
    return Monorepo.open(EXAMPLES)


def connector(monorepo: Monorepo, name: str) -> Connector:
    return monorepo.load_connector(monorepo.connectors_path / name)


def test_a_manifest_connector_is_assembled_only_on_the_docker_engine(monorepo: Monorepo) -> None:
    catalog = connector(monorepo, "source-tiny-catalog")
    daemon = cast(docker.DockerClient, object())  # never called: the step is only chosen
    on_docker = build_pipeline(DockerEngine(daemon), BuildOptions(), ["linux/amd64"], catalog)
    assert [type(step).__name__ for step in on_docker] == ["AssembleImages", "SpecSmoke"]
    assert isinstance(on_docker[0], AssembleImages) and on_docker[0].client is daemon

    class NamedDocker(FakeEngine):  # the name alone no longer makes an engine a Docker daemon
        name = "docker"
        client = daemon

    elsewhere = build_pipeline(NamedDocker(), BuildOptions(), ["linux/amd64"], catalog)
    assert isinstance(elsewhere[0], BuildImages)


def test_the_test_list_runs_the_parts_asked_for(monorepo: Monorepo) -> None:
    weather = connector(monorepo, "source-tiny-weather")
    names = [step.name for step in run_tests_pipeline(FakeEngine(), BuildOptions(), weather, parts={"unit"})]
    assert names == ["build", "unit"]
    assert run_tests_pipeline(None, BuildOptions(), weather, parts={"unit", "smoke"}) == []


def test_an_engine_on_a_borrowed_dagger_session_never_opens_or_closes_one() -> None:
    dagger = pytest.importorskip("dagger")
    from pipelines.engines.dagger import DaggerEngine

    async def main() -> Any:
        engine = DaggerEngine.on_client(dagger.dag)
        assert await engine.client() is dagger.dag
        await engine.close()  # the caller's session stays: nothing of ours to close
        with pytest.raises(EngineUnavailable):
            await engine.client()

    anyio.run(main)
