"""The experiment store on the command line: `runs`, `show-run`, `export`, `delete`, `report`.

Every command finds the store at ``$ALLIANCESIM_HOME`` (default: the platform's user data
directory, ``~/.local/share/alliancesim`` on Linux) and names a run by its id, a unique prefix
of it, or ``latest``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.commands.progress import stage_progress
from alliancesim.errors import InputError
from alliancesim.jsonable import dumps
from alliancesim.outputs import check_writable, write_text_file
from alliancesim.presentation import (
    SCHEMA_VERSION,
    ClaimRow,
    percent,
    percent_interval,
    pp_change,
)
from alliancesim.store import RunRecord, Store, StoreBusyError
from alliancesim.workflows import report_of_stored_run, stored_claims

__all__ = ["delete", "export", "report", "runs", "show_run"]

RunArgument = Annotated[
    str,
    typer.Argument(help="Run id (or a unique prefix of it, or 'latest'); see `alliancesim runs`."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object instead of tables.")
]


@contextmanager
def _store() -> Iterator[Store]:
    """The store, with a clear message and exit code 1 if another process keeps it locked."""
    try:
        yield Store()
    except StoreBusyError as exc:
        Console(stderr=True).print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def _echo(payload: Any) -> None:
    typer.echo(dumps(payload))


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def runs(
    scenario: Annotated[str | None, typer.Option(help="Only runs of this scenario id.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the stored runs, newest first: scenario, members, seed, P(decoupling) under baseline."""
    with _store() as store:
        records = store.runs(scenario)
        home = store.home
    if as_json:
        _echo(
            {
                "schema_version": SCHEMA_VERSION,
                "store": str(home),
                "runs": [r.to_dict() for r in records],
            }
        )
        return
    console = Console()
    if not records:
        console.print(f"no stored runs in {home} (run `alliancesim run` to make one)", markup=False)
        return
    table = Table(title=escape(f"runs in {home}"), title_justify="left")
    table.add_column("run id", no_wrap=True)
    table.add_column("scenario")
    table.add_column("members", justify="right")
    table.add_column("seed", justify="right")
    table.add_column("P(decoupling)\nbaseline", justify="right")
    table.add_column("claims")
    table.add_column("size", justify="right", no_wrap=True)
    for r in records:
        p = percent(r.p_decoupling)
        if r.p_decoupling_ci:
            p += "\n" + escape(percent_interval(r.p_decoupling_ci))
        table.add_row(
            r.run_id,
            f"{escape(r.scenario_id)}\n{len(r.policies)} policies",
            f"{r.members:,}",
            str(r.seed),
            p,
            "judged" if r.claims_evaluated else "—",
            _size(r.bytes),
        )
    console.print(table)


def show_run(run_id: RunArgument, as_json: JsonOption = False) -> None:
    """Show a stored run: how it was made, P(decoupling) per policy, and the claim verdicts."""
    with _store() as store:
        record = store.get(run_id)
        summary = store.summary(record.run_id)
        structures = (
            store.structure_summaries(record.run_id) if record.structures != ("seed",) else {}
        )
        claims = stored_claims(store, record)
        parameters = store.parameters(record.run_id)
        analyses = store.analyses(scenario_hash=record.scenario_hash)
    if as_json:
        _echo(
            {
                "schema_version": SCHEMA_VERSION,
                **record.to_dict(),
                "summary": summary,
                **({"structure_summaries": structures} if structures else {}),
                "claims": claims.verdicts,
                "parameters": parameters,
                "analyses": [
                    {k: a[k] for k in ("analysis_id", "kind", "run_id", "created")}
                    for a in analyses
                ],
            }
        )
        return
    console = Console()
    _describe(console, record, len(parameters), len(analyses))
    several = len(record.structures) > 1
    over = f", weighted over {len(record.structures)} structures" if several else ""
    _summary_table(console, f"P(decoupling by {record.horizon}){over}", summary)
    if several:
        for name in record.structures:
            _summary_table(console, f"under {name}", structures.get(name, {}))
    if claims.verdicts is None:
        console.print(f"claims: {claims.note}", markup=False, highlight=False)
    elif claims.verdicts:
        verdicts = Table(title="claims", title_justify="left")
        verdicts.add_column("claim")
        verdicts.add_column("holds", justify="right")
        verdicts.add_column("verdict")
        for row in (ClaimRow.of(v) for v in claims.verdicts):
            verdicts.add_row(escape(row.claim_id), row.holds_text, escape(row.verdict))
        console.print(verdicts)


def _summary_table(console: Console, title: str, summary: dict[str, Any]) -> None:
    """P(decoupling) per policy with its interval and paired change vs baseline."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("policy")
    table.add_column("P(decoupling)", justify="right")
    table.add_column("95 % interval", justify="right")
    table.add_column("change vs baseline (paired)", justify="right")
    for policy, data in summary.items():
        diff = data.get("vs_baseline", {}).get("decoupled")
        change = pp_change(diff["mean_difference"], diff["ci"]) if diff else "—"
        table.add_row(
            escape(policy),
            percent(data["p_decoupling"]),
            percent_interval(data["p_decoupling_ci"]),
            change,
        )
    console.print(table)


def _describe(console: Console, r: RunRecord, n_parameters: int, n_analyses: int) -> None:
    lines = [
        f"[bold]run {escape(r.run_id)}[/bold]: {escape(r.scenario_id)} — "
        f"{escape(r.scenario_title)}",
        f"  {r.members:,} members × {len(r.policies)} policies "
        f"({escape(', '.join(r.policies))}), seed {r.seed}",
        *(
            [f"  structures: {escape(', '.join(r.structures))}"]
            if r.structures != ("seed",)
            else []
        ),
        f"  started {r.started:%Y-%m-%d %H:%M:%S} UTC, {r.elapsed_seconds:.1f} s of simulation, "
        f"alliancesim {r.version}",
        f"  scenario hash {r.scenario_hash}",
        f"  {n_parameters} uncertain parameters sampled; {r.files} Parquet files, {_size(r.bytes)} "
        f"in {escape(str(r.directory))}",
        f"  {n_analyses} analysis result(s) attached to this scenario",
    ]
    for line in lines:
        console.print(line, highlight=False)


def export(
    run_id: RunArgument,
    out: Annotated[Path, typer.Option("--out", help="Directory to write into (new or empty).")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="'parquet' or 'csv' for the trajectories and parameters, or 'ema': an EMA "
            "Workbench archive that ema_workbench.load_results reads (outcomes as time series).",
        ),
    ] = "parquet",
    as_json: JsonOption = False,
) -> None:
    """Copy a stored run out of the store: trajectories and parameters (Parquet or CSV), the
    summary, claim verdicts and run description (JSON)."""
    from alliancesim.workflows import export_stored_run

    if fmt not in ("parquet", "csv", "ema"):
        raise InputError.single("--format", f"expected parquet, csv or ema, got {fmt!r}")
    with _store() as store, stage_progress(Console(stderr=True), quiet=as_json) as stage:
        stage(f"writing {fmt}")
        files = export_stored_run(store, run_id, fmt, out)
    if as_json:
        _echo({"schema_version": SCHEMA_VERSION, "out": str(out), "files": [str(f) for f in files]})
        return
    for f in files:
        typer.echo(str(f))


def delete(run_id: RunArgument, as_json: JsonOption = False) -> None:
    """Delete a stored run: its catalogue rows first, then its Parquet files."""
    with _store() as store:
        record = store.delete(run_id)
    if as_json:
        _echo(
            {
                "schema_version": SCHEMA_VERSION,
                "deleted": record.run_id,
                "directory": str(record.directory),
            }
        )
        return
    typer.echo(f"deleted run {record.run_id} ({record.scenario_id}, {record.members:,} members)")


def report(
    run_id: RunArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file to write (default: report-<run id>.html)."),
    ] = None,
    failure_regions: Annotated[
        bool,
        typer.Option(
            "--failure-regions",
            help="First search where each claim fails (PRIM over the run's own draws; kept in "
            "the store, so later reports show it at once).",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing file alliancesim did not write.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write the self-contained HTML report of a stored run (opens offline in any browser)."""
    if out is not None:
        check_writable(out, what="report", force=force)
    with _store() as store, stage_progress(Console(stderr=True), quiet=as_json) as stage:
        resolved = store.resolve(run_id)
        path = out or Path(f"report-{resolved}.html")
        check_writable(path, what="report", force=force)
        stage(
            "searching where the claims fail, then writing the report"
            if failure_regions
            else "writing the report"
        )
        document = report_of_stored_run(store, resolved, failure_regions=failure_regions)
        path = write_text_file(path, document, what="report", force=force)
    if as_json:
        _echo({"schema_version": SCHEMA_VERSION, "run_id": resolved, "report": str(path.resolve())})
        return
    typer.echo(str(path.resolve()))
