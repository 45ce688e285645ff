"""Memory of ``Results.dataset()`` on a large stored run: the lazy Dataset against building it
in memory.

A run of ``--members`` members (default 20,000; ``--quick`` 4,000) of ``us-rok-2025`` under
baseline and one policy, every quantity recorded, is stored; then, each in a fresh process,
the peak resident memory (``ru_maxrss``) of

- ``lazy``: ``store.open_run(id).dataset()`` then one policy and one variable loaded
  (``data["cohesion"].sel(policy="consult_first").values``);
- ``eager``: the Dataset built in memory (:func:`alliancesim.dataset.build_dataset`, what
  ``dataset()`` did before) and the same selection;
- ``baseline``: opening the run only (imports, the model, the catalogue).

Run: ``.venv/bin/python benchmarks/dataset_memory.py [--quick] [--members N]``.
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

PROBE = r"""
import resource, sys, time, warnings
warnings.simplefilter("ignore")
from alliancesim.store import Store
mode = sys.argv[2]
store = Store(sys.argv[1])
results = store.open_run("latest")
started = time.perf_counter()
if mode == "lazy":
    data = results.dataset()
    values = data["cohesion"].sel(policy="consult_first").values
elif mode == "eager":
    from alliancesim.dataset import build_dataset
    data = build_dataset(results.model, results.files, results.policies, results.members, {})
    values = data["cohesion"].sel(policy="consult_first").values
else:
    values = None
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"\n{peak:.0f}\t{seconds:.2f}\t{None if values is None else values.shape}")
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--members", type=int, default=None)
    args = parser.parse_args()
    members = args.members or (4_000 if args.quick else 20_000)
    warnings.simplefilter("ignore")
    from alliancesim.store import Store
    from alliancesim.workflows import run_and_store

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        stored = run_and_store(
            Store(home), "us-rok-2025", policies=["consult_first"], members=members, seed=0
        )
        print(
            f"stored {members:,} members × 2 policies, record all, "
            f"{stored.record.bytes / 1e6:.0f} MB of Parquet in {time.perf_counter() - started:.0f} s"
        )
        print("\n| dataset() | peak RSS MB | seconds | loaded |\n| --- | ---: | ---: | --- |")
        for mode in ("open only", "lazy", "eager"):
            done = subprocess.run(
                [sys.executable, "-c", PROBE, str(home), mode.split()[0]],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
            last = done.stdout.strip().splitlines()[-1]  # after DuckDB's progress bar, if any
            peak, seconds, shape = last.split("\t")[-3:]
            print(f"| {mode} | {peak} | {seconds} | {shape} |", flush=True)


if __name__ == "__main__":
    main()
