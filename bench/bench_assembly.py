"""Manifest-only images assembled without a daemon vs built by it: build + push, at scale, reproducibility.

    .venv/bin/python bench/bench_assembly.py [--repeat 3] [--connectors 50] [--daemon-connectors 50]

Needs `bash scripts/setup.sh`. Starts a scratch registry (own port and storage, the local
registry's htpasswd) and copies the local source-declarative-manifest 7.10.1 into it, so every
base is warm: present in the registry pushed to, and in the daemon. Base images named in
metadata resolve to it through an image mirror.

1. One connector (the example source-tiny-catalog), linux/amd64 + linux/arm64, build + push,
   after a change to its manifest.yaml each round: assembled (resolve the base, assemble, push
   blobs and manifests) vs daemon-built (the Docker engine's build and push steps).
2. N generated manifest-only connectors, build + push both platforms, 4 at a time, both ways.
3. Reproducibility: every manifest-only connector here (examples, the shared Airbyte fixtures,
   the N generated) assembled in two checkouts of one commit with different file times.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import docker
import docker.errors
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connector_build.connector import Connector, Language  # noqa: E402
from connector_build.monorepo import Monorepo  # noqa: E402
from connector_build.plan import PLATFORMS  # noqa: E402
from pipelines.assembled_steps import Assembler  # noqa: E402
from pipelines.build_steps import BuildImages  # noqa: E402
from pipelines.engines.base import BuildOptions, RegistryAuth  # noqa: E402
from pipelines.engines.docker import LOCAL_BASE_REPOSITORY, DockerEngine, _digest_name  # noqa: E402
from pipelines.local_registry import HTPASSWD_PATH, read_local_registry  # noqa: E402
from pipelines.logs import StepLog  # noqa: E402
from pipelines.publish_steps import PublishTarget, PushImages  # noqa: E402
from pipelines.steps import ConnectorState  # noqa: E402
from registry.assembly.push import copy_image, push_image  # noqa: E402
from registry.credentials import pull_auth  # noqa: E402
from registry.oci import RegistryClient  # noqa: E402
from registry.scratch_registry import ScratchRegistry  # noqa: E402
from registry.store import Store  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
FIXTURE_CONNECTORS = ROOT.parent / "shared" / "fixtures" / "airbyte" / "connectors"
CONNECTOR = "source-tiny-catalog"
SDM = "airbyte/source-declarative-manifest"
SDM_TAGS = ("7.10.1", "6.51.0", "7.8.1.post50.dev22418146992")
"""Versions the fixtures pin; the scratch registry serves the local 7.10.1 under each."""
LOCAL_TAG = "cp-i16-bench"


def manifest_only(folder: Path) -> bool:
    metadata = folder / "metadata.yaml"
    return metadata.is_file() and "language:manifest-only" in metadata.read_text()


def make_monorepo(folder: Path, mirror: str, generated: int) -> list[str]:
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns(".connector-pipelines"))
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"localhost:5000/airbyte"', f'"{mirror}/airbyte"'))
    connectors = folder / "airbyte-integrations" / "connectors"
    if FIXTURE_CONNECTORS.is_dir():
        for source in sorted(FIXTURE_CONNECTORS.iterdir()):
            if manifest_only(source):
                shutil.copytree(source, connectors / source.name)
    for index in range(generated):
        name = f"source-bench-asm-{index:03d}"
        shutil.copytree(connectors / CONNECTOR, connectors / name)
        text = (connectors / name / "metadata.yaml").read_text().replace(CONNECTOR, name)
        lines = [f"  definitionId: 00000000-0000-4000-8000-{index:012d}" if "definitionId" in line else line
                 for line in text.splitlines()]
        (connectors / name / "metadata.yaml").write_text("\n".join(lines) + "\n")
        with (connectors / name / "manifest.yaml").open("a") as manifest:
            manifest.write(f"# {name}\n")
    return sorted(c.name for c in connectors.iterdir() if manifest_only(c))


def discover(folder: Path) -> dict[str, Connector]:
    return {name: c for name, c in Monorepo.open(folder).discover().connectors.items()
            if c.language is Language.MANIFEST_ONLY}


def round_times(action: Callable[[int], Awaitable[None]], rounds: int) -> list[float]:
    times = []
    for round_number in range(rounds):
        started = time.perf_counter()
        anyio.run(action, round_number)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connectors", type=int, default=50)
    parser.add_argument("--daemon-connectors", type=int, default=50, help="0 to skip the daemon side of part 2")
    parser.add_argument("--only-one", action="store_true", help="only the one-connector comparison")
    args = parser.parse_args()
    local = read_local_registry()
    username, password = local["LOCAL_REGISTRY_USERNAME"], local["LOCAL_REGISTRY_PASSWORD"]
    os.environ.update({"DOCKER_HUB_USERNAME": username, "DOCKER_HUB_PASSWORD": password})
    os.environ.pop("SOURCE_DATE_EPOCH", None)
    client = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory(prefix="cp-i16-bench-") as temp:
        work = Path(temp)
        registry = ScratchRegistry.create(work, HTPASSWD_PATH, (username, password))
        registry.start()
        try:
            run_bench(args, work, registry, client)
        finally:
            registry.stop()
            base_tags = {f"{LOCAL_BASE_REPOSITORY}:{_digest_name(f'{registry.address}/{SDM}:{tag}')}-{arch}"
                         for tag in SDM_TAGS for arch in ("amd64", "arm64")}
            for image in client.api.images():  # raw: other runs may remove images meanwhile
                for tag in image.get("RepoTags") or []:
                    if LOCAL_TAG in tag or tag.startswith(registry.address) or tag in base_tags:
                        try:
                            client.images.remove(tag)
                        except docker.errors.NotFound:
                            pass


def run_bench(args: argparse.Namespace, work: Path, registry: ScratchRegistry, client: docker.DockerClient) -> None:
    auth = RegistryAuth(registry.address, *registry.auth)

    async def warm_base() -> None:
        async with RegistryClient.for_registry(local := read_local_registry()["LOCAL_REGISTRY"], pull_auth(local)) \
                as source, RegistryClient.for_registry(registry.address, auth) as target:
            await copy_image(source, SDM, "7.10.1", target, SDM, tags=SDM_TAGS)
    anyio.run(warm_base)
    repo = work / "monorepo"
    names = make_monorepo(repo, registry.address, args.connectors)
    connectors = discover(repo)
    options = BuildOptions(image_mirrors={"docker.io/airbyte": f"{registry.address}/airbyte"}, registry_auth=[auth])
    engine = DockerEngine(client)
    log = StepLog(work / "bench.log")
    platforms = list(PLATFORMS)

    async def assembled(connector: Connector, version: str, assembler: Assembler, target: RegistryClient) -> None:
        image = await assembler.assemble(connector, platforms, log)
        await push_image(image, target, connector.docker_repository, tags=[version, "latest"],
                         source=assembler.resolver.client(image.base.registry), known=assembler.known)

    async def daemon_built(connector: Connector, version: str, target: RegistryClient) -> None:
        state = ConnectorState(connector)
        state.publish.version = version
        await BuildImages(engine, options, platforms, tag=LOCAL_TAG).run(state, log)
        push_target = PublishTarget(registry=registry.address, registry_client=target, auth=auth,
                                    store=Store.open(str(work / "store")),
                                    base_url="", repo_root=repo)
        await PushImages(engine, push_target).run(state, log)

    one = connectors[CONNECTOR]

    def touch(round_number: int, side: str) -> None:
        with (one.path / "manifest.yaml").open("a") as manifest:
            manifest.write(f"# {side} round {round_number}\n")

    async def one_assembled(round_number: int) -> None:
        touch(round_number, "assembled")
        assembler = Assembler(options)
        async with RegistryClient.for_registry(registry.address, auth) as target:
            await assembled(one, f"0.1.{round_number}", assembler, target)
        await assembler.aclose()

    async def one_daemon(round_number: int) -> None:
        touch(round_number, "daemon")
        async with RegistryClient.for_registry(registry.address, auth) as target:
            await daemon_built(one, f"0.2.{round_number}", target)

    daemon_times = round_times(one_daemon, args.repeat)
    assembled_times = round_times(one_assembled, args.repeat)
    one_daemon_s, one_assembled_s = statistics.median(daemon_times), statistics.median(assembled_times)
    table = Table(title=f"one connector ({CONNECTOR}), build + push for {', '.join(platforms)}, warm base, "
                        f"median of {args.repeat} (manifest.yaml changed each round)")
    for column in ("path", "median s", "min s", "max s", "speed-up"):
        table.add_column(column, justify="left" if column == "path" else "right")
    table.add_row("daemon-built (docker build, docker push, index)", f"{one_daemon_s:.2f}",
                  f"{min(daemon_times):.2f}", f"{max(daemon_times):.2f}", "1x")
    table.add_row("assembled (no daemon)", f"{one_assembled_s:.3f}", f"{min(assembled_times):.3f}",
                  f"{max(assembled_times):.3f}", f"{one_daemon_s / one_assembled_s:.0f}x")
    Console().print(table)
    if args.only_one:
        return

    generated = [connectors[n] for n in names if n.startswith("source-bench-asm-")]

    async def many(items: list[Connector], work_on: Callable[[Connector, RegistryClient], Awaitable[None]]) -> None:
        limiter = anyio.CapacityLimiter(4)
        async with RegistryClient.for_registry(registry.address, auth) as target:
            async def each(connector: Connector) -> None:
                async with limiter:
                    await work_on(connector, target)
            async with anyio.create_task_group() as group:
                for connector in items:
                    group.start_soon(each, connector)

    async def many_assembled() -> None:
        assembler = Assembler(options)
        await many(generated, lambda c, target: assembled(c, "1.0.0", assembler, target))
        await assembler.aclose()

    started = time.perf_counter()
    anyio.run(many_assembled)
    many_assembled_s = time.perf_counter() - started
    table = Table(title=f"manifest-only connectors published (build + push, {', '.join(platforms)}, warm bases, "
                        "4 at a time)")
    for column in ("path", "connectors", "seconds", "per connector"):
        table.add_column(column, justify="left" if column == "path" else "right")
    if args.daemon_connectors:
        subset = generated[:args.daemon_connectors]

        async def many_daemon() -> None:
            await many(subset, lambda c, target: daemon_built(c, "2.0.0", target))
        started = time.perf_counter()
        anyio.run(many_daemon)
        many_daemon_s = time.perf_counter() - started
        table.add_row("daemon-built", str(len(subset)), f"{many_daemon_s:.1f}", f"{many_daemon_s / len(subset):.2f}")
    table.add_row("assembled", str(len(generated)), f"{many_assembled_s:.2f}",
                  f"{many_assembled_s / len(generated):.3f}")
    Console().print(table)

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "bench"],
                   cwd=repo, check=True)
    runs = []
    for checkout, file_time in (("a", 1_000_000_000), ("b", 1_900_000_000)):
        clone = work / checkout
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
        for path in clone.rglob("*"):
            if ".git" not in path.parts:
                os.utime(path, (file_time, file_time))
        found = discover(clone)

        async def assemble_all(found: dict[str, Connector] = found) -> dict[str, str]:
            assembler = Assembler(options)
            digests = {name: (await assembler.assemble(c, platforms, log)).index_digest for name, c in found.items()}
            await assembler.aclose()
            return digests
        runs.append(anyio.run(assemble_all))
    same = sum(1 for name in runs[0] if runs[1].get(name) == runs[0][name])
    table = Table(title="reproducibility: two checkouts of one commit, different file times, separate runs")
    for column in ("connectors", "identical index digests", "share"):
        table.add_column(column, justify="right")
    table.add_row(str(len(runs[0])), str(same), f"{100 * same / len(runs[0]):.0f} %")
    Console().print(table)
    log.close()


if __name__ == "__main__":
    main()
