"""``connector-pipelines publish``: push every version not yet published, record it, regenerate the registries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from connector_build.problems import UserError
from connector_build.selection import Selection
from pipelines.cli.build_command import (
    AssembleOption,
    CaBundleOption,
    ConcurrencyOption,
    MirrorOption,
    NetworkOption,
    ReportDirOption,
    default_report_dir,
)
from pipelines.cli.console import console, error_console
from pipelines.cli.options import (
    GlobalOptions,
    select_connectors,
    selection_options,
)

StoreOption = Annotated[
    str | None, typer.Option("--store", help="Metadata store: a folder, or an fsspec URL (s3://, gs://, memory://). "
                             "Default: .connector-pipelines/store in the monorepo.")
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option("--base-url", help="Public URL the store is served at (for iconUrl). Default: file URL of the store."),
]


@selection_options()
def publish(
    ctx: typer.Context,
    selection: Selection,
    registry: str = typer.Option("docker.io", "--registry", help="OCI registry to push to, e.g. localhost:5000."),
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    pre_release: bool = typer.Option(False, "--pre-release", help="Tag X.Y.Z-dev.<git sha>; never latest, "
                                     "never in the registries."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be pushed and written; touch nothing."),
    platform: str = typer.Option(",".join(("linux/amd64", "linux/arm64")), "--platform",
                                 help="Platforms to build and push."),
    concurrency: ConcurrencyOption = None,
    report_dir: ReportDirOption = None,
    ca_bundle: CaBundleOption = None,
    build_network: NetworkOption = "host",
    image_mirror: MirrorOption = None,
    lock_timeout: float = typer.Option(1800, "--lock-timeout", min=0,
                                       help="Seconds to wait for a connector or the registries while another "
                                            "publisher holds them."),
    lock_lease: float = typer.Option(180, "--lock-lease", min=5,
                                     help="Seconds a lease stays good unrenewed: after that, a publisher "
                                          "killed elsewhere is taken over (with a warning)."),
    assemble: AssembleOption = None,
    signing_key: Path | None = typer.Option(None, "--signing-key", help="Sign images and registry files in "
                                            "cosign's format with this key (a `cosign generate-key-pair` key or a "
                                            "PEM EC key; password in COSIGN_PASSWORD). Default: the PEM in "
                                            "COSIGN_PRIVATE_KEY, else no signing."),
) -> None:
    """Push each connector version not yet published (once), record it in the store, regenerate the registries.

    Credentials: DOCKER_HUB_USERNAME / DOCKER_HUB_PASSWORD, or your docker login. Never printed.
    Signing: `--signing-key cosign.key` (or COSIGN_PRIVATE_KEY), password in COSIGN_PASSWORD.
    """
    import anyio

    from pipelines.assembled_steps import Assembler
    from pipelines.build_options import parse_platforms, resolve_build_options
    from pipelines.cli.run_support import finish_run, remove_engine_containers, run_with_progress
    from pipelines.engines import LazyEngine
    from pipelines.publish_steps import PublishTarget, head_sha, planned_actions
    from pipelines.registries_refresh import regenerate_registries
    from pipelines.step_lists import publish_pipeline
    from registry.compile import RegistryShrinks
    from registry.credentials import registry_auth
    from registry.oci import RegistryAuthError, RegistryClient, RegistryError, RegistryUnreachable
    from registry.signing import signing_key_from
    from registry.store import Store
    from registry.store_lease import LeaseSettings, check_atomic_create

    options: GlobalOptions = ctx.obj
    repo, _, connectors = select_connectors(ctx, selection)
    build_options = resolve_build_options(repo, image_mirrors=image_mirror, ca_bundle=ca_bundle,
                                          network=build_network, assemble=assemble)
    platforms = parse_platforms(platform, "linux/amd64")
    sha = None
    if pre_release:
        sha = head_sha(repo.root)
        if not sha:
            raise UserError("--pre-release needs a git checkout (the tag carries the commit sha)")
    # As a user expects of a path: relative to where the command runs; the default lives in the repo.
    store_url = store if store and "://" in store else str(Path(store).resolve()) if store \
        else str(repo.root / ".connector-pipelines" / "store")
    target_store = Store.open(store_url)
    check_atomic_create(target_store, probe=not dry_run)  # publishers need it: refuse now, in one line
    lease_settings = LeaseSettings(lease_s=lock_lease, wait_s=lock_timeout)
    key = signing_key_from(signing_key.resolve() if signing_key else None)  # a bad key or password fails here
    auth = registry_auth(registry)
    engine = LazyEngine(options.engine.value)  # connects only if something has to be built or run
    reports_at = report_dir or default_report_dir(repo.root, "publish")

    async def main() -> None:
        shrink_refused = False
        async with RegistryClient.for_registry(registry, auth) as client:
            try:
                await client.check_access()
            except RegistryAuthError as exc:
                raise UserError(f"{exc}: check DOCKER_HUB_USERNAME / DOCKER_HUB_PASSWORD or `docker login`") from None
            except RegistryUnreachable as exc:
                raise UserError(str(exc)) from None
            if key is None:  # said once, once the run can go ahead
                error_console.print("no signing key (--signing-key or COSIGN_PRIVATE_KEY): images and registry "
                                    "files are not signed", highlight=False, soft_wrap=True)
            target = PublishTarget(
                registry=registry, registry_client=client, auth=auth, store=target_store,
                base_url=base_url or target_store.default_base_url(), repo_root=repo.root,
                pre_release_sha=sha, dry_run=dry_run, platforms=tuple(platforms), lease_settings=lease_settings,
                signing_key=key,
            )

            assembler = Assembler(build_options, target=client)

            def steps_for(connector) -> list:
                return publish_pipeline(engine, target, build_options, connector, assembler)

            try:  # each connector's steps hold that connector's lease (see HoldConnectorLease)
                report = await run_with_progress(connectors, steps_for, command="publish",
                                                 engine_name=options.engine.value, concurrency=concurrency,
                                                 report_dir=reports_at,
                                                 notices=lambda: [*engine.notices, *assembler.notices])
            finally:
                await assembler.aclose()
                await engine.close()
            if dry_run:
                planned = planned_actions(report)
                for line in planned:
                    console.print(escape(line), highlight=False, soft_wrap=True)
                console.print(f"[bold]dry run:[/] {len(planned)} action(s) planned, nothing touched")
            elif not pre_release:
                try:
                    regenerated = await regenerate_registries(
                        target_store, base_url=target.base_url, lease_settings=lease_settings, signing_key=key,
                        on_wait=lambda line: error_console.print(escape(line), highlight=False, soft_wrap=True),
                        on_warning=lambda line: error_console.print(f"[yellow]warning:[/] {escape(line)}",
                                                                    highlight=False, soft_wrap=True))
                except RegistryShrinks as exc:
                    error_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
                    shrink_refused = True
                else:
                    if regenerated is not None:
                        oss, cloud = regenerated
                        error_console.print(f"registries regenerated: oss {len(oss)} and cloud {len(cloud)} "
                                            "connector(s)" + (", signed" if key else ""), soft_wrap=True)
            finish_run(report, reports_at)
            if shrink_refused:
                raise typer.Exit(1)

    try:
        anyio.run(main)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    finally:
        remove_engine_containers(engine)

