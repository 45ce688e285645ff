"""The `alliancesim` command line: every subcommand, exit code 0 ok, 2 bad input, 1 internal error."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from alliancesim.errors import InputError

app = typer.Typer(
    name="alliancesim",
    help="Simulate the U.S.–South Korea alliance over ensembles of plausible worlds.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """alliancesim: how likely is the U.S.–ROK alliance to decouple, and which recommendation prevents it?"""


def _register() -> None:
    from alliancesim.bargaining.cli import bargain
    from alliancesim.commands.run import run

    app.command("run")(run)
    app.command("bargain")(bargain)
    from alliancesim.scenario.commands import scenarios, show, validate

    for command in (scenarios, show, validate):
        app.command(command.__name__)(command)
    from alliancesim.commands.analysis import claims, compare, discover, sensitivity

    for command in (claims, compare, sensitivity, discover):
        app.command(command.__name__)(command)
    from alliancesim.commands.history import backtest, calibrate

    app.command("backtest")(backtest)
    app.command("calibrate")(calibrate)
    from alliancesim.commands.store import delete, export, report, runs, show_run

    app.command("runs")(runs)
    app.command("show-run")(show_run)
    app.command("export")(export)
    app.command("delete")(delete)
    app.command("report")(report)
    from alliancesim.commands.serve import serve

    app.command("serve")(serve)


_register()


def main() -> None:
    """Entry point: run the CLI; input errors become a readable list and exit code 2.

    Usage errors (unknown options, bad option values) are Typer's: a message and exit code 2.
    """
    if not sys.stdout.isatty():  # tables piped to a file or a pager: don't wrap at 80 columns
        os.environ.setdefault("COLUMNS", "160")
    try:
        app()
    except InputError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]error[/red] {escape(str(problem))}", highlight=False)
        sys.exit(2)
