"""Options every command shares: where the monorepo is, and which connectors to act on.

Commands declare the selection with the ``Annotated`` aliases below, so ``--help`` reads the
same everywhere, and turn it into connectors with :func:`select_connectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from connector_build.connector import Connector
from connector_build.monorepo import Discovery, Monorepo
from connector_build.selection import Selection


class EngineName(str, Enum):
    DOCKER = "docker"
    DAGGER = "dagger"


class ConnectorTypeChoice(str, Enum):
    SOURCE = "source"
    DESTINATION = "destination"


@dataclass
class GlobalOptions:
    repo: Path | None
    connectors_dir: str | None
    engine: EngineName

    def open_repo(self) -> Monorepo:
        return Monorepo.open(self.repo, self.connectors_dir)


Names = Annotated[
    list[str] | None,
    typer.Argument(help="Connector folder names, e.g. source-faker. None: every connector.", show_default=False),
]
TypeOption = Annotated[
    ConnectorTypeChoice | None, typer.Option("--type", help="Only sources or only destinations.")
]
LanguageOption = Annotated[
    list[str] | None,
    typer.Option("--language", help="python, manifest-only, java, dockerfile, low-code. Repeatable."),
]
SupportLevelOption = Annotated[
    list[str] | None, typer.Option("--support-level", help="community, certified, archived. Repeatable.")
]
ModifiedOption = Annotated[
    bool, typer.Option("--modified", help="Only connectors with files changed since the merge base with --base-ref.")
]
BaseRefOption = Annotated[
    str, typer.Option("--base-ref", help="Git ref that --modified compares against.")
]


def build_selection(
    names: list[str] | None,
    connector_type: ConnectorTypeChoice | None,
    languages: list[str] | None,
    support_levels: list[str] | None,
    modified: bool,
    base_ref: str,
) -> Selection:
    return Selection(
        names=tuple(names or ()),
        connector_type=connector_type.value if connector_type else None,
        languages=tuple(languages or ()),
        support_levels=tuple(support_levels or ()),
        modified=modified,
        base_ref=base_ref,
    )


def select_connectors(ctx: typer.Context, selection: Selection) -> tuple[Monorepo, Discovery, list[Connector]]:
    options: GlobalOptions = ctx.obj
    repo = options.open_repo()
    found = repo.discover()
    return repo, found, selection.apply(repo, found)
