"""The linear path: scenarios that use none of the constructs of issue 13 and declare every
response ``linear`` are simulated exactly as before issue 13.

``data/engine_before_issue_13.json`` holds 40 generated old-style scenarios (compromise, median
and Nash bargaining; horizons up to 10) with the members' draws (a seed and a share of edge
values) and the SHA-256 digest of each policy's record array as the engine computed it before
issue 13 (commit ddcf2e5). Declaring every response linear must give the same bytes; the oracle
must agree as well. A property test does the same comparison with the oracle on fresh
old-style, all-linear scenarios.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_support import assert_matches_oracle, draw_members, engine_run, policies_to_check

from alliancesim.model import compile_model
from alliancesim.testing import load_scenario_text, scenario_texts, to_toml

CASES = json.loads(
    (Path(__file__).parent / "data" / "engine_before_issue_13.json").read_text(encoding="utf-8")
)
WHY = "assumption: the linear path of the engine, as before issue 13"


def all_linear(text: str) -> str:
    """The scenario with ``response = "linear"`` written for every state variable (with its
    source), every issue's positions and saliences, and every status quo."""
    document = tomllib.loads(text)
    for state in document.get("state", []):
        state["response"] = "linear"
        state["sources"] = {**state.get("sources", {}), "response": WHY}
    for issue in document.get("issues", []):
        issue["response"] = "linear"
        issue["status_quo_response"] = "linear"
    return to_toml(document)


def digest(records: np.ndarray) -> str:
    """The SHA-256 digest of a record array's float64 bytes."""
    return hashlib.sha256(np.ascontiguousarray(records, dtype=np.float64).tobytes()).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[f"case{k}" for k in range(len(CASES))])
def test_all_linear_old_style_scenarios_are_bit_identical_to_the_engine_before(case) -> None:
    text = all_linear(case["text"])
    scenario = load_scenario_text(text)
    assert not scenario.elections and not any(r.fades for r in scenario.rules)
    model = compile_model(scenario)
    draws = draw_members(model, case["seed"], 3, case["edge"])
    for policy, expected in case["digests"].items():
        assert digest(engine_run(model, policy, draws)) == expected, policy
        assert_matches_oracle(model, policy, draws, text)


def test_the_recorded_cases_exercise_the_step() -> None:
    """The recorded scenarios have rules, actions, events, policies and every kind of number."""
    scenarios = [load_scenario_text(case["text"]) for case in CASES]
    assert len(scenarios) == 40
    assert all(s.rules for s in scenarios)
    assert sum(bool(s.actions) for s in scenarios) >= 10
    assert sum(bool(s.events) for s in scenarios) >= 10
    assert sum(bool(s.policies) for s in scenarios) >= 10
    assert sum(bool(s.issues) for s in scenarios) >= 10


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    text=scenario_texts(constructs=False, linear=True),
    seed=st.integers(0, 2**32 - 1),
    edge_share=st.sampled_from([0.0, 0.1, 0.4]),
)
def test_engine_equals_oracle_on_old_style_linear_scenarios(
    text: str, seed: int, edge_share: float
) -> None:
    """Generated scenarios without the new constructs, every response linear: engine == oracle."""
    scenario = load_scenario_text(text)
    model = compile_model(scenario)
    assert not model.saturating.any() and not model.positions_relax
    draws = draw_members(model, seed, 3, edge_share)
    for policy in policies_to_check(scenario):
        assert_matches_oracle(model, policy, draws, text)
