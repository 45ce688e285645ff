"""An account's module may bring a transient rule (``fades``): it acts only under its account,
and under it a one-off push is taken back at its fading rate; engine and oracle agree.

By hand: trust starts at u (drawn), responds linearly and does not relax; a summit at step 1
(intensity 1) pushes it by 0.2 under the ``lasting`` account (a rule that does not fade) and
under the ``fleeting`` one (fading at 0.5): trust is u + 0.2 from step 1 on under ``lasting``,
and u + 0.2, u + 0.1, u + 0.05, u + 0.025 at steps 1–4 under ``fleeting``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracle_support import assert_matches_oracle, draw_members

from alliancesim.ensemble import simulate_members
from alliancesim.model import compile_model
from alliancesim.scenario import load_scenario

SCENARIO = """[scenario]
id = "fading-accounts"
title = "Does a summit's glow last?"
start = "2025Q1"
horizon = 4

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[actors]]
id = "USA"
name = "United States"
capability = 1

[[state]]
id = "trust.ROK.USA"
initial = { low = 0.2, high = 0.6 }
response = "linear"
sources = { response = "assumption: the hand-worked answer adds each push as it is" }

[[schedule]]
id = "summit"
at = ["2025Q1"]

[[mechanisms]]
id = "glow"
label = "A summit's glow"
question = "Does the trust a summit builds last?"
source = "assumption: a test"

[[mechanisms.accounts]]
id = "lasting"
label = "It lasts"
include = ["modules/lasting.toml"]
source = "assumption: a test"

[[mechanisms.accounts]]
id = "fleeting"
label = "It fades"
include = ["modules/fleeting.toml"]
source = "assumption: a test"

[decoupling]
when = "trust.ROK.USA < 0.1"
"""

MODULE = """[module]
id = "{name}"
title = "The glow, {name}"

[[rules]]
id = "{name}_glow"
target = "trust.ROK.USA"
driver = "event.summit"
weight = 0.2
{fades}
source = "assumption: a test"
"""


@pytest.fixture
def scenario(tmp_path: Path):
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "lasting.toml").write_text(MODULE.format(name="lasting", fades=""))
    (tmp_path / "modules" / "fleeting.toml").write_text(
        MODULE.format(name="fleeting", fades="fades = 0.5")
    )
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    return load_scenario(tmp_path / "scenario.toml")


def test_a_fading_rule_of_an_account_acts_only_under_it(scenario) -> None:
    rules = {r.id: r for r in scenario.rules}
    assert rules["fleeting_glow"].account == "glow.fleeting"
    assert rules["fleeting_glow"].fades is not None and rules["lasting_glow"].fades is None
    model = compile_model(scenario)
    row = model.record_names.index("trust.ROK.USA")
    seed = simulate_members(model, "baseline", 50, 3)[:, row, :]
    fleeting = simulate_members(model, "baseline", 50, 3, "glow=fleeting")[:, row, :]
    u = seed[0]
    assert np.array_equal(fleeting[0], u)  # the same worlds
    for t, gain in enumerate([0.2, 0.2, 0.2, 0.2], start=1):
        np.testing.assert_allclose(seed[t], u + gain, rtol=0, atol=1e-15)
    for t, gain in enumerate([0.2, 0.1, 0.05, 0.025], start=1):
        np.testing.assert_allclose(fleeting[t], u + gain, rtol=0, atol=1e-15)


def test_engine_and_oracle_agree_under_each_account(scenario) -> None:
    model = compile_model(scenario)
    draws = draw_members(model, 5, 4)
    for structure in ("seed", "glow=fleeting"):
        assert_matches_oracle(model, "baseline", draws, "", structure)
