"""Answers `spec` with an empty configuration, and says which backoff it runs with."""

import json
import sys
from importlib import metadata

import backoff  # noqa: F401  (the locked dependency must be importable)


def run() -> None:
    if sys.argv[1:2] != ["spec"]:
        print(f"usage: {sys.argv[0]} spec", file=sys.stderr)
        sys.exit(2)
    spec = {"connectionSpecification": {"type": "object", "properties": {}},
            "documentationUrl": "https://docs.example.com/integrations/sources/tiny-poetry"}
    print(json.dumps({"type": "LOG", "log": {"level": "INFO", "message": f"backoff {metadata.version('backoff')}"}}))
    print(json.dumps({"type": "SPEC", "spec": spec}))
