"""The Dagger engine's parts that need no Dagger engine: the plan translation, connect(), the module.

dagger-io builds queries lazily: ``container_from_plan`` returns a chain of API calls that can be
read without an engine (through the SDK's query context, ``_ctx``, a private attribute of the
SDK). These tests read that chain, so the translation is checked here even though the Dagger
engine itself cannot be downloaded on this machine; the contract suite runs it for real where one
can be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

dagger = pytest.importorskip("dagger", reason="dagger-io is not installed (pip install -e '.[dagger]')")

from connector_build.plan import (  # noqa: E402
    CA_PATH_IN_STAGE,
    ContainerPlan,
    CopyFiles,
    CopyFromStage,
    DockerfileBase,
    Entrypoint,
    Env,
    ImageBase,
    Label,
    Run,
    Stage,
    StageBase,
    Workdir,
)
from pipelines.engines.base import EngineUnavailable  # noqa: E402
from pipelines.engines.dagger import DaggerEngine  # noqa: E402
from pipelines.engines.dagger_plan import (  # noqa: E402
    CACHE_VOLUME_PREFIX,
    container_from_plan,
    dagger_excludes,
    registry_credentials,
)
from registry.auth import RegistryAuth  # noqa: E402
from tests.conftest import EXAMPLES, PROJECT_ROOT  # noqa: E402

BASE = "docker.io/airbyte/python-connector-base:4.0.2@sha256:" + "a" * 64
MIRRORS = {"docker.io/airbyte": "localhost:5000/airbyte"}
MIRRORED = "localhost:5000/airbyte/python-connector-base:4.0.2"


def calls(obj: Any) -> list[tuple[str, dict[str, Any]]]:
    """The API calls a lazy Dagger object stands for, first to last (objects in args kept)."""
    return [(f"{field.type_name}.{field.name}", dict(field.args)) for field in obj._ctx.selections]


def names(obj: Any) -> list[str]:
    return [name for name, _ in calls(obj)]


def _context(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text("print('hi')\n")
    (tmp_path / "requirements.txt").write_text("requests\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    return tmp_path


def _python_plan(context: Path) -> ContainerPlan:
    deps = Stage("deps", ImageBase(BASE), [
        Workdir("/build"),
        CopyFiles(("requirements.txt",), "/build/"),
        Run(("python", "-m", "pip", "install", "--prefix=/install", "-r", "requirements.txt"),
            needs_network=True, needs_ca=True, cache="pip", cache_path="/root/.cache/pip"),
    ])
    image = Stage("image", ImageBase(BASE), [
        CopyFromStage("deps", "/install", "/usr/local"),
        Workdir("/airbyte/integration_code"),
        CopyFiles((".",), "/airbyte/integration_code/"),
        Entrypoint(("python", "/airbyte/integration_code/main.py")),
        Label("io.airbyte.name", "airbyte/source-x"),
        Label("io.airbyte.version", "1.2.3"),
        Env("AIRBYTE_ENTRYPOINT", "python /airbyte/integration_code/main.py"),
    ])
    return ContainerPlan(platform="linux/arm64", context_dir=context, stages=[deps, image],
                         excludes=("secrets", "**/__pycache__"))


def test_python_plan_becomes_one_container_chain_per_stage(tmp_path: Path) -> None:
    plan = _python_plan(_context(tmp_path))
    notices: list[str] = []
    ca = dagger.dag.host().file("/etc/ssl/certs/ca-certificates.crt")
    credentials = registry_credentials(dagger.dag, [RegistryAuth("localhost:5000", "ci", "s3cret")])
    image = container_from_plan(dagger.dag, plan, dagger.dag.host().directory(str(tmp_path)),
                                image_mirrors=MIRRORS, credentials=credentials, ca_bundle=ca,
                                on_notice=notices.append)
    chain = calls(image)
    assert chain[0] == ("Query.container", {"platform": "linux/arm64"})
    auth_name, auth_args = chain[1]
    assert auth_name == "Container.withRegistryAuth"
    assert auth_args["address"] == MIRRORED and auth_args["username"] == "ci"
    assert chain[2] == ("Container.from", {"address": MIRRORED})
    assert notices and "tag is used instead of the pinned digest" in notices[0]
    assert names(image)[3:] == [
        "Container.withDirectory",      # COPY --from=deps /install /usr/local
        "Container.withDirectory",      # WORKDIR creates the folder ...
        "Container.withWorkdir",        # ... and enters it
        "Container.withDirectory",      # COPY . /airbyte/integration_code/
        "Container.withEntrypoint",
        "Container.withLabel",
        "Container.withLabel",
        "Container.withEnvVariable",
    ]
    assert chain[-4][1] == {"args": ["python", "/airbyte/integration_code/main.py"]}
    assert [args for name, args in chain if name == "Container.withLabel"] == [
        {"name": "io.airbyte.name", "value": "airbyte/source-x"}, {"name": "io.airbyte.version", "value": "1.2.3"}]
    # The image itself never mounts the CA bundle or a cache: those live in the deps stage.
    assert not any(name.startswith("Container.withMounted") for name in names(image))

    copied = chain[3][1]
    assert copied["path"] == "/usr/local"
    deps_dir = names(copied["source"])
    assert deps_dir[-1] == "Container.directory" and calls(copied["source"])[-1][1] == {"path": "/install"}
    deps = deps_dir[:-1]
    exec_at = deps.index("Container.withExec")
    assert deps[exec_at - 2:exec_at] == ["Container.withMountedCache", "Container.withMountedFile"]
    assert deps[exec_at + 1:exec_at + 3] == ["Container.withoutMount", "Container.withoutMount"]
    deps_calls = calls(copied["source"])
    assert deps_calls[exec_at][1]["args"][:4] == [
        "env", f"PIP_CERT={CA_PATH_IN_STAGE}", f"SSL_CERT_FILE={CA_PATH_IN_STAGE}",
        f"REQUESTS_CA_BUNDLE={CA_PATH_IN_STAGE}"]
    assert {deps_calls[exec_at + 1][1]["path"], deps_calls[exec_at + 2][1]["path"]} == {
        "/root/.cache/pip", CA_PATH_IN_STAGE}
    cache_volume = deps_calls[exec_at - 2][1]["cache"]
    assert calls(cache_volume) == [("Query.cacheVolume", {"key": f"{CACHE_VOLUME_PREFIX}pip"})]
    # requirements.txt is a file: it goes into /build/ under its own name.
    copy_file = next(args for name, args in deps_calls if name == "Container.withFile")
    assert copy_file["path"] == "/build/requirements.txt"
    assert calls(copy_file["source"])[-1] == ("Directory.file", {"path": "requirements.txt"})


def test_context_is_filtered_like_the_docker_engines(tmp_path: Path) -> None:
    plan = _python_plan(_context(tmp_path))
    image = container_from_plan(dagger.dag, plan, dagger.dag.host().directory(str(tmp_path)))
    code = [args for name, args in calls(image) if name == "Container.withDirectory"][-1]
    assert code["path"] == "/airbyte/integration_code/"
    assert calls(code["source"])[-1] == ("Directory.filter",
                                         {"exclude": ["secrets", "**/secrets", "**/__pycache__"]})
    assert dagger_excludes(("secrets", "build", "**/*.pyc", "a/b")) == [
        "secrets", "**/secrets", "build", "**/build", "**/*.pyc", "a/b"]


def test_copy_follows_dockerfile_copy_semantics(tmp_path: Path) -> None:
    _context(tmp_path)
    stage = Stage("image", ImageBase("localhost:5000/base:1"), [
        CopyFiles(("main.py",), "/app/"),          # a file into a folder
        CopyFiles(("main.py",), "/app/run.py"),    # a file to a path
        CopyFiles(("pkg",), "/app/pkg/"),          # a folder's contents
        CopyFiles(("main.py", "requirements.txt"), "/both"),  # several sources: into a folder
    ])
    plan = ContainerPlan(platform="linux/amd64", context_dir=tmp_path, stages=[stage])
    image = container_from_plan(dagger.dag, plan, dagger.dag.directory())
    copies = [(name, args["path"]) for name, args in calls(image) if name in
              ("Container.withFile", "Container.withDirectory")]
    assert copies == [
        ("Container.withFile", "/app/main.py"),
        ("Container.withFile", "/app/run.py"),
        ("Container.withDirectory", "/app/pkg/"),
        ("Container.withFile", "/both/main.py"),
        ("Container.withFile", "/both/requirements.txt"),
    ]
    folder = next(args["source"] for name, args in calls(image) if name == "Container.withDirectory")
    assert calls(folder)[-1] == ("Directory.directory", {"path": "pkg"})


def test_local_stage_and_dockerfile_bases(tmp_path: Path) -> None:
    _context(tmp_path)
    built = dagger.dag.container().from_("localhost:5000/connector:dev").with_label("built", "here")
    plan = ContainerPlan(platform="linux/amd64", context_dir=tmp_path, stages=[
        Stage("tools", ImageBase("connector-image", local=True), [Run(("pip", "install", "pytest"))]),
        Stage("tests", StageBase("tools"), [Entrypoint(("python", "-m", "pytest"))]),
    ])
    tests = container_from_plan(dagger.dag, plan, dagger.dag.directory(), local_images={"connector-image": built})
    assert names(tests)[:3] == ["Query.container", "Container.from", "Container.withLabel"]
    assert names(tests)[3:] == ["Container.withExec", "Container.withEntrypoint"]

    unknown = container_from_plan(dagger.dag, plan, dagger.dag.directory())
    assert calls(unknown)[:2] == [("Query.host", {}), ("Host.containerImage", {"name": "connector-image"})]

    own = ContainerPlan(platform="linux/arm64", context_dir=tmp_path, stages=[
        Stage("image", DockerfileBase("Dockerfile"), [Label("io.airbyte.version", "1.0.0")])])
    image = container_from_plan(dagger.dag, own, dagger.dag.directory())
    assert ("Directory.dockerBuild", {"platform": "linux/arm64"}) in calls(image)
    assert names(image)[-1] == "Container.withLabel"


def test_connect_without_any_engine_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DAGGER_SESSION_PORT", "DAGGER_SESSION_TOKEN", "_EXPERIMENTAL_DAGGER_RUNNER_HOST",
                 "_EXPERIMENTAL_DAGGER_CLI_BIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    import pipelines.engines.dagger as dagger_engine

    monkeypatch.setattr(dagger_engine, "SETUP_ENGINE_ENV_FILE", tmp_path / "no-engine.env")  # setup started none
    with pytest.raises(EngineUnavailable) as raised:
        DaggerEngine.connect()
    message = str(raised.value)
    assert "\n" not in message
    assert "dagger run connector-pipelines" in message and "_EXPERIMENTAL_DAGGER_RUNNER_HOST=tcp://" in message

    monkeypatch.setenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "tcp://dagger.internal:8080")
    assert isinstance(DaggerEngine.connect(), DaggerEngine)


def test_cli_with_dagger_engine_and_no_engine_is_one_red_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if "DAGGER" not in k}
    env.update({"PATH": str(tmp_path), "NO_COLOR": "1", "COLUMNS": "300", "TERM": "dumb",
                "CONNECTOR_PIPELINES_HOME": str(tmp_path)})  # where setup started no engine
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli.app", "--repo", str(EXAMPLES), "--engine", "dagger",
         "build", "source-tiny-weather"],
        capture_output=True, text=True, timeout=120, env=env, cwd=PROJECT_ROOT,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no Dagger engine"), result.stderr
    assert "Traceback" not in result.stderr


def test_module_functions_convert_to_dagger_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the Dagger runtime does on `dagger functions`, minus the engine: every argument and
    return type of the module converts to a Dagger type (reads dagger.mod internals)."""
    converter = pytest.importorskip("dagger.mod._converter")
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "dagger" / "src"))
    module = __import__("connector_pipelines_dagger")
    mod = module.ConnectorPipelines.__dagger_module__
    main = mod.get_object("ConnectorPipelines")
    main.get_constructor(mod._converter)
    functions = {name: func for name, func in main.functions.items() if name}
    assert set(functions) == {"build", "test", "publish"}
    for name, func in functions.items():
        converter.to_typedef(func.return_type, f"return type of {name}")
        for parameter in func.parameters.values():
            converter.to_typedef(parameter.resolved_type, f"{parameter.name} of {name}")
    assert functions["build"].return_type is dagger.Container
    source = functions["build"].parameters["source"]
    assert source.default_path == "/examples/monorepo" and "**/secrets" in (source.ignore or [])
    assert functions["publish"].parameters["password"].is_nullable


def test_the_engine_setup_started_is_used_only_when_nothing_else_is_named(tmp_path: Path, monkeypatch) -> None:
    from pipelines.engines import dagger as dagger_engine

    cli = tmp_path / "dagger"
    cli.write_text("#!/bin/sh\n")
    settings = tmp_path / "engine.env"
    settings.write_text(f"{dagger_engine.RUNNER_HOST_ENV}=docker-container://cp-engine\n"
                        f"{dagger_engine.CLI_BIN_ENV}={cli}\n")
    monkeypatch.setattr(dagger_engine, "SETUP_ENGINE_ENV_FILE", settings)
    for name in (*dagger_engine.SESSION_ENV, dagger_engine.RUNNER_HOST_ENV, dagger_engine.CLI_BIN_ENV):
        monkeypatch.setenv(name, "")  # recorded, so what use_setup_engine sets is undone after the test
        monkeypatch.delenv(name)

    assert dagger_engine.setup_engine_settings(settings)[dagger_engine.CLI_BIN_ENV] == str(cli)
    monkeypatch.setenv(dagger_engine.RUNNER_HOST_ENV, "tcp://shared:1234")
    assert dagger_engine.engine_reachable() == "the engine at tcp://shared:1234"
    assert dagger_engine.CLI_BIN_ENV not in os.environ

    monkeypatch.delenv(dagger_engine.RUNNER_HOST_ENV)
    assert dagger_engine.engine_reachable() == "the engine at docker-container://cp-engine"
    assert os.environ[dagger_engine.CLI_BIN_ENV] == str(cli)

    cli.unlink()  # a CLI that is gone: the settings are stale, not an engine
    assert dagger_engine.setup_engine_settings(settings) == {}
