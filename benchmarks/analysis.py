"""Analysis layer: how long the default `claims`, `compare`, `sensitivity`, `discover` take.

Times the four analyses on ``us-rok-2025`` at their CLI defaults (or smaller with
``--quick``), on 1 and 2 workers where they use workers, and the pieces that are not the
simulation: EMA Workbench's import (PRIM lives there), one PRIM search, and the
experiment evaluator's throughput (member-steps per second at SALib's points). The issue's
target: default sensitivity sizes finish in under a minute on 2 cores.

Wall-clock seconds; on a shared machine they include the neighbours' load, so the table also
prints the load average at the start.

Run: ``.venv/bin/python benchmarks/analysis.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

from alliancesim.analysis.discovery import discover, find_boxes
from alliancesim.analysis.experiments import Experiments
from alliancesim.analysis.sensitivity import morris_screening, sobol_indices
from alliancesim.claims import claim_policies
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario
from alliancesim.workflows import claims_of_run

SCENARIO = "us-rok-2025"


CPU: list[float] = []  # CPU seconds (this process and its workers) of the last timed call


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(fn):
    """(result, wall seconds) of one call; its CPU seconds go to ``CPU``."""
    cpu = _cpu()
    start = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - start
    CPU.append(_cpu() - cpu)
    return out, wall


def ema_import_seconds() -> float:
    """Cold import of ema_workbench.analysis.prim in a fresh interpreter."""
    code = "import time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter(); import ema_workbench.analysis.prim; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scenario = load_scenario(SCENARIO)
    members = 500 if args.quick else 2000
    sobol_n = 32 if args.quick else 256
    rows: list[tuple[str, str, float, float]] = []
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    rows.append(("EMA Workbench import (fresh process)", "", ema_import_seconds(), float("nan")))

    experiments = Experiments(scenario, ("decoupled",), replicates=8)
    unit = np.random.default_rng(0).random((512, len(experiments.space)))
    experiments.evaluate_unit(unit[:8])  # warm-up
    _, seconds = timed(lambda: experiments.evaluate_unit(unit))
    rate = 512 * 8 * experiments.model.horizon / seconds
    rows.append(
        (
            "experiments: 512 points × 8 streams, 1 worker",
            f"{rate:,.0f} member-steps/s",
            seconds,
            CPU[-1],
        )
    )

    policies = claim_policies(scenario.claims)
    results, seconds = timed(lambda: run(scenario, policies, members=members, seed=0))
    shape = f"{len(results.policies)} policies × {len(results.structures)} structures"
    rows.append((f"claims: run {members} members × {shape}", "", seconds, CPU[-1]))
    outcome, seconds = timed(lambda: claims_of_run(results, discover=True))
    verdicts = outcome.verdicts or []
    boxes = sum(
        row.get("failure_box") is not None
        for verdict in verdicts
        for row in [verdict, *verdict.get("structures", {}).values()]
    )
    rows.append(
        (
            f"claims (as `claims`): {len(verdicts)} verdicts combined, {boxes} PRIM boxes",
            "",
            seconds,
            CPU[-1],
        )
    )

    results, seconds = timed(lambda: run(scenario, members=members, seed=0, record="indicators"))
    shape = f"{len(results.policies)} policies × {len(results.structures)} structures"
    rows.append((f"compare: run {members} members × {shape}", "", seconds, CPU[-1]))
    seed = results.structure("seed")  # `discover` searches one structure's members (the seed's)
    result, seconds = timed(lambda: discover(seed))
    rows.append(
        ("discover: PRIM on decoupled (baseline)", f"{len(result.boxes)} box", seconds, CPU[-1])
    )
    x = seed.parameters()
    y = np.random.default_rng(1).random(len(x)) < 0.2
    _, seconds = timed(lambda: find_boxes(x, y))
    rows.append(
        (f"PRIM alone: {len(x)} members × {x.shape[1]} parameters (noise)", "", seconds, CPU[-1])
    )

    for workers in (1, 2):
        result, seconds = timed(
            lambda w=workers: sobol_indices(scenario, "decoupled", n=sobol_n, workers=w)
        )
        rows.append(
            (
                f"sensitivity sobol n={sobol_n}, {len(result.names)} groups, {workers} worker(s)",
                f"{result.evaluations:,} points × 8",
                seconds,
                CPU[-1],
            )
        )
    result, seconds = timed(lambda: morris_screening(scenario, "decoupled", workers=2))
    rows.append(
        (
            f"sensitivity morris n=20, {len(result.names)} groups, 2 workers",
            f"{result.evaluations:,} points × 8",
            seconds,
            CPU[-1],
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'size / rate':>26}  {'wall s':>8}  {'CPU s':>8}")
    for what, size, seconds, cpu in rows:
        print(f"{what:<{width}}  {size:>26}  {seconds:8.2f}  {cpu:8.2f}")
    print("CPU s: this process and its worker processes (user + system); on 2 idle cores a")
    print("2-worker step takes about max(CPU s / 2, its serial part) of wall time.")


if __name__ == "__main__":
    main()
