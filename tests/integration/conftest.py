"""Integration fixtures: the real Docker daemon, the real local registry, the example monorepo.

`bash scripts/setup.sh` provides all three. Outside CI a missing piece skips the tests with the
command that fixes it; in CI (CI=true) it fails them, so a broken environment cannot pass green.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipelines.local_registry import CREDENTIALS_PATH, read_local_registry
from tests.conftest import EXAMPLES

PYTHON_BASE = "localhost:5000/airbyte/python-connector-base:4.0.2"
MANIFEST_BASE = "localhost:5000/airbyte/source-declarative-manifest:7.10.1"
JAVA_BASE = "localhost:5000/airbyte/java-connector-base:2.0.1"


def missing(what: str) -> None:
    message = f"{what} (run `bash scripts/setup.sh`)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class LocalRegistry:
    address: str
    username: str
    password: str


@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except docker.errors.DockerException as exc:
        missing(f"no Docker daemon: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def local_registry() -> LocalRegistry:
    values = read_local_registry()
    if not values:
        missing(f"no local registry credentials at {CREDENTIALS_PATH}")
    return LocalRegistry(values["LOCAL_REGISTRY"], values["LOCAL_REGISTRY_USERNAME"], values["LOCAL_REGISTRY_PASSWORD"])


@pytest.fixture(scope="session")
def base_images(docker_client, local_registry: LocalRegistry) -> dict[str, str]:
    import httpx

    found = {}
    for ref in (PYTHON_BASE, MANIFEST_BASE, JAVA_BASE):
        name, tag = ref.split("/", 1)[1].rsplit(":", 1)
        response = httpx.head(f"http://{local_registry.address}/v2/{name}/manifests/{tag}",
                              auth=(local_registry.username, local_registry.password),
                              headers={"Accept": "application/vnd.oci.image.index.v1+json, "
                                       "application/vnd.docker.distribution.manifest.list.v2+json"})
        if response.status_code != 200:
            missing(f"base image {ref} is not in the local registry")
        found[ref] = response.headers.get("Docker-Content-Digest", "")
    return found


@pytest.fixture
def examples_repo(tmp_path: Path) -> Iterator[Path]:
    """A private copy of examples/monorepo, so reports and stores land in tmp, not in the project."""
    if not (EXAMPLES / "airbyte-integrations").is_dir():
        pytest.fail(f"{EXAMPLES} is missing: the example monorepo is part of the project")
    target = tmp_path / "monorepo"
    # build/ and target/: a Java example's outputs from a local run (the demo) are not part of it
    ignore = shutil.ignore_patterns(".connector-pipelines", "__pycache__", "build", "target")
    shutil.copytree(EXAMPLES, target, ignore=ignore)
    yield target


@pytest.fixture
def docker_engine(docker_client):
    from pipelines.engines.docker import DockerEngine

    return DockerEngine(docker_client)
