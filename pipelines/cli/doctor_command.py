"""``connector-pipelines doctor``: is this machine ready to build and publish, and if not, how to fix it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.text import Text

from pipelines.cli.console import console
from pipelines.columns import print_columns
from pipelines.local_registry import CREDENTIALS_PATH, read_local_registry

SOURCE_ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGES = ("airbyte/python-connector-base:4.0.2", "airbyte/source-declarative-manifest:7.10.1")


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def in_source_checkout() -> bool:
    """Run from a clone of this project (its scripts/ at hand), not from a pip install."""
    return (SOURCE_ROOT / "scripts" / "setup.sh").is_file() and (SOURCE_ROOT / "pyproject.toml").is_file()


def how_to(script: str, otherwise: str) -> str:
    """The fix in the user's own terms: our script in a source checkout, else what it does."""
    return f"bash {SOURCE_ROOT / 'scripts' / script}" if in_source_checkout() else otherwise


def check_daemon() -> Finding:
    import docker

    try:
        client = docker.from_env(timeout=10)
        version = client.version().get("Version", "?")
        client.close()
    except docker.errors.DockerException as exc:
        return Finding("docker daemon", False, str(exc).splitlines()[0][:120],
                       how_to("start-docker.sh", "install and start Docker Engine, or set DOCKER_HOST"))
    return Finding("docker daemon", True, f"Docker Engine {version}")


def check_publish_registry(registry: str) -> list[Finding]:
    """What ``publish --registry REGISTRY`` needs: credentials, and a registry that accepts them."""
    import anyio

    from registry.credentials import PASSWORD_ENV, USERNAME_ENV, registry_auth
    from registry.oci import RegistryAuthError, RegistryClient, RegistryError, RegistryUnreachable

    auth = registry_auth(registry)
    login = f"export {USERNAME_ENV}=... {PASSWORD_ENV}=... (or docker login {registry})"
    found = [Finding(f"credentials for {registry}", auth is not None,
                     f"user {auth.username}" if auth else f"no {USERNAME_ENV} / {PASSWORD_ENV}, no docker login",
                     login)]

    async def probe() -> Finding:
        async with RegistryClient.for_registry(registry, auth, timeout_s=10) as client:
            try:
                await client.check_access()
            except RegistryAuthError as exc:
                return Finding(f"publish registry {registry}", False, str(exc), login)
            except RegistryUnreachable as exc:
                return Finding(f"publish registry {registry}", False, str(exc),
                               "check the network, or pass the registry you publish to: doctor --registry HOST")
            except RegistryError as exc:
                return Finding(f"publish registry {registry}", False, str(exc), login)
        return Finding(f"publish registry {registry}", True, "accepts the credentials" if auth else "answers")

    found.append(anyio.run(probe))
    return found


def check_registry(address: str, username: str | None, password: str | None) -> Finding:
    import httpx
    auth = (username, password) if username and password else None
    fix = how_to("start-registry.sh", "start a registry on that address (e.g. the registry:2 image)")
    try:
        response = httpx.get(f"http://{address}/v2/", auth=auth, timeout=5)
    except httpx.TransportError as exc:
        return Finding("local registry", False, f"{address}: {type(exc).__name__}", fix, required=False)
    if response.status_code == 401:
        return Finding("local registry", False, f"{address} refused the credentials",
                       f"check {CREDENTIALS_PATH}, or rerun {fix}", required=False)
    return Finding("local registry", response.status_code == 200, f"{address} answers {response.status_code}",
                   required=False)


def check_docker_login(address: str) -> Finding:
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        auths = json.loads(config.read_text()).get("auths", {})
    except (OSError, json.JSONDecodeError):
        auths = {}
    ok = address in auths
    return Finding("docker login", ok, f"{'logged in to' if ok else 'no login for'} {address}",
                   f"docker login {address}", required=False)


def check_base_image(address: str, image: str, username: str | None, password: str | None) -> Finding:
    import httpx
    name, tag = image.rsplit(":", 1)
    auth = (username, password) if username and password else None
    headers = {"Accept": "application/vnd.oci.image.index.v1+json, "
                         "application/vnd.docker.distribution.manifest.list.v2+json"}
    try:
        response = httpx.get(f"http://{address}/v2/{name}/manifests/{tag}", auth=auth, headers=headers, timeout=5)
    except httpx.TransportError:
        return Finding(f"base {image}", False, "registry unreachable",
                       how_to("start-registry.sh", f"start the registry at {address}"), required=False)
    if response.status_code != 200:
        return Finding(f"base {image}", False, f"not in {address}", _base_images_fix(address), required=False)
    platforms = sorted(m.get("platform", {}).get("architecture", "?") for m in response.json().get("manifests", []))
    ok = {"amd64", "arm64"} <= set(platforms)
    return Finding(f"base {image}", ok, f"platforms: {', '.join(platforms) or 'single'}",
                   _base_images_fix(address), required=False)


def _base_images_fix(address: str) -> str:
    return how_to("build-base-images.sh", f"push amd64+arm64 base images to {address}, or use the public "
                  "ones (no --image-mirror)")


def check_emulation() -> Finding:
    ok = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists()
    return Finding("arm64 emulation", ok, "qemu-aarch64 binfmt " + ("registered" if ok else "missing"),
                   how_to("install-deps.sh", "install qemu-user-static and binfmt-support"), required=False)


def dagger_engine_fix() -> str:
    """How to get an engine: our build and start scripts in a source checkout, else Dagger's own ways."""
    scripts = SOURCE_ROOT / "scripts"
    if in_source_checkout():
        return f"bash {scripts / 'build-dagger-engine.sh'} && bash {scripts / 'start-dagger-engine.sh'}"
    return ("run inside a Dagger session (dagger run connector-pipelines ...), or set "
            "_EXPERIMENTAL_DAGGER_RUNNER_HOST to an engine")


def check_dagger() -> Finding:
    """The Dagger engine: reachable, its version, and whether it matches the installed dagger-io."""
    try:
        import dagger  # noqa: F401
    except ImportError:
        return Finding("dagger engine", False, "dagger-io not installed", "pip install 'connector-pipelines[dagger]'",
                       required=False)
    import anyio

    from pipelines.engines.base import EngineUnavailable
    from pipelines.engines.dagger import engine_reachable, engine_version, sdk_version

    start = dagger_engine_fix()
    where = engine_reachable()
    if where is None:
        return Finding("dagger engine", False, "no engine to reach (optional)", start, required=False)
    try:
        version = anyio.run(engine_version)
    except EngineUnavailable as exc:
        return Finding("dagger engine", False, f"{where}: {exc}", start, required=False)
    sdk = sdk_version()
    matches = version.removeprefix("v") == sdk
    detail = f"{version} at {where}, dagger-io {sdk}" + ("" if matches else " (versions differ)")
    return Finding("dagger engine", matches, detail, f"pip install dagger-io=={version.removeprefix('v')}, or {start}",
                   required=False)


def doctor(
    registry: str = typer.Option("docker.io", "--registry", help="The registry `publish --registry` will push to "
                                 "(publish's default too): its credentials and access are checked."),
) -> None:
    """Check the daemon, the registry publish uses and its credentials, the local registry and base
    images if set up; say how to fix what is missing."""
    local = read_local_registry()
    local_address = local.get("LOCAL_REGISTRY")
    username, password = local.get("LOCAL_REGISTRY_USERNAME"), local.get("LOCAL_REGISTRY_PASSWORD")
    checks: list[Callable[[], list[Finding] | Finding]] = [check_daemon, lambda: check_publish_registry(registry)]
    if local_address:  # the development registry (scripts/start-registry.sh), optional for publishing elsewhere
        checks += [
            lambda: check_registry(local_address, username, password),
            lambda: check_docker_login(local_address),
            *[lambda image=image: check_base_image(local_address, image, username, password)
              for image in BASE_IMAGES],
        ]
    checks += [check_emulation, check_dagger]
    findings: list[Finding] = []
    for check in checks:
        result = check()
        findings.extend(result if isinstance(result, list) else [result])
    if registry == local_address:  # publishing to the local registry needs its base images too
        for f in findings:
            f.required = f.required or f.check.startswith(("local registry", "docker login", "base "))
    rows = []
    for f in findings:
        status = Text("ok", "green") if f.ok else (Text("missing", "red") if f.required else Text("optional", "yellow"))
        rows.append((f.check, status, f.detail, "" if f.ok else f.fix))
    print_columns(console, ("check", "status", "detail", "how to fix"), rows, title="connector-pipelines doctor",
                  free_text=("detail",))
    if any(not f.ok and f.required for f in findings):
        everything = how_to("setup.sh", "")
        console.print(Text("not ready: ", "red") + Text("run the fixes above" + (
            f", or `{everything}` for all of them" if everything else "")), soft_wrap=True)
        raise typer.Exit(1)
    console.print(Text("ready", "green"))
