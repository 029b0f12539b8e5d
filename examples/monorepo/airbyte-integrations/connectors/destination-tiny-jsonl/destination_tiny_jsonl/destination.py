"""Tiny JSONL: a destination that appends every record to ``<destination_path>/<stream>.jsonl``.

Standard library only. The write loop follows the Airbyte protocol's rule for checkpoints: a STATE
message is echoed to stdout only once every record that came before it is written and flushed
to disk, so the platform may commit that state.

    destination = DestinationTinyJsonl()
    for message in destination.write(config, configured_catalog, sys.stdin):
        print(json.dumps(message))          # STATE echoes and LOG lines

Each line of a stream file is ``{"_airbyte_ab_id", "_airbyte_emitted_at", "_airbyte_data"}``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import IO, Any

ALLOWED_ROOTS = ("/local",)
"""Besides these, any folder under the temporary directory (``tempfile.gettempdir()``, /tmp) is allowed."""

BUFFER_RECORDS = 1000
"""Records held in memory per stream before they are written even without a STATE message."""

SUPPORTED_SYNC_MODES = ("overwrite", "append")


class ConfigError(ValueError):
    """The config or catalog is wrong; the message says how to fix it."""


def now_ms() -> int:
    return int(time.time() * 1000)


def log_message(level: str, message: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": level, "message": message}}


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


def allowed_roots() -> list[Path]:
    roots = [Path(root) for root in ALLOWED_ROOTS]
    roots += [Path(os.path.realpath(tempfile.gettempdir())), Path(os.path.realpath("/tmp"))]
    return list(dict.fromkeys(roots))  # gettempdir() is usually /tmp itself


def destination_folder(config: Any) -> Path:
    """The folder named by ``destination_path``, resolved; raises :class:`ConfigError` when not allowed."""
    if not isinstance(config, Mapping):
        raise ConfigError("the config must be a JSON object")
    raw = config.get("destination_path")
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError("destination_path is required and must be a non-empty string")
    if not os.path.isabs(raw):
        raise ConfigError(f"destination_path must be an absolute path, got {raw!r}")
    folder = Path(os.path.realpath(raw))  # also resolves '..' and symlinks that would escape a root
    for root in allowed_roots():
        if folder == root or root in folder.parents:
            return folder
    roots = ", ".join(str(root) for root in allowed_roots())
    raise ConfigError(f"destination_path {raw!r} must be under one of: {roots}")


def stream_file_name(stream: str, namespace: str | None = None) -> str:
    name = f"{namespace}_{stream}" if namespace else stream
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).lstrip(".")
    return f"{safe or '_'}.jsonl"


class StreamWriter:
    """The open file of one stream and the records waiting to be written to it."""

    def __init__(self, path: Path, overwrite: bool) -> None:
        self.path = path
        self.handle: IO[str] = path.open("w" if overwrite else "a", encoding="utf-8")
        self.pending: list[str] = []
        self.written = 0

    def add(self, data: Any, emitted_at: Any) -> None:
        line = {"_airbyte_ab_id": str(uuid.uuid4()), "_airbyte_emitted_at": emitted_at, "_airbyte_data": data}
        self.pending.append(json.dumps(line, ensure_ascii=False) + "\n")

    def flush(self) -> None:
        if self.pending:
            self.handle.writelines(self.pending)
            self.written += len(self.pending)
            self.pending.clear()
        self.handle.flush()
        os.fsync(self.handle.fileno())


class DestinationTinyJsonl:
    """The three commands of a destination; see the module docstring."""

    def spec(self) -> dict[str, Any]:
        text = resources.files(__package__).joinpath("spec.json").read_text(encoding="utf-8")
        return {"type": "SPEC", "spec": json.loads(text)}

    def check(self, config: Any) -> dict[str, Any]:
        try:
            folder = destination_folder(config)
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".tiny-jsonl-check-{uuid.uuid4().hex}"
            probe.write_text("ok\n", encoding="utf-8")
            probe.unlink()
        except ConfigError as exc:
            return connection_status(False, f"Invalid config: {exc}")
        except OSError as exc:
            return connection_status(False, f"Cannot write to {config.get('destination_path')}: {exc}")
        return connection_status(True, f"Can write to {folder}")

    def write(self, config: Any, catalog: Any, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Consume protocol messages from ``lines``; yield STATE echoes (after a flush) and LOG messages."""
        folder = destination_folder(config)
        folder.mkdir(parents=True, exist_ok=True)
        modes = self._sync_modes(catalog)
        writers: dict[tuple[str | None, str], StreamWriter] = {}

        def writer_for(stream: str, namespace: str | None) -> StreamWriter:
            key = (namespace, stream)
            if key not in writers:
                if stream not in modes:
                    raise ConfigError(f"received a record for stream '{stream}', which is not in the catalog")
                path = folder / stream_file_name(stream, namespace)
                writers[key] = StreamWriter(path, overwrite=modes[stream] == "overwrite")
            return writers[key]

        ignored = 0
        try:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    message = None
                if not isinstance(message, dict) or "type" not in message:
                    ignored += 1
                    continue
                if message["type"] == "RECORD":
                    record = message["record"]
                    writer = writer_for(record["stream"], record.get("namespace"))
                    writer.add(record.get("data"), record.get("emitted_at"))
                    if len(writer.pending) >= BUFFER_RECORDS:
                        writer.flush()
                elif message["type"] == "STATE":
                    for writer in writers.values():
                        writer.flush()
                    yield message
            for writer in writers.values():
                writer.flush()
        finally:
            for writer in writers.values():
                writer.handle.close()
        if ignored:
            yield log_message("WARN", f"Ignored {ignored} input line(s) that are not Airbyte messages")
        total = sum(writer.written for writer in writers.values())
        yield log_message("INFO", f"Wrote {total} record(s) to {len(writers)} file(s) in {folder}")

    @staticmethod
    def _sync_modes(catalog: Any) -> dict[str, str]:
        """``{stream: destination_sync_mode}`` from the configured catalog."""
        streams = catalog.get("streams") if isinstance(catalog, Mapping) else None
        if not isinstance(streams, list):
            raise ConfigError("the configured catalog has no 'streams' list")
        modes = {}
        for entry in streams:
            name = entry["stream"]["name"]
            mode = entry.get("destination_sync_mode", "append")
            if mode not in SUPPORTED_SYNC_MODES:
                raise ConfigError(f"stream '{name}': destination_sync_mode '{mode}' is not supported "
                                  f"(supported: {', '.join(SUPPORTED_SYNC_MODES)})")
            modes[name] = mode
        return modes
