"""`connector-pipelines create` on the real daemon and registry: each template validates, tests and
builds as written, and the arrow-key picker works on a terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from pipelines.local_registry import read_local_registry
from tests.integration.test_build import cli

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("base_images")]

CASES = [("manifest-only", "source-i14-made-api"), ("python-source", "source-i14-made-crm"),
         ("python-destination", "destination-i14-made-db")]


@pytest.fixture
def removes_images(docker_client):
    """Removes the images a test built for the connectors it names (they are only this test's)."""
    names: list[str] = []
    yield names
    for name in names:
        for tag in ("dev", "dev-tests"):
            try:
                docker_client.images.remove(f"airbyte/{name}:{tag}", force=True)
            except Exception:  # noqa: BLE001 - absent already: nothing to clean
                pass


@pytest.mark.parametrize(("template", "name"), CASES)
def test_a_new_connector_validates_tests_and_builds(examples_repo: Path, tmp_path: Path, template: str,
                                                     name: str, removes_images: list[str]) -> None:
    removes_images.append(name)
    created = cli(examples_repo, "create", name, "--template", template)
    assert created.returncode == 0, created.stderr
    folder = examples_repo / "airbyte-integrations" / "connectors" / name
    metadata = (folder / "metadata.yaml").read_text()
    registry = read_local_registry()["LOCAL_REGISTRY"]
    assert "@sha256:" in metadata and registry not in metadata  # the public name, the mirror's digest

    validated = cli(examples_repo, "validate", "--strict", name)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    reports = tmp_path / "reports"
    tested = cli(examples_repo, "test", name, "--report-dir", str(reports))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    steps = {s["name"]: s for s in json.loads((reports / "report.json").read_text())["connectors"][0]["steps"]}
    assert steps["qa"]["status"] == "success"
    assert steps["smoke"]["status"] == "success" and steps["smoke"]["summary"].startswith("spec ok")
    if template == "manifest-only":
        assert steps["unit"]["status"] == "skipped"
    else:
        assert steps["unit"]["status"] == "success" and "passed" in steps["unit"]["summary"]

    built = cli(examples_repo, "build", name, "--platform", "linux/amd64", "--report-dir", str(tmp_path / "build"))
    assert built.returncode == 0, built.stdout + built.stderr


def test_the_picker_takes_arrow_keys_on_a_terminal(examples_repo: Path) -> None:
    """Down arrow then Enter on the source templates (manifest-only, python-source) picks python-source."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli.app", "--repo", str(examples_repo), "create",
                                "source-i14-picked"], stdin=secondary, stdout=secondary, stderr=secondary, env=env,
                               close_fds=True)
    os.close(secondary)
    screen = read_until(main, b"python-source", timeout=60)
    assert b"Which source template?" in screen
    os.write(main, b"\x1b[B")
    time.sleep(0.3)
    os.write(main, b"\r")
    read_until(main, b"created", timeout=120)
    assert process.wait(timeout=60) == 0
    os.close(main)
    folder = examples_repo / "airbyte-integrations" / "connectors" / "source-i14-picked"
    assert (folder / "pyproject.toml").is_file() and not (folder / "manifest.yaml").exists()


def read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    assert wanted in seen, seen.decode(errors="replace")[-2000:]
    return seen
