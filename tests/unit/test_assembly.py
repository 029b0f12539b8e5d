"""Assembled images: deterministic bytes, the base's config carried over, only new blobs uploaded.

The real registry and daemon are exercised by tests/integration/test_assembly.py; here a small
in-memory registry (httpx.MockTransport) shows which requests a push makes.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import anyio
import httpx
import pytest

from connector_build.monorepo import Monorepo
from connector_build.plan import ContainerPlan, CopyFiles, ImageBase, Run, Stage, Workdir
from connector_build.recipes import MANIFEST_DIR, plan_for
from registry.assembly.docker_archive import write_docker_archive
from registry.assembly.image import (
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    BaseImage,
    BasePlatform,
    ImageChanges,
    assemble_image,
)
from registry.assembly.layer import deterministic_layer, sha256_digest
from registry.assembly.plan_changes import NotAssemblable, plan_changes
from registry.assembly.push import BlobLocations, push_image
from registry.oci import BlobTransfer, ChallengeAuth, Manifest, RegistryClient
from tests.conftest import EXAMPLES

FILES = {f"{MANIFEST_DIR}/manifest.yaml": b"version: 1\n", f"{MANIFEST_DIR}/components.py": b"x = 1\n"}


def test_layer_bytes_depend_only_on_files_and_time() -> None:
    first = deterministic_layer(FILES, mtime=1_700_000_000)
    again = deterministic_layer(dict(reversed(FILES.items())), mtime=1_700_000_000)
    later = deterministic_layer(FILES, mtime=1_700_000_001)
    assert first.blob == again.blob and first.digest == again.digest
    assert later.digest != first.digest
    raw = gzip.decompress(first.blob)
    assert first.diff_id == sha256_digest(raw)
    assert first.blob[4:8] == b"\0\0\0\0"  # gzip MTIME field
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names[:3] == ["airbyte", "airbyte/integration_code", "airbyte/integration_code/source_declarative_manifest"]
    for member in members:
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == 1_700_000_000
        assert member.mode == (0o755 if member.isdir() else 0o644)


def base_platform(platform: str, *, entrypoint: list[str] | None = None, env: list[str] | None = None) -> BasePlatform:
    arch = platform.split("/")[1]
    default_env = ["PATH=/usr/bin", "AIRBYTE_ENTRYPOINT=source-declarative-manifest"]
    config = {"architecture": arch, "os": "linux", "created": "2026-01-01T00:00:00Z",
              "config": {"Env": env if env is not None else default_env,
                         "Entrypoint": entrypoint or ["source-declarative-manifest"],
                         "Labels": {"io.airbyte.name": "airbyte/source-declarative-manifest"},
                         "WorkingDir": "/airbyte/integration_code"},
              "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "base"}],
              "rootfs": {"type": "layers", "diff_ids": [f"sha256:{arch:0<64}"[:71]]}}
    config_bytes = json.dumps(config).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                      "size": len(config_bytes), "digest": sha256_digest(config_bytes)},
                           "layers": [{"mediaType": DOCKER_LAYER, "size": len(base_layer(platform)),
                                       "digest": sha256_digest(base_layer(platform))}]})
    return BasePlatform(platform, Manifest(DOCKER_MANIFEST, manifest.encode(), sha256_digest(manifest.encode())),
                        config_bytes)


def base_layer(platform: str) -> bytes:
    return f"base layer for {platform}".encode()


def base_image(**kwargs) -> BaseImage:
    platforms = {p: base_platform(p, **kwargs) for p in ("linux/amd64", "linux/arm64")}
    return BaseImage("localhost:5000/airbyte/sdm:7", "localhost:5000", "airbyte/sdm", "sha256:" + "c" * 64, platforms)


CHANGES = ImageChanges(files=FILES, created_by="COPY manifest.yaml", workdir=MANIFEST_DIR,
                       labels={"io.airbyte.name": "airbyte/source-x", "io.airbyte.version": "1.2.3"})


def test_config_is_the_base_config_with_the_changes_and_the_new_layer() -> None:
    layer = deterministic_layer(FILES, mtime=0)
    image = assemble_image(base_image(), layer, CHANGES, epoch=86400)
    amd64 = image.platforms["linux/amd64"]
    config = json.loads(amd64.config)
    assert config["architecture"] == "amd64"
    assert config["created"] == "1970-01-02T00:00:00Z"
    assert config["history"][-1] == {"created": "1970-01-02T00:00:00Z", "created_by": "COPY manifest.yaml"}
    assert config["config"]["Labels"] == {"io.airbyte.name": "airbyte/source-x", "io.airbyte.version": "1.2.3"}
    assert config["config"]["WorkingDir"] == MANIFEST_DIR
    assert "AIRBYTE_ENTRYPOINT=source-declarative-manifest" in config["config"]["Env"]
    assert config["rootfs"]["diff_ids"][-1] == layer.diff_id and len(config["rootfs"]["diff_ids"]) == 2
    manifest = amd64.manifest.json()
    assert manifest["mediaType"] == DOCKER_MANIFEST
    assert manifest["config"]["digest"] == amd64.config_digest
    assert manifest["layers"][0] == amd64.base.layers[0]
    assert manifest["layers"][-1] == {"mediaType": DOCKER_LAYER, "size": layer.size, "digest": layer.digest}
    index = json.loads(image.index)
    expected = [image.platforms[p].manifest.digest for p in sorted(image.platforms)]
    assert [m["digest"] for m in index["manifests"]] == expected
    assert assemble_image(base_image(), layer, CHANGES, epoch=86400).index_digest == image.index_digest


def test_a_base_without_airbyte_entrypoint_gets_it_from_its_entrypoint() -> None:
    image = assemble_image(base_image(env=["PATH=/usr/bin"], entrypoint=["python", "/main.py"]),
                           deterministic_layer(FILES, mtime=0), CHANGES, epoch=0)
    env = json.loads(image.platforms["linux/arm64"].config)["config"]["Env"]
    assert env == ["PATH=/usr/bin", "AIRBYTE_ENTRYPOINT=python /main.py"]


def test_the_manifest_only_recipe_is_assembled_with_its_files_where_the_build_copies_them(tmp_path: Path) -> None:
    repo = tmp_path / "monorepo"
    shutil.copytree(EXAMPLES, repo)
    monorepo = Monorepo.open(repo)
    connector = monorepo.discover().connectors["source-tiny-catalog"]
    (connector.path / "components.py").write_text("x = 1\n")
    reference, changes = plan_changes(plan_for(connector, "linux/amd64"))
    assert reference == connector.base_image
    assert sorted(changes.files) == [f"{MANIFEST_DIR}/components.py", f"{MANIFEST_DIR}/manifest.yaml"]
    assert changes.files[f"{MANIFEST_DIR}/manifest.yaml"] == (connector.path / "manifest.yaml").read_bytes()
    assert changes.workdir == MANIFEST_DIR
    assert changes.labels == {"io.airbyte.name": "airbyte/source-tiny-catalog", "io.airbyte.version": "1.0.0"}


def test_plans_that_run_commands_are_not_assembled(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("")
    plan = ContainerPlan("linux/amd64", tmp_path, [Stage("image", ImageBase("python:3"), [
        Workdir("/app"), CopyFiles(("main.py",), "/app/"), Run(("pip", "install", "x"))])])
    with pytest.raises(NotAssemblable, match="Run"):
        plan_changes(plan)
    folder_plan = ContainerPlan("linux/amd64", tmp_path, [Stage("image", ImageBase("python:3"), [
        CopyFiles((".",), "/app/")])])
    with pytest.raises(NotAssemblable, match="not a file"):
        plan_changes(folder_plan)


class FakeRegistry:
    """Blobs and manifests by repository, with cross-repository mounts, recording every request."""

    def __init__(self) -> None:
        self.blobs: dict[str, dict[str, bytes]] = {}
        self.manifests: dict[str, dict[str, bytes]] = {}
        self.requests: Counter[str] = Counter()

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (match := re.fullmatch(r"/v2/(.+)/blobs/uploads/", path)) and request.method == "POST":
            repo, mount, source = match[1], request.url.params.get("mount"), request.url.params.get("from")
            if mount and source and mount in self.blobs.get(source, {}):
                self.requests["mount"] += 1
                self.blobs.setdefault(repo, {})[mount] = self.blobs[source][mount]
                return httpx.Response(201)
            return httpx.Response(202, headers={"Location": f"/upload/{repo}?_state=x"})
        if (match := re.fullmatch(r"/upload/(.+)", path)) and request.method == "PUT":
            self.requests["upload"] += 1
            data = request.read()
            assert sha256_digest(data) == request.url.params["digest"]
            self.blobs.setdefault(match[1], {})[request.url.params["digest"]] = data
            return httpx.Response(201)
        if (match := re.fullmatch(r"/upload/(.+)", path)) and request.method == "DELETE":
            return httpx.Response(204)
        if match := re.fullmatch(r"/v2/(.+)/blobs/(sha256:\w+)", path):
            stored = self.blobs.get(match[1], {}).get(match[2])
            if stored is None:
                return httpx.Response(404)
            return httpx.Response(200, content=b"" if request.method == "HEAD" else stored)
        if (match := re.fullmatch(r"/v2/(.+)/manifests/(.+)", path)) and request.method == "PUT":
            self.requests["manifest"] += 1
            self.manifests.setdefault(match[1], {})[match[2]] = request.read()
            return httpx.Response(201, headers={"Docker-Content-Digest": sha256_digest(request.read())})
        return httpx.Response(404)

    def client(self, name: str = "registry.example") -> RegistryClient:
        http = httpx.AsyncClient(base_url=f"https://{name}", transport=httpx.MockTransport(self.handle),
                                 auth=ChallengeAuth())
        return RegistryClient(name, http)


def test_push_uploads_only_the_new_layer_and_configs_and_mounts_base_layers_on_the_same_registry() -> None:
    registry = FakeRegistry()
    image = assemble_image(base_image(), deterministic_layer(FILES, mtime=0), CHANGES, epoch=0)
    for platform in image.platforms.values():
        for layer in platform.base.layers:
            registry.blobs.setdefault("airbyte/sdm", {})[layer["digest"]] = base_layer(platform.platform)

    async def main() -> None:
        async with registry.client() as client:
            result = await push_image(image, client, "airbyte/source-x", tags=["1.2.3"], source=client)
            assert result.transfers == Counter({BlobTransfer.MOUNTED: 2, BlobTransfer.UPLOADED: 3})
            assert registry.requests["upload"] == 3  # one layer (same on both platforms) + two configs
            other = FakeRegistry()  # a base on another registry, with its layers already in the target
            async with other.client("mirror.example") as mirror:
                again = await push_image(image, client, "airbyte/source-x", tags=["1.2.3"], source=mirror)
            assert again.transfers == Counter({BlobTransfer.PRESENT: 2, BlobTransfer.UPLOADED: 3})
            assert other.requests == Counter()
    anyio.run(main)
    assert registry.manifests["airbyte/source-x"]["1.2.3"] == image.index
    assert set(registry.manifests["airbyte/source-x"]) == {"1.2.3", "1.2.3-linux-amd64", "1.2.3-linux-arm64"}


def test_base_layers_from_another_registry_are_copied_once_then_mounted() -> None:
    mirror, target = FakeRegistry(), FakeRegistry()
    image = assemble_image(base_image(), deterministic_layer(FILES, mtime=0), CHANGES, epoch=0)
    for platform in image.platforms.values():
        for layer in platform.base.layers:
            mirror.blobs.setdefault("airbyte/sdm", {})[layer["digest"]] = base_layer(platform.platform)
    known = BlobLocations()

    async def main() -> None:
        async with mirror.client("mirror.example") as source, target.client() as client:
            first = await push_image(image, client, "airbyte/source-a", tags=["1.0.0"], source=source, known=known)
            second = await push_image(image, client, "airbyte/source-b", tags=["1.0.0"], source=source, known=known)
        assert first.transfers[BlobTransfer.COPIED] == 2
        assert second.transfers[BlobTransfer.MOUNTED] == 2 and BlobTransfer.COPIED not in second.transfers
    anyio.run(main)
    layer_digest = image.platforms["linux/amd64"].base.layers[0]["digest"]
    assert target.blobs["airbyte/source-b"][layer_digest] == base_layer("linux/amd64")


def test_docker_archive_names_every_layer_and_carries_only_new_ones_for_a_warm_daemon() -> None:
    image = assemble_image(base_image(), deterministic_layer(FILES, mtime=0), CHANGES, epoch=0)
    amd64 = image.platforms["linux/amd64"]
    out = io.BytesIO()
    write_docker_archive(out, [(amd64, ["airbyte/source-x:dev"])], base_layer_files={})
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        assert tar.extractfile(manifest[0]["Config"]).read() == amd64.config  # type: ignore[union-attr]
    assert manifest[0]["RepoTags"] == ["airbyte/source-x:dev"]
    assert len(manifest[0]["Layers"]) == 2
    assert sorted(names) == sorted(["manifest.json", manifest[0]["Config"], manifest[0]["Layers"][-1]])


def test_the_image_time_is_source_date_epoch_else_the_folder_s_last_commit_else_zero(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from connector_build.problems import UserError
    from connector_build.source_date import source_date_epoch

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    folder = tmp_path / "connector"
    folder.mkdir()
    assert source_date_epoch(folder) == 0
    (folder / "manifest.yaml").write_text("a\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z", "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z",
           "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    assert source_date_epoch(folder) == 1772366400
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    assert source_date_epoch(folder) == 1234
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(UserError, match="SOURCE_DATE_EPOCH"):
        source_date_epoch(folder)


def test_assembly_is_on_by_default_and_turned_off_by_setting_or_flag(tmp_path: Path) -> None:
    from pipelines.build_options import resolve_build_options

    (tmp_path / "pyproject.toml").write_text("[tool.connector-pipelines]\n")
    repo = Monorepo.open(tmp_path)
    assert resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host").assemble_manifest_only
    assert not resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host",
                                     assemble=False).assemble_manifest_only
    (tmp_path / "pyproject.toml").write_text("[tool.connector-pipelines]\nassemble-manifest-only = false\n")
    repo = Monorepo.open(tmp_path)
    assert not resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host").assemble_manifest_only
    assert resolve_build_options(repo, image_mirrors=None, ca_bundle=None, network="host",
                                 assemble=True).assemble_manifest_only


def test_the_base_is_resolved_once_by_digest_through_the_mirror_and_a_missing_platform_is_one_line() -> None:
    from registry.assembly.base import BaseImageError, BaseResolver

    registry = FakeRegistry()
    image = base_image()
    repo = registry.manifests.setdefault("airbyte/sdm", {})
    blobs = registry.blobs.setdefault("airbyte/sdm", {})
    for base in image.platforms.values():
        repo[base.manifest.digest] = base.manifest.body
        blobs[sha256_digest(base.config)] = base.config
    index = assemble_image(image, deterministic_layer(FILES, mtime=0), CHANGES, epoch=0).index  # any OCI index
    index_json = json.loads(index)
    for entry, platform in zip(index_json["manifests"], sorted(image.platforms), strict=True):
        entry["digest"] = image.platforms[platform].manifest.digest
    repo["7"] = json.dumps(index_json).encode()
    original = registry.handle

    def serve(request: httpx.Request) -> httpx.Response:
        if match := re.fullmatch(r"/v2/(.+)/manifests/(.+)", request.url.path):
            registry.requests[f"GET {match[2][:12]}"] += 1
            body = registry.manifests.get(match[1], {}).get(match[2])
            if request.method == "GET" and body is not None:
                media_type = json.loads(body)["mediaType"]
                return httpx.Response(200, content=body, headers={"Content-Type": media_type})
            if request.method == "GET":
                return httpx.Response(404)
        return original(request)
    registry.handle = serve  # type: ignore[method-assign]

    async def main() -> None:
        resolver = BaseResolver({"docker.io/airbyte": "registry.example/airbyte"}, auth_for=lambda _: None)
        resolver.share_client(registry.client())
        pinned = "docker.io/airbyte/sdm:7@sha256:" + "0" * 64
        base = await resolver.resolve(pinned, ["linux/amd64", "linux/arm64"])
        again = await resolver.resolve(pinned, ["linux/arm64", "linux/amd64"])
        assert again is base
        assert base.digest == sha256_digest(repo["7"]) and base.repository == "airbyte/sdm"
        assert base.platforms["linux/arm64"].config == image.platforms["linux/arm64"].config
        assert registry.requests["GET 7"] == 1
        assert any("mirror" in notice for notice in resolver.notices)
        with pytest.raises(BaseImageError, match="no linux/s390x image"):
            await resolver.resolve(pinned, ["linux/s390x"])
        with pytest.raises(BaseImageError, match="not in its registry"):
            await resolver.resolve("docker.io/airbyte/sdm:8", ["linux/amd64"])
    anyio.run(main)
