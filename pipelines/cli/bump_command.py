"""``connector-pipelines bump-version``: a new connector version in every file that names it."""

from __future__ import annotations

import datetime as dt

import typer
from rich.markup import escape

from connector_build.problems import UserError
from pipelines.cli.console import console, error_console
from pipelines.cli.options import (
    BaseRefOption,
    LanguageOption,
    ModifiedOption,
    SupportLevelOption,
    TypeOption,
    build_selection,
    select_connectors,
)

BUMP_KINDS = "patch|minor|major|rc|X.Y.Z"


def bump_version(
    ctx: typer.Context,
    arguments: list[str] = typer.Argument(
        ..., metavar=f"[NAME]... {BUMP_KINDS}", show_default=False,
        help=f"Connector folder names, then the bump: {BUMP_KINDS}."),
    message: str | None = typer.Option(
        None, "--message", "-m", help="The changelog entry (and, for a major bump, the breaking change's message)."),
    pull_request: int | None = typer.Option(None, "--pr", help="Pull request number for the changelog row's link."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the diff; write nothing."),
    connector_type: TypeOption = None,
    language: LanguageOption = None,
    support_level: SupportLevelOption = None,
    modified: ModifiedOption = False,
    base_ref: BaseRefOption = "origin/main",
) -> None:
    """Bump connector versions: metadata.yaml, the package version, a changelog row (and, for major
    bumps, a breaking change and a migration-guide section; for rc, progressive rollout).

    Nothing is written unless every selected connector can be bumped.
    """
    from connector_build import versions
    from connector_build.bump import BadBump, BumpSettings, plan_bump
    from connector_build.bump.next_version import KINDS

    *names, how = arguments
    if how not in KINDS and versions.parse(how) is None:
        raise UserError(f"the last argument is the bump, {BUMP_KINDS}; got '{how}'")
    if not message or not message.strip():
        why = "the breaking change's message and the changelog row" if how == "major" else "the changelog row"
        raise UserError(f"--message is required: it becomes {why}")
    if not names and not (connector_type or language or support_level or modified):
        raise UserError("name the connectors to bump (or select them with --type, --language, --support-level, "
                        "--modified)")
    selection = build_selection(names, connector_type, language, support_level, modified, base_ref)
    repo, _, connectors = select_connectors(ctx, selection)
    if not connectors:
        error_console.print("[yellow]no connector selected[/]")
        raise typer.Exit(0)
    settings = BumpSettings.read(repo.root)
    today = dt.date.today()
    bumps, problems = [], []
    for connector in connectors:
        try:
            bumps.append(plan_bump(connector, repo, how, message=message.strip(), pull_request=pull_request,
                                   today=today, settings=settings))
        except BadBump as exc:
            problems.append(f"{connector.name}: {exc}")
    if problems:
        for problem in problems:
            error_console.print(f"[red]error:[/] {escape(problem)}", highlight=False, soft_wrap=True)
        error_console.print("nothing was written", highlight=False)
        raise typer.Exit(2)
    for bump in bumps:
        if dry_run:
            for change in bump.changes:
                console.print(change.diff(repo.root), highlight=False, markup=False, end="", soft_wrap=True)
        else:
            bump.write()
        files = ", ".join(str(c.path.relative_to(repo.root)) for c in bump.changes)
        console.print(f"{bump.connector.name}: {bump.old_version} -> {bump.new_version} ({files})",
                      highlight=False, soft_wrap=True)
        for note in bump.notes:
            error_console.print(f"[yellow]note:[/] {bump.connector.name}: {note}", highlight=False, soft_wrap=True)
    if dry_run:
        error_console.print("dry run: nothing written", highlight=False)
