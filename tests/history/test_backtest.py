"""Back-tests: observed changes paired correctly, simulated changes checked against hand values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alliancesim.analysis.backtest import backtest, observed_changes, simulated_values
from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario
from alliancesim.scenario.schema import Observation


def test_changes_pair_each_observation_with_the_previous_one(toy_episode_path):
    changes = observed_changes(load_scenario(toy_episode_path))
    pairs = [(c.indicator, c.start.at, c.end.at) for c in changes]
    assert pairs == [
        ("fear_pct", "2019Q4", "2020Q2"),
        ("fear_pct", "2020Q2", "2021Q4"),
        ("favourability_pct", "2019Q4", "2020Q3"),
    ]
    assert changes[0].value == pytest.approx(27.0)
    assert changes[1].value == pytest.approx(-22.0)
    assert changes[0].sd == pytest.approx(math.sqrt(2.0))
    # 2020Q3 averaged from 2020Q2: steps 2 and 3 of a run starting 2020Q1
    assert changes[2].start_steps == (0,) and changes[2].end_steps == (2, 3)


def test_observations_written_out_of_order_are_sorted_by_date(linear_episode_path):
    scenario = load_scenario(linear_episode_path)
    changes = observed_changes(scenario)
    level_pct = [c for c in changes if c.indicator == "level_pct"]
    assert len(level_pct) == 1 and level_pct[0].start.at == "2019Q4"
    assert level_pct[0].end_steps == (1, 2, 3, 4)


def test_linear_episode_matches_hand_computation(linear_episode_path):
    # the change of level.A is the weight w ~ U(0, 2) (Latin hypercube: quantiles nearly exact)
    result = backtest(load_scenario(linear_episode_path), members=4000, seed=3)
    level, pct = result.checks
    assert level.simulated["q05"] == pytest.approx(0.1, abs=2e-3)
    assert level.simulated["q50"] == pytest.approx(1.0, abs=2e-3)
    assert level.simulated["q95"] == pytest.approx(1.9, abs=2e-3)
    assert level.error == pytest.approx(level.simulated["q50"] - 1.0)
    # up means a change above the observation error sqrt(0.1² + 0.1²): P(w > 0.1414) = 0.9293
    assert level.share_same_direction == pytest.approx(1 - math.hypot(0.1, 0.1) / 2, abs=3e-3)
    assert level.direction_agrees and level.change_in_band and level.level_in_band
    # the mean over 2020Q1..2020Q4 of 100 * (0, w, w, w) is 75 w
    assert pct.simulated["q50"] == pytest.approx(75.0, abs=0.2)
    assert result.counts() == {
        "changes": 2,
        "direction_agrees": 2,
        "change_in_band": 2,
        "level_in_band": 2,
    }


def test_simulated_values_average_over_steps():
    records = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)  # steps, names, members
    out = simulated_values(records, ["a", "b"], "b", [1, 3])
    np.testing.assert_allclose(out, (records[1, 1] + records[3, 1]) / 2)


def test_a_wrong_direction_is_reported(linear_episode_path):
    scenario = load_scenario(linear_episode_path)
    falling = [
        o.model_copy(update={"value": -1.0}) if o.at == "2020Q3" else o
        for o in scenario.observations
    ]
    result = backtest(scenario.model_copy(update={"observations": falling}), members=500)
    level = result.checks[0]
    assert level.observed == -1.0
    assert level.observed_direction == -1 and level.simulated_direction == 1
    assert not level.direction_agrees and not level.change_in_band
    assert level.share_same_direction == 0.0


def test_a_flat_observation_is_flat_within_its_error(linear_episode_path):
    scenario = load_scenario(linear_episode_path)
    flat = [
        o.model_copy(update={"value": 0.05}) if o.at == "2020Q3" else o
        for o in scenario.observations
    ]
    check = backtest(scenario.model_copy(update={"observations": flat}), members=500).checks[0]
    assert check.observed_direction == 0  # |0.05| < sqrt(0.02)
    assert check.to_dict()["observed_direction"] == "flat"


def test_episode_without_pairs_is_an_input_error(linear_episode_path):
    scenario = load_scenario(linear_episode_path)
    single = scenario.model_copy(update={"observations": scenario.observations[:1]})
    with pytest.raises(InputError, match="no two observations of the same indicator"):
        backtest(single, members=10)


def test_average_from_after_at_is_an_input_error(linear_episode_path):
    scenario = load_scenario(linear_episode_path)
    bad = Observation(
        indicator="level.A", at="2020Q1", average_from="2020Q3", value=0.0, source="assumption: t"
    )
    broken = scenario.model_copy(update={"observations": [*scenario.observations, bad]})
    with pytest.raises(InputError, match="average_from"):
        observed_changes(broken)


def test_same_seed_same_backtest(toy_episode_path):
    scenario = load_scenario(toy_episode_path)
    a = backtest(scenario, members=300, seed=5).to_dict()
    b = backtest(scenario, members=300, seed=5).to_dict()
    c = backtest(scenario, members=300, seed=6).to_dict()
    assert a == b
    assert a["changes"][0]["simulated_change"] != c["changes"][0]["simulated_change"]
