"""The Airbyte protocol as a connector prints it: one JSON message per line on stdout.

    report = parse_output(stdout_text, catalog=configured_catalog)
    report.ok, report.problems          # each problem has the line number and the line itself
    report.counts["RECORD"], report.records_per_stream["pokemon"]
    spec = extract_spec(report)         # raises ProtocolError unless exactly one SPEC

The smoke steps (spec, check, discover, read) all read output through :func:`parse_output`, so
"what counts as a broken connector" is decided here once. Every model allows extra fields: the
protocol grows, and a newer connector must not fail an older checker.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

import jsonschema
from jsonschema.validators import Draft7Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

MAX_LINE_SHOWN = 300
"""Problems quote the offending line up to this many characters (records can be megabytes)."""

MAX_PROBLEMS_KEPT = 200
"""A connector that breaks every record would otherwise fill memory; the total is still counted."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class MessageType(str, Enum):
    RECORD = "RECORD"
    STATE = "STATE"
    LOG = "LOG"
    SPEC = "SPEC"
    CONNECTION_STATUS = "CONNECTION_STATUS"
    CATALOG = "CATALOG"
    TRACE = "TRACE"
    CONTROL = "CONTROL"


class AirbyteRecordMessage(_Model):
    stream: str
    data: dict[str, Any]
    emitted_at: int
    namespace: str | None = None


class AirbyteStateMessage(_Model):
    type: Literal["LEGACY", "STREAM", "GLOBAL"] | None = None
    stream: dict[str, Any] | None = None
    global_: dict[str, Any] | None = Field(default=None, alias="global")
    data: dict[str, Any] | None = None
    sourceStats: dict[str, Any] | None = None
    destinationStats: dict[str, Any] | None = None


class AirbyteLogMessage(_Model):
    level: Literal["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
    message: str
    stack_trace: str | None = None


class AirbyteErrorTraceMessage(_Model):
    message: str
    internal_message: str | None = None
    stack_trace: str | None = None
    failure_type: Literal["system_error", "config_error", "transient_error"] | None = None


class AirbyteTraceMessage(_Model):
    type: Literal["ERROR", "ESTIMATE", "STREAM_STATUS", "ANALYTICS"]
    emitted_at: float
    error: AirbyteErrorTraceMessage | None = None
    estimate: dict[str, Any] | None = None
    stream_status: dict[str, Any] | None = None
    analytics: dict[str, Any] | None = None


class ConnectorSpecification(_Model):
    connectionSpecification: dict[str, Any]
    documentationUrl: str | None = None
    changelogUrl: str | None = None
    supportsIncremental: bool | None = None
    supportsNormalization: bool | None = None
    supportsDBT: bool | None = None
    supported_destination_sync_modes: list[str] | None = None
    advanced_auth: dict[str, Any] | None = None


class AirbyteConnectionStatus(_Model):
    status: Literal["SUCCEEDED", "FAILED"]
    message: str | None = None


class AirbyteStream(_Model):
    name: str
    json_schema: dict[str, Any]
    supported_sync_modes: list[Literal["full_refresh", "incremental"]] = Field(min_length=1)
    namespace: str | None = None
    source_defined_cursor: bool | None = None
    default_cursor_field: list[str] | None = None
    source_defined_primary_key: list[list[str]] | None = None


class AirbyteCatalog(_Model):
    streams: list[AirbyteStream]


class AirbyteControlMessage(_Model):
    type: Literal["CONNECTOR_CONFIG"]
    emitted_at: float
    connectorConfig: dict[str, Any] | None = None


PAYLOAD_FIELD = {
    MessageType.RECORD: "record",
    MessageType.STATE: "state",
    MessageType.LOG: "log",
    MessageType.SPEC: "spec",
    MessageType.CONNECTION_STATUS: "connectionStatus",
    MessageType.CATALOG: "catalog",
    MessageType.TRACE: "trace",
    MessageType.CONTROL: "control",
}


class AirbyteMessage(_Model):
    """One line of output: ``type`` says which payload field must be present."""

    type: MessageType
    record: AirbyteRecordMessage | None = None
    state: AirbyteStateMessage | None = None
    log: AirbyteLogMessage | None = None
    spec: ConnectorSpecification | None = None
    connectionStatus: AirbyteConnectionStatus | None = None
    catalog: AirbyteCatalog | None = None
    trace: AirbyteTraceMessage | None = None
    control: AirbyteControlMessage | None = None

    @model_validator(mode="after")
    def _payload_present(self) -> AirbyteMessage:
        name = PAYLOAD_FIELD[self.type]
        if getattr(self, name) is None:
            raise ValueError(f"a {self.type.value} message needs a '{name}' field")
        return self

    @property
    def payload(self) -> BaseModel:
        return getattr(self, PAYLOAD_FIELD[self.type])


class ProtocolError(Exception):
    """The output does not hold what the caller needs (e.g. no SPEC message)."""


@dataclass(frozen=True)
class ProtocolProblem:
    """A line that breaks the protocol: ``line_number`` is 1-based; 0 means the catalog itself."""

    line_number: int
    message: str
    line: str = ""

    def __str__(self) -> str:
        where = f"line {self.line_number}" if self.line_number else "catalog"
        return f"{where}: {self.message}" + (f": {self.line}" if self.line else "")

    def to_dict(self) -> dict[str, Any]:
        return {"line_number": self.line_number, "message": self.message, "line": self.line}


@dataclass
class ProtocolReport:
    messages: list[AirbyteMessage] = field(default_factory=list)
    problems: list[ProtocolProblem] = field(default_factory=list)
    problem_count: int = 0
    """All problems found; ``problems`` keeps the first :data:`MAX_PROBLEMS_KEPT`."""
    counts: Counter[str] = field(default_factory=Counter)
    """Valid messages per type (``RECORD``, ``LOG`` …)."""
    records_per_stream: Counter[str] = field(default_factory=Counter)
    """Records per stream, valid or not, so a caller can enforce its read limits."""

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def of_type(self, kind: MessageType | str) -> list[AirbyteMessage]:
        kind = MessageType(kind)
        return [m for m in self.messages if m.type is kind]

    def add_problem(self, problem: ProtocolProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def summary(self) -> str:
        """``3 RECORD, 1 STATE, 2 LOG; 1 problem`` — one line for a step summary."""
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "no messages"
        return parts + (f"; {self.problem_count} problem(s)" if self.problem_count else "")


Catalog = Mapping[str, Any] | AirbyteCatalog
"""An AirbyteCatalog, or its JSON (plain or configured: ``streams[].stream``)."""


def parse_output(output: str | Iterable[str], catalog: Catalog | None = None) -> ProtocolReport:
    """Parse and validate every line. ``catalog`` (an AirbyteCatalog or a *configured* catalog)
    enables the record checks: the stream must be in it and the data must match its JSON schema."""
    lines = output.splitlines() if isinstance(output, str) else output
    report = ProtocolReport()
    validators = _stream_validators(catalog, report) if catalog is not None else None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        message = _parse_line(line, number, report)
        if message is None:
            continue
        report.messages.append(message)
        report.counts[message.type.value] += 1
        if message.type is MessageType.RECORD and message.record is not None:
            report.records_per_stream[message.record.stream] += 1
            if validators is not None:
                _check_record(message.record, validators, line, number, report)
        elif message.type is MessageType.TRACE and message.trace is not None and message.trace.type == "ERROR":
            error = message.trace.error
            text = error.message if error else "(no error details)"
            kind = f" ({error.failure_type})" if error and error.failure_type else ""
            report.add_problem(ProtocolProblem(number, f"the connector reported an error{kind}: {text}", _shown(line)))
    return report


def _parse_line(line: str, number: int, report: ProtocolReport) -> AirbyteMessage | None:
    try:
        document = json.loads(line)
    except ValueError:
        report.add_problem(ProtocolProblem(
            number, "not a JSON Airbyte message (stdout must hold only protocol messages; plain text from the "
                    "connector or a library it uses belongs on stderr or in a LOG message)", _shown(line)))
        return None
    if not isinstance(document, dict):
        report.add_problem(ProtocolProblem(
            number, f"JSON {type(document).__name__}, not an Airbyte message object", _shown(line)))
        return None
    kind = document.get("type")
    if kind not in {t.value for t in MessageType}:
        known = ", ".join(t.value for t in MessageType)
        report.add_problem(ProtocolProblem(number, f"unknown message type {kind!r} (known: {known})", _shown(line)))
        return None
    try:
        return AirbyteMessage.model_validate(document)
    except ValidationError as exc:
        report.add_problem(ProtocolProblem(number, f"invalid {kind} message: {_first_error(exc)}", _shown(line)))
        return None


def _stream_validators(catalog: Catalog, report: ProtocolReport) -> dict[str, Any]:
    """Draft 7 validator per stream name; a stream whose schema is itself invalid is reported once."""
    validators: dict[str, Any] = {}
    for name, schema in stream_schemas(catalog).items():
        try:
            Draft7Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            report.add_problem(ProtocolProblem(0, f"stream '{name}' has an invalid JSON schema: {exc.message}"))
            validators[name] = None
            continue
        validators[name] = Draft7Validator(schema)
    return validators


def stream_schemas(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """``{stream name: json_schema}`` from a catalog or a configured catalog (``streams[].stream``)."""
    if isinstance(catalog, AirbyteCatalog):
        return {s.name: s.json_schema for s in catalog.streams}
    schemas = {}
    for entry in catalog.get("streams") or []:
        stream = entry.get("stream", entry) if isinstance(entry, Mapping) else None
        if isinstance(stream, Mapping) and isinstance(stream.get("name"), str):
            schemas[stream["name"]] = dict(stream.get("json_schema") or {})
    return schemas


def _check_record(record: AirbyteRecordMessage, validators: dict[str, Any], line: str, number: int,
                  report: ProtocolReport) -> None:
    if record.stream not in validators:
        known = ", ".join(sorted(validators)) or "none"
        report.add_problem(ProtocolProblem(
            number, f"record for stream '{record.stream}', which is not in the catalog (streams: {known})",
            _shown(line)))
        return
    validator = validators[record.stream]
    if validator is None:
        return
    error = jsonschema.exceptions.best_match(validator.iter_errors(record.data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        report.add_problem(ProtocolProblem(
            number, f"record for stream '{record.stream}' does not match its schema at {where}: {error.message}",
            _shown(line)))


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in error["loc"])
    text = error["msg"].removeprefix("Value error, ")
    return f"{where}: {text}" if where else text


def _shown(line: str) -> str:
    return line if len(line) <= MAX_LINE_SHOWN else line[:MAX_LINE_SHOWN] + f"… ({len(line)} chars)"


def expect_single(report: ProtocolReport, kind: MessageType | str) -> AirbyteMessage:
    """The one message of ``kind``; raises :class:`ProtocolError` when there are none or several."""
    kind = MessageType(kind)
    found = report.of_type(kind)
    if len(found) != 1:
        problems = f" ({report.problem_count} problem(s), first: {report.problems[0]})" if report.problems else ""
        raise ProtocolError(f"expected exactly one {kind.value} message, found {len(found)}{problems}")
    return found[0]


def extract_spec(report: ProtocolReport) -> ConnectorSpecification:
    spec = expect_single(report, MessageType.SPEC).spec
    assert spec is not None
    return spec


def extract_catalog(report: ProtocolReport) -> AirbyteCatalog:
    catalog = expect_single(report, MessageType.CATALOG).catalog
    assert catalog is not None
    return catalog


def extract_connection_status(report: ProtocolReport) -> AirbyteConnectionStatus:
    status = expect_single(report, MessageType.CONNECTION_STATUS).connectionStatus
    assert status is not None
    return status
