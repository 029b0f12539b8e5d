"""``connector-pipelines verify``: check a published version offline with a public key.

One line per check; exit 1 when any fails. Needs the OCI registry (or a mirror) and the store
(a folder, a bucket, or the URL it is served at), nothing else: no transparency log.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from pipelines.cli.console import console, error_console

if TYPE_CHECKING:
    from registry.verify_checks import Check

KeyOption = typer.Option(..., "--key", help="The public key (PEM, as `cosign public-key` prints it).")


def verify(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A connector (source-x or airbyte/source-x)."),
    version: str | None = typer.Argument(None, help="The version. Default: the one the registries list."),
    key: Path = KeyOption,
    registry: str = typer.Option("docker.io", "--registry", help="OCI registry (or mirror) serving the images."),
    store: str | None = typer.Option(None, "--store", help="The store: a folder, an fsspec URL, or the http(s) "
                                     "URL it is served at (…/files/). Default: .connector-pipelines/store."),
) -> None:
    """Verify a published version: the signature over the digest the registry serves for its tag, and
    that the store recorded that same digest."""
    from registry.signing import read_public_key
    from registry.verify import StoreSource, resolve_repository, resolve_version, verify_version

    public_key = read_public_key(key)
    source = StoreSource.open(store or _default_store(ctx))
    repository = resolve_repository(source, name)
    tag = version or resolve_version(source, repository)

    async def main() -> list[Check]:
        async with registry_client(registry) as client:
            return await verify_version(client, source, repository, tag, public_key)

    report(run_checks(main))


def run_checks(main):  # noqa: ANN001, ANN201 (an async function returning checks)
    """Run ``main`` with anyio; a registry that refuses or does not answer is one line, exit 2."""
    import anyio

    from connector_build.problems import UserError
    from registry.oci import RegistryError

    try:
        return anyio.run(main)
    except RegistryError as exc:
        raise UserError(str(exc)) from None


def registry_client(registry: str):  # noqa: ANN201 (an async context manager: RegistryClient)
    from registry.credentials import registry_auth
    from registry.oci import RegistryClient

    return RegistryClient.for_registry(registry, registry_auth(registry))


def report(checks: Sequence[Check]) -> None:
    """Print one line per check; exit 1 unless there were checks and all passed."""
    from registry.verify_checks import all_ok

    for check in checks:
        style = "green" if check.ok else "red"
        console.print(f"[{style}]{escape(check.line())}[/]", highlight=False, soft_wrap=True)
    failed = sum(not c.ok for c in checks)
    if not all_ok(checks):
        error_console.print(f"[red]verify failed:[/] {failed} of {len(checks)} check(s)", highlight=False)
        raise typer.Exit(1)
    error_console.print(f"verified: {len(checks)} check(s) passed", highlight=False)


def _default_store(ctx: typer.Context) -> str:
    from pipelines.cli.registry_commands import DEFAULT_STORE

    return str(ctx.obj.open_repo().root / DEFAULT_STORE)
