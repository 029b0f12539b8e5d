"""The ``connector-pipelines`` command line.

Every command is a function in a module of this package; this module only wires them and
turns the errors a user can fix into one red line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from connector_build.problems import InvalidMetadata, UserError
from pipelines.cli import (
    build_command,
    bump_command,
    create_command,
    doctor_command,
    inspect_commands,
    publish_command,
    qa_commands,
    registry_commands,
    rollout_commands,
    run_tests_command,
    verify_command,
    yank_commands,
)
from pipelines.cli.command_group import CommandGroup
from pipelines.cli.console import error_console
from pipelines.cli.options import EngineName, GlobalOptions

app = typer.Typer(
    name="connector-pipelines",
    help="Build, test and publish the connectors of an Airbyte-style monorepo, and generate its registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: see command_group.relabel
    cls=CommandGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # only for --version: a slow import

    try:
        return version("connector-pipelines")
    except PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        print(f"connector-pipelines {_package_version()}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    repo: Path | None = typer.Option(
        None, "--repo", help="The connector monorepo. Default: the git root of the current directory."
    ),
    connectors_dir: str | None = typer.Option(
        None, "--connectors-dir", help="Connectors folder inside the repo. Default: airbyte-integrations/connectors."
    ),
    engine: EngineName = typer.Option(
        EngineName.DOCKER, "--engine", help="Where pipelines run: the Docker Engine (default) or a Dagger engine."
    ),
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = GlobalOptions(repo=repo, connectors_dir=connectors_dir, engine=engine)


app.command("list")(inspect_commands.list_connectors)
app.command("validate")(inspect_commands.validate)
app.command("build")(build_command.build)
app.command("test")(run_tests_command.test)
app.command("publish")(publish_command.publish)
app.command("doctor")(doctor_command.doctor)
app.command("yank")(yank_commands.yank)
app.command("unyank")(yank_commands.unyank)
app.command("bump-version")(bump_command.bump_version)
app.command("verify")(verify_command.verify)
app.command("create")(create_command.create)
app.add_typer(qa_commands.app, name="qa")
app.add_typer(registry_commands.app, name="registry")
app.add_typer(rollout_commands.app, name="rollout")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except UserError as exc:
        error_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except InvalidMetadata as exc:
        for problem in exc.problems:
            error_console.print(f"[red]error[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/]")
        sys.exit(130)
    except Exception as exc:
        # Imported here, not at the top: `list` and `--help` need no engine.
        from pipelines.engines.base import EngineUnavailable

        if not isinstance(exc, EngineUnavailable):
            raise
        error_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":  # python -m pipelines.cli.app
    main()
