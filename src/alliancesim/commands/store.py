"""The experiment store on the command line: `runs`, `show-run`, `export`, `delete`, `report`.

Every command finds the store at ``$ALLIANCESIM_HOME`` (default ``~/.local/share/alliancesim``)
and names a run by its id, a unique prefix of it, or ``latest``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alliancesim.results import Results
from alliancesim.store import RunRecord, Store, StoreBusyError, plain

__all__ = ["delete", "export", "report", "runs", "show_run", "write_stored_report"]

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
        Console(stderr=True).print(f"[red]error[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _echo(payload: Any) -> None:
    typer.echo(json.dumps(plain(payload), indent=2))


def _pct(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


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
        _echo({"store": str(home), "runs": [r.to_dict() for r in records]})
        return
    console = Console()
    if not records:
        console.print(f"no stored runs in {home} (run `alliancesim run` to make one)")
        return
    table = Table(title=f"runs in {home}", title_justify="left")
    table.add_column("run id", no_wrap=True)
    table.add_column("scenario")
    table.add_column("members", justify="right")
    table.add_column("seed", justify="right")
    table.add_column("P(decoupling)\nbaseline", justify="right")
    table.add_column("claims")
    table.add_column("size", justify="right", no_wrap=True)
    for r in records:
        ci = r.p_decoupling_ci
        p = _pct(r.p_decoupling)
        if ci:
            p += f"\n[{100 * ci[0]:.1f}–{100 * ci[1]:.1f}]"
        table.add_row(
            r.run_id,
            f"{r.scenario_id}\n{len(r.policies)} policies",
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
        claims = store.claim_verdicts(record.run_id)
        parameters = store.parameters(record.run_id)
        analyses = store.analyses(scenario_hash=record.scenario_hash)
    if as_json:
        _echo(
            {
                **record.to_dict(),
                "summary": summary,
                "claims": claims,
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
    table = Table(title=f"P(decoupling by {record.horizon})", title_justify="left")
    table.add_column("policy")
    table.add_column("P(decoupling)", justify="right")
    table.add_column("95 % interval", justify="right")
    table.add_column("vs baseline (paired)", justify="right")
    for policy, data in summary.items():
        lo, hi = data["p_decoupling_ci"]
        diff = data.get("vs_baseline", {}).get("decoupled")
        change = "—"
        if diff:
            d_lo, d_hi = diff["ci"]
            change = (
                f"{100 * diff['mean_difference']:+.1f} pp [{100 * d_lo:+.1f}, {100 * d_hi:+.1f}]"
            )
        table.add_row(policy, _pct(data["p_decoupling"]), f"{_pct(lo)}–{_pct(hi)}", change)
    console.print(table)
    if claims is None:
        console.print("claims: not evaluated for this run")
    elif claims:
        verdicts = Table(title="claims", title_justify="left")
        verdicts.add_column("claim")
        verdicts.add_column("holds", justify="right")
        verdicts.add_column("verdict")
        for v in claims:
            if v.get("statistic") == "mean" and v.get("mean_difference") is not None:
                held = f"mean diff. {v['mean_difference']:+.3g}"
            else:
                held = _pct(v.get("share"))
            verdicts.add_row(str(v.get("claim_id")), held, str(v.get("verdict")))
        console.print(verdicts)


def _describe(console: Console, r: RunRecord, n_parameters: int, n_analyses: int) -> None:
    lines = [
        f"[bold]run {r.run_id}[/bold]: {r.scenario_id} — {r.scenario_title}",
        f"  {r.members:,} members × {len(r.policies)} policies ({', '.join(r.policies)}), seed {r.seed}",
        f"  started {r.started:%Y-%m-%d %H:%M:%S} UTC, {r.elapsed_seconds:.1f} s of simulation, "
        f"alliancesim {r.version}",
        f"  scenario hash {r.scenario_hash}",
        f"  {n_parameters} uncertain parameters sampled; {r.files} Parquet files, {_size(r.bytes)} "
        f"in {r.directory}",
        f"  {n_analyses} analysis result(s) attached to this scenario",
    ]
    for line in lines:
        console.print(line, highlight=False)


def export(
    run_id: RunArgument,
    out: Annotated[Path, typer.Option("--out", help="Directory to write into (new or empty).")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="'parquet' or 'csv' for the trajectories and parameters."),
    ] = "parquet",
    as_json: JsonOption = False,
) -> None:
    """Copy a stored run out of the store: trajectories and parameters (Parquet or CSV), the
    summary, claim verdicts and run description (JSON)."""
    with _store() as store:
        files = store.export(run_id, fmt, out)
    if as_json:
        _echo({"out": str(out), "files": [str(f) for f in files]})
        return
    for f in files:
        typer.echo(str(f))


def delete(run_id: RunArgument, as_json: JsonOption = False) -> None:
    """Delete a stored run: its catalogue rows first, then its Parquet files."""
    with _store() as store:
        record = store.delete(run_id)
    if as_json:
        _echo({"deleted": record.run_id, "directory": str(record.directory)})
        return
    typer.echo(f"deleted run {record.run_id} ({record.scenario_id}, {record.members:,} members)")


def write_stored_report(
    store: Store, run_id: str, out: Path, *, results: Results | None = None
) -> Path:
    """Write the report of a stored run, with its stored claims and the newest sensitivity
    results attached to its scenario (``results``: the run, if already open)."""
    from alliancesim.report.html import RunFacts, write_report

    record = store.get(run_id)
    if results is None:
        results = store.open_run(record.run_id)
    claims = store.claim_verdicts(record.run_id)
    sensitivity = [
        a["payload"]
        for a in store.analyses(scenario_hash=record.scenario_hash, kind="sensitivity")
        if a["run_id"] in (None, record.run_id)
    ][:2]
    return write_report(
        results,
        out,
        claims=claims,
        claims_note=""
        if claims is not None
        else "claims were not evaluated when this run was stored",
        sensitivity=sensitivity,
        facts=RunFacts.of(results, record),
    )


def report(
    run_id: RunArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file to write (default: report-<run id>.html)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the self-contained HTML report of a stored run (opens offline in any browser)."""
    if out is not None and out.exists() and out.is_dir():
        from alliancesim.errors import InputError

        raise InputError.single(str(out), "expected an HTML file name, got a directory")
    with _store() as store:
        resolved = store.resolve(run_id)
        path = write_stored_report(store, resolved, out or Path(f"report-{resolved}.html"))
    if as_json:
        _echo({"run_id": resolved, "report": str(path.resolve())})
        return
    typer.echo(str(path.resolve()))
