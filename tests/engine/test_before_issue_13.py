"""A scenario that uses none of the constructs of issue 13 keeps its random numbers exactly:
the engine toy, with every response declared ``linear``, draws the same Latin hypercube and the
same slots in every block, and its whole run gives the same records under every policy, bit for
bit, as the engine before issue 13 (commit ddcf2e5; ``data/toy_before_issue_13.json`` holds the
SHA-256 digests that version computed for seed 7 and 2,500 members, two blocks)."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import numpy as np

from alliancesim.draws import Draws, blocks_of
from alliancesim.ensemble import simulate_members
from alliancesim.model import compile_model
from alliancesim.testing import load_scenario_text, to_toml

DATA = Path(__file__).parent / "data"
BEFORE = json.loads((DATA / "toy_before_issue_13.json").read_text(encoding="utf-8"))
WHY = "assumption: the linear path of the engine, as before issue 13"


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()


def test_the_toy_without_new_constructs_draws_and_runs_as_before_issue_13() -> None:
    document = tomllib.loads((DATA / "toy.toml").read_text(encoding="utf-8"))
    for state in document["state"]:
        state["response"] = "linear"
        state["sources"] = {**state.get("sources", {}), "response": WHY}
    for issue in document["issues"]:
        issue["response"] = "linear"
    scenario = load_scenario_text(to_toml(document))
    assert not scenario.elections and not scenario.mechanisms
    assert all(r.fades is None for r in scenario.rules)
    model = compile_model(scenario)
    drawn = []
    for block in blocks_of(2500):
        draws = Draws.block(model, 7, block)
        drawn.append([_digest(draws.unit), _digest(draws.slots)])
    assert drawn == BEFORE["draws"]
    for policy in scenario.policy_ids:
        records = simulate_members(model, policy, 2500, 7)
        assert _digest(records) == BEFORE["records"][policy], policy
