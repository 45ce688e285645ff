"""Robust recommendations: how long `compare --robust` (robustness, pathways, signposts) and
`optimize` take on ``us-rok-2025`` at their defaults, and what they say.

Times, on the default design of structures and 2,000 members (``--quick``: 500 members and a
shorter search): the robustness table from the run's files (nothing simulated), the pathway
decomposition of the recommendations (each pathway switched off, on the run's worlds, 2
workers), the signposts of the two leading recommendations (PRIM, EMA Workbench's import
included), and ``optimize`` at its defaults (1,000 worlds shared by the structures, 3,000 settings, 2
workers; the issue's target: minutes on 2 cores). Prints the regret table, the satisficing
shares, the pathway shares and the Pareto set's size. Wall-clock seconds on a shared machine
include the neighbours' load: the load average is printed at the start.

Run: ``.venv/bin/python benchmarks/robust.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

from alliancesim.analysis.optimize import DEFAULT_NFE, default_members
from alliancesim.decisions import RobustOptions, leading_policies, optimize_scenario
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario

SCENARIO = "us-rok-2025"


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(fn):
    """(result, wall seconds, CPU seconds of this process and its workers) of one call."""
    cpu, start = _cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    members = 500 if quick else 2000
    nfe = 600 if quick else DEFAULT_NFE
    print(f"load average at start: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    scenario = load_scenario(SCENARIO)
    warnings.simplefilter("ignore")
    results, wall, cpu = timed(lambda: run(scenario, members=members, workers=2))
    print(f"run: {members:,} members × {len(results.structures)} structure(s): {wall:.1f} s")
    from alliancesim.decisions import robust_analysis

    rows = []
    payload, wall, cpu = timed(lambda: robust_analysis(results))
    rows.append(("robustness (from the run's files)", wall, cpu))
    options = RobustOptions(pathways=True, workers=2)
    pathways, wall, cpu = timed(lambda: robust_analysis(results, options))
    rows.append(("robustness + pathways (2 workers)", wall, cpu))
    options = RobustOptions(signposts=True)
    signposts, wall, cpu = timed(lambda: robust_analysis(results, options))
    rows.append(("robustness + signposts of the 2 leading (PRIM, EMA import)", wall, cpu))
    found, wall, cpu = timed(lambda: optimize_scenario(scenario, nfe=nfe, workers=2))
    per = default_members(len(results.structures))
    rows.append((f"optimize: {per} worlds per structure, {nfe:,} settings, 2 workers", wall, cpu))
    print("\n| step | wall s | CPU s |\n| --- | ---: | ---: |")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.1f} | {cpu:.1f} |")

    robustness = payload["robustness"]
    head = robustness["headline"]
    print(
        f"\nregret in {robustness['measure']['name']} ({robustness['measure']['better']} is better)"
    )
    print("| policy | P(decoupling) | regret mean | p90 | max | satisficing | rank |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in sorted(robustness["policies"], key=lambda p: p["weighted"][head]["rank"]):
        s = p["weighted"][head]
        sat = "—" if s["satisficing"] is None else f"{100 * s['satisficing']:.1f} %"
        print(
            f"| {p['policy']} | {100 * s['p_decoupling']:.1f} % | {s['regret_mean']:.3f} | "
            f"{s['regret_p90']:.3f} | {s['regret_max']:.3f} | {sat} | {s['rank']} |"
        )
    print("thresholds:", "; ".join(t["description"] for t in robustness["thresholds"]))
    for line in robustness["disagreements"]:
        print(" -", line)
    from alliancesim.presentation.robust_view import present_robust

    print("\npathway shares (of the change in P(decoupling), else in the regret measure)")
    for view in present_robust(pathways).shown_pathways():
        parts = ", ".join(f"{b.short} {100 * (b.share or 0):.0f} %" for b in view.bars)
        share = view.interaction / view.total if view.total else 0.0
        print(
            f"- {view.policy}, {view.outcome} {view.total_text()}: {parts}, "
            f"interaction {100 * share:.0f} %"
        )
    print("\nsignposts of", ", ".join(leading_policies(signposts)))
    for s in signposts["signposts"]:
        for sign in s["signposts"]:
            print(" -", sign["text"])
    print(
        f"\noptimize: {found['evaluations']:,} settings evaluated, Pareto set of "
        f"{len(found['pareto'])} settings, {found['elapsed']:.1f} s"
    )


if __name__ == "__main__":
    main()
