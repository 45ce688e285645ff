"""A value that is not finite stops the simulation (issue 17, item 4; docs/semantics.md, "Values
that are not finite"): the engine and the oracle stop at the same step, entry and field, in a
member the engine names, whatever expression breaks down.

Generated scenarios are finite by design; here one expression of a generated scenario (a rule's
driver or gate, an indicator, an event's rate, an action's ``when`` or ``consulted``, a
decoupling condition) is replaced by one that gives NaN or ∞ from a drawn step on, where a drawn
condition holds, and its own value elsewhere.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_support import (
    assert_matches_oracle,
    draw_members,
    engine_run,
    oracle_failure,
    policies_to_check,
)

from alliancesim.errors import SimulationError
from alliancesim.model import compile_model
from alliancesim.testing import load_scenario_text, scenario_texts, to_toml

BROKEN = {
    "nan": "(exp(700) * exp(700) - exp(700) * exp(700))",
    "inf": "(exp(700) * exp(700))",
    "-inf": "(0 - exp(700) * exp(700))",
}

# where an expression may be replaced: (section, field)
FIELDS = (
    ("rules", "driver"),
    ("rules", "gate"),
    ("indicators", "expr"),
    ("events", "rate"),
    ("actions", "when"),
    ("actions", "consulted"),
    ("decoupling", "when"),
    ("signs", "when"),
    ("index", "when"),
)


def _places(document: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """For each (section, field) the document writes, the entries whose expression there could
    break down."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    decoupling = document.get("decoupling", {})
    entries = {
        "rules": document.get("rules", []),
        "indicators": document.get("indicators", []),
        "events": document.get("events", []),
        "actions": document.get("actions", []),
        "decoupling": [decoupling] if "when" in decoupling else [],
        "signs": decoupling.get("signs", []),
        "index": [decoupling["index"]] if "index" in decoupling else [],
    }
    for section, field in FIELDS:
        for entry in entries[section]:
            if isinstance(entry.get(field), str):
                out.setdefault((section, field), []).append(entry)
    return out


@st.composite
def broken_scenarios(draw: Any) -> str:
    """A generated scenario with one expression replaced by one that breaks down."""
    document = tomllib.loads(draw(scenario_texts(max_horizon=6)))
    places = _places(document)  # a kind of place first, so that rare kinds are drawn too
    where = draw(st.sampled_from(sorted(places)))
    entry, field = draw(st.sampled_from(places[where])), where[1]
    horizon = document["scenario"]["horizon"]
    since = draw(st.integers(0, horizon))
    threshold = draw(st.sampled_from([-1.0, 0.0, 0.5, 1.0]))
    own = entry[field]
    bad = BROKEN[draw(st.sampled_from(sorted(BROKEN)))]
    condition = f"(step >= {since} and ({own}) > {threshold!r})"
    entry[field] = f"({bad} if {condition} else ({own}))"
    return to_toml(document)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    text=broken_scenarios(),
    seed=st.integers(0, 2**32 - 1),
    edge_share=st.sampled_from([0.0, 0.1]),
)
def test_engine_and_oracle_stop_on_the_same_value(text: str, seed: int, edge_share: float) -> None:
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    draws = draw_members(model, seed, 3, edge_share)
    for policy in policies_to_check(scenario):
        assert_matches_oracle(model, policy, draws, text)


def test_the_stopping_member_is_counted_from_the_run() -> None:
    """By hand: fear starts at u ~ U(0.3, 0.7) per member and does not move, the indicator is
    NaN from step 2 where fear > 0.6: the engine names the first such member of the run, at the
    period of step 2, with the indicator's file line and field path; the oracle agrees."""
    text = """
[scenario]
id = "late"
title = "An indicator that breaks down"
start = "2025Q1"
horizon = 4

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[state]]
id = "fear.ROK"
initial = { low = 0.3, high = 0.7 }

[[indicators]]
id = "calm"
expr = "1 - fear.ROK"

[[indicators]]
id = "broken"
expr = "(exp(700) * exp(700) - exp(700) * exp(700)) if (step >= 2 and fear.ROK > 0.6) else 0"

[decoupling]
when = "fear.ROK > 2"
"""
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    draws = draw_members(model, 5, 40)
    with pytest.raises(SimulationError) as stopped:
        engine_run(model, "baseline", draws)
    error = stopped.value
    d = error.detail
    fear = 0.3 + 0.4 * draws.unit[0]
    first = int((fear > 0.6).nonzero()[0][0])
    assert (d.step, d.period, d.member) == (2, "2025Q2", first)
    assert (d.section, d.ident, d.attribute, d.field, d.line) == (
        "indicators",
        "broken",
        "expr",
        "indicators[1].expr",
        23,
    )
    assert (
        str(error.problems[0])
        .split("/")[-1]
        .startswith("scenario.toml:23: indicators[1].expr: indicator broken")
    )
    failure = oracle_failure(model, "baseline", draws, first)
    assert failure is not None and (failure.step, failure.ident) == (2, "broken")
    assert all(oracle_failure(model, "baseline", draws, m) is None for m in range(first))


SMALL = """
[scenario]
id = "small"
title = "One perception, one event, one action"
start = "2025Q1"
horizon = 3

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[state]]
id = "fear.ROK"
initial = 0.5

[[events]]
id = "ev"
actor = "ROK"
rate = "{rate}"

[[actions]]
id = "act"
actor = "ROK"
when = "{when}"
probability = 1
once = {once}
consulted = "{consulted}"

[[rules]]
id = "first"
target = "fear.ROK"
driver = "{driver}"
weight = {weight}

[[rules]]
id = "second"
target = "fear.ROK"
driver = "{driver}"
weight = {weight}

[decoupling]
when = "{decoupling}"
"""
FINE = {
    "rate": "0.5",
    "when": "1",
    "consulted": "0.5",
    "driver": "0",
    "weight": "1",
    "decoupling": "fear.ROK > 2",
    "once": "false",
}
LATE = "(exp(700) * exp(700) - exp(700) * exp(700)) if step >= 2 else "


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rate": LATE + "0.5"}, ("events", "ev", "rate")),
        ({"when": LATE + "1"}, ("actions", "act", "when")),
        ({"consulted": LATE + "0.5"}, ("actions", "act", "consulted")),
        ({"decoupling": LATE + "0"}, ("decoupling", "", "when")),
        ({"driver": LATE + "0"}, ("rules", "first", "driver")),
        # each factor finite, their product not: 1e300 · 1e300
        ({"driver": "1e300 if step >= 2 else 0", "weight": "1e300"}, ("rules", "first", "weight")),
        # each amount finite, their sum not: 1e308 + 1e308
        ({"driver": "1e308 if step >= 2 else 0"}, ("rules", "first", "target")),
    ],
)
def test_each_kind_of_value_stops_where_the_oracle_stops(change, expected) -> None:
    """By hand: every member breaks down at step 2 (the period 2025Q2), at the named field."""
    text = SMALL.format(**{**FINE, **change})
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    draws = draw_members(model, 3, 4)
    with pytest.raises(SimulationError) as stopped:
        engine_run(model, "baseline", draws)
    d = stopped.value.detail
    assert (d.section, d.ident, d.attribute, d.step, d.period, d.member) == (
        *expected,
        2,
        "2025Q2",
        0,
    )
    assert_matches_oracle(model, "baseline", draws, text)


def test_a_finished_action_is_not_asked_again_and_consultation_only_where_it_happens() -> None:
    """A one-off action that has happened is no longer asked ``when``; ``consulted`` is asked
    only where the action happens: neither stops the run (engine and oracle agree)."""
    broken = "(exp(700) * exp(700) - exp(700) * exp(700))"
    once = SMALL.format(**{**FINE, "once": "true", "when": f"1 if step == 1 else {broken}"})
    never = SMALL.format(**{**FINE, "when": "0", "consulted": broken})
    for text in (once, never):
        model = compile_model(load_scenario_text(text))
        draws = draw_members(model, 3, 4)
        assert engine_run(model, "baseline", draws).shape[0] == 4
        assert_matches_oracle(model, "baseline", draws, text)
