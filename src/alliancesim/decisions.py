"""Use cases for deciding under deep uncertainty: robustness, pathways and signposts of a run.

:mod:`alliancesim.workflows` re-exports these; the CLI (``compare --robust``), the report and
the dashboard call them and lay out what :func:`alliancesim.presentation.present_robust` makes
of their result, so they show the same numbers.

- :func:`robust_analysis` — a run's robustness (regret, satisficing share, ranks under each
  structure and weighting; :mod:`alliancesim.analysis.robust`), with on request the pathway
  decomposition of its recommendations (:mod:`alliancesim.analysis.pathways`, which simulates the
  policies with each pathway off on the run's own worlds) and the signposts of its leading
  recommendations (:mod:`alliancesim.analysis.signposts`, PRIM over early values), as one JSON
  payload;
- :func:`robust_analysis_of_stored_run` — the same for a stored run, kept with it (kind
  ``robust``) so its report shows it; :func:`stored_robust_analysis` reads what is kept;
- :func:`optimize_scenario` — the Pareto set of settings of a scenario's levers to tune
  (:mod:`alliancesim.analysis.optimize`, EMA Workbench's ε-NSGA-II), as a JSON payload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alliancesim.errors import InputError

if TYPE_CHECKING:
    from alliancesim.analysis.robust import Threshold
    from alliancesim.results import Results
    from alliancesim.store import RunRecord, Store

__all__ = [
    "ROBUST",
    "RobustOptions",
    "leading_policies",
    "optimize_scenario",
    "robust_analysis",
    "robust_analysis_of_stored_run",
    "robust_view_payload",
    "stored_robust_analysis",
    "structure_weightings",
]

ROBUST = "robust"
"""Kind of the stored analysis holding a run's robustness, pathways and signposts."""


@dataclass(frozen=True)
class RobustOptions:
    """What a robustness analysis computes: ``thresholds`` (as written on the command line,
    ``EXPR`` or ``EXPR @ SHARE``; empty: the scenario's ``[[thresholds]]``), the regret
    ``measure`` and which way is ``better`` (None: from the decoupling condition), the
    ``weightings`` of the structures besides the prior (e.g. ``{"history": …}``), whether to
    decompose the recommendations by ``pathways`` and search ``signposts`` for the ``leading``
    ones, and the ``workers`` the pathway simulations use."""

    thresholds: tuple[str, ...] = ()
    measure: str | None = None
    better: str | None = None
    weightings: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    pathways: bool = False
    signposts: bool = False
    leading: int = 2
    workers: int = 1


def _thresholds(results: Results, texts: Sequence[str]) -> list[Threshold]:
    from alliancesim.analysis.robust import parse_threshold, scenario_thresholds

    if not texts:
        return scenario_thresholds(results.model.scenario)
    return [parse_threshold(text, k) for k, text in enumerate(texts)]


def _checkable(results: Results, thresholds: Sequence[Threshold]) -> tuple[list[Threshold], str]:
    """The thresholds a run's records can check, and a note naming those left out."""
    recorded = results.files.columns()
    kept = [t for t in thresholds if t.holds.names <= recorded]
    left = [t for t in thresholds if t not in kept]
    if not left:
        return kept, ""
    return kept, (
        "left out, the run did not record what they read (run with --record all): "
        + "; ".join(t.text for t in left)
    )


def structure_weightings(results: Results) -> tuple[dict[str, dict[str, float]], str]:
    """The weightings of a run's structures robustness is judged under: the accounts' priors
    (``prior``), and history's weights of the accounts (``history``) where history has weighed
    the scenario's mechanisms (:mod:`alliancesim.history_file`); with a note saying where
    history's weights come from, or why they are not used."""
    from alliancesim.analysis.robust import HISTORY, PRIOR
    from alliancesim.structures import parse_structure, structure_weights

    scenario = results.model.scenario
    structures = [parse_structure(scenario, name) for name in results.structures]
    out = {PRIOR: structure_weights(structures)}
    if not scenario.mechanisms:
        return out, ""
    from alliancesim.history_file import history_weights

    found = history_weights(scenario)
    if not found.accounts:
        return out, f"History's weights not used: {found.describe()}."
    out[HISTORY] = structure_weights(structures, found.accounts)
    return out, f"History's weights: {found.describe()}."


def leading_policies(payload: Mapping[str, Any], count: int = 2) -> list[str]:
    """The ``count`` recommendations ranked best under the headline weighting of a robustness
    analysis (its JSON form)."""
    data = payload["robustness"]
    head = data["headline"]
    ranked = sorted(
        (p for p in data["policies"] if p["kind"] == "recommendation"),
        key=lambda p: p["weighted"][head]["rank"],
    )
    return [p["policy"] for p in ranked[:count]]


def robust_analysis(
    results: Results,
    options: RobustOptions = RobustOptions(),
    *,
    policies: Sequence[str] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """A run's robustness as one JSON payload: ``robustness`` (always), ``pathways`` (policy →
    decompositions, with ``options.pathways``) and ``signposts`` (with ``options.signposts``),
    and the ``options`` used. ``on_stage(name)`` says which part starts; ``on_chunk`` reports
    the pathway simulations' progress."""
    from alliancesim.analysis.robust import regret_measure, robustness_of_run

    if options.leading < 1:
        raise InputError.single("--leading", f"expected at least 1, got {options.leading}")
    thresholds = _thresholds(results, options.thresholds)
    note = ""
    if not options.thresholds:  # the scenario's own: check those the run recorded
        thresholds, note = _checkable(results, thresholds)
    measure = regret_measure(results.model, options.measure, options.better)
    weightings, weights_note = structure_weightings(results)
    weightings.update(options.weightings)
    if on_stage is not None:
        on_stage("robustness")
    robustness = robustness_of_run(
        results, policies, measure=measure, thresholds=thresholds, weightings=weightings
    )
    notes = [f"Thresholds {note}." if note else "", weights_note]
    payload: dict[str, Any] = {
        "robustness": robustness.to_dict(),
        "note": " ".join(n for n in notes if n),
        "options": {
            "thresholds": [t.to_dict() for t in thresholds],
            "measure": measure.to_dict(),
            "leading": options.leading,
        },
    }
    recommendations = [p.policy for p in robustness.policies if p.kind == "recommendation"]
    if options.pathways and recommendations:
        from alliancesim.analysis.pathways import decompose_run
        from alliancesim.analysis.robust import DECOUPLING_TIME

        if on_stage is not None:
            on_stage("pathways")
        outcomes = ["decoupled"] + ([measure.name] if measure.name != DECOUPLING_TIME else [])
        decompositions = decompose_run(
            results,
            recommendations,
            outcomes=outcomes,
            workers=options.workers,
            on_chunk=on_chunk,
        )
        payload["pathways"] = {
            p: [d.to_dict() for d in found] for p, found in decompositions.items()
        }
    if options.signposts and recommendations:
        from alliancesim.analysis.signposts import signposts_of_run

        if on_stage is not None:
            on_stage("signposts")
        leading = leading_policies(payload, options.leading)
        found = signposts_of_run(results, leading, thresholds=thresholds)
        payload["signposts"] = [s.to_dict() for s in found]
    return payload


def robust_view_payload(results: Results, kept: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the report and the dashboard show of a run's robustness: the analysis kept with it
    (with its pathways and signposts), else its robustness alone, computed now from its files
    (nothing is simulated); a run whose files cannot give it gets a note instead."""
    if kept is not None:
        return dict(kept)
    try:
        payload = robust_analysis(results)
    except InputError as exc:
        return {"robustness": None, "note": f"Robustness not computed: {exc}"}
    hint = (
        "What carries each recommendation's effect and the signposts of the leading ones: "
        f"`alliancesim compare --run {results.run_id} --robust --pathways --signposts` keeps "
        "them with the run, and its report shows them."
    )
    payload["note"] = " ".join(x for x in (payload.get("note", ""), hint) if x)
    return payload


def stored_robust_analysis(store: Store, record: RunRecord) -> dict[str, Any] | None:
    """The newest robustness analysis kept with a stored run (None if none was)."""
    kept = store.analyses(run_id=record.run_id, kind=ROBUST)
    return dict(kept[0]["payload"]) if kept else None


def robust_analysis_of_stored_run(
    store: Store,
    reference: str,
    options: RobustOptions = RobustOptions(),
    *,
    policies: Sequence[str] | None = None,
    keep: bool = True,
    on_stage: Callable[[str], None] | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> tuple[RunRecord, Results, dict[str, Any]]:
    """A stored run's robustness (:func:`robust_analysis`) from its files; the pathways are
    simulated on its own worlds. Kept with the run (kind ``robust``) unless ``keep`` is False,
    so that its report shows it."""
    record = store.get(reference)
    results = store.open_run(record.run_id)
    payload = robust_analysis(
        results, options, policies=policies, on_stage=on_stage, on_chunk=on_chunk
    )
    if keep:
        store.attach_analysis(
            ROBUST, payload, scenario_hash=record.scenario_hash, run_id=record.run_id
        )
    return record, results, payload


def optimize_scenario(
    scenario: Any,
    *,
    members: int | None = None,
    nfe: int | None = None,
    seed: int = 0,
    structures: str | Sequence[str] | None = None,
    thresholds: Sequence[str] = (),
    epsilons: Sequence[float] | None = None,
    population: int | None = None,
    workers: int = 1,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The Pareto set of a scenario's levers to tune (``[[tuning]]``) against its objectives
    (``[[objectives]]``, or P(decoupling), cost and robustness), measured on ``members`` worlds
    of each structure (``structures`` as ``run(structures=…)``), as a JSON payload
    (:meth:`alliancesim.analysis.optimize.Optimisation.to_dict`). ``thresholds`` as written on
    the command line (empty: the scenario's)."""
    from alliancesim.analysis.optimize import DEFAULT_NFE, DEFAULT_POPULATION, optimize_levers
    from alliancesim.analysis.robust import parse_threshold
    from alliancesim.structures import structure_weights, structures_to_run

    weights = structure_weights(structures_to_run(scenario, structures))
    chosen = [parse_threshold(t, k) for k, t in enumerate(thresholds)] if thresholds else None
    found = optimize_levers(
        scenario,
        members=members,
        nfe=DEFAULT_NFE if nfe is None else nfe,
        seed=seed,
        structures=weights,
        thresholds=chosen,
        epsilons=epsilons,
        population=DEFAULT_POPULATION if population is None else population,
        workers=workers,
        on_batch=on_batch,
    )
    return found.to_dict()
