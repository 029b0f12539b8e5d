"""``connector-pipelines doctor``: is this machine ready to build and publish, and if not, how to fix it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.table import Table

from pipelines.cli.console import console
from pipelines.local_registry import CREDENTIALS_PATH, read_local_registry

BASE_IMAGES = ("airbyte/python-connector-base:4.0.2", "airbyte/source-declarative-manifest:7.10.1")


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def check_daemon() -> Finding:
    import docker

    try:
        client = docker.from_env(timeout=10)
        version = client.version().get("Version", "?")
        client.close()
    except docker.errors.DockerException as exc:
        return Finding("docker daemon", False, str(exc).splitlines()[0][:120],
                       "bash scripts/start-docker.sh (or set DOCKER_HOST)")
    return Finding("docker daemon", True, f"Docker Engine {version}")


def check_registry(address: str, username: str | None, password: str | None) -> Finding:
    import httpx
    auth = (username, password) if username and password else None
    try:
        response = httpx.get(f"http://{address}/v2/", auth=auth, timeout=5)
    except httpx.TransportError as exc:
        return Finding("local registry", False, f"{address}: {type(exc).__name__}", "bash scripts/start-registry.sh")
    if response.status_code == 401:
        return Finding("local registry", False, f"{address} refused the credentials",
                       f"check {CREDENTIALS_PATH}, or rerun bash scripts/start-registry.sh")
    return Finding("local registry", response.status_code == 200, f"{address} answers {response.status_code}")


def check_docker_login(address: str) -> Finding:
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        auths = json.loads(config.read_text()).get("auths", {})
    except (OSError, json.JSONDecodeError):
        auths = {}
    ok = address in auths
    return Finding("docker login", ok, f"{'logged in to' if ok else 'no login for'} {address}",
                   f"docker login {address} (bash scripts/start-registry.sh does it)")


def check_base_image(address: str, image: str, username: str | None, password: str | None) -> Finding:
    import httpx
    name, tag = image.rsplit(":", 1)
    auth = (username, password) if username and password else None
    headers = {"Accept": "application/vnd.oci.image.index.v1+json, "
                         "application/vnd.docker.distribution.manifest.list.v2+json"}
    try:
        response = httpx.get(f"http://{address}/v2/{name}/manifests/{tag}", auth=auth, headers=headers, timeout=5)
    except httpx.TransportError:
        return Finding(f"base {image}", False, "registry unreachable", "bash scripts/start-registry.sh")
    if response.status_code != 200:
        return Finding(f"base {image}", False, f"not in {address}", "bash scripts/build-base-images.sh")
    platforms = sorted(m.get("platform", {}).get("architecture", "?") for m in response.json().get("manifests", []))
    ok = {"amd64", "arm64"} <= set(platforms)
    return Finding(f"base {image}", ok, f"platforms: {', '.join(platforms) or 'single'}",
                   "bash scripts/build-base-images.sh")


def check_emulation() -> Finding:
    ok = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists()
    return Finding("arm64 emulation", ok, "qemu-aarch64 binfmt " + ("registered" if ok else "missing"),
                   "bash scripts/install-deps.sh (qemu-user-static, binfmt-support)", required=False)


def check_dagger() -> Finding:
    try:
        import dagger  # noqa: F401
    except ImportError:
        return Finding("dagger engine", False, "dagger-io not installed", "pip install 'connector-pipelines[dagger]'",
                       required=False)
    reachable = any(os.environ.get(v) for v in ("DAGGER_SESSION_PORT", "_EXPERIMENTAL_DAGGER_RUNNER_HOST"))
    return Finding("dagger engine", reachable, "session found" if reachable else "no engine session (optional)",
                   "dagger run connector-pipelines --engine dagger ...", required=False)


def doctor(
    registry: str | None = typer.Option(None, "--registry", help="Registry to check. Default: the local one "
                                        "that scripts/start-registry.sh set up."),
) -> None:
    """Check the daemon, the registry and credentials, the base images; say how to fix what is missing."""
    local = read_local_registry()
    address = registry or local.get("LOCAL_REGISTRY", "localhost:5000")
    username, password = local.get("LOCAL_REGISTRY_USERNAME"), local.get("LOCAL_REGISTRY_PASSWORD")
    checks: list[Callable[[], Finding]] = [
        check_daemon,
        lambda: check_registry(address, username, password),
        lambda: check_docker_login(address),
        *[lambda image=image: check_base_image(address, image, username, password) for image in BASE_IMAGES],
        check_emulation,
        check_dagger,
    ]
    findings = [check() for check in checks]
    table = Table(title="connector-pipelines doctor", title_justify="left")
    for column in ("check", "status", "detail", "how to fix"):
        table.add_column(column)
    for f in findings:
        status = "[green]ok[/]" if f.ok else ("[red]missing[/]" if f.required else "[yellow]optional[/]")
        table.add_row(f.check, status, f.detail, "" if f.ok else f.fix)
    console.print(table)
    if any(not f.ok and f.required for f in findings):
        console.print("[red]not ready:[/] run the fixes above, or `bash scripts/setup.sh` for all of them")
        raise typer.Exit(1)
    console.print("[green]ready[/]")
