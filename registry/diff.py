"""What changed between two registry files: connectors added, removed, re-versioned, or edited.

Connectors are matched by definition id (the platform's key), so a renamed connector is a
change, not a removal plus an addition.

    changes = diff_registries(old_document, new_document)
    changes.added, changes.removed, changes.version_changes, changes.changed_fields
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.models import definition_id, entry_kind


@dataclass(frozen=True)
class ConnectorRef:
    kind: str
    name: str
    repository: str
    tag: str

    @classmethod
    def of(cls, entry: dict[str, Any]) -> ConnectorRef:
        return cls(entry_kind(entry) or "?", str(entry.get("name", "")), str(entry.get("dockerRepository", "")),
                   str(entry.get("dockerImageTag", "")))


@dataclass
class RegistryDiff:
    added: list[ConnectorRef] = field(default_factory=list)
    removed: list[ConnectorRef] = field(default_factory=list)
    version_changes: list[tuple[ConnectorRef, str, str]] = field(default_factory=list)
    """(connector as in NEW, old tag, new tag)"""
    changed_fields: list[tuple[ConnectorRef, list[str]]] = field(default_factory=list)
    """(connector as in NEW, top-level fields whose value changed, dockerImageTag aside)"""

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.version_changes or self.changed_fields)

    def as_dict(self) -> dict[str, Any]:
        def ref(r: ConnectorRef) -> dict[str, str]:
            return {"type": r.kind, "name": r.name, "dockerRepository": r.repository, "dockerImageTag": r.tag}

        return {
            "added": [ref(r) for r in self.added],
            "removed": [ref(r) for r in self.removed],
            "versionChanges": [{**ref(r), "from": old, "to": new} for r, old, new in self.version_changes],
            "changedFields": [{**ref(r), "fields": fields} for r, fields in self.changed_fields],
        }


def diff_registries(old: dict[str, Any], new: dict[str, Any]) -> RegistryDiff:
    before, after = _by_id(old), _by_id(new)
    result = RegistryDiff()
    for ident in sorted(after.keys() - before.keys(), key=lambda i: _order(after[i])):
        result.added.append(ConnectorRef.of(after[ident]))
    for ident in sorted(before.keys() - after.keys(), key=lambda i: _order(before[i])):
        result.removed.append(ConnectorRef.of(before[ident]))
    for ident in sorted(before.keys() & after.keys(), key=lambda i: _order(after[i])):
        was, now = before[ident], after[ident]
        ref = ConnectorRef.of(now)
        if was.get("dockerImageTag") != now.get("dockerImageTag"):
            result.version_changes.append((ref, str(was.get("dockerImageTag")), str(now.get("dockerImageTag"))))
        fields = sorted(k for k in was.keys() | now.keys() if k != "dockerImageTag" and was.get(k) != now.get(k))
        if fields:
            result.changed_fields.append((ref, fields))
    return result


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = [*document.get("sources", []), *document.get("destinations", [])]
    return {definition_id(e) or str(e.get("dockerRepository")): e for e in entries if isinstance(e, dict)}


def _order(entry: dict[str, Any]) -> tuple[str, str]:
    return str(entry.get("name", "")).casefold(), str(entry.get("dockerRepository", ""))
