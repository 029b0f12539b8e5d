"""``list`` and ``validate``: look at the monorepo without building anything."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum

import typer
from rich.markup import escape

from connector_build.connector import Connector
from connector_build.metadata_loader import load_metadata
from connector_build.problems import InvalidMetadata, Problem
from connector_build.selection import Selection, check_names
from pipelines.cli.console import console, error_console
from pipelines.cli.options import (
    select_connectors,
    selection_options,
)
from pipelines.columns import print_columns


class ListFormat(str, Enum):
    TABLE = "table"
    JSON = "json"
    GITHUB_MATRIX = "github-matrix"


@selection_options()
def list_connectors(
    ctx: typer.Context,
    selection: Selection,
    output_format: ListFormat = typer.Option(ListFormat.TABLE, "--format", help="table, json, or github-matrix."),
) -> None:
    """List the selected connectors with their type, language and version."""
    _, found, connectors = select_connectors(ctx, selection)
    if output_format is ListFormat.JSON:
        print(json.dumps([describe(c) for c in connectors], indent=2))
    elif output_format is ListFormat.GITHUB_MATRIX:
        # One job per connector: `strategy: matrix: ${{ fromJSON(needs.list.outputs.matrix) }}`
        include = [{"connector": c.name, "type": c.connector_type.value, "language": c.language.value}
                   for c in connectors]
        print(json.dumps({"include": include}, separators=(",", ":")))
    else:
        # No path column: it is always <connectors-dir>/<name> (`--format json` has it).
        rows = [(c.name, c.connector_type.value, c.language.value, c.version, c.support_level) for c in connectors]
        title = f"{len(connectors)} connector{'' if len(connectors) == 1 else 's'}"
        print_columns(console, ("name", "type", "language", "version", "support"), rows, title=title,
                      title_console=error_console)
    if found.invalid and not selection.names:
        error_console.print(f"[yellow]{len(found.invalid)} connector(s) with invalid metadata left out; "
                            "run `connector-pipelines validate` to see why[/]", soft_wrap=True)


def describe(connector: Connector) -> dict[str, object]:
    return {
        "name": connector.name,
        "type": connector.connector_type.value,
        "language": connector.language.value,
        "dockerRepository": connector.docker_repository,
        "dockerImageTag": connector.version,
        "supportLevel": connector.support_level,
        "path": str(connector.relative_path),
    }


@selection_options()
def validate(
    ctx: typer.Context,
    selection: Selection,
    strict: bool = typer.Option(
        False, "--strict", help="Apply Airbyte's current release rules too, and reject unknown fields."
    ),
) -> None:
    """Validate metadata.yaml files: one line per problem (file:line: field: message)."""
    wanted = set(selection.names)
    # Named connectors with broken metadata are reported, not refused: select among all, then pick.
    _, found, connectors = select_connectors(ctx, dataclasses.replace(selection, names=()))
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for name, problems in sorted(found.invalid.items()):
        if not wanted or name in wanted:
            errors.extend(problems)
    checked = [c for c in connectors if not wanted or c.name in wanted]
    check_names(sorted(wanted), found)
    for connector in checked:
        if strict:
            try:
                loaded = load_metadata(connector.metadata_path, display_path=connector.relative_path / "metadata.yaml",
                                       folder_name=connector.name, strict=True)
                warnings.extend(loaded.warnings)
            except InvalidMetadata as exc:
                errors.extend(exc.problems)
        else:
            warnings.extend(connector.warnings)
        mismatch = connector.language_mismatch()
        if mismatch:
            warnings.append(Problem(connector.relative_path / "metadata.yaml", None, "data.tags", mismatch))
    for problem in warnings:
        error_console.print(f"[yellow]warning[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    for problem in errors:
        error_console.print(f"[red]error[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
    total = len(checked) + len([n for n in found.invalid if not wanted or n in wanted])
    failed = len({p.file for p in errors})
    summary = f"{total} connector(s) checked: {total - failed} valid, {failed} invalid, {len(warnings)} warning(s)"
    console.print(f"[{'red' if failed else 'green'}]{summary}[/]", highlight=False)
    if failed:
        raise typer.Exit(1)
