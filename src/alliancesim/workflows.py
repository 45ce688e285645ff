"""The use cases, written once: what a user asks of alliancesim, whatever the front end.

The command line, the dashboard and the Python API call these functions and only lay out what
they return (the presentation model, :mod:`alliancesim.presentation`), so a run made from the
dashboard is stored exactly like one made from the command line, and one stored run gives one
report:

- :func:`default_policies` — which policies a run simulates when none are named;
- :func:`run_and_store` — simulate, check the claims, commit the run to the store;
- :func:`claims_of_run` — a run's claims: on its one structure, or on each structure with their
  weighted combination (:func:`combine_claims`);
- :func:`stored_claims`, :func:`search_failure_regions` — a stored run's claim verdicts, and
  where its claims fail (PRIM, on request, kept in the store);
- :func:`view_of_run`, :func:`view_of_stored_run`, :func:`view_of_new_stored_run` — what a run
  says, as typed rows;
- :func:`report_of_run`, :func:`report_of_stored_run`, :func:`report_of_new_stored_run` — the
  self-contained HTML report (:func:`report_parts`: what a report reads from the run's files,
  read while the run is read for its table);
- :func:`structures_by_history` — each contested mechanism's accounts weighed by how well
  they forecast the episodes (from the weights file runs use, or simulated now);
- analyses of what is stored, computed from a run's Parquet without simulating:
  :func:`compare_stored_run`, :func:`claims_of_stored_run`, :func:`discover_in_stored_run`,
  :func:`sensitivity_of_stored_run` (PAWN, delta), :func:`export_stored_run` (Parquet, CSV,
  EMA Workbench). Each says what is missing (a policy not run, a quantity not recorded) and
  what to run instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alliancesim.claims import ClaimsOutcome, claims_outcome
from alliancesim.errors import InputError
from alliancesim.presentation import RunView, present_run, run_facts
from alliancesim.presentation.robust_view import RobustView
from alliancesim.results import Results
from alliancesim.runner import run

if TYPE_CHECKING:
    from alliancesim.scenario.schema import Scenario
    from alliancesim.store import RunRecord, Store

__all__ = [
    "FAILURE_REGIONS",
    "MOMENT_INDEPENDENT",
    "ReportParts",
    "StoredRun",
    "StructuresByHistory",
    "claims_by_structure",
    "claims_of_run",
    "claims_of_stored_run",
    "combine_claims",
    "compare_stored_run",
    "default_policies",
    "discover_in_stored_run",
    "export_stored_run",
    "open_stored_run",
    "report_of_new_stored_run",
    "report_of_run",
    "report_of_stored_run",
    "report_parts",
    "robust_view_of_run",
    "robust_view_of_stored_run",
    "run_and_store",
    "search_failure_regions",
    "sensitivity_of_stored_run",
    "stored_claims",
    "stored_sensitivity",
    "structures_by_history",
    "view_of_new_stored_run",
    "view_of_run",
    "view_of_stored_run",
]

FAILURE_REGIONS = "claims"
"""Kind of the stored analysis holding a run's claim verdicts with their failure regions."""
SENSITIVITY = "sensitivity"
"""Kind of the stored analyses holding sensitivity results."""


def default_policies(scenario: Scenario) -> list[str]:
    """The scenario's policies and every combination its claims compare (baseline first)."""
    names = list(scenario.policy_ids)
    for claim in scenario.claims:
        for name in (claim.compare.policy, claim.compare.against):
            if name not in names:
                names.append(name)
    return names


# --------------------------------------------------------------------------------------------
# running and storing


@dataclass(frozen=True)
class StoredRun:
    """A run just made and kept: its results (read from the store), its catalogue record and
    its claims."""

    results: Results
    record: RunRecord
    claims: ClaimsOutcome


def run_and_store(
    store: Store,
    scenario: Scenario,
    *,
    on_simulated: Callable[[Results], None] | None = None,
    on_claims: Callable[[], None] | None = None,
    **options: Any,
) -> StoredRun:
    """Simulate a scenario into the store's staging area, check its claims, commit the run.

    ``options`` are those of :func:`alliancesim.runner.run` (policies, members, seed, workers,
    scheduler, dask_local, record, on_block). ``on_simulated(results)`` is called as soon as the
    simulation is done, so the answer can be shown before the claims are checked and the run is
    stored; ``on_claims()`` when the claims start. The claims are checked without searching where
    they fail (that search takes longer than most runs; :func:`search_failure_regions` does it on
    request). A failure while checking the claims is a warning: the run is stored without them.
    What ``on_simulated`` shows and the claims read the run in one reading block
    (:meth:`Results.reading`), while another thread hashes and flushes its files for the commit
    (:meth:`alliancesim.store.Store.preparing`).
    """
    if "directory" in options:
        raise TypeError("the store chooses the directory; use export to copy a run elsewhere")
    with store.staging(options.pop("run_id", None)) as staging:
        results = run(
            scenario,
            directory=staging.directory,
            run_id=staging.run_id,
            hash_files=True,  # beside the writing: the commit finds the digests
            **options,
        )
        with store.preparing(staging), results.reading():  # files hashed beside the reading
            if on_simulated is not None:
                on_simulated(results)
            if on_claims is not None:
                on_claims()
            outcome = claims_of_run(results, discover=False)
            results.files.parameter_ranges()  # for the commit, while the run is open
        record = store.commit(results, staging, outcome.verdicts)
    return StoredRun(results, record, outcome)


# --------------------------------------------------------------------------------------------
# claims under several structures


def claims_of_run(
    results: Results, *, discover: bool = False, margin: float | None = None
) -> ClaimsOutcome:
    """The scenario's claims checked on a run (:func:`alliancesim.claims.claims_outcome`): on
    its one structure, or on each of its structures (each read as a run of its own) and their
    weighted combination (:func:`combine_claims`); ``margin`` None: the default verdict
    margin. The run is read once for all structures (:meth:`Results.reading`), and what the
    claims' classes work out from the model is shared between structures."""
    from alliancesim.claims import DEFAULT_MARGIN

    chosen = DEFAULT_MARGIN if margin is None else margin
    memo: dict[Any, Any] = {}
    with results.reading():
        if not results.several:
            return claims_outcome(results, discover=discover, margin=chosen, memo=memo)
        per = {
            name: claims_outcome(
                results.structure(name), discover=discover, margin=chosen, memo=memo
            )
            for name in results.structures
        }
        return combine_claims(results, per)


def claims_by_structure(
    verdicts: Sequence[Mapping[str, Any]], results: Results
) -> dict[str, list[Any]]:
    """Each structure's own claim verdicts, from a run's claims (combined over its structures,
    each row keeping its structures' rows, or of its one structure)."""
    if not results.several:
        return {results.structures[0] if results.structured else "seed": list(verdicts)}
    return {name: [v["structures"][name] for v in verdicts] for name in results.structures}


def combine_claims(results: Results, per: Mapping[str, ClaimsOutcome]) -> ClaimsOutcome:
    """Each claim's verdicts under several structures as one verdict per claim.

    The combined verdict is the structures' common verdict (as each structure's verdict is read:
    supported, holds by construction…), or ``split`` where they disagree, and a claim split
    between structures is contingent whatever its class under each;
    ``verdict_weights`` gives the structures' weight behind each verdict; ``share`` is the
    weighted mean of the structures' shares (over those where the claim was tested; None when
    those weigh nothing) and
    ``share_range`` their smallest and largest; the mean difference is each member's weighted
    mean over the structures of its paired difference, with a t 95 % interval over members.
    Each structure's own verdict is kept under ``structures``."""
    from alliancesim.claims import claim_values, paired_values
    from alliancesim.intervals import mean_interval

    missing = [name for name, outcome in per.items() if outcome.verdicts is None]
    if missing:
        return ClaimsOutcome(None, f"under structure {missing[0]}: {per[missing[0]].note}")
    weights = results.weights
    searched = all(outcome.searched for outcome in per.values())
    verdicts = {name: outcome.verdicts or [] for name, outcome in per.items()}
    first = next(iter(verdicts.values()))
    if not first:
        return ClaimsOutcome([], next(iter(per.values())).note, searched=searched)
    claims = {c.id: c for c in results.model.scenario.claims}
    with results.reading():
        values = {
            name: claim_values(results.structure(name), list(claims.values())) for name in per
        }
    combined = []
    for k, primary in enumerate(verdicts[results.primary_structure]):
        rows = {name: verdicts[name][k] for name in verdicts}
        claim = claims[str(primary["claim_id"])]
        mass: dict[str, float] = {}
        for name, row in rows.items():
            mass[str(row["verdict"])] = mass.get(str(row["verdict"]), 0.0) + weights[name]
        tested = [(weights[n], r["share"]) for n, r in rows.items() if r.get("share") is not None]
        weight = sum(w for w, _ in tested)
        # no weight where the claim is tested (every structure that tests it weighs 0): no share
        share = sum(w * x for w, x in tested) / weight if tested and weight > 0 else None
        shares = [x for _, x in tested]
        differences = None
        for name in rows:
            a, b, _ = paired_values(results.structure(name), claim, values=values[name])
            term = weights[name] * (a - b)
            differences = term if differences is None else differences + term
        assert differences is not None
        mean, ci = mean_interval(differences)
        boxes = any(r.get("failure_box") for r in rows.values())
        agree = len(mass) == 1
        classes = {r.get("class") for r in rows.values()}
        kind = {}
        if not agree and classes - {"contingent", None}:
            kind = {  # a claim whose verdict differs between structures is not fixed by any one
                "class": "contingent",
                "class_reason": "its verdict differs between the structures ("
                + "; ".join(f"{n}: {r['verdict']}" for n, r in rows.items())
                + "), so no one structure's rule graph or prior fixes it",
            }
        combined.append(
            {
                **primary,
                **kind,
                "verdict": primary["verdict"] if agree else "split",
                "verdict_weights": mass,
                "share": share,
                "share_ci": [None, None],
                "share_range": [min(shares), max(shares)] if shares else None,
                "share_all": _weighted(rows, weights, "share_all"),
                "tie_share": _weighted(rows, weights, "tie_share"),
                "holds": None,
                "fails": None,
                "ties": None,
                "mean_difference": mean if math.isfinite(mean) else None,
                "mean_difference_ci": [x if math.isfinite(x) else None for x in ci],
                "failure_box": None,
                "failure_note": "where the claim fails is searched under each structure"
                if boxes
                else "",
                "weights": dict(weights),
                "structures": rows,
            }
        )
    return ClaimsOutcome(combined, searched=searched)


def _weighted(
    rows: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float], key: str
) -> float | None:
    """The structures' weighted mean of one number of their verdicts (None if any lacks it)."""
    values = [(weights[name], row.get(key)) for name, row in rows.items()]
    if any(v is None for _, v in values):
        return None
    return float(np.sum([w * float(v) for w, v in values]))


# --------------------------------------------------------------------------------------------
# what is stored about a run


def stored_claims(store: Store, record: RunRecord) -> ClaimsOutcome:
    """A stored run's claim verdicts: with their failure regions if they were searched (the
    newest search kept for the run), else as checked when the run was stored."""
    searched = store.analyses(run_id=record.run_id, kind=FAILURE_REGIONS)
    if searched:
        payload = searched[0]["payload"]
        return ClaimsOutcome(payload["verdicts"], payload.get("note", ""), searched=True)
    return _as_stored(store.claim_verdicts(record.run_id))


def _as_stored(verdicts: list[dict[str, Any]] | None) -> ClaimsOutcome:
    """Claim verdicts as the store gives them back when no failure regions were searched."""
    if verdicts is None:
        return ClaimsOutcome(None, "claims were not evaluated when this run was stored")
    note = "" if verdicts else "the scenario makes no claims"
    return ClaimsOutcome(verdicts, note, searched=not verdicts)


def search_failure_regions(
    store: Store, record: RunRecord, *, results: Results | None = None
) -> ClaimsOutcome:
    """Check a stored run's claims again with the search for where each fails (PRIM boxes over
    the run's own parameter draws; nothing is simulated), and keep the result in the store."""
    current = stored_claims(store, record)
    if current.searched or current.verdicts is None:
        return current
    if results is None:
        results = store.open_run(record.run_id)
    outcome = claims_of_run(results, discover=True)
    if outcome.verdicts is not None:
        store.attach_analysis(
            FAILURE_REGIONS,
            {"verdicts": outcome.verdicts, "note": outcome.note},
            scenario_hash=record.scenario_hash,
            run_id=record.run_id,
        )
    return outcome


def stored_sensitivity(store: Store, record: RunRecord) -> list[Mapping[str, Any]]:
    """The sensitivity results a report of this run shows: the newest of each method kept for
    the run's scenario (made on this run or on the scenario alone)."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for analysis in store.analyses(scenario_hash=record.scenario_hash, kind=SENSITIVITY):
        if analysis["run_id"] not in (None, record.run_id):
            continue
        payload = analysis["payload"]
        chosen.setdefault(str(payload.get("method", "")), payload)
    return list(chosen.values())


# --------------------------------------------------------------------------------------------
# views and reports


def view_of_run(results: Results, claims: ClaimsOutcome | None) -> RunView:
    """What a run just made (not stored) says, as typed rows."""
    with results.reading():
        return present_run(results, claims, run_facts(results))


def view_of_new_stored_run(stored: StoredRun, shown: RunView | None = None) -> RunView:
    """What a run just stored says, as :func:`view_of_stored_run` gives it, from what is in
    hand: no catalogue query, and the rows of ``shown`` (the same run's view shown before its
    claims were checked) are reused rather than computed again."""
    claims = _as_stored(stored.claims.verdicts)
    facts = run_facts(stored.results, stored.record)
    if shown is None:
        with stored.results.reading():
            return present_run(stored.results, claims, facts)
    return shown.with_claims(claims, facts)


def view_of_stored_run(
    store: Store, run_id: str, *, results: Results | None = None
) -> tuple[RunView, Results]:
    """What a stored run says, as typed rows (and the run, opened from the store unless given)."""
    record = store.get(run_id)
    if results is None:
        results = store.open_run(record.run_id)
    claims = stored_claims(store, record)
    with results.reading():
        return present_run(results, claims, run_facts(results, record)), results


def robust_view_of_run(results: Results, kept: Mapping[str, Any] | None = None) -> RobustView:
    """What a run says about robust recommendations, as typed rows: the analysis kept with it
    (``kept``, with pathways and signposts), else its robustness computed from its files."""
    from alliancesim.decisions import robust_view_payload
    from alliancesim.presentation.robust_view import present_robust

    with results.reading():
        return present_robust(robust_view_payload(results, kept))


def robust_view_of_stored_run(store: Store, record: RunRecord, results: Results) -> RobustView:
    """:func:`robust_view_of_run` of a stored run, with the analysis kept with it if any."""
    from alliancesim.decisions import stored_robust_analysis

    return robust_view_of_run(results, stored_robust_analysis(store, record))


@dataclass(frozen=True)
class ReportParts:
    """What a run's report draws from its files: its robustness (:func:`robust_view_of_run`)
    and its key indicators' bands. :func:`report_parts` reads them while the run is read for
    its table and claims, so that the report written after the commit reads nothing again."""

    robust: RobustView
    bands: Any


def report_parts(results: Results, view: RunView) -> ReportParts:
    """The parts of a run's report read from its files (the run as shown by ``view``)."""
    from alliancesim.bands import indicator_bands

    with results.reading():
        return ReportParts(
            robust_view_of_run(results), indicator_bands(results, list(view.key_indicators))
        )


def _report(
    view: RunView,
    results: Results,
    sensitivity: list[Mapping[str, Any]],
    robust: RobustView | None = None,
    bands: Any = None,
) -> str:
    from alliancesim.bands import indicator_bands
    from alliancesim.report.html import render_report

    if bands is None:
        with results.reading():
            bands = indicator_bands(results, list(view.key_indicators))
    return render_report(
        view, results.model.scenario, bands, sensitivity=sensitivity, robust=robust
    )


def report_of_run(results: Results, claims: ClaimsOutcome | None) -> str:
    """The self-contained HTML report of a run just made (not stored)."""
    with results.reading():
        return _report(view_of_run(results, claims), results, [], robust_view_of_run(results))


def report_of_new_stored_run(
    store: Store, stored: StoredRun, view: RunView, parts: ReportParts | None = None
) -> str:
    """The report of a run just stored, from its view (:func:`view_of_new_stored_run`): what
    :func:`report_of_stored_run` writes, without reading back what is in hand (``parts``:
    read before the commit by :func:`report_parts`, else read now)."""
    sensitivity = stored_sensitivity(store, stored.record)
    if parts is not None:
        return _report(view, stored.results, sensitivity, parts.robust, parts.bands)
    with stored.results.reading():
        return _report(view, stored.results, sensitivity, robust_view_of_run(stored.results))


def report_of_stored_run(
    store: Store,
    run_id: str,
    *,
    results: Results | None = None,
    failure_regions: bool = False,
) -> str:
    """The self-contained HTML report of a stored run: its stored claims (searched for where
    they fail first, if ``failure_regions``) and the newest sensitivity results of its scenario."""
    record = store.get(run_id)
    if results is None:
        results = store.open_run(record.run_id)
    with results.reading():
        if failure_regions:
            search_failure_regions(store, record, results=results)
        view, results = view_of_stored_run(store, record.run_id, results=results)
        robust = robust_view_of_stored_run(store, record, results)
        return _report(view, results, stored_sensitivity(store, record), robust)


# --------------------------------------------------------------------------------------------
# analyses of what is stored (nothing is simulated)

MOMENT_INDEPENDENT = ("pawn", "delta")
"""Sensitivity methods that work on any sample, such as a stored run's own draws (SALib)."""


def _missing(record: RunRecord, what: str, advice: str) -> InputError:
    return InputError.single(
        "--run", f"run {record.run_id} ({record.scenario_id}) {what}: {advice}"
    )


def _rerun(results: Results, extra: str) -> str:
    """The command that makes the same run with ``extra`` options."""
    from alliancesim.presentation.run_view import scenario_reference

    return (
        f"run `alliancesim run {scenario_reference(results.model.scenario)} --members "
        f"{results.members} --seed {results.seed} {extra}` and analyse that run, or leave out "
        "--run to simulate"
    )


def _require_policies(record: RunRecord, results: Results, policies: Sequence[str]) -> None:
    """Raise, saying what to run instead, unless the run simulated every one of ``policies``."""
    absent = [p for p in policies if p not in record.policies]
    if absent:
        raise _missing(
            record,
            f"did not simulate {', '.join(repr(p) for p in absent)} (it ran "
            f"{', '.join(record.policies)})",
            _rerun(results, " ".join(f"--policy {p}" for p in [*record.policies, *absent][1:])),
        )


def _require_recorded(record: RunRecord, results: Results, names: Sequence[str]) -> None:
    """Raise, saying what to run instead, unless the run recorded every one of ``names``."""
    recorded = results.files.columns()
    absent = [n for n in names if n not in recorded]
    if absent:
        raise _missing(
            record,
            f"did not record {', '.join(repr(n) for n in absent)} (recorded: {record.record})",
            _rerun(results, "--record all"),
        )


def open_stored_run(store: Store, reference: str) -> tuple[RunRecord, Results]:
    """A stored run's catalogue record and its results (id, unique prefix or ``latest``)."""
    record = store.get(reference)
    return record, store.open_run(record.run_id)


def compare_stored_run(
    store: Store, reference: str, policies: Sequence[str] | None = None
) -> tuple[RunRecord, Results, list[dict[str, Any]]]:
    """The policy ranking of a stored run (:func:`alliancesim.analysis.compare.rank_policies`),
    from its kept sums and horizon quantiles, of ``policies`` (default: the scenario's own, as
    ``compare`` simulates them) and baseline, ranked among themselves as a run of only them
    would rank them."""
    from alliancesim.analysis.compare import rank_policies
    from alliancesim.ensemble import summary_names

    record, results = open_stored_run(store, reference)
    policies = list(policies or results.model.scenario.policy_ids)
    _require_policies(record, results, policies)
    ranking = rank_policies(results, policies=policies)
    # what a comparison reports, however much the run recorded: its indicators (and key
    # indicators), as a comparison that simulates records them
    compared = set(summary_names(results.model, "indicators"))
    for row in ranking:
        row["indicators"] = {k: v for k, v in row["indicators"].items() if k in compared}
    return record, results, ranking


def claims_of_stored_run(
    store: Store,
    reference: str,
    *,
    discover: bool = True,
    margin: float | None = None,
) -> tuple[RunRecord, Results, list[dict[str, Any]]]:
    """A stored run's claim verdicts (``to_dict()`` form), checked on its own members; with
    ``discover``, where each fails (PRIM over its own draws). At the default margin the search
    is kept in the store (:func:`search_failure_regions`), so it is done once per run."""
    from alliancesim.claims import DEFAULT_MARGIN, claim_policies

    record, results = open_stored_run(store, reference)
    claims = results.model.scenario.claims
    _require_policies(record, results, claim_policies(list(claims)))
    _require_recorded(record, results, sorted({c.compare.indicator for c in claims}))
    if margin is None or margin == DEFAULT_MARGIN:
        if discover:
            outcome = search_failure_regions(store, record, results=results)
            if outcome.verdicts is not None:
                return record, results, list(outcome.verdicts)
        elif (verdicts := store.claim_verdicts(record.run_id)) is not None:
            return record, results, verdicts
    outcome = claims_of_run(results, discover=discover, margin=margin)
    if outcome.verdicts is None:
        raise _missing(record, "cannot check its claims", outcome.note)
    return record, results, list(outcome.verdicts)


def discover_in_stored_run(
    store: Store,
    reference: str,
    outcome: str = "decoupled",
    *,
    structure: str | None = None,
    **options: Any,
) -> tuple[RunRecord, Results, Any]:
    """Scenario discovery (PRIM boxes) over a stored run's own draws under one of its structures
    (``structure`` None: the seed's, or the first it ran): ``options`` are those of
    :func:`alliancesim.analysis.discovery.discover` (policy, at, threshold, below, boxes)."""
    from alliancesim.analysis.discovery import discover

    record, results = open_stored_run(store, reference)
    if results.structured and (structure is not None or results.several):
        results = results.structure(structure or results.primary_structure)
    elif structure not in (None, "seed"):
        raise _missing(record, f"has no structure {structure!r}", "it ran the seed's only")
    _require_policies(record, results, [options.get("policy", "baseline")])
    _require_recorded(record, results, [outcome])
    return record, results, discover(results, outcome, **options)


def sensitivity_of_stored_run(
    store: Store,
    reference: str,
    method: str,
    measure: str = "decoupled",
    *,
    policy: str = "baseline",
    at: str | int = "horizon",
    keep: bool = True,
) -> tuple[RunRecord, Any]:
    """What drives ``measure`` in a stored run, from its own parameter draws and outcomes:
    SALib's moment-independent PAWN or delta indices (no new design, nothing simulated); kept
    in the store with the run (kind ``sensitivity``) unless ``keep`` is False."""
    from alliancesim.analysis.sensitivity import moment_independent

    if method not in MOMENT_INDEPENDENT:
        raise InputError.single(
            "--method",
            f"a stored run's own sample supports {' or '.join(MOMENT_INDEPENDENT)}, not "
            f"{method!r}: Sobol and Morris need their own design of points (leave out --run)",
        )
    record, results = open_stored_run(store, reference)
    _require_policies(record, results, [policy])
    _require_recorded(record, results, [measure])
    result = moment_independent(results, measure, method=method, policy=policy, at=at)
    if keep:
        store.attach_analysis(
            SENSITIVITY, result.to_dict(), scenario_hash=record.scenario_hash, run_id=record.run_id
        )
    return record, result


def export_stored_run(store: Store, reference: str, fmt: str, out: Path) -> list[Path]:
    """Copy a stored run out of the store: ``parquet`` or ``csv`` (trajectories, parameters,
    summary, claims, description), or ``ema``: an EMA Workbench archive
    ``<out>/<run id>.tar.gz`` that ``ema_workbench.load_results`` reads as
    ``(experiments, outcomes)``, outcomes as time series. ``out`` appears only once every file
    is written (:func:`alliancesim.outputs.new_output_directory`)."""
    from alliancesim.outputs import new_output_directory

    record = store.get(reference)
    with new_output_directory(out) as partial:
        if fmt == "ema":
            from alliancesim.ema import save_ema_results

            results = store.open_run(record.run_id)
            written = [save_ema_results(results, partial / f"{record.run_id}.tar.gz")]
        else:
            written = store.export(record.run_id, fmt, partial)
    return [out / path.relative_to(partial) for path in written]


# --------------------------------------------------------------------------------------------
# rival structures weighed by history


@dataclass(frozen=True)
class StructuresByHistory:
    """History's verdict on the contested mechanisms of one or more scenarios: one
    :class:`~alliancesim.presentation.history_view.MechanismVerdict` each, whether it was read
    from the weights file or simulated now (``weighing``, with its timing), and notes."""

    scenarios: tuple[str, ...]
    verdicts: tuple[Any, ...]
    computed: bool
    weighing: Any | None
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out: dict[str, Any] = {
            "scenarios": list(self.scenarios),
            "source": "computed" if self.computed else "file",
            "mechanisms": [v.to_dict() for v in self.verdicts],
            "notes": list(self.notes),
        }
        if self.weighing is not None:
            w = self.weighing
            out["computation"] = {
                "members": w.members,
                "seed": w.seed,
                "method": w.method,
                "episodes": w.episode_hashes,
                "folds": w.folds,
                "simulations": w.simulations,
                "member_steps": w.member_steps,
                "seconds": w.seconds,
            }
        return out


def _mechanisms_of(scenarios: Sequence[Scenario]) -> tuple[list[Any], list[str]]:
    """The scenarios' contested mechanisms, each id once (the first declaration), and a note
    for every later declaration of the same id with other accounts or modules."""
    seen: dict[str, Any] = {}
    notes = []
    for scenario in scenarios:
        for m in scenario.mechanisms:
            first = seen.get(m.id)
            if first is None:
                seen[m.id] = m
            elif sorted((a.id, tuple(a.include)) for a in first.accounts) != sorted(
                (a.id, tuple(a.include)) for a in m.accounts
            ):
                notes.append(
                    f"{scenario.id} declares mechanism {m.id!r} with other accounts or modules "
                    "than the first scenario that declares it; the first declaration is weighed"
                )
    return list(seen.values()), notes


def structures_by_history(
    scenarios: Sequence[Scenario],
    *,
    episodes: Sequence[Scenario] | None = None,
    compute: bool = False,
    members: int = 2000,
    seed: int = 0,
    method: str = "pseudo-bma+",
    workers: int = 1,
    weights_file: Path | None = None,
    on_simulation: Callable[[int, int], None] | None = None,
) -> StructuresByHistory:
    """Each contested mechanism of the scenarios, its accounts weighed by history.

    Read from the weights file runs use (``weights_file``, else ``$ALLIANCESIM_HISTORY_WEIGHTS``
    or the packaged one) when it holds every mechanism that episodes declare, fresh; otherwise
    — or with ``compute``, or given ``episodes`` — the episodes (default: the built-in ones)
    are simulated under each account now (:func:`~alliancesim.analysis.rivals.weigh_by_history`).
    """
    from types import SimpleNamespace

    from alliancesim.analysis.history_weights import METHODS
    from alliancesim.history_file import history_weights
    from alliancesim.presentation.history_view import (
        verdict_from_file,
        verdict_from_weighing,
        verdict_without_history,
    )

    if method not in METHODS:
        raise InputError.single("--method", f"expected {', '.join(METHODS)}, got {method!r}")
    mechanisms, notes = _mechanisms_of(scenarios)
    ids = tuple(s.id for s in scenarios)
    if not mechanisms and not compute:
        return StructuresByHistory(ids, (), False, None, tuple(notes))
    if not compute and episodes is None:
        found = history_weights(SimpleNamespace(mechanisms=mechanisms), weights_file)
        if found.source is not None and not found.stale:
            provenance = found.source.provenance()
            verdicts = tuple(
                verdict_from_file(m, found.source.mechanisms[m.id], provenance)
                if m.id in found.accounts
                else verdict_without_history(
                    m, [n for n in found.notes if n.startswith(f"{m.id}:")]
                )
                for m in mechanisms
            )
            return StructuresByHistory(ids, verdicts, False, None, tuple(notes))
        notes.extend(found.notes)
    from alliancesim.analysis.rivals import weigh_by_history

    if episodes is None:
        from alliancesim.commands.history import builtin_episodes
        from alliancesim.scenario import load_scenario

        episodes = [load_scenario(e) for e in builtin_episodes()]
    weighing = weigh_by_history(
        mechanisms,
        episodes,
        members=members,
        seed=seed,
        method=method,  # type: ignore[arg-type]
        workers=workers,
        on_simulation=on_simulation,
    )
    verdicts = tuple(
        verdict_from_weighing(m, weighing.mechanism(m.id), members, seed) for m in mechanisms
    )
    return StructuresByHistory(ids, verdicts, True, weighing, tuple(notes))
