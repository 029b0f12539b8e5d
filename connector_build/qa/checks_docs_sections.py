"""QA checks on what the sections of a strategic source's documentation say.

Airbyte runs them where it runs the heading-order check: sources in Python or low-code with
``ab_internal.sl`` 300. Each compares one section with Airbyte's page template
(:mod:`connector_build.qa.docs_sections`): the intro under the title, the Prerequisites naming the
spec's required fields, the Cloud and Open Source setup steps, the sync-modes sentence, the
tutorials sentence (when the section exists) and the changelog's ``<details>`` wrapper.

Airbyte's link check (``CheckDocumentationLinks``) requests every link of the page; it needs the
network, so it is not run here (``qa list`` says so).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from connector_build.connector import Connector
from connector_build.metadata import ConnectorType
from connector_build.qa import docs
from connector_build.qa.docs_sections import (
    CHANGELOG_WRAPPER,
    DocsPage,
    changelog_shape,
    cloud_steps,
    first_difference,
    intro,
    open_source_steps,
    starts_like,
    sync_modes_sentence,
    tutorials_sentence,
    without_links,
)
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed, skipped

PREREQUISITES = "Prerequisites"
CREDENTIAL_FIELDS = ("credentials", "client_id", "client_secret", "access_token", "refresh_token", "authorization")
CREDENTIAL_WORDS = ("account", "auth", "credentials", "access", "client")
"""A spec with credentials needs one of these words in Prerequisites instead of each field's title."""


def _with_page(verify: Callable[[Connector, QAContext, DocsPage, str], Verdict]) -> Callable[..., Verdict]:
    """Reads the page once; a missing page skips (docs_present fails for it), an empty one fails."""
    def check(connector: Connector, ctx: QAContext) -> Verdict:
        page = docs.docs_page(connector, ctx.repo)
        if not page.is_file():
            return skipped(f"no documentation page {ctx.shown(page)} (see docs_present)")
        if not page.read_text(encoding="utf-8").strip():
            return failed(f"{ctx.shown(page)} is empty")
        return verify(connector, ctx, DocsPage.read(page), ctx.shown(page))
    return check


def intro_section(connector: Connector, ctx: QAContext, page: DocsPage, shown: str) -> Verdict:
    name = connector.data.name
    if not page.has(name):
        return failed(f"{shown}: no '# {name}' heading (the connector's name in metadata.yaml)")
    found = page.sections.get(name)
    if not found:
        return failed(f"{shown}: the '{name}' section is empty")
    if len(found) > 1:
        return failed(f"{shown}: {len(found)} headings named '{name}'; rename the duplicates")
    expected = intro(name)
    if expected not in without_links(found[0]):
        return failed(f"{shown}: under '# {name}' the template's intro is missing: {expected.strip()!r} "
                      "(any link in place of {docs_link})")
    return passed(f"{shown}: the intro under '# {name}' follows the template")


def prerequisites_section(connector: Connector, ctx: QAContext, page: DocsPage, shown: str) -> Verdict:
    spec, where = spec_file(connector)
    if spec is None:
        return passed("no spec.yaml, spec.json or manifest spec to read required fields from (as Airbyte: nothing to "
                      "check)")
    if not page.has(PREREQUISITES):
        return failed(f"{shown}: no '## {PREREQUISITES}' section")
    found = page.sections.get(PREREQUISITES)
    if not found:
        return failed(f"{shown}: the '{PREREQUISITES}' section is empty")
    if len(found) > 1:
        return failed(f"{shown}: {len(found)} '{PREREQUISITES}' sections; keep one")
    text = found[0].lower()
    titles, has_credentials = required_titles(spec)
    missing = [title for title in titles if title not in text]
    if has_credentials and not any(word in text for word in CREDENTIAL_WORDS):
        missing.append("credentials")
    if missing:
        return failed(f"{shown}: '{PREREQUISITES}' does not mention the required fields of {where}: "
                      f"{', '.join(repr(m) for m in missing)}")
    return passed(f"{shown}: '{PREREQUISITES}' mentions every required field of {where}")


def spec_file(connector: Connector) -> tuple[dict[str, Any] | None, str]:
    """The connection specification as the files hold it (Airbyte's static best effort, not ``spec``):
    ``<package>/spec.yaml``, ``<package>/spec.json``, else the manifest's ``spec``."""
    package = connector.path / connector.name.replace("-", "_")
    for path, load in ((package / "spec.yaml", yaml.safe_load), (package / "spec.json", json.loads)):
        if path.is_file():
            return _connection_spec(load(path.read_text(encoding="utf-8"))), _shown(connector, path)
    for path in (connector.path / "manifest.yaml", package / "manifest.yaml"):
        if path.is_file():
            manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
            spec = manifest.get("spec") if isinstance(manifest, dict) else None
            return _connection_spec(spec), _shown(connector, path)
    return None, ""


def _connection_spec(spec: Any) -> dict[str, Any] | None:
    if not isinstance(spec, dict):
        return None
    inner = spec.get("connectionSpecification") or spec.get("connection_specification")
    return inner if isinstance(inner, dict) else None


def _shown(connector: Connector, path: Path) -> str:
    return (connector.relative_path / path.relative_to(connector.path)).as_posix()


def required_titles(spec: dict[str, Any]) -> tuple[list[str], bool]:
    """The lower-case titles of the required fields other than credentials, and whether the spec has
    credentials (a credential field required or declared)."""
    required = [str(f) for f in spec.get("required") or []]
    if not required:
        return [], False
    properties = spec.get("properties") or {}
    has_credentials = any(f in required or f in properties for f in CREDENTIAL_FIELDS)
    if has_credentials:
        required = [f for f in required if f not in CREDENTIAL_FIELDS]
    titles = []
    for field in required:
        schema = properties.get(field)
        title = schema.get("title") if isinstance(schema, dict) else None
        titles.append(str(title or field).lower())
    return titles, has_credentials


def _template_section(heading: str, expected_text: Callable[[str], str], *, required: bool = True):
    def verify(connector: Connector, ctx: QAContext, page: DocsPage, shown: str) -> Verdict:
        if not page.has(heading):
            if required:
                return failed(f"{shown}: no '{heading}' section")
            return passed(f"{shown}: no '{heading}' section (optional)")
        found = page.sections.get(heading)
        if not found:
            return failed(f"{shown}: the '{heading}' section is empty")
        expected = expected_text(connector.data.name)
        closest = starts_like(expected, found)
        if closest is not None:
            detail = first_difference(closest, expected) if closest else f"expected {expected.strip()!r}"
            return failed(f"{shown}: the '{heading}' section does not start as the template's: {detail}")
        return passed(f"{shown}: the '{heading}' section starts as the template's")
    return verify


def changelog_section(connector: Connector, ctx: QAContext, page: DocsPage, shown: str) -> Verdict:
    if not page.has("Changelog"):
        return failed(f"{shown}: no '## Changelog' section")
    found = page.sections.get("Changelog")
    if not found:
        return failed(f"{shown}: the 'Changelog' section is empty")
    if len(found) > 1:
        return failed(f"{shown}: {len(found)} 'Changelog' sections; keep one")
    shape = changelog_shape(found[0])[:len(CHANGELOG_WRAPPER)]
    if shape != CHANGELOG_WRAPPER:
        return failed(f"{shown}: the changelog table must sit in '<details>' with "
                      "'<summary>Expand to review</summary>' on the next line and '</details>' after the table")
    return passed(f"{shown}: the changelog table is in a collapsed '<details>' block")


STRATEGIC_SOURCES: dict[str, Any] = dict(types=frozenset({ConnectorType.SOURCE}),
                                         language_tags=frozenset({"python", "low-code"}), min_sl=300)
"""Airbyte's scope for the documentation content checks."""

DOCS_INTRO = Check(
    "docs_intro_section", "Under '# <name>', the documentation has the template's intro (in <HideInUI>).",
    _with_page(intro_section), **STRATEGIC_SOURCES)
DOCS_PREREQUISITES = Check(
    "docs_prerequisites_section", "'Prerequisites' names every required field of the spec file (or credentials).",
    _with_page(prerequisites_section), **STRATEGIC_SOURCES)
DOCS_CLOUD = Check(
    "docs_cloud_section", "A 'For Airbyte Cloud:' section starts with the template's four setup steps.",
    _with_page(_template_section("For Airbyte Cloud:", cloud_steps)), **STRATEGIC_SOURCES)
DOCS_OPEN_SOURCE = Check(
    "docs_open_source_section", "A 'For Airbyte Open Source:' section starts with the template's first step.",
    _with_page(_template_section("For Airbyte Open Source:", open_source_steps)), **STRATEGIC_SOURCES)
DOCS_SYNC_MODES = Check(
    "docs_sync_modes_section", "'Supported sync modes' starts with the template's sentence.",
    _with_page(_template_section("Supported sync modes", sync_modes_sentence)), **STRATEGIC_SOURCES)
DOCS_TUTORIALS = Check(
    "docs_tutorials_section", "A 'Tutorials' section, when present, starts with the template's sentence.",
    _with_page(_template_section("Tutorials", tutorials_sentence, required=False)), **STRATEGIC_SOURCES)
DOCS_CHANGELOG = Check(
    "docs_changelog_section", "The changelog table sits in a collapsed <details> block.",
    _with_page(changelog_section), **STRATEGIC_SOURCES)

CONTENT_CHECKS = (DOCS_INTRO, DOCS_PREREQUISITES, DOCS_CLOUD, DOCS_OPEN_SOURCE, DOCS_SYNC_MODES, DOCS_TUTORIALS,
                  DOCS_CHANGELOG)
