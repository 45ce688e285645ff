"""The experiment store: every run kept (DuckDB catalogue + Parquet files), safe to kill.

``Store().run(scenario, members=…, seed=…)`` simulates and stores; ``Store().open_run(id)``
gives the run back as :class:`alliancesim.results.Results`. See docs/store-and-report.md.
"""

from alliancesim.store.experiments import Store
from alliancesim.store.locks import StoreBusyError
from alliancesim.store.records import (
    HOME_VARIABLE,
    ClaimsOutcome,
    RunRecord,
    default_home,
    evaluate_claims,
    plain,
)

__all__ = [
    "HOME_VARIABLE",
    "ClaimsOutcome",
    "RunRecord",
    "Store",
    "StoreBusyError",
    "default_home",
    "evaluate_claims",
    "plain",
]
