"""The Dagger module's functions, called in Python over a real session on the engine setup started.

`dagger call` cannot load the module here (README, "The Dagger engine here"), so the tests import
the module's object and await its functions directly, with ``dag`` connected to the running engine
as the module runtime would connect it. The module runs the CLI's step lists through the CLI's
runner: its build must give the image `--engine dagger build` gives, and its publish must leave
what `--engine dagger publish` leaves (store files, registry entries, tags, the same steps).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from pipelines.engines.base import host_platform
from pipelines.local_registry import HTPASSWD_PATH
from registry.scratch_registry import ScratchRegistry
from tests.conftest import PROJECT_ROOT
from tests.integration.conftest import LocalRegistry
from tests.integration.test_build import cli, run_in_image, spec_message
from tests.integration.test_dagger_engine import _publish, dagger_engine, registry_view  # noqa: F401
from tests.integration.test_publish import report
from tests.integration.test_test_command import steps_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images", "dagger_engine")]

CONNECTOR = "source-tiny-weather"
REPOSITORY = "airbyte/source-tiny-weather"
T = TypeVar("T")


@pytest.fixture(scope="module")
def module_code() -> Any:
    """The module's code, imported as the Dagger runtime imports it (dagger/src)."""
    sys.path.insert(0, str(PROJECT_ROOT / "dagger" / "src"))
    import connector_pipelines_dagger.main

    return connector_pipelines_dagger.main


@pytest.fixture(scope="module")
def module_object(module_code: Any) -> Any:
    return module_code.ConnectorPipelines()


def in_session(call: Callable[[], Awaitable[T]]) -> T:
    """Run ``call`` with the global ``dag`` connected to the engine, as inside a module runtime."""
    import dagger

    async def main() -> T:
        async with dagger.connection(dagger.Config()):
            return await call()

    return anyio.run(main)


def test_module_build_gives_the_image_the_cli_builds(module_object: Any, examples_repo: Path, docker_client) -> None:
    from dagger import dag

    run = cli(examples_repo, "--engine", "dagger", "build", CONNECTOR)
    assert run.returncode == 0, run.stdout + run.stderr
    config = docker_client.images.get(f"{REPOSITORY}:dev").attrs["Config"]
    by_cli = {"version": config["Labels"]["io.airbyte.version"], "entrypoint": config["Entrypoint"],
              "workdir": config["WorkingDir"],
              "spec": spec_message(run_in_image(docker_client, f"{REPOSITORY}:dev", "spec"))}

    async def build() -> dict[str, Any]:
        image = await module_object.build(connector=CONNECTOR, source=dag.host().directory(str(examples_repo)),
                                          platform=host_platform())
        spec = await image.with_exec(["spec"], use_entrypoint=True).stdout()
        return {"version": await image.label("io.airbyte.version"), "entrypoint": await image.entrypoint(),
                "workdir": await image.workdir(), "spec": spec_message(spec)}

    assert in_session(build) == by_cli


def test_module_test_runs_the_unit_step_the_cli_runs(module_object: Any, examples_repo: Path,
                                                      tmp_path: Path) -> None:
    from dagger import dag

    reports = tmp_path / "reports"
    run = cli(examples_repo, "--engine", "dagger", "test", CONNECTOR, "--only", "unit", "--report-dir", str(reports))
    assert run.returncode == 0, run.stdout + run.stderr
    by_cli = steps_of(reports)[CONNECTOR]["unit"]["summary"]

    output = in_session(lambda: module_object.test(connector=CONNECTOR, source=dag.host().directory(str(examples_repo)),
                                                   platform=host_platform()))
    assert "passed" in by_cli
    assert without_time(output) == without_time(f"{CONNECTOR}: {by_cli}")


def without_time(summary: str) -> str:
    """pytest's closing line without its ``in 0.12s``."""
    return re.sub(r" in [0-9.]+s\b.*", "", summary)


def module_publish(module_object: Any, repo: Path, registry: ScratchRegistry, store: Path, *,
                   password: str | None = None, **options: Any) -> str:
    """What `dagger call publish` would print, over the scratch registry and a store folder."""
    from dagger import dag

    options = {"platforms": "linux/amd64", **options}
    return in_session(lambda: module_object.publish(
        connector=CONNECTOR, source=dag.host().directory(str(repo)), registry=registry.address, store=str(store),
        username=registry.auth[0], password=dag.set_secret("cp-i10-registry-password", password or registry.auth[1]),
        base_url="http://registry.example/files/", **options))


def published(registry: ScratchRegistry, store: Path, steps: list[tuple[str, str]]) -> dict[str, Any]:
    tags = httpx.get(f"http://{registry.address}/v2/{REPOSITORY}/tags/list", auth=registry.auth).json()
    index = registry.index(REPOSITORY, "0.2.0")
    return {"steps": steps, "tags": sorted(tags["tags"]), "view": registry_view(store),
            "platforms": [m["platform"]["architecture"] for m in index["manifests"]]}


def test_module_publish_leaves_what_the_cli_publish_leaves(module_object: Any, examples_repo: Path,
                                                            local_registry: LocalRegistry, tmp_path: Path) -> None:
    results, again = {}, ""
    for how in ("cli", "module"):
        (tmp_path / f"registry-{how}").mkdir()
        registry = ScratchRegistry.create(tmp_path / f"registry-{how}", HTPASSWD_PATH,
                                          (local_registry.username, local_registry.password))
        registry.start()
        store = tmp_path / f"store-{how}"
        try:
            if how == "cli":  # one platform: arm64 would run under emulation (test_dagger_engine covers both)
                run = _publish(examples_repo, registry, store, "dagger", CONNECTOR, "--platform", "linux/amd64")
                assert run.returncode == 0, run.stdout + run.stderr
                steps = [(name, step["status"]) for name, step in report(run)[CONNECTOR].items()]
            else:
                output = module_publish(module_object, examples_repo, registry, store)
                assert registry.auth[1] not in output
                steps = [(name, status) for name, status, _ in (line.split(": ", 2) for line in output.splitlines()
                                                                if line.count(": ") >= 2)]
                again = module_publish(module_object, examples_repo, registry, store)
            results[how] = published(registry, store, steps)
        finally:
            registry.stop()
    assert results["module"] == results["cli"]
    tags = results["cli"]["tags"]
    assert [tag for tag in tags if not tag.startswith("sha256-")] == ["0.2.0", "0.2.0-linux-amd64", "latest"]
    # The attest step's referrers fallback tags: one for the index, one for the amd64 manifest.
    assert len([tag for tag in tags if tag.startswith("sha256-")]) == 2
    assert "attest" in [name for name, _ in results["cli"]["steps"]]
    assert {status for _, status in results["cli"]["steps"]} == {"success"}
    assert again.splitlines()[0].startswith("check: skipped: ") and "already published and recorded" in again


def test_module_publish_dry_run_touches_nothing_and_bad_input_fails_in_one_line(
        module_code: Any, module_object: Any, examples_repo: Path, local_registry: LocalRegistry,
        tmp_path: Path) -> None:
    registry = ScratchRegistry.create(tmp_path, HTPASSWD_PATH, (local_registry.username, local_registry.password))
    registry.start()
    store = tmp_path / "store"
    try:
        planned = module_publish(module_object, examples_repo, registry, store, dry_run=True)
        assert f"would push {registry.address}/{REPOSITORY}:0.2.0 (linux/amd64)" in planned
        assert [line.split(": ")[:2] for line in planned.splitlines()[:3]] == \
            [["check", "success"], ["validate", "success"], ["build", "skipped"]]
        assert registry.digest(REPOSITORY, "0.2.0") is None
        assert [p for p in store.rglob("*") if p.is_file()] == []

        with pytest.raises(module_code.PipelineError, match=r"^--platforms linux/s390x: supported platforms"):
            module_publish(module_object, examples_repo, registry, store, platforms="linux/s390x")
        with pytest.raises(module_code.PipelineError) as refused:
            module_publish(module_object, examples_repo, registry, store, password="cp-i10-wrong-password")
        assert len(str(refused.value).splitlines()) == 1 and "cp-i10-wrong-password" not in str(refused.value)
    finally:
        registry.stop()
