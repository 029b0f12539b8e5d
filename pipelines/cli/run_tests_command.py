"""``connector-pipelines test``: QA checks, the connector's own tests, and a protocol smoke run."""

from __future__ import annotations

from pathlib import Path

import typer

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
from pipelines.cli.console import error_console
from pipelines.cli.options import (
    GlobalOptions,
    select_connectors,
    selection_options,
)

PARTS = ("qa", "unit", "smoke")


def parse_only(text: str | None) -> set[str]:
    if not text:
        return set(PARTS)
    parts = {p.strip() for p in text.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown or not parts:
        raise UserError(f"--only {text}: choose from {', '.join(PARTS)}")
    return parts


@selection_options()
def test(
    ctx: typer.Context,
    selection: Selection,
    only: str | None = typer.Option(None, "--only", help="Parts to run, comma-separated: qa, unit, smoke. "
                                    "Default: all."),
    config: Path | None = typer.Option(None, "--config", help="Connector config for check/discover/read (default: "
                                       "secrets/config.json or integration_tests/config.json)."),
    concurrency: ConcurrencyOption = None,
    report_dir: ReportDirOption = None,
    ca_bundle: CaBundleOption = None,
    build_network: NetworkOption = "host",
    image_mirror: MirrorOption = None,
    assemble: AssembleOption = None,
) -> None:
    """Test connectors: QA checks, their unit tests in a container, and a spec/check/discover/read smoke run.

    Exit code 0 only when every selected connector passed.
    """
    from connector_build.qa import QAContext
    from connector_build.qa.base_ref import ref_exists
    from pipelines.build_options import resolve_build_options
    from pipelines.cli.run_support import run_command
    from pipelines.engines import open_engine
    from pipelines.step_lists import run_tests_pipeline
    from pipelines.test_secrets import TestSecrets

    options: GlobalOptions = ctx.obj
    parts = parse_only(only)
    if config is not None and not config.is_file():
        raise UserError(f"--config {config}: no such file")
    repo, _, connectors = select_connectors(ctx, selection)
    if not connectors:
        error_console.print("[yellow]no connector selected[/]")
        raise typer.Exit(0)
    base_ref = selection.base_ref if ref_exists(repo.root, selection.base_ref) else None
    qa_context = QAContext(repo=repo, base_ref=base_ref)
    needs_image = bool(parts & {"unit", "smoke"})
    engine = open_engine(options.engine.value) if needs_image else None
    build_options = resolve_build_options(repo, image_mirrors=image_mirror, ca_bundle=ca_bundle,
                                          network=build_network, assemble=assemble)
    reports_at = report_dir or default_report_dir(repo.root, "test")
    secrets = TestSecrets.for_repo(repo)

    notices: list[str] = []

    def steps_for(connector) -> list:
        return run_tests_pipeline(engine, build_options, connector, parts=parts, qa=qa_context, secrets=secrets,
                             config=config, notices=notices)

    run_command(connectors, steps_for, command="test", engine=engine, engine_name=options.engine.value,
                concurrency=concurrency, report_dir=reports_at, step_notices=notices)
