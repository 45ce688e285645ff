"""Back-tests: targets and bases chosen by the protocol, scores checked against hand values.

``scored-episode.toml`` is deterministic: the model's forecast of every target is one value, so
its CRPS and interval score are those of a normal (the observation error) or of a point.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alliancesim.analysis.backtest import (
    backtest,
    history_targets,
    observed_changes,
    overall_skill,
    simulated_values,
)
from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario
from alliancesim.scenario.schema import Observation

Z90 = stats.norm.ppf(0.95)


def normal_crps(mu: float, sigma: float, y: float) -> float:
    """σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π], written out (a point forecast when σ = 0)."""
    if sigma == 0:
        return abs(y - mu)
    z = (y - mu) / sigma
    return sigma * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )


def normal_interval_score(mu: float, sigma: float, y: float, alpha: float = 0.1) -> float:
    lo, hi = mu - Z90 * sigma, mu + Z90 * sigma
    return (hi - lo) + (2 / alpha) * (max(lo - y, 0) + max(y - hi, 0))


@pytest.fixture
def scored_episode(scored_episode_path):
    return load_scenario(scored_episode_path)


@pytest.fixture
def scored(scored_episode):
    result = backtest(scored_episode, members=64, seed=0)
    return {(t.target.indicator, t.target.kind, t.target.observation.at): t for t in result.scored}


def test_bases_targets_and_history(scored_episode):
    targets, unscored = history_targets(scored_episode)
    keys = [(t.indicator, t.kind, t.observation.at) for t in targets]
    assert keys == [
        ("level.A", "level", "2020Q4"),
        ("other.A", "level", "2020Q4"),
        ("count.launch", "count", "2020Q4"),
        ("launches", "count", "2020Q3"),
        ("event.launch", "event", "2020Q2"),
        ("count.launch", "event", "2020Q4"),
    ]
    level_a = targets[0]
    assert level_a.base.at == "2019Q4" and level_a.base_steps == (0,)
    assert [h.at for h in level_a.history] == ["1990Q1", "2019Q2", "2019Q4"]
    assert level_a.observed == pytest.approx(1.2) and level_a.sd == pytest.approx(
        math.hypot(0.1, 0.1)
    )
    roles = {(u.observation.indicator, u.observation.at): u.role for u in unscored}
    assert roles[("level.A", "1990Q1")].startswith("history")
    assert roles[("level.A", "2019Q4")] == "base"
    assert roles[("count.launch", "2019Q4")] == "base"


def test_history_before_the_start_is_never_simulated(scored_episode):
    """The 1990 value lies 120 steps before the run: it is fitted by the trend, not simulated."""
    result = backtest(scored_episode, members=8)
    for row in result.scored:
        assert min(row.target.steps) >= 0 and all(s >= 0 for s in row.target.base_steps)
    # and a base dated before the start anchors the model at its initial state (step 0)
    early = [
        o.model_copy(update={"at": "2019Q3"})
        if o.at == "2019Q4" and o.indicator == "level.A"
        else o
        for o in scored_episode.observations
    ]
    targets, _ = history_targets(scored_episode.model_copy(update={"observations": early}))
    assert targets[0].base.at == "2019Q3" and targets[0].base_steps == (0,)


def test_level_scores_by_hand(scored):
    row = scored[("level.A", "level", "2020Q4")]
    sigma = math.hypot(0.1, 0.1)
    # the model moves level.A by exactly 1: forecast of the change N(1, σ²) against 1.2
    assert row.forecast["q50"] == 1.0
    assert row.model.crps == pytest.approx(normal_crps(1.0, sigma, 1.2), rel=1e-9)
    assert row.model.interval_score == pytest.approx(normal_interval_score(1.0, sigma, 1.2), 1e-9)
    # persistence: no change, N(0, σ²)
    persistence = row.scores["persistence"]
    assert persistence.crps == pytest.approx(normal_crps(0.0, sigma, 1.2), rel=1e-9)
    assert persistence.interval_score == pytest.approx(
        normal_interval_score(0.0, sigma, 1.2), rel=1e-9
    )
    # trend: least squares through 1990Q1, 2019Q2, 2019Q4 (period ends in years), at 2020Q4
    times = np.array([1990.25, 2019.5, 2020.0])
    slope, intercept = np.polyfit(times, [-30.0, -0.5, 0.0], 1)
    assert row.references["trend"].mean == pytest.approx(slope * 2021.0 + intercept - 0.0)
    # direction: 1.2 > 2σ, and the model goes up
    assert row.direction == "agrees"
    assert persistence.direction.agrees is False  # no change never agrees
    # footing: the persistence forecast's sd
    assert row.footing == pytest.approx(sigma)


def test_a_variable_the_model_never_moves_is_not_scored_wrong(scored, scored_episode):
    """other.A: observed 50 → 51 with sd 2 (within 2 × √8); the model keeps it at 50."""
    row = scored[("other.A", "level", "2020Q4")]
    assert row.forecast["q05"] == row.forecast["q95"] == 0.0
    assert row.direction == "not scored"
    assert row.model.direction.agrees is None
    # the model is persistence here: the same scores, skill exactly 0
    for score in ("crps", "interval_score", "log_score"):
        assert getattr(row.model, score) == pytest.approx(getattr(row.scores["persistence"], score))
    only = scored_episode.model_copy(
        update={
            "observations": [o for o in scored_episode.observations if o.indicator == "other.A"]
        }
    )
    skill = backtest(only, members=8).skill()
    assert skill["crps/persistence"]["skill"] == pytest.approx(0.0, abs=1e-12)
    assert skill["interval_score/persistence"]["skill"] == pytest.approx(0.0, abs=1e-12)


def test_counts_read_totals_and_carry_the_base_rate(scored):
    total = scored[("count.launch", "count", "2020Q4")]
    # count.launch is cumulative: launches in 2020Q3 and 2020Q4 give a 2020 total of 2
    assert total.forecast["q50"] == 2.0 and total.target.observed == 3.0
    assert total.model.crps == pytest.approx(1.0)  # a point forecast: the absolute error
    # persistence: 4 a year (2019), Poisson sd 2
    assert total.references["persistence"].mean == pytest.approx(4.0)
    assert total.scores["persistence"].crps == pytest.approx(normal_crps(4.0, 2.0, 3.0))
    assert total.references["trend"].fell_back
    # a quantity that is not a count is summed over the window: event.launch in 2020Q2-Q3
    summed = scored[("launches", "count", "2020Q3")]
    assert summed.forecast["q50"] == 1.0
    # the base (2 in half a year) carried to another half year: mean 2, sd √2
    assert summed.references["persistence"].mean == pytest.approx(2.0)
    assert summed.references["persistence"].sd == pytest.approx(math.sqrt(2.0))
    assert summed.footing == pytest.approx(math.sqrt(2.0))


def test_events_by_a_date(scored):
    before = scored[("event.launch", "event", "2020Q2")]
    after = scored[("count.launch", "event", "2020Q4")]
    assert before.forecast["probability"] == 0.0 and before.model.crps == 0.0
    assert after.forecast["probability"] == 1.0 and after.model.crps == 0.0
    # persistence: nothing happens; Brier 1 when it did
    assert after.scores["persistence"].crps == 1.0 and after.footing == 0.5
    assert after.model.interval_score is None and after.direction == "—"


def test_skill_on_one_footing_by_hand(scored_episode, scored):
    result = backtest(scored_episode, members=64, seed=0)
    rows = list(scored.values())
    model = np.mean([r.model.crps / r.footing for r in rows])
    persistence = np.mean([r.scores["persistence"].crps / r.footing for r in rows])
    skill = result.skill()["crps/persistence"]
    assert skill["model_mean"] == pytest.approx(model)
    assert skill["skill"] == pytest.approx(1 - model / persistence)
    # the interval score's skill leaves out events (they have no interval)
    assert result.skill()["interval_score/persistence"]["n"] == 4
    overall = overall_skill([result, result])
    assert overall["targets"] == 12
    assert overall["skill"]["crps/persistence"]["skill"] == pytest.approx(1 - model / persistence)
    assert overall["direction"] == {"agrees": 2, "disagrees": 0, "not_scored": 6}


def test_persistence_against_itself_has_skill_zero(scored):
    from alliancesim.analysis.scores import skill_table

    rows = list(scored.values())
    crps = [r.scores["persistence"].crps for r in rows]
    table = skill_table(crps, crps, ["e"] * len(rows), scales=[r.footing for r in rows])
    assert table.overall.skill == 0.0


def test_a_wrong_direction_is_reported(scored_episode):
    falling = [
        o.model_copy(update={"value": -1.0}) if o.at == "2020Q4" and o.indicator == "level.A" else o
        for o in scored_episode.observations
    ]
    result = backtest(scored_episode.model_copy(update={"observations": falling}), members=8)
    row = next(r for r in result.scored if r.target.indicator == "level.A")
    assert row.direction == "disagrees" and row.model.direction.share < 0.01
    assert result.directions()["disagrees"] == 1


def test_episode_without_targets_is_an_input_error(scored_episode):
    lone = [o for o in scored_episode.observations if o.at == "1990Q1"]
    with pytest.raises(InputError, match="nothing to forecast"):
        backtest(scored_episode.model_copy(update={"observations": lone}), members=8)


def test_changes_for_calibration_skip_history_counts_and_events(scored_episode):
    changes = observed_changes(scored_episode)
    assert [(c.indicator, c.start.at, c.end.at) for c in changes] == [
        ("level.A", "2019Q4", "2020Q4"),
        ("other.A", "2019Q4", "2020Q4"),
    ]


def test_changes_pair_each_observation_with_the_previous_one(toy_episode_path):
    changes = observed_changes(load_scenario(toy_episode_path))
    pairs = [(c.indicator, c.start.at, c.end.at) for c in changes]
    assert pairs == [
        ("fear_pct", "2019Q4", "2020Q2"),
        ("fear_pct", "2020Q2", "2021Q4"),
        ("favourability_pct", "2019Q4", "2020Q3"),
    ]
    assert changes[0].value == pytest.approx(27.0)
    assert changes[0].sd == pytest.approx(math.sqrt(2.0))
    assert changes[2].start_steps == (0,) and changes[2].end_steps == (2, 3)


def test_averaged_targets_are_forecast_from_the_base(toy_episode_path):
    """toy: fear 2019Q4 (base) → 2020Q2 and → 2021Q4, both from the base (the origin)."""
    targets, _ = history_targets(load_scenario(toy_episode_path))
    assert [(t.indicator, t.base.at, t.observation.at) for t in targets] == [
        ("fear_pct", "2019Q4", "2020Q2"),
        ("fear_pct", "2019Q4", "2021Q4"),
        ("favourability_pct", "2019Q4", "2020Q3"),
    ]
    assert targets[2].steps == (2, 3) and targets[2].observed == pytest.approx(-10.0)


def test_simulated_values_average_over_steps():
    records = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)  # steps, names, members
    out = simulated_values(records, ["a", "b"], "b", [1, 3])
    np.testing.assert_allclose(out, (records[1, 1] + records[3, 1]) / 2)


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
    assert a["targets"][0]["forecast"] != c["targets"][0]["forecast"]
