"""`alliancesim run`: simulate a scenario over an ensemble and say how likely decoupling is."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alliancesim.commands.progress import simulation_progress
from alliancesim.results import Results
from alliancesim.runner import DEFAULT_MEMBERS, DEFAULT_SCENARIO
from alliancesim.runner import run as run_ensemble
from alliancesim.scenario.loader import load_scenario
from alliancesim.scenario.schema import Scenario

__all__ = ["default_policies", "run", "run_payload", "summary_table"]


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
    """A Rich table: per policy, P(decoupling) with its interval, paired change, key indicators."""
    summary = results.summary()
    names = [
        n
        for n in results.model.key_indicators
        if n in next(iter(summary.policies.values())).indicators
    ]
    names = names[:max_indicators]
    table = Table(
        title=f"{summary.scenario}: how likely is decoupling by {summary.horizon}? "
        f"({summary.members:,} members, seed {summary.seed})",
        title_justify="left",
        caption="Intervals are 95 % (Wilson for P, paired t for changes); indicators: median (5–95 %) at the horizon.",
        caption_justify="left",
    )
    table.add_column("policy", no_wrap=True)
    table.add_column("P(decoupling)", justify="right", no_wrap=True)
    table.add_column("change vs baseline (paired)", justify="right", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
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
            cells.append(f"{q['q50']:.2f} ({q['q05']:.2f}–{q['q95']:.2f})")
        table.add_row(policy, f"{_pct(p.p_decoupling)} [{_pct(lo)}–{_pct(hi)}]", change, *cells)
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
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Keep the run in the experiment store ($ALLIANCESIM_HOME) with its claim verdicts.",
        ),
    ] = True,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the self-contained HTML report to this file."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Simulate a scenario under each policy and report how likely the alliance is to decouple.

    Without --policy, runs every policy of the scenario and every combination its claims
    compare, so that the claims can be checked. The run is stored (unless --no-store).
    """
    from alliancesim.errors import InputError

    if report is not None and report.is_dir():
        raise InputError.single(str(report), "expected an HTML file name, got a directory")
    if dask not in (None, "local"):
        raise InputError.single("--dask", f"the only value is 'local', got {dask!r}")
    if workers < 1:
        raise InputError.single("--workers", f"workers must be at least 1, got {workers}")
    if out is not None and out.exists() and any(out.iterdir()):
        raise InputError.single(str(out), "output directory exists and is not empty")
    console = Console(stderr=True)
    with simulation_progress(console, quiet=as_json) as (progress, on_block):
        loaded = load_scenario(scenario)
        options: dict[str, Any] = {
            "policies": policy or default_policies(loaded),
            "members": members,
            "seed": seed,
            "workers": workers,
            "scheduler": scheduler,
            "dask_local": dask == "local",
            "record": record,
            "on_block": on_block,
        }
        shown = False

        def show(results: Results) -> None:  # the answer first; claims and storing follow
            nonlocal shown
            if not as_json:
                progress.stop()
                _print_summary(results)
                shown = True

        if store:
            with _open_store(console) as experiments:
                with (
                    console.status("checking the claims and storing the run", spinner="dots")
                    if not as_json
                    else nullcontext()
                ):
                    results = experiments.run(loaded, on_simulated=show, **options)
                stored = experiments.get(results.run_id)
        else:
            stored = None
            results = run_ensemble(loaded, directory=out, **options)
    if store and out is not None and results.directory is not None:
        for part in ("trajectories", "parameters"):
            shutil.copytree(results.directory / part, out / part, dirs_exist_ok=True)
    report_path = None
    if report is not None:
        with console.status("writing the report", spinner="dots") if not as_json else nullcontext():
            report_path = _write_report(results, report, stored)
    if as_json:
        payload = run_payload(results)
        payload["stored"] = stored is not None
        payload["run_directory"] = str(stored.directory) if stored else None
        payload["report"] = str(report_path.resolve()) if report_path else None
        typer.echo(json.dumps(payload, indent=2))
        return
    stdout = Console(width=None if Console().is_terminal else 200)
    if not shown:
        _print_summary(results)
    if stored is not None:
        stdout.print(f"stored in {stored.directory}", highlight=False)
    if report_path is not None:
        stdout.print(f"report written to {report_path.resolve()}", highlight=False)


def _print_summary(results: Results) -> None:
    """The run's table and one line on how it was made, on standard output."""
    stdout = Console(width=None if Console().is_terminal else 200)
    stdout.print(summary_table(results))
    stdout.print(
        f"run {results.run_id}: {results.members:,} members × {len(results.policies)} policies × "
        f"{results.model.horizon} steps in {results.elapsed:.1f} s",
        highlight=False,
    )


def default_policies(scenario: Scenario) -> list[str]:
    """The scenario's policies and every combination its claims compare (baseline first)."""
    names = list(scenario.policy_ids)
    for claim in scenario.claims:
        for name in (claim.compare.policy, claim.compare.against):
            if name not in names:
                names.append(name)
    return names


@contextmanager
def _open_store(console: Console) -> Iterator[Any]:
    from alliancesim.store import Store, StoreBusyError

    try:
        yield Store()
    except StoreBusyError as exc:
        console.print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _write_report(results: Results, path: Path, stored: Any) -> Path:
    """The report of the run just made: from the store when stored, else from memory."""
    from alliancesim.report.html import write_report

    if stored is None:
        return write_report(results, path)
    from alliancesim.commands.store import write_stored_report
    from alliancesim.store import Store

    return write_stored_report(Store(), stored.run_id, path, results=results)
