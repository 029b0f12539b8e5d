"""The ``smoke`` step: run the built connector the way the platform does, and check every line it prints.

Sources: ``spec``, then with a config ``check``, ``discover`` and a ``read`` of the discovered
catalog (bounded in time; records checked against their stream's schema). Destinations:
``spec``, ``check``, and a ``write`` of a few generated records and a state from stdin, whose
state must come back. Without a config only ``spec`` runs, and the summary says why.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector_build.connector import Connector
from connector_build.metadata import ConnectorType
from connector_build.protocol import (
    ProtocolError,
    ProtocolReport,
    extract_catalog,
    extract_connection_status,
    extract_spec,
    parse_output,
)
from pipelines.engines.base import Engine
from pipelines.logs import StepLog
from pipelines.secret_stores import SecretStoreError
from pipelines.steps import ConnectorState, Outcome, StepFailed
from pipelines.test_secrets import SMOKE_SUITES, FoundSecrets, TestSecrets

CONFIG_PATH = "/tmp/connector-pipelines/config.json"
CATALOG_PATH = "/tmp/connector-pipelines/catalog.json"
CONFIG_CANDIDATES = ("secrets/config.json", "integration_tests/config.json")
SMOKE_STREAM = "connector_pipelines_smoke"


def find_config(connector: Connector, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    return next((connector.path / c for c in CONFIG_CANDIDATES if (connector.path / c).is_file()), None)


@dataclass
class SmokeTest:
    engine: Engine
    config: Path | None = None
    read_timeout_s: float = 300
    max_records: int = 10_000
    network: str = "bridge"
    secrets: TestSecrets | None = None
    """The connector's declared test secrets; they become the config unless --config is given."""
    name: str = "smoke"

    def skip_reason(self, state: ConnectorState) -> str | None:
        return None if state.images else "no image was built"

    async def run(self, state: ConnectorState, log: StepLog) -> Outcome:
        connector = state.connector
        platform, image = next(iter(state.images.items()))

        async def command(args: list[str], files: dict[str, bytes] | None = None, stdin: bytes | None = None,
                          catalog: Any = None, timeout_s: float = 300) -> ProtocolReport:
            result = await self.engine.run(image.reference, args, platform=platform, files=files, stdin=stdin,
                                           network=self.network, timeout_s=timeout_s, log=log)
            report = parse_output(result.stdout, catalog)
            log.write(f"{args[0]}: {report.summary()}")
            for problem in report.problems:
                log.write(f"{args[0]}: {problem}")
            if not report.ok:
                raise StepFailed(f"{args[0]}: {report.problems[0]}")
            if result.timed_out:
                raise StepFailed(f"{args[0]} ran past {timeout_s:.0f}s")
            if result.exit_code != 0:
                tail = (result.stderr.strip().splitlines() or [""])[-1][:200]
                raise StepFailed(f"{args[0]} exited with {result.exit_code}: {tail}")
            return report

        done: list[str] = []
        try:
            extract_spec(await command(["spec"]))
            done.append("spec")
            files: dict[str, bytes] = {}
            config_in_container = CONFIG_PATH
            declared = await self._declared_secrets(connector)
            if declared is not None and declared.missing:
                return Outcome(summary="spec ok; check/discover/read skipped: missing test secret "
                                       + "; ".join(declared.missing))
            if declared is not None and declared.config_path is not None:
                files, config_in_container = dict(declared.files), declared.config_path
            else:
                config_path = find_config(connector, self.config)
                if config_path is None:
                    return Outcome(summary="spec ok; check/discover/read skipped: no config (pass --config, add "
                                           "secrets/config.json or integration_tests/config.json, or declare "
                                           "testSecrets)")
                if not config_path.is_file():
                    raise StepFailed(f"--config {config_path}: no such file")
                files = {**(declared.files if declared else {}), CONFIG_PATH: config_path.read_bytes()}
            status = extract_connection_status(
                await command(["check", "--config", config_in_container], files))
            if status.status != "SUCCEEDED":
                raise StepFailed(f"check FAILED: {status.message or 'no message'}")
            done.append("check")
            if connector.connector_type is ConnectorType.SOURCE:
                catalog = extract_catalog(await command(["discover", "--config", config_in_container], files))
                done.append(f"discover ({len(catalog.streams)} streams)")
                configured = configure_catalog(catalog.model_dump(mode="json", exclude_none=True))
                started = time.monotonic()
                report = await command(["read", "--config", config_in_container, "--catalog", CATALOG_PATH],
                                       {**files, CATALOG_PATH: json.dumps(configured).encode()},
                                       catalog=configured, timeout_s=self.read_timeout_s)
                records = sum(report.records_per_stream.values())
                if records > self.max_records:
                    log.write(f"read produced {records} records, more than the {self.max_records} checked limit")
                done.append(f"read ({records} records in {time.monotonic() - started:.1f}s: "
                            f"{report.summary()})")
            else:
                catalog_json = destination_catalog(connector)
                stdin, state_message = sample_input(catalog_json)
                report = await command(["write", "--config", config_in_container, "--catalog", CATALOG_PATH],
                                       {**files, CATALOG_PATH: json.dumps(catalog_json).encode()}, stdin=stdin)
                echoed = [m.state.model_dump(mode="json", exclude_none=True, by_alias=True)
                          for m in report.of_type("STATE")
                          if m.state is not None]
                if state_message not in echoed:
                    raise StepFailed("write did not echo back the STATE message it was given")
                done.append("write (state echoed)")
        except ProtocolError as exc:
            raise StepFailed(f"{(done and 'after ' + done[-1] + ': ') or ''}{exc}") from None
        return Outcome(summary="; ".join(done))

    async def _declared_secrets(self, connector: Connector) -> FoundSecrets | None:
        """The declared test secrets, or None when there are none (or --config overrides them)."""
        if self.secrets is None or self.config is not None:
            return None
        try:
            found = await self.secrets.resolve(connector, suites=SMOKE_SUITES)
        except SecretStoreError as exc:
            raise StepFailed(str(exc)) from None
        return found if (found.files or found.missing) else None


def configure_catalog(catalog: dict[str, Any]) -> dict[str, Any]:
    """Every discovered stream, full refresh (overwrite): the simplest read every source supports."""
    return {"streams": [
        {"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
        for stream in catalog.get("streams", [])
    ]}


def destination_catalog(connector: Connector) -> dict[str, Any]:
    """The connector's own configured catalog if it has one, else a one-stream catalog of ours."""
    own = connector.path / "integration_tests" / "configured_catalog.json"
    if own.is_file():
        return json.loads(own.read_text())
    schema = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    return {"streams": [{"stream": {"name": SMOKE_STREAM, "json_schema": schema,
                                    "supported_sync_modes": ["full_refresh"]},
                         "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


def sample_input(catalog: dict[str, Any], per_stream: int = 3) -> tuple[bytes, dict[str, Any]]:
    """RECORD lines that fit each stream's schema, then one STATE the destination must echo."""
    lines = []
    for configured in catalog.get("streams", []):
        stream = configured["stream"]
        for index in range(per_stream):
            record = {"stream": stream["name"], "data": sample_value(stream.get("json_schema", {}), index),
                      "emitted_at": 1_700_000_000_000 + index}
            lines.append(json.dumps({"type": "RECORD", "record": record}))
    state = {"type": "GLOBAL", "global": {"shared_state": {"connector_pipelines_smoke": True}}}
    lines.append(json.dumps({"type": "STATE", "state": state}))
    return ("\n".join(lines) + "\n").encode(), state


def sample_value(schema: dict[str, Any], index: int) -> Any:
    kinds = schema.get("type", "string")
    kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"), "null")
    if "enum" in schema and schema["enum"]:
        return schema["enum"][index % len(schema["enum"])]
    if kind == "object":
        return {name: sample_value(sub, index) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample_value(schema.get("items", {}), index)]
    if kind == "integer":
        return index + 1
    if kind == "number":
        return index + 0.5
    if kind == "boolean":
        return index % 2 == 0
    if kind == "null":
        return None
    if schema.get("format") == "date":
        return f"2024-01-{index + 1:02d}"
    if schema.get("format") == "date-time":
        return f"2024-01-{index + 1:02d}T00:00:00Z"
    return f"smoke-{index}"
