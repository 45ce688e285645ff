"""`claims`, `compare`, `sensitivity`, `discover`: the analysis commands.

- ``claims``: does each of the seeds' claims hold, and where does it fail?
- ``compare``: which recommendation lowers P(decoupling) the most?
- ``sensitivity``: which uncertain parameters drive an outcome (Sobol or Morris, SALib; PAWN
  or delta on a stored run's own draws)?
- ``discover``: in which parameter ranges does an outcome happen (PRIM)?

Each simulates a new ensemble, or, with ``--run RUN_ID`` (an id, a unique prefix or
``latest``), computes from a stored run's Parquet without simulating, through the use cases
of :mod:`alliancesim.workflows`; when the run lacks what is asked (a policy it did not run, a
quantity it did not record) the command says so and what to run instead.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.commands.progress import simulation_progress, stage_progress, task_progress
from alliancesim.errors import InputError
from alliancesim.jsonable import dumps
from alliancesim.presentation import (
    SCHEMA_VERSION,
    HarmCell,
    percent,
    percent_interval,
    pp_change,
    signed,
    signed_interval,
)
from alliancesim.results import Results
from alliancesim.runner import DEFAULT_MEMBERS, DEFAULT_SCENARIO
from alliancesim.scenario.schema import Scenario

__all__ = ["claims", "compare", "discover", "sensitivity"]

ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="Built-in scenario id or a scenario TOML file (default us-rok-2025; with --run, "
        "the run's own).",
        show_default=False,
    ),
]
MembersOpt = Annotated[
    int | None,
    typer.Option(
        "--members",
        "-n",
        help="Ensemble members (plausible worlds; default 2,000).",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option(help="Random seed: same seed, same results (default 0).", show_default=False),
]
RunOpt = Annotated[
    str | None,
    typer.Option(
        "--run",
        help="Analyse a stored run (its id, a unique prefix or 'latest'; see `alliancesim runs`) "
        "from its Parquet, without simulating.",
    ),
]
WorkersOpt = Annotated[int, typer.Option(help="Worker processes on this machine.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Also write an interactive plot to this HTML file.")
]
StructureOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--structure",
        "-s",
        help="Structure to run (repeatable): 'seed', mechanism=account pairs joined by commas "
        "(e.g. consult=costly_signal), or 'all'. Default: the seed and each rival account alone.",
    ),
]


# --------------------------------------------------------------------------------------------
# helpers


def _load(reference: str | None) -> Scenario:
    from alliancesim.scenario.loader import load_scenario

    return load_scenario(reference or DEFAULT_SCENARIO)


def _stored(run: str | None, scenario: str | None, **given: Any) -> bool:
    """Whether the command analyses a stored run; options that only a simulation takes are
    refused with it, rather than silently ignored."""
    if run is None:
        return False
    named = [f"--{name}" for name, value in given.items() if value is not None]
    if named:
        raise InputError.single(
            named[0], f"a stored run has its own {', '.join(named)}: leave them out with --run"
        )
    if scenario is not None:
        raise InputError.single(
            "SCENARIO", "a stored run has its own scenario: give either SCENARIO or --run"
        )
    return True


@contextmanager
def _store() -> Iterator[Any]:
    """The experiment store, with a clear message and exit code 1 if another process keeps it
    locked."""
    from alliancesim.store import Store, StoreBusyError

    try:
        yield Store()
    except StoreBusyError as exc:
        Console(stderr=True).print(f"[red]error[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None


def _check_common(members: int | None = None, workers: int = 1) -> None:
    if members is not None and members < 1:
        raise InputError.single("--members", f"members must be at least 1, got {members}")
    if workers < 1:
        raise InputError.single("--workers", f"workers must be at least 1, got {workers}")


def _simulate(
    scenario: Scenario,
    policies: Sequence[str],
    members: int,
    seed: int,
    workers: int,
    *,
    quiet: bool,
    record: str = "all",
    structures: Sequence[str] | None = None,
) -> Results:
    """Run the ensemble with a progress bar on stderr (``structures`` as ``run(structures=…)``)."""
    from alliancesim.runner import run as run_ensemble

    with simulation_progress(Console(stderr=True), quiet=quiet) as (_, on_block):
        return run_ensemble(
            scenario,
            policies=list(policies),
            members=members,
            seed=seed,
            workers=workers,
            record=record,
            on_block=on_block,
            structures=list(structures) if structures else None,
        )


def _write_plot(fig: Any, path: Path) -> None:
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError.single(
            "--plot", f"the plot is an HTML file: give a name ending in .html, got {path}"
        )
    try:
        fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    except OSError as exc:
        raise InputError.single("--plot", f"cannot write {path}: {exc.strerror or exc}") from None


def _echo_json(payload: dict[str, Any]) -> None:
    typer.echo(dumps(payload))


_VERDICT_STYLE = {"supported": "green", "contested": "yellow", "rejected": "red"}


def _reading(v: Mapping[str, Any]) -> str:
    """A claim's verdict (its ``to_dict()`` form) as it must be read, styled: only a
    contingent claim's is coloured."""
    if (v.get("class") or "contingent") != "contingent":
        return f"[dim]{escape(v['verdict'])}[/dim]"
    style = _VERDICT_STYLE[v["verdict"]]
    return f"[{style}]{v['verdict']}[/{style}]" + (" (by mean)" if v["statistic"] == "mean" else "")


# --------------------------------------------------------------------------------------------
# claims


def claims(
    scenario: ScenarioArg = None,
    members: MembersOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = 1,
    margin: Annotated[
        float,
        typer.Option(help="Verdict margin m: supported if the share's lower bound > 0.5 + m."),
    ] = 0.1,
    discover: Annotated[
        bool, typer.Option("--discover/--no-discover", help="Search PRIM boxes where claims fail.")
    ] = True,
    run: RunOpt = None,
    structure: StructureOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Test every claim of a scenario on paired members: share, verdict, and where it fails."""
    from alliancesim.claims import claim_policies, verdict_rule
    from alliancesim.workflows import claims_by_structure, claims_of_run

    _check_common(members, workers)
    if not 0 <= margin < 0.5:
        raise InputError.single("--margin", f"margin must lie in [0, 0.5), got {margin}")
    err = Console(stderr=True)
    stage_name = "searching where the claims fail" if discover else "checking the claims"
    if _stored(run, scenario, members=members, seed=seed, structure=structure):
        from alliancesim.workflows import claims_of_stored_run

        with _store() as store, stage_progress(err, quiet=as_json) as stage:
            stage(stage_name)
            _, results, verdicts = claims_of_stored_run(
                store, str(run), discover=discover, margin=margin
            )
        loaded = results.model.scenario
    else:
        loaded = _load(scenario)
        if not loaded.claims:
            verdicts, results = [], None
        else:
            results = _simulate(
                loaded,
                claim_policies(loaded.claims),
                members or DEFAULT_MEMBERS,
                seed or 0,
                workers,
                quiet=as_json,
                structures=structure,
            )
            with stage_progress(err, quiet=as_json) as stage:
                stage(stage_name)
                outcome = claims_of_run(results, discover=discover, margin=margin)
            if outcome.verdicts is None:
                raise InputError.single("SCENARIO", outcome.note)
            verdicts = list(outcome.verdicts)
    if results is None or not loaded.claims:
        if as_json:
            _echo_json({"schema_version": SCHEMA_VERSION, "scenario": loaded.id, "claims": []})
        else:
            Console().print(f"{escape(loaded.id)} has no claims to test.")
        return
    if as_json:
        payload: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "scenario": loaded.id,
            "run_id": results.run_id,
            "stored": run is not None,
            "members": results.members,
            "seed": results.seed,
            "policies": results.policies,
            "thresholds": {
                "member": verdict_rule("member", margin),
                "mean": verdict_rule("mean", margin),
            },
            "claims": verdicts,
        }
        if results.several:  # each claim combined, with its verdict under each structure
            payload["structures"] = {"names": results.structures, "weights": results.weights}
        _echo_json(payload)
        return
    out = Console()
    for name, rows in claims_by_structure(verdicts, results).items():
        under = ""
        if results.structured:
            under = f", under {name} (weight {percent(results.weights[name])})"
        _claims_table(out, loaded.id + under, results, rows)
    if results.several:
        _combined_claims_table(out, loaded.id, results, verdicts)
    rule = verdict_rule("member", margin)
    out.print(
        f"\nverdicts (statistic member): supported if {rule['supported']}; rejected if "
        f"{rule['rejected']}; else contested. Ties are {rule['ties']}. "
        "Statistic mean: supported/rejected if the paired mean difference's 95 % interval lies "
        "entirely on the expected/other side of 0. Only a contingent claim's verdict is "
        "evidence; a structural claim holds or fails by construction and a prior-driven one "
        "restates one parameter's prior (docs/analysis.md).",
        highlight=False,
    )


def _claims_table(
    out: Console, title: str, results: Results, verdicts: Sequence[Mapping[str, Any]]
) -> None:
    """The claims of one structure (their ``to_dict()`` form): share, ties, mean difference,
    verdict and class; then where each fails."""
    source_of = "stored run " + results.run_id + ", " if results.directory else ""
    table = Table(
        title=escape(
            f"{title}: the seeds' claims, {source_of}{results.members:,} paired members, "
            f"seed {results.seed}"
        ),
        title_justify="left",
        show_lines=True,
    )
    table.add_column("claim", overflow="fold", max_width=34)
    table.add_column("comparison", overflow="fold", max_width=40)
    table.add_column("holds where the\npolicies differ\n[95 % interval]", justify="right")
    table.add_column("ties", justify="right")
    table.add_column("mean difference\n[95 % interval]", justify="right")
    table.add_column("verdict")
    table.add_column("class")
    for v in verdicts:
        source = (
            f"\n[dim]{escape(v['seed'])}[/dim]"
            if v.get("seed")
            else (f"\n[dim]{escape(v['source'])}[/dim]" if v.get("source") else "")
        )
        lo, hi = (x if x is not None else math.nan for x in v["share_ci"])
        share = (
            f"{percent(v['share'])}\n[{100 * lo:.1f}, {100 * hi:.1f}]"
            if v["holds"] + v["fails"]
            else "not tested\n(no member differs)"
        )
        md = v.get("mean_difference")
        md_lo, md_hi = (x if x is not None else math.nan for x in v["mean_difference_ci"])
        mean = (
            f"{md:+.4g}\n[{md_lo:+.4g}, {md_hi:+.4g}]"
            if md is not None and math.isfinite(md)
            else "—"
        )
        table.add_row(
            f"[bold]{escape(v['claim_id'])}[/bold]\n{escape(v['statement'])}{source}",
            escape(v["comparison"]),
            escape(share),
            percent(v["tie_share"]),
            escape(mean),
            _reading(v),
            escape(v.get("class") or ""),
        )
    out.print(table)
    for v in verdicts:
        if v.get("class"):
            out.print(
                f"[bold]{escape(v['claim_id'])}[/bold] is {escape(v['class'])}: "
                f"{escape(v.get('class_reason') or '')}",
                highlight=False,
            )
    for v in verdicts:
        if v.get("failure_box") is None and not v.get("failure_note"):
            continue
        out.print(
            f"\n[bold]{escape(v['claim_id'])}[/bold] ({_reading(v)}) fails in "
            f"{v['fails']:,} members",
            highlight=False,
        )
        if v.get("quote"):
            out.print(
                f"  [dim]“{escape(v['quote'])}” ({escape(v.get('seed') or '')})[/dim]",
                highlight=False,
            )
        box = v.get("failure_box")
        if box is None:
            out.print(f"  {escape(v['failure_note'])}", highlight=False)
            continue
        out.print(
            f"  fails mostly where: [bold]{escape(box['description'])}[/bold]\n"
            f"  coverage {box['coverage']:.2f} (share of failures inside), density "
            f"{box['density']:.2f} (share failing inside, {box['lift'] or 0:.1f}× the overall "
            f"rate), mass {box['mass']:.2f}; peeling trajectory of {len(box['trajectory'])} boxes",
            highlight=False,
        )
        if box.get("note"):
            out.print(f"  [yellow]{escape(box['note'])}[/yellow]", highlight=False)


def _combined_claims_table(
    out: Console, scenario: str, results: Results, combined: list[dict[str, Any]]
) -> None:
    """Each claim over the structures: its verdict under each, the weight behind each verdict,
    the weighted share and the weighted paired mean difference."""
    table = Table(
        title=escape(
            f"{scenario}: the claims over {len(results.structures)} structures (weighted)"
        ),
        title_justify="left",
        show_lines=True,
    )
    table.add_column("claim", overflow="fold", max_width=34)
    for name in results.structures:
        table.add_column(f"{escape(name)}\n({percent(results.weights[name], 0)})")
    table.add_column("weighted share\n(range)", justify="right")
    table.add_column("weighted mean\ndifference [95 %]", justify="right")
    table.add_column("over the structures")
    for claim in combined:
        verdicts = claim["structures"]
        cells = [
            f"[{_VERDICT_STYLE.get(verdicts[n]['verdict'], 'white')}]{verdicts[n]['verdict']}"
            f"[/{_VERDICT_STYLE.get(verdicts[n]['verdict'], 'white')}]"
            for n in results.structures
        ]
        low_high = claim.get("share_range")
        share = percent(claim.get("share"))
        if low_high:
            share += f"\n({percent(low_high[0], 0)}–{percent(low_high[1], 0)})"
        md, md_ci = claim.get("mean_difference"), claim.get("mean_difference_ci") or [None, None]
        mean = f"{signed(md, 4)}\n{signed_interval(md_ci, 4)}" if md is not None else "—"
        weights = claim["verdict_weights"]
        if claim["verdict"] == "split":
            overall = "split: " + ", ".join(f"{v} {percent(w, 0)}" for v, w in weights.items())
        else:
            overall = f"{claim['verdict']} under every structure"
        table.add_row(
            f"[bold]{escape(claim['claim_id'])}[/bold]",
            *cells,
            share,
            escape(mean),
            escape(overall),
        )
    out.print(table)


# --------------------------------------------------------------------------------------------
# compare


def compare(
    scenario: ScenarioArg = None,
    members: MembersOpt = None,
    seed: SeedOpt = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", "-p", help="Policy to compare (repeatable; a+b combines). Default: all."
        ),
    ] = None,
    workers: WorkersOpt = 1,
    indicator: Annotated[
        list[str] | None,
        typer.Option(
            "--indicator",
            "-i",
            help="Indicator to show (repeatable). Default: those the decoupling condition "
            "reads, then those the policies move most, four in all.",
        ),
    ] = None,
    run: RunOpt = None,
    structure: StructureOpt = None,
    robust: Annotated[
        bool,
        typer.Option(
            "--robust",
            help="Robustness across structures and worlds: regret (mean, p90, max), the "
            "satisficing share and the rank under each structure and weighting.",
        ),
    ] = False,
    pathways: Annotated[
        bool,
        typer.Option(
            "--pathways",
            help="With --robust: what carries each recommendation's effect (each pathway "
            "switched off in turn, on the same worlds).",
        ),
    ] = False,
    signposts: Annotated[
        bool,
        typer.Option(
            "--signposts",
            help="With --robust: early values that tell the worlds where the leading "
            "recommendations fail (PRIM boxes).",
        ),
    ] = False,
    threshold: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            help="With --robust: a condition a world must meet at the horizon (repeatable), "
            "e.g. 'count.stryker_withdrawal == 0', or 'EXPR @ 0.9' to hold in 90 % of each "
            "structure's worlds. Default: the scenario's [[thresholds]].",
        ),
    ] = None,
    measure: Annotated[
        str | None,
        typer.Option(
            "--measure",
            help="With --robust: the outcome regret is measured in (an indicator or state "
            "variable at the horizon, or 'decoupling_time'). Default: what the decoupling "
            "condition compares.",
        ),
    ] = None,
    better: Annotated[
        str | None,
        typer.Option("--better", help="With --measure: 'higher' or 'lower' is better."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rank policies by how much they lower P(decoupling), with paired differences from baseline."""
    from alliancesim.analysis.compare import rank_policies

    _check_common(members, workers)
    stored = _stored(run, scenario, members=members, seed=seed, structure=structure)
    asked = [name for name, on in (("--pathways", pathways), ("--signposts", signposts)) if on]
    asked += [
        n
        for n, v in (("--threshold", threshold), ("--measure", measure), ("--better", better))
        if v
    ]
    if asked and not robust:
        raise InputError.single(asked[0], f"{asked[0]} goes with --robust")
    if robust:
        from alliancesim.commands.robust import robust_compare

        robust_compare(
            scenario=scenario,
            members=members,
            seed=seed,
            policies=policy,
            workers=workers,
            run=run,
            structure=structure,
            pathways=pathways,
            signposts=signposts,
            thresholds=threshold or [],
            measure=measure,
            better=better,
            as_json=as_json,
        )
        return
    if stored:
        from alliancesim.workflows import compare_stored_run

        with _store() as store:
            _, results, ranking = compare_stored_run(store, str(run), policy or None)
        loaded = results.model.scenario
    else:
        loaded = _load(scenario)
    names = list(policy) if policy else list(loaded.policy_ids)
    known = [i.id for i in loaded.indicators] + [
        k for k in loaded.scenario.key_indicators if k not in {i.id for i in loaded.indicators}
    ]
    for name in indicator or []:
        if name not in known:
            from alliancesim.scenario.names import suggest

            raise InputError.single(
                "--indicator",
                f"unknown indicator {name!r}{suggest(name, known)}; known: {', '.join(known)}",
            )
    if not stored:
        results = _simulate(
            loaded,
            names,
            members or DEFAULT_MEMBERS,
            seed or 0,
            workers,
            quiet=as_json,
            record="indicators",
            structures=structure,
        )
        ranking = rank_policies(results, where=True)
    horizon = results.model.clock.label(results.model.horizon)
    compared = [p for p in names if p != "baseline"] if stored else None
    rankings = {n: rank_policies(results.structure(n), compared) for n in results.structures}
    if as_json:
        payload: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "scenario": loaded.id,
            "run_id": results.run_id,
            "stored": stored,
            "members": results.members,
            "seed": results.seed,
            "horizon": horizon,
            "ranking": ranking,
        }
        if results.structured:
            payload["ranking_under"] = "weighted" if results.several else results.structures[0]
            payload["structures"] = {
                name: {"weight": results.weights[name], "ranking": rankings[name]}
                for name in results.structures
            }
        _echo_json(payload)
        return
    shown = list(indicator) if indicator else _default_indicators(results, ranking)
    over = f", weighted over {len(results.structures)} structures" if results.several else ""
    _ranking_table(
        f"{loaded.id}: policies ranked by the fall in P(decoupling by {horizon}), "
        f"{'stored run ' + results.run_id + ', ' if stored else ''}{results.members:,} paired "
        f"members, seed {results.seed}{over}",
        ranking,
        shown,
    )
    if results.several:
        for name in results.structures:
            _ranking_table(
                f"under {name} (weight {percent(results.weights[name])})", rankings[name], shown
            )


def _ranking_table(title: str, ranking: list[dict[str, Any]], shown: list[str]) -> None:
    """A ranking of policies with their paired changes, as a table on standard output."""
    table = Table(
        title=escape(title),
        title_justify="left",
    )
    table.add_column("rank", justify="right")
    table.add_column("policy", overflow="fold", max_width=30)
    table.add_column("P(decoupling)\n[95 %]", justify="right")
    table.add_column("change vs baseline\n(paired) [95 %]", justify="right")
    table.add_column("harms in\n[95 %]", justify="right")
    for name in shown:
        table.add_column(f"Δ {name}\n[95 %]", justify="right")
    for row in ranking:
        p_lo, p_hi = row["p_decoupling_ci"]
        if row["policy"] == "baseline":
            change = "—"
        else:
            mark = "" if row["significant"] else " [dim](n.s.)[/dim]"
            change = pp_change(row["change"], row["change_ci"]) + mark
        cells = []
        for name in shown:
            entry = row["indicators"][name]
            if row["policy"] == "baseline":
                cells.append(f"{entry['mean']:.3f} (mean)")
            else:
                lo, hi = entry["ci"]
                cells.append(f"{signed(entry['mean_difference'])}\n{signed_interval((lo, hi))}")
        harm = HarmCell.of(row["harm"]) if row.get("harm") else None
        table.add_row(
            str(row["rank"]) if row["rank"] is not None else "[dim]c/f[/dim]",
            f"{escape(row['policy'])}\n[dim]{escape(row['label'])}[/dim]",
            f"{percent(row['p_decoupling'])}\n{escape(percent_interval((p_lo, p_hi)))}",
            change,
            f"{harm.text}\n{escape(harm.interval_text)}" if harm is not None else "—",
            *cells,
        )
    Console().print(table)


def _default_indicators(results: Results, ranking: list[dict[str, Any]], k: int = 4) -> list[str]:
    """The indicators the decoupling condition reads, then those the policies move most
    (largest paired difference relative to the indicator's 5–95 % range under baseline)."""
    if results.model.scenario.scenario.key_indicators:
        return results.model.key_indicators[:k]
    names = results.model.indicator_names
    condition = results.model.scenario.decoupling.names
    chosen = [n for n in names if n in condition]
    spread = results.summary().policies["baseline"].indicators

    def moved(name: str) -> float:
        width = spread[name].get("q95", 0.0) - spread[name].get("q05", 0.0)
        if not width > 0:
            return 0.0
        diffs = [abs(r["indicators"][name].get("mean_difference", 0.0)) for r in ranking]
        return max(diffs, default=0.0) / width

    rest = sorted((n for n in names if n not in chosen), key=lambda n: -moved(n))
    return (chosen + rest)[:k]


# --------------------------------------------------------------------------------------------
# sensitivity


def sensitivity(
    scenario: ScenarioArg = None,
    method: Annotated[
        str,
        typer.Option(
            help="'sobol' (variance-based) or 'morris' (screening), on a design of their own; "
            "'pawn' or 'delta' (moment-independent) on a stored run's own draws (--run)."
        ),
    ] = "sobol",
    indicator: Annotated[
        str,
        typer.Option(
            help="What to explain: an indicator, a state variable, … or 'decoupled' (P(decoupling))."
        ),
    ] = "decoupled",
    n: Annotated[
        int | None,
        typer.Option(
            "--n",
            help="Sobol base sample (power of two; default 256) or Morris trajectories (default 20).",
        ),
    ] = None,
    policy: Annotated[str, typer.Option(help="The policy the model runs under.")] = "baseline",
    at: Annotated[
        str, typer.Option(help="When: 'horizon', a period such as 2027Q4, or a step.")
    ] = "horizon",
    replicates: Annotated[
        int, typer.Option(help="Event streams per point (shared by all points), averaged.")
    ] = 8,
    groups: Annotated[
        str,
        typer.Option(
            help="'auto' (group by scenario entry above 24 parameters), 'entry' or 'none'."
        ),
    ] = "auto",
    seed: SeedOpt = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: 2, or 1 on a single core)."),
    ] = None,
    top: Annotated[int, typer.Option(help="How many factors to show.")] = 15,
    plot: PlotOpt = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Keep the result in the experiment store, where reports of this scenario show it.",
        ),
    ] = True,
    run: RunOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What drives an outcome: Sobol first-order and total indices, or Morris μ*, with intervals."""
    from alliancesim.analysis.sensitivity import (
        DEFAULT_MORRIS_TRAJECTORIES,
        DEFAULT_SOBOL_N,
        morris_screening,
        sensitivity_figure,
        sobol_indices,
    )
    from alliancesim.workflows import MOMENT_INDEPENDENT

    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    _check_common(None, workers)
    if method not in ("sobol", "morris", *MOMENT_INDEPENDENT):
        raise InputError.single(
            "--method", f"method is 'sobol', 'morris', 'pawn' or 'delta', got {method!r}"
        )
    if groups not in ("auto", "entry", "none"):
        raise InputError.single("--groups", f"groups is 'auto', 'entry' or 'none', got {groups!r}")
    at_value: str | int = int(at) if at.isdigit() else at
    err = Console(stderr=True)
    if method in MOMENT_INDEPENDENT and run is None:
        raise InputError.single(
            "--method",
            f"{method} estimates from an existing sample: give --run RUN_ID (or --run latest) "
            "to use a stored run's own draws",
        )
    if _stored(run, scenario, seed=seed):
        from alliancesim.workflows import sensitivity_of_stored_run

        with _store() as experiments, stage_progress(err, quiet=as_json) as stage:
            stage(f"{method} on the run's own draws")
            record, result = sensitivity_of_stored_run(
                experiments, str(run), method, indicator, policy=policy, at=at_value, keep=store
            )
        scenario_id = record.scenario_id
    else:
        loaded = _load(scenario)
        scenario_id = loaded.id
        common: dict[str, Any] = {
            "policy": policy,
            "at": at_value,
            "replicates": replicates,
            "seed": seed or 0,
            "groups": groups,
            "workers": workers,
        }
        with task_progress(err, f"{method}: evaluating", "points", quiet=as_json) as (_, advance):
            if method == "sobol":
                result = sobol_indices(
                    loaded, indicator, n=n or DEFAULT_SOBOL_N, on_progress=advance, **common
                )
            else:
                result = morris_screening(
                    loaded,
                    indicator,
                    n=n or DEFAULT_MORRIS_TRAJECTORIES,
                    on_progress=advance,
                    **common,
                )
        if store:
            from alliancesim.ensemble import scenario_hash

            with _store() as experiments:
                experiments.attach_analysis(
                    "sensitivity", result.to_dict(), scenario_hash=scenario_hash(loaded)
                )
    if plot is not None:
        _write_plot(sensitivity_figure(result, top=top), plot)
    if as_json:
        _echo_json({"schema_version": SCHEMA_VERSION, **result.to_dict()})
        return
    out = Console()
    what = (
        f"P({indicator} by {result.at})"
        if indicator == "decoupled"
        else f"{indicator} at {result.at}"
    )
    table = Table(
        title=escape(
            f"{scenario_id}: what drives {what} under {policy} ({method}; {result.evaluations:,} "
            f"points × {result.replicates} event streams, {result.elapsed:.1f} s)"
        ),
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("factor", overflow="fold")
    heads, keys = {
        "sobol": (
            ("first order S1", "± 95 %", "total ST", "± 95 %"),
            ("S1", "S1_conf", "ST", "ST_conf"),
        ),
        "morris": (("μ*", "± 95 %", "μ", "σ"), ("mu_star", "mu_star_conf", "mu", "sigma")),
        "pawn": (
            ("median KS", "minimum", "maximum", "CV"),
            ("median", "minimum", "maximum", "CV"),
        ),
        "delta": (("δ", "± 95 %", "S1", "± 95 %"), ("delta", "delta_conf", "S1", "S1_conf")),
    }[method]
    for head in heads:
        table.add_column(head, justify="right")
    for k, name in enumerate(result.ranking[:top], 1):
        label = escape(name)
        if len(result.members[name]) > 1:
            label += f" [dim]({len(result.members[name])} numbers)[/dim]"
        values = [result.indices[name][key] for key in keys]
        table.add_row(str(k), label, *("—" if not math.isfinite(v) else f"{v:.3f}" for v in values))
    out.print(table)
    out.print(
        f"outcome over the design: mean {result.outcome_mean:.4g}, sd {result.outcome_sd:.4g}",
        highlight=False,
    )
    for note in result.notes:
        out.print(f"[yellow]{escape(note)}[/yellow]", highlight=False)
    if plot is not None:
        out.print(f"plot written to {plot}", highlight=False, markup=False)


# --------------------------------------------------------------------------------------------
# discover


def discover(
    scenario: ScenarioArg = None,
    outcome: Annotated[
        str, typer.Option(help="'decoupled', or any recorded quantity with --threshold.")
    ] = "decoupled",
    threshold: Annotated[
        float | None,
        typer.Option(help="Cases of interest: outcome above this (below with --below)."),
    ] = None,
    below: Annotated[
        bool, typer.Option("--below", help="Cases of interest fall below --threshold.")
    ] = False,
    policy: Annotated[
        str, typer.Option(help="The policy whose members are searched.")
    ] = "baseline",
    at: Annotated[
        str, typer.Option(help="When: 'horizon', a period such as 2027Q4, or a step.")
    ] = "horizon",
    boxes: Annotated[int, typer.Option(help="How many boxes to find, one after the other.")] = 1,
    structure: Annotated[
        str | None,
        typer.Option(
            "--structure",
            "-s",
            help="The structure whose members are searched ('seed' or mechanism=account,…; "
            "default: the seed's, or a stored run's first).",
            show_default=False,
        ),
    ] = None,
    members: MembersOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = 1,
    plot: PlotOpt = None,
    run: RunOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scenario discovery: the parameter ranges (PRIM boxes) where an outcome happens."""
    from alliancesim.analysis.discovery import discover as find
    from alliancesim.analysis.discovery import discovery_figure

    _check_common(members, workers)
    if boxes < 1:
        raise InputError.single("--boxes", f"boxes must be at least 1, got {boxes}")
    if below and threshold is None:
        raise InputError.single("--below", "--below needs --threshold")
    at_value: str | int = int(at) if at.isdigit() else at
    options = {"policy": policy, "at": at_value, "threshold": threshold, "below": below}
    err = Console(stderr=True)
    if _stored(run, scenario, members=members, seed=seed):
        from alliancesim.workflows import discover_in_stored_run

        with _store() as store, stage_progress(err, quiet=as_json) as stage:
            stage("searching the run's draws (PRIM)")
            _, results, result = discover_in_stored_run(
                store, str(run), outcome, boxes=boxes, structure=structure, **options
            )
        loaded = results.model.scenario
    else:
        loaded = _load(scenario)
        from alliancesim.model import compile_model

        model = compile_model(loaded)
        model.policy(policy)
        record = "indicators" if outcome in (*model.indicator_names, "decoupled") else "all"
        results = _simulate(
            loaded,
            [policy],
            members or DEFAULT_MEMBERS,
            seed or 0,
            workers,
            quiet=as_json,
            record=record,
            structures=[structure or "seed"],
        )
        with stage_progress(err, quiet=as_json) as stage:
            stage("searching the members' draws (PRIM)")
            result = find(results, outcome, boxes=boxes, **options)
    if plot is not None and result.boxes:
        _write_plot(
            discovery_figure(
                result.boxes[0],
                title=f"{loaded.id}: where {result.condition} under {policy} — "
                f"{result.boxes[0].describe()}",
            ),
            plot,
        )
    if as_json:
        payload = {"schema_version": SCHEMA_VERSION, **result.to_dict()}
        payload.update(run_id=results.run_id, seed=results.seed, stored=run is not None)
        _echo_json(payload)
        return
    out = Console()
    out.print(
        f"[bold]{escape(loaded.id)}[/bold]: {escape(result.condition)} under {escape(policy)} in "
        f"{result.cases:,} of "
        f"{result.members:,} members ({percent(result.base_density)})",
        highlight=False,
    )
    if not result.boxes:
        out.print(
            "no box: too few cases of interest (or nothing varies) to search", highlight=False
        )
        return
    for k, box in enumerate(result.boxes, 1):
        table = Table(
            title=f"box {k}: coverage {box.coverage:.2f}, density {box.density:.2f} "
            f"({box.lift:.1f}× the overall rate), mass {box.mass:.2f} ({box.cases:,} of "
            f"{box.members:,} members inside are cases)",
            title_justify="left",
        )
        table.add_column("parameter", overflow="fold")
        table.add_column("box", justify="right")
        table.add_column("sampled range", justify="right")
        table.add_column("quasi-p", justify="right")
        for r in box.restrictions:
            qps = [q for q in (r["qp_low"], r["qp_high"]) if math.isfinite(q)]
            table.add_row(
                escape(r["parameter"]),
                f"{r['low']:.4g} – {r['high']:.4g}",
                f"{r['full_low']:.4g} – {r['full_high']:.4g}",
                ", ".join(f"{q:.2g}" for q in qps),
            )
        out.print(table)
        if box.note:
            out.print(f"[yellow]{escape(box.note)}[/yellow]", highlight=False)
        traj = Table(title="peeling trajectory", title_justify="left", box=None)
        for head in ("box", "coverage", "density", "mass", "restricted"):
            traj.add_column(head, justify="right")
        step = max(1, len(box.trajectory) // 12)
        shown = sorted(
            {*range(0, len(box.trajectory), step), box.selected, len(box.trajectory) - 1}
        )
        for i in shown:
            t = box.trajectory[i]
            mark = " ◀ chosen" if i == box.selected else ""
            traj.add_row(
                f"{t['id']}{mark}",
                f"{t['coverage']:.3f}",
                f"{t['density']:.3f}",
                f"{t['mass']:.3f}",
                str(t["res_dim"]),
            )
        out.print(traj)
    if plot is not None:
        out.print(f"plot written to {plot}", highlight=False, markup=False)
