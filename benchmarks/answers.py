"""Time to answer: how long a user waits for each command, as a whole process.

- **start-up**: ``alliancesim --help``, ``scenarios`` and ``show us-rok-2025`` (what they list
  kept in the cache, as from the second call on; ``show`` also on a first call, its cache
  emptied before each run), ``validate examples/my-first-scenario.toml``;
- **the default run**: ``alliancesim run --report out.html`` (2,000 members, every policy,
  seed 0): wall time of the whole process against the simulation time the run reports
  (``elapsed_seconds``, kept in the store), and the rest, which the issue bounds at half the
  simulation (wall ≤ 1.5 × simulation);
- **where the rest goes**: the same run's steps timed inside one process, wall and CPU
  (imports, loading, history's weights, simulating, the table's view, claims, commit, report);
- **a 20-member run** (``run -n 20 --report out.html``), whole process;
- **the dashboard's run**: what the dashboard does when Run is pressed with 20 members
  (``run_and_store``, then the stored run's rows and robustness for its page), in one process.

Each command runs ``--runs`` times (default 7) after one warm-up; min, median and max are
printed. Run: ``.venv/bin/python benchmarks/answers.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [
    sys.executable,
    "-c",
    "import sys; from alliancesim import cli; (getattr(cli, 'program', None) or cli.main)()",
]  # `program` is the console script (older versions: `main`)

PHASES = r"""
import sys, time
T0 = time.perf_counter()
C0 = time.process_time()
marks = []
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
members = int(sys.argv[1])
import alliancesim.commands.run
mark("import the run command")
from alliancesim import workflows
from alliancesim.runner import account_weights, run
from alliancesim.scenario.loader import load_scenario
from alliancesim.store import Store
scenario = load_scenario("us-rok-2025"); mark("load the scenario")
store = Store(); mark("open the store")
account_weights(scenario); mark("history's weights (looked up again by the run)")
import inspect
hashed = {"hash_files": True} if "hash_files" in inspect.signature(run).parameters else {}
with store.staging() as staging:
    results = run(scenario, policies=workflows.default_policies(scenario), members=members,
                  directory=staging.directory, run_id=staging.run_id, **hashed)
    mark("simulate (the run's elapsed time and its set-up)")
    with store.preparing(staging), results.reading():
        shown = workflows.view_of_run(results, None); mark("the table's rows")
        parts = workflows.report_parts(results, shown); mark("the report's parts (robustness, bands)")
        outcome = workflows.claims_of_run(results, discover=False); mark("check the claims")
        if hashed:  # as run_and_store does (speed-3 on)
            results.files.parameter_ranges()
    mark("wait for the files' hashes")
    record = store.commit(results, staging, outcome.verdicts); mark("commit to the store")
stored = workflows.StoredRun(results, record, outcome)
view = workflows.view_of_new_stored_run(stored, shown); mark("the stored run's rows")
document = workflows.report_of_new_stored_run(store, stored, view, parts); mark("the report")
previous, cpu = T0, C0
for name, moment, used in marks:
    print(f"{name}\t{moment - previous:.3f}\t{used - cpu:.3f}")
    previous, cpu = moment, used
print(f"simulation (elapsed)\t{results.elapsed:.3f}\t")
"""

DASHBOARD = r"""
import time
from alliancesim import workflows
from alliancesim.scenario.loader import load_scenario
from alliancesim.store import Store
scenario = load_scenario("us-rok-2025")
store = Store()
start = time.perf_counter()
stored = workflows.run_and_store(
    store, scenario, policies=workflows.default_policies(scenario), members=20, seed=0
)
simulated = stored.results.elapsed
view, results = workflows.view_of_stored_run(store, stored.record.run_id)
robust = workflows.robust_view_of_stored_run(store, stored.record, results)
print(f"{time.perf_counter() - start:.3f}\t{simulated:.3f}")
"""


def _once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True, check=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _time(command: list[str], runs: int, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` runs of a command, after one warm-up."""
    _once(command, env)
    timed = [_once(command, env) for _ in range(runs)]
    return [w for w, _ in timed], [c for _, c in timed]


def _clear(env: dict[str, str]) -> None:
    """Delete the runs the benchmark stored (a default run keeps about 1 GB of Parquet)."""
    from alliancesim.store import Store

    store = Store(env["ALLIANCESIM_HOME"])
    for record in store.runs():
        store.delete(record.run_id)


def _row(label: str, values: list[float]) -> str:
    return f"| {label} | {min(values):.2f} | {statistics.median(values):.2f} | {max(values):.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ALLIANCESIM_HOME": str(Path(tmp) / "home"),
            "ALLIANCESIM_CACHE": str(Path(tmp) / "cache"),
        }
        print("| command | wall min s | median s | max s | CPU median s |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for label, extra in (
            ("--help", ["--help"]),
            ("scenarios", ["scenarios"]),
            ("show us-rok-2025", ["show", "us-rok-2025"]),
            ("validate my-first-scenario.toml", ["validate", "examples/my-first-scenario.toml"]),
        ):
            walls, cpus = _time([*CLI, *extra], runs, env)
            print(f"{_row(f'`{label}`', walls)} {statistics.median(cpus):.2f} |", flush=True)
        first = []
        for _ in range(runs):
            for kept in Path(env["ALLIANCESIM_CACHE"]).glob("show-*.json"):
                kept.unlink()
            first.append(_once([*CLI, "show", "us-rok-2025"], env))
        walls, cpus = [w for w, _ in first], [c for _, c in first]
        label = "`show us-rok-2025` (first call: nothing kept)"
        print(f"{_row(label, walls)} {statistics.median(cpus):.2f} |", flush=True)

        from alliancesim.store import Store

        walls, sims, cpus = [], [], []
        report = Path(tmp) / "out.html"
        for k in range(runs + 1):
            wall, cpu = _once([*CLI, "run", "--report", str(report), "--force"], env)
            simulated = Store(env["ALLIANCESIM_HOME"]).runs()[0].elapsed_seconds
            _clear(env)
            if k == 0:
                continue  # warm-up
            walls.append(wall)
            cpus.append(cpu)
            sims.append(simulated)
        rests = [w - s for w, s in zip(walls, sims, strict=True)]
        ratios = [w / s for w, s in zip(walls, sims, strict=True)]
        print("\n| default `run --report out.html` | min | median | max |")
        print("| --- | ---: | ---: | ---: |")
        for label, values in (
            ("wall s", walls),
            ("CPU s (user + system)", cpus),
            ("simulation s", sims),
            ("the rest s", rests),
        ):
            print(_row(label, values))
        print(
            f"| wall / simulation | {min(ratios):.2f} | {statistics.median(ratios):.2f} | "
            f"{max(ratios):.2f} |"
        )

        print("\nwhere the rest goes (one process, median of the runs; wall and CPU):")
        table: dict[str, list[tuple[float, float]]] = {}
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", PHASES, "2000"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            _clear(env)
            for line in done.stdout.splitlines():
                name, wall, cpu = line.split("\t")
                table.setdefault(name, []).append((float(wall), float(cpu or "nan")))
        print("| step | wall s | CPU s |\n| --- | ---: | ---: |")
        for name, values in table.items():
            walls = statistics.median(w for w, _ in values)
            cpus = statistics.median(c for _, c in values)
            print(f"| {name} | {walls:.3f} | {cpus:.3f} |")

        print("\n| 20 members (`run -n 20 --report out.html`) | min | median | max |")
        print("| --- | ---: | ---: | ---: |")
        small, small_cpu = _time(
            [*CLI, "run", "-n", "20", "--report", str(report), "--force"], runs, env
        )
        print(_row("wall s", small))
        print(_row("CPU s (user + system)", small_cpu))

        print("\n| the dashboard's run, 20 members (in one process) | min | median | max |")
        print("| --- | ---: | ---: | ---: |")
        dash_walls, dash_sims = [], []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", DASHBOARD],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            wall, simulated = done.stdout.strip().split("\t")
            dash_walls.append(float(wall))
            dash_sims.append(float(simulated))
        print(_row("run, store, its page's rows and robustness s", dash_walls))
        print(_row("of which simulation s", dash_sims))


if __name__ == "__main__":
    main()
