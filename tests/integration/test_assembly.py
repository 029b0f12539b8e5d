"""Manifest-only images assembled without a build, on the real daemon and registries.

- The same commit in two checkouts with different file times gives the same index, manifest and
  config digests, with the assembled image removed from the daemon in between.
- The image ``build`` loads into the daemon is the one ``publish`` pushes (config and layers).
- Every manifest-only connector of examples/ and of the shared Airbyte fixtures answers ``spec``
  with the same SPEC message bytes assembled as daemon-built.
- A daemon that lacks the base image gets its layers in the archive.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest

from connector_build.monorepo import Monorepo
from pipelines.engines.base import BuildOptions
from pipelines.local_registry import HTPASSWD_PATH
from pipelines.logs import StepLog
from pipelines.steps import ConnectorState
from registry.assembly.image import DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST
from registry.assembly.layer import deterministic_layer, sha256_digest
from registry.assembly.push import copy_image
from registry.credentials import pull_auth
from registry.oci import OCI_INDEX, RegistryClient
from registry.scratch_registry import ScratchRegistry
from tests.conftest import AIRBYTE_FIXTURES, write_connector
from tests.integration.conftest import MANIFEST_BASE, LocalRegistry

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CATALOG = "source-tiny-catalog"
TAG_PREFIX = "cp-i16"
"""Every local tag these tests make starts with it, and is removed at the end."""

REPRO_TAGS = f"airbyte/{CATALOG}:{TAG_PREFIX}-repro*"

SDM_VERSIONS_PINNED_BY_FIXTURES = ("7.10.1", "6.51.0", "7.8.1.post50.dev22418146992")
"""The fixture connectors pin these; only 7.10.1 exists here, so the mirror serves it under all three."""


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **(env or {})}
    full_env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), *args],
                          capture_output=True, text=True, timeout=1800, env=full_env)


def steps_of(run: subprocess.CompletedProcess[str]) -> dict[str, dict[str, dict]]:
    line = next(line for line in run.stderr.splitlines() if line.startswith("reports: "))
    data = json.loads(Path(line.removeprefix("reports: ").split(" ")[0]).with_name("report.json").read_text())
    return {c["connector"]: {s["name"]: s for s in c["steps"]} for c in data["connectors"]}


@pytest.fixture
def own_images(docker_client) -> Iterator[list[str]]:
    """Patterns (fnmatch) of the local tags a test made; removed afterwards, never anything else."""
    made: list[str] = []
    yield made
    remove_local_tags(docker_client, lambda tag: any(fnmatch.fnmatchcase(tag, pattern) for pattern in made))


def remove_local_tags(docker_client, chosen: Callable[[str], bool]) -> None:
    """The raw list, not images.list(): that inspects every image, and other test runs on this
    daemon remove theirs meanwhile."""
    import docker.errors

    for image in docker_client.api.images():
        for tag in image.get("RepoTags") or []:
            if chosen(tag):
                try:
                    docker_client.images.remove(tag)
                except docker.errors.NotFound:
                    pass


def base_tag_for(reference: str) -> str:
    """The tag the Docker engine gives a base it pulled (pipelines/engines/docker.py, local_base)."""
    return f"connector-pipelines/base:{hashlib.sha256(reference.encode()).hexdigest()[:16]}-*"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z",
           "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z"}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def test_two_checkouts_with_different_file_times_assemble_identical_digests(
        examples_repo: Path, tmp_path: Path, docker_client, own_images: list[str]) -> None:
    git(examples_repo, "init", "-q")
    git(examples_repo, "add", "-A")
    git(examples_repo, "commit", "-qm", "examples")
    digests = []
    for checkout, file_time in (("a", 1_000_000_000), ("b", 1_900_000_000)):
        clone = tmp_path / checkout
        subprocess.run(["git", "clone", "-q", str(examples_repo), str(clone)], check=True)
        for path in (clone / "airbyte-integrations" / "connectors" / CATALOG).iterdir():
            os.utime(path, (file_time, file_time))
        own_images.append(REPRO_TAGS)
        remove_local_tags(docker_client, lambda local: fnmatch.fnmatchcase(local, REPRO_TAGS))
        tag = f"{TAG_PREFIX}-repro"
        run = cli(clone, "build", CATALOG, "--platform", "linux/amd64,linux/arm64", "--tag", tag)
        assert run.returncode == 0, run.stdout + run.stderr
        details = steps_of(run)[CATALOG]["build"]["details"]
        for platform, config_digest in details["configs"].items():
            local = f"airbyte/{CATALOG}:{tag}-{platform.replace('/', '-')}"
            assert docker_client.images.get(local).id == config_digest
        digests.append({key: details[key] for key in ("index_digest", "manifests", "configs")})
    assert digests[0] == digests[1]
    assert sorted(digests[0]["manifests"]) == ["linux/amd64", "linux/arm64"]


@pytest.fixture
def scratch_registry(tmp_path: Path, local_registry: LocalRegistry) -> Iterator[ScratchRegistry]:
    registry = ScratchRegistry.create(tmp_path, HTPASSWD_PATH, (local_registry.username, local_registry.password))
    registry.start()
    yield registry
    registry.stop()


def test_the_image_build_loads_is_the_image_publish_pushes(
        examples_repo: Path, tmp_path: Path, scratch_registry: ScratchRegistry, docker_client,
        own_images: list[str]) -> None:
    tag = f"{TAG_PREFIX}-same"
    own_images.append(f"airbyte/{CATALOG}:{tag}*")
    built = cli(examples_repo, "build", CATALOG, "--platform", "linux/amd64,linux/arm64", "--tag", tag)
    assert built.returncode == 0, built.stdout + built.stderr
    env = {"DOCKER_HUB_USERNAME": scratch_registry.auth[0], "DOCKER_HUB_PASSWORD": scratch_registry.auth[1]}
    published = cli(examples_repo, "publish", CATALOG, "--registry", scratch_registry.address,
                    "--store", str(tmp_path / "store"), env=env)
    assert published.returncode == 0, published.stdout + published.stderr
    steps = steps_of(published)[CATALOG]
    blobs = steps["push"]["details"]["blobs"]
    assert blobs.pop("uploaded") == 3  # the layer of files (the same on both platforms), two configs
    assert set(blobs) <= {"copied", "mounted", "present"}  # base layers: never uploaded from here
    own_images.append(f"{scratch_registry.address}/*")
    index = scratch_registry.index(f"airbyte/{CATALOG}", "1.0.0")
    assert index["mediaType"] == OCI_INDEX
    assert scratch_registry.digest(f"airbyte/{CATALOG}", "1.0.0") == steps_of(built)[CATALOG]["build"]["details"][
        "index_digest"]
    for entry in index["manifests"]:
        platform = f"linux/{entry['platform']['architecture']}"
        manifest = scratch_registry.index(f"airbyte/{CATALOG}", entry["digest"])  # any manifest by digest
        assert manifest["mediaType"] == DOCKER_MANIFEST
        assert manifest["config"]["mediaType"] == DOCKER_CONFIG
        assert manifest["layers"][-1]["mediaType"] == DOCKER_LAYER
        local = docker_client.images.get(f"airbyte/{CATALOG}:{tag}-{platform.replace('/', '-')}")
        assert local.id == manifest["config"]["digest"]
        assert local.attrs["Architecture"] == entry["platform"]["architecture"]
        assert len(local.attrs["RootFS"]["Layers"]) == len(manifest["layers"])


@pytest.fixture
def open_mirror(tmp_path: Path, local_registry: LocalRegistry) -> Iterator[ScratchRegistry]:
    """A registry without a login (so the daemon pulls from it too) serving the local
    source-declarative-manifest under every version the fixture connectors pin."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    mirror = ScratchRegistry.create(folder, None, ("", ""))
    mirror.start()
    repository, _, version = MANIFEST_BASE.split("/", 1)[1].rpartition(":")

    async def fill() -> None:
        async with RegistryClient.for_registry(local_registry.address, pull_auth(local_registry.address)) as source, \
                RegistryClient.for_registry(mirror.address, None) as target:
            await copy_image(source, repository, version, target, repository, tags=SDM_VERSIONS_PINNED_BY_FIXTURES)
    anyio.run(fill)
    yield mirror
    mirror.stop()


def spec_message(docker_client, image: str) -> bytes:
    output = docker_client.containers.run(image, ["spec"], remove=True, network_mode="none", stderr=False)
    lines = [line for line in output.splitlines() if b'"SPEC"' in line]
    assert len(lines) == 1, output[-500:]
    return lines[0]


def test_every_manifest_only_connector_answers_spec_assembled_exactly_as_daemon_built(
        examples_repo: Path, open_mirror: ScratchRegistry, docker_client, own_images: list[str]) -> None:
    connectors = examples_repo / "airbyte-integrations" / "connectors"
    fixtures = AIRBYTE_FIXTURES / "connectors"
    names = [folder.name for folder in sorted(connectors.iterdir()) if _manifest_only(folder)]
    if fixtures.is_dir():
        for folder in sorted(fixtures.iterdir()):
            if _manifest_only(folder):
                shutil.copytree(folder, connectors / folder.name)
                names.append(folder.name)
    assert CATALOG in names and len(names) >= 2
    pyproject = examples_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"localhost:5000/airbyte"', f'"{open_mirror.address}/airbyte"'))
    runs = {}
    for mode in ("assemble", "no-assemble"):
        tag = f"{TAG_PREFIX}-{mode}"
        run = cli(examples_repo, "build", *names, "--platform", "linux/amd64", "--tag", tag, f"--{mode}")
        assert run.returncode == 0, run.stdout + run.stderr
        runs[mode] = steps_of(run)
    own_images.extend(f"airbyte/{name}:{TAG_PREFIX}-*" for name in names)
    own_images.append(f"{open_mirror.address}/*")
    own_images.extend(base_tag_for(f"{open_mirror.address}/airbyte/source-declarative-manifest:{version}")
                      for version in SDM_VERSIONS_PINNED_BY_FIXTURES)
    for name in names:
        assert "assembled" in runs["assemble"][name]["build"]["summary"]
        assert "assembled" not in runs["no-assemble"][name]["build"]["summary"]
        assembled = spec_message(docker_client, f"airbyte/{name}:{TAG_PREFIX}-assemble")
        daemon_built = spec_message(docker_client, f"airbyte/{name}:{TAG_PREFIX}-no-assemble")
        assert assembled == daemon_built, name


def _manifest_only(folder: Path) -> bool:
    """Manifest-only and built by `build`: an archived connector (source-bigcommerce among the
    fixtures) is no longer built, so it has no daemon-built image to compare with."""
    metadata = folder / "metadata.yaml"
    text = metadata.read_text() if metadata.is_file() else ""
    return "language:manifest-only" in text and "supportLevel: archived" not in text


def test_a_daemon_without_the_base_image_gets_its_layers_in_the_archive(
        tmp_path: Path, open_mirror: ScratchRegistry, docker_client, own_images: list[str]) -> None:
    from pipelines.assembled_steps import AssembleImages

    # A base no daemon has: one layer of one file, pushed to the mirror.
    base_layer = deterministic_layer({"/etc/cp-i16-base": os.urandom(16)}, mtime=0)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/true"]},
                         "rootfs": {"type": "layers", "diff_ids": [base_layer.diff_id]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                           "config": {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": sha256_digest(config)},
                           "layers": [{"mediaType": DOCKER_LAYER, "size": base_layer.size,
                                       "digest": base_layer.digest}]}).encode()

    async def push_base() -> None:
        async with RegistryClient.for_registry(open_mirror.address, None) as client:
            await client.ensure_blob("cp-i16/base", base_layer.digest, base_layer.blob)
            await client.ensure_blob("cp-i16/base", sha256_digest(config), config)
            await client.put_manifest("cp-i16/base", "1", manifest, DOCKER_MANIFEST)
    anyio.run(push_base)
    repo = tmp_path / "repo"
    folder = write_connector(repo, "source-cp-i16-cold", language="manifest-only", extra=(
        f"  connectorBuildOptions:\n    baseImage: {open_mirror.address}/cp-i16/base:1\n"))
    (folder / "manifest.yaml").write_text("version: 1\n")
    connector = Monorepo.open(repo).discover().connectors["source-cp-i16-cold"]
    own_images.append(f"{connector.docker_repository}:*")
    step = AssembleImages(docker_client, BuildOptions(), ["linux/amd64"], tag=f"{TAG_PREFIX}-cold")
    state = ConnectorState(connector)
    log = StepLog(tmp_path / "log.txt")
    anyio.run(step.run, state, log)
    log.close()
    assert "the daemon lacks the base image" in (tmp_path / "log.txt").read_text()
    image = docker_client.images.get(f"{connector.docker_repository}:{TAG_PREFIX}-cold")
    assert image.id == state.images["linux/amd64"].image_id
    assert image.attrs["RootFS"]["Layers"][0] == base_layer.diff_id
    assert len(image.attrs["RootFS"]["Layers"]) == 2
