"""What storing costs: the commit, listing a full store, reopening a run, the report, and
commits from several processes at once.

- **store overhead**: ``Store.run`` wall time minus the simulation itself (staging, summary,
  fsync, the catalogue transaction; claims are not checked here, they are the claims
  module's cost), for ensembles of growing size;
- **list / reopen**: ``Store().runs()`` (which includes crash recovery) with many runs stored,
  and ``open_run`` + ``summary()``;
- **report**: rendering the HTML report of a stored run, and its size;
- **concurrent commits**: P processes each storing R tiny runs into one store at once: total
  wall time and commits per second (the catalogue lock serialises only the commits).

Run: ``.venv/bin/python benchmarks/store.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "tests" / "report" / "data" / "alliance.toml"

_WORKER = """
import sys, warnings
warnings.simplefilter("ignore")
from alliancesim.runner import run
from alliancesim.store import Store
store = Store(sys.argv[1])
for k in range(int(sys.argv[3])):
    with store.staging() as staging:
        results = run(sys.argv[2], members=20, seed=int(sys.argv[4]) * 1000 + k,
                      directory=staging.directory, run_id=staging.run_id)
        store.commit(results, staging, None)
"""


def _store_run(store, scenario, members: int, seed: int):
    """Simulate into the store's staging area and commit, without checking claims (what the
    store itself costs is measured, not the claims)."""
    from alliancesim.runner import run

    with store.staging() as staging:
        results = run(
            scenario, members=members, seed=seed, directory=staging.directory, run_id=staging.run_id
        )
        store.commit(results, staging, None)
    return results


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from alliancesim.store import Store
    from alliancesim.workflows import report_of_stored_run

    sizes = [2_000, 10_000] if args.quick else [2_000, 20_000, 100_000]
    filler = 20 if args.quick else 200
    processes, per_process = (2, 5) if args.quick else (4, 10)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        store = Store(home)
        rows = []
        stored = []
        for members in sizes:
            started = time.perf_counter()
            results = _store_run(store, SCENARIO, members, 1)
            total = time.perf_counter() - started
            record = store.get(results.run_id)
            stored.append(record)
            rows.append(
                [
                    f"{members:,}",
                    f"{record.files}",
                    f"{record.bytes / 1e6:.1f}",
                    f"{results.elapsed:.2f}",
                    f"{total - results.elapsed:.3f}",
                ]
            )
        _table(
            "store overhead (staging + commit minus simulation), 3 policies × 8 steps",
            ["members", "Parquet files", "MB", "simulation s", "store overhead s"],
            rows,
        )

        for k in range(filler):
            _store_run(store, SCENARIO, 10, 100 + k)
        started = time.perf_counter()
        listed = Store(home).runs()
        list_s = time.perf_counter() - started
        big = stored[-1]
        started = time.perf_counter()
        results = store.open_run(big.run_id)
        results.summary()
        open_s = time.perf_counter() - started
        started = time.perf_counter()
        document = report_of_stored_run(store, big.run_id, results=results)
        report_s = time.perf_counter() - started
        _table(
            "reading",
            ["operation", "seconds"],
            [
                [f"open store + list {len(listed)} runs", f"{list_s:.3f}"],
                [f"open_run + summary ({big.members:,} members)", f"{open_s:.3f}"],
                [
                    f"render report ({big.members:,} members, {len(document) / 1e6:.1f} MB)",
                    f"{report_s:.2f}",
                ],
            ],
        )

        shared = Path(tmp) / "shared"
        Store(shared)
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
        started = time.perf_counter()
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _WORKER,
                    str(shared),
                    str(SCENARIO),
                    str(per_process),
                    str(p),
                ],
                env=env,
            )
            for p in range(processes)
        ]
        codes = [c.wait() for c in children]
        wall = time.perf_counter() - started
        count = len(Store(shared).runs())
        _table(
            "concurrent commits (each process also imports alliancesim and simulates 20 members)",
            ["processes", "runs each", "runs stored", "failed processes", "wall s", "runs/s"],
            [
                [
                    str(processes),
                    str(per_process),
                    str(count),
                    str(sum(1 for c in codes if c)),
                    f"{wall:.1f}",
                    f"{count / wall:.2f}",
                ]
            ],
        )
        assert count == processes * per_process, "a concurrent run was lost"


if __name__ == "__main__":
    main()
