"""History matching: implausibility by hand, the analytic NROY interval, synthetic recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.analysis.backtest import target_members
from alliancesim.analysis.calibrate import (
    Dimension,
    ParameterRange,
    calibration_module,
    history_match,
    implausibility,
    matched_targets,
    nroy_box,
    shared_ranges,
    synthetic_episode,
)
from alliancesim.engine import parameter_values, simulate
from alliancesim.errors import InputError
from alliancesim.model import compile_model
from alliancesim.scenario import load_scenario, scenario_parameters
from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uniform

# the linear episode: simulated change of level.A = w, observed 1.0 with sd 0.1 at both ends;
# with discrepancy 0.1 the variance is 0.1² + 0.1² + (0.1 · 1)² = 0.03.
SIGMA = math.sqrt(0.03)


def _level_only(scenario):
    """The linear episode with only its level.A observations (one change, no averaging)."""
    kept = [o for o in scenario.observations if o.indicator == "level.A"]
    return scenario.model_copy(update={"observations": kept})


def test_implausibility_matches_hand_computation(linear_episode_path):
    episode = _level_only(load_scenario(linear_episode_path))
    for w in (0.5, 1.0, 1.3):
        value = implausibility([episode], {"rules.push.weight": w}, replicates=4)
        assert value == pytest.approx(abs(1.0 - w) / SIGMA, rel=1e-12)


def test_implausibility_draws_its_worlds_from_one_running_generator(toy_episode_path):
    """Episodes in order, each drawing from the generator of ``SeedSequence(seed)`` the uniforms
    of its baseline-uncertain parameters for its R worlds, then their slots; the calibrated
    parameters are then set to the point's values."""
    first = load_scenario(toy_episode_path)
    meta = first.scenario.model_copy(update={"id": "toy-episode-again"})
    second = first.model_copy(update={"scenario": meta})
    point = {"rules.fear_from_cut.weight": 0.2, "state.fear_abandonment.ROK.relaxation": 0.3}
    replicates, seed, discrepancy = 5, 3, 0.1
    got = implausibility(
        [first, second], point, replicates=replicates, seed=seed, discrepancy=discrepancy
    )
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    worst = 0.0
    for episode in (first, second):
        model = compile_model(episode)
        spec = model.policy("baseline")
        rows = model.uncertain_rows(["baseline"])
        unit = rng.random((len(rows), replicates))
        slots = rng.random((model.horizon, model.n_slots, replicates))
        P = parameter_values(model, spec, unit, rows)
        for name, value in point.items():
            P[model.parameter_names.index(name)] = value
        records = simulate(model, spec, P, slots)
        for target in matched_targets(episode):
            delta = target_members(target, records, model.record_names)
            variance = target.sd**2 + (discrepancy * target.observed) ** 2
            variance += delta.var(ddof=1) * (1 + 1 / replicates)
            worst = max(worst, abs(target.observed - delta.mean()) / math.sqrt(variance))
    assert got == pytest.approx(worst, rel=1e-12)


def test_calibrated_range_is_the_analytic_nroy_interval(linear_episode_path):
    episode = _level_only(load_scenario(linear_episode_path))
    result = history_match([episode], points=3000, replicates=2, waves=3, seed=1)
    (weight,) = result.ranges
    lo, hi = weight.calibrated
    assert lo == pytest.approx(1.0 - 3 * SIGMA, abs=0.01)
    assert hi == pytest.approx(1.0 + 3 * SIGMA, abs=0.01)
    assert weight.narrowing == pytest.approx(1 - 6 * SIGMA / 2.0, abs=0.01)
    # later waves sample inside the first wave's NROY box
    assert result.waves[1].non_implausible / result.waves[1].points > 0.9


def test_synthetic_episode_recovers_known_parameters(toy_episode_path):
    scenario = load_scenario(toy_episode_path)
    truth = {
        "rules.fear_from_cut.weight": 0.3,
        "state.fear_abandonment.ROK.relaxation": 0.2,
        "rules.favourability_from_cut.weight": 0.15,
        "state.favourability.ROK.USA.relaxation": 0.1,
    }
    observe = [("fear_pct", p) for p in ("2019Q4", "2020Q2", "2020Q3", "2020Q4", "2021Q4")]
    observe += [("favourability_pct", p) for p in ("2019Q4", "2020Q2", "2020Q3", "2021Q2")]
    episode = synthetic_episode(scenario, truth, observe, seed=3, sd=0.5)
    assert episode.scenario.kind == "episode" and len(episode.observations) == 9
    result = history_match([episode], points=2000, replicates=8, waves=3, seed=1)
    for name, value in truth.items():
        assert result.range_of(name).contains(value), (name, result.range_of(name).calibrated)
    # the rule weights are identified by the jump after the cut: their ranges narrow a lot
    assert result.range_of("rules.fear_from_cut.weight").narrowing > 0.4
    assert result.range_of("rules.favourability_from_cut.weight").narrowing > 0.4
    assert implausibility([episode], truth, replicates=32) <= result.cutoff


def test_contradicted_history_rules_everything_out(linear_episode_path):
    episode = _level_only(load_scenario(linear_episode_path))
    far = [
        o.model_copy(update={"value": 5.0}) if o.at == "2020Q3" else o for o in episode.observations
    ]
    result = history_match(
        [episode.model_copy(update={"observations": far})], points=200, replicates=2, waves=2
    )
    assert result.ruled_out_everywhere
    assert result.ranges[0].calibrated is None and result.ranges[0].narrowing is None
    assert result.worst_changes[0]["indicator"] == "level.A"
    # the least implausible point is the largest weight sampled (just below 2), at
    # (5 − w) / sqrt(0.1² + 0.1² + (0.1 · 5)²)
    w = result.best["rules.push.weight"]
    assert w > 1.99
    assert result.best_implausibility == pytest.approx((5.0 - w) / math.sqrt(0.27), rel=1e-12)


def test_same_seed_same_calibration(toy_episode_path):
    episode = load_scenario(toy_episode_path)
    a = history_match([episode], points=300, replicates=4, waves=2, seed=7).to_dict()
    b = history_match([episode], points=300, replicates=4, waves=2, seed=7).to_dict()
    assert a == b


def test_parameter_patterns_restrict_the_calibration(toy_episode_path):
    episode = load_scenario(toy_episode_path)
    result = history_match([episode], points=200, replicates=4, waves=1, parameters=["rules.*"])
    assert {d.name for d in result.dimensions} == {
        "rules.fear_from_cut.weight",
        "rules.favourability_from_cut.weight",
    }
    with pytest.raises(InputError, match="no uncertain parameter"):
        history_match([episode], points=10, parameters=["nothing.*"])


@pytest.mark.parametrize(
    ("option", "kwargs"),
    [
        ("--points", {"points": 1}),
        ("--replicates", {"replicates": 1}),
        ("--cutoff", {"cutoff": 0.0}),
    ],
)
def test_bad_settings_are_input_errors(toy_episode_path, option, kwargs):
    with pytest.raises(InputError, match=option):
        history_match([load_scenario(toy_episode_path)], **kwargs)


def test_episodes_without_observations_cannot_be_matched(plain_scenario_path):
    with pytest.raises(InputError, match="nothing to match"):
        history_match([load_scenario(plain_scenario_path)], points=10)


def test_written_module_reproduces_the_calibrated_ranges(toy_episode_path, tmp_path):
    scenario = load_scenario(toy_episode_path)
    result = history_match([scenario], points=1000, replicates=4, waves=2, seed=2)
    text = calibration_module(result, scenario, module_id="calibrated_toy", date="2026-11-22")
    (tmp_path / "calibrated.toml").write_text(text)
    source = toy_episode_path.read_text().replace(
        "horizon = 8\n", 'horizon = 8\ninclude = ["calibrated.toml"]\n', 1
    )
    (tmp_path / "toy.toml").write_text(source)
    calibrated = scenario_parameters(load_scenario(tmp_path / "toy.toml"))
    written = shared_ranges(result, scenario)
    assert written, "the cut's weights narrow, so something is written"
    for r in written:
        spec = calibrated[r.dimension.name]
        assert isinstance(spec.value, Uniform)
        assert spec.value.low == pytest.approx(r.calibrated[0], rel=1e-5)
        assert spec.value.high == pytest.approx(r.calibrated[1], rel=1e-5)
        assert str(spec.source).startswith("public: calibrated by alliancesim calibrate on toy")
    # a range that did not narrow is left alone
    untouched = [r for r in result.ranges if r not in written]
    for r in untouched:
        assert calibrated[r.dimension.name].value == r.dimension.prior


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 400),
    seed=st.integers(0, 2**16),
    low=st.floats(0.0, 0.4),
    width=st.floats(0.1, 0.6),
)
def test_nroy_box_contains_the_points_and_stays_in_the_box(n, seed, low, width):
    rng = np.random.default_rng(seed)
    lo, hi = np.full(3, low), np.full(3, low + width)
    points = lo + (hi - lo) * rng.random((n, 3)) * 0.5  # all in the lower half
    new_lo, new_hi = nroy_box(points, lo, hi)
    assert np.all(new_lo >= lo) and np.all(new_hi <= hi)
    assert np.all(points.min(axis=0) >= new_lo) and np.all(points.max(axis=0) <= new_hi)
    margin = (1 - 0.01 ** (1 / n)) * width
    np.testing.assert_allclose(new_hi, np.minimum(hi, points.max(axis=0) + margin))


def test_nroy_box_cuts_an_empty_edge_only_with_enough_points():
    lo, hi = np.zeros(1), np.ones(1)
    # 5 points in [0, 0.5]: an empty upper half has chance 0.5^5 = 3 % > 1 %, so keep most of it
    few = np.linspace(0.0, 0.5, 5)[:, None]
    assert nroy_box(few, lo, hi)[1][0] > 0.9
    # 500 points in [0, 0.5]: the upper half is significantly empty
    many = np.linspace(0.0, 0.5, 500)[:, None]
    assert nroy_box(many, lo, hi)[1][0] == pytest.approx(0.5 + (1 - 0.01 ** (1 / 500)), rel=1e-9)


def test_override_values_keep_the_prior_family_where_the_format_allows():
    normal = Dimension("param.x", Normal(0.5, 0.1, 0.0, 1.0), ("e",))
    assert ParameterRange(normal, (0.4, 0.7)).override_value() == Normal(0.5, 0.1, 0.4, 0.7)
    far = Dimension("param.x", Normal(0.0, 0.01, -1.0, 1.0), ("e",))
    assert ParameterRange(far, (0.5, 0.9)).override_value() == Uniform(0.5, 0.9)
    triangle = Dimension("param.x", Triangular(0.0, 0.2, 1.0), ("e",))
    assert ParameterRange(triangle, (0.1, 0.3)).override_value() == Uniform(0.1, 0.3)
    assert ParameterRange(triangle, (0.3, 0.3)).override_value() == Fixed(0.3)
    assert ParameterRange(triangle, None).override_value() is None
    # narrowing against the prior's support; an unbounded normal uses its central 99 %
    assert ParameterRange(triangle, (0.1, 0.3)).narrowing == pytest.approx(0.8)
    open_normal = Dimension("param.x", Normal(0.0, 1.0), ("e",))
    assert open_normal.prior_range == pytest.approx((-2.5758293, 2.5758293))


def test_a_structural_miss_is_left_out_and_listed(linear_episode_path):
    """A target no point of the prior box can match says the model lacks a mechanism: with
    skip_unmatched it is listed, not allowed to rule every point out."""
    episode = _level_only(load_scenario(linear_episode_path))
    far = [
        o.model_copy(update={"value": 5.0}) if o.at == "2020Q3" else o for o in episode.observations
    ]
    contradicted = episode.model_copy(update={"observations": far})
    result = history_match([contradicted], points=200, replicates=2, waves=2, skip_unmatched=True)
    assert not result.ruled_out_everywhere
    (miss,) = result.unmatched
    assert miss["indicator"] == "level.A" and miss["observed"] == pytest.approx(5.0)
    assert miss["least_implausibility"] > result.cutoff
    assert result.ranges[0].narrowing == pytest.approx(0.0, abs=0.02)  # nothing left to match


def test_rank_two_forgives_one_badly_fitted_target(linear_episode_path):
    """Two targets (level.A and its percent average); at rank 2 a point is judged by the better
    fitted one, so a contradicted second target no longer rules the first's interval out."""
    scenario = load_scenario(linear_episode_path)
    far = [
        o.model_copy(update={"value": 500.0})
        if o.indicator == "level_pct" and o.at == "2020Q4"
        else o
        for o in scenario.observations
    ]
    contradicted = scenario.model_copy(update={"observations": far})
    assert history_match([contradicted], points=300, replicates=2, waves=1).ruled_out_everywhere
    ranked = history_match([contradicted], points=3000, replicates=2, waves=3, seed=1, rank=2)
    (weight,) = ranked.ranges
    assert weight.calibrated[0] == pytest.approx(1.0 - 3 * SIGMA, abs=0.02)
    assert weight.calibrated[1] == pytest.approx(1.0 + 3 * SIGMA, abs=0.02)
    with pytest.raises(InputError, match="--rank"):
        history_match([scenario], points=10, rank=0)


def test_calibration_effect_on_the_answer_by_hand():
    """growth.toml: P(decoupling) 1/2 under w ~ U(0, 2), 1/3 under w ~ U(0, 1.5), paired change
    −1/6 with no member moving the other way; the counterfactual is never the best policy."""
    from pathlib import Path

    from alliancesim.analysis.calibrate import Dimension, ParameterRange
    from alliancesim.analysis.calibration_effect import calibration_effect
    from alliancesim.scenario import load_scenario
    from alliancesim.scenario.uncertain import Uniform

    scenario = load_scenario(Path(__file__).parent / "data" / "growth.toml")
    weight = ParameterRange(Dimension("rules.grow.weight", Uniform(0.0, 2.0), ()), (0.0, 1.5))
    effect = calibration_effect(scenario, [weight], members=6000, seed=4)
    baseline, hold = effect.policies
    assert baseline.prior == pytest.approx(1 / 2, abs=0.02)
    assert baseline.calibrated == pytest.approx(1 / 3, abs=0.02)
    assert baseline.change == pytest.approx(-1 / 6, abs=0.015)
    assert baseline.change == pytest.approx(baseline.calibrated - baseline.prior, abs=1e-12)
    assert baseline.change_ci[0] < baseline.change < baseline.change_ci[1] < 0
    assert hold.prior == hold.calibrated == 0.0
    # the calibrated rule's target at the horizon: 2w, i.e. 4u before and 3u after (change −u)
    (level,) = baseline.quantities
    assert level.name == "level.A"
    assert level.prior == pytest.approx(2.0, abs=0.03)
    assert level.calibrated == pytest.approx(0.75 * level.prior, rel=1e-9)
    assert level.change == pytest.approx(-0.5, abs=0.01)
    assert effect.best("prior") is None and effect.counterfactuals == ("hold",)
    out = effect.to_dict()
    assert out["parameters"][0]["calibrated"] == "U(0, 1.5)" and out["horizon"] == "2025Q2"
