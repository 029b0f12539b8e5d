"""What every pipeline command does when its run ends: notices, summary, reports, exit code."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from connector_build.connector import Connector
from pipelines.cli.console import console, error_console
from pipelines.engines.base import Engine
from pipelines.progress import Progress
from pipelines.reports import print_summary, write_reports
from pipelines.results import RunReport
from pipelines.runner import StepsFor, run_pipelines


def finish_run(report: RunReport, report_dir: Path) -> None:
    # Without a terminal the progress printed a line per step; where those lines already went
    # (`2>&1 | tee log`), the summary's title says the rest instead of a table repeating them.
    print_summary(report, console=console, error_console=error_console,
                  steps_shown=Progress.prints_step_lines(error_console) and same_destination(console, error_console))
    written = write_reports(report, report_dir)
    error_console.print(escape(f"reports: {written['html']} (and report.json, junit.xml)"), highlight=False,
                        soft_wrap=True)
    if not report.success:
        raise typer.Exit(1)


async def run_with_progress(connectors: Sequence[Connector], steps_for: StepsFor, *, command: str,
                            engine_name: str, concurrency: int | None, report_dir: Path,
                            notices: Callable[[], list[str]] | None = None) -> RunReport:
    """The runner with the live progress view on stderr; concurrency defaults to the CPU count.
    ``notices`` (the engine's one-time messages) are printed once each, as they appear."""
    with Progress(error_console, [c.name for c in connectors], notices=notices) as progress:
        return await run_pipelines(connectors, steps_for, command=command, engine_name=engine_name,
                                   concurrency=concurrency or os.cpu_count() or 2, report_dir=report_dir,
                                   progress=progress)


def run_command(connectors: Sequence[Connector], steps_for: StepsFor, *, command: str, engine: Engine | None,
                engine_name: str, concurrency: int | None, report_dir: Path,
                step_notices: Sequence[str] = ()) -> None:
    """What `build` and `test` do: run, close the engine, report, and (even on Ctrl-C) remove the
    containers the engine started. ``step_notices`` (filled while steps run) are shown with the
    engine's one-time messages."""
    import anyio

    async def main() -> None:
        try:
            report = await run_with_progress(connectors, steps_for, command=command, engine_name=engine_name,
                                             concurrency=concurrency, report_dir=report_dir,
                                             notices=lambda: [*(engine.notices if engine is not None else []),
                                                              *step_notices])
        finally:
            if engine is not None:
                await engine.close()
        finish_run(report, report_dir)

    try:
        anyio.run(main)
    finally:
        remove_engine_containers(engine)


def same_destination(first: Console, second: Console) -> bool:
    """Whether two consoles write to the same file or pipe (``2>&1``)."""
    try:
        a, b = os.fstat(first.file.fileno()), os.fstat(second.file.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def remove_engine_containers(engine: Engine | None) -> None:
    if engine is not None:
        engine.remove_own_containers()
