"""Unit tests of Tiny JSONL: config rules, check's probe file, and the write loop's STATE echo."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

CONNECTOR_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CONNECTOR_DIR))  # run from anywhere, without installing the package

from destination_tiny_jsonl import DestinationTinyJsonl  # noqa: E402
from destination_tiny_jsonl.destination import ConfigError, destination_folder, stream_file_name  # noqa: E402
from destination_tiny_jsonl.run import launch  # noqa: E402


def catalog(**modes: str) -> dict:
    return {
        "streams": [
            {"stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
             "sync_mode": "full_refresh", "destination_sync_mode": mode}
            for name, mode in modes.items()
        ]
    }


def record(stream: str, n: int) -> str:
    return json.dumps({"type": "RECORD", "record": {"stream": stream, "data": {"n": n}, "emitted_at": 1000 + n}})


def state(n: int) -> str:
    return json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "items"}, "stream_state": {"n": n}}}})


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_spec_declares_the_sync_modes_and_a_required_path():
    spec = DestinationTinyJsonl().spec()["spec"]
    assert spec["supported_destination_sync_modes"] == ["overwrite", "append"]
    assert spec["connectionSpecification"]["required"] == ["destination_path"]


@pytest.mark.parametrize("path", ["/etc/tiny", "relative/folder", "/tmp/../etc/tiny", "", None])
def test_paths_outside_local_and_temp_are_refused(path):
    with pytest.raises(ConfigError):
        destination_folder({"destination_path": path})


def test_local_and_temp_paths_are_accepted(tmp_path):
    assert destination_folder({"destination_path": "/local/out"}) == Path("/local/out")
    assert destination_folder({"destination_path": str(tmp_path / "x")}) == (tmp_path / "x").resolve()


def test_check_writes_and_removes_a_probe_file(tmp_path):
    status = DestinationTinyJsonl().check({"destination_path": str(tmp_path / "out")})["connectionStatus"]
    assert status["status"] == "SUCCEEDED"
    assert list((tmp_path / "out").iterdir()) == []


def test_check_fails_on_a_forbidden_path():
    status = DestinationTinyJsonl().check({"destination_path": "/etc/tiny-jsonl"})["connectionStatus"]
    assert status["status"] == "FAILED"
    assert "must be under" in status["message"]


def test_state_is_echoed_only_after_the_records_before_it_are_on_disk(tmp_path):
    out = tmp_path / "out"
    seen_on_disk = []

    def messages():
        yield record("items", 1)
        yield record("items", 2)
        yield state(2)
        yield "not json at all"
        yield record("items", 3)

    write = DestinationTinyJsonl().write({"destination_path": str(out)}, catalog(items="append"), messages())
    for message in write:
        if message["type"] == "STATE":
            seen_on_disk.append(len(lines_of(out / "items.jsonl")))
            assert message["state"]["stream"]["stream_state"] == {"n": 2}
    assert seen_on_disk == [2]
    rows = lines_of(out / "items.jsonl")
    assert [row["_airbyte_data"]["n"] for row in rows] == [1, 2, 3]
    assert rows[0]["_airbyte_emitted_at"] == 1001


def test_append_keeps_and_overwrite_replaces_earlier_rows(tmp_path):
    config = {"destination_path": str(tmp_path)}
    destination = DestinationTinyJsonl()
    for _ in range(2):
        list(destination.write(config, catalog(kept="append", fresh="overwrite"),
                               [record("kept", 1), record("fresh", 1)]))
    assert len(lines_of(tmp_path / "kept.jsonl")) == 2
    assert len(lines_of(tmp_path / "fresh.jsonl")) == 1


def test_a_record_for_an_unknown_stream_fails_the_write_with_a_trace(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"destination_path": str(tmp_path / "out")}))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog(items="append")))
    out = io.StringIO()
    code = launch(DestinationTinyJsonl(), ["write", "--config", str(tmp_path / "config.json"),
                                           "--catalog", str(tmp_path / "catalog.json")],
                  stdin=[record("other", 1)], out=out)
    messages = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1
    assert messages[-1]["type"] == "TRACE"
    assert "not in the catalog" in messages[-1]["trace"]["error"]["message"]


def test_stream_file_names_stay_inside_the_folder():
    assert stream_file_name("../../etc/passwd") == "_.._etc_passwd.jsonl"
    assert stream_file_name("users", "crm") == "crm_users.jsonl"
