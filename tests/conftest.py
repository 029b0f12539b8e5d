"""Shared test fixtures: where the real Airbyte data is, and small monorepos made on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
AIRBYTE_FIXTURES = SHARED / "fixtures" / "airbyte"
EXAMPLES = PROJECT_ROOT / "examples" / "monorepo"


def airbyte_fixtures(*parts: str) -> Path:
    """A path under ../shared/fixtures/airbyte, or skip the test when CI has no shared/ folder."""
    path = AIRBYTE_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the real Airbyte fixtures live in ../shared)")
    return path


@pytest.fixture
def fixture_monorepo(tmp_path: Path) -> Path:
    """A monorepo whose connectors folder is a symlink to the 678 real metadata files of 2026-02-28."""
    source = airbyte_fixtures("metadata-2026-02-28")
    (tmp_path / "airbyte-integrations").mkdir()
    (tmp_path / "airbyte-integrations" / "connectors").symlink_to(source)
    return tmp_path


METADATA_TEMPLATE = """\
metadataSpecVersion: "1.0"
data:
  name: {title}
  definitionId: {definition_id}
  connectorType: {kind}
  connectorSubtype: api
  dockerRepository: airbyte/{name}
  dockerImageTag: {version}
  documentationUrl: https://docs.example.com/{name}
  githubIssueLabel: {name}
  license: MIT
  releaseStage: alpha
  supportLevel: {support}
  tags:
    - language:{language}
"""


def write_connector(root: Path, name: str, *, version: str = "0.1.0", language: str = "python",
                    support: str = "community", extra: str = "", definition_id: str | None = None) -> Path:
    """Write a minimal valid connector folder under ``root`` and return it."""
    import uuid

    folder = root / "airbyte-integrations" / "connectors" / name
    folder.mkdir(parents=True, exist_ok=True)
    kind = "destination" if name.startswith("destination-") else "source"
    text = METADATA_TEMPLATE.format(
        title=name.title(), definition_id=definition_id or uuid.uuid5(uuid.NAMESPACE_DNS, name), kind=kind,
        name=name, version=version, support=support, language=language,
    )
    (folder / "metadata.yaml").write_text(text + extra, encoding="utf-8")
    return folder


GO_TOOL_FIXTURES = {
    "dagger_engine": "the Dagger engine (scripts/build-dagger-engine.sh, scripts/start-dagger-engine.sh)",
    "cosign": "cosign (scripts/build-cosign.sh)",
    "object_store": "gofakes3 and fake-gcs-server (scripts/build-object-stores.sh)",
}
"""Fixtures that provide a tool setup builds with Go. A test that uses one, directly or through
another fixture, is marked `go_tools` (so are the contract's Dagger cases, in their conftest):
`.ci/run` runs `-m "not go_tools"` while those tools build, then `-m go_tools`."""


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if GO_TOOL_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.go_tools)
