"""What changed between two registry files: connectors added, removed, re-versioned, or edited.

Connectors are matched by definition id (the platform's key), so a renamed connector is a
change, not a removal plus an addition. A field that differs only in shape, a default written
on one side and left out on the other (``supportsRefreshes: false``, ``releases: {}``,
``requiresLogin: false`` in ``externalDocumentationUrls`` …, as older and newer registry
generators do), is reported apart: it means the same to the platform.

    changes = diff_registries(old_document, new_document)
    changes.added, changes.removed, changes.version_changes, changes.changed_fields, changes.shape_only
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
    shape_only: list[tuple[ConnectorRef, list[str]]] = field(default_factory=list)
    """(connector as in NEW, top-level fields that differ only by defaults written or left out)"""

    @property
    def is_empty(self) -> bool:
        """No real difference (shape-only ones aside)."""
        return not (self.added or self.removed or self.version_changes or self.changed_fields)

    def as_dict(self) -> dict[str, Any]:
        def ref(r: ConnectorRef) -> dict[str, str]:
            return {"type": r.kind, "name": r.name, "dockerRepository": r.repository, "dockerImageTag": r.tag}

        return {
            "added": [ref(r) for r in self.added],
            "removed": [ref(r) for r in self.removed],
            "versionChanges": [{**ref(r), "from": old, "to": new} for r, old, new in self.version_changes],
            "changedFields": [{**ref(r), "fields": fields} for r, fields in self.changed_fields],
            "shapeOnly": [{**ref(r), "fields": fields} for r, fields in self.shape_only],
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
        plain_was, plain_now = without_shape_defaults(was), without_shape_defaults(now)
        real = [k for k in fields if plain_was.get(k) != plain_now.get(k)]
        if real:
            result.changed_fields.append((ref, real))
        if len(real) < len(fields):
            result.shape_only.append((ref, [k for k in fields if k not in real]))
    return result


SHAPE_DEFAULTS: dict[str, Any] = {
    "supportsRefreshes": False,
    "supportsFileTransfer": False,
    "supportsDataActivation": False,
    "releases": {},
    "packageInfo": {},
    "tags": [],
}
"""Entry fields whose default some generators write and others leave out."""


def without_shape_defaults(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with defaults that only reflect a generator's shape removed (release candidates too)."""
    plain = {k: v for k, v in entry.items() if not (k in SHAPE_DEFAULTS and v == SHAPE_DEFAULTS[k])}
    links = plain.get("externalDocumentationUrls")
    if isinstance(links, list):
        plain["externalDocumentationUrls"] = [
            {k: v for k, v in link.items() if not (k == "requiresLogin" and v is False)} if isinstance(link, dict)
            else link for link in links]
    releases = plain.get("releases")
    if isinstance(releases, dict) and isinstance(releases.get("releaseCandidates"), dict):
        candidates = {tag: without_shape_defaults(rc) if isinstance(rc, dict) else rc
                      for tag, rc in releases["releaseCandidates"].items()}
        plain["releases"] = {**releases, "releaseCandidates": candidates}
    return plain


def _by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = [*document.get("sources", []), *document.get("destinations", [])]
    return {definition_id(e) or str(e.get("dockerRepository")): e for e in entries if isinstance(e, dict)}


def _order(entry: dict[str, Any]) -> tuple[str, str]:
    return str(entry.get("name", "")).casefold(), str(entry.get("dockerRepository", ""))
