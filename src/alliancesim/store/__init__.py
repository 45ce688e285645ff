"""The experiment store: every run kept (DuckDB catalogue + Parquet files), safe to kill.

The store only persists: ``Store().commit(…)`` makes a simulated run visible,
``Store().open_run(id)`` gives it back as :class:`alliancesim.results.Results`. Simulating and
storing in one call is the use case :func:`alliancesim.workflows.run_and_store`. See
docs/store-and-report.md.
"""

from alliancesim.store.experiments import Store
from alliancesim.store.locks import StoreBusyError
from alliancesim.store.records import HOME_VARIABLE, RunRecord, default_home

__all__ = ["HOME_VARIABLE", "RunRecord", "Store", "StoreBusyError", "default_home"]
