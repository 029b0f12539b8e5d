"""``yank`` and ``unyank``: take bad versions out of the registries (and back) without a version bump.

    connector-pipelines yank source-x 1.2.3 destination-y 0.4.0 --reason "breaks incremental sync"
    connector-pipelines unyank source-x 1.2.3

Registry modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.markup import escape

from connector_build.problems import UserError
from pipelines.cli.console import console, error_console
from pipelines.cli.registry_commands import BaseUrlOption, StoreOption, open_store, print_problems

if TYPE_CHECKING:
    from registry.compile import CompiledRegistry
    from registry.latest_tag import TagMove
    from registry.yank import ImageRegistry, YankResult

T = TypeVar("T")
STORE_ONLY_HINT = " (--registry names it; --store-only leaves image tags alone)"
TargetsArgument = typer.Argument(..., metavar="NAME VERSION [NAME VERSION]...",
                                 help="Pairs of connector (source-x or airbyte/source-x) and version.")
ImageRegistryOption = Annotated[str, typer.Option(
    "--registry", help="The OCI registry publish pushed to, whose `latest` tags follow (as publish's --registry).")]
StoreOnlyOption = Annotated[bool, typer.Option(
    "--store-only", help="Leave the image registry's `latest` tags alone (only the store and the registries move).")]


def yank(
    ctx: typer.Context,
    targets: list[str] = TargetsArgument,
    reason: str = typer.Option(..., "--reason", help="Why: kept with the yank and shown by `registry show`."),
    by: str | None = typer.Option(None, "--by", help="Who yanks. Default: user@host."),
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    registry: ImageRegistryOption = "docker.io",
    store_only: StoreOnlyOption = False,
) -> None:
    """Yank versions: each stays on the image registry and in the store, but the connector's registry
    entry goes back to its highest released version that is not yanked (no rebuild, no git change)."""
    from registry.yank import default_actor
    from registry.yank import yank as do_yank

    if not reason.strip():
        raise UserError("--reason must say why the version is yanked")
    target = open_store(ctx, store, must_exist=True)
    pairs = _pairs(targets)
    result = registry_errors(lambda: do_yank(
        target, pairs, reason=reason.strip(), by=by or default_actor(), base_url=base_url or target.default_base_url(),
        on_wait=_say, image_registry=None if store_only else image_registry(registry)), STORE_ONLY_HINT)
    _print(result, "yanked")


def unyank(
    ctx: typer.Context,
    targets: list[str] = TargetsArgument,
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    registry: ImageRegistryOption = "docker.io",
    store_only: StoreOnlyOption = False,
) -> None:
    """Undo a yank: the version may be its connector's registry entry again (if it is the highest)."""
    from registry.yank import unyank as do_unyank

    target = open_store(ctx, store, must_exist=True)
    pairs = _pairs(targets)
    result = registry_errors(lambda: do_unyank(
        target, pairs, base_url=base_url or target.default_base_url(), on_wait=_say,
        image_registry=None if store_only else image_registry(registry)), STORE_ONLY_HINT)
    _print(result, "unyanked")


def image_registry(registry: str) -> ImageRegistry:
    """Opens a client of ``registry`` with publish's credentials (never printed)."""
    from registry.credentials import registry_auth
    from registry.oci import RegistryClient

    auth = registry_auth(registry)
    return lambda: RegistryClient.for_registry(registry, auth)


def registry_errors(action: Callable[[], T], hint: str = "") -> T:
    """A registry that refuses or does not answer: one line naming it, as publish says it."""
    from registry.oci import RegistryAuthError, RegistryError

    try:
        return action()
    except RegistryAuthError as exc:
        raise UserError(f"{exc}: check DOCKER_HUB_USERNAME / DOCKER_HUB_PASSWORD or `docker login`{hint}") from None
    except RegistryError as exc:
        raise UserError(f"{exc}{hint}") from None


def _say(line: str) -> None:
    error_console.print(line, highlight=False, soft_wrap=True)


def _pairs(targets: list[str]) -> list[tuple[str, str]]:
    if len(targets) % 2:
        raise UserError(f"expected NAME VERSION pairs, got {len(targets)} argument(s): "
                        f"'{targets[-1]}' has no version")
    return [(targets[i], targets[i + 1]) for i in range(0, len(targets), 2)]


def _print(result: YankResult, done: str) -> None:
    for line in result.unchanged:
        error_console.print(f"[yellow]{escape(line)}: already {done}[/]", highlight=False, soft_wrap=True)
    print_default_changes(result.changes, result.tag_moves, result.registries, left="none (left the registries)")


def print_default_changes(changes: Iterable[tuple[str, str | None, str | None]], tag_moves: Iterable[TagMove],
                          registries: tuple[CompiledRegistry, CompiledRegistry] | None, *, left: str = "none") -> None:
    """Each connector's registry default before -> after (with its ``latest`` tag move), then the
    regenerated registries: what yank, unyank, promote and rollback all end with."""
    moves = {move.repository: move for move in tag_moves}
    for repository, before, after in changes:
        moved = f"{before or 'none'} -> {after or left}" if before != after else f"stays {after or 'none'}"
        tag = f"; {moves[repository].summary()}" if repository in moves else ""
        console.print(f"{repository}: registry entry {moved}{tag}", highlight=False, soft_wrap=True)
    if registries:
        print_problems(*registries)
        oss, cloud = registries
        console.print(f"registries regenerated: oss {len(oss)} and cloud {len(cloud)} connector(s)", highlight=False)
