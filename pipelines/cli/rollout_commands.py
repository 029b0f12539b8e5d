"""``rollout promote`` and ``rollout rollback``: finish or abandon a progressive-rollout release candidate.

    connector-pipelines rollout promote source-x destination-y --registry R --store S
    connector-pipelines rollout rollback source-x --store S

Registry modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from pipelines.cli.console import console, error_console
from pipelines.cli.registry_commands import BaseUrlOption, StoreOption, open_store
from pipelines.cli.yank_commands import image_registry, print_default_changes, registry_errors

if TYPE_CHECKING:
    from registry.rollout import RolloutResult

app = typer.Typer(help="Release candidates: promote one to its release by digest, or roll it back.",
                  no_args_is_help=True)

NamesArgument = typer.Argument(..., metavar="NAME...", help="Connectors (source-x or airbyte/source-x).")
PromoteRegistryOption = Annotated[str, typer.Option(
    "--registry", help="The OCI registry publish pushed the candidate to (as publish's --registry): X.Y.Z and "
                       "latest are tagged there.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check and print what would change; touch nothing.")]


@app.command("promote")
def promote(
    ctx: typer.Context,
    names: list[str] = NamesArgument,
    registry: PromoteRegistryOption = "docker.io",
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Promote each connector's release candidate X.Y.Z-rc.N to X.Y.Z: its image index tagged X.Y.Z (and
    latest, when it is the highest release) by digest, no rebuild; X.Y.Z recorded and made the default."""
    import anyio

    from registry.rollout import promote as do_promote

    target = open_store(ctx, store, must_exist=True)
    opened = image_registry(registry)

    async def main() -> RolloutResult:
        async with opened() as client:
            await client.check_access()
            return await do_promote(target, client, names, base_url=base_url or target.default_base_url(),
                                    dry_run=dry_run, on_wait=_say)

    _print(registry_errors(lambda: anyio.run(main)), dry_run)


@app.command("rollback")
def rollback(
    ctx: typer.Context,
    names: list[str] = NamesArgument,
    store: StoreOption = None,
    base_url: BaseUrlOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Roll back each connector's release candidate: it leaves releaseCandidates; the default version stays,
    and so do the candidate's image and records."""
    import anyio

    from registry.rollout import rollback as do_rollback

    target = open_store(ctx, store, must_exist=True)
    result = anyio.run(lambda: do_rollback(target, names, base_url=base_url or target.default_base_url(),
                                           dry_run=dry_run, on_wait=_say))
    _print(result, dry_run)


def _say(line: str) -> None:
    error_console.print(line, highlight=False, soft_wrap=True)


def _print(result: RolloutResult, dry_run: bool) -> None:
    for line in result.unchanged:
        error_console.print(f"[yellow]{line}[/]", highlight=False, soft_wrap=True)
    if dry_run:
        for line in result.planned:
            console.print(line, highlight=False, soft_wrap=True)
        console.print(f"[bold]dry run:[/] {len(result.planned)} action(s) planned, nothing touched")
        return
    for promotion in result.promoted:
        finished = " (finishing an interrupted promote)" if promotion.resumed else ""
        console.print(f"{promotion.repository}: {promotion.candidate} promoted to {promotion.release} "
                      f"({promotion.digest[:19]}){finished}", highlight=False, soft_wrap=True)
    for repository, candidate in result.rolled_back:
        console.print(f"{repository}: {candidate} rolled back (left releaseCandidates)", highlight=False,
                      soft_wrap=True)
    print_default_changes(result.defaults, result.tag_moves, result.registries)
