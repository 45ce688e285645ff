"""`alliancesim run`: simulate a scenario over an ensemble and say how likely decoupling is."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.commands.progress import simulation_progress
from alliancesim.jsonable import dumps
from alliancesim.outputs import check_writable, write_text_file
from alliancesim.presentation import SCHEMA_VERSION, RunView, percent
from alliancesim.results import Results
from alliancesim.runner import DEFAULT_MEMBERS, DEFAULT_SCENARIO
from alliancesim.runner import run as run_ensemble
from alliancesim.scenario.loader import load_scenario
from alliancesim.store import Store
from alliancesim.workflows import (
    ReportParts,
    default_policies,
    report_of_new_stored_run,
    report_of_run,
    report_parts,
    run_and_store,
    view_of_new_stored_run,
    view_of_run,
)

__all__ = [
    "STRUCTURE_HELP",
    "print_structures",
    "run",
    "run_payload",
    "signs_table",
    "structure_tables",
    "structures_block",
    "summary_table",
    "threshold_table",
]

STRUCTURE_HELP = (
    "Structure to run (repeatable): 'seed', mechanism=account pairs joined by commas (e.g. "
    "consult=costly_signal), or 'all'. Default: the seed and each rival account alone."
)


def structures_block(results: Results) -> dict[str, Any]:
    """The ``structures`` object of ``--json``: the structures run, each one's accounts and
    weight, and each one's per-policy summary (the top-level ``policies`` are their weighted
    combination when there are several)."""
    from alliancesim.structures import parse_structure

    summary = results.summary()
    scenario = results.model.scenario
    return {
        "names": list(results.structures),
        "combined": results.several,
        "weights": dict(results.weights),
        "accounts": {
            name: dict(parse_structure(scenario, name).accounts) for name in results.structures
        },
        "mechanisms": [
            {
                "id": m.id,
                "label": m.label,
                "question": m.question,
                "accounts": [
                    {"id": a.id, "label": a.label, "prior": prior}
                    for a, prior in zip(m.accounts, m.priors, strict=True)
                ],
            }
            for m in scenario.mechanisms
        ],
        "summaries": {
            name: {p: v.to_dict() for p, v in policies.items()}
            for name, policies in summary.structures.items()
        },
    }


def run_payload(results: Results, view: RunView) -> dict[str, Any]:
    """The JSON object `run --json` prints: the run's provenance, its summary per policy and its
    presentation rows (headline, ranking with each policy's paired change, claims); for a
    scenario with contested mechanisms, its ``structures`` (:func:`structures_block`)."""
    summary = results.summary()
    extra = {"structures": structures_block(results)} if results.structured else {}
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": results.run_id,
        "scenario": summary.scenario,
        "scenario_hash": results.scenario_hash,
        "members": results.members,
        "seed": results.seed,
        "horizon": summary.horizon,
        "steps": summary.steps,
        "elapsed_seconds": round(results.elapsed, 3),
        "policies": {name: p.to_dict() for name, p in summary.policies.items()},
        **{k: v for k, v in view.to_dict().items() if k not in ("schema_version", "structures")},
        **extra,
        **({"structure_rankings": view.to_dict()["structures"]} if view.structures else {}),
    }


def summary_table(view: RunView, *, max_indicators: int = 4) -> Table:
    """A Rich table laid out from a run's rows: per policy, P(decoupling) with its interval, its
    paired change vs baseline with its effect, and the key indicators at the horizon."""
    names = [n for n in view.key_indicators if view.ranking[0].indicator(n) is not None]
    names = names[:max_indicators]
    over = f", weighted over {len(view.structures)} structures" if view.weighted else ""
    table = Table(
        title=escape(
            f"{view.scenario_id}: how likely is decoupling by {view.horizon}? "
            f"({view.members:,} members, seed {view.seed}{over})"
        ),
        title_justify="left",
        caption=(
            "Weighted over the structures, member by member: intervals 95 % t over members; "
            "indicators: median (5–95 %) of the structures' weighted mixture at the horizon; "
            if view.weighted
            else "Intervals are 95 % (Wilson for P, paired t for changes); indicators: median "
            "(5–95 %) at the horizon; "
        )
        + "change = policy − baseline (negative lowers the risk); harms in = share of worlds "
        "where the policy decouples an alliance baseline keeps or lowers cohesion (paired).",
        caption_justify="left",
    )
    table.add_column("policy", no_wrap=True)
    table.add_column("P(decoupling)", justify="right", no_wrap=True)
    table.add_column("change vs baseline (paired)", justify="right", no_wrap=True)
    table.add_column("effect", no_wrap=True)
    table.add_column("harms in", justify="right", no_wrap=True)
    for name in names:
        table.add_column(escape(name), justify="right", no_wrap=True)
    for row in sorted(view.ranking, key=lambda r: r.policy != "baseline"):
        cells = [row.indicator(name) for name in names]
        table.add_row(
            escape(row.policy),
            f"{row.p_text} {row.p_interval_text}",
            row.effect_text if row.effect is not None else "—",
            row.effect.badge if row.effect is not None else "",
            row.harm_text,
            *(c.text if c is not None else "—" for c in cells),
        )
    return table


def structure_tables(view: RunView) -> list[Table]:
    """One compact table per structure of a run of several: its own ranking (P(decoupling),
    paired change vs baseline, effect), titled with its accounts and weight."""
    if not view.weighted:
        return []
    out = []
    for structure in view.structures:
        table = Table(
            title=escape(
                f"under {structure.name} (weight {structure.weight_text}): {structure.label}"
            ),
            title_justify="left",
        )
        table.add_column("rank", justify="right")
        table.add_column("policy", no_wrap=True)
        table.add_column("P(decoupling)", justify="right", no_wrap=True)
        table.add_column("change vs baseline (paired)", justify="right", no_wrap=True)
        table.add_column("effect", no_wrap=True)
        table.add_column("harms in", justify="right", no_wrap=True)
        for row in structure.ranking:
            table.add_row(
                str(row.rank) if row.rank is not None else "c/f",
                escape(row.policy),
                f"{row.p_text} {row.p_interval_text}",
                row.effect_text if row.effect is not None else "—",
                row.effect.badge if row.effect is not None else "",
                row.harm_text,
            )
        out.append(table)
    return out


def signs_table(view: RunView) -> Table | None:
    """Decoupling's observable signs: P(each seen by the horizon) per policy, their combination
    and the cohesion index (its threshold's sensitivity: :func:`threshold_table`)."""
    observable = view.observable
    if observable is None:
        return None
    policies = sorted((r.policy for r in view.ranking), key=lambda p: p != "baseline")
    over = ", weighted over the structures" if observable.weighted else ""
    table = Table(
        title=escape(f"What counts as decoupling: P(each sign seen by {view.horizon}){over}"),
        title_justify="left",
    )
    table.add_column("sign")
    for policy in policies:
        table.add_column(escape(policy), justify="right", no_wrap=True)
    for sign in observable.signs:
        table.add_row(
            escape(f"{sign.label} ({sign.condition})"),
            *(percent(sign.p_by_policy.get(p)) for p in policies),
        )
    table.add_row(
        escape(f"decoupled: {observable.combination}"),
        *(percent(observable.combined.get(p)) for p in policies),
    )
    if observable.index is not None:
        table.add_row(
            escape(f"cohesion index, not part of the definition ({observable.index.condition})"),
            *(percent(observable.index.p_by_policy.get(p)) for p in policies),
        )
    return table


def threshold_table(view: RunView) -> Table | None:
    """The cohesion index's threshold sensitivity: P(index by the horizon) per policy at the
    threshold and a grid around it (None without an index); or why it is not available."""
    observable = view.observable
    if observable is None or observable.sensitivity is None:
        return None
    sensitivity = observable.sensitivity
    policies = [p for p in sorted(sensitivity.p, key=lambda p: p != "baseline")]
    drawn = (
        "the run draws it from its range; the middle row holds it at its mean"
        if sensitivity.uncertain
        else "the middle row is the scenario's threshold"
    )
    note = (
        f"not available: {sensitivity.note}"
        if sensitivity.note
        else f"moved by 5 and 10 %; {drawn}"
    )
    table = Table(
        title=escape(f"Cohesion index by {view.horizon} vs its threshold"),
        title_justify="left",
        caption=escape(note),
        caption_justify="left",
    )
    table.add_column(escape(sensitivity.threshold), justify="right")
    for policy in policies:
        table.add_column(escape(policy), justify="right", no_wrap=True)
    for k, value in enumerate(sensitivity.thresholds if sensitivity.p else ()):
        table.add_row(f"{value:.4g}", *(percent(sensitivity.p[p][k]) for p in policies))
    return table


def print_structures(console: Console, view: RunView) -> None:
    """Each structure's table, then where their rankings disagree (or that they agree)."""
    tables = structure_tables(view)
    if not tables:
        return
    for table in tables:
        console.print(table)
    console.print(f"Structures weighed by {view.weights_source}.", highlight=False, markup=False)
    for line in view.history:
        console.print(f"  {line}", highlight=False, markup=False)
    if view.disagreements:
        console.print("The structures disagree:", highlight=False, markup=False)
        for line in view.disagreements:
            console.print(f"  - {line}", highlight=False, markup=False)
    else:
        console.print(
            "The structures agree on the best recommendation and on the direction of every "
            "policy's effect.",
            highlight=False,
            markup=False,
        )


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
    structure: Annotated[
        list[str] | None, typer.Option("--structure", "-s", help=STRUCTURE_HELP)
    ] = None,
    weights: Annotated[
        str,
        typer.Option(
            "--weights",
            help="How structures are weighed: 'history' (history's weights of the accounts where "
            "the episodes weigh them, else the priors), 'prior', or a weights file written by "
            "alliancesim structures --write.",
        ),
    ] = "history",
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
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing --report file alliancesim did not write."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Simulate a scenario under each policy and report how likely the alliance is to decouple.

    Without --policy, runs every policy of the scenario and every combination its claims
    compare, so that the claims can be checked. The run is stored (unless --no-store).
    """
    from alliancesim.errors import InputError

    if dask not in (None, "local"):
        raise InputError.single("--dask", f"the only value is 'local', got {dask!r}")
    if workers < 1:
        raise InputError.single("--workers", f"workers must be at least 1, got {workers}")
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError.single(str(out), "output directory exists and is not empty")
    if report is not None:
        check_writable(report, what="report", force=force)
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
            "structures": structure or None,
            "weights": weights,
        }
        shown: RunView | None = None
        parts: ReportParts | None = None
        experiments: Store | None = None

        def show(results: Results) -> None:  # the answer first; claims and storing follow
            nonlocal shown, parts
            shown = view_of_run(results, None)
            if not as_json:
                progress.stop()
                _print_summary(shown, results)
            if report is not None:  # read while the run is open, before it is moved
                parts = report_parts(results, shown)

        if store:
            with _open_store(console) as experiments:
                with (
                    console.status("checking the claims and storing the run", spinner="dots")
                    if not as_json
                    else nullcontext()
                ):
                    stored = run_and_store(experiments, loaded, on_simulated=show, **options)
                results = stored.results
                view = view_of_new_stored_run(stored, shown)
        else:
            stored = None
            results = run_ensemble(loaded, directory=out, **options)
            view = view_of_run(results, None)
    if store and out is not None and results.directory is not None:
        for part in ("trajectories", "parameters"):
            shutil.copytree(results.directory / part, out / part, dirs_exist_ok=True)
    report_path = None
    if report is not None:
        with console.status("writing the report", spinner="dots") if not as_json else nullcontext():
            if stored is not None and experiments is not None:
                document = report_of_new_stored_run(experiments, stored, view, parts)
            else:
                document = report_of_run(results, None)
            report_path = write_text_file(report, document, what="report", force=force)
    if as_json:
        payload = run_payload(results, view)
        payload["stored"] = stored is not None
        payload["run_directory"] = str(stored.record.directory) if stored else None
        payload["report"] = str(report_path.resolve()) if report_path else None
        typer.echo(dumps(payload))
        return
    stdout = Console(width=None if Console().is_terminal else 200)
    if shown is None:
        _print_summary(view, results)
    if stored is not None:
        stdout.print(f"stored in {stored.record.directory}", highlight=False, markup=False)
    if report_path is not None:
        stdout.print(f"report written to {report_path.resolve()}", highlight=False, markup=False)


def _print_summary(view: RunView, results: Results) -> None:
    """The run's table and one line on how it was made, on standard output."""
    stdout = Console(width=None if Console().is_terminal else 200)
    signs = signs_table(view)
    if signs is not None:
        stdout.print(signs)
    threshold = threshold_table(view)
    if threshold is not None:
        stdout.print(threshold)
    stdout.print(summary_table(view))
    if view.projection:
        stdout.print(f"History and projection: {view.projection}", highlight=False, markup=False)
    print_structures(stdout, view)
    structures = f"{len(results.structures)} structures × " if results.several else ""
    stdout.print(
        f"run {results.run_id}: {results.members:,} members × {structures}"
        f"{len(results.policies)} policies × {results.model.horizon} steps in "
        f"{results.elapsed:.1f} s",
        highlight=False,
        markup=False,
    )


@contextmanager
def _open_store(console: Console) -> Iterator[Any]:
    from alliancesim.store import StoreBusyError

    try:
        yield Store()
    except StoreBusyError as exc:
        console.print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
