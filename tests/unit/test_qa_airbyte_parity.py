"""QA is exactly as strict as Airbyte's: real connectors Airbyte published pass, and a copy with
one change that Airbyte would refuse fails.

The real cases come from ../shared (17 connector folders with docs; 678 metadata files with
icons); each failing case is a copy of a real one, in tmp, with one thing changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connector_build.monorepo import Monorepo
from connector_build.qa import CheckResult, CheckStatus, QAContext, run_qa_checks
from tests.conftest import airbyte_fixtures
from tests.unit.test_qa_fixtures import TODAY, build_fixture_monorepo

AIRBYTE_FAILS_TOO = {
    # The changelog of docs/integrations/sources/postgres.md stops at 3.7.1; the tag is 3.7.2-rc.1.
    ("source-postgres", "changelog_entry"),
    # Archived and without an icon, so Airbyte's icon check fails it too.
    ("source-punk-api", "icon_present"),
}
"""Failures on the 17 real connectors that Airbyte's own checks report as well."""

MISSING_FROM_THE_FIXTURES = {
    # The fixtures hold metadata, icon and docs, not code: the language is judged from the files.
    *((name, "language_tag_matches_files") for name in (
        "destination-bigquery-denormalized", "destination-duckdb", "destination-postgres", "destination-snowflake",
        "destination-sqlite", "source-clickhouse", "source-faker", "source-mysql", "source-postgres",
        "source-punk-api", "source-rss", "source-shopify")),
    # Archived connectors whose docs pages were not copied into the fixtures.
    ("destination-bigquery-denormalized", "docs_present"),
    ("destination-bigquery-denormalized", "migration_guide"),
    ("source-punk-api", "docs_present"),
}
"""Failures caused by a file the fixture folders do not carry (Airbyte's checks need it too)."""


def run_all(root: Path) -> dict[str, dict[str, CheckResult]]:
    repo = Monorepo.open(root)
    found = repo.discover()
    assert not found.invalid, found.invalid
    context = QAContext(repo, today=TODAY)
    return {name: {r.name: r for r in run_qa_checks(c, context)} for name, c in found.connectors.items()}


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_monorepo(tmp_path_factory.mktemp("parity-repo"))


def copy_connector(root: Path, fixture: Path, name: str | None = None) -> Path:
    """A writable copy of a real connector folder inside the monorepo at ``root`` (renamed: its
    dockerRepository follows the folder name, as the loader requires)."""
    target = root / "airbyte-integrations" / "connectors" / (name or fixture.name)
    shutil.copytree(fixture, target, symlinks=False)
    for item in [target, *target.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)
    if name:
        metadata = target / "metadata.yaml"
        metadata.write_text(metadata.read_text().replace(f"airbyte/{fixture.name}\n", f"airbyte/{name}\n"))
    return target


def test_no_check_fails_a_real_connector_that_airbyte_passes(fixture_repo: Path) -> None:
    results = run_all(fixture_repo)
    failures = {(name, check) for name, by_check in results.items()
                for check, result in by_check.items() if result.failed}
    assert failures == AIRBYTE_FAILS_TOO | MISSING_FROM_THE_FIXTURES


def test_icon_check_is_airbyte_s(tmp_path: Path) -> None:
    pokeapi = airbyte_fixtures("connectors", "source-pokeapi")
    grafana = airbyte_fixtures("metadata-2026-02-28", "source-grafana")
    kvdb = airbyte_fixtures("metadata-2026-02-28", "destination-kvdb")
    copy_connector(tmp_path, pokeapi)
    copy_connector(tmp_path, grafana)
    copy_connector(tmp_path, kvdb)
    default_icon = copy_connector(tmp_path, pokeapi, "source-pokeapi-default-icon")
    shutil.copyfile(grafana / "icon.svg", default_icon / "icon.svg")
    not_svg = copy_connector(tmp_path, pokeapi, "source-pokeapi-png-icon")
    (not_svg / "icon.svg").write_bytes(b"\x89PNG\r\n\x1a\n")
    results = run_all(tmp_path)

    assert results["source-pokeapi"]["icon_present"].status is CheckStatus.PASS
    # A 129x128 viewBox: Airbyte published it; squareness is advice only.
    assert results["destination-kvdb"]["icon_present"].status is CheckStatus.PASS
    square = results["destination-kvdb"]["icon_square_svg"]
    assert square.status is CheckStatus.WARN and "129 wide and 128 high" in square.message
    # source-grafana really ships the default Airbyte icon: Airbyte's check fails it as well.
    for name in ("source-grafana", "source-pokeapi-default-icon"):
        result = results[name]["icon_present"]
        assert result.status is CheckStatus.FAIL and "default Airbyte icon" in result.message, name
    assert "not an SVG document" in results["source-pokeapi-png-icon"]["icon_present"].message


def test_strict_encrypt_variant_docs_are_its_base_connector_s_page(tmp_path: Path) -> None:
    root = build_fixture_monorepo(tmp_path)
    variant = airbyte_fixtures("metadata-2026-02-28", "source-clickhouse-strict-encrypt")
    copy_connector(root, variant)
    renamed = copy_connector(root, variant, "source-clickhouse-renamed-strict-encrypt")
    metadata = renamed / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace(
        "integrations/sources/clickhouse\n", "integrations/sources/clickhouse-renamed\n"))
    results = run_all(root)
    passed = results["source-clickhouse-strict-encrypt"]["docs_present"]
    assert passed.status is CheckStatus.PASS and passed.message == "docs/integrations/sources/clickhouse.md"
    failed = results["source-clickhouse-renamed-strict-encrypt"]["docs_present"]
    assert failed.status is CheckStatus.FAIL and "docs/integrations/sources/clickhouse-renamed.md" in failed.message


def test_sync_modes_table_is_advice(fixture_repo: Path) -> None:
    results = run_all(fixture_repo)
    snowflake = results["destination-snowflake"]["destination_sync_modes_table"]
    assert snowflake.status is CheckStatus.WARN and not snowflake.failed
    assert results["destination-postgres"]["destination_sync_modes_table"].status is CheckStatus.PASS
