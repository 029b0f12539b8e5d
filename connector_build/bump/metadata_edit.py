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
import difflib
import io
import re
from collections.abc import Callable
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
        self._data = self._load(text)["data"]
        self._new_version: str | None = None
        self._additions: list[Callable[[CommentedMap], None]] = []

    @property
    def version(self) -> str:
        return str(self._data.get("dockerImageTag", ""))

    def set_version(self, version: str) -> None:
        self._new_version = version

    def add_breaking_change(self, version: str, message: str, deadline: dt.date) -> None:
        def add(data: CommentedMap) -> None:
            changes = _child(_child(data, "releases"), "breakingChanges")
            changes[version] = CommentedMap(
                [("message", message), ("upgradeDeadline", DoubleQuotedScalarString(deadline.isoformat()))])

        self._additions.append(add)

    def set_progressive_rollout(self, enabled: bool) -> None:
        """``releases.rolloutConfiguration.enableProgressiveRollout``; turning it off when absent is a no-op."""
        releases = self._data.get("releases")
        rollout = releases.get("rolloutConfiguration") if isinstance(releases, dict) else None
        if not enabled and (not isinstance(rollout, dict) or not rollout.get("enableProgressiveRollout")):
            return

        def set_flag(data: CommentedMap) -> None:
            _child(_child(data, "releases"), "rolloutConfiguration")["enableProgressiveRollout"] = enabled

        self._additions.append(set_flag)

    def text(self) -> str:
        text = self._replace_version_in_place(self._original)
        if not self._additions:
            return text
        before, after = self._load(text), self._load(text)
        for addition in self._additions:
            addition(after["data"])
        dumped_before, dumped_after = self._dump(before), self._dump(after)
        patched = patch_through(text, dumped_before, dumped_after)
        if patched is not None and load_plain(patched) == load_plain(dumped_after):
            return patched
        return dumped_after  # the serializer's own text: same data, long strings may be re-flowed

    def _load(self, text: str) -> CommentedMap:
        """The document; MetadataEditError unless it is YAML with a ``data`` mapping."""
        try:
            document = self._yaml.load(text)
        except YAMLError as exc:
            raise MetadataEditError(f"not valid YAML: {str(exc).splitlines()[0]}") from None
        data = document.get("data") if isinstance(document, CommentedMap) else None
        if not isinstance(data, CommentedMap):
            raise MetadataEditError("no 'data' mapping")
        return document

    def _dump(self, document: CommentedMap) -> str:
        out = io.StringIO()
        self._yaml.dump(document, out)
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


def _child(parent: CommentedMap, key: str) -> CommentedMap:
    value = parent.get(key)
    if not isinstance(value, CommentedMap):
        value = CommentedMap()
        parent[key] = value
    return value


def patch_through(original: str, dumped_before: str, dumped_after: str) -> str | None:
    """Apply what changed between two dumps of the same serializer to the original text.

    The serializer may re-flow lines the edit did not touch; its two dumps re-flow them alike, so
    their difference is only the edit. Each changed hunk is placed at the original lines that match
    the dump's; None when a hunk cannot be placed (the caller falls back to the dump).
    """
    ours, before, after = (t.splitlines(keepends=True) for t in (original, dumped_before, dumped_after))
    position: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, before, ours, autojunk=False).get_matching_blocks():
        for offset in range(block.size):
            position[block.a + offset] = block.b + offset
    position[len(before)] = len(ours)
    result = list(ours)
    opcodes = difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(opcodes):
        if tag == "equal":
            continue
        placed = [position.get(i) for i in range(i1, i2)]
        if any(p is None for p in placed):
            return None
        if placed:
            start = placed[0]
            assert start is not None
            if placed != list(range(start, start + len(placed))):
                return None
            end = start + len(placed)
        else:
            anchor = position.get(i1)
            if anchor is None:
                return None
            start = end = anchor
        result[start:end] = after[j1:j2]
    return "".join(result)


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
