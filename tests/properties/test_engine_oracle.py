"""The vectorised engine equals the scalar oracle (docs/semantics.md) on random scenarios.

The oracle (:mod:`alliancesim.testing.oracle`) is written from the semantics alone; the
hand-computed cases at the end guard the oracle itself (and check the engine on them too).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from oracle_support import (
    Draws,
    assert_matches_oracle,
    draw_members,
    n_slots,
    policies_to_check,
    structures_to_check,
)

from alliancesim.model import compile_model
from alliancesim.scenario.schema import Scenario
from alliancesim.testing import (
    compromise,
    election_outcome,
    evaluate,
    load_scenario_text,
    poisson_count,
    scenario_texts,
    simulate_member,
)

# Bargaining: the oracle implements ``compromise`` itself (the main test) and delegates the other
# models to alliancesim.bargaining.bargaining_round with one member, one call per member, step
# and issue; those run on fewer, shorter scenarios (eum, smp and nash take milliseconds a call).
OWN_MODELS = ("compromise",)
DELEGATED_MODELS = ("median", "eum", "smp", "nash")

MEMBERS = 3


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    text=scenario_texts(models=OWN_MODELS),
    seed=st.integers(0, 2**32 - 1),
    edge_share=st.sampled_from([0.0, 0.0, 0.1, 0.4]),
)
def test_engine_equals_oracle(text: str, seed: int, edge_share: float) -> None:
    """Every recorded name, step, member, policy (and one combination) and structure agree to
    1e-12."""
    assert_engine_equals_oracle(text, seed, edge_share)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    text=scenario_texts(models=DELEGATED_MODELS, max_horizon=4),
    seed=st.integers(0, 2**32 - 1),
    edge_share=st.sampled_from([0.0, 0.1]),
)
def test_engine_equals_oracle_with_other_bargaining_models(
    text: str, seed: int, edge_share: float
) -> None:
    """The same with the median, eum, smp and nash models (positions move in eum and smp, and
    are kept on the issue's scale after every round)."""
    assert_engine_equals_oracle(text, seed, edge_share, structures=2)


def assert_engine_equals_oracle(
    text: str, seed: int, edge_share: float, structures: int | None = None
) -> None:
    """Engine and oracle agree on :data:`MEMBERS` members of scenario ``text`` under every policy
    to check and its first ``structures`` structures to check (all by default); the scenario's
    constructs go to hypothesis' statistics."""
    scenario = load_scenario_text(text)
    for construct in constructs_used(scenario):
        event(construct)
    model = compile_model(scenario)
    draws = draw_members(model, seed, MEMBERS, edge_share)
    for structure in structures_to_check(scenario)[:structures]:
        for policy in policies_to_check(scenario):
            assert_matches_oracle(model, policy, draws, text, structure)


def constructs_used(scenario: Scenario) -> list[str]:
    """The constructs of issue 13 a scenario uses, its rival accounts included (for
    hypothesis' statistics and the check that the strategies generate each of them)."""
    d = scenario.decoupling
    used = {
        "saturating state": any(s.response == "saturating" for s in scenario.state),
        "linear state": any(s.response == "linear" for s in scenario.state),
        "relaxing positions": any(
            not (i.relaxation.is_fixed and i.relaxation.mean == 0.0)
            or any(st.relaxation is not None for st in i.positions.values())
            for i in scenario.issues
        ),
        "fading rule": any(r.fades is not None for r in scenario.rules),
        "scheduled effects": any(s.effects for s in scenario.schedule),
        "set-effects": any(a.sets for a in [*scenario.schedule, *scenario.actions]),
        "set preference": any(
            t.startswith("preference.")
            for a in [*scenario.schedule, *scenario.actions, *outcomes(scenario)]
            for t in a.sets
        ),
        "set parameter": any(
            t.startswith(("param.", "policy."))
            for a in [*scenario.schedule, *scenario.actions, *outcomes(scenario)]
            for t in a.sets
        ),
        "election": bool(scenario.elections),
        "election with rest": any(e.outcomes[-1].is_rest for e in scenario.elections),
        "decoupling signs": bool(d.signs),
        "at_least": d.at_least > 1,
        "cohesion index": d.index is not None,
        "rival accounts": bool(scenario.mechanisms),
        "fading rule of an account": any(
            r.fades is not None and r.account is not None for r in scenario.rules
        ),
    }
    return [name for name, present in used.items() if present]


def outcomes(scenario: Scenario) -> list[Any]:
    """Every election outcome of the scenario."""
    return [o for e in scenario.elections for o in e.outcomes]


def test_the_strategies_generate_every_construct() -> None:
    """Among 300 generated scenarios, each construct of issue 13 appears (in one also with EUM
    and SMP issues, whose positions move)."""
    seen: Counter[str] = Counter()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(text=scenario_texts(models=("compromise", "eum", "smp"), max_horizon=4))
    def count(text: str) -> None:
        scenario = load_scenario_text(text)
        seen.update(constructs_used(scenario))
        if any(i.model in ("eum", "smp") for i in scenario.issues):
            seen["moving positions"] += 1

    count()
    expected = {
        "saturating state",
        "linear state",
        "relaxing positions",
        "fading rule",
        "scheduled effects",
        "set-effects",
        "set preference",
        "set parameter",
        "election",
        "election with rest",
        "decoupling signs",
        "at_least",
        "cohesion index",
        "rival accounts",
        "fading rule of an account",
        "moving positions",
    }
    assert {name for name, n in seen.items() if n >= 10} == expected, seen


# --------------------------------------------------------------------------------------------
# hand-computed cases


def _oracle(text: str, policy: str, slots: list[list[float]]) -> dict[str, list[float]]:
    """The oracle's records for one member of a scenario whose parameters are all fixed."""
    return simulate_member(load_scenario_text(text), policy, {}, slots)


def _approx(values: list[float]) -> object:
    return pytest.approx(values, rel=1e-12, abs=1e-12)


RULE = """
[scenario]
id = "hand-rule"
title = "rules, relaxation, clipping, indicator, decoupling"
start = "2025Q3"
horizon = 3

[[actors]]
id = "USA"
name = "United States"
capability = 1

[[state]]
id = "fear.USA"
initial = 0.5
baseline = 0.2
relaxation = 0.5

[[state]]
id = "trust.USA"
initial = 0.9

[[rules]]
id = "push"
target = "fear.USA"
driver = "1"
weight = 0.1

[[rules]]
id = "lift"
target = "trust.USA"
driver = "step"
weight = 0.25

[[rules]]
id = "drag"
target = "trust.USA"
driver = "fear.USA"
weight = -1

[[state]]
id = "resolve.USA"
initial = 0.9
response = "linear"
sources = { response = "assumption: a hand-computed case of a linear response" }

[[rules]]
id = "stiffen"
target = "resolve.USA"
driver = "1"
weight = 0.0625

[[indicators]]
id = "gap"
expr = "trust.USA - fear.USA"

[decoupling]
when = "gap > 0.25"
for_steps = 2
"""


def test_hand_rule_relaxation_clipping() -> None:
    """Rules read the quantities before any rule moves them; a saturating target moves by
    T·(hi − v₀)/(hi − lo) for a push T > 0 and T·(v₀ − lo)/(hi − lo) for T < 0, with v₀ its
    value at the start of the step; relaxation uses the start value too.

    fear ([0, 1], saturating, λ = 0.5, v* = 0.2, +0.1 a step):
      t1: 0.5 + 0.1·(1 − 0.5) − 0.5·(0.5 − 0.2) = 0.5 + 0.05 − 0.15 = 0.40;
      t2: 0.4 + 0.1·0.6 − 0.5·0.2 = 0.36;  t3: 0.36 + 0.1·0.64 − 0.5·0.16 = 0.344.
    trust ([0, 1], saturating; +0.25·step − fear at the start of the step, summed first):
      t1: T = 0.25 − 0.5 = −0.25 < 0: 0.9 − 0.25·0.9 = 0.675;
      t2: T = 0.5 − 0.4 = 0.1: 0.675 + 0.1·(1 − 0.675) = 0.7075;
      t3: T = 0.75 − 0.36 = 0.39: 0.7075 + 0.39·0.2925 = 0.821575 (never clipped).
    resolve ([0, 1], linear, +0.0625 a step): 0.9625, 1.025 → 1, 1.0625 → 1 (clipped).
    gap = trust − fear: 0.4, 0.275, 0.3475, 0.477575; gap > 0.25 from t1, for 2 steps:
    decoupled from t2.
    """
    out = _oracle(RULE, "baseline", [[], [], []])
    assert out["fear.USA"] == _approx([0.5, 0.4, 0.36, 0.344])
    assert out["trust.USA"] == _approx([0.9, 0.675, 0.7075, 0.821575])
    assert out["resolve.USA"] == _approx([0.9, 0.9625, 1.0, 1.0])
    assert out["gap"] == _approx([0.4, 0.275, 0.3475, 0.477575])
    assert out["decoupled"] == [0.0, 0.0, 1.0, 1.0]


POISSON = """
[scenario]
id = "hand-poisson"
title = "stochastic events"
start = "2025Q3"
horizon = 3

[[actors]]
id = "DPRK"
name = "North Korea"
capability = 1

[[state]]
id = "calm.DPRK"
initial = 0.5

[[events]]
id = "launch"
actor = "DPRK"
rate = 0.5
intensity = 2

[[events]]
id = "echo"
actor = "DPRK"
rate = "event.launch"
intensity = { low = 1, high = 3 }

[[events]]
id = "flood"
actor = "DPRK"
rate = 60

[decoupling]
when = "0"
"""


POISSON_SLOTS = [
    [0.7, 0.3, 0.5, 0.25, 0.5, 0.5],
    [0.95, 0.0, 0.6, 0.9, 0.5, 0.5],
    [0.1, 0.5, 0.999, 0.5, 0.5, 0.5],
]


def test_hand_poisson_events() -> None:
    """Occurrences are F⁻¹(u_occ) of Poisson(rate); later rates see earlier events' values.

    launch, r = 0.5: F₀ = e^−0.5 = 0.6065, F₁ = 0.9098, F₂ = 0.9856.
      t1 u = 0.7 → n = 1, event 1·2 = 2;  t2 u = 0.95 → n = 2, event 4;  t3 u = 0.1 → n = 0.
    echo, r = event.launch this step, intensity U(1, 3):
      t1 r = 2: F = 0.1353, 0.4060, 0.6767; u = 0.5 → n = 2; G⁻¹(0.25) = 1.5 → event 3.
      t2 r = 4: F = 0.0183, 0.0916, 0.2381, 0.4335, 0.6288; u = 0.6 → n = 4;
         G⁻¹(0.9) = 2.8 → event 11.2.
      t3 r = 0: F₀ = 1 > u = 0.999 → n = 0.
    flood, rate 60 capped at 50: the median of Poisson(50) is 50 (of Poisson(60): 60); u = 0.5
    (checked against scipy below).
    """
    from scipy import stats

    flood = int(stats.poisson.ppf(0.5, 50.0))
    assert flood == 50
    out = _oracle(POISSON, "baseline", POISSON_SLOTS)
    assert out["event.launch"] == _approx([0.0, 2.0, 4.0, 0.0])
    assert out["count.launch"] == [0.0, 1.0, 3.0, 3.0]
    assert out["event.echo"] == _approx([0.0, 3.0, 11.2, 0.0])
    assert out["count.echo"] == [0.0, 2.0, 6.0, 6.0]
    assert out["event.flood"] == [0.0, 50.0, 50.0, 50.0]
    assert out["count.flood"] == [0.0, 50.0, 100.0, 150.0]


ACTION = """
[scenario]
id = "hand-action"
title = "an action with consultation"
start = "2025Q3"
horizon = 2

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 30

[[levers]]
id = "consult"
value = 0.3

[[state]]
id = "trust.ROK.USA"
initial = 0.6

[[actions]]
id = "cut"
actor = "USA"
probability = 0.5
intensity = 2
consulted = "policy.consult"
effects = { "trust.ROK.USA" = -0.2 }

[[actions]]
id = "protest"
actor = "ROK"
when = "event.cut > 0 or count.cut > 0"
probability = 1
once = false

[[rules]]
id = "consultation_builds_trust"
target = "trust.ROK.USA"
driver = "consulted.cut"
weight = 0.1

[[policies]]
id = "inform"
label = "inform rather than consult"
set = { "policy.consult" = 0.1 }

[decoupling]
when = "trust.ROK.USA < 0.45"
"""


ACTION_SLOTS = [[0.4, 0.2, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0]]


def test_hand_action_with_consultation() -> None:
    """All actions decide on the quantities before any of them acts; consultation is drawn.

    Slots per step: (u_act, u_con) of cut, then of protest.
    t1 (0.4, 0.2, 0, 0): cut happens (0.4 < 0.5) and is consulted (0.2 < 0.3): event 2,
       count 1, consulted 1, trust 0.6 − 0.2 = 0.4 (an effect is never scaled), then the rule
       adds 0.1·1, saturating from the start-of-step value 0.6: 0.1·(1 − 0.6) = 0.04 → 0.44.
       protest decides before cut acts (event.cut = count.cut = 0): does not happen.
    t2 (0.1, 0, 0, 0): cut is once and has happened: event 0, consulted 0, trust stays 0.44;
       protest is eligible now (count.cut = 1) and happens: event 1, count 1.
    trust < 0.45 from t1: decoupled. Under ``inform`` (consult = 0.1) cut is not consulted at
    t1 (0.2 ≥ 0.1): trust 0.4, 0.4, decoupled from t1 too.
    """
    out = _oracle(ACTION, "baseline", ACTION_SLOTS)
    assert out["event.cut"] == [0.0, 2.0, 0.0]
    assert out["count.cut"] == [0.0, 1.0, 1.0]
    assert out["consulted.cut"] == [0.0, 1.0, 0.0]
    assert out["trust.ROK.USA"] == _approx([0.6, 0.44, 0.44])
    assert out["event.protest"] == [0.0, 0.0, 1.0]
    assert out["count.protest"] == [0.0, 0.0, 1.0]
    assert out["decoupled"] == [0.0, 1.0, 1.0]
    inform = _oracle(ACTION, "inform", ACTION_SLOTS)
    assert inform["consulted.cut"] == [0.0, 0.0, 0.0]
    assert inform["trust.ROK.USA"] == _approx([0.6, 0.4, 0.4])
    assert inform["decoupled"] == [0.0, 1.0, 1.0]


BARGAIN = """
[scenario]
id = "hand-bargain"
title = "compromise bargaining and scheduled events"
start = "2025Q3"
horizon = 2

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 50

[[issues]]
id = "cost"
label = "cost sharing"
ends = ["2025 payment", "U.S. demand"]
status_quo = 10
model = "compromise"
positions = { USA = { position = 80, salience = 0.5 }, ROK = { position = 20, salience = 1.0 } }

[[state]]
id = "calm.ROK"
initial = 0.5

[[schedule]]
id = "scm"
at = ["2025Q4", "2025Q4"]
intensity = 3

[[rules]]
id = "concede"
target = "position.ROK.cost"
driver = "event.scm"
weight = 10

[[policies]]
id = "early"
label = "an early meeting"
schedule = [{ event = "scm", at = "2025Q3" }, { event = "scm", at = "2025Q4" }]

[decoupling]
when = "0"
"""


def test_hand_bargaining_and_schedule() -> None:
    """Outcome Σc·s·x / Σc·s with c·s = 100·0.5 = 50 and 50·1 = 50; a meeting moves ROK, its
    position saturating on 0–100 (a push of 30 from v₀ moves it by 30·(100 − v₀)/100).

    baseline: the meeting is in 2025Q4 (step 2; listed twice, counted once).
      t1: outcome (50·80 + 50·20)/100 = 50; t2: outcome 50 (bargaining precedes the rules),
      then ROK's position 20 + 30·0.8 = 44.
    early: meetings at t1 and t2 (t2 added twice, counted once).
      t1: outcome 50, ROK → 44; t2: outcome (50·80 + 50·44)/100 = 62, ROK → 44 + 30·0.56 = 60.8.
    """
    out = _oracle(BARGAIN, "baseline", [[], []])
    assert out["issue.cost.outcome"] == _approx([10.0, 50.0, 50.0])
    assert out["position.ROK.cost"] == _approx([20.0, 20.0, 44.0])
    assert out["event.scm"] == [0.0, 0.0, 3.0]
    assert out["count.scm"] == [0.0, 0.0, 1.0]
    early = _oracle(BARGAIN, "early", [[], []])
    assert early["issue.cost.outcome"] == _approx([10.0, 50.0, 62.0])
    assert early["position.ROK.cost"] == _approx([20.0, 44.0, 60.8])
    assert early["count.scm"] == [0.0, 1.0, 2.0]


RELAX = """
[scenario]
id = "hand-relax"
title = "positions relax toward standing preferences"
start = "2025Q3"
horizon = 3

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 50

[[issues]]
id = "cost"
label = "cost sharing"
ends = ["2025 payment", "U.S. demand"]
status_quo = 10
relaxation = 0.5

[issues.positions.USA]
position = 80
salience = 0.5

[issues.positions.ROK]
position = 20
salience = 1.0
relaxation = 0.25

[[state]]
id = "calm.ROK"
initial = 0.5

[[schedule]]
id = "talks"
at = "2025Q3"
effects = { "position.USA.cost" = -60 }
sets = { "preference.ROK.cost" = 60 }

[[indicators]]
id = "pull"
expr = "preference.ROK.cost"

[decoupling]
when = "0"
"""


def test_hand_positions_relax_toward_preferences() -> None:
    """A position relaxes from its start-of-step value toward its standing preference (as it is
    now): p ← p − λ·(p₀ − preference), λ the stance's own (ROK: 0.25) or the issue's (USA: 0.5);
    a preference starts at the drawn position and changes only through set-effects.

    t1: talks: USA 80 − 60 = 20 (an effect, applied in step 1, before bargaining), ROK's
        preference set to 60; outcome (50·20 + 50·20)/100 = 20; USA 20 − 0.5·(80 − 80) = 20;
        ROK 20 − 0.25·(20 − 60) = 30.
    t2: outcome (20 + 30)/2 = 25; USA 20 − 0.5·(20 − 80) = 50; ROK 30 − 0.25·(30 − 60) = 37.5.
    t3: outcome (50 + 37.5)/2 = 43.75; USA 50 + 0.5·30 = 65; ROK 37.5 + 0.25·22.5 = 43.125.
    """
    out = _oracle(RELAX, "baseline", [[], [], []])
    assert out["position.USA.cost"] == _approx([80.0, 20.0, 50.0, 65.0])
    assert out["position.ROK.cost"] == _approx([20.0, 30.0, 37.5, 43.125])
    assert out["issue.cost.outcome"] == _approx([10.0, 20.0, 25.0, 43.75])
    assert out["pull"] == _approx([20.0, 60.0, 60.0, 60.0])


FADES = """
[scenario]
id = "hand-fades"
title = "a transient impulse, saturating and linear targets"
start = "2025Q3"
horizon = 4

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[state]]
id = "anger.ROK"
initial = 0.2
response = "linear"
sources = { response = "assumption: a hand-computed case of a linear response" }

[[state]]
id = "fear.ROK"
initial = 0.5

[[state]]
id = "tension.ROK"
bounds = [-1, 1]
initial = 0.5

[[schedule]]
id = "slight"
at = "2025Q3"

[[rules]]
id = "anger_from_slight"
target = "anger.ROK"
driver = "event.slight"
weight = 0.4
fades = 0.5

[[rules]]
id = "fear_from_slight"
target = "fear.ROK"
driver = "event.slight"
weight = 0.4
fades = 0.5

[[rules]]
id = "escalation"
target = "tension.ROK"
driver = "1"
weight = 1

[decoupling]
when = "0"
"""


def test_hand_fading_rules_and_saturation() -> None:
    """A fading rule adds d = c − f·I and keeps I ← I + d: a one-off push c is taken back at
    the rate f per step, whatever the target's own relaxation (here 0).

    anger (linear): c = 0.4 at t1 only, f = 0.5: d = 0.4, −0.2, −0.1, −0.05:
      0.2 → 0.6, 0.4, 0.3, 0.25 (back toward 0.2).
    fear (saturating on [0, 1]), the same amounts scaled from the start-of-step value:
      t1 0.5 + 0.4·0.5 = 0.7; t2 0.7 − 0.2·0.7 = 0.56; t3 0.56 − 0.1·0.56 = 0.504;
      t4 0.504 − 0.05·0.504 = 0.4788 (the give-back is scaled too: not exactly back to 0.5).
    tension (saturating on [−1, 1], +1 a step): 0.5 + 1·(1 − 0.5)/2 = 0.75, 0.875, 0.9375,
      0.96875.
    """
    out = _oracle(FADES, "baseline", [[]] * 4)
    assert out["anger.ROK"] == _approx([0.2, 0.6, 0.4, 0.3, 0.25])
    assert out["fear.ROK"] == _approx([0.5, 0.7, 0.56, 0.504, 0.4788])
    assert out["tension.ROK"] == _approx([0.5, 0.75, 0.875, 0.9375, 0.96875])


SETS = """
[scenario]
id = "hand-sets"
title = "set-effects of a scheduled event and an action"
start = "2025Q3"
horizon = 2

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 30

[[levers]]
id = "consult"
value = 0.25

[[state]]
id = "trust.ROK.USA"
initial = 0.5
response = "linear"
sources = { response = "assumption: a hand-computed case of a linear response" }

[[schedule]]
id = "summit"
at = "2025Q3"
effects = { "trust.ROK.USA" = 0.25 }
sets = { "policy.consult" = 0.75 }

[[actions]]
id = "pledge"
actor = "USA"
when = "policy.consult > 0.5"
probability = 1
effects = { "trust.ROK.USA" = -0.25 }
sets = { "trust.ROK.USA" = 0.625 }

[[rules]]
id = "warmth"
target = "trust.ROK.USA"
driver = "policy.consult"
weight = 0.125

[[indicators]]
id = "consultation"
expr = "policy.consult"

[decoupling]
when = "0"
"""


def test_hand_set_effects() -> None:
    """A scheduled event's effects then sets apply in step 1; an action's effects then sets in
    step 4 (a set wins over an add); a set lever holds from then on.

    t1: summit: trust 0.5 + 0.25 = 0.75, consult set to 0.75; pledge is eligible (0.75 > 0.5)
        and happens: trust 0.75 − 0.25 = 0.5, then set to 0.625; the rule adds
        0.125·0.75 = 0.09375 → 0.71875.
    t2: pledge happened (once); consult stays 0.75: trust 0.71875 + 0.09375 = 0.8125.
    """
    slots = [[0.5, 0.5], [0.5, 0.5]]
    out = _oracle(SETS, "baseline", slots)
    assert out["trust.ROK.USA"] == _approx([0.5, 0.71875, 0.8125])
    assert out["consultation"] == _approx([0.25, 0.75, 0.75])
    assert out["count.pledge"] == [0.0, 1.0, 1.0]


ELECTIONS = """
[scenario]
id = "hand-elections"
title = "elections: outcomes, rest, normalisation, sets"
start = "2025Q3"
horizon = 2

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 50

[[parameters]]
id = "resolve"
value = 0

[[issues]]
id = "china"
label = "alignment against China"
ends = ["balance", "align"]
status_quo = 50
relaxation = 0.5

[issues.positions.ROK]
position = 40
salience = 1

[[state]]
id = "calm.ROK"
initial = 0.5

[[elections]]
id = "rok_2027"
country = "ROK"
at = "2025Q4"

[[elections.outcomes]]
id = "hawk"
probability = 0.25
sets = { "position.ROK.china" = 80, "preference.ROK.china" = 80, "param.resolve" = 2 }

[[elections.outcomes]]
id = "dove"
probability = 0.5
sets = { "preference.ROK.china" = 20 }

[[elections.outcomes]]
id = "caretaker"
probability = "rest"

[[elections]]
id = "usa_2028"
country = "USA"
at = "2025Q3"

[[elections.outcomes]]
id = "left"
probability = 0.9

[[elections.outcomes]]
id = "right"
probability = 0.6

[[elections]]
id = "referendum"
country = "ROK"
at = "2025Q3"

[[elections.outcomes]]
id = "yes"
probability = 0.4

[[indicators]]
id = "resolve"
expr = "param.resolve"

[decoupling]
when = "0"
"""


@pytest.mark.parametrize(
    ("u", "chosen", "position", "resolve"),
    [
        (0.1, "hawk", [40.0, 40.0, 80.0], 2.0),
        (0.5, "dove", [40.0, 40.0, 30.0], 0.0),
        (0.8, "caretaker", [40.0, 40.0, 40.0], 0.0),
    ],
)
def test_hand_elections(u: float, chosen: str, position: list[float], resolve: float) -> None:
    """An election draws its outcome at its step from its own slot (after the actions' slots):
    the first outcome k with u < S_k / max(S_n, 1); a ``rest`` outcome takes what is left.

    rok_2027 (step 2): hawk 0.25, dove 0.5, caretaker rest: thresholds 0.25, 0.75, 1.
      hawk: ROK's position and preference set to 80, param.resolve to 2;
      dove: the preference set to 20: the position relaxes from 40 by 0.5·(40 − 20) → 30;
      caretaker: nothing set.
    usa_2028 (step 1): 0.9 and 0.6 sum to 1.5: thresholds 0.6, 1: u = 0.7 → right.
    referendum (step 1): yes 0.4 and no rest: u = 0.7 → nothing happens.
    """
    slots = [[0.5, 0.7, 0.7], [u, 0.7, 0.7]]
    out = _oracle(ELECTIONS, "baseline", slots)
    for outcome in ("hawk", "dove", "caretaker"):
        expected = 1.0 if outcome == chosen else 0.0
        assert out[f"event.{outcome}"] == [0.0, 0.0, expected]
        assert out[f"count.{outcome}"] == [0.0, 0.0, expected]
    assert out["event.right"] == [0.0, 1.0, 0.0]
    assert out["count.right"] == [0.0, 1.0, 1.0]
    assert out["count.left"] == [0.0, 0.0, 0.0]
    assert out["count.yes"] == [0.0, 0.0, 0.0]
    assert out["position.ROK.china"] == _approx(position)
    assert out["resolve"] == [0.0, 0.0, resolve]
    assert (
        election_outcome(
            load_scenario_text(ELECTIONS).elections[1],
            {
                "elections.usa_2028.outcomes.left.probability": 0.9,
                "elections.usa_2028.outcomes.right.probability": 0.6,
            },
            0.5,
        ).id
        == "left"
    )


SIGNS = """
[scenario]
id = "hand-signs"
title = "observable decoupling: signs, their combination and the index"
start = "2025Q3"
horizon = 4

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[parameters]]
id = "threshold"
value = 0.55

[[state]]
id = "trust.USA"
initial = 0.75
response = "linear"
sources = { response = "assumption: a hand-computed case of a linear response" }

[[rules]]
id = "erosion"
target = "trust.USA"
driver = "1"
weight = -0.125

[[schedule]]
id = "cut"
at = "2025Q4"

[decoupling]
combine = { at_least = 2 }

[[decoupling.signs]]
id = "withdrawal"
when = "count.cut > 0"

[[decoupling.signs]]
id = "distrust"
when = "trust.USA < 0.5"
for_steps = 2

[decoupling.index]
when = "trust.USA < param.threshold"
threshold = "param.threshold"
"""


def test_hand_decoupling_signs() -> None:
    """Each sign is seen once its condition has held for its for_steps; the alliance decouples
    when at least N signs have been seen; the index is recorded on its own.

    trust: 0.625, 0.5, 0.375, 0.25. withdrawal: the cut at t2, seen from t2. distrust
    (trust < 0.5 for 2 steps): holds at t3, t4, seen from t4. At least 2: decoupled from t4.
    index (trust < 0.55, 1 step): seen from t2.
    """
    out = _oracle(SIGNS, "baseline", [[]] * 4)
    assert out["decoupled.withdrawal"] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert out["decoupled.distrust"] == [0.0, 0.0, 0.0, 0.0, 1.0]
    assert out["decoupled.index"] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert out["decoupled"] == [0.0, 0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("text", "policy", "slots"),
    [
        (RULE, "baseline", [[], [], []]),
        (POISSON, "baseline", POISSON_SLOTS),
        (ACTION, "baseline", ACTION_SLOTS),
        (ACTION, "inform", ACTION_SLOTS),
        (BARGAIN, "baseline", [[], []]),
        (BARGAIN, "early", [[], []]),
        (RELAX, "baseline", [[], [], []]),
        (FADES, "baseline", [[]] * 4),
        (SETS, "baseline", [[0.5, 0.5], [0.5, 0.5]]),
        (ELECTIONS, "baseline", [[0.5, 0.7, 0.7], [0.1, 0.7, 0.7]]),
        (ELECTIONS, "baseline", [[0.5, 0.7, 0.7], [0.5, 0.7, 0.7]]),
        (ELECTIONS, "baseline", [[0.5, 0.7, 0.7], [0.8, 0.7, 0.7]]),
        (SIGNS, "baseline", [[]] * 4),
    ],
    ids=[
        "rule",
        "poisson",
        "action",
        "action-inform",
        "bargain",
        "bargain-early",
        "relax",
        "fades",
        "sets",
        "election-hawk",
        "election-dove",
        "election-caretaker",
        "signs",
    ],
)
def test_engine_on_hand_cases(text: str, policy: str, slots: list[list[float]]) -> None:
    """The engine gives the hand-computed values (through the oracle, checked above)."""
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    rows = [int(r) for r in model.uncertain_rows(scenario.policy_ids)]
    slot_array = np.asarray(slots, dtype=np.float64).reshape(len(slots), n_slots(scenario), 1)
    draws = Draws(rows, np.full((len(rows), 1), 0.5), slot_array)
    assert_matches_oracle(model, policy, draws, text)


# --------------------------------------------------------------------------------------------
# the oracle's pieces


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 / 0", 0.0),
        ("0 / 0", 0.0),
        ("6 / 4", 1.5),
        ("log(0)", math.log(1e-300)),
        ("log(-5)", math.log(1e-300)),
        ("sqrt(-4)", 0.0),
        ("exp(800)", math.exp(700.0)),
        ("not 0.5", 0.0),
        ("not 0", 1.0),
        ("1 < 2 < 3", 1.0),
        ("3 > 2 > 2", 0.0),
        ("2 and 0.5", 1.0),
        ("0 or -3", 1.0),
        ("0 and 1 or 0", 0.0),
        ("7 if 0 else 8", 8.0),
        ("min(3, 1, 2)", 1.0),
        ("max(-1, -2)", -1.0),
        ("clip(5, 0, 1)", 1.0),
        ("clip(-5, 0, 1)", 0.0),
        ("abs(-2)", 2.0),
        ("(-2) ** 3", -8.0),
        ("4 ** 0.5", 2.0),
        ("2 ** -1", 0.5),
        ("True + 1", 2.0),
    ],
)
def test_expression_rules(text: str, value: float) -> None:
    """Truth and arithmetic as in docs/semantics.md."""
    from alliancesim.expr import parse_expression

    assert evaluate(parse_expression(text), {}) == pytest.approx(value, rel=1e-15)


@settings(max_examples=200, deadline=None)
@given(rate=st.floats(0.0, 50.0), u=st.floats(0.0, 1.0, exclude_max=True))
def test_poisson_count_is_the_poisson_quantile(rate: float, u: float) -> None:
    """F⁻¹(u) agrees with scipy's Poisson quantile away from ties of u with F."""
    from scipy import stats

    n = poisson_count(rate, u)
    q = int(stats.poisson.ppf(u, rate)) if u > 0 else 0
    if n != q:  # only where u lies within rounding of a cumulative probability
        assert abs(stats.poisson.cdf(min(n, q), rate) - u) < 1e-9


def test_compromise_without_salience() -> None:
    """Σ c·s = 0: docs/semantics.md does not define the outcome (see the oracle's docstring).

    By default the status quo, as alliancesim.bargaining documents; optionally the plain mean.
    """
    positions, outcome = compromise([10.0, 40.0], [1.0, 5.0], [0.0, 0.0], 70.0)
    assert positions == [10.0, 40.0]
    assert outcome == 70.0
    _, mean = compromise([10.0, 40.0], [1.0, 5.0], [0.0, 0.0], 70.0, no_salience="mean")
    assert mean == 25.0
    _, weighted = compromise([10.0, 40.0], [1.0, 5.0], [1.0, 0.2], 70.0)
    assert weighted == 25.0  # c·s = 1 and 1


CONFLICT = """
[scenario]
id = "hand-conflict"
title = "two policies that cannot be combined"
start = "2025Q3"
horizon = 1

[[actors]]
id = "USA"
name = "United States"
capability = 1

[[levers]]
id = "consult"
value = 0.2

[[state]]
id = "trust.USA"
initial = 0.5

[[policies]]
id = "often"
label = "consult often"
set = { "policy.consult" = { low = 0.6, high = 0.9 } }

[[policies]]
id = "always"
label = "consult always"
set = { "policy.consult" = 1.0 }

[decoupling]
when = "policy.consult < 0.5"
"""


def test_oracle_policies_and_common_draws() -> None:
    """A replaced parameter is evaluated at the member's own draw; conflicting sets fail.

    ``often`` turns the fixed 0.2 into U(0.6, 0.9): at the draw 0.5 it is 0.75. ``always``
    sets 1. ``often+always`` sets one parameter to two values and cannot be combined.
    """
    from alliancesim.testing import member_parameters

    scenario = load_scenario_text(CONFLICT)
    unit = {"policy.consult": 0.5}
    assert member_parameters(scenario, "baseline", unit)["policy.consult"] == 0.2
    assert member_parameters(scenario, "often", unit)["policy.consult"] == pytest.approx(0.75)
    assert member_parameters(scenario, "baseline+always", unit)["policy.consult"] == 1.0
    assert simulate_member(scenario, "baseline", unit, [[]])["decoupled"] == [0.0, 1.0]
    assert simulate_member(scenario, "often", unit, [[]])["decoupled"] == [0.0, 0.0]
    with pytest.raises(ValueError, match="differently"):
        simulate_member(scenario, "often+always", unit, [[]])
