"""`alliancesim run`: simulate a scenario over an ensemble and say how likely decoupling is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alliancesim.results import Results
from alliancesim.runner import DEFAULT_MEMBERS, DEFAULT_SCENARIO
from alliancesim.runner import run as run_ensemble

__all__ = ["run", "run_payload", "summary_table"]


def run_payload(results: Results) -> dict[str, Any]:
    """The JSON object `run --json` prints: run id, scenario, members, seed, per-policy results."""
    summary = results.summary()
    return {
        "run_id": results.run_id,
        "scenario": summary.scenario,
        "scenario_hash": results.scenario_hash,
        "members": results.members,
        "seed": results.seed,
        "horizon": summary.horizon,
        "steps": summary.steps,
        "elapsed_seconds": round(results.elapsed, 3),
        "policies": {name: p.to_dict() for name, p in summary.policies.items()},
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def summary_table(results: Results, *, max_indicators: int = 4) -> Table:
    """A Rich table: per policy, P(decoupling) with its interval, change vs baseline, indicators."""
    summary = results.summary()
    names = results.model.indicator_names[:max_indicators]
    table = Table(
        title=f"{summary.scenario}: P(decoupling by {summary.horizon}), {summary.members:,} members, "
        f"seed {summary.seed}",
        title_justify="left",
    )
    table.add_column("policy")
    table.add_column("P(decoupling)", justify="right")
    table.add_column("95 % interval", justify="right")
    table.add_column("vs baseline (paired)", justify="right")
    for name in names:
        table.add_column(f"{name} at horizon\nmedian [5–95 %]", justify="right")
    for policy, p in summary.policies.items():
        lo, hi = p.p_decoupling_ci
        diff = p.vs_baseline.get("decoupled")
        change = "—"
        if diff is not None:
            d_lo, d_hi = diff["ci"]
            change = (
                f"{100 * diff['mean_difference']:+.1f} pp [{100 * d_lo:+.1f}, {100 * d_hi:+.1f}]"
            )
        cells = []
        for name in names:
            q = p.indicators[name]
            cells.append(f"{q['q50']:.3f} [{q['q05']:.3f}–{q['q95']:.3f}]")
        table.add_row(policy, _pct(p.p_decoupling), f"{_pct(lo)}–{_pct(hi)}", change, *cells)
    return table


def run(
    scenario: Annotated[
        str, typer.Argument(help="Built-in scenario id or a scenario TOML file.")
    ] = DEFAULT_SCENARIO,
    members: Annotated[
        int, typer.Option("--members", "-n", help="Ensemble members (plausible worlds).")
    ] = DEFAULT_MEMBERS,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results.")] = 0,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", "-p", help="Policy to run (repeatable; a+b combines). Default: all."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes on this machine.")] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="'local' starts a Dask LocalCluster with --workers workers."),
    ] = None,
    record: Annotated[
        str, typer.Option(help="'all' quantities each step, or only 'indicators' (for huge runs).")
    ] = "all",
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the trajectories as Parquet into this directory."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Simulate a scenario under each policy and report how likely the alliance is to decouple."""
    from alliancesim.errors import InputError

    if dask not in (None, "local"):
        raise InputError.single("--dask", f"the only value is 'local', got {dask!r}")
    if workers < 1:
        raise InputError.single("--workers", f"workers must be at least 1, got {workers}")
    if out is not None and out.exists() and any(out.iterdir()):
        raise InputError.single(str(out), "output directory exists and is not empty")
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]simulating[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=None)

        def on_block(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        results = run_ensemble(
            scenario,
            policies=policy,
            members=members,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            dask_local=dask == "local",
            directory=out,
            record=record,
            on_block=on_block,
        )
    if as_json:
        typer.echo(json.dumps(run_payload(results), indent=2))
        return
    stdout = Console()
    stdout.print(summary_table(results))
    stdout.print(
        f"run {results.run_id}: {results.members:,} members × {len(results.policies)} policies × "
        f"{results.model.horizon} steps in {results.elapsed:.1f} s"
    )
