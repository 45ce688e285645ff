"""The use cases, written once: what a user asks of alliancesim, whatever the front end.

The command line, the dashboard and the Python API call these functions and only lay out what
they return (the presentation model, :mod:`alliancesim.presentation`), so a run made from the
dashboard is stored exactly like one made from the command line, and one stored run gives one
report:

- :func:`default_policies` — which policies a run simulates when none are named;
- :func:`run_and_store` — simulate, check the claims, commit the run to the store;
- :func:`stored_claims`, :func:`search_failure_regions` — a stored run's claim verdicts, and
  where its claims fail (PRIM, on request, kept in the store);
- :func:`view_of_run`, :func:`view_of_stored_run`, :func:`view_of_new_stored_run` — what a run
  says, as typed rows;
- :func:`report_of_run`, :func:`report_of_stored_run`, :func:`report_of_new_stored_run` — the
  self-contained HTML report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
    "default_policies",
    "report_of_new_stored_run",
    "report_of_run",
    "report_of_stored_run",
    "run_and_store",
    "search_failure_regions",
    "stored_claims",
    "stored_sensitivity",
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
    """
    if "directory" in options:
        raise TypeError("the store chooses the directory; use export to copy a run elsewhere")
    with store.staging(options.pop("run_id", None)) as staging:
        results = run(scenario, directory=staging.directory, run_id=staging.run_id, **options)
        if on_simulated is not None:
            on_simulated(results)
        if on_claims is not None:
            on_claims()
        outcome = claims_outcome(results, discover=False)
        record = store.commit(results, staging, outcome.verdicts)
    return StoredRun(results, record, outcome)


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
    outcome = claims_outcome(results, discover=True)
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


def view_of_new_stored_run(stored: StoredRun, shown: RunView | None = None) -> RunView:
    """What a run just stored says, as :func:`view_of_stored_run` gives it, from what is in
    hand: no catalogue query, and the rows of ``shown`` (the same run's view shown before its
    claims were checked) are reused rather than computed again."""
    claims = _as_stored(stored.claims.verdicts)
    facts = run_facts(stored.results, stored.record)
    if shown is None:
        return present_run(stored.results, claims, facts)
    return shown.with_claims(claims, facts)


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


def report_of_new_stored_run(store: Store, stored: StoredRun, view: RunView) -> str:
    """The report of a run just stored, from its view (:func:`view_of_new_stored_run`): what
    :func:`report_of_stored_run` writes, without reading back what is in hand."""
    return _report(view, stored.results, stored_sensitivity(store, stored.record))


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
