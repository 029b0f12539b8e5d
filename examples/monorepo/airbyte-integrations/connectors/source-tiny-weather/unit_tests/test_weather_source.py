"""Unit tests of Tiny Weather: the protocol messages of spec, check, discover and read."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

CONNECTOR_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CONNECTOR_DIR))  # run from anywhere, without installing the package

from source_tiny_weather import SourceTinyWeather  # noqa: E402
from source_tiny_weather.run import launch  # noqa: E402
from source_tiny_weather.source import ConfigError, states_by_stream  # noqa: E402

CONFIG = {"city": "Oslo", "start_date": "2024-01-30", "days": 7}


def catalog(*streams: tuple[str, str]) -> dict:
    return {
        "streams": [
            {"stream": {"name": name, "json_schema": {}}, "sync_mode": mode, "destination_sync_mode": "append"}
            for name, mode in streams
        ]
    }


def records(messages: list[dict], stream: str) -> list[dict]:
    return [m["record"]["data"] for m in messages if m["type"] == "RECORD" and m["record"]["stream"] == stream]


def states(messages: list[dict]) -> list[dict]:
    return [m["state"]["stream"]["stream_state"] for m in messages if m["type"] == "STATE"]


def test_spec_is_a_json_schema_with_documented_properties():
    spec = SourceTinyWeather().spec()["spec"]
    schema = spec["connectionSpecification"]
    assert spec["documentationUrl"].startswith("https://")
    assert schema["$schema"].startswith("http://json-schema.org/")
    assert schema["type"] == "object"
    assert set(schema["required"]) == {"city", "start_date"}
    assert all(prop.get("description") for prop in schema["properties"].values())


def test_check_succeeds_on_a_good_config():
    status = SourceTinyWeather().check(CONFIG)["connectionStatus"]
    assert status["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"city": None}, "city is required"),
        ({"days": 0}, "at least 1"),
        ({"days": 31}, "at most 30"),
        ({"days": True}, "type integer"),
        ({"start_date": "2024-02-30"}, "not a real date"),
        ({"start_date": "yesterday"}, "does not match"),
        ({"units": "kelvin"}, "must be one of"),
    ],
)
def test_check_fails_on_a_bad_config(change, complaint):
    config = {**CONFIG, **change}
    config = {key: value for key, value in config.items() if value is not None}
    status = SourceTinyWeather().check(config)["connectionStatus"]
    assert status["status"] == "FAILED"
    assert complaint in status["message"]


def test_discover_offers_two_streams_with_their_sync_modes():
    streams = {s["name"]: s for s in SourceTinyWeather().discover(CONFIG)["catalog"]["streams"]}
    assert set(streams) == {"daily_forecast", "stations"}
    assert streams["daily_forecast"]["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert streams["daily_forecast"]["default_cursor_field"] == ["date"]
    assert streams["stations"]["supported_sync_modes"] == ["full_refresh"]
    assert "date" in streams["daily_forecast"]["json_schema"]["properties"]


def test_read_is_deterministic_and_spans_the_configured_days():
    source = SourceTinyWeather()
    first = list(source.read(CONFIG, catalog(("daily_forecast", "full_refresh"), ("stations", "full_refresh"))))
    second = list(source.read(CONFIG, catalog(("daily_forecast", "full_refresh"), ("stations", "full_refresh"))))
    forecast = records(first, "daily_forecast")
    assert forecast == records(second, "daily_forecast")
    assert [row["date"] for row in forecast] == [
        "2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04", "2024-02-05",
    ]
    assert all(row["temperature_min"] < row["temperature_max"] for row in forecast)
    assert len(records(first, "stations")) == 3
    assert states(first) == []  # full refresh: no cursor to checkpoint


def test_incremental_read_checkpoints_and_resumes_after_the_cursor():
    source = SourceTinyWeather()
    first = list(source.read(CONFIG, catalog(("daily_forecast", "incremental"))))
    assert states(first) == [{"date": "2024-02-03"}, {"date": "2024-02-05"}]

    state = [m["state"] for m in first if m["type"] == "STATE"][:1]
    resumed = list(source.read(CONFIG, catalog(("daily_forecast", "incremental")), state))
    assert [row["date"] for row in records(resumed, "daily_forecast")] == ["2024-02-04", "2024-02-05"]
    assert states(resumed)[-1] == {"date": "2024-02-05"}


def test_legacy_and_per_stream_state_are_both_understood():
    per_stream = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "daily_forecast"},
                                                "stream_state": {"date": "2024-01-01"}}}]
    assert states_by_stream(per_stream) == {"daily_forecast": {"date": "2024-01-01"}}
    assert states_by_stream({"daily_forecast": {"date": "2024-01-01"}}) == {"daily_forecast": {"date": "2024-01-01"}}
    with pytest.raises(ConfigError):
        states_by_stream([{"type": "GLOBAL", "global": {}}])


def test_read_with_a_bad_config_emits_a_trace_error_and_exits_1(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({**CONFIG, "days": 99}))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog(("stations", "full_refresh"))))
    out = io.StringIO()
    code = launch(SourceTinyWeather(), ["read", "--config", str(tmp_path / "config.json"),
                                        "--catalog", str(tmp_path / "catalog.json")], out)
    messages = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 1
    assert [m["type"] for m in messages] == ["TRACE"]
    assert messages[0]["trace"]["error"]["failure_type"] == "config_error"


def test_main_py_speaks_json_lines():
    config = CONNECTOR_DIR / "integration_tests" / "config.json"
    configured = CONNECTOR_DIR / "integration_tests" / "configured_catalog.json"
    result = subprocess.run(
        [sys.executable, "main.py", "read", "--config", str(config), "--catalog", str(configured)],
        cwd=CONNECTOR_DIR, capture_output=True, text=True, check=True,
    )
    messages = [json.loads(line) for line in result.stdout.splitlines()]
    assert {m["type"] for m in messages} == {"LOG", "RECORD", "STATE"}
