"""Time to answer: how long a user waits for each command, as a whole process.

- **start-up**: ``alliancesim --help``, ``scenarios`` (its listing cached, as from the second
  call on), ``show us-rok-2025``, ``validate examples/my-first-scenario.toml``;
- **the default run**: ``alliancesim run --report out.html`` (2,000 members, every policy,
  seed 0): wall time of the whole process against the simulation time the run reports
  (``elapsed_seconds``, kept in the store), and the rest, which the issue bounds at half the
  simulation (wall ≤ 1.5 × simulation);
- **where the rest goes**: the same run's steps timed inside one process (imports, loading,
  simulating, the table's view, claims, commit, bands, report).

Each command runs ``--runs`` times (default 7) after one warm-up; min, median and max are
printed. Run: ``.venv/bin/python benchmarks/answers.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
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
import time
T0 = time.perf_counter()
marks = []
def mark(name):
    marks.append((name, time.perf_counter()))
import alliancesim.commands.run
mark("import the run command")
from alliancesim import workflows
from alliancesim.bands import indicator_bands
from alliancesim.claims import claims_outcome
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario
from alliancesim.store import Store
scenario = load_scenario("us-rok-2025"); mark("load the scenario")
store = Store(); mark("open the store")
with store.staging() as staging:
    results = run(scenario, policies=workflows.default_policies(scenario),
                  directory=staging.directory, run_id=staging.run_id)
    mark("simulate")
    shown = workflows.view_of_run(results, None); mark("the table's rows (summary)")
    outcome = claims_outcome(results, discover=False); mark("check the claims")
    record = store.commit(results, staging, outcome.verdicts); mark("commit to the store")
stored = workflows.StoredRun(results, record, outcome)
if hasattr(workflows, "view_of_new_stored_run"):
    view = workflows.view_of_new_stored_run(stored, shown)
else:  # before answers-in-seconds: read back from the store
    view, _ = workflows.view_of_stored_run(store, record.run_id, results=results)
mark("the stored run's rows")
from alliancesim.report.html import render_report
mark("import the report")
bands = indicator_bands(results, list(view.key_indicators)); mark("indicator bands")
sensitivity = workflows.stored_sensitivity(store, record); mark("sensitivity lookup")
document = render_report(view, scenario, bands, sensitivity=sensitivity); mark("render the report")
previous = T0
for name, moment in marks:
    print(f"{name}\t{moment - previous:.3f}")
    previous = moment
print(f"simulation (elapsed)\t{results.elapsed:.3f}")
"""


def _time(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(command, env=env, capture_output=True, check=True, cwd=ROOT)  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True, cwd=ROOT)
        out.append(time.perf_counter() - start)
    return out


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
        print("| command | min s | median s | max s |\n| --- | ---: | ---: | ---: |")
        for label, extra in (
            ("--help", ["--help"]),
            ("scenarios", ["scenarios"]),
            ("show us-rok-2025", ["show", "us-rok-2025"]),
            ("validate my-first-scenario.toml", ["validate", "examples/my-first-scenario.toml"]),
        ):
            print(_row(f"`{label}`", _time([*CLI, *extra], runs, env)), flush=True)

        from alliancesim.store import Store

        walls, sims = [], []
        report = Path(tmp) / "out.html"
        for k in range(runs + 1):
            start = time.perf_counter()
            subprocess.run(
                [*CLI, "run", "--report", str(report), "--force"],
                env=env,
                capture_output=True,
                check=True,
                cwd=ROOT,
            )
            wall = time.perf_counter() - start
            if k == 0:
                continue  # warm-up
            walls.append(wall)
            sims.append(Store(env["ALLIANCESIM_HOME"]).runs()[0].elapsed_seconds)
        rests = [w - s for w, s in zip(walls, sims, strict=True)]
        ratios = [w / s for w, s in zip(walls, sims, strict=True)]
        print("\n| default `run --report out.html` | min | median | max |")
        print("| --- | ---: | ---: | ---: |")
        for label, values in (
            ("wall s", walls),
            ("simulation s", sims),
            ("the rest s", rests),
        ):
            print(_row(label, values))
        print(
            f"| wall / simulation | {min(ratios):.2f} | {statistics.median(ratios):.2f} | "
            f"{max(ratios):.2f} |"
        )

        print("\nwhere the rest goes (one process, median of the runs):")
        table: dict[str, list[float]] = {}
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", PHASES],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            for line in done.stdout.splitlines():
                name, seconds = line.split("\t")
                table.setdefault(name, []).append(float(seconds))
        print("| step | median s |\n| --- | ---: |")
        for name, values in table.items():
            print(f"| {name} | {statistics.median(values):.3f} |")


if __name__ == "__main__":
    main()
