"""``connector-pipelines build``: images for the selected connectors, with live progress and reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from connector_build.selection import Selection
from pipelines.cli.console import error_console
from pipelines.cli.options import (
    GlobalOptions,
    select_connectors,
    selection_options,
)

PlatformOption = Annotated[
    str | None,
    typer.Option("--platform", help="Comma-separated: linux/amd64,linux/arm64. Default: this machine's."),
]
ConcurrencyOption = Annotated[
    int | None, typer.Option("--concurrency", min=1, help="Connectors at once. Default: CPU count.")
]
ReportDirOption = Annotated[
    Path | None,
    typer.Option("--report-dir", help="Where reports go. Default: .connector-pipelines/reports/<timestamp>/"),
]
CaBundleOption = Annotated[
    Path | None,
    typer.Option("--ca-bundle", help="Extra CA bundle for dependency installs (default: $SSL_CERT_FILE or "
                 "$PIP_CERT). Used during the build only, never left in the image."),
]
NetworkOption = Annotated[
    str, typer.Option("--build-network", help="Network for build steps that install dependencies.")
]
MirrorOption = Annotated[
    list[str] | None,
    typer.Option("--image-mirror", help="FROM=TO, e.g. docker.io/airbyte=localhost:5000/airbyte. Repeatable; "
                 "adds to [tool.connector-pipelines.image-mirrors]."),
]

AssembleOption = Annotated[
    bool | None,
    typer.Option("--assemble/--no-assemble", help="Manifest-only images: assemble them without a build "
                 "(default), or build them with the engine. Default: assemble-manifest-only in the settings."),
]


def default_report_dir(repo_root: Path, command: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return repo_root / ".connector-pipelines" / "reports" / f"{stamp}-{command}"


@selection_options()
def build(
    ctx: typer.Context,
    selection: Selection,
    platform: PlatformOption = None,
    concurrency: ConcurrencyOption = None,
    report_dir: ReportDirOption = None,
    ca_bundle: CaBundleOption = None,
    build_network: NetworkOption = "host",
    image_mirror: MirrorOption = None,
    assemble: AssembleOption = None,
    tag: str = typer.Option("dev", "--tag", help="Local image tag."),
) -> None:
    """Build connector images (airbyte/<name>:dev) and check each answers `spec`."""
    # Imported here: `list` and `--help` should not pay for the engine's imports.
    from pipelines.build_options import parse_platforms, resolve_build_options
    from pipelines.build_steps import host_platform
    from pipelines.cli.run_support import run_command
    from pipelines.engines import open_engine
    from pipelines.step_lists import build_pipeline

    options: GlobalOptions = ctx.obj
    repo, _, connectors = select_connectors(ctx, selection)
    if not connectors:
        error_console.print("[yellow]no connector selected[/]")
        raise typer.Exit(0)
    platforms = parse_platforms(platform, host_platform())
    build_options = resolve_build_options(repo, image_mirrors=image_mirror, ca_bundle=ca_bundle,
                                          network=build_network, assemble=assemble)
    engine = open_engine(options.engine.value)
    reports_at = report_dir or default_report_dir(repo.root, "build")

    notices: list[str] = []

    def steps_for(connector) -> list:
        return build_pipeline(engine, build_options, platforms, connector, tag=tag, notices=notices)

    run_command(connectors, steps_for, command="build", engine=engine, engine_name=engine.name,
                concurrency=concurrency, report_dir=reports_at, step_notices=notices)
