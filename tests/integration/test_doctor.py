"""doctor against the real daemon and local registry: ready when publish can push there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration.conftest import LocalRegistry


@pytest.mark.usefixtures("docker_client", "base_images")
def test_doctor_checks_the_registry_publish_pushes_to(local_registry: LocalRegistry) -> None:
    env = {**os.environ, "DOCKER_HUB_USERNAME": local_registry.username,
           "DOCKER_HUB_PASSWORD": local_registry.password, "COLUMNS": "80"}
    result = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "doctor", "--registry", local_registry.address],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split("  ")[0]: line.split() for line in result.stdout.splitlines()}
    assert rows[f"credentials for {local_registry.address}"][3:5] == ["ok", "user"]
    assert rows[f"publish registry {local_registry.address}"][3] == "ok"
    assert local_registry.password not in result.stdout + result.stderr

    wrong = {**env, "DOCKER_HUB_PASSWORD": "not-the-password"}
    refused = subprocess.run([sys.executable, "-m", "pipelines.cli.app", "doctor", "--registry",
                              local_registry.address], capture_output=True, text=True, env=wrong, timeout=120)
    assert refused.returncode == 1 and "not ready" in refused.stdout
    assert "not-the-password" not in refused.stdout + refused.stderr
