"""Java connectors on the real daemon: the example's own Maven build in the JDK container, its
image on the Java base, a code-only rebuild, a failing unit test, and the same on Dagger. (Its
passing test run and its Docker publish of both platforms are in the runs over every example:
test_test_command.py and test_publish.py; its Dagger publish is here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.local_registry import HTPASSWD_PATH
from registry.scratch_registry import ScratchRegistry
from tests.integration.conftest import LocalRegistry
from tests.integration.test_build import cli, run_in_image, spec_message
from tests.integration.test_dagger_engine import _publish, dagger_engine, image_facts  # noqa: F401 (fixture)
from tests.integration.test_test_command import steps_of

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

ORDERS = "source-tiny-orders"
IMAGE = f"airbyte/{ORDERS}:dev"


def folder(repo: Path) -> Path:
    return repo / "airbyte-integrations" / "connectors" / ORDERS


def build_report(run) -> dict:
    line = next(line for line in run.stderr.splitlines() if line.startswith("reports: "))
    data = json.loads(Path(line.removeprefix("reports: ").split(" ")[0]).with_name("report.json").read_text())
    return {s["name"]: s for s in data["connectors"][0]["steps"]}


def test_build_runs_the_connectors_own_build_and_a_code_change_rebuilds_it(examples_repo: Path, docker_client) -> None:
    first = cli(examples_repo, "build", ORDERS, timeout=1800)
    assert first.returncode == 0, first.stdout + first.stderr
    assert build_report(first)["build"]["summary"].startswith("build/distributions/source-tiny-orders.tar (built); ")
    config = docker_client.images.get(IMAGE).attrs["Config"]
    assert config["Entrypoint"] == ["/airbyte/base.sh"]
    assert {"AIRBYTE_ENTRYPOINT=/airbyte/base.sh", f"APPLICATION={ORDERS}"} <= set(config["Env"])
    assert config["Labels"]["io.airbyte.name"] == f"airbyte/{ORDERS}"
    assert not any("truststore" in e.lower() or "JAVA_TOOL_OPTIONS" in e for e in config["Env"])
    spec = spec_message(run_in_image(docker_client, IMAGE, "spec"))
    assert spec["connectionSpecification"]["required"] == ["shop", "start_date"]
    listing = run_in_image(docker_client, IMAGE, "-c", "ls /airbyte /airbyte/lib; ls /tmp", entrypoint=["sh"])
    assert "jackson-databind" in listing and "source-tiny-orders.tar" not in listing and "base.sh" in listing

    again = cli(examples_repo, "build", ORDERS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert build_report(again)["build"]["summary"].startswith("build/distributions/source-tiny-orders.tar (prebuilt)")

    spec_file = folder(examples_repo) / "src" / "main" / "resources" / "spec.json"
    spec_file.write_text(spec_file.read_text().replace("Tiny Orders Spec", "Tiny Orders Spec, changed"))
    changed = cli(examples_repo, "build", ORDERS, timeout=1800)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "(built)" in build_report(changed)["build"]["summary"]
    assert spec_message(run_in_image(docker_client, IMAGE, "spec"))["connectionSpecification"]["title"] == \
        "Tiny Orders Spec, changed"


def test_a_failing_java_unit_test_fails_the_unit_step_with_surefires_count(examples_repo: Path, tmp_path: Path) -> None:
    """(The passing run is in test_test_command's run over every example.)"""
    test_file = folder(examples_repo) / "src/test/java/io/example/tinyorders/TinyOrdersSourceTest.java"
    test_file.write_text(test_file.read_text().replace("assertEquals(8, records", "assertEquals(9, records"))
    failing = cli(examples_repo, "test", ORDERS, "--only", "unit", "--report-dir", str(tmp_path / "failing"))
    assert failing.returncode == 1
    unit = steps_of(tmp_path / "failing")[ORDERS]["unit"]
    assert unit["status"] == "failure" and "4 tests run, 1 failures" in unit["summary"], unit


def test_on_dagger_the_build_and_unit_tests_run_in_dagger_and_give_the_same_image(
        examples_repo: Path, tmp_path: Path, docker_client, dagger_engine) -> None:  # noqa: F811
    on_docker = cli(examples_repo, "build", ORDERS, timeout=1800)
    assert on_docker.returncode == 0, on_docker.stdout + on_docker.stderr
    docker_facts = image_facts(docker_client, IMAGE)
    docker_client.images.remove(IMAGE, force=True)
    java_tar = folder(examples_repo) / "build" / "distributions" / f"{ORDERS}.tar"
    java_tar.unlink()  # so the Dagger run builds it again, in Dagger

    reports = tmp_path / "reports"
    run = cli(examples_repo, "--engine", "dagger", "test", ORDERS, "--report-dir", str(reports), timeout=1800)
    assert run.returncode == 0, run.stdout + run.stderr
    steps = steps_of(reports)[ORDERS]
    assert steps["build"]["summary"].startswith("build/distributions/source-tiny-orders.tar (built); ")
    assert steps["unit"]["summary"] == "4 tests run, 0 failures, 0 errors, 0 skipped"
    assert steps["smoke"]["status"] == "success"
    assert java_tar.is_file()  # exported from the Dagger container
    assert image_facts(docker_client, IMAGE) == docker_facts


def test_on_dagger_publish_pushes_both_platforms_verified_and_records_the_version(
        examples_repo: Path, local_registry: LocalRegistry, tmp_path: Path, dagger_engine) -> None:  # noqa: F811
    registry = ScratchRegistry.create(tmp_path, HTPASSWD_PATH, (local_registry.username, local_registry.password))
    registry.start()
    store = tmp_path / "store"
    try:
        run = _publish(examples_repo, registry, store, "dagger", ORDERS)
        assert run.returncode == 0, run.stdout + run.stderr
        index = registry.index(f"airbyte/{ORDERS}", "0.1.0")
        assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]
        pushed = registry.digest(f"airbyte/{ORDERS}", "0.1.0")
        assert registry.digest(f"airbyte/{ORDERS}", "latest") == pushed
    finally:
        registry.stop()
    assert "pulled and ran spec on linux/amd64, linux/arm64" in run.stdout + run.stderr
    marker = json.loads((store / "metadata" / "airbyte" / ORDERS / "0.1.0" / "publish.json").read_text())
    assert marker["digest"] == pushed
    oss = json.loads((store / "registries" / "v0" / "oss_registry.json").read_text())
    assert [(e["dockerRepository"], e["dockerImageTag"]) for e in oss["sources"]] == [(f"airbyte/{ORDERS}", "0.1.0")]
