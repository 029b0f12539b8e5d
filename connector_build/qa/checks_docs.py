"""QA checks on the documentation pages: page present, changelog row, migration guide, sync modes.

``destination_sync_modes_table`` is advice only: Airbyte publishes destinations that describe
their sync modes in other shapes (bullets, prose), so it warns and never fails.

A check that needs the page skips when the page is missing: ``docs_present`` already fails for
it, and one missing file should read as one failure.
"""

from __future__ import annotations

from connector_build import versions
from connector_build.connector import Connector
from connector_build.metadata import ConnectorType
from connector_build.qa import docs
from connector_build.qa.docs_headings import heading_order_problem
from connector_build.qa.model import Check, QAContext, Verdict, failed, passed, skipped


def docs_present(connector: Connector, ctx: QAContext) -> Verdict:
    page = docs.docs_page(connector, ctx.repo)
    if not page.is_file():
        setting = ctx.repo.settings.docs_dir
        return failed(f"no documentation page: expected {ctx.shown(page)} "
                      f"(the docs folder is docs-dir in [tool.connector-pipelines], now '{setting}')")
    return passed(ctx.shown(page))


def changelog_entry(connector: Connector, ctx: QAContext) -> Verdict:
    page = docs.docs_page(connector, ctx.repo)
    if not page.is_file():
        return skipped(f"no documentation page {ctx.shown(page)} (see docs_present)")
    version = connector.version
    try:
        line = docs.changelog_row(docs.read_lines(page), version)
    except LookupError:
        return failed(f"{ctx.shown(page)}: no 'Changelog' heading, so no changelog row for {version}")
    if line is None:
        return failed(f"{ctx.shown(page)}: the changelog has no row for the current version {version} "
                      f"(add '| {version} | <date> | <pull request> | <subject> |')")
    return passed(f"{ctx.shown(page)}:{line}: changelog row for {version}")


def migration_guide(connector: Connector, ctx: QAContext) -> Verdict:
    changes = _breaking_changes(connector)
    if not changes:
        return skipped("no releases.breakingChanges")
    guide = docs.migration_guide(connector, ctx.repo)
    if not guide.is_file():
        return failed(f"breaking changes {', '.join(sorted(changes, key=versions.sort_key))} need a migration "
                      f"guide: expected {ctx.shown(guide)}")
    lines = docs.read_lines(guide)
    title = f"# {connector.data.name} Migration Guide"
    # Airbyte compares the file's very first line: front matter or an import before the title fails there.
    first = lines[0] if lines else ""
    if first != title:
        return failed(f"{ctx.shown(guide)}: the first line must be '{title}', not '{first}'")
    found = [line.strip().removeprefix(UPGRADING) for line in lines if line.strip().startswith(UPGRADING)]
    # Newest first; Airbyte sorts the versions as strings, so that order is accepted too (10.0.0 < 9.0.0).
    by_version = sorted(changes, key=versions.sort_key, reverse=True)
    if found not in (by_version, sorted(changes, reverse=True)):
        expected = ", ".join(f"'{UPGRADING}{v}'" for v in by_version)
        return failed(f"{ctx.shown(guide)}: the '{UPGRADING}<version>' headings must be exactly one per breaking "
                      f"change, newest first: {expected} (found {', '.join(found) or 'none'})")
    return passed(f"{ctx.shown(guide)} covers {len(changes)} breaking change(s)")


def docs_headers_order(connector: Connector, ctx: QAContext) -> Verdict:
    page = docs.docs_page(connector, ctx.repo)
    if not page.is_file():
        return skipped(f"no documentation page {ctx.shown(page)} (see docs_present)")
    text = page.read_text(encoding="utf-8")
    if not text.strip():
        return failed(f"{ctx.shown(page)} is empty")
    problem = heading_order_problem(text, connector.data.name)
    if problem:
        return failed(f"{ctx.shown(page)}: {problem} (Airbyte's page template)")
    return passed(f"{ctx.shown(page)} follows the page template's headings")


def destination_sync_modes_table(connector: Connector, ctx: QAContext) -> Verdict:
    overrides = connector.data.overrides
    enabled = [name for name in ("oss", "cloud") if (o := getattr(overrides, name)) is not None and o.enabled]
    if not enabled:
        return skipped("not enabled in the oss or cloud registry")
    page = docs.docs_page(connector, ctx.repo)
    if not page.is_file():
        return skipped(f"no documentation page {ctx.shown(page)} (see docs_present)")
    if not docs.has_sync_modes_table(docs.read_lines(page)):
        return failed(f"{ctx.shown(page)}: no sync modes table (a Markdown table with a row such as "
                      "'| Full Refresh Sync | Yes |')")
    return passed(f"{ctx.shown(page)} has a sync modes table")


UPGRADING = "## Upgrading to "
DOCS_MIN_SL = 100
"""Airbyte runs its documentation checks on connectors with ab_internal.sl >= 100 (the default)."""


def _breaking_changes(connector: Connector) -> dict[str, object]:
    releases = connector.data.releases
    return dict((releases.breakingChanges if releases else None) or {})


DOCS_PRESENT = Check(
    "docs_present", "The documentation page (documentationUrl's, else <docs-dir>/<type>s/<slug>.md) exists.",
    docs_present, min_sl=DOCS_MIN_SL)
CHANGELOG = Check(
    "changelog_entry", "The documentation's changelog has a row for the current dockerImageTag.", changelog_entry,
    min_sl=DOCS_MIN_SL)
MIGRATION_GUIDE = Check(
    "migration_guide", "With breaking changes, <slug>-migrations.md's first line is '# <name> Migration Guide'; one "
    "'## Upgrading to <version>' heading per change, newest first.", migration_guide, min_sl=DOCS_MIN_SL)
DOCS_HEADERS = Check(
    "docs_headers_order", "The documentation's headings follow Airbyte's page template, in order.",
    docs_headers_order, types=frozenset({ConnectorType.SOURCE}), language_tags=frozenset({"python", "low-code"}),
    min_sl=300)
SYNC_MODES = Check(
    "destination_sync_modes_table", "A destination enabled in a registry documents its sync modes in a table.",
    destination_sync_modes_table, types=frozenset({ConnectorType.DESTINATION}), advice=True)
