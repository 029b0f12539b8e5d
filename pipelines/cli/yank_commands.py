"""``yank`` and ``unyank``: take bad versions out of the registries (and back) without a version bump.

    connector-pipelines yank source-x 1.2.3 destination-y 0.4.0 --reason "breaks incremental sync"
    connector-pipelines unyank source-x 1.2.3

Registry modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from connector_build.problems import UserError
from pipelines.cli.console import console, error_console
from pipelines.cli.registry_commands import BaseUrlOption, StoreOption, open_store, print_problems

if TYPE_CHECKING:
    from registry.yank import YankResult

TargetsArgument = typer.Argument(..., metavar="NAME VERSION [NAME VERSION]...",
                                 help="Pairs of connector (source-x or airbyte/source-x) and version.")


def yank(
    ctx: typer.Context,
    targets: list[str] = TargetsArgument,
    reason: str = typer.Option(..., "--reason", help="Why: kept with the yank and shown by `registry show`."),
    by: str | None = typer.Option(None, "--by", help="Who yanks. Default: user@host."),
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Yank versions: each stays on the image registry and in the store, but the connector's registry
    entry goes back to its highest released version that is not yanked (no rebuild, no git change)."""
    from registry.yank import default_actor
    from registry.yank import yank as do_yank

    if not reason.strip():
        raise UserError("--reason must say why the version is yanked")
    target = open_store(ctx, store, must_exist=True)
    result = do_yank(target, _pairs(targets), reason=reason.strip(), by=by or default_actor(),
                     base_url=base_url or target.default_base_url(), on_wait=_say)
    _print(result, "yanked")


def unyank(
    ctx: typer.Context,
    targets: list[str] = TargetsArgument,
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Undo a yank: the version may be its connector's registry entry again (if it is the highest)."""
    from registry.yank import unyank as do_unyank

    target = open_store(ctx, store, must_exist=True)
    result = do_unyank(target, _pairs(targets), base_url=base_url or target.default_base_url(), on_wait=_say)
    _print(result, "unyanked")


def _say(line: str) -> None:
    error_console.print(line, highlight=False, soft_wrap=True)


def _pairs(targets: list[str]) -> list[tuple[str, str]]:
    if len(targets) % 2:
        raise UserError(f"expected NAME VERSION pairs, got {len(targets)} argument(s): "
                        f"'{targets[-1]}' has no version")
    return [(targets[i], targets[i + 1]) for i in range(0, len(targets), 2)]


def _print(result: YankResult, done: str) -> None:
    for line in result.unchanged:
        error_console.print(f"[yellow]{line}: already {done}[/]", highlight=False)
    for repository, before, after in result.changes:
        moved = f"{before or 'none'} -> {after or 'none (left the registries)'}" if before != after \
            else f"stays {after or 'none'}"
        console.print(f"{repository}: registry entry {moved}", highlight=False, soft_wrap=True)
    if result.registries:
        print_problems(*result.registries)
        oss, cloud = result.registries
        console.print(f"registries regenerated: oss {len(oss)} and cloud {len(cloud)} connector(s)", highlight=False)
