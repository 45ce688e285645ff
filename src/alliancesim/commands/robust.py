"""`compare --robust`: the robustness of the recommendations as tables (or one JSON object).

`compare` parses the options and simulates (or opens a stored run); this module asks the use
case (:func:`alliancesim.decisions.robust_analysis`) and lays out its rows
(:func:`alliancesim.presentation.robust_view.present_robust`): the regret table with each
structure's and weighting's rank, the thresholds and where the rankings disagree; the pathway
decomposition of each recommendation; the signposts of the leading ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.errors import InputError
from alliancesim.presentation import SCHEMA_VERSION, percent
from alliancesim.presentation.robust_view import (
    PathwayView,
    RobustnessView,
    RobustView,
    SignpostRow,
    amount,
    present_robust,
)

__all__ = ["print_robust", "robust_compare", "robust_payload", "robustness_table"]


def robust_payload(results: Any, payload: dict[str, Any], *, stored: bool) -> dict[str, Any]:
    """The ``compare --robust --json`` object: the run, the rows and the analyses' own forms."""
    view = present_robust(payload)
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": results.model.scenario.id,
        "run_id": results.run_id,
        "stored": stored,
        "members": results.members,
        "seed": results.seed,
        "horizon": results.model.clock.label(results.model.horizon),
        **view.to_dict(),
        "analyses": payload,
    }


def robustness_table(view: RobustnessView, title: str) -> Table:
    """The regret table: per option its rank, P(decoupling), regret (mean, p90, max), the
    satisficing share, and its rank under each structure and each weighting."""
    table = Table(title=escape(title), title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("policy", overflow="fold", max_width=28)
    table.add_column("P(decoupling)", justify="right")
    table.add_column(f"regret in {escape(view.measure)}\nmean · p90 · max", justify="right")
    table.add_column("satisficing\nshare", justify="right")
    if len(view.structures) > 1:
        table.add_column("rank under each structure", overflow="fold", max_width=34)
    if len(view.weightings) > 1:
        table.add_column("rank under each weighting", overflow="fold")
    for row in view.rows:
        cells = [
            str(row.rank),
            f"{escape(row.policy)}\n[dim]{escape(row.label)}[/dim]",
            percent(row.p_decoupling),
            " · ".join(
                amount(x, view.measure) for x in (row.regret_mean, row.regret_p90, row.regret_max)
            ),
            percent(row.satisficing) if row.satisficing is not None else "—",
        ]
        if len(view.structures) > 1:
            cells.append("\n".join(f"{escape(s)}: {r}" for s, r in row.ranks_by_structure))
        if len(view.weightings) > 1:
            cells.append("\n".join(f"{escape(w)}: {r}" for w, r in row.ranks_by_weighting))
        table.add_row(*cells)
    return table


def _pathway_table(view: PathwayView) -> Table:
    unit = "P(decoupling), pp" if view.outcome == "decoupled" else view.outcome
    table = Table(
        title=escape(
            f"{view.policy}: what carries its effect on {unit} (total {view.total_text()}; "
            "each pathway switched off in turn, paired)"
        ),
        title_justify="left",
    )
    table.add_column("pathway", overflow="fold", max_width=60)
    table.add_column("carries [95 %]", justify="right")
    table.add_column("share", justify="right")
    for bar in view.bars:
        table.add_row(escape(bar.label), bar.text(view.outcome), bar.share_text)
    table.add_row(
        "[dim]interaction (what the pathways' sum leaves out)[/dim]",
        view.interaction_text(),
        view.interaction_share_text,
    )
    return table


def _signpost_table(rows: Sequence[SignpostRow]) -> Table:
    table = Table(
        title="Signposts: early values that tell failing worlds apart", title_justify="left"
    )
    table.add_column("policy")
    table.add_column("watch", overflow="fold", max_width=80)
    table.add_column("coverage", justify="right")
    table.add_column("density", justify="right")
    for row in rows:
        table.add_row(
            escape(row.policy),
            escape(row.text) + (f"\n[dim]{escape(row.note)}[/dim]" if row.note else ""),
            row.coverage_text,
            row.density_text,
        )
    return table


def print_robust(view: RobustView, title: str, console: Console | None = None) -> None:
    """The robustness analysis as tables and plain sentences on standard output."""
    console = console or Console()
    robustness = view.robustness
    if robustness is not None:
        console.print(robustness_table(robustness, title))
        console.print(
            f"[dim]Regret: how far a policy's {escape(robustness.measure_text)} falls short of "
            f"the best option's in the same world ({escape(robustness.reason)}); p90: nine "
            f"worlds in ten (by {escape(robustness.headline)} weight) fall at most this short.[/dim]"
        )
        if robustness.thresholds:
            console.print(
                "Satisficing: the share of worlds where every threshold holds: "
                + "; ".join(escape(t) for t in robustness.thresholds)
                + "."
            )
        else:
            console.print(
                "[dim]No thresholds stated (--threshold EXPR or the scenario's [[thresholds]]): "
                "no satisficing share.[/dim]"
            )
        for sentence in robustness.disagreements:
            console.print(escape(sentence))
    for pathway in view.shown_pathways():
        console.print(_pathway_table(pathway))
    if view.signposts:
        console.print(_signpost_table(view.signposts))


def _check_options(
    scenario: Any, texts: Sequence[str], measure: str | None, better: str | None
) -> None:
    """Refuse, before simulating, a regret measure that cannot be, or a threshold that reads a
    name a run cannot record."""
    from alliancesim.analysis.robust import parse_threshold, regret_measure
    from alliancesim.model import compile_model
    from alliancesim.scenario.names import suggest

    model = compile_model(scenario)
    regret_measure(model, measure, better)
    recorded = set(model.record_names)
    for k, text in enumerate(texts):
        threshold = parse_threshold(text, k)
        for name in sorted(threshold.holds.names - recorded):
            raise InputError.single(
                "--threshold",
                f"{text!r} reads {name!r}, which a run does not record{suggest(name, recorded)}; "
                "a threshold reads what a world records at the horizon (indicators, state "
                "variables, count.<event>, decoupled…)",
            )


def robust_compare(
    *,
    scenario: str | None,
    members: int | None,
    seed: int | None,
    policies: Sequence[str] | None,
    workers: int,
    run: str | None,
    structure: Sequence[str] | None,
    pathways: bool,
    signposts: bool,
    thresholds: Sequence[str],
    measure: str | None,
    better: str | None,
    as_json: bool,
) -> None:
    """``compare --robust``: simulate (or open a stored run), analyse, print."""
    from alliancesim.commands.analysis import _load, _simulate, _store
    from alliancesim.commands.progress import stage_progress
    from alliancesim.decisions import (
        RobustOptions,
        robust_analysis,
        robust_analysis_of_stored_run,
    )
    from alliancesim.runner import DEFAULT_MEMBERS

    options = RobustOptions(
        thresholds=tuple(thresholds),
        measure=measure,
        better=better,
        pathways=pathways,
        signposts=signposts,
        workers=max(1, workers),
    )
    err = Console(stderr=True)
    if run is not None:
        with _store() as store, stage_progress(err, quiet=as_json) as stage:
            _, results, payload = robust_analysis_of_stored_run(
                store, run, options, policies=policies or None, on_stage=stage
            )
    else:
        loaded = _load(scenario)
        _check_options(loaded, thresholds, measure, better)
        names = list(policies) if policies else list(loaded.policy_ids)
        results = _simulate(
            loaded,
            names,
            members or DEFAULT_MEMBERS,
            seed or 0,
            workers,
            quiet=as_json,
            record="all",
            structures=structure,
        )
        with stage_progress(err, quiet=as_json) as stage:
            payload = robust_analysis(results, options, on_stage=stage)
    if as_json:
        from alliancesim.jsonable import dumps

        print(dumps(robust_payload(results, payload, stored=run is not None)))
        return
    view = present_robust(payload)
    structures = len(results.structures)
    title = (
        f"{results.model.scenario.id}: robustness of the options over {structures} "
        f"structure{'s' if structures > 1 else ''} × {results.members:,} members "
        f"({structures * results.members:,} worlds), seed {results.seed}"
        + (f", stored run {results.run_id}" if run is not None else "")
    )
    print_robust(view, title)
