"""A Java connector's own build, run in a JDK container: its distribution tar, or its unit tests.

The monorepo is mounted at /workspace, where the command (``build-command`` / ``test-command``
of ``[tool.connector-pipelines.java]``) runs with ``sh -c`` as the invoking user; the dependency
cache folder is mounted at /cache and is the build's home (``~/.m2``, ``~/.gradle``), so a second
build downloads nothing. Dependencies come over the build network. The CA bundle (``--ca-bundle``)
becomes a PKCS12 trust store inside the container when it starts (made by the JDK's own classes,
``truststore.java``) and every JVM is pointed at it through JAVA_TOOL_OPTIONS; the container is
removed afterwards, so the trust store never reaches an image. Java builds take turns
(``concurrency``, default 1, as Airbyte forces for memory). On the Dagger engine the same
container runs there: the monorepo uploaded, the cache a Dagger cache volume, the distribution
exported back into the connector folder.

    result = await run_java_command(engine, connector, "build", options, log)
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import anyio.to_thread
import docker
import docker.errors

from connector_build import java
from connector_build.connector import Connector
from connector_build.images import ImageReference
from pipelines.engines import unwrapped
from pipelines.engines.base import BuildOptions, Engine, RunResult, first_line
from pipelines.engines.docker import DockerEngine
from pipelines.logs import StepLog
from pipelines.steps import Outcome, StepFailed

WORKSPACE = "/workspace"
CACHE = "/cache"
FILES_DIR = "/tmp/connector-pipelines"
TRUST_STORE = "/tmp/connector-pipelines-truststore.p12"
TRUST_STORE_PASSWORD = "changeit"  # a trust store holds public certificates only
TRUST_STORE_SOURCE = Path(__file__).with_name("truststore.java")
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
SUREFIRE_SUMMARY = re.compile(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)")
RUN_LABEL = "io.connector-pipelines.run"
CACHE_VOLUME = "connector-pipelines"

_turns: dict[int, threading.BoundedSemaphore] = {}
_turns_guard = threading.Lock()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "connector-pipelines" / "java"


def _turn(concurrency: int) -> threading.BoundedSemaphore:
    with _turns_guard:
        return _turns.setdefault(concurrency, threading.BoundedSemaphore(concurrency))


async def run_java_command(engine: Engine, connector: Connector, which: str, options: BuildOptions,
                           log: StepLog, timeout_s: float = 3600) -> RunResult:
    """Run the connector's ``build`` or ``test`` command in the build image; its output goes to ``log``."""
    settings = options.java
    template = settings.build_command if which == "build" else settings.test_command
    command = java.command_for(template, connector)
    # publish hands steps a LazyEngine; the build container needs the engine's own client (the
    # Docker engine's labelled run, the Dagger session), so open the engine it stands for.
    engine = unwrapped(engine)
    if engine.name == "dagger":
        return await _run_on_dagger(engine, connector, command, which, options, log)
    if isinstance(engine, DockerEngine):
        client, run_id = engine.client, engine.run_id  # its containers carry this run's label
    else:
        client, run_id = docker.from_env(timeout=600), ""
    return await anyio.to_thread.run_sync(_run_sync, client, connector, command, options, log, timeout_s, run_id,
                                          abandon_on_cancel=True)


def _container_setup(options: BuildOptions) -> tuple[dict[str, bytes], list[str], dict[str, str]]:
    """The files to put in the build container, its shell script, and its environment."""
    files = {}
    java_options = [f"-Duser.home={CACHE}/home"]
    script = ["set -e", f"mkdir -p {CACHE}/home"]
    if options.ca_bundle is not None:
        certificates = PEM_BLOCK.findall(options.ca_bundle.read_text(encoding="utf-8", errors="replace"))
        files["ca.pem"] = ("\n".join(certificates) + "\n").encode()
        files["truststore.java"] = TRUST_STORE_SOURCE.read_bytes()
        script.append(f"java {FILES_DIR}/truststore.java {FILES_DIR}/ca.pem {TRUST_STORE} {TRUST_STORE_PASSWORD}")
        java_options += [f"-Djavax.net.ssl.trustStore={TRUST_STORE}", "-Djavax.net.ssl.trustStoreType=PKCS12",
                         f"-Djavax.net.ssl.trustStorePassword={TRUST_STORE_PASSWORD}"]
    script.append('exec sh -c "$CONNECTOR_PIPELINES_COMMAND"')
    environment = {"HOME": f"{CACHE}/home", "GRADLE_USER_HOME": f"{CACHE}/home/.gradle",
                   "JAVA_TOOL_OPTIONS": " ".join(java_options)}
    return files, script, environment


async def _run_on_dagger(engine: Engine, connector: Connector, command: str, which: str, options: BuildOptions,
                         log: StepLog) -> RunResult:
    """The same container on the Dagger engine: the monorepo uploaded (build outputs left out), the
    cache a Dagger cache volume, and the distribution exported back into the connector folder."""
    import dagger

    client = await engine.client()  # type: ignore[attr-defined]
    files, script, environment = _container_setup(options)
    root = java.monorepo_root(connector)
    source = client.host().directory(str(root), exclude=[".git", ".connector-pipelines", "**/build", "**/target",
                                                         "**/.gradle"])
    container = (client.container(platform=dagger.Platform("linux/amd64")).from_(options.java.build_image)
                 .with_mounted_cache(CACHE, client.cache_volume(f"{CACHE_VOLUME}-java"))
                 .with_directory(WORKSPACE, source).with_workdir(WORKSPACE)
                 .with_env_variable("CONNECTOR_PIPELINES_COMMAND", command))
    for name, value in environment.items():
        container = container.with_env_variable(name, value)
    for name, data in files.items():
        container = container.with_new_file(f"{FILES_DIR}/{name}", data.decode(), permissions=0o444)
    log.write(f"$ {command}   (in {options.java.build_image}, at the monorepo root, on the Dagger engine)")
    start = time.monotonic()
    turn = _turn(options.java.concurrency)
    await anyio.to_thread.run_sync(turn.acquire)  # waits in a worker thread, never in the event loop
    try:
        container = container.with_exec(["sh", "-c", "\n".join(script)], expect=dagger.ReturnType.ANY)
        try:
            exit_code = await container.exit_code()
            output = await container.stdout() + await container.stderr()
            if exit_code == 0 and which == "build":
                tar = java.distribution_path(connector)
                tar.parent.mkdir(parents=True, exist_ok=True)
                inside = f"{WORKSPACE}/{tar.relative_to(root).as_posix()}"
                try:
                    await container.file(inside).export(str(tar))
                except dagger.QueryError:
                    log.write(f"no {inside} in the build container")
        except dagger.DaggerError as exc:
            raise StepFailed(f"the Java build on the Dagger engine failed: {first_line(exc)}") from None
    finally:
        turn.release()
    log.write(output)
    log.write(f"exit code {exit_code} after {time.monotonic() - start:.1f}s")
    return RunResult(exit_code=exit_code, stdout=output, stderr="")


def _run_sync(client: docker.DockerClient, connector: Connector, command: str, options: BuildOptions,
              log: StepLog, timeout_s: float, run_id: str) -> RunResult:
    settings = options.java
    cache = Path(settings.cache_dir).expanduser() if settings.cache_dir else default_cache_dir()
    (cache / "home").mkdir(parents=True, exist_ok=True)  # owned by the user the container runs as
    files, script, environment = _container_setup(options)
    image = _local_image(client, settings.build_image, log)
    with _turn(settings.concurrency):
        log.write(f"$ {command}   (in {settings.build_image}, at the monorepo root)")
        start = time.monotonic()
        container = client.containers.create(
            image, entrypoint=["sh", "-c", "\n".join(script)], working_dir=WORKSPACE, network_mode=options.network,
            user=f"{os.getuid()}:{os.getgid()}", labels={RUN_LABEL: run_id} if run_id else {},
            environment={"CONNECTOR_PIPELINES_COMMAND": command, **environment},
            volumes={str(java.monorepo_root(connector)): {"bind": WORKSPACE, "mode": "rw"},
                     str(cache): {"bind": CACHE, "mode": "rw"}},
        )
        try:
            if files:
                container.put_archive("/", _files_tar(files))
            container.start()
            lines: list[str] = []
            for chunk in container.logs(stream=True, follow=True):
                text = chunk.decode("utf-8", "replace")
                lines.append(text)
                log.write(text)
            status = container.wait(timeout=timeout_s)
        finally:
            try:
                container.remove(force=True)
            except docker.errors.DockerException:
                pass
    exit_code = int(status.get("StatusCode", 1))
    log.write(f"exit code {exit_code} after {time.monotonic() - start:.1f}s")
    return RunResult(exit_code=exit_code, stdout="".join(lines), stderr="")


def _local_image(client: docker.DockerClient, reference: str, log: StepLog) -> str:
    try:
        client.images.get(reference)
        return reference
    except docker.errors.ImageNotFound:
        pass
    from registry.credentials import pull_auth

    auth = pull_auth(ImageReference.parse(reference).registry)
    log.write(f"pulling {reference}")
    try:
        client.images.pull(reference, platform="linux/amd64",
                           auth_config={"username": auth.username, "password": auth.password} if auth else None)
    except docker.errors.APIError as exc:
        raise StepFailed(f"Java build image {reference} is not available ({first_line(exc)}); set build-image "
                         "in [tool.connector-pipelines.java] (in a checkout of connector-pipelines, bash "
                         "scripts/setup.sh makes this one)") from None
    return reference


def _files_tar(files: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(FILES_DIR.lstrip("/"))
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(folder)
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"{FILES_DIR.lstrip('/')}/{name}")
            info.size, info.mode = len(data), 0o444
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


async def ensure_distribution(engine: Engine, connector: Connector, options: BuildOptions, log: StepLog) -> str:
    """The connector's distribution tar: used as it is when newer than its sources, else built."""
    tar = java.distribution_path(connector)
    shown = tar.relative_to(connector.path)
    if java.distribution_is_fresh(connector):
        log.write(f"{shown} is newer than every source file: used as it is")
        return f"{shown} (prebuilt)"
    result = await run_java_command(engine, connector, "build", options, log)
    if not result.ok:
        raise StepFailed(f"build command exited with {result.exit_code}: {_last_line(result.stdout)}")
    if not tar.is_file():
        raise StepFailed(f"the build command made no {shown} "
                         "(the distTar layout: <name>/bin/<name>, <name>/lib/*.jar)")
    return f"{shown} (built)"


async def run_java_unit_tests(engine: Engine, connector: Connector, options: BuildOptions, log: StepLog) -> Outcome:
    result = await run_java_command(engine, connector, "test", options, log)
    summary = surefire_summary(result.stdout)
    if not result.ok:
        raise StepFailed(f"test command exited with {result.exit_code}: {summary or _last_line(result.stdout)}")
    return Outcome(summary=summary or "test command passed")


def surefire_summary(output: str) -> str | None:
    """Surefire's closing count (``Tests run: 4, Failures: 0, Errors: 0, Skipped: 0``), if printed."""
    found = SUREFIRE_SUMMARY.findall(output)
    if not found:
        return None
    run, failures, errors, skipped = found[-1]
    return f"{run} tests run, {failures} failures, {errors} errors, {skipped} skipped"


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("[ERROR]") or "FAILED" in line]
    return ((errors or lines or [""])[0 if errors else -1])[:200]
