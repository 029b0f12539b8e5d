"""Builds on the real Docker daemon: the examples, a real Airbyte manifest, arm64, and failures."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
import yaml

from connector_build.monorepo import Monorepo
from connector_build.recipes import plan_for
from pipelines.engines.base import BuildOptions, host_platform
from pipelines.logs import StepLog
from tests.conftest import airbyte_fixtures
from tests.integration.conftest import JAVA_BASE, MANIFEST_BASE, PYTHON_BASE

pytestmark = pytest.mark.integration

MIRROR = "docker.io/airbyte=localhost:5000/airbyte"


def cli(repo: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli.app", "--repo", str(repo), *args],
        capture_output=True, text=True, timeout=timeout, env=_env(),
    )


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    return env


def spec_message(output: str) -> dict:
    messages = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    specs = [m for m in messages if m.get("type") == "SPEC"]
    assert len(specs) == 1, output[-2000:]
    return specs[0]["spec"]


def run_in_image(docker_client, image: str, *args: str, platform: str | None = None,
                 entrypoint: list[str] | None = None) -> str:
    output = docker_client.containers.run(image, list(args), entrypoint=entrypoint, platform=platform,
                                          remove=True, network_mode="none")
    return output.decode()


@pytest.mark.usefixtures("base_images")
def test_every_example_connector_builds_and_answers_spec(examples_repo: Path, docker_client) -> None:
    result = cli(examples_repo, "build", "--concurrency", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    connectors = Monorepo.open(examples_repo).discover().connectors
    built = [c for c in connectors.values() if c.support_level != "archived"]
    assert len(built) >= 3
    for connector in built:
        image = docker_client.images.get(f"{connector.docker_repository}:dev")
        labels = image.attrs["Config"]["Labels"]
        assert labels["io.airbyte.name"] == connector.docker_repository
        assert labels["io.airbyte.version"] == connector.version
        assert any(e.startswith("AIRBYTE_ENTRYPOINT=") for e in image.attrs["Config"]["Env"])
        spec = spec_message(run_in_image(docker_client, f"{connector.docker_repository}:dev", "spec"))
        assert spec["connectionSpecification"]["type"] == "object"
    report = json.loads(next((examples_repo / ".connector-pipelines" / "reports").glob("*/report.json")).read_text())
    assert report["success"] is True and report["command"] == "build"


@pytest.mark.usefixtures("base_images")
def test_real_pokeapi_manifest_builds_and_its_spec_is_the_manifests(tmp_path: Path, docker_client) -> None:
    fixture = airbyte_fixtures("connectors", "source-pokeapi")
    folder = tmp_path / "airbyte-integrations" / "connectors" / "source-pokeapi"
    folder.mkdir(parents=True)
    for name in ("metadata.yaml", "manifest.yaml", "icon.svg"):
        (folder / name).symlink_to(fixture / name)
    result = cli(tmp_path, "build", "source-pokeapi", "--image-mirror", MIRROR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "its tag is used instead of the pinned digest" in result.stderr
    spec = spec_message(run_in_image(docker_client, "airbyte/source-pokeapi:dev", "spec"))
    manifest = yaml.safe_load((fixture / "manifest.yaml").read_text())
    assert spec["connectionSpecification"] == manifest["spec"]["connection_specification"]


@pytest.mark.usefixtures("base_images")
def test_the_plain_tags_of_the_base_images_are_this_machines(docker_client) -> None:
    """After setup (and after any build for arm64), `docker run BASE` runs this machine's image,
    not the platform pulled last."""
    for reference in (PYTHON_BASE, MANIFEST_BASE, JAVA_BASE):
        assert docker_client.images.get(reference).attrs["Architecture"] == host_platform().split("/")[1], reference


@pytest.mark.slow
@pytest.mark.usefixtures("base_images")
def test_arm64_image_is_arm64_inside_and_out(examples_repo: Path, docker_client, docker_engine) -> None:
    repo = Monorepo.open(examples_repo)
    connector = repo.discover().connectors["source-tiny-weather"]
    plan = plan_for(connector, "linux/arm64")
    options = BuildOptions(image_mirrors=repo.settings.image_mirrors)
    image = anyio.run(lambda: docker_engine.build(plan, tags=["cp-test/arm64:dev"], log=StepLog(None),
                                                  options=options))
    attrs = docker_client.images.get(image.image_id).attrs
    assert attrs["Architecture"] == "arm64"
    # The arm64 pull of the base must leave its plain tag on this machine's image.
    assert docker_client.images.get(PYTHON_BASE).attrs["Architecture"] == host_platform().split("/")[1]
    assert run_in_image(docker_client, image.image_id, "-m", platform="linux/arm64",
                        entrypoint=["uname"]).strip() == "aarch64"
    spec = spec_message(run_in_image(docker_client, image.image_id, "spec", platform="linux/arm64"))
    assert "properties" in spec["connectionSpecification"]


def _broken_connector(root: Path, name: str, files: dict[str, str], base_image: str | None) -> None:
    folder = root / "airbyte-integrations" / "connectors" / name
    folder.mkdir(parents=True)
    options = f"  connectorBuildOptions:\n    baseImage: {base_image}\n" if base_image else ""
    (folder / "metadata.yaml").write_text(f"""\
metadataSpecVersion: "1.0"
data:
  name: {name}
  definitionId: 0b6f5a4e-1f2d-4c61-9d0a-{abs(hash(name)) % 10**12:012d}
  connectorType: source
  connectorSubtype: api
  dockerRepository: airbyte/{name}
  dockerImageTag: 0.1.0
  documentationUrl: https://docs.example.com/{name}
  githubIssueLabel: {name}
  license: MIT
  releaseStage: alpha
{options}  tags:
    - language:python
""")
    for path, text in files.items():
        (folder / path).write_text(text)


@pytest.mark.usefixtures("base_images")
def test_failing_builds_are_red_with_log_tail_and_full_log(tmp_path: Path) -> None:
    base = "localhost:5000/airbyte/python-connector-base:4.0.2"
    _broken_connector(tmp_path, "source-bad-dockerfile", {"Dockerfile": "FROM scratch\nRUNN nothing\n"}, None)
    _broken_connector(tmp_path, "source-no-base", {"main.py": "print('hi')\n"}, None)
    _broken_connector(tmp_path, "source-bad-pip", {
        "main.py": "print('hi')\n",
        "requirements.txt": "connector-pipelines-no-such-package-xyz==0.0.1\n",
    }, base)
    _broken_connector(tmp_path, "source-good", {"main.py": (
        "import json\nprint(json.dumps({'type': 'SPEC', 'spec': {'connectionSpecification': "
        "{'type': 'object', 'properties': {}}}}))\n")}, base)
    report_dir = tmp_path / "reports"
    result = cli(tmp_path, "build", "--report-dir", str(report_dir), "--concurrency", "4")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    report = json.loads((report_dir / "report.json").read_text())
    steps = {c["connector"]: c["steps"][0] for c in report["connectors"]}
    assert steps["source-good"]["status"] == "success"  # one failure does not stop the others
    assert steps["source-bad-dockerfile"]["status"] == "failure"
    assert "RUNN" in " ".join(steps["source-bad-dockerfile"]["log_tail"]) + steps["source-bad-dockerfile"]["summary"]
    assert steps["source-no-base"]["status"] == "failure"
    assert "baseImage is missing" in steps["source-no-base"]["summary"]
    pip = steps["source-bad-pip"]
    assert pip["status"] == "failure"
    assert any("no-such-package" in line for line in pip["log_tail"])
    assert "no-such-package" in Path(pip["log_path"]).read_text()
    assert "source-bad-pip build" in result.stderr and "last log lines" in result.stderr


@pytest.mark.usefixtures("base_images")
def test_ctrl_c_cancels_cleanly_and_leaves_no_container(tmp_path: Path, docker_client) -> None:
    base = "localhost:5000/airbyte/python-connector-base:4.0.2"
    _broken_connector(tmp_path, "source-sleepy", {"main.py": "import time\ntime.sleep(300)\n"}, base)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli.app", "--repo", str(tmp_path), "build", "source-sleepy"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(),
    )
    label = {"label": "io.connector-pipelines.run"}
    before = {c.id for c in docker_client.containers.list(all=True, filters=label)}

    def ours(all_states: bool) -> list:
        return [c for c in docker_client.containers.list(all=all_states, filters=label) if c.id not in before]

    deadline = time.monotonic() + 300  # a loaded machine builds slowly
    while not ours(False) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ours(False), "the spec container never started"
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "Traceback" not in output
    assert ours(True) == []
