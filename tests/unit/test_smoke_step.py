"""The smoke step against a scripted connector: what it runs, what it sends, and what it refuses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import anyio
import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from pipelines.engines.base import BuiltImage, RunResult
from pipelines.logs import StepLog
from pipelines.smoke_step import CATALOG_PATH, CONFIG_PATH, SmokeTest
from pipelines.steps import ConnectorState, Outcome, StepFailed
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeEngine, message, spec_output

STREAM = {"name": "forecast", "supported_sync_modes": ["full_refresh"],
          "json_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}


@pytest.fixture(scope="module")
def monorepo() -> Monorepo:
    return Monorepo.open(EXAMPLES)


def state_of(monorepo: Monorepo, name: str) -> ConnectorState:
    connector: Connector = monorepo.load_connector(monorepo.connectors_path / name)
    return ConnectorState(connector, images={"linux/amd64": BuiltImage("airbyte/x:dev", "linux/amd64", "id")})


def source(records: list[dict], status: str = "SUCCEEDED"):
    def respond(image: str, args: list[str], env: Mapping[str, str], stdin: bytes | None) -> RunResult:
        command = args[0]
        if command == "spec":
            return RunResult(0, spec_output(), "")
        if command == "check":
            return RunResult(0, message("CONNECTION_STATUS", connectionStatus={"status": status,
                                                                              "message": "bad api key"}), "")
        if command == "discover":
            return RunResult(0, message("CATALOG", catalog={"streams": [STREAM]}), "")
        lines = [message("RECORD", record={"stream": "forecast", "data": data, "emitted_at": 1}) for data in records]
        return RunResult(0, "\n".join(lines) + "\n", "")
    return respond


def smoke(state: ConnectorState, engine: FakeEngine, config: Path | None) -> Outcome:
    return anyio.run(SmokeTest(engine, config=config).run, state, StepLog(None))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text('{"city": "Lyon"}')
    return path


def test_a_source_answers_spec_check_discover_and_a_valid_read(monorepo, config) -> None:
    engine = FakeEngine(responder=source([{"city": "Lyon"}, {"city": "Paris"}]))
    outcome = smoke(state_of(monorepo, "source-tiny-weather"), engine, config)

    assert [args[0] for _, args, _ in engine.runs] == ["spec", "check", "discover", "read"]
    assert outcome.summary.startswith("spec; check; discover (1 streams); read (2 records in ")
    sent = engine.files_seen[-1]
    assert sent[CONFIG_PATH] == b'{"city": "Lyon"}'
    assert json.loads(sent[CATALOG_PATH]) == {"streams": [
        {"stream": STREAM, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


def test_a_record_that_breaks_its_schema_fails_the_read(monorepo, config) -> None:
    engine = FakeEngine(responder=source([{"city": 42}]))
    with pytest.raises(StepFailed) as failure:
        smoke(state_of(monorepo, "source-tiny-weather"), engine, config)
    assert failure.value.summary.startswith("read: line 1")


def test_a_failed_check_stops_the_smoke_run(monorepo, config) -> None:
    engine = FakeEngine(responder=source([], status="FAILED"))
    with pytest.raises(StepFailed) as failure:
        smoke(state_of(monorepo, "source-tiny-weather"), engine, config)
    assert failure.value.summary == "check FAILED: bad api key"
    assert [args[0] for _, args, _ in engine.runs] == ["spec", "check"]


def test_without_a_config_only_spec_runs_and_the_summary_says_why(monorepo, tmp_path) -> None:
    bare = state_of(monorepo, "source-tiny-catalog")  # no secrets/ or integration_tests/ config
    engine = FakeEngine(responder=source([]))
    outcome = smoke(bare, engine, None)
    assert outcome.summary.startswith("spec ok; check/discover/read skipped: no config")
    with pytest.raises(StepFailed, match="--config .*missing.json: no such file"):
        smoke(bare, engine, tmp_path / "missing.json")


@pytest.mark.parametrize("echo", [True, False])
def test_a_destination_must_echo_the_state_it_was_given(monorepo, config, echo: bool) -> None:
    def respond(image: str, args: list[str], env: Mapping[str, str], stdin: bytes | None) -> RunResult:
        if args[0] == "spec":
            return RunResult(0, spec_output(), "")
        if args[0] == "check":
            return RunResult(0, message("CONNECTION_STATUS", connectionStatus={"status": "SUCCEEDED"}), "")
        assert stdin is not None
        states = [line for line in stdin.decode().splitlines() if json.loads(line)["type"] == "STATE"]
        return RunResult(0, "\n".join(states) + "\n" if echo else "", "")

    engine = FakeEngine(responder=respond)
    state = state_of(monorepo, "destination-tiny-jsonl")
    if echo:
        assert smoke(state, engine, config).summary == "spec; check; write (state echoed)"
    else:
        with pytest.raises(StepFailed, match="did not echo back the STATE"):
            smoke(state, engine, config)
