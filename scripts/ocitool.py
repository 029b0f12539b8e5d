#!/usr/bin/env python3
"""Small image helpers for build-base-images.sh, standard library only.

    # a `docker save`-layout tarball from a root filesystem tar, for `docker load`
    python3 ocitool.py image-tar --rootfs rootfs.tar --platform linux/arm64 \\
        --tag localhost:5000/airbyte/python-connector-base:4.0.2-arm64 \\
        --env PYTHONUNBUFFERED=1 --cmd /bin/bash | docker load

    # does the registry hold REF as an index covering these platforms? (exit 0 / 1)
    python3 ocitool.py has-index localhost:5000/airbyte/x:1.0 linux/amd64 linux/arm64

    # is the single-platform manifest REF in the registry? (exit 0 / 1)
    python3 ocitool.py has-manifest localhost:5000/airbyte/x:1.0-arm64

    # join per-platform tags under one tag as an OCI image index
    python3 ocitool.py put-index localhost:5000/airbyte/x:1.0 1.0-amd64 1.0-arm64

    # exit 0 when stdin has an Airbyte protocol message of this type (prints it)
    docker run ... spec | python3 ocitool.py find-message SPEC

Registry calls use basic auth from LOCAL_REGISTRY_USERNAME / LOCAL_REGISTRY_PASSWORD and
plain HTTP (the local registry only; `localhost` is dialled as 127.0.0.1).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import time
import urllib.error
import urllib.request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)

# platform -> (GOARCH, variant)
PLATFORMS = {
    "linux/amd64": ("amd64", None),
    "linux/arm64": ("arm64", "v8"),
}


# ---------------------------------------------------------------- image tarball


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def image_tar(args: argparse.Namespace) -> None:
    """Write one single-layer image in the `docker save` layout to stdout.

    `docker import --platform` does not record the architecture on dockerd 20.10, so the
    config (with "architecture" and "variant") is written here and the image is loaded.
    """
    arch, variant = PLATFORMS[args.platform]
    layer_digest = _sha256_file(args.rootfs)
    created_ts = int(os.stat(args.rootfs).st_mtime)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created_ts))
    config: dict = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": {
            "Env": args.env,
            "Cmd": args.cmd or None,
            "WorkingDir": args.workdir,
            "Labels": dict(label.split("=", 1) for label in args.label) or None,
        },
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created": created, "created_by": args.created_by}],
    }
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [args.tag], "Layers": [f"{layer_digest}/layer.tar"]}]

    out = sys.stdout.buffer
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, config_name, config_bytes, created_ts)
        layer = tar.gettarinfo(args.rootfs, arcname=f"{layer_digest}/layer.tar")
        layer.uid = layer.gid = 0
        layer.uname = layer.gname = ""
        with open(args.rootfs, "rb") as f:
            tar.addfile(layer, f)
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode(), created_ts)
    out.flush()


# ---------------------------------------------------------------- registry API


class Ref:
    """localhost:5000/airbyte/name:tag -> base URL, repository, tag."""

    def __init__(self, ref: str) -> None:
        host, _, rest = ref.partition("/")
        repo, _, tag = rest.rpartition(":")
        if not repo or "/" in tag:
            raise SystemExit(f"ocitool: not a host/repo:tag reference: {ref}")
        dial = host.replace("localhost", "127.0.0.1", 1) if host.startswith("localhost") else host
        self.base = f"http://{dial}/v2/{repo}"
        self.repo, self.tag = repo, tag


def _request(
    method: str, url: str, accept: tuple[str, ...] = (), body: bytes | None = None, content_type: str | None = None
) -> tuple[int, dict, bytes]:
    user = os.environ.get("LOCAL_REGISTRY_USERNAME", "")
    password = os.environ.get("LOCAL_REGISTRY_PASSWORD", "")
    req = urllib.request.Request(url, data=body, method=method)
    if user:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    if accept:
        req.add_header("Accept", ", ".join(accept))
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            raise SystemExit(f"ocitool: registry refused {method} {url}: {err.code}") from None
        return err.code, dict(err.headers), err.read()


def _get_manifest(ref: Ref, tag: str, accept: tuple[str, ...]) -> tuple[str, str, bytes] | None:
    status, headers, body = _request("GET", f"{ref.base}/manifests/{tag}", accept)
    if status == 404:
        return None
    if status != 200:
        raise SystemExit(f"ocitool: GET manifest {ref.repo}:{tag} answered {status}: {body[:200]!r}")
    media_type = headers.get("Content-Type", "").split(";")[0]
    digest = headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()
    return media_type, digest, body


def has_manifest(args: argparse.Namespace) -> int:
    ref = Ref(args.ref)
    status, _, _ = _request("HEAD", f"{ref.base}/manifests/{ref.tag}", MANIFEST_TYPES + INDEX_TYPES)
    return 0 if status == 200 else 1


def has_index(args: argparse.Namespace) -> int:
    ref = Ref(args.ref)
    # The cheap check first: HEAD, as a second run mostly ends here.
    status, headers, _ = _request("HEAD", f"{ref.base}/manifests/{ref.tag}", INDEX_TYPES)
    if status != 200 or headers.get("Content-Type", "").split(";")[0] not in INDEX_TYPES:
        return 1
    found = _get_manifest(ref, ref.tag, INDEX_TYPES)
    if found is None:
        return 1
    have = {
        f"{m['platform']['os']}/{m['platform']['architecture']}"
        for m in json.loads(found[2]).get("manifests", [])
        if "platform" in m
    }
    return 0 if set(args.platforms) <= have else 1


def put_index(args: argparse.Namespace) -> int:
    """PUT an OCI image index under REF's tag pointing at the per-platform tags' manifests."""
    ref = Ref(args.ref)
    entries = []
    for tag in args.sources:
        found = _get_manifest(ref, tag, MANIFEST_TYPES)
        if found is None:
            raise SystemExit(f"ocitool: {ref.repo}:{tag} is not in the registry")
        media_type, digest, body = found
        if media_type not in MANIFEST_TYPES:
            raise SystemExit(f"ocitool: {ref.repo}:{tag} is a {media_type}, not a single-platform manifest")
        config_digest = json.loads(body)["config"]["digest"]
        status, _, config_body = _request("GET", f"{ref.base}/blobs/{config_digest}")
        if status != 200:
            raise SystemExit(f"ocitool: GET config blob of {ref.repo}:{tag} answered {status}")
        config = json.loads(config_body)
        platform = {"architecture": config["architecture"], "os": config["os"]}
        if config.get("variant"):
            platform["variant"] = config["variant"]
        entries.append({"mediaType": media_type, "digest": digest, "size": len(body), "platform": platform})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    body = json.dumps(index, indent=2).encode()
    status, headers, resp = _request("PUT", f"{ref.base}/manifests/{ref.tag}", body=body, content_type=OCI_INDEX)
    if status != 201:
        raise SystemExit(f"ocitool: PUT index {ref.repo}:{ref.tag} answered {status}: {resp[:300]!r}")
    platforms = ", ".join(f"{e['platform']['os']}/{e['platform']['architecture']}" for e in entries)
    print(f"{args.ref} -> {headers.get('Docker-Content-Digest')} ({platforms})")
    return 0


# ---------------------------------------------------------------- Airbyte protocol


def find_message(args: argparse.Namespace) -> int:
    """Exit 0 when a line of stdin is a JSON Airbyte message of the given type."""
    for line in sys.stdin:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("type") == args.type:
            print(line[:300] + ("..." if len(line) > 300 else ""))
            return 0
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("image-tar", help="write a docker-save tarball to stdout")
    p.add_argument("--rootfs", required=True)
    p.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    p.add_argument("--tag", required=True)
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--label", action="append", default=[])
    p.add_argument("--cmd", action="append", default=[])
    p.add_argument("--workdir", default="/")
    p.add_argument("--created-by", default="mmdebstrap root filesystem")
    p.set_defaults(func=image_tar)

    p = sub.add_parser("has-manifest")
    p.add_argument("ref")
    p.set_defaults(func=has_manifest)

    p = sub.add_parser("has-index")
    p.add_argument("ref")
    p.add_argument("platforms", nargs="+")
    p.set_defaults(func=has_index)

    p = sub.add_parser("put-index")
    p.add_argument("ref")
    p.add_argument("sources", nargs="+", help="tags in the same repository, one per platform")
    p.set_defaults(func=put_index)

    p = sub.add_parser("find-message")
    p.add_argument("type")
    p.set_defaults(func=find_message)

    args = parser.parse_args()
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
