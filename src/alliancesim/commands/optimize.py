"""`alliancesim optimize SCENARIO`: the Pareto set of settings of the scenario's levers to tune.

Parses the options, calls the use case (:func:`alliancesim.decisions.optimize_scenario`) and
lays out its rows (:func:`alliancesim.presentation.robust_view.present_optimisation`): one row
per setting of the Pareto set, each lever's value in words and each objective.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.errors import InputError
from alliancesim.presentation import SCHEMA_VERSION
from alliancesim.presentation.robust_view import OptimisationView, present_optimisation

__all__ = ["optimize", "pareto_table"]


def pareto_table(view: OptimisationView) -> Table:
    """The Pareto set as a table: a row per setting, a column per lever and per objective."""
    table = Table(
        title=escape(
            f"{view.scenario}: Pareto set of {len(view.rows)} lever settings "
            f"({view.evaluations:,} settings evaluated on {view.worlds:,} worlds each, "
            f"{view.elapsed:.0f} s)"
        ),
        title_justify="left",
    )
    for _, label in view.levers:
        table.add_column(escape(label), overflow="fold", max_width=28)
    for ident, _, direction in view.objectives:
        arrow = "↓" if direction == "minimize" else "↑"
        table.add_column(f"{escape(ident)} {arrow}", justify="right")
    for row in view.rows:
        table.add_row(
            *(escape(d) for d in row.described),
            *(view.cell(ident, value) for ident, value in row.objectives),
        )
    return table


def optimize(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Built-in scenario id or a scenario TOML file (default us-rok-2025).",
            show_default=False,
        ),
    ] = None,
    members: Annotated[
        int | None,
        typer.Option(
            "--members",
            "-n",
            help="Worlds per structure each setting is measured on (default: 1,000 worlds in "
            "all, at least 100 per structure).",
        ),
    ] = None,
    nfe: Annotated[
        int | None, typer.Option("--nfe", help="Settings to evaluate (3,000).", show_default=False)
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the worlds and of the search.")] = 0,
    structure: Annotated[
        list[str] | None,
        typer.Option(
            "--structure",
            "-s",
            help="Structure to measure on (repeatable), or 'all'. Default: the seed and each "
            "rival account alone.",
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            help="A condition for the satisficing share (repeatable; EXPR or 'EXPR @ SHARE'). "
            "Default: the scenario's [[thresholds]].",
        ),
    ] = None,
    epsilon: Annotated[
        list[float] | None,
        typer.Option("--epsilon", help="ε of each objective, in order (repeatable)."),
    ] = None,
    population: Annotated[
        int | None, typer.Option(help="Population of ε-NSGA-II (50).", show_default=False)
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default: 2, or 1 on a single core).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Search the scenario's levers to tune for the Pareto set of settings (EMA Workbench, Platypus)."""
    from alliancesim.commands.progress import task_progress
    from alliancesim.decisions import optimize_scenario
    from alliancesim.runner import DEFAULT_SCENARIO
    from alliancesim.scenario.loader import load_scenario

    chosen_workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if chosen_workers < 1:
        raise InputError.single("--workers", f"workers must be at least 1, got {chosen_workers}")
    loaded = load_scenario(scenario or DEFAULT_SCENARIO)
    with task_progress(Console(stderr=True), "searching", "settings", quiet=as_json) as (_, bar):
        total = nfe

        def advance(done: int) -> None:
            bar(done, max(done, total or done))

        payload = optimize_scenario(
            loaded,
            members=members,
            nfe=nfe,
            seed=seed,
            structures=structure,
            thresholds=threshold or (),
            epsilons=epsilon,
            population=population,
            workers=chosen_workers,
            on_batch=advance,
        )
    if as_json:
        from alliancesim.jsonable import dumps

        typer.echo(dumps({"schema_version": SCHEMA_VERSION, **payload}))
        return
    view = present_optimisation(payload)
    console = Console()
    console.print(pareto_table(view))
    if view.thresholds:
        console.print(
            "Satisficing: the share of worlds where every threshold holds: "
            + "; ".join(escape(t) for t in view.thresholds)
            + "."
        )
    console.print(
        "[dim]Each setting measured on the same worlds (common random numbers); the set is "
        "ε-non-dominated: no setting is better on every objective by more than ε.[/dim]"
    )
