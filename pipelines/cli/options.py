"""Options every command shares: where the monorepo is, and which connectors to act on.

Commands get the selection from :func:`selection_options` (declared once, so ``--help`` reads
the same everywhere) and turn it into connectors with :func:`select_connectors`.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from connector_build.connector import LANGUAGE_TAGS, Connector, Language
from connector_build.metadata import SupportLevel
from connector_build.monorepo import Discovery, Monorepo
from connector_build.problems import UserError
from connector_build.selection import Selection

KNOWN_LANGUAGES = tuple(dict.fromkeys([*(lang.value for lang in Language if lang is not Language.UNKNOWN),
                                       *LANGUAGE_TAGS]))
KNOWN_SUPPORT_LEVELS = tuple(level.value for level in SupportLevel)


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
    typer.Option("--language", help=f"{', '.join(KNOWN_LANGUAGES)}."),
]
SupportLevelOption = Annotated[
    list[str] | None, typer.Option("--support-level", help=f"{', '.join(KNOWN_SUPPORT_LEVELS)}.")
]
ModifiedOption = Annotated[
    bool, typer.Option("--modified", help="Only connectors with files changed since the merge base with --base-ref.")
]
BaseRefOption = Annotated[
    str, typer.Option("--base-ref", help="Git ref that --modified compares against.")
]
AllowEmptyOption = Annotated[
    bool, typer.Option("--allow-empty", help="Succeed when the filters select no connector (default: an error).")
]

_SELECTION_PARAMETERS = {
    "names": (Names, None),
    "connector_type": (TypeOption, None),
    "language": (LanguageOption, None),
    "support_level": (SupportLevelOption, None),
    "modified": (ModifiedOption, False),
    "base_ref": (BaseRefOption, "origin/main"),
    "allow_empty": (AllowEmptyOption, False),
}


def selection_options(*, base_ref: bool = True) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the shared selection arguments and options, declared here once.

    The command takes ``selection: Selection`` instead of the six parameters; they appear in its
    ``--help`` right after the connector names. ``base_ref=False`` for a command that declares its
    own ``--base-ref`` (with a meaning of its own) and sets ``selection.base_ref`` itself.
    """
    names = [n for n in _SELECTION_PARAMETERS if base_ref or n != "base_ref"]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command)
        hints = get_type_hints(command, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in signature.parameters.values() if p.name != "selection"]
        first_option = next((i for i, p in enumerate(own) if p.name != "ctx"), len(own))
        added = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   annotation=_SELECTION_PARAMETERS[name][0], default=_SELECTION_PARAMETERS[name][1])
                 for name in names]
        parameters = [*own[:first_option], *added, *own[first_option:]]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            values = {name: kwargs.pop(name) for name in names}
            kwargs["selection"] = build_selection(
                values["names"], values["connector_type"], values["language"], values["support_level"],
                values["modified"], values.get("base_ref", "origin/main"), allow_empty=values["allow_empty"])
            return command(*args, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


BOOLEAN_WORDS = {"true", "false", "yes", "no", "on", "off", "1", "0"}


def build_selection(
    names: list[str] | None,
    connector_type: ConnectorTypeChoice | None,
    languages: list[str] | None,
    support_levels: list[str] | None,
    modified: bool,
    base_ref: str,
    *,
    allow_empty: bool = False,
) -> Selection:
    for name in names or ():
        if name.lower() in BOOLEAN_WORDS:
            raise UserError(f"'{name}' is not a connector name: flags such as --modified or --strict take no "
                            "value (write the flag alone to turn it on)")
    for value in languages or ():
        check_choice("--language", value, KNOWN_LANGUAGES)
    for value in support_levels or ():
        check_choice("--support-level", value, KNOWN_SUPPORT_LEVELS)
    return Selection(
        names=tuple(names or ()),
        connector_type=connector_type.value if connector_type else None,
        languages=tuple(languages or ()),
        support_levels=tuple(support_levels or ()),
        modified=modified,
        base_ref=base_ref,
        allow_empty=allow_empty,
    )


def check_choice(option: str, value: str, known: Sequence[str]) -> None:
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UserError(f"{option} {value}: not one of {', '.join(known)}{hint}")


def select_connectors(ctx: typer.Context, selection: Selection) -> tuple[Monorepo, Discovery, list[Connector]]:
    options: GlobalOptions = ctx.obj
    repo = options.open_repo()
    found = repo.discover()
    return repo, found, selection.apply(repo, found)
