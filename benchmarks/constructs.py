"""What the constructs of issue 13 cost the engine: member-steps per second of ``simulate``
alone (one core, compromise bargaining, baseline policy) on ``us-rok-2025`` as the library
writes it, with each construct taken out, and from the library stripped of all of them with
each put back.

The constructs (each as the library uses it; the labels count them from the library):

- saturating responses (stripped: every response ``linear``);
- positions relaxing toward standing preferences (stripped: not relaxing);
- fading rules (stripped: no rule fades);
- the election (stripped: none);
- the scheduled events' effects and set-effects (stripped: events that only happen);
- decoupling by observable signs, their combination and the cohesion index (stripped: the
  older one-condition form, on the index's condition).

The stripped library keeps the rival structures' rules (every account's rules, those of the
accounts the seed's structure does not choose evaluated and gated to 0). Besides: the library
without those rules (the seed structure's alone), the library without the checks for values
that are not finite (replaced by no-ops), to price them, and the library with every rule
fading, to price a fading rule.

Variants are measured interleaved, best of several passes, in the process's CPU time (the
machine is shared: wall time wanders with the other processes' load, CPU time much less), on
the same chunks of members. ``--quick`` measures fewer passes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from alliancesim import engine
from alliancesim.draws import BLOCK_SIZE, Block, Draws
from alliancesim.ensemble import CHUNK_BLOCKS
from alliancesim.model import Model, compile_model
from alliancesim.scenario import load_scenario
from alliancesim.scenario.entries import Decoupling
from alliancesim.scenario.uncertain import parse_uncertain

WHY = "assumption: a benchmark variant"


def linear_responses(scenario: Any) -> Any:
    """Every state variable and issue responding linearly to rules."""
    state = [s.model_copy(update={"response": "linear"}) for s in scenario.state]
    issues = [
        i.model_copy(update={"response": "linear", "status_quo_response": "linear"})
        for i in scenario.issues
    ]
    return scenario.model_copy(update={"state": state, "issues": issues})


def still_positions(scenario: Any) -> Any:
    """No position relaxing toward its standing preference."""
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


def no_fading(scenario: Any) -> Any:
    """No rule fading."""
    rules = [r.model_copy(update={"fades": None}) for r in scenario.rules]
    return scenario.model_copy(update={"rules": rules})


def no_elections(scenario: Any) -> Any:
    """No election."""
    return scenario.model_copy(update={"elections": []})


def plain_schedule(scenario: Any) -> Any:
    """Scheduled events that happen (their event and count) but add and set nothing."""
    schedule = [s.model_copy(update={"effects": {}, "sets": {}}) for s in scenario.schedule]
    return scenario.model_copy(update={"schedule": schedule})


def one_condition(scenario: Any) -> Any:
    """Decoupling in the older form: one condition (the cohesion index's) held for its steps,
    no signs, no index reported beside it."""
    index = scenario.decoupling.index
    decoupling = Decoupling(when=index.when.text, for_steps=index.for_steps, source=WHY)
    return scenario.model_copy(update={"decoupling": decoupling})


def seed_rules_only(scenario: Any) -> Any:
    """Only the rules of the seed's structure (every mechanism's first account), not gated."""
    seed = _seed(scenario)
    rules = [
        r.model_copy(update={"account": None})
        for r in scenario.rules
        if r.account is None or r.account in seed
    ]
    return scenario.model_copy(update={"rules": rules})


def every_rule_fading(scenario: Any) -> Any:
    """Every rule transient, taken back at 0.3 a step (a fading rule's own rate if it has one)."""
    rules = [
        r if r.fades is not None else r.model_copy(update={"fades": parse_uncertain(0.3)})
        for r in scenario.rules
    ]
    return scenario.model_copy(update={"rules": rules})


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def constructs(library: Any) -> dict[str, tuple[str, Callable[[Any], Any]]]:
    """Each construct stripped: (what the library has of it, the change that takes it out)."""
    d = library.decoupling
    outcomes = sum(len(e.outcomes) for e in library.elections)
    effects = sum(len(s.effects) for s in library.schedule)
    sets = sum(len(s.sets) for s in library.schedule)
    fading = sum(r.fades is not None for r in library.rules)
    fading_rivals = sum(
        r.fades is not None and r.account is not None and r.account not in _seed(library)
        for r in library.rules
    )
    return {
        "saturating": ("saturating responses", linear_responses),
        "relaxing": ("positions relaxing", still_positions),
        "fading": (
            f"{_count(fading, 'fading rule')} ({fading_rivals} of them rival accounts')",
            no_fading,
        ),
        "election": (
            f"{_count(len(library.elections), 'election')} ({outcomes} outcomes)",
            no_elections,
        ),
        "schedule": (
            f"the scheduled events' {_count(effects, 'effect')} and {_count(sets, 'set-effect')}",
            plain_schedule,
        ),
        "signs": (
            f"{len(d.signs)} decoupling signs (at least {d.at_least}) and the index",
            one_condition,
        ),
    }


def _seed(library: Any) -> set[str]:
    """The accounts of the seed's structure (every mechanism's first)."""
    return {f"{m.id}.{m.accounts[0].id}" for m in library.mechanisms}


def variants(library: Any) -> dict[str, Any]:
    """The scenarios measured, by label: the stripped library and each construct put back, the
    library, the library with each construct taken out, and the pricing variants."""
    table = constructs(library)

    def without(names: set[str]) -> Any:
        scenario = library
        for name, (_, strip) in table.items():
            if name in names:
                scenario = strip(scenario)
        return scenario

    every = set(table)
    out = {STRIPPED: without(every)}
    for name, (label, _) in table.items():
        out[f"stripped + {label}"] = without(every - {name})
    out[LIBRARY] = library
    out[UNCHECKED] = library
    for name, (label, _) in table.items():
        out[f"the library − {label}"] = without({name})
    rivals = sum(r.account is not None and r.account not in _seed(library) for r in library.rules)
    out[f"the library − the rival accounts' {rivals} rules"] = seed_rules_only(library)
    out[f"the library, all {len(library.rules)} rules fading"] = every_rule_fading(library)
    return out


STRIPPED = "stripped: the library without any of the constructs below"
LIBRARY = "the library (every construct)"
UNCHECKED = "the library, checks for values that are not finite off"


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
    parser = argparse.ArgumentParser(description="the cost of the model's constructs")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    library = load_scenario("us-rok-2025")
    models = {name: compile_model(scenario) for name, scenario in variants(library).items()}
    passes = 3 if args.quick else 15
    measured = rates(models, passes, {UNCHECKED})
    stripped, full = measured[STRIPPED], measured[LIBRARY]
    width = max(map(len, measured))
    members = 2 * CHUNK_BLOCKS * BLOCK_SIZE
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"us-rok-2025, compromise, baseline, one core, {members:,} members × "
        f"{models[LIBRARY].horizon} steps, CPU time, best of {passes} interleaved passes; "
        f"load average {load}"
    )
    print(f"{'variant'.ljust(width)}  member-steps/s  vs stripped  vs library")
    for name, rate in measured.items():
        print(
            f"{name.ljust(width)}  {rate:>14,.0f}  {rate / stripped:>11.0%}  {rate / full:>10.0%}"
        )


if __name__ == "__main__":
    main()
