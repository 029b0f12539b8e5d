"""What signing adds to a publish, and what `registry verify --deep` costs over 50 published versions (#17).

    .venv/bin/python bench/bench_signing.py [--versions 50] [--skip-publish]

Needs `bash scripts/setup.sh`. Starts a scratch registry (its own port and storage), then, in one run:

1. publishes the example source (linux/amd64) with a cosign-format key and reads the ``sign``
   step's time (and ``attest``'s, for the whole of #17) from the run's report, beside the command's;
2. signs N small images alone (our OCI client, the same registry), and the two registry files;
3. builds a store of N published versions as publish leaves them (image, signature, SLSA
   provenance and SPDX SBOM attached, entries with ``generated`` digests, marker, signed
   registry files) and times ``connector-pipelines registry verify --deep`` over it as a user runs it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.local_registry import HTPASSWD_PATH, read_local_registry  # noqa: E402
from registry import layout  # noqa: E402
from registry.auth import RegistryAuth  # noqa: E402
from registry.compile import generate_registries  # noqa: E402
from registry.image_signatures import docker_reference, sign_image  # noqa: E402
from registry.oci import OCI_MANIFEST, RegistryClient  # noqa: E402
from registry.provenance import SLSA_PROVENANCE_V1, STATEMENT_TYPE  # noqa: E402
from registry.referrers import IN_TOTO_JSON, PREDICATE_ANNOTATION, SPDX_JSON, Descriptor, attach  # noqa: E402
from registry.registry_signatures import sign_registry_files  # noqa: E402
from registry.sbom import document_bytes  # noqa: E402
from registry.scratch_registry import ScratchRegistry  # noqa: E402
from registry.signing import SigningKey, encrypt_cosign_key, generate_signing_key  # noqa: E402
from registry.store import Store  # noqa: E402

EXAMPLES = ROOT / "examples" / "monorepo"
PASSWORD = "bench-password"


async def push_tiny_image(client: RegistryClient, repository: str, tag: str, content: bytes) -> str:
    """A one-layer image (the layer: ``content``, not a tar; nothing runs it) pushed with our client."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [_sha256(content)]}}).encode()
    for blob in (content, config):
        await client.ensure_blob(repository, _sha256(blob), blob)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "size": len(config), "digest": _sha256(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": len(content),
                                       "digest": _sha256(content)}]}).encode()
    return await client.put_manifest(repository, tag, manifest, OCI_MANIFEST)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cli(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pipelines.cli.app", *args], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **env}, timeout=3600)
    return run, time.perf_counter() - started


def publish_once(folder: Path, registry: ScratchRegistry, key_file: Path, env: dict[str, str]) -> dict[str, float]:
    import shutil

    repo = folder / "monorepo"
    shutil.copytree(EXAMPLES, repo, ignore=shutil.ignore_patterns(".connector-pipelines", "__pycache__"))
    run, wall = cli("--repo", str(repo), "publish", "source-tiny-weather", "--registry", registry.address,
                    "--store", str(folder / "publish-store"), "--platform", "linux/amd64",
                    "--signing-key", str(key_file), env={**env, "COSIGN_PASSWORD": PASSWORD})
    if run.returncode != 0:
        raise SystemExit(f"publish failed:\n{run.stdout}\n{run.stderr}")
    line = next(line for line in run.stderr.splitlines() if line.startswith("reports: "))
    report = json.loads(Path(line.removeprefix("reports: ").split(" ")[0]).with_name("report.json").read_text())
    steps = {s["name"]: s.get("duration_s") or 0.0 for c in report["connectors"] for s in c["steps"]}
    return {"wall": wall, "steps": sum(steps.values()), "sign": steps.get("sign", 0.0),
            "attest": steps.get("attest", 0.0)}


async def publish_synthetic(client: RegistryClient, store: Store, key: SigningKey, registry: str,
                            count: int) -> tuple[float, float]:
    """``count`` connectors with one version each, as publish leaves them; returns (push s, sign s)."""
    push_s = sign_s = 0.0
    for number in range(count):
        repository, version = f"airbyte/source-bench-{number:03d}", "1.0.0"
        started = time.perf_counter()
        digest = await push_tiny_image(client, repository, version, f"bench {number}".encode())
        subject = Descriptor.of(await client.get_manifest(repository, digest))  # type: ignore[arg-type]
        statement = document_bytes({"_type": STATEMENT_TYPE, "predicateType": SLSA_PROVENANCE_V1, "predicate": {},
                                    "subject": [{"name": f"pkg:docker/{repository}@{version}",
                                                 "digest": {"sha256": digest.removeprefix("sha256:")}}]})
        sbom = document_bytes({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [
            {"SPDXID": "SPDXRef-Image", "name": repository,
             "checksums": [{"algorithm": "SHA256", "checksumValue": digest.removeprefix("sha256:")}]}],
            "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                               "relatedSpdxElement": "SPDXRef-Image"}]})
        await attach(client, repository, subject, IN_TOTO_JSON, statement, {PREDICATE_ANNOTATION: SLSA_PROVENANCE_V1})
        await attach(client, repository, subject, SPDX_JSON, sbom)
        push_s += time.perf_counter() - started
        started = time.perf_counter()
        await sign_image(client, repository, digest, docker_reference(registry, repository), key)
        sign_s += time.perf_counter() - started
        store.write_bytes_atomic(layout.provenance_file(repository, version), statement)
        store.write_bytes_atomic(layout.sbom_file(repository, version, "linux/amd64"), sbom)
        entry = {"sourceDefinitionId": f"00000000-0000-4000-8000-{number:012d}", "name": f"Bench {number:03d}",
                 "dockerRepository": repository, "dockerImageTag": version, "documentationUrl": "https://x.example",
                 "sourceType": "api", "spec": {"connectionSpecification": {}}, "supportLevel": "community",
                 "releaseStage": "alpha", "license": "MIT", "public": True, "custom": False, "tombstone": False,
                 "generated": {"imageDigest": digest, "platformDigests": {"linux/amd64": digest}}}
        for path in (layout.version_file(repository, version, "oss.json"),
                     layout.channel_file(repository, layout.LATEST, "oss.json")):
            store.write_bytes_atomic(path, json.dumps(entry).encode())
        store.write_bytes_atomic(layout.marker(repository, version), json.dumps({"digest": digest}).encode())
    return push_s, sign_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--skip-publish", action="store_true", help="Leave out the real publish (part 1).")
    args = parser.parse_args()
    values = read_local_registry()
    if not values:
        raise SystemExit("no local registry credentials: run `bash scripts/setup.sh`")
    auth = (values["LOCAL_REGISTRY_USERNAME"], values["LOCAL_REGISTRY_PASSWORD"])
    console = Console()
    with tempfile.TemporaryDirectory(prefix="cp-i17-bench-") as temp:
        folder = Path(temp)
        registry = ScratchRegistry.create(folder, HTPASSWD_PATH, auth)
        registry.start()
        env = {"DOCKER_HUB_USERNAME": auth[0], "DOCKER_HUB_PASSWORD": auth[1]}
        key = generate_signing_key()
        key_file, public_key = folder / "cosign.key", folder / "cosign.pub"
        key_file.write_bytes(encrypt_cosign_key(key, PASSWORD))
        public_key.write_bytes(key.public_key.pem())
        try:
            publish = None if args.skip_publish else publish_once(folder, registry, key_file, env)
            store = Store.open(folder / "store")

            async def fill() -> tuple[float, float]:
                async with RegistryClient.for_registry(registry.address,
                                                       RegistryAuth(registry.address, *auth)) as client:
                    return await publish_synthetic(client, store, key, registry.address, args.versions)

            push_s, sign_s = anyio.run(fill)
            generate_registries(store, base_url="http://files.example/")
            started = time.perf_counter()
            sign_registry_files(store, key)
            registry_sign_s = time.perf_counter() - started
            run, verify_wall = cli("registry", "verify", "--key", str(public_key), "--store", str(folder / "store"),
                                   "--registry", registry.address, "--deep", env=env)
            files_run, files_wall = cli("registry", "verify", "--key", str(public_key), "--store",
                                        str(folder / "store"), env=env)
        finally:
            registry.stop()
    lines = run.stdout.splitlines()
    if run.returncode != 0 or not lines or not all(line.startswith("ok") for line in lines):
        raise SystemExit(f"registry verify --deep failed:\n{run.stdout}\n{run.stderr}")

    table = Table(title=f"#17 signing and offline verify (scratch registry; {os.cpu_count()} cores, shared)")
    table.add_column("what")
    table.add_column("value", justify="right")
    if publish:
        share = 100 * publish["sign"] / publish["wall"]
        table.add_row("publish source-tiny-weather (amd64), whole command", f"{publish['wall']:.1f} s")
        table.add_row("  sign step (image index, cosign format)", f"{publish['sign']:.2f} s ({share:.1f} %)")
        table.add_row("  attest step (SBOM + provenance, #17 part A)",
                      f"{publish['attest']:.2f} s ({100 * publish['attest'] / publish['wall']:.1f} %)")
    table.add_row(f"sign_image alone, mean of {args.versions}", f"{1000 * sign_s / args.versions:.0f} ms")
    table.add_row("sign both registry files", f"{1000 * registry_sign_s:.1f} ms")
    table.add_row(f"registry verify (files only), {len(files_run.stdout.splitlines())} checks", f"{files_wall:.2f} s")
    table.add_row(f"registry verify --deep, {args.versions} versions, {len(lines)} checks", f"{verify_wall:.2f} s")
    marginal = (verify_wall - files_wall) / args.versions
    table.add_row("  per version, beyond the files-only run", f"{1000 * marginal:.0f} ms")
    table.add_row("(setup: push + attach per synthetic version)", f"{1000 * push_s / args.versions:.0f} ms")
    console.print(table)


if __name__ == "__main__":
    main()
