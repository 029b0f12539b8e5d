"""The contract every engine keeps, run against each engine available (see conftest.py).

A small plan (Python base, a main.py that answers like a connector, labels, an entrypoint) is
built and run the way the pipelines do it: `spec`, then runs with environment, files and stdin, a
non-zero exit that is a result and not an exception, and a failing build that raises BuildFailed
with the tail of its log.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import anyio
import pytest

from connector_build.plan import (
    ContainerPlan,
    CopyFiles,
    Entrypoint,
    Env,
    ImageBase,
    Label,
    Operation,
    Run,
    Stage,
    Workdir,
)
from pipelines.build_steps import host_platform
from pipelines.engines.base import BuildFailed, BuildOptions, BuiltImage, Engine
from pipelines.logs import StepLog
from tests.contract.conftest import EngineUnderTest

pytestmark = pytest.mark.integration

T = TypeVar("T")

MAIN_PY = """\
import json, os, sys

command = sys.argv[1:]
if command[:1] == ["spec"]:
    print("starting", file=sys.stderr)
    print("not a message")
    print(json.dumps({"type": "SPEC", "spec": {"connectionSpecification": {
        "type": "object", "properties": {"api_key": {"type": "string"}}}}}))
elif command[:1] == ["env"]:
    print(os.environ.get(command[1], "<unset>"))
elif command[:1] == ["cat"]:
    with open(command[1], "rb") as handle:
        sys.stdout.write(handle.read().decode())
elif command[:1] == ["stdin"]:
    sys.stdout.write(sys.stdin.read().upper())
elif command[:1] == ["exit"]:
    print("leaving with", command[1], file=sys.stderr)
    sys.exit(int(command[1]))
"""

LABELS = {"io.airbyte.name": "connector-pipelines/source-contract", "io.airbyte.version": "0.0.1"}


def _plan(context: Path, base: str, extra: list[Operation] | None = None) -> ContainerPlan:
    (context / "main.py").write_text(MAIN_PY, encoding="utf-8")
    (context / "secrets").mkdir(exist_ok=True)
    (context / "secrets" / "config.json").write_text('{"api_key": "never in an image"}', encoding="utf-8")
    operations: list[Operation] = [
        Workdir("/airbyte/integration_code"),
        CopyFiles((".",), "/airbyte/integration_code/"),
        *(extra or []),
        Env("AIRBYTE_ENTRYPOINT", "python /airbyte/integration_code/main.py"),
        *(Label(name, value) for name, value in LABELS.items()),
        Entrypoint(("python", "/airbyte/integration_code/main.py")),
    ]
    return ContainerPlan(platform=host_platform(), context_dir=context,
                         stages=[Stage("image", ImageBase(base), operations)], excludes=("secrets",))


def _with_engine(under_test: EngineUnderTest, case: Callable[[Engine], Awaitable[T]]) -> T:
    """Run ``case`` with a fresh engine in one event loop (a Dagger session is bound to its loop)."""

    async def main() -> T:
        engine = under_test.make()
        try:
            return await case(engine)
        finally:
            await engine.close()

    return anyio.run(main)


async def _build(engine: Engine, under_test: EngineUnderTest, plan: ContainerPlan, log: StepLog) -> BuiltImage:
    options = BuildOptions(registry_auth=under_test.registry_auth)
    return await engine.build(plan, tags=[f"connector-pipelines-contract/{under_test.name}:dev"], log=log,
                              options=options)


def test_built_image_answers_spec_and_carries_its_labels(engine_under_test: EngineUnderTest,
                                                         tmp_path: Path) -> None:
    plan = _plan(tmp_path, engine_under_test.base_image)
    log = StepLog(tmp_path / "build.log")

    async def case(engine: Engine) -> None:
        image = await _build(engine, engine_under_test, plan, log)
        assert image.platform == plan.platform
        result = await engine.run(image.reference, ["spec"], platform=plan.platform, log=log)
        assert result.exit_code == 0 and result.ok, result
        messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert [m["type"] for m in messages] == ["SPEC"], result.stdout
        assert "starting" in result.stderr and "starting" not in result.stdout
        labels = await engine_under_test.labels(engine, image.reference, plan.platform)
        assert {k: labels.get(k) for k in LABELS} == LABELS
        by_id = await engine.run(image.image_id, ["spec"], platform=plan.platform, log=log)
        assert by_id.ok, "the image id must be usable wherever the reference is"

    _with_engine(engine_under_test, case)


def test_run_with_environment_files_and_stdin(engine_under_test: EngineUnderTest, tmp_path: Path) -> None:
    plan = _plan(tmp_path, engine_under_test.base_image)
    log = StepLog(tmp_path / "run.log")
    config = json.dumps({"api_key": "k", "ünïcode": "✓"}).encode()

    async def case(engine: Engine) -> None:
        image = await _build(engine, engine_under_test, plan, log)
        env = await engine.run(image.reference, ["env", "DEPLOYMENT_MODE"], platform=plan.platform,
                               env={"DEPLOYMENT_MODE": "CLOUD"}, log=log)
        assert env.ok and env.stdout.strip() == "CLOUD", env
        baked = await engine.run(image.reference, ["env", "AIRBYTE_ENTRYPOINT"], platform=plan.platform, log=log)
        assert baked.stdout.strip() == "python /airbyte/integration_code/main.py", baked
        files = await engine.run(image.reference, ["cat", "/data/secrets/config.json"], platform=plan.platform,
                                 files={"/data/secrets/config.json": config}, log=log)
        assert files.ok and json.loads(files.stdout) == json.loads(config), files
        stdin = await engine.run(image.reference, ["stdin"], platform=plan.platform,
                                 stdin=b'{"type": "RECORD"}\n{"type": "STATE"}\n', log=log)
        assert stdin.ok and stdin.stdout == '{"TYPE": "RECORD"}\n{"TYPE": "STATE"}\n', stdin
        other = await engine.run(image.reference, ["-c", "import sys; print(sys.argv[1:])", "x"],
                                 platform=plan.platform, entrypoint=["python"], log=log)
        assert other.ok and other.stdout.strip() == "['x']", other

    _with_engine(engine_under_test, case)


def test_non_zero_exit_is_a_result_not_an_error(engine_under_test: EngineUnderTest, tmp_path: Path) -> None:
    plan = _plan(tmp_path, engine_under_test.base_image)
    log = StepLog(tmp_path / "exit.log")

    async def case(engine: Engine) -> None:
        image = await _build(engine, engine_under_test, plan, log)
        result = await engine.run(image.reference, ["exit", "3"], platform=plan.platform, log=log)
        assert result.exit_code == 3 and not result.ok and not result.timed_out, result
        assert "leaving with 3" in result.stderr
        pytest_no_tests = await engine.run(image.reference, ["exit", "5"], platform=plan.platform, log=log)
        assert pytest_no_tests.exit_code == 5

    _with_engine(engine_under_test, case)


def test_excluded_files_never_reach_the_image(engine_under_test: EngineUnderTest, tmp_path: Path) -> None:
    plan = _plan(tmp_path, engine_under_test.base_image)
    log = StepLog(tmp_path / "excludes.log")

    async def case(engine: Engine) -> None:
        image = await _build(engine, engine_under_test, plan, log)
        copied = await engine.run(image.reference, ["cat", "/airbyte/integration_code/main.py"],
                                  platform=plan.platform, log=log)
        assert copied.ok and "SPEC" in copied.stdout
        secret = await engine.run(image.reference, ["cat", "/airbyte/integration_code/secrets/config.json"],
                                  platform=plan.platform, log=log)
        assert secret.exit_code != 0 and "never in an image" not in secret.stdout

    _with_engine(engine_under_test, case)


def test_failing_build_raises_build_failed_with_log_tail(engine_under_test: EngineUnderTest,
                                                        tmp_path: Path) -> None:
    failing = Run(("sh", "-c", "echo contract-boom-marker >&2; exit 3"))
    plan = _plan(tmp_path, engine_under_test.base_image, extra=[failing])
    log = StepLog(tmp_path / "failing.log")

    async def case(engine: Engine) -> BuildFailed:
        with pytest.raises(BuildFailed) as raised:
            await _build(engine, engine_under_test, plan, log)
        return raised.value

    error = _with_engine(engine_under_test, case)
    assert error.log_tail, "a failed build shows the last lines of its log"
    assert any("contract-boom-marker" in line for line in error.log_tail), error.log_tail
    assert "contract-boom-marker" in (tmp_path / "failing.log").read_text()
