"""The store layout is Airbyte's public bucket contract: these exact paths are what platforms read."""

from __future__ import annotations

from registry import layout

REPO = "airbyte/source-x"


def test_every_path_is_the_public_buckets() -> None:
    assert layout.version_file(REPO, "1.2.3", layout.METADATA_FILE) == "metadata/airbyte/source-x/1.2.3/metadata.yaml"
    assert layout.marker(REPO, "1.2.3") == "metadata/airbyte/source-x/1.2.3/publish.json"
    assert layout.channel_file(REPO, layout.LATEST, "oss.json") == "metadata/airbyte/source-x/latest/oss.json"
    assert layout.channel_folder(REPO, layout.RELEASE_CANDIDATE) == "metadata/airbyte/source-x/release_candidate"
    assert layout.icon(REPO) == "metadata/airbyte/source-x/latest/icon.svg"
    assert layout.spec_file(REPO, "1.2.3") == "specs/airbyte/source-x/1.2.3/spec.json"
    assert layout.spec_file(REPO, "1.2.3", layout.CLOUD_SPEC_FILE) == "specs/airbyte/source-x/1.2.3/spec.cloud.json"
    assert layout.dependencies_file(REPO, "1.2.3") == "connector_dependencies/source-x/1.2.3/dependencies.json"
    assert layout.registry_file("cloud") == "registries/v0/cloud_registry.json"


def test_channel_files_are_recognised_and_nothing_else() -> None:
    assert layout.parse_channel_file("metadata/airbyte/source-x/latest/oss.json") == (REPO, "latest", "oss.json")
    assert layout.parse_channel_file("metadata/airbyte/source-x/release_candidate/icon.svg") == \
        (REPO, "release_candidate", "icon.svg")
    assert layout.parse_channel_file("metadata/airbyte/source-x/1.2.3/oss.json") is None
    assert layout.parse_channel_file("specs/airbyte/source-x/latest/spec.json") is None
    assert layout.version_of_spec(layout.spec_file(REPO, "1.2.3")) == "1.2.3"
