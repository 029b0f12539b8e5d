"""Command line of the destination: ``spec``, ``check --config F``, ``write --config F --catalog F``.

``write`` reads Airbyte messages from stdin, one JSON object per line, and writes STATE echoes and
LOG messages to stdout. Exit codes: 0 on success (a failed ``check`` included), 1 when ``write``
fails (a TRACE error message says why), 2 for a wrong command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from destination_tiny_jsonl.destination import ConfigError, DestinationTinyJsonl, connection_status, trace_error


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="destination-tiny-jsonl", description="Tiny JSONL Airbyte destination")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="print the connector specification")
    commands.add_parser("check", help="check that the destination folder is writable").add_argument(
        "--config", required=True
    )
    write = commands.add_parser("write", help="write the records read from stdin")
    write.add_argument("--config", required=True)
    write.add_argument("--catalog", required=True)
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


def launch(destination: DestinationTinyJsonl, argv: Sequence[str],
           stdin: Iterable[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; return the process exit code."""
    out = out or sys.stdout
    args = parse_args(argv)
    try:
        if args.command == "spec":
            emit([destination.spec()], out)
        elif args.command == "check":
            try:
                config = read_json_file(args.config, "config")
            except ConfigError as exc:
                emit([connection_status(False, str(exc))], out)
            else:
                emit([destination.check(config)], out)
        else:
            config = read_json_file(args.config, "config")
            catalog = read_json_file(args.catalog, "catalog")
            emit(destination.write(config, catalog, sys.stdin if stdin is None else stdin), out)
    except Exception as exc:  # any failure becomes a TRACE error the platform can show
        config_problem = isinstance(exc, ConfigError)
        message = f"Invalid configuration: {exc}" if config_problem else f"{args.command} failed: {exc}"
        emit([trace_error(message, repr(exc), traceback.format_exc(),
                          "config_error" if config_problem else "system_error")], out)
        return 1
    return 0


def run() -> None:
    sys.exit(launch(DestinationTinyJsonl(), sys.argv[1:]))
