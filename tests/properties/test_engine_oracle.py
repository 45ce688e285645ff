"""The vectorised engine equals the scalar oracle (docs/semantics.md) on random scenarios.

The oracle (:mod:`alliancesim.testing.oracle`) is written from the semantics alone; the
hand-computed cases at the end guard the oracle itself (and check the engine on them too).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
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
from alliancesim.testing import (
    compromise,
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
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    draws = draw_members(model, seed, MEMBERS, edge_share)
    for structure in structures_to_check(scenario):
        for policy in policies_to_check(scenario):
            assert_matches_oracle(model, policy, draws, text, structure)


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
    """The same with the median, eum, smp and nash models (positions move in eum and smp)."""
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    draws = draw_members(model, seed, MEMBERS, edge_share)
    for structure in structures_to_check(scenario)[:2]:
        for policy in policies_to_check(scenario):
            assert_matches_oracle(model, policy, draws, text, structure)


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

[[indicators]]
id = "gap"
expr = "trust.USA - fear.USA"

[decoupling]
when = "gap > 0.25"
for_steps = 2
"""


def test_hand_rule_relaxation_clipping() -> None:
    """Rules read the quantities before any rule moves them; relaxation uses the start value.

    fear (λ = 0.5, v* = 0.2, +0.1 a step):
      t1: 0.5 + 0.1 − 0.5·(0.5 − 0.2) = 0.45;  t2: 0.45 + 0.1 − 0.5·0.25 = 0.425;
      t3: 0.425 + 0.1 − 0.5·0.225 = 0.4125.
    trust (+0.25·step − fear at the start of the step, both summed before adding):
      t1: 0.9 + (0.25 − 0.5) = 0.65;  t2: 0.65 + (0.5 − 0.45) = 0.70;
      t3: 0.70 + (0.75 − 0.425) = 1.025 → clipped to 1.
    gap = trust − fear: 0.4, 0.2, 0.275, 0.5875; gap > 0.25 at t2 and t3, for 2 steps:
    decoupled from t3.
    """
    out = _oracle(RULE, "baseline", [[], [], []])
    assert out["fear.USA"] == _approx([0.5, 0.45, 0.425, 0.4125])
    assert out["trust.USA"] == _approx([0.9, 0.65, 0.70, 1.0])
    assert out["gap"] == _approx([0.4, 0.2, 0.275, 0.5875])
    assert out["decoupled"] == [0.0, 0.0, 0.0, 1.0]


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
       count 1, consulted 1, trust 0.6 − 0.2 = 0.4, then the rule adds 0.1·1 → 0.5.
       protest decides before cut acts (event.cut = count.cut = 0): does not happen.
    t2 (0.1, 0, 0, 0): cut is once and has happened: event 0, consulted 0, trust stays 0.5;
       protest is eligible now (count.cut = 1) and happens: event 1, count 1.
    Under ``inform`` (consult = 0.1) cut is not consulted at t1 (0.2 ≥ 0.1): trust 0.4, 0.4,
    and the alliance decouples at t1 (trust < 0.45).
    """
    out = _oracle(ACTION, "baseline", ACTION_SLOTS)
    assert out["event.cut"] == [0.0, 2.0, 0.0]
    assert out["count.cut"] == [0.0, 1.0, 1.0]
    assert out["consulted.cut"] == [0.0, 1.0, 0.0]
    assert out["trust.ROK.USA"] == _approx([0.6, 0.5, 0.5])
    assert out["event.protest"] == [0.0, 0.0, 1.0]
    assert out["count.protest"] == [0.0, 0.0, 1.0]
    assert out["decoupled"] == [0.0, 0.0, 0.0]
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
    """Outcome Σc·s·x / Σc·s with c·s = 100·0.5 = 50 and 50·1 = 50; a meeting moves ROK.

    baseline: the meeting is in 2025Q4 (step 2; listed twice, counted once).
      t1: outcome (50·80 + 50·20)/100 = 50; t2: outcome 50 (bargaining precedes the rules),
      then ROK's position 20 + 10·3 = 50.
    early: meetings at t1 and t2 (t2 added twice, counted once).
      t1: outcome 50, ROK → 50; t2: outcome (50·80 + 50·50)/100 = 65, ROK → 80.
    """
    out = _oracle(BARGAIN, "baseline", [[], []])
    assert out["issue.cost.outcome"] == _approx([10.0, 50.0, 50.0])
    assert out["position.ROK.cost"] == _approx([20.0, 20.0, 50.0])
    assert out["event.scm"] == [0.0, 0.0, 3.0]
    assert out["count.scm"] == [0.0, 0.0, 1.0]
    early = _oracle(BARGAIN, "early", [[], []])
    assert early["issue.cost.outcome"] == _approx([10.0, 50.0, 65.0])
    assert early["position.ROK.cost"] == _approx([20.0, 50.0, 80.0])
    assert early["count.scm"] == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "policy", "slots"),
    [
        (RULE, "baseline", [[], [], []]),
        (POISSON, "baseline", POISSON_SLOTS),
        (ACTION, "baseline", ACTION_SLOTS),
        (ACTION, "inform", ACTION_SLOTS),
        (BARGAIN, "baseline", [[], []]),
        (BARGAIN, "early", [[], []]),
    ],
    ids=["rule", "poisson", "action", "action-inform", "bargain", "bargain-early"],
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
