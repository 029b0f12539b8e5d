"""The top-level command group: global options anywhere, and help that shows flags as flags.

click reads a group's options only before the command name, so ``list --repo X`` failed with
"No such option". The group moves the global options found after the command to before it.
typer labels a flag ``<bool>`` and a repeatable option ``<list[str]>``, reads help texts as
rich markup (``adds to [tool.connector-pipelines.image-mirrors]`` showed as ``adds to .``) and
cuts long words in its help tables with "…"; the group relabels every command once, so commands
added later read the same, and prints help as plain text wrapped at spaces only (help_format.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption

from connector_build.problems import UserError
from pipelines.cli.help_format import HelpContext

GLOBAL_VALUE_EXAMPLES = {"--repo": "PATH", "--connectors-dir": "airbyte-integrations/connectors",
                         "--engine": "docker"}
"""Global options that take a value, with an example; keep in step with ``app.global_options``."""
GLOBAL_VALUE_OPTIONS = tuple(GLOBAL_VALUE_EXAMPLES)
GLOBAL_FLAGS = ("--version",)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """``list --repo X --type source`` -> ``--repo X list --type source``; ``--`` ends the scan."""
    args = list(args)
    index = 0
    while index < len(args) and args[index].startswith("-"):  # options before the command
        index += 2 if args[index] in GLOBAL_VALUE_OPTIONS else 1
    if index >= len(args):
        return args
    before, command, rest = args[:index], args[index], args[index + 1:]
    moved: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            kept.extend(rest[i:])
            break
        if arg in GLOBAL_VALUE_OPTIONS:
            if i + 1 == len(rest):  # left as it is, click would say "No such option: --repo"
                raise UserError(f"{arg} needs a value, e.g. {arg} {GLOBAL_VALUE_EXAMPLES[arg]}")
            moved.extend(rest[i:i + 2])
            i += 2
            continue
        if arg in GLOBAL_FLAGS or (arg.split("=", 1)[0] in GLOBAL_VALUE_OPTIONS and "=" in arg):
            moved.append(arg)
        else:
            kept.append(arg)
        i += 1
    return [*before, *moved, command, *kept]


def relabel(command: Any) -> None:
    """Flags get no value label; repeatable options and arguments say so; help is plain text
    (``[tool.connector-pipelines]`` is not rich markup), a command's line in its group's list
    its whole first paragraph (click would cut it at 45 characters with "...").

    (typer vendors its own click, so the command is typed by duck, not by click's classes.)"""
    command.rich_markup_mode = None
    command.context_class = HelpContext
    if getattr(command, "help", None) and not getattr(command, "short_help", None):
        command.short_help = " ".join(command.help.split("\n\n")[0].split())
    for param in getattr(command, "params", []):
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
        elif isinstance(param, TyperOption) and param.multiple and param.metavar is None:
            param.metavar = f"{(param.name or 'value').upper().replace('_', '-')} (repeatable)"
        elif isinstance(param, TyperArgument) and param.nargs == -1:
            label = "(any number)"
            param.display_type_rich = lambda ctx, label=label: label  # type: ignore[method-assign,misc]
    if hasattr(command, "get_help_option"):
        command.get_help_option = _flag_help_option(command.get_help_option)
    for sub in getattr(command, "commands", {}).values():
        relabel(sub)


def _flag_help_option(make: Any) -> Any:
    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.metavar = ""
        return option
    return get_help_option


class CommandGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relabel(self)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))
