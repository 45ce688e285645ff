"""Engine throughput: member-steps per second on a built-in scenario, and the Mesa ratio.

Prints three tables:

1. the engine's compute alone (``simulate`` on blocks of 2,048 members, one core), with the
   compromise model and with the expected-utility model on every issue, against a floor
   estimated from this machine's elementwise NumPy throughput;
2. whole runs (``alliancesim.run``: sampling, simulation, Parquet, summary) at 10^3, 10^4, 10^5
   members on 1 and 2 workers, under the seed's structure; and the default kind of run (every
   structure the default design runs, every quantity recorded);
3. the same scenario as a plain Mesa model (``mesa_reference.py``: every construct of the
   scenario written by hand, trajectories checked equal to the engine's) and the engine/Mesa
   ratio.

A member-step is one member advanced one step under one policy (and one structure).
``--quick`` runs smaller sizes; ``--mesa-only`` only table 3.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from alliancesim.draws import BLOCK_SIZE, Block, Draws
from alliancesim.engine import simulate
from alliancesim.ensemble import CHUNK_BLOCKS
from alliancesim.model import Model, compile_model
from alliancesim.runner import run
from alliancesim.scenario import load_scenario


def with_model(scenario, bargaining: str):
    """The scenario with every issue decided by one bargaining model."""
    issues = [i.model_copy(update={"model": bargaining}) for i in scenario.issues]
    return scenario.model_copy(update={"issues": issues})


def compute_rate(
    model: Model,
    chunks: int = 3,
    repeats: int = 3,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Member-steps per second of ``simulate`` alone (baseline policy, one core), on chunks of
    ``CHUNK_BLOCKS`` blocks as a task simulates them; best of ``repeats`` passes (the machine is
    a shared VM whose speed wanders), timed by ``clock`` (wall time unless told)."""
    spec = model.policy("baseline")
    size = CHUNK_BLOCKS * BLOCK_SIZE
    prepared = []
    for c in range(chunks):
        draws = Draws.block(model, seed, Block(c, c * size, size))
        prepared.append((draws.parameters(model, spec), draws.slots))
    simulate(model, spec, *prepared[0])  # warm-up (Numba kernels load from cache)
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        for P, slots in prepared:
            simulate(model, spec, P, slots)
        best = min(best, clock() - start)
    return chunks * size * model.horizon / best


def _count_nodes(tree: ast.AST) -> int:
    return sum(
        isinstance(n, ast.BinOp | ast.UnaryOp | ast.Compare | ast.Call | ast.BoolOp | ast.IfExp)
        for n in ast.walk(tree)
    )


def elementwise_ops(model: Model) -> dict[str, int]:
    """Vectorised elementwise operations per member-step, by kind (an estimate of the work)."""
    sc = model.scenario
    expr_ops = sum(
        _count_nodes(r.driver.tree) + (_count_nodes(r.gate.tree) if r.gate else 0) for r in sc.rules
    )
    expr_ops += sum(_count_nodes(i.expr.tree) for i in sc.indicators)
    expr_ops += sum(_count_nodes(a.when.tree) + _count_nodes(a.consulted.tree) for a in sc.actions)
    expr_ops += sum(_count_nodes(e.rate.tree) for e in sc.events if hasattr(e.rate, "tree"))
    expr_ops += sum(_count_nodes(when.tree) for _, when, _ in sc.decoupling.sign_conditions)
    if sc.decoupling.index is not None:
        expr_ops += _count_nodes(sc.decoupling.index.when.tree)
    rules = 3 * len(sc.rules)  # weight·driver·gate, the sum per target
    rules += 2 * sum(r.account is not None for r in sc.rules)  # the account's gate: !=, where
    rules += 3 * sum(r.fades is not None for r in sc.rules)  # fades·impulse, −, impulse +=
    signs = len(sc.decoupling.sign_conditions) + (sc.decoupling.index is not None)
    decoupling = 4 * signs + 2  # per sign: streak (where, +1), seen (>=, |=); the combination
    actions = 8 * len(sc.actions) + 2 * sum(len(a.effects) for a in sc.actions)
    events = 12 * len(sc.events)  # clip, Poisson inverse (~6 ops), intensity ppf
    state = 4 * model.n_states + 2 * len(model.quantities)  # relaxation; clip
    record = len(model.record_names)  # one copy per recorded quantity
    return {
        "expressions": expr_ops,
        "rules": rules,
        "actions": actions,
        "events": events,
        "relax+clip": state,
        "decoupling": decoupling,
        "record": record,
    }


def elementwise_seconds(size: int = CHUNK_BLOCKS * BLOCK_SIZE, repeats: int = 2000) -> float:
    """Seconds per element of one NumPy binary operation on arrays of ``size`` (with call overhead)."""
    a = np.random.default_rng(0).random(size)
    b = np.random.default_rng(1).random(size)
    out = np.empty(size)
    start = time.perf_counter()
    for _ in range(repeats):
        np.multiply(a, b, out=out)
        np.add(out, a, out=out)
    return (time.perf_counter() - start) / (2 * repeats * size)


def run_rate(
    scenario,
    members: int,
    workers: int,
    record: str,
    policies: list[str] | None,
    structures: str | None = None,
) -> tuple[float, float, int, int]:
    """(member-steps per second, seconds, policies, structures) of a whole run, summary
    included; a member-step is one member advanced one step under one policy and structure."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        results = run(
            scenario,
            policies=policies,
            members=members,
            seed=0,
            workers=workers,
            directory=Path(tmp) / "run",
            record=record,
            structures=structures,
        )
        results.summary()
        elapsed = time.perf_counter() - start
    n, k = len(results.policies), len(results.structures)
    return members * n * k * results.model.horizon / elapsed, elapsed, n, k


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """Print a plain-text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    """Run the engine benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description="alliancesim engine benchmarks")
    parser.add_argument("scenario", nargs="?", default="us-rok-2025")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mesa-only", action="store_true", help="only table 3 (Mesa)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    base = load_scenario(args.scenario)
    print(f"scenario {args.scenario}; machine: {os.cpu_count()} cores; block {BLOCK_SIZE} members")
    if args.mesa_only:
        mesa_section(base, args.quick)
        return

    per_element = elementwise_seconds()
    rows = []
    for bargaining in ("compromise", "eum"):
        model = compile_model(with_model(base, bargaining))
        rate = compute_rate(model, chunks=2 if args.quick else 3)
        ops = elementwise_ops(model)
        total_ops = sum(ops.values())
        floor = 1.0 / (total_ops * per_element)
        rows.append(
            [bargaining, f"{rate:,.0f}", f"{total_ops}", f"{floor:,.0f}", f"{rate / floor:.0%}"]
        )
    table(
        f"1. engine compute, one core (elementwise op: {per_element * 1e9:.2f} ns/element incl. call overhead)",
        [
            "bargaining",
            "member-steps/s",
            "elementwise ops/member-step (excl. bargaining)",
            "floor estimate",
            "share of floor",
        ],
        rows,
    )

    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    rows = []
    for bargaining in ("compromise", "eum"):
        scenario = with_model(base, bargaining)
        for members in sizes:
            for workers in (1, 2):
                rate, seconds, n, _ = run_rate(
                    scenario, members, workers, "indicators", None, "seed"
                )
                rows.append(
                    [
                        bargaining,
                        f"{members:,}",
                        str(n),
                        str(workers),
                        f"{seconds:.2f}",
                        f"{rate:,.0f}",
                    ]
                )
    table(
        "2. whole runs: sampling, simulation of every policy, Parquet, summary "
        "(record=indicators, the seed's structure)",
        ["bargaining", "members", "policies", "workers", "seconds", "member-steps/s"],
        rows,
    )

    rows = []
    for workers in (1, 2):
        compromise = with_model(base, "compromise")
        rate, seconds, n, k = run_rate(compromise, 10_000, workers, "all", None)
        rows.append([f"{n}", f"{k}", str(workers), f"{seconds:.2f}", f"{rate:,.0f}"])
    table(
        "2b. the default kind of run: every policy under the default structures (the seed's and "
        "each rival account alone), every quantity recorded (compromise, 10,000 members)",
        ["policies", "structures", "workers", "seconds", "member-steps/s"],
        rows,
    )

    mesa_section(base, args.quick)


MESA_TOLERANCE = 1e-9
"""Largest difference between the Mesa model's and the engine's trajectories accepted as equal
(they differ only by floating-point rounding, ≈ 1e-14 on positions of 0–100)."""


def mesa_section(base, quick: bool) -> None:
    """Table 3: the scenario as a plain Mesa model against the engine, same model, one core;
    exits non-zero when their trajectories differ beyond rounding (the ratio would be void)."""
    import mesa_reference

    compromise = compile_model(with_model(base, "compromise"))
    mesa_members = 100 if quick else 500
    cpu = time.process_time  # CPU time: the machine is shared, wall time wanders with its load
    seconds = min(
        mesa_reference.run_mesa(compromise, "baseline", mesa_members, 0, clock=cpu)[0]
        for _ in range(3)
    )
    mesa_rate = mesa_members * compromise.horizon / seconds
    engine_rate = compute_rate(compromise, chunks=2, clock=cpu)
    checked = 50 if quick else 200
    difference = mesa_reference.max_difference_from_engine(compromise, "baseline", checked, 0)
    table(
        "3. the same scenario as a plain Mesa model (compromise bargaining, baseline, one core, "
        f"CPU time, best of 3; trajectories of {checked} members compared)",
        ["implementation", "member-steps/s", "ratio", "max |Mesa − engine|"],
        [
            ["Mesa", f"{mesa_rate:,.0f}", "1×", f"{difference:.1e}"],
            ["alliancesim engine", f"{engine_rate:,.0f}", f"{engine_rate / mesa_rate:,.0f}×", ""],
        ],
    )
    if not difference <= MESA_TOLERANCE:
        raise SystemExit(f"the Mesa model and the engine disagree by {difference:.3g}")


if __name__ == "__main__":
    main()
