"""Every real metadata.yaml Airbyte shipped loads; its scaffolds and its invalid fixtures do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata
from tests.conftest import airbyte_fixtures

# Airbyte rejects these by asking Docker Hub whether the base image exists: not an offline check.
NEEDS_REGISTRY = {
    "metadata_base_image_name_does_not_exists.yaml",
    "metadata_base_image_tag_does_not_exists.yaml",
}


def _metadata_files(folder: str) -> list[Path]:
    return sorted(airbyte_fixtures(folder).glob("**/metadata.yaml"))


@pytest.mark.parametrize("folder", ["metadata-2026-02-28", "metadata-historical", "connectors"])
def test_every_real_connector_loads_except_scaffolds(folder: str) -> None:
    files = _metadata_files(folder)
    assert len(files) > 10
    failures = []
    for path in files:
        is_scaffold = "-scaffold-" in path.parent.name
        try:
            load_metadata(path, folder_name=path.parent.name)
        except InvalidMetadata as exc:
            if not is_scaffold:
                failures.append(str(exc))
            continue
        assert not is_scaffold, f"{path}: a scaffold template with a placeholder id loaded"
    assert failures == []


def test_scaffold_placeholder_definition_id_is_named_in_the_error() -> None:
    path = airbyte_fixtures("metadata-2026-02-28", "source-scaffold-java-jdbc", "metadata.yaml")
    with pytest.raises(InvalidMetadata) as caught:
        load_metadata(path, display_path=Path("connectors/source-scaffold-java-jdbc/metadata.yaml"))
    lines = str(caught.value).splitlines()
    uuid_line = next(line for line in lines if "definitionId" in line)
    assert uuid_line.startswith("connectors/source-scaffold-java-jdbc/metadata.yaml:")
    line_number = int(uuid_line.split(":")[1])
    assert "definitionId" in path.read_text().splitlines()[line_number - 1]
    assert "'FAKE-UUID-0000-0000-000000000000' is not a UUID" in uuid_line


def _validate_fixtures(kind: str) -> list[Path]:
    root = airbyte_fixtures("metadata-service", "lib", "tests", "fixtures", "metadata_validate", kind)
    return sorted(p for p in root.glob("**/*") if p.suffix in {".yaml", ".json"})


def test_airbytes_valid_fixtures_load_strictly() -> None:
    files = _validate_fixtures("valid")
    assert len(files) >= 15
    for path in files:
        load_metadata(path, strict=True)


def test_airbytes_invalid_fixtures_are_rejected_strictly() -> None:
    files = _validate_fixtures("invalid")
    offline = [p for p in files if p.name not in NEEDS_REGISTRY]
    assert len(offline) >= 30
    accepted = []
    for path in offline:
        try:
            load_metadata(path, strict=True)
        except InvalidMetadata as exc:
            assert all(problem.message for problem in exc.problems)
            continue
        accepted.append(path.name)
    assert accepted == []
    skipped = sorted(p.name for p in files if p.name in NEEDS_REGISTRY)
    print(f"\nnot checked offline (Airbyte asks Docker Hub for these): {skipped}")
