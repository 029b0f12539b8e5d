"""QA is exactly as strict as Airbyte's: real connectors Airbyte published pass, and a copy with
one change that Airbyte would refuse fails.

The real cases come from ../shared (17 connector folders with docs; 678 metadata files with
icons); each failing case is a copy of a real one, in tmp, with one thing changed.
"""

from __future__ import annotations

import re
import shutil
import uuid
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
    # Python connectors: pyproject.toml (version, license) is code the fixtures do not carry.
    *((name, check) for name in ("destination-duckdb", "destination-sqlite", "source-faker", "source-punk-api",
                                 "source-rss", "source-shopify")
      for check in ("license_matches_pyproject", "version_matches_pyproject")),
    # Tagged cdk:low-code, but its source_punk_api/manifest.yaml is not in the fixture.
    ("source-punk-api", "cdk_tag_matches_code"),
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
        text = metadata.read_text().replace(f"airbyte/{fixture.name}\n", f"airbyte/{name}\n")
        metadata.write_text(re.sub(r"(definitionId: )\S+", rf"\g<1>{copy_id(name)}", text, count=1))
    return target


def copy_id(name: str) -> str:
    """A renamed copy's own definitionId (discovery refuses two connectors sharing one)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name))


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


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


@pytest.fixture
def real_repo(tmp_path: Path) -> Path:
    """Writable copies of a few real connectors (their metadata, icon, manifest), in tmp."""
    for name in ("source-faker", "source-rss", "source-stripe", "source-pokeapi"):
        copy_connector(tmp_path, airbyte_fixtures("connectors", name))
    return tmp_path


def test_cdk_tag_matches_the_code(real_repo: Path) -> None:
    rss = airbyte_fixtures("connectors", "source-rss")
    wrong = copy_connector(real_repo, rss, "source-rss-tagged-python")
    edit(wrong / "metadata.yaml", "cdk:low-code", "cdk:python")
    (wrong / "source_rss").rename(wrong / "source_rss_tagged_python")
    file_based = copy_connector(real_repo, airbyte_fixtures("connectors", "source-faker"), "source-faker-file-based")
    (file_based / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\nairbyte-cdk = { version = "^6", extras = ["file-based"] }\n')
    results = run_all(real_repo)
    # Real: source-rss embeds source_rss/manifest.yaml (low-code); source-faker is plain Python.
    assert results["source-rss"]["cdk_tag_matches_code"].status is CheckStatus.PASS
    assert results["source-faker"]["cdk_tag_matches_code"].status is CheckStatus.PASS
    assert results["source-pokeapi"]["cdk_tag_matches_code"].status is CheckStatus.SKIP  # manifest-only
    message = results["source-rss-tagged-python"]["cdk_tag_matches_code"].message
    assert "'cdk:python' does not match the code, which needs 'cdk:low-code'" in message
    message = results["source-faker-file-based"]["cdk_tag_matches_code"].message
    assert "needs 'cdk:python-file-based'" in message


def test_certified_sources_set_max_seconds_between_messages(real_repo: Path) -> None:
    silent = copy_connector(real_repo, airbyte_fixtures("connectors", "source-stripe"), "source-stripe-silent")
    edit(silent / "metadata.yaml", "  maxSecondsBetweenMessages: 86400\n", "")
    results = run_all(real_repo)
    assert results["source-stripe"]["max_seconds_between_messages"].status is CheckStatus.PASS
    assert results["source-faker"]["max_seconds_between_messages"].status is CheckStatus.SKIP  # community
    failed = results["source-stripe-silent"]["max_seconds_between_messages"]
    assert failed.status is CheckStatus.FAIL and "maxSecondsBetweenMessages" in failed.message


def test_python_sources_declare_pypi_publishing(real_repo: Path) -> None:
    undeclared = copy_connector(real_repo, airbyte_fixtures("connectors", "source-faker"), "source-faker-no-pypi")
    edit(undeclared / "metadata.yaml", "  remoteRegistries:\n    pypi:\n      enabled: true\n"
         "      packageName: airbyte-source-faker\n", "")
    results = run_all(real_repo)
    assert results["source-faker"]["pypi_publishing_declared"].status is CheckStatus.PASS
    assert results["source-pokeapi"]["pypi_publishing_declared"].status is CheckStatus.SKIP  # manifest-only
    assert results["source-faker-no-pypi"]["pypi_publishing_declared"].status is CheckStatus.FAIL


def test_python_connectors_use_the_base_image_not_a_dockerfile(real_repo: Path) -> None:
    faker = airbyte_fixtures("connectors", "source-faker")
    dockerfile = copy_connector(real_repo, faker, "source-faker-dockerfile")
    (dockerfile / "Dockerfile").write_text("FROM python:3.11\n")
    no_image = copy_connector(real_repo, faker, "source-faker-no-base-image")
    edit(no_image / "metadata.yaml", "  connectorBuildOptions:\n", "  connectorBuildOptionsGone:\n")
    edit(no_image / "metadata.yaml", "  connectorBuildOptionsGone:\n    baseImage: ", "  # was: ")
    results = run_all(real_repo)
    assert results["source-faker"]["python_base_image"].status is CheckStatus.PASS
    result = results["source-faker-dockerfile"]["python_base_image"]
    assert result.status is CheckStatus.FAIL and "source-faker-dockerfile/Dockerfile exists" in result.message
    result = results["source-faker-no-base-image"]["python_base_image"]
    assert result.status is CheckStatus.FAIL and "no connectorBuildOptions.baseImage" in result.message


def test_https_only_with_airbyte_s_exemptions(real_repo: Path) -> None:
    pokeapi = airbyte_fixtures("connectors", "source-pokeapi")
    plain = copy_connector(real_repo, pokeapi, "source-pokeapi-plain-http")
    edit(plain / "manifest.yaml", "https://pokeapi.co", "http://pokeapi.co")
    exempt = copy_connector(real_repo, pokeapi, "source-pokeapi-exempt")
    (exempt / "unit_tests").mkdir()
    (exempt / "unit_tests" / "test_x.py").write_text("URL = 'http://example.com'\n")
    (exempt / "components.py").write_text("# see http://example.com\nURL = 'http://example.com'  # ignore-https-check\n"
                                          "LOCAL = 'http://localhost:8000'\n")
    results = run_all(real_repo)
    # The real manifest only has http://json-schema.org URLs, which Airbyte exempts.
    assert results["source-pokeapi"]["https_only"].status is CheckStatus.PASS
    assert results["source-pokeapi-exempt"]["https_only"].status is CheckStatus.PASS
    result = results["source-pokeapi-plain-http"]["https_only"]
    assert result.status is CheckStatus.FAIL and "source-pokeapi-plain-http/manifest.yaml:" in result.message


def test_sources_used_much_in_cloud_enable_acceptance_tests(real_repo: Path) -> None:
    from connector_build.qa.checks_testing import cloud_usage_from_registry

    faker = airbyte_fixtures("connectors", "source-faker")
    untested = copy_connector(real_repo, faker, "source-faker-untested")
    edit(untested / "metadata.yaml", "    - suite: acceptanceTests\n", "    - suite: integrationTests\n")
    registry = real_repo / "cloud_registry.json"
    registry.write_text(
        '{"sources": [{"sourceDefinitionId": "dfd88b22-b603-4c3d-aad7-3701784586b1",'
        ' "generated": {"metrics": {"cloud": {"usage": "high"}}}},'
        f' {{"sourceDefinitionId": "{copy_id("source-faker-untested")}",'
        ' "generated": {"metrics": {"cloud": {"usage": "medium"}}}}], "destinations": []}')
    repo = Monorepo.open(real_repo)
    found = repo.discover()
    context = QAContext(repo, today=TODAY, cloud_usage=cloud_usage_from_registry(registry))
    results = {name: {r.name: r for r in run_qa_checks(c, context)} for name, c in found.connectors.items()}
    assert results["source-faker"]["acceptance_tests_enabled"].status is CheckStatus.PASS
    failed = results["source-faker-untested"]["acceptance_tests_enabled"]
    assert failed.status is CheckStatus.FAIL and "medium cloud usage" in failed.message
    unknown = results["source-stripe"]["acceptance_tests_enabled"]
    assert unknown.status is CheckStatus.SKIP and "cloud usage unknown" in unknown.message


def test_migration_guide_title_and_headings_as_airbyte_reads_them(tmp_path: Path) -> None:
    root = build_fixture_monorepo(tmp_path)
    shopify = airbyte_fixtures("connectors", "source-shopify")
    guide = (shopify / "docs-migrations.md").read_text()
    for name, text in {
        "source-shopify-bad-title": guide.replace("# Shopify Migration Guide", "# Shopify migration guide", 1),
        "source-shopify-unordered": guide.replace("## Upgrading to 2.6.1", "## Upgrading to 2.6.one", 1),
    }.items():
        copy_connector(root, shopify, name)
        (root / "docs" / "integrations" / "sources" / f"{name.removeprefix('source-')}-migrations.md").write_text(text)
    results = run_all(root)
    for name in ("source-shopify", "source-hubspot", "source-stripe", "source-faker", "destination-snowflake",
                 "destination-postgres", "destination-duckdb", "source-mysql", "source-rss"):
        assert results[name]["migration_guide"].status is CheckStatus.PASS, (name, results[name]["migration_guide"])
    assert "the first line must be '# Shopify Migration Guide'" in \
        results["source-shopify-bad-title"]["migration_guide"].message
    assert "found 3.0.0, 2.6.one" in results["source-shopify-unordered"]["migration_guide"].message


def test_pyproject_version_and_license_match_metadata(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    weather = EXAMPLES / "airbyte-integrations" / "connectors" / "source-tiny-weather"
    copy_connector(tmp_path, weather)
    bumped = copy_connector(tmp_path, weather, "source-tiny-weather-bumped")
    edit(bumped / "metadata.yaml", "dockerImageTag: 0.2.0", "dockerImageTag: 0.2.1")
    relicensed = copy_connector(tmp_path, weather, "source-tiny-weather-relicensed")
    edit(relicensed / "pyproject.toml", 'license = "MIT"', 'license = "ELv2"')
    repo = Monorepo.open(tmp_path)
    context = QAContext(repo, today=TODAY)
    results = {n: {r.name: r for r in run_qa_checks(c, context)} for n, c in repo.discover().connectors.items()}
    for check in ("version_matches_pyproject", "license_matches_pyproject"):
        assert results["source-tiny-weather"][check].status is CheckStatus.PASS, results["source-tiny-weather"][check]
    version = results["source-tiny-weather-bumped"]["version_matches_pyproject"]
    assert version.status is CheckStatus.FAIL and "tool.poetry.version is '0.2.0' but metadata.yaml says '0.2.1'" \
        in version.message
    license_result = results["source-tiny-weather-relicensed"]["license_matches_pyproject"]
    assert license_result.status is CheckStatus.FAIL and "'ELv2' but metadata.yaml says 'MIT'" in license_result.message


def test_uses_poetry_runs_on_unreleased_versions_only(tmp_path: Path) -> None:
    from tests.unit.test_qa_version import git

    git(tmp_path, "init", "-q", "-b", "main")
    faker = copy_connector(tmp_path, airbyte_fixtures("connectors", "source-faker"))
    (faker / "pyproject.toml").write_text('[tool.poetry]\nname = "source-faker"\nversion = "6.2.38"\n')
    (faker / "poetry.lock").write_text("# lock\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "faker")
    git(tmp_path, "checkout", "-q", "-b", "feature")

    def uses_poetry() -> CheckResult:
        repo = Monorepo.open(tmp_path)
        connector = repo.load_connector(faker)
        return next(r for r in run_qa_checks(connector, QAContext(repo, base_ref="main", today=TODAY))
                    if r.name == "uses_poetry")

    released = uses_poetry()
    assert released.status is CheckStatus.SKIP and "6.2.38 is already released at main" in released.message
    edit(faker / "metadata.yaml", "dockerImageTag: 6.2.38", "dockerImageTag: 6.2.39")
    assert uses_poetry().status is CheckStatus.PASS
    (faker / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    assert "setup.py exists" in uses_poetry().message
    (faker / "setup.py").unlink()
    (faker / "poetry.lock").unlink()
    result = uses_poetry()
    assert result.status is CheckStatus.FAIL and "no poetry.lock" in result.message


def test_docs_headers_order_for_strategic_python_sources(tmp_path: Path) -> None:
    root = build_fixture_monorepo(tmp_path)
    shopify = airbyte_fixtures("connectors", "source-shopify")
    renamed = copy_connector(root, shopify, "source-shopify-renamed-streams")
    edit(renamed / "metadata.yaml", "integrations/sources/shopify\n", "integrations/sources/shopify-renamed-streams\n")
    page = (shopify / "docs.md").read_text()
    (root / "docs" / "integrations" / "sources" / "shopify-renamed-streams.md").write_text(
        page.replace("\n## Supported Streams\n", "\n## Streams\n", 1))
    guide = (root / "docs" / "integrations" / "sources" / "shopify-renamed-streams-migrations.md")
    guide.write_text("---\ntitle: x\n---\nimport Thing from 'thing';\n\n"
                     + (shopify / "docs-migrations.md").read_text())
    results = run_all(root)
    # source-shopify is a Python source with ab_internal.sl 300: Airbyte checks its headings.
    assert results["source-shopify"]["docs_headers_order"].status is CheckStatus.PASS
    assert results["source-stripe"]["docs_headers_order"].status is CheckStatus.SKIP  # manifest-only
    assert results["source-faker"]["docs_headers_order"].status is CheckStatus.SKIP  # sl 100
    failed = results["source-shopify-renamed-streams"]["docs_headers_order"]
    assert failed.status is CheckStatus.FAIL and "'Streams'" in failed.message
    # Airbyte reads the guide's very first line: front matter or an MDX import before the title fails.
    guide_result = results["source-shopify-renamed-streams"]["migration_guide"]
    assert guide_result.status is CheckStatus.FAIL and "the first line must be '# Shopify Migration Guide', not '---'" \
        in guide_result.message


def test_version_increment_rules_on_real_release_candidates_and_the_opt_out(tmp_path: Path) -> None:
    from tests.unit.test_qa_version import git

    git(tmp_path, "init", "-q", "-b", "main")
    stripe = copy_connector(tmp_path, airbyte_fixtures("connectors", "source-stripe"))
    bigquery = copy_connector(tmp_path, airbyte_fixtures("metadata-2026-02-28", "destination-bigquery"))
    edit(stripe / "metadata.yaml", "dockerImageTag: 5.15.21-rc.2", "dockerImageTag: 5.15.21-rc.1")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (stripe / "manifest.yaml").write_text((stripe / "manifest.yaml").read_text() + "# changed\n")
    (bigquery / "icon.svg").write_text((bigquery / "icon.svg").read_text() + "\n")

    def bumped(name: str) -> CheckResult:
        repo = Monorepo.open(tmp_path)
        connector = repo.load_connector(tmp_path / "airbyte-integrations" / "connectors" / name)
        return next(r for r in run_qa_checks(connector, QAContext(repo, base_ref="main", today=TODAY))
                    if r.name == "version_bumped")

    # Real: source-stripe went 5.15.21-rc.1 -> 5.15.21-rc.2, the same release's next candidate.
    edit(stripe / "metadata.yaml", "dockerImageTag: 5.15.21-rc.1", "dockerImageTag: 5.15.21-rc.2")
    assert bumped("source-stripe").status is CheckStatus.PASS
    edit(stripe / "metadata.yaml", "dockerImageTag: 5.15.21-rc.2", "dockerImageTag: 5.15.22-rc.1")
    assert "must differ only in the -rc.N part" in bumped("source-stripe").message
    # Real: destination-bigquery opts out with ab_internal.requireVersionIncrementsInPullRequests: false.
    opted_out = bumped("destination-bigquery")
    assert opted_out.status is CheckStatus.SKIP and "opted out" in opted_out.message
    edit(bigquery / "metadata.yaml", "requireVersionIncrementsInPullRequests: false",
         "requireVersionIncrementsInPullRequests: true")
    assert bumped("destination-bigquery").status is CheckStatus.FAIL


@pytest.mark.parametrize(("check", "old", "new", "expected"), [
    ("metadata_valid", "  license: ELv2\n", "  license: ELv2\n  notAField: 1\n", "notAField"),
    ("license_known", "license: ELv2", "license: Apache-2.0", "'Apache-2.0' is not MIT or ELv2"),
    ("documentation_url_valid", "documentationUrl: https://docs.airbyte.com/integrations/sources/pokeapi",
     "documentationUrl: docs.airbyte.com/integrations/sources/pokeapi", "is not an http(s) URL"),
    ("manifest_only_base_image", "docker.io/airbyte/source-declarative-manifest:",
     "docker.io/airbyte/python-connector-base:", "is not docker.io/airbyte/source-declarative-manifest"),
    ("language_tag_matches_files", "language:manifest-only", "language:python", "no pyproject.toml"),
    ("changelog_entry", "dockerImageTag: 0.3.50", "dockerImageTag: 0.3.51", "no row for the current version 0.3.51"),
    ("major_bump_documented", "dockerImageTag: 0.3.50", "dockerImageTag: 1.0.0",
     "needs a releases.breakingChanges.'1.0.0' entry"),
])
def test_a_real_connector_passes_and_a_copy_with_one_change_fails(tmp_path: Path, check: str, old: str, new: str,
                                                                   expected: str) -> None:
    root = build_fixture_monorepo(tmp_path)
    changed = copy_connector(root, airbyte_fixtures("connectors", "source-pokeapi"), "source-pokeapi-changed")
    edit(changed / "metadata.yaml", old, new)
    results = run_all(root)  # an unknown field is a strict-mode problem only: discovery still loads it
    assert results["source-pokeapi"][check].status is CheckStatus.PASS, results["source-pokeapi"][check]
    result = results["source-pokeapi-changed"][check]
    assert result.status is CheckStatus.FAIL and expected in result.message, result


def test_breaking_change_deadline_on_hubspot_s_real_6_0_0(tmp_path: Path) -> None:
    import datetime as dt

    from tests.unit.test_qa_version import git

    git(tmp_path, "init", "-q", "-b", "main")
    hubspot = copy_connector(tmp_path, airbyte_fixtures("connectors", "source-hubspot"))
    edit(hubspot / "metadata.yaml", "dockerImageTag: 6.2.2", "dockerImageTag: 5.9.0")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    edit(hubspot / "metadata.yaml", "dockerImageTag: 5.9.0", "dockerImageTag: 6.0.0")

    def deadline(today: dt.date) -> CheckResult:
        repo = Monorepo.open(tmp_path)
        connector = repo.load_connector(hubspot)
        return next(r for r in run_qa_checks(connector, QAContext(repo, base_ref="main", today=today))
                    if r.name == "breaking_change_deadline")

    # The real 6.0.0 entry has upgradeDeadline 2025-09-30: a month's notice when released in August.
    assert deadline(dt.date(2025, 8, 30)).status is CheckStatus.PASS
    result = deadline(dt.date(2025, 9, 27))
    assert result.status is CheckStatus.FAIL and "2025-09-30 is 3 day(s) after 2025-09-27" in result.message
