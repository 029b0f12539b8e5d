"""``connector-pipelines create``: a new connector from a template, ready to build and test."""

from __future__ import annotations

import sys

import typer

from connector_build.create import Template
from connector_build.problems import UserError
from pipelines.cli.build_command import MirrorOption
from pipelines.cli.console import console, error_console
from pipelines.cli.options import GlobalOptions


def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="source-<words> or destination-<words>, e.g. source-acme-crm.",
                               show_default=False),
    template: Template | None = typer.Option(
        None, "--template", help="The template. Default: pick one with the arrow keys (on a terminal)."),
    image_mirror: MirrorOption = None,
) -> None:
    """Create a connector from a template: metadata, code or manifest, icon, docs page with changelog.

    It passes validate, test and build as written; search it for TODO to fill in the API.
    """
    import anyio

    from connector_build.create import CreateSettings, check_name, create_connector, new_connector, refuse_existing
    from pipelines.base_image_pin import pinned_reference
    from pipelines.build_options import resolve_build_options

    options: GlobalOptions = ctx.obj
    kind = check_name(name)
    repo = options.open_repo()
    refuse_existing(repo, name)
    chosen = template or pick_template(kind)
    settings = CreateSettings.read(repo.root)
    mirrors = resolve_build_options(repo, image_mirrors=image_mirror, ca_bundle=None, network="host").image_mirrors
    base_image = anyio.run(pinned_reference, settings.base_image_for(chosen), mirrors)
    folder, page = create_connector(repo, new_connector(name, chosen, base_image=base_image, settings=settings))
    console.print(f"created {folder.relative_to(repo.root)} ({chosen.value}) and {page.relative_to(repo.root)}",
                  highlight=False, soft_wrap=True)
    console.print(f"next: grep -rn TODO {folder.relative_to(repo.root)} {page.relative_to(repo.root)}; "
                  f"connector-pipelines test {name}", highlight=False, soft_wrap=True)


def pick_template(kind: str) -> Template:
    """The arrow-key picker on a terminal; elsewhere the flag is required."""
    fitting = Template.for_kind(kind)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(f"--template is required when not on a terminal: {', '.join(t.value for t in fitting)}")
    if len(fitting) == 1:
        error_console.print(f"template: {fitting[0].value} (the only {kind} template)", highlight=False)
        return fitting[0]
    import questionary

    choices = [questionary.Choice(title=f"{t.value}: {t.description}", value=t) for t in fitting]
    picked = questionary.select(f"Which {kind} template?", choices=choices).ask()
    if picked is None:  # Ctrl-C in the picker
        raise KeyboardInterrupt
    return picked
