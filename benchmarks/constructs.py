"""What the constructs of issue 13 cost the engine: member-steps per second of ``simulate`` alone
(one core, compromise bargaining, baseline policy) on ``us-rok-2025`` as it is and with each
construct switched off or added:

- the linear path (every response ``linear``, positions not relaxing): the engine's work
  before issue 13;
- saturating responses only; then relaxing positions (the library as it is);
- every rule fading (``fades = 0.3``);
- two elections (three outcomes each, setting positions, preferences, a parameter and a lever)
  and a scheduled event with effects and set-effects;
- decoupling by three observable signs and a cohesion index;
- everything together;
- the library as it is without the checks for values that are not finite (the checks
  replaced by no-ops), to price them.

Variants are measured interleaved, best of several passes, in the process's CPU time (the
machine is shared: wall time wanders with the other processes' load, CPU time much less), on
the same chunks of members. ``--quick`` measures fewer passes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from alliancesim import engine
from alliancesim.draws import BLOCK_SIZE, Block, Draws
from alliancesim.ensemble import CHUNK_BLOCKS
from alliancesim.model import Model, compile_model
from alliancesim.scenario import load_scenario
from alliancesim.scenario.entries import (
    Decoupling,
    DecouplingIndex,
    DecouplingSign,
    Election,
    Outcome,
    Scheduled,
)
from alliancesim.scenario.uncertain import parse_uncertain

WHY = "assumption: a benchmark variant"


def linear_path(scenario: Any) -> Any:
    """Every response linear, no position relaxing: the work of the engine before issue 13."""
    state = [s.model_copy(update={"response": "linear"}) for s in scenario.state]
    issues = [
        i.model_copy(
            update={
                "response": "linear",
                "relaxation": parse_uncertain(0.0),
                "positions": {
                    a: st.model_copy(update={"relaxation": None}) for a, st in i.positions.items()
                },
            }
        )
        for i in scenario.issues
    ]
    return scenario.model_copy(update={"state": state, "issues": issues})


def saturating_only(scenario: Any) -> Any:
    """Saturating responses as written, positions not relaxing."""
    issues = [
        i.model_copy(
            update={
                "relaxation": parse_uncertain(0.0),
                "positions": {
                    a: st.model_copy(update={"relaxation": None}) for a, st in i.positions.items()
                },
            }
        )
        for i in scenario.issues
    ]
    return scenario.model_copy(update={"issues": issues})


def fading(scenario: Any) -> Any:
    """Every rule transient, taken back at 0.3 a step."""
    rules = [r.model_copy(update={"fades": parse_uncertain(0.3)}) for r in scenario.rules]
    return scenario.model_copy(update={"rules": rules})


def elections(scenario: Any) -> Any:
    """Two elections of three outcomes each, and a scheduled event that adds and sets."""
    issue = scenario.issues[0]
    actor = issue.participants[0]
    lever = f"policy.{scenario.levers[0].id}"
    param = f"param.{scenario.parameters[0].id}"
    state = scenario.state[0].id
    sets = {
        f"position.{actor}.{issue.id}": parse_uncertain({"low": 10, "high": 40}),
        f"preference.{actor}.{issue.id}": parse_uncertain({"low": 10, "high": 40}),
        lever: parse_uncertain(0.5),
        param: scenario.parameters[0].value,
    }
    periods = [scenario.scenario.start, "2028Q1"]
    added = []
    for e, at in enumerate(periods):
        outcomes = [
            Outcome(id=f"win{e}_{k}", probability=parse_uncertain(0.3), sets=sets) for k in range(2)
        ]
        outcomes.append(Outcome(id=f"win{e}_rest", probability="rest", sets=sets))
        added.append(Election(id=f"vote{e}", country=actor, at=at, outcomes=outcomes, source=WHY))
    summit = Scheduled(
        id="bench_summit",
        at=["2026Q2", "2027Q2"],
        effects={state: parse_uncertain(0.05)},
        sets={f"preference.{actor}.{issue.id}": parse_uncertain(50.0)},
    )
    return scenario.model_copy(
        update={
            "elections": [*scenario.elections, *added],
            "schedule": [*scenario.schedule, summit],
        }
    )


def signs(scenario: Any) -> Any:
    """Decoupling by three signs (at least two) and the cohesion index beside them."""
    old = scenario.decoupling
    state = [s.id for s in scenario.state[:3]]
    decoupling = Decoupling(
        signs=[
            DecouplingSign(id=f"sign{k}", when=f"{name} > 0.9", for_steps=2)
            for k, name in enumerate(state)
        ],
        combine={"at_least": 2},
        index=DecouplingIndex(
            when=old.when.text, for_steps=old.for_steps, threshold="param.decoupling_threshold"
        ),
        source=WHY,
    )
    return scenario.model_copy(update={"decoupling": decoupling})


def rates(models: dict[str, Model], passes: int, unchecked: set[str]) -> dict[str, float]:
    """Member-steps per second of each model, best of ``passes`` interleaved passes."""
    size = CHUNK_BLOCKS * BLOCK_SIZE
    prepared = {}
    for name, model in models.items():
        spec = model.policy("baseline")
        chunks = []
        for c in range(2):
            draws = Draws.block(model, 0, Block(c, c * size, size))
            chunks.append((draws.parameters(model, spec), draws.slots))
        prepared[name] = (model, spec, chunks)
        engine.simulate(model, spec, *chunks[0])  # warm-up
    best = dict.fromkeys(models, float("inf"))
    checks = (engine._first_bad, engine._all_finite)
    for _ in range(passes):
        for name, (model, spec, chunks) in prepared.items():
            if name in unchecked:
                engine._first_bad, engine._all_finite = (lambda *a: None), (lambda *a: True)
            start = time.process_time()  # CPU time: the machine is shared, wall time wanders
            for P, slots in chunks:
                engine.simulate(model, spec, P, slots)
            best[name] = min(best[name], time.process_time() - start)
            engine._first_bad, engine._all_finite = checks
    steps = {name: 2 * size * m.horizon for name, m in models.items()}
    return {name: steps[name] / seconds for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> None:
    """Measure each variant and print the table."""
    parser = argparse.ArgumentParser(description="the cost of issue 13's constructs")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    library = load_scenario("us-rok-2025")
    variants = {
        "linear path (as before issue 13)": linear_path(library),
        "saturating responses": saturating_only(library),
        "+ relaxing positions (the library)": library,
        "+ every rule fading": fading(library),
        "+ 2 elections, scheduled sets": elections(library),
        "+ 3 signs and the index": signs(library),
        "everything": signs(elections(fading(library))),
        "the library, checks off": library,
    }
    models = {name: compile_model(scenario) for name, scenario in variants.items()}
    measured = rates(models, 3 if args.quick else 15, {"the library, checks off"})
    reference = measured["linear path (as before issue 13)"]
    width = max(map(len, measured))
    members = 2 * CHUNK_BLOCKS * BLOCK_SIZE
    print(f"us-rok-2025, compromise, baseline, one core, {members:,} members, CPU time")
    print(f"{'variant'.ljust(width)}  member-steps/s  relative")
    for name, rate in measured.items():
        print(f"{name.ljust(width)}  {rate:>14,.0f}  {rate / reference:>7.0%}")


if __name__ == "__main__":
    main()
