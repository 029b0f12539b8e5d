"""doctor speaks to pip-installed users in their own terms, and checks the registry publish uses."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipelines.cli import doctor_command


def test_fixes_name_this_checkout_scripts_only_in_a_source_checkout(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    assert doctor_command.in_source_checkout()  # the tests run from a checkout
    assert "scripts/start-docker.sh" in doctor_command.how_to("start-docker.sh", "start Docker")
    monkeypatch.setattr(doctor_command, "SOURCE_ROOT", tmp_path / "site-packages")  # as after pip install
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    daemon = doctor_command.check_daemon()
    assert not daemon.ok and "scripts/" not in daemon.fix and "DOCKER_HOST" in daemon.fix
    registry = doctor_command.check_registry("127.0.0.1:9", None, None)
    assert "scripts/" not in registry.fix


def test_the_publish_registry_is_checked_with_publish_credentials(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv("DOCKER_HUB_USERNAME", raising=False)
    monkeypatch.delenv("DOCKER_HUB_PASSWORD", raising=False)
    credentials, access = doctor_command.check_publish_registry(f"127.0.0.1:{port}")
    assert not credentials.ok and "DOCKER_HUB_USERNAME" in credentials.fix
    assert not access.ok and access.required and f"127.0.0.1:{port}" in access.check


def test_doctor_defaults_to_the_registry_publish_defaults_to() -> None:
    import inspect

    default = inspect.signature(doctor_command.doctor).parameters["registry"].default.default
    publish = __import__("pipelines.cli.publish_command", fromlist=["publish"]).publish
    assert default == "docker.io" == inspect.signature(publish).parameters["registry"].default.default


def test_the_dagger_engine_fix_names_scripts_only_in_a_source_checkout(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    pytest.importorskip("dagger")
    from pipelines.engines import dagger

    monkeypatch.setattr(dagger, "engine_reachable", lambda: None)
    assert "scripts/start-dagger-engine.sh" in doctor_command.check_dagger().fix
    monkeypatch.setattr(doctor_command, "SOURCE_ROOT", tmp_path / "site-packages")  # as after pip install
    finding = doctor_command.check_dagger()
    assert not finding.ok and "scripts/" not in finding.fix and "dagger run" in finding.fix


def test_fix_commands_are_printed_whole_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from pipelines.cli.app import app

    fix = "export DOCKER_HUB_USERNAME=... DOCKER_HUB_PASSWORD=... (or docker login registry.example.com:5443)"
    monkeypatch.setattr(doctor_command, "read_local_registry", lambda: {})
    monkeypatch.setattr(doctor_command, "check_daemon", lambda: doctor_command.Finding("docker daemon", True, "ok"))
    monkeypatch.setattr(doctor_command, "check_publish_registry", lambda registry: [
        doctor_command.Finding(f"credentials for {registry}", False, "no credentials " * 6, fix)])
    monkeypatch.setattr(doctor_command, "check_emulation", lambda: doctor_command.Finding("arm64 emulation", True, ""))
    monkeypatch.setattr(doctor_command, "check_dagger", lambda: doctor_command.Finding("dagger engine", True, ""))
    result = CliRunner().invoke(app, ["doctor", "--registry", "registry.example.com:5443"], env={"COLUMNS": "80"})
    assert result.exit_code == 1
    [row] = [line for line in result.output.splitlines() if line.startswith("credentials for")]
    assert row.startswith("credentials for registry.example.com:5443  missing  ") and row.endswith(fix)
    assert "…" not in result.output
