"""Edit a ``metadata.yaml`` the way a person would: the rest of the file stays as it was.

ruamel.yaml's round trip keeps comments, key order and quoting. The version itself is replaced in
place at the position ruamel reports, so a plain bump changes exactly one line even in files whose
long strings a dump would re-flow; additions (a breaking change, the rollout flag) go through a
round-trip dump with the file's own indentation.

    edit = MetadataEdit(text)
    edit.set_version("1.3.0")
    edit.add_breaking_change("2.0.0", "The `users` stream was renamed.", dt.date(2026, 2, 1))
    edit.text()
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

_PLAIN_TOKEN = re.compile(r"[^\s#]+")


class MetadataEditError(ValueError):
    """The file cannot be edited: not YAML, or no ``data`` mapping."""


class MetadataEdit:
    def __init__(self, text: str) -> None:
        self._original = text
        self._yaml = _round_trip_yaml(text)
        try:
            self._doc = self._yaml.load(text)
        except YAMLError as exc:
            raise MetadataEditError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
        data = self._doc.get("data") if isinstance(self._doc, CommentedMap) else None
        if not isinstance(data, CommentedMap):
            raise MetadataEditError("no 'data' mapping")
        self._data: CommentedMap = data
        self._new_version: str | None = None
        self._restructured = False

    @property
    def version(self) -> str:
        return str(self._data.get("dockerImageTag", ""))

    def set_version(self, version: str) -> None:
        self._new_version = version

    def add_breaking_change(self, version: str, message: str, deadline: dt.date) -> None:
        releases = self._child(self._data, "releases")
        changes = self._child(releases, "breakingChanges")
        changes[version] = CommentedMap(
            [("message", message), ("upgradeDeadline", DoubleQuotedScalarString(deadline.isoformat()))])
        self._restructured = True

    def set_progressive_rollout(self, enabled: bool) -> None:
        """``releases.rolloutConfiguration.enableProgressiveRollout``; turning it off when absent is a no-op."""
        releases = self._data.get("releases")
        rollout = releases.get("rolloutConfiguration") if isinstance(releases, dict) else None
        if not enabled and (rollout is None or not rollout.get("enableProgressiveRollout")):
            return
        rollout = self._child(self._child(self._data, "releases"), "rolloutConfiguration")
        rollout["enableProgressiveRollout"] = enabled
        self._restructured = True

    def text(self) -> str:
        if not self._restructured:
            return self._replace_version_in_place(self._original)
        if self._new_version is not None:
            self._data["dockerImageTag"] = self._new_version
        out = io.StringIO()
        self._yaml.dump(self._doc, out)
        return out.getvalue()

    def _replace_version_in_place(self, text: str) -> str:
        if self._new_version is None:
            return text
        line_no, column = self._data.lc.value("dockerImageTag")
        lines = text.splitlines(keepends=True)
        line = lines[line_no]
        quote = line[column] if line[column] in "'\"" else ""
        if quote:
            end = line.index(quote, column + 1) + 1
        else:
            match = _PLAIN_TOKEN.match(line, column)
            end = match.end() if match else column
        lines[line_no] = f"{line[:column]}{quote}{self._new_version}{quote}{line[end:]}"
        return "".join(lines)

    @staticmethod
    def _child(parent: CommentedMap, key: str) -> CommentedMap:
        value = parent.get(key)
        if not isinstance(value, CommentedMap):
            value = CommentedMap()
            parent[key] = value
        return value


def _round_trip_yaml(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    mapping, sequence, offset = detect_indentation(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def detect_indentation(text: str) -> tuple[int, int, int]:
    """ruamel's ``(mapping, sequence, offset)`` as the file writes them.

    ``tags:\\n  - a`` is offset 2 (the dash two columns in), ``tags:\\n- a`` offset 0.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    mapping = offset = None
    for previous, line in zip([""] + lines, lines, strict=False):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if stripped.startswith("- "):
            parent = previous.lstrip(" ")
            if offset is None and previous.rstrip().endswith(":") and not parent.startswith("- "):
                offset = indent - (len(previous) - len(parent))
        elif mapping is None and indent > 0:
            mapping = indent
    mapping = mapping or 2
    offset = offset if offset is not None and offset >= 0 else 0
    return mapping, offset + 2, offset


def load_plain(text: str) -> Any:
    """The document as plain Python values (for tests and callers that only read)."""
    return YAML(typ="safe").load(text)
