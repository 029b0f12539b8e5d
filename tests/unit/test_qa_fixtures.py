"""QA checks on the 17 real Airbyte connectors in ../shared, laid out as a monorepo of symlinks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connector_build.monorepo import Monorepo
from connector_build.qa import CHECKS, CheckResult, CheckStatus, QAContext, run_qa_checks
from tests.conftest import airbyte_fixtures

TODAY = dt.date(2026, 3, 1)


def build_fixture_monorepo(root: Path) -> Path:
    """Symlink each fixture's files into the Airbyte layout: connector folder plus docs pages."""
    fixtures = airbyte_fixtures("connectors")
    for folder in sorted(p for p in fixtures.iterdir() if p.is_dir()):
        kind, slug = folder.name.split("-", 1)
        connector = root / "airbyte-integrations" / "connectors" / folder.name
        connector.mkdir(parents=True)
        docs = root / "docs" / "integrations" / f"{kind}s"
        docs.mkdir(parents=True, exist_ok=True)
        for item in folder.iterdir():
            if item.name == "docs.md":
                (docs / f"{slug}.md").symlink_to(item)
            elif item.name == "docs-migrations.md":
                (docs / f"{slug}-migrations.md").symlink_to(item)
            else:
                (connector / item.name).symlink_to(item)
    return root


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, CheckResult]]:
    root = build_fixture_monorepo(tmp_path_factory.mktemp("fixture-repo"))
    repo = Monorepo.open(root)
    found = repo.discover()
    assert not found.invalid, found.invalid
    context = QAContext(repo, today=TODAY)
    return {name: {r.name: r for r in run_qa_checks(c, context)} for name, c in found.connectors.items()}


def test_every_check_runs_on_every_fixture(results: dict[str, dict[str, CheckResult]]) -> None:
    assert len(results) == 17
    for by_check in results.values():
        assert list(by_check) == [c.name for c in CHECKS]


def test_every_fixture_metadata_license_and_url_pass(results: dict[str, dict[str, CheckResult]]) -> None:
    for name, by_check in results.items():
        for check in ("metadata_valid", "license_known", "documentation_url_valid"):
            assert by_check[check].status is CheckStatus.PASS, (name, by_check[check])


def test_connector_without_docs_fails_naming_the_expected_page(results: dict[str, dict[str, CheckResult]]) -> None:
    punk = results["source-punk-api"]
    assert punk["docs_present"].status is CheckStatus.FAIL
    assert "docs/integrations/sources/punk-api.md" in punk["docs_present"].message
    assert punk["changelog_entry"].status is CheckStatus.SKIP  # one missing file, one failure
    assert punk["icon_present"].status is CheckStatus.FAIL
    assert "airbyte-integrations/connectors/source-punk-api/icon.svg" in punk["icon_present"].message


def test_pokeapi_passes_icon_docs_changelog_and_base_image(results: dict[str, dict[str, CheckResult]]) -> None:
    poke = results["source-pokeapi"]
    for check in ("icon_present", "icon_square_svg", "docs_present", "changelog_entry", "manifest_only_base_image",
                  "language_tag_matches_files"):
        assert poke[check].status is CheckStatus.PASS, poke[check]
    assert "0.3.50" in poke["changelog_entry"].message
    assert poke["migration_guide"].status is CheckStatus.SKIP  # no breaking changes
    assert poke["destination_sync_modes_table"].status is CheckStatus.SKIP


def test_release_candidate_missing_from_changelog_fails(results: dict[str, dict[str, CheckResult]]) -> None:
    # source-postgres is at 3.7.2-rc.1; its changelog stops at 3.7.1.
    result = results["source-postgres"]["changelog_entry"]
    assert result.status is CheckStatus.FAIL
    assert "docs/integrations/sources/postgres.md" in result.message and "3.7.2-rc.1" in result.message


def test_changelog_rows_found_for_every_other_documented_fixture(results: dict[str, dict[str, CheckResult]]) -> None:
    documented = {n for n, r in results.items() if r["docs_present"].status is CheckStatus.PASS}
    assert documented == set(results) - {"source-punk-api", "destination-bigquery-denormalized"}
    for name in documented - {"source-postgres"}:
        assert results[name]["changelog_entry"].status is CheckStatus.PASS, (name, results[name]["changelog_entry"])


def test_every_fixture_icon_is_a_square_svg(results: dict[str, dict[str, CheckResult]]) -> None:
    for name, by_check in results.items():
        expected = CheckStatus.SKIP if name == "source-punk-api" else CheckStatus.PASS
        assert by_check["icon_square_svg"].status is expected, (name, by_check["icon_square_svg"])


def test_migration_guides(results: dict[str, dict[str, CheckResult]]) -> None:
    for name in ("source-hubspot", "source-shopify", "source-stripe", "destination-snowflake", "source-faker"):
        assert results[name]["migration_guide"].status is CheckStatus.PASS, (name, results[name]["migration_guide"])
    missing = results["destination-bigquery-denormalized"]["migration_guide"]
    assert missing.status is CheckStatus.FAIL
    assert "docs/integrations/destinations/bigquery-denormalized-migrations.md" in missing.message


def test_destination_sync_modes_table(results: dict[str, dict[str, CheckResult]]) -> None:
    assert results["destination-postgres"]["destination_sync_modes_table"].status is CheckStatus.PASS
    assert results["destination-duckdb"]["destination_sync_modes_table"].status is CheckStatus.PASS
    # Snowflake lists its sync modes as bullets, not as a table: Airbyte publishes it, so only advice.
    snowflake = results["destination-snowflake"]["destination_sync_modes_table"]
    assert snowflake.status is CheckStatus.WARN and "docs/integrations/destinations/snowflake.md" in snowflake.message
    # Disabled in both registries: nothing to document for users.
    disabled = results["destination-bigquery-denormalized"]["destination_sync_modes_table"]
    assert disabled.status is CheckStatus.SKIP


def test_language_tag_against_files(results: dict[str, dict[str, CheckResult]]) -> None:
    # The fixtures hold metadata and docs, not code: manifest-only ones have their manifest, the others
    # lack build files, which is what the check must notice.
    assert results["source-hubspot"]["language_tag_matches_files"].status is CheckStatus.PASS
    mysql = results["source-mysql"]["language_tag_matches_files"]
    assert mysql.status is CheckStatus.FAIL and "build.gradle" in mysql.message
    faker = results["source-faker"]["language_tag_matches_files"]
    assert faker.status is CheckStatus.FAIL and "pyproject.toml" in faker.message


def test_version_checks_skip_without_base_ref(results: dict[str, dict[str, CheckResult]]) -> None:
    for by_check in results.values():
        assert by_check["version_bumped"].status is CheckStatus.SKIP
        assert by_check["breaking_change_deadline"].status is CheckStatus.SKIP


def test_manifest_only_base_image_applies_only_to_manifest_only(results: dict[str, dict[str, CheckResult]]) -> None:
    for name in ("source-stripe", "source-hubspot", "source-bigcommerce", "source-zendesk-sell"):
        assert results[name]["manifest_only_base_image"].status is CheckStatus.PASS
    assert results["source-faker"]["manifest_only_base_image"].status is CheckStatus.SKIP
