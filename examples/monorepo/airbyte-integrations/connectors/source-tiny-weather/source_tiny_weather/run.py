"""Command line of the source: ``spec``, ``check``, ``discover``, ``read``; one JSON message per line.

    source-tiny-weather read --config config.json --catalog configured_catalog.json [--state state.json]

Exit codes: 0 on success (a failed ``check`` is still a successful run: the answer is the
CONNECTION_STATUS message), 1 when ``discover`` or ``read`` fails (a TRACE error message says why),
2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from source_tiny_weather.source import ConfigError, SourceTinyWeather, connection_status, trace_error


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="source-tiny-weather", description="Tiny Weather Airbyte source")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="print the connector specification")
    for name in ("check", "discover"):
        commands.add_parser(name, help=f"{name} with a config").add_argument("--config", required=True)
    read = commands.add_parser("read", help="read records")
    read.add_argument("--config", required=True)
    read.add_argument("--catalog", required=True)
    read.add_argument("--state")
    return parser.parse_args(argv)


def read_json_file(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the {what} file {path} is not valid JSON: {exc}") from None


def emit(messages: Iterable[dict[str, Any]], out: TextIO) -> None:
    for message in messages:
        out.write(json.dumps(message) + "\n")
        out.flush()


def launch(source: SourceTinyWeather, argv: Sequence[str], out: TextIO | None = None) -> int:
    """Run one command; return the process exit code."""
    out = out or sys.stdout
    args = parse_args(argv)
    try:
        if args.command == "spec":
            emit([source.spec()], out)
        elif args.command == "check":
            try:
                config = read_json_file(args.config, "config")
            except ConfigError as exc:
                emit([connection_status(False, str(exc))], out)
            else:
                emit([source.check(config)], out)
        elif args.command == "discover":
            emit([source.discover(read_json_file(args.config, "config"))], out)
        else:
            config = read_json_file(args.config, "config")
            catalog = read_json_file(args.catalog, "catalog")
            state = read_json_file(args.state, "state") if args.state else None
            emit(source.read(config, catalog, state), out)
    except Exception as exc:  # any failure becomes a TRACE error the platform can show
        config_problem = isinstance(exc, ConfigError)
        message = f"Invalid configuration: {exc}" if config_problem else f"{args.command} failed: {exc}"
        emit([trace_error(message, repr(exc), traceback.format_exc(),
                          "config_error" if config_problem else "system_error")], out)
        return 1
    return 0


def run() -> None:
    sys.exit(launch(SourceTinyWeather(), sys.argv[1:]))
