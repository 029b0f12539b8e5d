"""QA check that the connector's code talks HTTPS only, as Airbyte's ``connectors_qa`` reads it.

Every file of the connector folder is read line by line, except tests, build output, caches,
binaries, SVGs and expected records. A line counts when it contains ``http://`` after removing
``http://localhost`` and ``http://json-schema.org``, unless it is a comment (``#`` in Python and
YAML, ``//`` in Java, ``<!--`` in Markdown) or carries ``# ignore-https-check``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

from connector_build.connector import Connector
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed

IGNORED_FOLDERS = frozenset({
    ".venv", "tests", "unit_tests", "integration_tests", "test-integration", "build", ".pytest_cache",
    "acceptance_tests_logs", ".hypothesis", ".ruff_cache", "htmlcov",
})
IGNORED_FILES = ("*Test.java", "*.jar", "*.pyc", "*.gz", "*.svg", "expected_records.jsonl", "expected_records.json")
ALLOWED_PREFIXES = ("http://json-schema.org", "http://localhost")
IGNORE_MARK = "# ignore-https-check"
COMMENT_START = {".py": "#", ".yml": "#", ".yaml": "#", ".java": "//", ".md": "<!--"}
MAX_SHOWN = 5


def code_files(folder: Path) -> Iterator[Path]:
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f not in IGNORED_FOLDERS)
        for name in sorted(files):
            if not any(fnmatch(name, pattern) for pattern in IGNORED_FILES):
                yield Path(current) / name


def plain_http_lines(path: Path) -> Iterator[int]:
    """1-based numbers of the lines of ``path`` that use ``http://`` (nothing for a binary file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return
    comment = COMMENT_START.get(path.suffix)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.lower()
        if (comment and line.lstrip().startswith(comment)) or IGNORE_MARK in line:
            continue
        for prefix in ALLOWED_PREFIXES:
            line = line.replace(prefix, "")
        if "http://" in line:
            yield number


def https_only(connector: Connector, ctx: QAContext) -> Verdict:
    found = []
    for path in code_files(connector.path):
        lines = list(plain_http_lines(path))
        if lines:
            shown = connector.relative_path / path.relative_to(connector.path)
            found.append(f"{shown}:{lines[0]}" + (f" (and {len(lines) - 1} more lines)" if len(lines) > 1 else ""))
    if found:
        more = f" and {len(found) - MAX_SHOWN} more files" if len(found) > MAX_SHOWN else ""
        return failed(f"http:// URLs (use https://, or mark the line '{IGNORE_MARK}'): "
                      f"{', '.join(found[:MAX_SHOWN])}{more}")
    return passed("no http:// URL in the connector's files")


HTTPS_ONLY = Check(
    "https_only", "No http:// URL in the connector's files (tests, comments, localhost, json-schema.org exempt).",
    https_only)
