"""Bounded dynamics (issue 13): in every built-in scenario, under its structures and policies,
no state variable sits at a bound at the horizon in more than 2 % of members, unless it says
``at_bound = true`` with a source.

"At a bound" is within 1e-9 of its lower or upper bound. The check itself is shown to fail on
a runaway (a linear variable pushed steadily up) and to pass on the same variable saturating.
docs/library.md ("Bounded dynamics") gives the shares before issue 13 and now.
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.ensemble import simulate_members
from alliancesim.model import compile_model
from alliancesim.scenario import builtin_scenarios, load_scenario
from alliancesim.scenario.schema import Scenario
from alliancesim.structures import default_structures, parse_structure
from alliancesim.testing import load_scenario_text

AT_BOUND = 1e-9
"""How close to a bound counts as sitting at it."""
MOST = 0.02
"""The largest share of members that may sit at a bound at the horizon."""
MEMBERS = 400
SEED = 11


def bound_shares(
    scenario: Scenario, policy: str, structure: str = "seed", members: int = MEMBERS
) -> dict[str, float]:
    """Per state variable, the share of members within 1e-9 of a bound at the horizon."""
    model = compile_model(scenario)
    horizon = simulate_members(model, policy, members, SEED, structure)[-1]  # names × members
    shares = {}
    for state in scenario.state:
        low, high = state.bounds
        values = horizon[model.record_names.index(state.id)]
        at = (values <= low + AT_BOUND) | (values >= high - AT_BOUND)
        shares[state.id] = float(np.mean(at))
    return shares


@pytest.mark.parametrize("ident", builtin_scenarios())
def test_no_state_variable_sits_at_a_bound_unless_a_source_says_so(ident: str) -> None:
    scenario = load_scenario(ident)
    excused = {s.id for s in scenario.state if s.at_bound}
    for state in scenario.state:
        if state.at_bound:
            assert state.sources.get("at_bound") is not None, state.id
    for structure in structures_checked(scenario):
        for policy in scenario.policy_ids:
            shares = bound_shares(scenario, policy, structure)
            over = {k: v for k, v in shares.items() if v > MOST and k not in excused}
            assert not over, f"{ident} under {policy} ({structure}): at a bound {over}"


def structures_checked(scenario: Scenario) -> list[str]:
    """Every account at least once: the seed, each rival account alone, and every mechanism at
    its last account together (the factorial of the seed scenarios' accounts runs to 128)."""
    names = [s.name for s in default_structures(scenario)]
    if len(scenario.mechanisms) > 1:
        last = ",".join(f"{m.id}={m.accounts[-1].id}" for m in scenario.mechanisms)
        names.append(parse_structure(scenario, last).name)
    return list(dict.fromkeys(names))


RUNAWAY = """
[scenario]
id = "runaway"
title = "A perception pushed up every quarter"
start = "2025Q1"
horizon = 12

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[state]]
id = "fear.ROK"
initial = { low = 0.3, high = 0.7 }
relaxation = 0.05
response = "{response}"
sources = { response = "assumption: a test of the bound check" }

[[rules]]
id = "steady_push"
target = "fear.ROK"
driver = "1"
weight = 0.2

[decoupling]
when = "fear.ROK > 2"
"""


def test_the_bound_check_catches_a_runaway_and_passes_it_saturating() -> None:
    """By hand: linear, fear rises by 0.2 − 0.05·(fear − baseline) ≥ 0.185 a quarter, so from
    at least 0.3 it reaches 1 within four quarters in every member and stays clipped there.
    Saturating, the push is 0.2·(1 − fear): 1 − fear shrinks by at most a factor 0.8 a quarter
    (relaxation only widens it), so after 12 quarters it is still at least 0.3·0.8¹² ≈ 0.02."""
    linear = load_scenario_text(RUNAWAY.replace("{response}", "linear"))
    assert bound_shares(linear, "baseline") == {"fear.ROK": 1.0}
    saturating = load_scenario_text(RUNAWAY.replace("{response}", "saturating"))
    assert bound_shares(saturating, "baseline") == {"fear.ROK": 0.0}
