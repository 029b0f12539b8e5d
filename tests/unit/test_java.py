"""Java connectors: settings, the freshness of a distribution, the image plan, Surefire's summary."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from connector_build import java
from connector_build.monorepo import Monorepo
from connector_build.plan import CopyFromStage, Entrypoint, Env, Run
from connector_build.problems import UserError
from connector_build.recipes import plan_for
from pipelines.engines.dockerfile_render import CA_BUNDLE_NAME, build_context, render_dockerfile
from pipelines.java_build import PEM_BLOCK, surefire_summary
from tests.conftest import write_connector

BASE = "docker.io/airbyte/java-connector-base:2.0.1"


def java_connector(tmp_path: Path, settings: str = "", base: bool = True):
    extra = f"  connectorBuildOptions:\n    baseImage: {BASE}\n" if base else ""
    folder = write_connector(tmp_path, "source-j", language="java", extra=extra)
    (folder / "pom.xml").write_text("<project/>")
    (folder / "src").mkdir()
    (folder / "src" / "Main.java").write_text("class Main {}")
    (tmp_path / "pyproject.toml").write_text(f"[tool.connector-pipelines]\n{settings}")
    repo = Monorepo.open(tmp_path)
    return repo, repo.discover().connectors["source-j"]


def make_tar(connector, age_s: float = 0) -> Path:
    tar = java.distribution_path(connector)
    tar.parent.mkdir(parents=True, exist_ok=True)
    tar.write_bytes(b"tar")
    (tar.parent / "other.zip").write_bytes(b"zip")
    stamp = (connector.path / "src" / "Main.java").stat().st_mtime + age_s
    os.utime(tar, (stamp, stamp))
    return tar


def test_defaults_follow_airbytes_gradle_layout_and_commands_fill_placeholders(tmp_path) -> None:
    repo, connector = java_connector(tmp_path)
    settings = repo.settings.java
    assert java.command_for(settings.build_command, connector) == \
        "./gradlew :airbyte-integrations:connectors:source-j:distTar"
    assert settings.concurrency == 1
    assert java.command_for("cd {path} && mvn test", connector) == \
        "cd airbyte-integrations/connectors/source-j && mvn test"
    assert java.monorepo_root(connector) == tmp_path


@pytest.mark.parametrize(("table", "message"), [
    ('[tool.connector-pipelines.java]\nbuild-command = "make {target}"\n', "unknown placeholder {target}"),
    ('[tool.connector-pipelines.java]\nconcurency = 2\n', "concurency"),
])
def test_bad_java_settings_are_one_line_errors(tmp_path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(table)
    with pytest.raises(UserError, match=message):
        Monorepo.open(tmp_path)


def test_a_distribution_is_used_as_it_is_only_while_newer_than_every_source_file(tmp_path) -> None:
    _, connector = java_connector(tmp_path)
    assert not java.distribution_is_fresh(connector)  # none yet
    make_tar(connector, age_s=10)
    (connector.path / "target").mkdir()
    (connector.path / "target" / "late.class").write_bytes(b"")  # build output: does not count
    os.utime(connector.path / "target" / "late.class", (1e10, 1e10))
    assert java.distribution_is_fresh(connector)
    make_tar(connector, age_s=-10)  # code changed after the tar was made
    assert not java.distribution_is_fresh(connector)


def test_the_image_is_the_unpacked_distribution_on_the_java_base_with_base_sh(tmp_path) -> None:
    _, connector = java_connector(tmp_path)
    tar = make_tar(connector, age_s=10)
    plan = plan_for(connector, "linux/arm64")
    assert plan.context_dir == tar.parent and plan.excludes == ("other.zip",)
    assert [s.name for s in plan.stages] == ["unpack", "image"]
    assert [s.base.reference for s in plan.stages] == [BASE, BASE]  # type: ignore[union-attr]
    image = plan.image_stage.operations
    assert Entrypoint(("/airbyte/base.sh",)) in image and Env("APPLICATION", "source-j") in image
    assert Env("AIRBYTE_ENTRYPOINT", "/airbyte/base.sh") in image
    assert CopyFromStage("unpack", "/airbyte/", "/airbyte/") in image
    assert plan.labels() == {"io.airbyte.name": "airbyte/source-j", "io.airbyte.version": "0.1.0"}
    unpack = next(op for op in plan.stages[0].operations if isinstance(op, Run))
    assert "--strip-components=1" in unpack.argv[-1] and not plan.needs_network() and not plan.needs_ca()
    text = render_dockerfile(plan, {BASE: "base-local"}, with_ca=True)
    assert CA_BUNDLE_NAME not in text
    with tarfile.open(fileobj=io.BytesIO(build_context(plan, {}))) as context:
        assert sorted(context.getnames()) == [".connector-pipelines-java/base.sh", "source-j.tar"]


def test_without_base_image_the_default_java_base_is_used(tmp_path) -> None:
    _, connector = java_connector(tmp_path, base=False)
    make_tar(connector, age_s=10)
    assert plan_for(connector, "linux/amd64").stages[-1].base.reference == java.DEFAULT_BASE_IMAGE  # type: ignore[union-attr]


def test_base_sh_runs_the_start_script_named_by_application() -> None:
    assert java.BASE_SH.startswith("#!/usr/bin/env bash\n")
    assert 'exec "/airbyte/bin/${APPLICATION:?' in java.BASE_SH and java.BASE_SH.rstrip().endswith('"$@"')


def test_surefire_summary_and_pem_blocks() -> None:
    output = ("[INFO] Tests run: 3, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.1 s - in a.BTest\n"
              "[INFO] Results:\n[INFO] Tests run: 4, Failures: 1, Errors: 0, Skipped: 1\n")
    assert surefire_summary(output) == "4 tests run, 1 failures, 0 errors, 1 skipped"
    assert surefire_summary("BUILD SUCCESSFUL") is None
    bundle = "# comment\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\ntext\n" \
             "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n"
    assert len(PEM_BLOCK.findall(bundle)) == 2
