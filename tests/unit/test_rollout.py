"""Release candidates promoted and rolled back, in process: the real publish steps put a release and a
candidate into an in-memory store and a mock registry, then promote/rollback act on what they left."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import anyio
import pytest
import yaml

from connector_build.monorepo import Monorepo
from connector_build.problems import UserError
from registry import layout, releases
from registry.compile import generate_registries
from registry.latest_tag import follow_default
from registry.rollout import RolloutError, candidate_version, promote, rollback
from registry.store import Store
from registry.yank import unyank, yank
from tests.conftest import EXAMPLES
from tests.unit.fakes import FakeEngine, FakeRegistry
from tests.unit.test_publish_steps import publish, statuses

WEATHER = "airbyte/source-tiny-weather"
BASE_URL = "http://files.example/"



def monorepo_at(tmp_path: Path, version: str, name: str = "source-tiny-weather") -> Monorepo:
    """The example monorepo with ``name`` at ``version`` (a candidate rolls out progressively)."""
    root = tmp_path / f"monorepo-{name}-{version}"
    if root.exists():
        return Monorepo.open(root)
    shutil.copytree(EXAMPLES, root)
    metadata = root / "airbyte-integrations" / "connectors" / name / "metadata.yaml"
    text = re.sub(r"dockerImageTag: \S+", f"dockerImageTag: {version}", metadata.read_text())
    if "-rc." in version:
        rollout = "    rolloutConfiguration:\n      enableProgressiveRollout: true\n"
        text = text.replace("  releases:\n", "  releases:\n" + rollout, 1) if "\n  releases:\n" in text \
            else text.replace("  connectorType:", "  releases:\n" + rollout + "  connectorType:", 1)
    metadata.write_text(text)
    return Monorepo.open(root)


def published(tmp_path: Path, store: Store, registry: FakeRegistry, *versions_: str,
              name: str = "source-tiny-weather") -> None:
    for version in versions_:
        _, report = publish(monorepo_at(tmp_path, version, name), store, registry, FakeEngine(registry), tmp_path,
                            name=name)
        assert report.success, statuses(report)
    generate_registries(store, base_url=BASE_URL)


def oss_entry(store: Store) -> dict:
    document = json.loads(store.read_bytes(layout.registry_file("oss")) or b"{}")
    return next(e for e in document["sources"] if e["dockerRepository"] == WEATHER)


def run_promote(store: Store, registry: FakeRegistry, *names: str, dry_run: bool = False):
    async def main():
        async with registry.client() as client:
            return await promote(store, client, list(names), base_url=BASE_URL, dry_run=dry_run)
    return anyio.run(main)


def test_promote_tags_the_candidate_by_digest_records_the_release_and_makes_it_the_default(
        store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    assert list(oss_entry(store)["releases"]["releaseCandidates"]) == ["0.3.0-rc.1"]
    candidate = registry.digest(WEATHER, "0.3.0-rc.1")
    pushes = len([r for r in registry.requests if r.startswith("PUT") and "/blobs/" in r])

    result = run_promote(store, registry, "source-tiny-weather")

    assert [(p.candidate, p.release, p.digest) for p in result.promoted] == [("0.3.0-rc.1", "0.3.0", candidate)]
    assert registry.digest(WEATHER, "0.3.0") == candidate == registry.digest(WEATHER, "latest")
    assert len([r for r in registry.requests if r.startswith("PUT") and "/blobs/" in r]) == pushes  # nothing pushed
    entry = oss_entry(store)
    assert entry["dockerImageTag"] == "0.3.0" and "releaseCandidates" not in entry["releases"]
    assert entry["releases"]["rolloutConfiguration"]["enableProgressiveRollout"] is False
    assert entry["generated"]["source_file_info"]["metadata_file_path"] == \
        layout.version_file(WEATHER, "0.3.0", layout.METADATA_FILE)
    candidate_entry = json.loads(store.read_bytes(layout.version_file(WEATHER, "0.3.0-rc.1", "oss.json")) or b"")
    assert entry["spec"] == candidate_entry["spec"]
    metadata = yaml.safe_load(store.read_bytes(layout.version_file(WEATHER, "0.3.0", layout.METADATA_FILE)) or b"")
    assert metadata["data"]["dockerImageTag"] == "0.3.0"
    assert store.read_bytes(layout.spec_file(WEATHER, "0.3.0")) == store.read_bytes(layout.spec_file(WEATHER,
                                                                                                     "0.3.0-rc.1"))
    dependencies = json.loads(store.read_bytes(layout.dependencies_file(WEATHER, "0.3.0")) or b"")
    assert dependencies["connector_version"] == "0.3.0"
    marker = json.loads(store.read_bytes(layout.marker(WEATHER, "0.3.0")) or b"")
    assert marker["digest"] == candidate and marker["promoted_from"] == "0.3.0-rc.1"
    assert candidate_version(store, WEATHER) is None and releases.latest_version(store, WEATHER) == "0.3.0"
    assert not store.find(layout.LOCKS_DIR)

    # The bumped metadata published later finds 0.3.0 recorded with this digest: nothing to do.
    engine = FakeEngine(registry)
    _, report = publish(monorepo_at(tmp_path, "0.3.0"), store, registry, engine, tmp_path)
    assert "already published and recorded" in statuses(report)["check"][1]
    assert not engine.built and not engine.pushed

    again = run_promote(store, registry, "source-tiny-weather")
    assert not again.promoted and "was promoted to 0.3.0" in again.unchanged[0]


def test_promote_below_a_newer_release_records_it_without_moving_latest(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1", "0.4.0")
    newest = registry.digest(WEATHER, "latest")
    run_promote(store, registry, "airbyte/source-tiny-weather")
    assert registry.digest(WEATHER, "0.3.0") == registry.digest(WEATHER, "0.3.0-rc.1")
    assert registry.digest(WEATHER, "latest") == newest
    assert oss_entry(store)["dockerImageTag"] == "0.4.0"
    assert store.exists(layout.marker(WEATHER, "0.3.0"))


def test_promote_refuses_clearly_and_writes_nothing(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0")
    with pytest.raises(RolloutError, match="has no release candidate to promote"):
        run_promote(store, registry, "source-tiny-weather")

    published(tmp_path, store, registry, "0.3.0-rc.1")
    yank(store, [("source-tiny-weather", "0.3.0-rc.1")], reason="bad", by="ci", base_url=BASE_URL)
    with pytest.raises(RolloutError, match="0.3.0-rc.1 is yanked"):
        run_promote(store, registry, "source-tiny-weather")
    unyank(store, [("source-tiny-weather", "0.3.0-rc.1")], base_url=BASE_URL)
    before = {path: store.read_bytes(path) for path in store.find("metadata")}

    impostor = registry.put_image(WEATHER, "0.3.0", {"io.airbyte.name": WEATHER})
    with pytest.raises(RolloutError, match="exists with another digest"):
        run_promote(store, registry, "source-tiny-weather")
    assert registry.digest(WEATHER, "0.3.0") == impostor
    assert {path: store.read_bytes(path) for path in store.find("metadata")} == before

    with pytest.raises(UserError, match="no connector 'source-nope'"):
        run_promote(store, registry, "source-nope")


def test_dry_run_plans_and_touches_nothing(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    before = {path: store.read_bytes(path) for path in store.find("metadata")}
    result = run_promote(store, registry, "source-tiny-weather", dry_run=True)
    assert any("would tag 0.3.0-rc.1's image" in line and "as 0.3.0" in line for line in result.planned)
    assert registry.digest(WEATHER, "0.3.0") is None
    assert {path: store.read_bytes(path) for path in store.find("metadata")} == before
    planned = anyio.run(lambda: rollback(store, ["source-tiny-weather"], base_url=BASE_URL, dry_run=True)).planned
    assert planned == [f"{WEATHER}: would take 0.3.0-rc.1 out of releaseCandidates and empty "
                       f"{layout.channel_folder(WEATHER, layout.RELEASE_CANDIDATE)}/"]
    assert {path: store.read_bytes(path) for path in store.find("metadata")} == before


def test_an_interrupted_promote_is_finished_by_a_rerun(store, tmp_path) -> None:
    """Killed after the release was recorded, before the candidate left: the rerun completes it."""
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    run_promote(store, registry, "source-tiny-weather")
    for name in layout.CHANNEL_FILES:  # as it was before the candidate's folder was emptied
        data = store.read_bytes(layout.version_file(WEATHER, "0.3.0-rc.1", name))
        store.write_bytes_atomic(layout.channel_file(WEATHER, layout.RELEASE_CANDIDATE, name), data or b"")
    rerun = run_promote(store, registry, "source-tiny-weather")
    assert [p.resumed for p in rerun.promoted] == [True]
    assert candidate_version(store, WEATHER) is None and oss_entry(store)["dockerImageTag"] == "0.3.0"


def test_rollback_takes_the_candidate_out_and_the_default_stays(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    latest = registry.digest(WEATHER, "latest")
    result = anyio.run(lambda: rollback(store, ["source-tiny-weather"], base_url=BASE_URL))
    assert result.rolled_back == [(WEATHER, "0.3.0-rc.1")]
    entry = oss_entry(store)
    assert entry["dockerImageTag"] == "0.2.0" and "releaseCandidates" not in entry["releases"]
    assert registry.digest(WEATHER, "latest") == latest and registry.digest(WEATHER, "0.3.0-rc.1") is not None
    assert store.exists(layout.marker(WEATHER, "0.3.0-rc.1"))
    assert not store.glob(f"{layout.channel_folder(WEATHER, layout.RELEASE_CANDIDATE)}/*")
    with pytest.raises(RolloutError, match="has no release candidate to roll back"):
        anyio.run(lambda: rollback(store, ["source-tiny-weather"], base_url=BASE_URL))


def test_yank_moves_the_image_latest_back_by_digest_and_unyank_forward(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0")
    old, new = registry.digest(WEATHER, "0.2.0"), registry.digest(WEATHER, "0.3.0")
    assert registry.digest(WEATHER, "latest") == new

    result = yank(store, [("source-tiny-weather", "0.3.0")], reason="bad", by="ci", base_url=BASE_URL,
                  image_registry=registry.client)
    assert old and registry.digest(WEATHER, "latest") == old
    assert [m.summary() for m in result.tag_moves] == [f"image tag latest 0.3.0 -> 0.2.0 ({old[:19]})"]
    assert registry.digest(WEATHER, "0.3.0") == new  # the image stays for whoever pins it

    result = unyank(store, [("source-tiny-weather", "0.3.0")], base_url=BASE_URL, image_registry=registry.client)
    assert registry.digest(WEATHER, "latest") == new and result.tag_moves[0].after == "0.3.0"


def test_latest_is_left_alone_when_it_names_an_unknown_image_or_nothing_is_left(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0")
    foreign = registry.put_image(WEATHER, "latest", {"io.airbyte.name": WEATHER})

    async def follow():
        async with registry.client() as client:
            return await follow_default(client, store, WEATHER)

    move = anyio.run(follow)
    assert not move.changed and "does not record" in (move.note or "")
    assert registry.digest(WEATHER, "latest") == foreign
    yank(store, [("source-tiny-weather", "0.2.0")], reason="bad", by="ci", base_url=BASE_URL,
         image_registry=registry.client)
    assert registry.digest(WEATHER, "latest") == foreign


def test_cli_rollback_says_one_line_when_there_is_no_candidate(tmp_path) -> None:
    from tests.unit.test_cli import cli

    local = Store.open(tmp_path / "store")
    registry = FakeRegistry()
    published(tmp_path, local, registry, "0.2.0", "0.3.0-rc.1")
    planned = cli("rollout", "rollback", "source-tiny-weather", "--store", local.url, "--dry-run")
    assert planned.returncode == 0 and "would take 0.3.0-rc.1 out of releaseCandidates" in planned.stdout
    done = cli("rollout", "rollback", "source-tiny-weather", "--store", local.url)
    assert done.returncode == 0, done.stderr
    assert f"{WEATHER}: 0.3.0-rc.1 rolled back" in done.stdout and "registry entry stays 0.2.0" in done.stdout
    again = cli("rollout", "rollback", "source-tiny-weather", "--store", local.url)
    assert again.returncode == 2 and again.stderr.strip().splitlines() == [
        f"error: {WEATHER} has no release candidate to roll back "
        f"(nothing in {layout.channel_folder(WEATHER, layout.RELEASE_CANDIDATE)}/)"]


def test_preview_with_the_store_shows_a_candidate_as_generate_will(store, tmp_path) -> None:
    from registry.preview import preview_registries
    from registry.spec_cache import SpecCache

    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    monorepo = monorepo_at(tmp_path, "0.3.0-rc.1")
    connectors = list(monorepo.discover().connectors.values())
    generated = {name: json.loads(store.read_bytes(layout.registry_file(name)) or b"") for name in ("oss", "cloud")}

    result = preview_registries(connectors, SpecCache(store), base_url=BASE_URL, released=store)

    for compiled in (result.oss, result.cloud):
        shown = next(e for e in compiled.sources if e["dockerRepository"] == WEATHER)
        expected = next(e for e in generated[compiled.name]["sources"] if e["dockerRepository"] == WEATHER)
        main = {k: v for k, v in shown.items() if k != "releases"}
        assert main == {k: v for k, v in expected.items() if k != "releases"}  # the store's release, as is
        assert list(shown["releases"]["releaseCandidates"]) == list(expected["releases"]["releaseCandidates"]) \
            == ["0.3.0-rc.1"]
        assert shown["releases"]["releaseCandidates"]["0.3.0-rc.1"]["spec"] == \
            expected["releases"]["releaseCandidates"]["0.3.0-rc.1"]["spec"]

    without = preview_registries(connectors, SpecCache(store), base_url=BASE_URL, released=Store.open(
        f"memory://cp-i12-empty-{uuid.uuid4().hex}"))
    assert any("release candidate 0.3.0-rc.1 and no released oss entry in the store" in line
               for line in without.skipped)


def test_cli_preview_with_a_store(tmp_path) -> None:
    from tests.unit.test_cli import cli

    local = Store.open(tmp_path / "store")
    registry = FakeRegistry()
    published(tmp_path, local, registry, "0.2.0", "0.3.0-rc.1")
    repo = str(monorepo_at(tmp_path, "0.3.0-rc.1").root)
    missing = cli("--repo", repo, "registry", "preview", "--output", str(tmp_path / "out"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == ["error: preview needs --spec-cache or --store (where the specs are)"]
    shown = cli("--repo", repo, "registry", "preview", "source-tiny-weather", "--store", local.url, "--output",
                str(tmp_path / "out"), "--base-url", BASE_URL)
    assert shown.returncode == 0, shown.stderr
    preview = json.loads((tmp_path / "out" / layout.registry_file("oss")).read_text())
    entry, expected = next(e for e in preview["sources"] if e["dockerRepository"] == WEATHER), oss_entry(local)
    assert {k: v for k, v in entry.items() if k != "releases"} == {k: v for k, v in expected.items() if k != "releases"}
    candidate, recorded = (e["releases"]["releaseCandidates"]["0.3.0-rc.1"] for e in (entry, expected))
    assert sorted(k for k in {*candidate, *recorded} if candidate.get(k) != recorded.get(k)) == \
        ["generated"]  # publish adds the git commit and the file times


def test_a_yanked_candidate_leaves_release_candidates_until_unyanked(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    yank(store, [("source-tiny-weather", "0.3.0-rc.1")], reason="bad", by="ci", base_url=BASE_URL)
    assert oss_entry(store)["dockerImageTag"] == "0.2.0" and "releaseCandidates" not in oss_entry(store)["releases"]
    unyank(store, [("source-tiny-weather", "0.3.0-rc.1")], base_url=BASE_URL)
    assert list(oss_entry(store)["releases"]["releaseCandidates"]) == ["0.3.0-rc.1"]


def test_several_connectors_in_one_promote_and_one_bad_name_stops_all(store, tmp_path) -> None:
    registry = FakeRegistry()
    published(tmp_path, store, registry, "0.2.0", "0.3.0-rc.1")
    published(tmp_path, store, registry, "0.1.0", name="destination-tiny-jsonl")
    published(tmp_path, store, registry, "0.2.0-rc.1", name="destination-tiny-jsonl")
    jsonl = "airbyte/destination-tiny-jsonl"
    store.write_bytes_atomic(layout.marker("airbyte/source-tiny-catalog", "1.0.0"), b"{}")  # released, no RC
    before = {path: store.read_bytes(path) for path in store.find("metadata")}
    with pytest.raises(RolloutError, match="source-tiny-catalog has no release candidate"):
        run_promote(store, registry, "source-tiny-weather", "destination-tiny-jsonl", "source-tiny-catalog")
    assert {path: store.read_bytes(path) for path in store.find("metadata")} == before
    assert registry.digest(WEATHER, "0.3.0") is None and registry.digest(jsonl, "0.2.0") is None

    result = run_promote(store, registry, "source-tiny-weather", "destination-tiny-jsonl")
    assert sorted((p.repository, p.release) for p in result.promoted) == [(jsonl, "0.2.0"), (WEATHER, "0.3.0")]
    assert registry.digest(jsonl, "latest") == registry.digest(jsonl, "0.2.0-rc.1") is not None
    assert candidate_version(store, jsonl) is None and candidate_version(store, WEATHER) is None
