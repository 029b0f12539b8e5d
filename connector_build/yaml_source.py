"""Safe, bounded YAML loading that remembers where every value came from.

Why not plain ``yaml.safe_load``: a metadata error must name the line, and a hostile or broken
file (a billion-laughs alias bomb, a 2 GB blob, Latin-1 bytes) must give one clear error instead
of eating memory or printing a traceback.

    doc = load_yaml_document(Path("metadata.yaml"))
    doc.data["data"]["dockerImageTag"]
    doc.line_of(("data", "dockerImageTag"))   # -> 7
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml
# PyYAML itself is imported on first parse: a `list` whose metadata all comes from the cache
# (metadata_cache.py) parses nothing.

MAX_YAML_BYTES = 1024 * 1024
"""Real metadata files are a few KiB; a manifest can reach a few hundred KiB."""

MAX_YAML_NODES = 200_000
"""Nodes visited when aliases are expanded: far above any real file, far below a bomb."""

PathKey = tuple[str | int, ...]


@functools.cache
def _loader_class() -> type[yaml.SafeLoader]:
    """libyaml's safe loader when PyYAML has it (same rules, faster), with lenient timestamps."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
    return Loader


def warm_up_parser() -> None:
    """Import PyYAML and make the loader now (before forking workers that will parse)."""
    _loader_class()


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
    # ``upgradeDeadline: 2024-13-45`` looks like a date to YAML but is none: keep the text,
    # so validation reports the field and its line instead of the parser crashing.
    import yaml

    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


class YamlSourceError(ValueError):
    """The file cannot be read as YAML at all; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class YamlDocument:
    """Parsed data plus the 1-based line where each mapping key or list item starts."""

    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path``, or of its nearest ancestor that is in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def load_yaml_document(path: Path, max_bytes: int = MAX_YAML_BYTES) -> YamlDocument:
    """Read ``path`` with the safe loader, enforcing size, encoding and alias limits."""
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlSourceError(f"file is {size} bytes, more than the limit of {max_bytes}")
    return parse_yaml_text(path.read_bytes())


def parse_yaml_text(raw: bytes) -> YamlDocument:
    import yaml

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlSourceError("file is not valid UTF-8", line) from None
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(data=None)
        _check_expansion(node)
        lines: dict[PathKey, int] = {}
        _record_lines(node, (), lines)
        # The safe constructor refuses tags like !!python/object with a ConstructorError.
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSourceError(_describe(exc), mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(data=data, lines=lines)


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "invalid YAML: " + ", ".join(parts) if parts else "invalid YAML"


def _check_expansion(root: yaml.Node) -> None:
    """Count nodes as the loader would expand them; aliases reuse node objects."""
    import yaml

    seen = 0
    stack: list[yaml.Node] = [root]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise YamlSourceError(
                f"document expands to more than {MAX_YAML_NODES} nodes (alias expansion bomb?)",
                root.start_mark.line + 1,
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def _record_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    import yaml

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                # YAML keeps the last value silently; a metadata file with two is a mistake.
                raise YamlSourceError(f"duplicate key '{key}' on lines {seen[key]} and {line}: keep one", line)
            seen[key] = line
            child = (*path, key)
            lines[child] = line
            if len(child) < 12:
                _record_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            if len(child) < 12:
                _record_lines(item, child, lines)
