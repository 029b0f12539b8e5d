"""`--engine dagger` on the engine setup built and started, side by side with the Docker engine.

Each pipeline runs twice on the example monorepo, once per engine, and the results are compared:
the images' labels, entrypoint and `spec`; the test steps; the pushed indexes (both platforms),
the store files and the registry entries. Then scale-out: two client processes on one engine,
the second build served from the engine's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.local_registry import HTPASSWD_PATH
from registry.scratch_registry import ScratchRegistry
from tests.integration.conftest import PYTHON_BASE, LocalRegistry, missing
from tests.integration.test_build import cli, run_in_image, spec_message
from tests.integration.test_publish import env_for, publish_command
from tests.integration.test_test_command import steps_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images", "dagger_engine")]

BUILT = ("source-tiny-weather", "source-tiny-catalog", "destination-tiny-jsonl")


@pytest.fixture(scope="module")
def dagger_engine() -> str:
    pytest.importorskip("dagger", reason="dagger-io is not installed")
    from pipelines.engines.dagger import engine_reachable

    where = engine_reachable()
    if where is None:
        missing("no Dagger engine: bash scripts/build-dagger-engine.sh && bash scripts/start-dagger-engine.sh")
    assert where is not None
    return where


def image_facts(docker_client, image: str) -> dict:
    """What must not depend on the engine: labels, entrypoint, environment, and `spec`."""
    config = docker_client.images.get(image).attrs["Config"]
    return {
        "labels": config.get("Labels") or {},
        "entrypoint": config.get("Entrypoint"),
        "env": sorted(e for e in config.get("Env") or [] if not e.startswith("PATH=")),
        "workdir": config.get("WorkingDir"),
        "spec": spec_message(run_in_image(docker_client, image, "spec")),
    }


def repository(name: str) -> str:
    return f"airbyte/{name}"


def test_build_on_dagger_gives_the_images_docker_gives(examples_repo: Path, docker_client) -> None:
    docker_run = cli(examples_repo, "build", *BUILT)
    assert docker_run.returncode == 0, docker_run.stdout + docker_run.stderr
    on_docker = {name: image_facts(docker_client, f"{repository(name)}:dev") for name in BUILT}
    for name in BUILT:
        docker_client.images.remove(f"{repository(name)}:dev", force=True)

    dagger_run = cli(examples_repo, "--engine", "dagger", "build", *BUILT)
    assert dagger_run.returncode == 0, dagger_run.stdout + dagger_run.stderr
    on_dagger = {name: image_facts(docker_client, f"{repository(name)}:dev") for name in BUILT}
    assert on_dagger == on_docker
    reports = [json.loads(path.read_text())
               for path in (examples_repo / ".connector-pipelines" / "reports").glob("*/report.json")]
    assert [report["success"] for report in reports if report["engine"] == "dagger"] == [True]


def test_test_on_dagger_gives_the_steps_docker_gives(examples_repo: Path, tmp_path: Path) -> None:
    results = {}
    for engine in ("docker", "dagger"):
        reports = tmp_path / f"reports-{engine}"
        run = cli(examples_repo, "--engine", engine, "test", *BUILT, "--report-dir", str(reports))
        assert run.returncode == 0, run.stdout + run.stderr
        results[engine] = {connector: {step: found["status"] for step, found in steps.items()}
                           for connector, steps in steps_of(reports).items()}
    assert results["dagger"] == results["docker"]
    assert results["dagger"]["source-tiny-weather"]["smoke"] == "success"


def registry_view(store: Path) -> dict:
    """The store's files and registry entries, minus what names the moment or the image digest."""
    volatile = {"generated", "publishedAt", "dockerImageDigest", "digest", "published_at", "git", "run_id",
                "started_at", "finished_at", "duration_s"}

    def scrub(value):
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in volatile}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    files = sorted(str(p.relative_to(store)) for p in store.rglob("*") if p.is_file())
    registries = {name: scrub(json.loads((store / "registries" / "v0" / name).read_text()))
                  for name in ("oss_registry.json", "cloud_registry.json")}
    return {"files": files, "registries": registries}


def test_publish_on_dagger_pushes_both_platforms_and_writes_what_docker_writes(
        examples_repo: Path, local_registry: LocalRegistry, tmp_path: Path) -> None:
    views = {}
    for engine in ("docker", "dagger"):
        (tmp_path / f"registry-{engine}").mkdir()
        registry = ScratchRegistry.create(tmp_path / f"registry-{engine}", HTPASSWD_PATH,
                                          (local_registry.username, local_registry.password))
        registry.start()
        try:
            store = tmp_path / f"store-{engine}"
            # One connector: each platform is pulled back and run, arm64 under emulation, which
            # for the manifest connector (the whole CDK imported) takes minutes on 2 shared cores.
            run = _publish(examples_repo, registry, store, engine, "source-tiny-weather")
            assert run.returncode == 0, run.stdout + run.stderr
            index = registry.index("airbyte/source-tiny-weather", "0.2.0")
            assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]
            views[engine] = registry_view(store)
        finally:
            registry.stop()
    assert views["dagger"] == views["docker"]


def _publish(repo: Path, registry: ScratchRegistry, store: Path, engine: str,
             *connectors: str) -> subprocess.CompletedProcess[str]:
    command = publish_command(repo, registry, store, *connectors)
    command.insert(command.index("publish"), "--engine")
    command.insert(command.index("publish"), engine)
    return subprocess.run(command, capture_output=True, text=True, timeout=1500, env=env_for(registry))


BUILD_ONCE = textwrap.dedent('''
    import sys
    import anyio
    from pathlib import Path
    from connector_build.plan import ContainerPlan, CopyFiles, ImageBase, Run, Stage
    from pipelines.build_steps import host_platform
    from pipelines.engines.base import BuildOptions
    from registry.auth import RegistryAuth
    from pipelines.engines.dagger import DaggerEngine
    from pipelines.logs import StepLog

    async def main() -> None:
        base, registry, user, password, context = sys.argv[1:6]
        plan = ContainerPlan(platform=host_platform(), context_dir=Path(context), stages=[Stage("image",
            ImageBase(base), [CopyFiles(("nonce",), "/nonce"),
                              Run(("sh", "-c", "cat /proc/sys/kernel/random/uuid > /built-by"))])])
        engine = DaggerEngine.connect()
        try:
            options = BuildOptions(registry_auth=[RegistryAuth(registry, user, password)])
            image = await engine.build(plan, tags=["cp-i11/scale-out:dev"], log=StepLog(None), options=options)
            result = await engine.run(image.reference, ["cat", "/built-by"], entrypoint=["/usr/bin/env"],
                                      platform=plan.platform, log=StepLog(None))
            print(result.stdout.strip())
        finally:
            await engine.close()

    anyio.run(main)
''')


def test_two_client_processes_share_one_engine_and_its_cache(local_registry: LocalRegistry, tmp_path: Path) -> None:
    """The build step writes a random id into the image: a second process that gets the same id
    was served the first one's layer from the engine's cache, not a rebuild."""
    context = tmp_path / "context"
    context.mkdir()
    (context / "nonce").write_text(os.urandom(8).hex())  # a plan no earlier run has cached

    def build() -> str:
        run = subprocess.run([sys.executable, "-c", BUILD_ONCE, PYTHON_BASE, local_registry.address,
                              local_registry.username, local_registry.password, str(context)],
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout.strip().splitlines()[-1]

    first, second = build(), build()
    assert len(first) == 36
    assert second == first
