"""The documentation content checks Airbyte runs on strategic sources: each passes on a real page
Airbyte published, and fails on a copy of it with one thing changed.

source-shopify (a Python source with ab_internal.sl 300) is the real case Airbyte checks. Its
fixture has no spec file, so the Prerequisites check (which reads one) is shown on source-stripe,
whose manifest carries the spec: a manifest-only connector Airbyte leaves out of these checks, so
the test calls the check itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_build.monorepo import Monorepo
from connector_build.qa import CheckStatus, QAContext
from connector_build.qa.checks_docs_sections import (
    CONTENT_CHECKS,
    DOCS_CHANGELOG,
    DOCS_CLOUD,
    DOCS_INTRO,
    DOCS_OPEN_SOURCE,
    DOCS_PREREQUISITES,
    DOCS_SYNC_MODES,
    DOCS_TUTORIALS,
)
from connector_build.qa.docs_headings import page_headings
from connector_build.qa.docs_sections import DocsPage, changelog_shape
from connector_build.qa.model import Check
from tests.conftest import airbyte_fixtures
from tests.unit.test_qa_fixtures import TODAY

SHOPIFY_SYNC_MODES = ("The Shopify source connector supports the following "
                      "[sync modes](https://docs.airbyte.com/cloud/core-concepts/#connection-sync-modes):")


def real_repo(root: Path, name: str, page_edit: tuple[str, str] | None = None) -> tuple[Monorepo, Path]:
    """``name``'s real folder and docs page, copied into a monorepo in ``root``; the page with one edit."""
    fixture = airbyte_fixtures("connectors", name)
    folder = root / "airbyte-integrations" / "connectors" / name
    folder.mkdir(parents=True)
    for item in fixture.iterdir():
        if item.is_file() and not item.name.startswith("docs"):
            (folder / item.name).write_bytes(item.read_bytes())
    kind, slug = name.split("-", 1)
    page = root / "docs" / "integrations" / f"{kind}s" / f"{slug}.md"
    page.parent.mkdir(parents=True)
    text = (fixture / "docs.md").read_text(encoding="utf-8")
    if page_edit is not None:
        old, new = page_edit
        assert old in text, old
        text = text.replace(old, new, 1)
    page.write_text(text, encoding="utf-8")
    return Monorepo.open(root), folder


def run(check: Check, root: Path, name: str, page_edit: tuple[str, str] | None = None):
    repo, folder = real_repo(root, name, page_edit)
    return check.run(repo.load_connector(folder), QAContext(repo, today=TODAY))


def test_shopify_passes_every_content_check(tmp_path: Path) -> None:
    repo, folder = real_repo(tmp_path, "source-shopify")
    connector, context = repo.load_connector(folder), QAContext(repo, today=TODAY)
    for check in CONTENT_CHECKS:
        result = check.run(connector, context)
        assert result.status is CheckStatus.PASS, result


@pytest.mark.parametrize(("check", "page_edit", "says"), [
    (DOCS_INTRO, ("This page contains the setup guide", "This page holds the setup guide"),
     "under '# Shopify' the template's intro is missing"),
    (DOCS_INTRO, ("# Shopify\n", "# Shopify Store\n"), "no '# Shopify' heading"),
    (DOCS_CLOUD, ("2. Click Sources and then click + New source.\n3. On the Set up the source page, select Shopify",
                  "2. Click Sources.\n3. On the Set up the source page, select Shopify"),
     "expected '2. Click Sources and then click + New source.', found '2. Click Sources.'"),
    (DOCS_CLOUD, ("### For Airbyte Cloud:\n", "### On Airbyte Cloud\n"), "no 'For Airbyte Cloud:' section"),
    (DOCS_OPEN_SOURCE, ("1. Navigate to the Airbyte Open Source dashboard.", "1. Open the dashboard."),
     "the 'For Airbyte Open Source:' section does not start as the template's"),
    (DOCS_SYNC_MODES, (SHOPIFY_SYNC_MODES, "Shopify supports these sync modes:"),
     "the 'Supported sync modes' section does not start as the template's"),
    (DOCS_TUTORIALS, ("\n## Changelog\n", "\n### Tutorials\n\nSee the tutorials on our blog.\n\n## Changelog\n"),
     "the 'Tutorials' section does not start as the template's"),
    (DOCS_CHANGELOG, ("<details>\n  <summary>Expand to review</summary>\n", ""),
     "the changelog table must sit in '<details>'"),
])
def test_a_copy_of_shopify_with_one_change_fails(tmp_path: Path, check: Check, page_edit: tuple[str, str],
                                                 says: str) -> None:
    result = run(check, tmp_path, "source-shopify", page_edit)
    assert result.status is CheckStatus.FAIL and says in result.message, result
    assert "docs/integrations/sources/shopify.md" in result.message and "\n" not in result.message


def test_a_tutorials_section_in_the_template_words_passes(tmp_path: Path) -> None:
    section = ("\n### Tutorials\n\nNow that you have set up the Shopify source connector, check out the following "
               "Shopify tutorials:\n\n- [Sync orders](https://airbyte.com/tutorials)\n\n## Changelog\n")
    assert run(DOCS_TUTORIALS, tmp_path, "source-shopify", ("\n## Changelog\n", section)).status is CheckStatus.PASS


def test_prerequisites_name_the_required_fields_of_the_spec(tmp_path: Path) -> None:
    repo, folder = real_repo(tmp_path / "real", "source-stripe")
    connector, context = repo.load_connector(folder), QAContext(repo, today=TODAY)
    # Airbyte leaves manifest-only connectors out; the check itself passes on the real page and spec.
    assert DOCS_PREREQUISITES.run(connector, context).status is CheckStatus.SKIP
    status, message = DOCS_PREREQUISITES.verify(connector, context)
    assert status is CheckStatus.PASS and "source-stripe/manifest.yaml" in message, message

    repo, folder = real_repo(tmp_path / "edited", "source-stripe", ("- Stripe Account ID\n", ""))
    status, message = DOCS_PREREQUISITES.verify(repo.load_connector(folder), QAContext(repo, today=TODAY))
    assert status is CheckStatus.FAIL and "'account id'" in message, message


def test_prerequisites_pass_without_a_spec_file_as_airbyte(tmp_path: Path) -> None:
    result = run(DOCS_PREREQUISITES, tmp_path, "source-shopify", ("## Prerequisites\n", "## Before you start\n"))
    assert result.status is CheckStatus.PASS and "no spec.yaml, spec.json or manifest spec" in result.message


def test_scope_is_airbytes_and_qa_list_says_it() -> None:
    for check in CONTENT_CHECKS:
        assert check.applies_to() == "sources, low-code or python, ab_internal.sl >= 300"


def test_sections_are_cut_at_every_top_level_heading() -> None:
    page = DocsPage.parse("# A\n\nintro\n\n## B\ntext\n### B\nmore\n\n> # quoted\n")
    assert page.headings == ["A", "B", "B"]
    assert page.sections["A"] == ["\nintro\n\n"]
    assert page.sections["B"] == ["text\n", "more\n\n> # quoted\n"]
    assert page_headings("# A\n\n> ## Quoted\n\n- ## Listed\n") == ["A"]  # the heading-order check agrees
    assert changelog_shape("\n<details>\n  <summary>x</summary>\n\n| a |\n|---|\n| 1 |\n\n</details>\n") == \
        "<details>\n  <summary>x</summary>\n</details>"


def test_the_example_python_source_page_follows_the_template() -> None:
    """tiny-weather (ab_internal.sl 100, so Airbyte skips these) passes them all when asked directly."""
    from connector_build.qa.checks_docs import DOCS_HEADERS
    from tests.conftest import EXAMPLES

    repo = Monorepo.open(EXAMPLES)
    connector = repo.load_connector(repo.connectors_path / "source-tiny-weather")
    context = QAContext(repo, today=TODAY)
    for check in (DOCS_HEADERS, *CONTENT_CHECKS):
        assert check.run(connector, context).status is CheckStatus.SKIP
        status, message = check.verify(connector, context)
        assert status is CheckStatus.PASS, (check.name, message)
