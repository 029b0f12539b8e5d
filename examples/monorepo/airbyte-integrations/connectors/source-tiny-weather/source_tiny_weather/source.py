"""Tiny Weather: a source that speaks the Airbyte protocol with the standard library only.

It invents a weather forecast for a city instead of calling an API, so it needs no network and
always gives the same data for the same config:

    source = SourceTinyWeather()
    source.check({"city": "Lisbon", "start_date": "2024-01-01"})
    # -> {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED", ...}}
    for message in source.read(config, configured_catalog, state=None):
        print(json.dumps(message))

Every method returns (or yields) Airbyte protocol messages as plain dicts; ``run.py`` turns the
command line into calls and writes the messages as JSON lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

CHECKPOINT_EVERY = 5
"""A STATE message is emitted after this many daily_forecast records, and at the end of the stream."""

CONDITIONS = ("sunny", "cloudy", "rain", "storm", "snow", "fog")
STATIONS_PER_CITY = 3


class ConfigError(ValueError):
    """The user's config (or catalog, or state) is wrong; the message says how to fix it."""


# --- protocol messages -----------------------------------------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)


def log_message(level: str, message: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": level, "message": message}}


def record_message(stream: str, data: Mapping[str, Any], emitted_at: int | None = None) -> dict[str, Any]:
    return {
        "type": "RECORD",
        "record": {"stream": stream, "data": dict(data), "emitted_at": now_ms() if emitted_at is None else emitted_at},
    }


def state_message(stream: str, stream_state: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "STATE",
        "state": {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": stream}, "stream_state": dict(stream_state)},
        },
    }


def connection_status(succeeded: bool, message: str) -> dict[str, Any]:
    status = "SUCCEEDED" if succeeded else "FAILED"
    return {"type": "CONNECTION_STATUS", "connectionStatus": {"status": status, "message": message}}


def trace_error(message: str, internal_message: str, stack_trace: str, failure_type: str) -> dict[str, Any]:
    return {
        "type": "TRACE",
        "trace": {
            "type": "ERROR",
            "emitted_at": now_ms(),
            "error": {
                "message": message,
                "internal_message": internal_message,
                "stack_trace": stack_trace,
                "failure_type": failure_type,
            },
        },
    }


# --- config ----------------------------------------------------------------------------------


def load_resource(name: str) -> dict[str, Any]:
    """A JSON file shipped inside this package (spec.json, schemas/<stream>.json)."""
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def schema_errors(value: Any, schema: Mapping[str, Any], where: str = "config") -> list[str]:
    """The few JSON-schema keywords this spec uses: type, required, properties, enum, bounds, pattern."""
    expected = schema.get("type")
    if expected:
        allowed = _TYPES[expected]
        is_bool = isinstance(value, bool)
        if not isinstance(value, allowed) or (is_bool and expected != "boolean"):
            return [f"{where} must be of type {expected}, got {json.dumps(value)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where} must be one of {', '.join(map(str, schema['enum']))}, got {json.dumps(value)}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where} must be at least {schema['minimum']}, got {value}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{where} must be at most {schema['maximum']}, got {value}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{where} must not be empty")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where} does not match {schema['pattern']}: {json.dumps(value)}")
    if expected == "object":
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(f"{where}.{key} is required")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += schema_errors(value[key], sub, f"{where}.{key}")
    return errors


@dataclass(frozen=True)
class WeatherConfig:
    city: str
    start_date: dt.date
    days: int
    units: str

    @classmethod
    def parse(cls, config: Any, spec: Mapping[str, Any]) -> WeatherConfig:
        """Validate ``config`` against the spec; raise :class:`ConfigError` listing every problem."""
        schema = spec["connectionSpecification"]
        errors = schema_errors(config, schema)
        if errors:
            raise ConfigError("; ".join(errors))
        try:
            start = dt.date.fromisoformat(config["start_date"])
        except ValueError:
            raise ConfigError(f"config.start_date is not a real date: {config['start_date']}") from None
        defaults = {key: sub.get("default") for key, sub in schema["properties"].items()}
        return cls(
            city=config["city"].strip(),
            start_date=start,
            days=config.get("days", defaults["days"]),
            units=config.get("units", defaults["units"]),
        )


# --- the invented data -----------------------------------------------------------------------


def _fractions(*parts: object) -> list[float]:
    """16 numbers in [0, 1) that depend only on ``parts`` (stable across runs and Python versions)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 2], "big") / 65536 for i in range(0, 32, 2)]


def stations_for(city: str) -> list[dict[str, Any]]:
    base = _fractions("city", city.lower())
    latitude, longitude = -60 + 120 * base[0], -180 + 360 * base[1]
    stations = []
    for index in range(STATIONS_PER_CITY):
        f = _fractions("station", city.lower(), index)
        stations.append({
            "station_id": f"{city.lower().replace(' ', '-')}-{index + 1:02d}",
            "name": f"{city} {('Airport', 'Harbour', 'Hill', 'Park')[int(f[0] * 4)]} {index + 1}",
            "city": city,
            "latitude": round(latitude + f[1] - 0.5, 4),
            "longitude": round(longitude + f[2] - 0.5, 4),
            "elevation_m": int(f[3] * 900),
            "active": f[4] > 0.2,
        })
    return stations


def forecast_for(config: WeatherConfig) -> Iterator[dict[str, Any]]:
    climate = _fractions("climate", config.city.lower())
    base_celsius = -5 + 30 * climate[0]
    stations = stations_for(config.city)
    for offset in range(config.days):
        day = config.start_date + dt.timedelta(days=offset)
        f = _fractions("day", config.city.lower(), day.isoformat())
        low = base_celsius + 8 * f[0] - 4
        high = low + 3 + 10 * f[1]
        condition = CONDITIONS[int(f[2] * len(CONDITIONS))]
        if condition == "snow" and low > 2:
            condition = "rain"
        wet = condition in ("rain", "storm", "snow")
        if config.units == "imperial":
            low, high = low * 9 / 5 + 32, high * 9 / 5 + 32
        yield {
            "date": day.isoformat(),
            "city": config.city,
            "units": config.units,
            "condition": condition,
            "temperature_min": round(low, 1),
            "temperature_max": round(high, 1),
            "precipitation_mm": round(25 * f[3], 1) if wet else 0.0,
            "wind_kph": int(5 + 60 * f[4] * (2 if condition == "storm" else 1)),
            "station_id": stations[int(f[5] * len(stations))]["station_id"],
        }


# --- state -----------------------------------------------------------------------------------


def states_by_stream(state: Any) -> dict[str, dict[str, Any]]:
    """Per-stream state from a state file: a list of STREAM state messages, or a legacy ``{stream: state}``."""
    if not state:
        return {}
    if isinstance(state, dict):  # legacy: {"daily_forecast": {"date": "..."}}
        return {name: dict(value) for name, value in state.items() if isinstance(value, dict)}
    if not isinstance(state, list):
        raise ConfigError("state must be a list of STREAM state messages")
    found: dict[str, dict[str, Any]] = {}
    for item in state:
        if not isinstance(item, dict) or item.get("type", "STREAM") != "STREAM" or "stream" not in item:
            raise ConfigError(f"unsupported state entry (only per-stream state is supported): {json.dumps(item)}")
        stream = item["stream"]
        found[stream["stream_descriptor"]["name"]] = dict(stream.get("stream_state") or {})
    return found


# --- the source ------------------------------------------------------------------------------


class SourceTinyWeather:
    """The four commands of a source; see the module docstring."""

    STREAMS: dict[str, dict[str, Any]] = {
        "daily_forecast": {
            "supported_sync_modes": ["full_refresh", "incremental"],
            "source_defined_cursor": True,
            "default_cursor_field": ["date"],
            "source_defined_primary_key": [["city"], ["date"]],
        },
        "stations": {
            "supported_sync_modes": ["full_refresh"],
            "source_defined_primary_key": [["station_id"]],
        },
    }

    def spec(self) -> dict[str, Any]:
        return {"type": "SPEC", "spec": load_resource("spec.json")}

    def parse_config(self, config: Any) -> WeatherConfig:
        return WeatherConfig.parse(config, load_resource("spec.json"))

    def check(self, config: Any) -> dict[str, Any]:
        try:
            parsed = self.parse_config(config)
        except ConfigError as exc:
            return connection_status(False, f"Invalid config: {exc}")
        return connection_status(True, f"Ready to forecast {parsed.days} day(s) for {parsed.city}")

    def discover(self, config: Any) -> dict[str, Any]:
        self.parse_config(config)
        streams = [
            {"name": name, "json_schema": load_resource(f"schemas/{name}.json"), **details}
            for name, details in self.STREAMS.items()
        ]
        return {"type": "CATALOG", "catalog": {"streams": streams}}

    def read(self, config: Any, catalog: Mapping[str, Any], state: Any = None) -> Iterator[dict[str, Any]]:
        parsed = self.parse_config(config)
        states = states_by_stream(state)
        configured = catalog.get("streams")
        if not isinstance(configured, list):
            raise ConfigError("the configured catalog has no 'streams' list")
        yield log_message("INFO", f"Reading {len(configured)} stream(s) for {parsed.city}")
        for entry in configured:
            name = entry["stream"]["name"]
            if name not in self.STREAMS:
                yield log_message("WARN", f"Stream '{name}' is not offered by this source; skipped")
                continue
            incremental = entry.get("sync_mode") == "incremental"
            if incremental and "incremental" not in self.STREAMS[name]["supported_sync_modes"]:
                raise ConfigError(f"stream '{name}' does not support incremental sync")
            if name == "daily_forecast":
                cursor = states.get(name, {}).get("date") if incremental else None
                messages = self._read_forecast(parsed, cursor, incremental)
            else:
                messages = (record_message(name, row) for row in stations_for(parsed.city))
            count = 0
            for message in messages:
                count += message["type"] == "RECORD"
                yield message
            yield log_message("INFO", f"Read {count} record(s) from stream '{name}'")

    def _read_forecast(self, config: WeatherConfig, cursor: str | None, incremental: bool) -> Iterable[dict[str, Any]]:
        stream = "daily_forecast"
        latest = cursor
        emitted = 0
        for row in forecast_for(config):
            if cursor is not None and row["date"] <= cursor:
                continue
            yield record_message(stream, row)
            emitted += 1
            latest = row["date"] if latest is None else max(latest, row["date"])
            if incremental and emitted % CHECKPOINT_EVERY == 0:
                yield state_message(stream, {"date": latest})
        if incremental:
            yield state_message(stream, {"date": latest} if latest else {})
