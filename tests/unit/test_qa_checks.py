"""QA checks on small connectors written for each case: what passes, what fails, and the message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connector_build.connector import Connector
from connector_build.monorepo import Monorepo
from connector_build.problems import UserError
from connector_build.qa import CheckStatus, QAContext, run_qa_checks, select_checks
from connector_build.qa.checks_metadata import image_name
from connector_build.qa.model import CheckResult
from pipelines.qa_step import qa_step_result
from pipelines.results import StepStatus
from tests.conftest import write_connector

SQUARE_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24"/></svg>'
DIGEST = "a" * 64


PYTHON_METADATA = f"""data:
  remoteRegistries:
    pypi:
      enabled: false
      packageName: airbyte-source-alpha
  connectorBuildOptions:
    baseImage: docker.io/airbyte/python-connector-base:4.0.2@sha256:{DIGEST}
"""


def pyproject_text(version: str, license_name: str = "MIT") -> str:
    return (f'[tool.poetry]\nname = "x"\nversion = "{version}"\nlicense = "{license_name}"\n\n'
            '[tool.poetry.dependencies]\npython = "^3.10"\nairbyte-cdk = "^6"\n')


def docs_text(version: str, extra: str = "") -> str:
    return (f"# Thing\n\n{extra}\n## Changelog\n\n<details>\n\n| Version | Date | Pull Request | Subject |\n"
            f"|:--|:--|:--|:--|\n| {version} | 2026-01-01 | [1](https://x) | First |\n\n</details>\n")


def complete_connector(root: Path, name: str, version: str = "0.1.0", extra: str = "",
                       language: str = "python") -> Path:
    """A connector that passes every check that applies without a base ref."""
    folder = write_connector(root, name, version=version, extra=extra, language=language)
    (folder / "icon.svg").write_text(SQUARE_ICON, encoding="utf-8")
    if language == "python":
        metadata = folder / "metadata.yaml"
        metadata.write_text(metadata.read_text().replace("data:\n", PYTHON_METADATA, 1).replace(
            "    - language:python\n", "    - language:python\n    - cdk:python\n", 1))
        (folder / "pyproject.toml").write_text(pyproject_text(version), encoding="utf-8")
        (folder / "poetry.lock").write_text("# poetry lock\n", encoding="utf-8")
    kind, slug = name.split("-", 1)
    docs = root / "docs" / "integrations" / f"{kind}s"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / f"{slug}.md").write_text(docs_text(version), encoding="utf-8")
    return folder


def load(root: Path, name: str) -> tuple[Connector, QAContext]:
    repo = Monorepo.open(root)
    connector = repo.load_connector(root / "airbyte-integrations" / "connectors" / name)
    return connector, QAContext(repo, today=dt.date(2026, 3, 1))


def run(root: Path, name: str) -> dict[str, CheckResult]:
    connector, context = load(root, name)
    return {r.name: r for r in run_qa_checks(connector, context)}


def test_complete_connector_fails_nothing(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    results = run(tmp_path, "source-alpha")
    assert [r for r in results.values() if r.status is CheckStatus.FAIL] == []
    assert results["docs_present"].status is CheckStatus.PASS


@pytest.mark.parametrize(("icon", "expected"), [
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 24"/>', "viewBox '0 0 48 24' is 48 wide and 24 high"),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"/>', "width '100', height '50'"),
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0,0,10,10" width="20" height="10"/>', "width '20'"),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%"/>', "shape is unknown"),
    ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10"/>', "malformed viewBox"),
    ("<html><body/></html>", "root element is <html>, not <svg>"),
    ("\x89PNG\r\n\x1a\n not xml at all", "not well-formed XML"),
])
def test_icon_not_square_is_a_warning_never_a_failure(tmp_path: Path, icon: str, expected: str) -> None:
    folder = complete_connector(tmp_path, "source-alpha")
    (folder / "icon.svg").write_text(icon, encoding="utf-8")
    result = run(tmp_path, "source-alpha")["icon_square_svg"]
    assert result.status is CheckStatus.WARN and not result.failed
    assert expected in result.message
    assert result.message.startswith("airbyte-integrations/connectors/source-alpha/icon.svg ")


@pytest.mark.parametrize("icon", [
    '<svg xmlns="http://www.w3.org/2000/svg" width="250" height="250" fill="none"/>',
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300.0 300" width="64px" height="64px"/>',
    '<svg viewBox="-5 -5 10 10"/>',
])
def test_square_svgs_pass(tmp_path: Path, icon: str) -> None:
    folder = complete_connector(tmp_path, "source-alpha")
    (folder / "icon.svg").write_text(icon, encoding="utf-8")
    assert run(tmp_path, "source-alpha")["icon_square_svg"].status is CheckStatus.PASS


def test_docs_dir_comes_from_the_monorepo_settings(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    (tmp_path / "pyproject.toml").write_text('[tool.connector-pipelines]\ndocs-dir = "site/connectors"\n')
    result = run(tmp_path, "source-alpha")["docs_present"]
    assert result.status is CheckStatus.FAIL
    assert "site/connectors/sources/alpha.md" in result.message
    page = tmp_path / "site" / "connectors" / "sources" / "alpha.md"
    page.parent.mkdir(parents=True)
    page.write_text(docs_text("0.1.0"))
    assert run(tmp_path, "source-alpha")["docs_present"].status is CheckStatus.PASS


@pytest.mark.parametrize(("docs", "expected"), [
    ("# Alpha\n\nNo changelog here.\n| 0.2.0 | 2026 |\n", "no 'Changelog' heading"),
    ("# Alpha\n| 0.2.0 | before the heading |\n## Changelog\n| 0.1.0 | 2026 |\n",
     "no row for the current version 0.2.0"),
    ("# Alpha\n## Changelog\n| 0.2.01 | 2026 |\n| 10.2.0 | x |\n", "no row for the current version 0.2.0"),
])
def test_changelog_needs_a_row_for_the_current_version_after_the_heading(tmp_path: Path, docs: str,
                                                                         expected: str) -> None:
    complete_connector(tmp_path, "source-alpha", version="0.2.0")
    (tmp_path / "docs" / "integrations" / "sources" / "alpha.md").write_text(docs)
    result = run(tmp_path, "source-alpha")["changelog_entry"]
    assert result.status is CheckStatus.FAIL
    assert expected in result.message and "docs/integrations/sources/alpha.md" in result.message


def test_changelog_accepts_a_line_mentioning_the_version_as_airbyte_does(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha", version="0.2.0")
    (tmp_path / "docs" / "integrations" / "sources" / "alpha.md").write_text(
        "# Alpha\n## Changelog\n| 2026-01-01 | 0.2.0 | bump |\n")
    result = run(tmp_path, "source-alpha")["changelog_entry"]
    assert result.status is CheckStatus.PASS and "alpha.md:3" in result.message


def test_changelog_heading_inside_a_code_block_does_not_count(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha", version="0.2.0")
    text = "# Alpha\n```\n## Changelog\n| 0.2.0 | x |\n```\n"
    (tmp_path / "docs" / "integrations" / "sources" / "alpha.md").write_text(text)
    assert "no 'Changelog' heading" in run(tmp_path, "source-alpha")["changelog_entry"].message


def test_license_and_documentation_url(tmp_path: Path) -> None:
    folder = complete_connector(tmp_path, "source-alpha")
    metadata = folder / "metadata.yaml"
    text = metadata.read_text()
    metadata.write_text(text.replace("license: MIT", "license: Apache-2.0")
                        .replace("documentationUrl: https://docs.example.com/source-alpha",
                                 "documentationUrl: docs.example.com/source-alpha"))
    results = run(tmp_path, "source-alpha")
    assert results["license_known"].status is CheckStatus.FAIL
    assert "'Apache-2.0' is not MIT or ELv2" in results["license_known"].message
    assert results["documentation_url_valid"].status is CheckStatus.FAIL
    assert "'docs.example.com/source-alpha'" in results["documentation_url_valid"].message
    metadata.write_text(text.replace("license: MIT", "license: elv2"))
    assert run(tmp_path, "source-alpha")["license_known"].status is CheckStatus.PASS


def test_metadata_valid_is_strict(tmp_path: Path) -> None:
    # Loads in the lenient mode every command uses, but Airbyte's validator rejects unknown fields.
    complete_connector(tmp_path, "source-alpha", extra="  notAField: 1\n")
    result = run(tmp_path, "source-alpha")["metadata_valid"]
    assert result.status is CheckStatus.FAIL
    assert "metadata.yaml" in result.message and "data.notAField" in result.message


def test_manifest_only_base_image(tmp_path: Path) -> None:
    wrong = f"  connectorBuildOptions:\n    baseImage: docker.io/airbyte/python-connector-base:4.0.0@sha256:{DIGEST}\n"
    folder = complete_connector(tmp_path, "source-alpha", language="manifest-only", extra=wrong)
    (folder / "manifest.yaml").write_text("version: 6.0.0\n")
    result = run(tmp_path, "source-alpha")["manifest_only_base_image"]
    assert result.status is CheckStatus.FAIL and "docker.io/airbyte/python-connector-base" in result.message
    right = wrong.replace("python-connector-base:4.0.0", "source-declarative-manifest:6.51.0")
    (folder / "metadata.yaml").write_text((folder / "metadata.yaml").read_text().replace(wrong, right))
    assert run(tmp_path, "source-alpha")["manifest_only_base_image"].status is CheckStatus.PASS


def test_image_name_strips_tag_and_digest_but_keeps_a_registry_port() -> None:
    assert image_name(f"docker.io/airbyte/x:1.0@sha256:{DIGEST}") == "docker.io/airbyte/x"
    assert image_name("localhost:5000/airbyte/x:1.0") == "localhost:5000/airbyte/x"
    assert image_name("airbyte/x") == "airbyte/x"


def test_language_tag_must_be_single_and_match_files(tmp_path: Path) -> None:
    folder = complete_connector(tmp_path, "source-alpha", extra="    - language:java\n")
    # the template's tags list ends the file, so the extra line becomes a second tag
    result = run(tmp_path, "source-alpha")["language_tag_matches_files"]
    assert result.status is CheckStatus.FAIL and "exactly one language: tag, found 2" in result.message
    (folder / "metadata.yaml").write_text((folder / "metadata.yaml").read_text().replace("    - language:java\n", ""))
    (folder / "pyproject.toml").unlink()
    result = run(tmp_path, "source-alpha")["language_tag_matches_files"]
    assert result.status is CheckStatus.FAIL and "pyproject.toml" in result.message


BREAKING = """\
  releases:
    breakingChanges:
      1.0.0:
        upgradeDeadline: "2026-04-01"
        message: "Renamed streams."
      2.0.0:
        upgradeDeadline: "2026-05-01"
        message: "New auth."
"""


def test_migration_guide_needs_a_heading_per_breaking_change(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha", version="2.0.0", extra=BREAKING)
    result = run(tmp_path, "source-alpha")["migration_guide"]
    assert result.status is CheckStatus.FAIL
    assert "docs/integrations/sources/alpha-migrations.md" in result.message
    guide = tmp_path / "docs" / "integrations" / "sources" / "alpha-migrations.md"
    guide.write_text("# Source-Alpha Migration Guide\n\n## Upgrading to 2.0.0\n\nDo this.\n## Upgrading to 1.0.01\n")
    result = run(tmp_path, "source-alpha")["migration_guide"]
    assert result.status is CheckStatus.FAIL and "newest first: '## Upgrading to 2.0.0', '## Upgrading to 1.0.0'" \
        in result.message and result.message.endswith("(found 2.0.0, 1.0.01)")
    guide.write_text("# Alpha Migration Guide\n\n## Upgrading to 2.0.0\n\n## Upgrading to 1.0.0\n")
    result = run(tmp_path, "source-alpha")["migration_guide"]
    assert result.status is CheckStatus.FAIL
    assert "alpha-migrations.md: the first line must be " \
        "'# Source-Alpha Migration Guide'" in result.message
    guide.write_text("# Source-Alpha Migration Guide\n\n## Upgrading to 1.0.0\n\n## Upgrading to 2.0.0\n")
    assert run(tmp_path, "source-alpha")["migration_guide"].status is CheckStatus.FAIL
    guide.write_text("# Source-Alpha Migration Guide\n\n## Upgrading to 2.0.0\n\n## Upgrading to 1.0.0\n")
    assert run(tmp_path, "source-alpha")["migration_guide"].status is CheckStatus.PASS


def test_sync_modes_table_for_destinations_enabled_in_a_registry(tmp_path: Path) -> None:
    enabled = "  registryOverrides:\n    oss:\n      enabled: true\n    cloud:\n      enabled: false\n"
    complete_connector(tmp_path, "destination-beta", extra=enabled)
    result = run(tmp_path, "destination-beta")["destination_sync_modes_table"]
    assert result.status is CheckStatus.WARN and "docs/integrations/destinations/beta.md" in result.message
    table = "| Feature | Supported |\n|:--|:--|\n| Full Refresh Sync | Yes |\n"
    (tmp_path / "docs" / "integrations" / "destinations" / "beta.md").write_text(docs_text("0.1.0", table))
    assert run(tmp_path, "destination-beta")["destination_sync_modes_table"].status is CheckStatus.PASS


def test_major_version_without_base_needs_its_breaking_change(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha", version="3.0.0", extra=BREAKING.replace("2.0.0", "3.0.0"))
    assert run(tmp_path, "source-alpha")["major_bump_documented"].status is CheckStatus.PASS


def test_select_checks_rejects_unknown_names() -> None:
    assert [c.name for c in select_checks(["icon_present", "docs_present"])] == ["icon_present", "docs_present"]
    with pytest.raises(UserError, match="no QA check named 'icon'"):
        select_checks(["icon"])


def test_unreadable_docs_are_a_failure_not_a_crash(tmp_path: Path) -> None:
    complete_connector(tmp_path, "source-alpha")
    (tmp_path / "docs" / "integrations" / "sources" / "alpha.md").write_bytes(b"## Changelog\n| \xff\xfe |\n")
    result = run(tmp_path, "source-alpha")["changelog_entry"]
    assert result.status is CheckStatus.FAIL and "cannot read" in result.message


def test_qa_step_result() -> None:
    failing = [CheckResult("icon_present", CheckStatus.PASS, "ok"),
               CheckResult("docs_present", CheckStatus.FAIL, "no documentation page: expected docs/x.md"),
               CheckResult("version_bumped", CheckStatus.SKIP, "no --base-ref given")]
    step = qa_step_result(failing, duration_s=0.25)
    assert step.name == "qa" and step.status is StepStatus.FAILURE and step.duration_s == 0.25
    assert step.summary == "1 of 3 checks failed: docs_present"
    assert step.log_tail[0] == "✗ docs_present: no documentation page: expected docs/x.md"
    assert step.details["checks"][1] == {"name": "docs_present", "status": "fail",
                                         "message": "no documentation page: expected docs/x.md"}
    passing = qa_step_result([failing[0], failing[2]])
    assert passing.status is StepStatus.SUCCESS and passing.summary == "1 passed, 1 skipped"
    assert qa_step_result([failing[2]]).status is StepStatus.SKIPPED
    assert qa_step_result([]).status is StepStatus.SKIPPED


def test_an_advice_warning_is_shown_and_never_fails_the_step() -> None:
    results = [CheckResult("icon_present", CheckStatus.PASS, "ok"),
               CheckResult("icon_square_svg", CheckStatus.WARN, "icon.svg is not square: viewBox '0 0 129 128'")]
    step = qa_step_result(results)
    assert step.status is StepStatus.SUCCESS and step.summary == "1 passed, 1 warning (icon_square_svg)"
    assert step.log_tail[0].startswith("! icon_square_svg: icon.svg is not square")


def test_the_test_command_qa_step_leaves_archived_connectors_out(tmp_path: Path) -> None:
    from pipelines.qa_step import QaChecks
    from pipelines.steps import ConnectorState

    write_connector(tmp_path, "source-old", support="archived")
    write_connector(tmp_path, "source-new")
    step = QaChecks(QAContext(Monorepo.open(tmp_path)))
    old, new = (load(tmp_path, name)[0] for name in ("source-old", "source-new"))
    assert step.skip_reason(ConnectorState(old)) == "archived connector: no longer checked"
    assert step.skip_reason(ConnectorState(new)) is None
