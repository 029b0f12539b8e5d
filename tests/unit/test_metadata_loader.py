"""Located, one-line errors for bad metadata, and a loader that resists hostile YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata, Severity
from connector_build.yaml_source import MAX_YAML_BYTES
from tests.conftest import write_connector


def _problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(InvalidMetadata) as caught:
        load_metadata(path, **kwargs)
    return [str(p) for p in caught.value.problems]


def test_bad_semver_names_file_line_and_field(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", version="one.two")
    shown = Path("airbyte-integrations/connectors/source-x/metadata.yaml")
    problems = _problems(folder / "metadata.yaml", display_path=shown)
    assert problems == [f"{shown}:8: data.dockerImageTag: 'one.two' is not a semantic version"]


def test_release_candidate_tag_is_a_valid_version_with_rollout(tmp_path: Path) -> None:
    extra = "  releases:\n    rolloutConfiguration:\n      enableProgressiveRollout: true\n"
    folder = write_connector(tmp_path, "source-x", version="1.2.3-rc.1", extra=extra)
    assert load_metadata(folder / "metadata.yaml").metadata.data.dockerImageTag == "1.2.3-rc.1"


def test_release_candidate_without_rollout_decision_is_rejected(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", version="1.2.3-rc.1")
    assert any("enableProgressiveRollout" in p for p in _problems(folder / "metadata.yaml"))


def test_repository_must_end_with_folder_name(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x")
    problems = _problems(folder / "metadata.yaml", folder_name="source-y")
    assert problems and "does not end with the folder name 'source-y'" in problems[0]


def test_major_version_needs_breaking_change_strictly_and_warns_otherwise(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", version="2.0.0")
    loaded = load_metadata(folder / "metadata.yaml")
    assert [w.field for w in loaded.warnings] == ["data.dockerImageTag"]
    assert "breakingChanges" in _problems(folder / "metadata.yaml", strict=True)[0]


def test_breaking_change_needs_message_and_valid_deadline(tmp_path: Path) -> None:
    extra = ("  releases:\n    breakingChanges:\n      2.0.0:\n        upgradeDeadline: 2024-13-45\n"
             "      3.0.0:\n        upgradeDeadline: 2024-01-01\n")
    folder = write_connector(tmp_path, "source-x", extra=extra)
    problems = _problems(folder / "metadata.yaml")
    assert any("breakingChanges.2.0.0.upgradeDeadline: '2024-13-45' is not a date" in p for p in problems)
    assert any("breakingChanges.3.0.0.message: required field is missing" in p for p in problems)


def test_unknown_fields_are_kept_and_warned_not_rejected(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", extra="  shinyNewField: 42\n")
    loaded = load_metadata(folder / "metadata.yaml")
    assert loaded.metadata.data.model_extra == {"shinyNewField": 42}
    assert [(w.field, w.line, w.severity) for w in loaded.warnings] == [("data.shinyNewField", 16, Severity.WARNING)]
    assert "shinyNewField" in _problems(folder / "metadata.yaml", strict=True)[0]


def test_unquoted_release_date_is_a_date(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", extra="  releaseDate: 2021-05-04\n")
    assert load_metadata(folder / "metadata.yaml").metadata.data.releaseDate == dt.date(2021, 5, 4)


def test_historical_registries_spelling_is_read_as_overrides(tmp_path: Path) -> None:
    extra = "  registries:\n    oss:\n      enabled: true\n    cloud:\n      enabled: false\n"
    folder = write_connector(tmp_path, "source-x", extra=extra)
    data = load_metadata(folder / "metadata.yaml").metadata.data
    assert data.overrides.oss and data.overrides.oss.enabled
    assert data.overrides.cloud and not data.overrides.cloud.enabled


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"data: !!python/object/apply:os.system ['true']\n", "could not determine a constructor"),
        (b"data: [1, 2\n", "invalid YAML"),
        (b"name: caf\xe9\n", "not valid UTF-8"),
        (b"- just\n- a list\n", "the file is a list: it should hold `metadataSpecVersion"),
        (b"", "the file is empty: it should hold"),
    ],
)
def test_unsafe_or_broken_yaml_gives_one_clear_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_bytes(content)
    problems = _problems(path)
    assert len(problems) == 1 and expected in problems[0]


def test_alias_expansion_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index, name in enumerate("bcdefgh"):
        previous = "abcdefgh"[index]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "metadata.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert "alias expansion" in _problems(path)[0]


def test_oversized_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_bytes(b"#" * (MAX_YAML_BYTES + 1))
    assert "more than the limit" in _problems(path)[0]


def test_a_misspelt_key_is_reported_at_its_own_line_with_a_suggestion(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x")
    path = folder / "metadata.yaml"
    path.write_text(path.read_text().replace("dockerImageTag:", "dockerImageTg:"))
    assert _problems(path) == [f"{path}:8: data.dockerImageTg: unknown field; did you mean dockerImageTag? "
                               "(dockerImageTag is required)"]


def test_an_unknown_optional_key_gets_a_suggestion_too(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", extra="  supportLevl: certified\n")
    warnings = [str(p) for p in load_metadata(folder / "metadata.yaml").warnings]
    assert any("data.supportLevl: unknown field" in w and "did you mean supportLevel?" in w for w in warnings)


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", extra="  dockerImageTag: 0.2.0\n")
    assert _problems(folder / "metadata.yaml") == [
        f"{folder / 'metadata.yaml'}:16: duplicate key 'dockerImageTag' on lines 8 and 16: keep one"]


def test_a_version_read_as_a_number_says_to_quote_it(tmp_path: Path) -> None:
    folder = write_connector(tmp_path, "source-x", version="0.2")
    [problem] = _problems(folder / "metadata.yaml")
    assert ":8: data.dockerImageTag: YAML reads 0.2 as a number, not text; put it in quotes, e.g. \"0.2\"" in problem


def test_messages_say_what_the_file_should_hold(tmp_path: Path) -> None:
    path = tmp_path / "metadata.yaml"
    path.write_text('metadataSpecVersion: "1.0"\ndata:\n')
    assert _problems(path) == [f"{path}:2: data: should hold fields (indented `key: value` lines below it), "
                               "but holds nothing"]
    path.write_text("")
    assert "it should hold `metadataSpecVersion" in _problems(path)[0]
    folder = write_connector(tmp_path, "source-x", support="gold")
    assert "'gold' is not allowed here; write one of 'community', 'certified' or 'archived'" in \
        _problems(folder / "metadata.yaml")[0]


def test_two_connectors_with_one_definition_id_in_a_registry_name_each_other(tmp_path: Path) -> None:
    from connector_build.monorepo import Monorepo

    enabled = "  registryOverrides:\n    oss:\n      enabled: true\n"
    shared = "6b1bd2a2-41a5-4d8e-8d5c-8d6c7b1ad2f0"
    write_connector(tmp_path, "source-one", definition_id=shared, extra=enabled)
    write_connector(tmp_path, "source-two", definition_id=shared, extra=enabled)
    write_connector(tmp_path, "source-two-strict-encrypt", definition_id=shared)  # in no registry: fine
    found = Monorepo.open(tmp_path).discover()
    assert sorted(found.invalid) == ["source-one", "source-two"]
    [problem] = found.invalid["source-one"]
    assert str(problem).startswith(f"airbyte-integrations/connectors/source-one/metadata.yaml:4: data.definitionId: "
                                   f"{shared} is also the definitionId of "
                                   "airbyte-integrations/connectors/source-two/metadata.yaml")
    assert list(found.connectors) == ["source-two-strict-encrypt"]
