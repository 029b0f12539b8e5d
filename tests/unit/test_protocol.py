"""Airbyte protocol parsing: every kind of broken line is a problem with its line number and text."""

from __future__ import annotations

import json

import pytest

from connector_build.protocol import (
    MAX_PROBLEMS_KEPT,
    AirbyteCatalog,
    MessageType,
    ProtocolError,
    expect_single,
    extract_catalog,
    extract_connection_status,
    extract_spec,
    parse_output,
    stream_schemas,
)

SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}},
          "required": ["id"]}
CATALOG = {"streams": [{"name": "pokemon", "json_schema": SCHEMA, "supported_sync_modes": ["full_refresh"]}]}
CONFIGURED = {"streams": [{"stream": CATALOG["streams"][0], "sync_mode": "full_refresh",
                           "destination_sync_mode": "append"}]}


def line(message: dict) -> str:
    return json.dumps(message)


def record(stream: str, data: dict) -> str:
    return line({"type": "RECORD", "record": {"stream": stream, "data": data, "emitted_at": 1700000000000}})


def test_valid_read_output_counts_per_type_and_stream() -> None:
    output = "\n".join([
        line({"type": "LOG", "log": {"level": "INFO", "message": "Starting syncing"}}),
        record("pokemon", {"id": 1, "name": "bulbasaur"}),
        record("pokemon", {"id": 2, "name": None, "extra": "allowed by the schema"}),
        line({"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "pokemon"}}}}),
        line({"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": 1.0,
                                         "stream_status": {"status": "COMPLETE"}}}),
        "",
    ])
    report = parse_output(output, catalog=CONFIGURED)
    assert report.ok, report.problems
    assert report.counts == {"LOG": 1, "RECORD": 2, "STATE": 1, "TRACE": 1}
    assert report.records_per_stream == {"pokemon": 2}
    assert report.summary() == "1 LOG, 2 RECORD, 1 STATE, 1 TRACE"


def test_each_kind_of_failure_names_line_number_and_line() -> None:
    lines = [
        record("pokemon", {"id": 1}),
        "Downloading manifest... done",                             # 2: plain text from a library
        line({"type": "RECORD", "record": {"stream": "pokemon", "data": {"id": "one"}, "emitted_at": 1}}),  # 3
        record("berries", {"id": 1}),                               # 4: not in the catalog
        line({"type": "HEARTBEAT"}),                                # 5: unknown type
        line({"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1.0,
                                         "error": {"message": "401 Unauthorized", "failure_type": "config_error"}}}),
        line({"type": "SPEC"}),                                     # 7: payload missing
        "[1, 2]",                                                   # 8: JSON, not an object
        line({"type": "LOG", "log": {"level": "LOUD", "message": "x"}}),  # 9: bad level
    ]
    report = parse_output(lines, catalog=CATALOG)
    found = {p.line_number: p for p in report.problems}
    assert sorted(found) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "not a JSON Airbyte message" in found[2].message and found[2].line == "Downloading manifest... done"
    assert "stream 'pokemon' does not match its schema at id: 'one' is not of type 'integer'" in found[3].message
    assert "stream 'berries', which is not in the catalog (streams: pokemon)" in found[4].message
    assert "unknown message type 'HEARTBEAT'" in found[5].message
    assert "reported an error (config_error): 401 Unauthorized" in found[6].message
    assert "a SPEC message needs a 'spec' field" in found[7].message
    assert "JSON list" in found[8].message
    assert "invalid LOG message: log.level" in found[9].message
    assert str(found[4]).startswith("line 4: record for stream 'berries'")
    assert report.counts["RECORD"] == 3 and report.records_per_stream == {"pokemon": 2, "berries": 1}
    assert not report.ok and report.problem_count == 8


def test_records_are_not_schema_checked_without_a_catalog() -> None:
    report = parse_output([record("anything", {"id": "not an int"})])
    assert report.ok and report.records_per_stream == {"anything": 1}


def test_missing_required_field_is_reported() -> None:
    report = parse_output([record("pokemon", {"name": "x"})], catalog=AirbyteCatalog.model_validate(CATALOG))
    assert "'id' is a required property" in report.problems[0].message
    assert "at (root)" in report.problems[0].message


def test_long_lines_are_truncated_in_problems() -> None:
    huge = record("pokemon", {"id": "x" * 5000})
    problem = parse_output([huge], catalog=CATALOG).problems[0]
    assert problem.line.startswith(huge[:300]) and problem.line.endswith(f"… ({len(huge)} chars)")
    assert len(problem.line) < 330


def test_problems_are_capped_but_counted() -> None:
    report = parse_output(["not json"] * (MAX_PROBLEMS_KEPT + 50))
    assert len(report.problems) == MAX_PROBLEMS_KEPT and report.problem_count == MAX_PROBLEMS_KEPT + 50


def test_invalid_stream_schema_is_reported_once_and_its_records_not_checked() -> None:
    stream = {"name": "s", "json_schema": {"type": "no-such-type"}, "supported_sync_modes": ["full_refresh"]}
    catalog = {"streams": [stream]}
    report = parse_output([record("s", {"a": 1}), record("s", {"a": 2})], catalog=catalog)
    assert [p.line_number for p in report.problems] == [0]
    assert "stream 's' has an invalid JSON schema" in report.problems[0].message


def test_extra_fields_are_allowed_everywhere() -> None:
    message = {"type": "SPEC", "future": True,
               "spec": {"connectionSpecification": {"type": "object"}, "protocol_version": "0.5.2"}}
    report = parse_output([line(message)])
    assert report.ok
    assert extract_spec(report).connectionSpecification == {"type": "object"}


def test_expect_single_and_extractors() -> None:
    spec = line({"type": "SPEC", "spec": {"connectionSpecification": {}}})
    status = line({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "bad key"}})
    catalog = line({"type": "CATALOG", "catalog": CATALOG})
    report = parse_output([spec, status, catalog])
    assert extract_connection_status(report).status == "FAILED"
    assert [s.name for s in extract_catalog(report).streams] == ["pokemon"]
    assert expect_single(report, "SPEC").type is MessageType.SPEC
    with pytest.raises(ProtocolError, match="expected exactly one SPEC message, found 2"):
        expect_single(parse_output([spec, spec]), MessageType.SPEC)
    with pytest.raises(ProtocolError, match=r"found 0 \(1 problem\(s\), first: line 1: not a JSON"):
        extract_spec(parse_output(["Traceback (most recent call last):"]))


def test_catalog_stream_needs_sync_modes() -> None:
    bad = line({"type": "CATALOG", "catalog": {"streams": [{"name": "s", "json_schema": {}}]}})
    report = parse_output([bad])
    assert "invalid CATALOG message: catalog.streams.0.supported_sync_modes" in report.problems[0].message


def test_control_message() -> None:
    control = line({"type": "CONTROL", "control": {"type": "CONNECTOR_CONFIG", "emitted_at": 1.0,
                                                   "connectorConfig": {"config": {"token": "new"}}}})
    assert parse_output([control]).counts == {"CONTROL": 1}


def test_stream_schemas_accepts_plain_and_configured_catalogs() -> None:
    assert stream_schemas(CATALOG) == stream_schemas(CONFIGURED) == {"pokemon": SCHEMA}
