"""The `alliancesim` command line: every subcommand, exit code 0 ok, 2 bad input, 1 internal error.

Commands are loaded when they are run, not when the program starts: `alliancesim --help` lists
them from the table below without importing NumPy, DuckDB or the engine, so it answers at once;
`alliancesim run …` imports what `run` needs and nothing else. A test keeps the table's one-line
help equal to each command's own docstring.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any

import click
import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo

__all__ = ["COMMANDS", "app", "main", "program"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives and its one-line help (for the command list)."""

    module: str
    function: str
    summary: str


COMMANDS: dict[str, LazyCommand] = {
    "run": LazyCommand(
        "alliancesim.commands.run",
        "run",
        "Simulate a scenario under each policy and report how likely the alliance is to decouple.",
    ),
    "scenarios": LazyCommand(
        "alliancesim.scenario.commands",
        "scenarios",
        "List the built-in scenarios: id, title, time span and what they contain.",
    ),
    "show": LazyCommand(
        "alliancesim.scenario.commands",
        "show",
        "Show a scenario: actors, issues, perceptions, rules, events, policies and claims, each "
        "with its source, and the feedback loops of its rule graph.",
    ),
    "validate": LazyCommand(
        "alliancesim.scenario.commands",
        "validate",
        "Check a scenario file: every problem with its file, line and field, or a one-line "
        "summary.",
    ),
    "claims": LazyCommand(
        "alliancesim.commands.analysis",
        "claims",
        "Test every claim of a scenario on paired members: share, verdict, and where it fails.",
    ),
    "compare": LazyCommand(
        "alliancesim.commands.analysis",
        "compare",
        "Rank policies by how much they lower P(decoupling), with paired differences from "
        "baseline.",
    ),
    "optimize": LazyCommand(
        "alliancesim.commands.optimize",
        "optimize",
        "Search the scenario's levers to tune for the Pareto set of settings (EMA Workbench, "
        "Platypus).",
    ),
    "sensitivity": LazyCommand(
        "alliancesim.commands.analysis",
        "sensitivity",
        "What drives an outcome: Sobol first-order and total indices, or Morris μ*, with "
        "intervals.",
    ),
    "discover": LazyCommand(
        "alliancesim.commands.analysis",
        "discover",
        "Scenario discovery: the parameter ranges (PRIM boxes) where an outcome happens.",
    ),
    "backtest": LazyCommand(
        "alliancesim.commands.history",
        "backtest",
        "Score the model's forecasts of historical episodes against persistence and trend.",
    ),
    "calibrate": LazyCommand(
        "alliancesim.commands.history",
        "calibrate",
        "Narrow SCENARIO's uncertain ranges by history matching on episodes; write them as a "
        "module.",
    ),
    "structures": LazyCommand(
        "alliancesim.commands.structures",
        "structures",
        "Weigh each contested mechanism's rival accounts by history: prior, out-of-sample "
        "scores, weight.",
    ),
    "runs": LazyCommand(
        "alliancesim.commands.store",
        "runs",
        "List the stored runs, newest first: scenario, members, seed, P(decoupling) under "
        "baseline.",
    ),
    "show-run": LazyCommand(
        "alliancesim.commands.store",
        "show_run",
        "Show a stored run: how it was made, P(decoupling) per policy, and the claim verdicts.",
    ),
    "export": LazyCommand(
        "alliancesim.commands.store",
        "export",
        "Copy a stored run out of the store: trajectories and parameters (Parquet or CSV), the "
        "summary, claim verdicts and run description (JSON).",
    ),
    "delete": LazyCommand(
        "alliancesim.commands.store",
        "delete",
        "Delete a stored run: its catalogue rows first, then its Parquet files.",
    ),
    "report": LazyCommand(
        "alliancesim.commands.store",
        "report",
        "Write the self-contained HTML report of a stored run (opens offline in any browser).",
    ),
    "serve": LazyCommand(
        "alliancesim.commands.serve",
        "serve",
        "Open the dashboard: run ensembles, play the scenario turn by turn, browse past runs.",
    ),
    "bargain": LazyCommand(
        "alliancesim.bargaining.cli",
        "bargain",
        "Forecast a negotiation from a stakeholder table: positions and forecast round by round.",
    ),
}


def load_command(name: str) -> Any:
    """The function behind a subcommand (imports its module)."""
    entry = COMMANDS[name]
    return getattr(importlib.import_module(entry.module), entry.function)


class LazyGroup(TyperGroup):
    """A command group that imports a command's module only when that command runs."""

    _resolving = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The subcommands, in the order of the table."""
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The real command when it is about to run; for the command list, a stand-in that
        carries only its name and one-line help."""
        if cmd_name not in COMMANDS:
            return None
        if not self._resolving:
            return click.Command(cmd_name, help=COMMANDS[cmd_name].summary)
        command = get_command_from_info(
            CommandInfo(name=cmd_name, callback=load_command(cmd_name)),
            pretty_exceptions_short=True,
            rich_markup_mode="rich",
        )
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve the subcommand about to run (loading its module)."""
        self._resolving = True
        try:
            return super().resolve_command(ctx, args)
        finally:
            self._resolving = False


app = typer.Typer(
    name="alliancesim",
    help="Simulate the U.S.–South Korea alliance over ensembles of plausible worlds.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """alliancesim: how likely is the U.S.–ROK alliance to decouple, and which recommendation prevents it?"""


def main() -> None:
    """Entry point: run the CLI; input errors become a readable list and exit code 2.

    Usage errors (unknown options, bad option values) are Typer's: a message and exit code 2.
    """
    if not sys.stdout.isatty():  # tables piped to a file or a pager: don't wrap at 80 columns
        os.environ.setdefault("COLUMNS", "160")
    from alliancesim.errors import InputError

    try:
        app()
    except InputError as exc:
        from rich.console import Console
        from rich.markup import escape

        err_console = Console(stderr=True)
        for problem in exc.problems:
            err_console.print(f"[red]error[/red] {escape(str(problem))}", highlight=False)
        sys.exit(2)


def program() -> None:
    """The ``alliancesim`` program (the console script): :func:`main`, then, the command done
    and its files closed, an exit that spares the interpreter's last garbage collections over
    every object the command made (about half a second after a run). In a process that goes on
    (tests, notebooks) call :func:`main`."""
    try:
        main()
    finally:
        gc.freeze()
