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
- :func:`view_of_run`, :func:`view_of_stored_run` — what a run says, as typed rows;
- :func:`report_of_run`, :func:`report_of_stored_run` — the self-contained HTML report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from alliancesim.claims import ClaimsOutcome, claims_outcome
from alliancesim.presentation import RunView, present_run, run_facts
from alliancesim.results import Results
from alliancesim.runner import run

if TYPE_CHECKING:
    from alliancesim.scenario.schema import Scenario
    from alliancesim.store import RunRecord, Store

__all__ = [
    "FAILURE_REGIONS",
    "StoredRun",
    "claims_of_run",
    "combine_claims",
    "default_policies",
    "report_of_run",
    "report_of_stored_run",
    "run_and_store",
    "search_failure_regions",
    "stored_claims",
    "stored_sensitivity",
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
    """
    if "directory" in options:
        raise TypeError("the store chooses the directory; use export to copy a run elsewhere")
    with store.staging(options.pop("run_id", None)) as staging:
        results = run(scenario, directory=staging.directory, run_id=staging.run_id, **options)
        if on_simulated is not None:
            on_simulated(results)
        if on_claims is not None:
            on_claims()
        outcome = claims_of_run(results, discover=False)
        record = store.commit(results, staging, outcome.verdicts)
    return StoredRun(results, record, outcome)


# --------------------------------------------------------------------------------------------
# claims under several structures


def claims_of_run(results: Results, *, discover: bool = False) -> ClaimsOutcome:
    """The scenario's claims checked on a run (:func:`alliancesim.claims.claims_outcome`): on
    its one structure, or on each of its structures (each read as a run of its own) and their
    weighted combination (:func:`combine_claims`)."""
    if not results.several:
        return claims_outcome(results, discover=discover)
    per = {
        name: claims_outcome(results.structure(name), discover=discover)
        for name in results.structures
    }
    return combine_claims(results, per)


def combine_claims(results: Results, per: Mapping[str, ClaimsOutcome]) -> ClaimsOutcome:
    """Each claim's verdicts under several structures as one verdict per claim.

    The combined verdict is the structures' common verdict (as each structure's verdict is read:
    supported, holds by construction…), or ``split`` where they disagree, and a claim split
    between structures is contingent whatever its class under each;
    ``verdict_weights`` gives the structures' weight behind each verdict; ``share`` is the
    weighted mean of the structures' shares (over those where the claim was tested) and
    ``share_range`` their smallest and largest; the mean difference is each member's weighted
    mean over the structures of its paired difference, with a t 95 % interval over members.
    Each structure's own verdict is kept under ``structures``."""
    from alliancesim.claims import paired_values
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
    combined = []
    for k, primary in enumerate(verdicts[results.primary_structure]):
        rows = {name: verdicts[name][k] for name in verdicts}
        claim = claims[str(primary["claim_id"])]
        mass: dict[str, float] = {}
        for name, row in rows.items():
            mass[str(row["verdict"])] = mass.get(str(row["verdict"]), 0.0) + weights[name]
        tested = [(weights[n], r["share"]) for n, r in rows.items() if r.get("share") is not None]
        share = sum(w * x for w, x in tested) / sum(w for w, _ in tested) if tested else None
        shares = [x for _, x in tested]
        differences = None
        for name in rows:
            a, b, _ = paired_values(results.structure(name), claim)
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
    verdicts = store.claim_verdicts(record.run_id)
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
    return present_run(results, claims, run_facts(results))


def view_of_stored_run(
    store: Store, run_id: str, *, results: Results | None = None
) -> tuple[RunView, Results]:
    """What a stored run says, as typed rows (and the run, opened from the store unless given)."""
    record = store.get(run_id)
    if results is None:
        results = store.open_run(record.run_id)
    return present_run(results, stored_claims(store, record), run_facts(results, record)), results


def _report(view: RunView, results: Results, sensitivity: list[Mapping[str, Any]]) -> str:
    from alliancesim.bands import indicator_bands
    from alliancesim.report.html import render_report

    bands = indicator_bands(results, list(view.key_indicators))
    return render_report(view, results.model.scenario, bands, sensitivity=sensitivity)


def report_of_run(results: Results, claims: ClaimsOutcome | None) -> str:
    """The self-contained HTML report of a run just made (not stored)."""
    return _report(view_of_run(results, claims), results, [])


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
    if failure_regions:
        search_failure_regions(store, record, results=results)
    view, results = view_of_stored_run(store, record.run_id, results=results)
    return _report(view, results, stored_sensitivity(store, record))
