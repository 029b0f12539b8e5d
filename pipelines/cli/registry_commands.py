"""``registry``: generate, preview, show, diff and serve the OSS and Cloud registries.

Paths given on the command line are taken from the current directory; without ``--store`` the
store is ``.connector-pipelines/store`` at the monorepo root, where ``publish`` writes by default.
The registry modules are imported inside each command so ``--help`` and other commands stay fast.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from connector_build.problems import UserError
from connector_build.selection import Selection
from pipelines.cli.console import console, error_console
from pipelines.cli.options import (
    select_connectors,
    selection_options,
)
from pipelines.columns import print_columns
from registry import layout

if TYPE_CHECKING:
    from registry.compile import CompiledRegistry
    from registry.store import Store

DEFAULT_STORE = ".connector-pipelines/store"

app = typer.Typer(
    help="The OSS and Cloud registries: generate them from the store, preview them from the monorepo, "
         "show, diff and serve them.",
    no_args_is_help=True,
)


class RegistryChoice(str, Enum):
    OSS = "oss"
    CLOUD = "cloud"


class OutputFormat(str, Enum):
    TABLE = "table"
    JSON = "json"


StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Metadata store: a folder or an fsspec URL (s3://, gs://, memory://). "
                                 f"Default: {DEFAULT_STORE} at the repo root."),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="Public URL the store is served at, for iconUrl "
                                    "(e.g. http://host:8080/files/). Default: the store's own URL."),
]
SigningKeyOption = Annotated[
    Path | None,
    typer.Option("--signing-key", help="Sign the registry files (detached .sig beside each) with this cosign or "
                                       "PEM EC key; password in COSIGN_PASSWORD. Default: the PEM in "
                                       "COSIGN_PRIVATE_KEY, else unsigned."),
]
RegistryOption = Annotated[RegistryChoice, typer.Option("--registry", help="Which registry: oss or cloud.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]


@app.command("generate")
def generate(
    ctx: typer.Context,
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    max_dropped_share: float = typer.Option(0.0, "--max-dropped-share", min=0.0, max=1.0,
                                            help="Share of a registry's connectors a regeneration may drop "
                                                 "(0: none, 0.05: up to 5%)."),
    force: bool = typer.Option(False, "--force", help="Write even when connectors would be dropped."),
    signing_key: SigningKeyOption = None,
) -> None:
    """Regenerate registries/v0/{oss,cloud}_registry.json from the latest published entries in the store.

    Refuses to replace a registry with one that drops connectors, unless --force.
    """
    from registry.compile import generate_registries
    from registry.signing import signing_key_from
    from registry.store_lease import StoreLease

    key = signing_key_from(signing_key.resolve() if signing_key else None)
    target = open_store(ctx, store, must_exist=True)
    lease = StoreLease(target, layout.REGISTRIES_LOCK, "the registries lease")  # a publish may be regenerating
    lease.acquire_blocking(on_wait=lambda line: error_console.print(line, highlight=False, soft_wrap=True))
    try:
        oss, cloud = generate_registries(target, base_url=base_url or target.default_base_url(),
                                         max_dropped_share=max_dropped_share, force=force, signing_key=key)
    finally:
        lease.release()
    print_problems(oss, cloud)
    if not len(oss) and not len(cloud):
        latest = layout.channel_folder("*", layout.LATEST)
        error_console.print(f"[yellow]no published entries under {escape(target.url)}/{latest}/: "
                            "both registries are empty[/]", soft_wrap=True)
    for compiled in (oss, cloud):
        console.print(f"{escape(target.public_url(layout.registry_file(compiled.name), target.url))}: "
                      f"{_count(compiled)}", highlight=False, soft_wrap=True)


@app.command("preview")
@selection_options()
def preview(
    ctx: typer.Context,
    selection: Selection,
    spec_cache: str | None = typer.Option(None, "--spec-cache", help="Folder or fsspec URL holding "
                                          "specs/<dockerRepository>/<dockerImageTag>/spec.json (a store is one). "
                                          "Default: the --store."),
    output: Path = typer.Option(..., "--output", help="Folder to write the preview to, laid out as a store "
                                "(registries/v0/, metadata/, specs/): `registry serve --store` serves it."),
    base_url: BaseUrlOption = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="The published store: a release candidate's main entry is its latest/ entry, as "
                        "`registry generate` will show it.")] = None,
) -> None:
    """Build both registries straight from the monorepo's metadata, with specs from a spec cache, into a
    folder laid out as a store."""
    from registry.preview import preview_registries, write_preview_store
    from registry.spec_cache import SpecCache
    from registry.store import Store

    if spec_cache is None and store is None:
        raise UserError("preview needs --spec-cache or --store (where the specs are)")
    _, found, connectors = select_connectors(ctx, selection)
    released = _open(store, must_exist=True, what="store") if store else None
    cache = _open(spec_cache, must_exist=True, what="spec cache") if spec_cache else released
    assert cache is not None
    out = Store.open(output.resolve())
    result = preview_registries(connectors, SpecCache(cache), base_url=base_url or out.default_base_url(),
                                released=released)
    for line in result.skipped:
        error_console.print(f"[yellow]{escape(line)}[/]", highlight=False, soft_wrap=True)
    print_problems(result.oss, result.cloud)
    if found.invalid and not selection.names:
        error_console.print(f"[yellow]{len(found.invalid)} connector(s) with invalid metadata left out; "
                            "run `connector-pipelines validate` to see why[/]", soft_wrap=True)
    write_preview_store(result, cache, out)
    for compiled in (result.oss, result.cloud):
        shown = output / layout.registry_file(compiled.name)
        console.print(f"{escape(str(shown))}: {_count(compiled)}", highlight=False, soft_wrap=True)
    error_console.print(escape(f"browse it: connector-pipelines registry serve --store {output}"), highlight=False,
                        soft_wrap=True)
    if base_url is None:
        error_console.print("its iconUrls are file URLs; for a platform reading it over HTTP, preview with "
                            "--base-url http://HOST:8080/files/ (the URL `registry serve` prints)", highlight=False,
                            soft_wrap=True)


@app.command("show")
def show(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="A connector (source-faker, airbyte/source-faker or its "
                                      "display name). None: every connector."),
    registry: RegistryOption = RegistryChoice.OSS,
    output_format: FormatOption = OutputFormat.TABLE,
    store: StoreOption = None,
) -> None:
    """Show a registry from the store: every connector, or one connector's entry."""
    from registry.documents import find_entry, read_registry
    from registry.releases import all_yanks

    target = open_store(ctx, store, must_exist=True)
    document = read_registry(target, registry.value)
    yanks = all_yanks(target)  # yanked versions are kept out of the entries; shown beside them
    entries = [*document["sources"], *document["destinations"]]
    if name:
        entry = find_entry(entries, name, registry.value)
        yanked = yanks.get(str(entry.get("dockerRepository")), {})
        if output_format is OutputFormat.JSON:
            print(json.dumps(entry, indent=2, sort_keys=True))
        else:
            print_entry(entry, extra=[(f"yanked {version}", f"{record.get('reason', '')} ({record.get('by', '?')}, "
                                                             f"{record.get('at', '?')})")
                                      for version, record in sorted(yanked.items())])
        return
    if output_format is OutputFormat.JSON:
        print(json.dumps([{**_summary(e), "yanked": sorted(yanks.get(str(e.get("dockerRepository")), {}))}
                          for e in entries], indent=2))
        return
    rows = []
    for e in sorted(entries, key=lambda e: (str(e.get("name", "")).casefold(), e.get("dockerRepository", ""))):
        s = _summary(e)
        rows.append((s["name"], s["type"], s["dockerRepository"], s["dockerImageTag"], s["supportLevel"],
                     s["releaseStage"], ", ".join(sorted(yanks.get(s["dockerRepository"], {})))))
    print_columns(console, ("name", "type", "repository", "version", "support", "stage", "yanked"), rows,
                  title=f"{registry.value} registry: {len(document['sources'])} sources, "
                        f"{len(document['destinations'])} destinations", title_console=error_console)


@app.command("diff")
def diff(
    old: str = typer.Argument(..., help="A registry JSON file (path or URL), or a store / base URL."),
    new: str = typer.Argument(..., help="Same, to compare against OLD."),
    registry: RegistryOption = RegistryChoice.OSS,
    output_format: FormatOption = OutputFormat.TABLE,
) -> None:
    """Compare two registries: connectors added, removed, re-versioned, and fields changed."""
    from registry.diff import diff_registries
    from registry.documents import load_registry, load_yanks

    changes = diff_registries(load_registry(old, registry.value), load_registry(new, registry.value))
    yanks = {**load_yanks(old), **load_yanks(new)}  # a store (not a file or URL) says what is yanked

    def yanked(repository: str, tag: str) -> Text:
        record = yanks.get(repository, {}).get(tag)
        return Text(f" (yanked {tag}: {record.get('reason', '')})", style="red") if record is not None else Text()

    if output_format is OutputFormat.JSON:
        result = changes.as_dict()
        result["yanked"] = [{"dockerRepository": repo, "dockerImageTag": tag, **record}
                            for repo, found in sorted(yanks.items()) for tag, record in sorted(found.items())]
        print(json.dumps(result, indent=2))
        return
    for ref in changes.added:
        console.print(Text.assemble((f"+ {ref.name}", "green"), f" ({ref.kind} {ref.repository} {ref.tag})"),
                      soft_wrap=True)
    for ref in changes.removed:
        console.print(Text.assemble((f"- {ref.name}", "red"), f" ({ref.kind} {ref.repository} {ref.tag})",
                                    yanked(ref.repository, ref.tag)), soft_wrap=True)
    for ref, was, now in changes.version_changes:
        console.print(Text.assemble((f"~ {ref.name}", "yellow"), f" ({ref.repository}): {was} -> {now}",
                                    yanked(ref.repository, was)), soft_wrap=True)
    for ref, fields in changes.changed_fields:
        console.print(escape(f"  {ref.name} ({ref.repository}): {', '.join(fields)} changed"), highlight=False,
                      soft_wrap=True)
    for ref, fields in changes.shape_only:
        console.print(f"[dim]  {escape(f'{ref.name} ({ref.repository}): ' + ', '.join(fields))} differ in shape only "
                      "(a default written or left out)[/]", highlight=False, soft_wrap=True)
    console.print(f"{len(changes.added)} added, {len(changes.removed)} removed, "
                  f"{len(changes.version_changes)} version change(s), "
                  f"{len(changes.changed_fields)} connector(s) with changed fields, "
                  f"{len(changes.shape_only)} with shape-only differences", highlight=False)


@app.command("verify")
def verify(
    ctx: typer.Context,
    source: str | None = typer.Argument(None, help="The store's URL (http(s)://host/files/) or folder; "
                                        "same as --store."),
    key: Path = typer.Option(..., "--key", help="The public key (PEM, as `cosign public-key` prints it)."),
    store: StoreOption = None,
    deep: bool = typer.Option(False, "--deep", help="Also verify every listed version's image: its signature "
                              "and the digest the store recorded."),
    registry: str = typer.Option("docker.io", "--registry", help="With --deep: the OCI registry (or mirror) "
                                 "serving the images."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="With --deep: versions checked at once."),
) -> None:
    """Verify the registry files' signatures (the .sig beside each) and, with --deep, every entry's image.

    One line per check; exit 1 when any fails."""
    from pipelines.cli.verify_command import registry_client, report, run_checks
    from registry.registry_signatures import verify_registry_files
    from registry.signing import read_public_key
    from registry.verify import StoreSource, registry_entries, verify_version

    if source and store:
        raise UserError("give the store once: as an argument or with --store")
    public_key = read_public_key(key)
    where = source or store
    opened = StoreSource.open(where if where and "://" in where else str(open_store(ctx, where, must_exist=True).url))
    checks = verify_registry_files(opened.read, public_key)
    if deep:
        listed = sorted({(str(e.get("dockerRepository")), str(e.get("dockerImageTag")))
                         for e in registry_entries(opened)})

        async def main() -> list:
            import anyio

            found: dict[tuple[str, str], list] = {}
            limiter = anyio.CapacityLimiter(concurrency)
            async with registry_client(registry) as client:
                async def one(repository: str, version: str) -> None:
                    async with limiter:
                        found[(repository, version)] = await verify_version(client, opened, repository, version,
                                                                            public_key)
                async with anyio.create_task_group() as group:
                    for repository, version in listed:
                        group.start_soon(one, repository, version)
            return [check for item in listed for check in found[item]]

        checks += run_checks(main)
    report(checks)


ServeStoreOption = Annotated[
    str | None,
    typer.Option("--store", help="Store folder on this machine, not a bucket URL (a bucket is served by its "
                                 "own HTTP endpoint, or copied to a folder first with "
                                 "`registry sync --store URL FOLDER`). "
                                 f"Default: {DEFAULT_STORE} at the repo root."),
]


@app.command("serve")
def serve(
    ctx: typer.Context,
    store: ServeStoreOption = None,
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64,
                                       help="Worker processes. Default: one per CPU core."),
    max_age: int = typer.Option(60, "--max-age", min=0,
                                help="Seconds clients and a CDN may reuse a file before asking again."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request (off: it costs throughput)."),
) -> None:
    """Serve the store over HTTP like Airbyte's public bucket (/files/...), with a page to browse it at /."""
    from registry.server import default_workers, run

    if store is not None and "://" in store and not store.startswith("file://"):
        raise UserError(f"serve needs a store folder on this machine, not {store}: serve the bucket itself "
                        f"(behind a CDN), or copy it to a folder first ({_sync_hint(store)}) and serve that "
                        "with `registry serve --store ./store`")
    target = open_store(ctx, store, must_exist=True)
    root = target.local_root
    if root is None:
        raise UserError(f"serve needs a store folder on this machine, not {target.url}")
    _check_port_free(host, port)
    if not (root / layout.registry_file("oss")).is_file():
        error_console.print(f"[yellow]no {layout.registry_file('oss')} in the store yet: run "
                            "`connector-pipelines registry generate` (the page will be empty)[/]", soft_wrap=True)
    count = workers or default_workers()
    shown = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}"
    console.print(escape(f"serving {root} at {shown}/ ({count} worker{'s' if count > 1 else ''})\n"
                         f"platform: CONNECTOR_REGISTRY_BASE_URL={shown}/files/"), highlight=False, soft_wrap=True)
    run(root, host=host, port=port, workers=count, max_age=max_age, access_log=access_log)


def _sync_hint(url: str) -> str:
    """The command that copies a bucket to ./store, rerun to pick up what publish adds."""
    return f"`connector-pipelines registry sync --store {url} ./store`"


@app.command("sync")
def sync(
    ctx: typer.Context,
    target: Path = typer.Argument(..., help="Folder on this machine to copy the store into (created if absent)."),
    store: StoreOption = None,
) -> None:
    """Copy a store (a bucket) down to a folder for `registry serve`; rerun it to pick up changes."""
    from registry.store_sync import sync_store

    source = open_store(ctx, store, must_exist=False)
    result = sync_store(source, target.expanduser().resolve())
    console.print(escape(f"{source.url} -> {target}: {len(result.copied)} copied, {len(result.unchanged)} unchanged, "
                         f"{len(result.removed)} removed"), highlight=False, soft_wrap=True)


def open_store(ctx: typer.Context, value: str | None, *, must_exist: bool) -> Store:
    """The store named on the command line, or the repo's default one."""
    if value is None:
        value = str(ctx.obj.open_repo().root / DEFAULT_STORE)
    return _open(value, must_exist=must_exist, what="store")


def _open(value: str, *, must_exist: bool, what: str) -> Store:
    from registry.store import Store

    target = Store.open(value if "://" in value else os.path.abspath(value))
    if must_exist and not target.is_present():
        raise UserError(f"{what} {target.url}: no such folder")
    return target


def print_problems(*registries: CompiledRegistry) -> None:
    for compiled in registries:
        for line in compiled.problems:
            error_console.print(f"[yellow]{compiled.name}: {escape(line)}[/]", highlight=False, soft_wrap=True)
        for line in compiled.warnings:
            error_console.print(f"[dim]{compiled.name}: note: {escape(line)}[/]", highlight=False, soft_wrap=True)


def _count(compiled: CompiledRegistry) -> str:
    return f"{len(compiled.sources)} sources, {len(compiled.destinations)} destinations"


def _summary(entry: dict[str, Any]) -> dict[str, str]:
    return {
        "name": str(entry.get("name", "")),
        "type": "source" if entry.get("sourceDefinitionId") else "destination",
        "dockerRepository": str(entry.get("dockerRepository", "")),
        "dockerImageTag": str(entry.get("dockerImageTag", "")),
        "supportLevel": str(entry.get("supportLevel") or "community"),
        "releaseStage": str(entry.get("releaseStage") or ""),
    }


def print_entry(entry: dict[str, Any], extra: Sequence[tuple[str, str]] = ()) -> None:
    releases = entry.get("releases") or {}
    rows = {
        **_summary(entry),
        "definitionId": entry.get("sourceDefinitionId") or entry.get("destinationDefinitionId"),
        "sourceType": entry.get("sourceType"),
        "language": entry.get("language"),
        "documentationUrl": entry.get("documentationUrl"),
        "iconUrl": entry.get("iconUrl"),
        "cdk": (entry.get("packageInfo") or {}).get("cdk_version"),
        "breakingChanges": ", ".join(releases.get("breakingChanges") or {}) or None,
        "releaseCandidates": ", ".join(releases.get("releaseCandidates") or {}) or None,
        "commit": ((entry.get("generated") or {}).get("git") or {}).get("commit_sha"),
        "spec properties": ", ".join(sorted(((entry.get("spec") or {}).get("connectionSpecification") or {})
                                            .get("properties") or {})) or None,
    }
    print_columns(console, ("field", "value"), [*((key, str(value)) for key, value in rows.items() if value), *extra],
                  title=str(entry.get("name", "")), title_console=error_console)


def _check_port_free(host: str, port: int) -> None:
    """Say so in one line, rather than in the server's log, when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
