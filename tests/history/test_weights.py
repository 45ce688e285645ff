"""Weighing rival structures: BMA by hand, stacking against brute force, leave-one-episode-out,
pseudo-BMA+ and bootstrap stacking over episodes by hand and against an integral."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import special, stats

from alliancesim.analysis.scores import crps, log_predictive_density
from alliancesim.analysis.weights import (
    DRAWS,
    bma_weights,
    bootstrap_stacking_weights,
    crps_stacking_weights,
    leave_one_episode_out,
    mixture_crps_terms,
    pseudo_bma_plus_weights,
    separation,
    stacking_weights,
)


def two_regimes(n: int = 40, seed: int = 0) -> np.ndarray:
    """Log densities of two structures: each predicts one half of history well."""
    rng = np.random.default_rng(seed)
    ys = np.concatenate([rng.normal(0.0, 1.0, n // 2), rng.normal(3.0, 1.0, n - n // 2)])
    return np.vstack([stats.norm.logpdf(ys, 0.0, 1.0), stats.norm.logpdf(ys, 3.0, 1.0)])


def stacking_objective(w: np.ndarray, lp: np.ndarray) -> float:
    return float(special.logsumexp(lp + np.log(np.maximum(w, 1e-300))[:, None], axis=0).sum())


# --- BMA ----------------------------------------------------------------------------------------


def test_bma_weights_equal_the_hand_computation():
    lp = np.array([[-1.0, -2.0, -0.5], [-1.5, -1.0, -1.0], [-3.0, -0.2, -0.9]])
    prior = np.array([0.5, 0.3, 0.2])
    # softmax of summed log densities plus log priors, written out
    totals = [-3.5 + math.log(0.5), -3.5 + math.log(0.3), -4.1 + math.log(0.2)]
    expected = np.exp(totals) / np.exp(totals).sum()
    result = bma_weights(lp, prior, names=["a", "b", "c"])
    assert result.weights == pytest.approx(tuple(expected), rel=1e-12)
    assert result.as_dict()["a"] == pytest.approx(expected[0])
    assert result.objective == pytest.approx(-math.log(np.exp(totals).sum()) / 3)
    # equal priors by default; shifting every density by a constant changes nothing
    assert bma_weights(lp + 7.0).weights == pytest.approx(bma_weights(lp).weights, rel=1e-12)
    # a structure with zero density somewhere gets weight 0
    lp[2, 1] = -math.inf
    assert bma_weights(lp).weights[2] == 0.0
    json.dumps(result.to_dict(), allow_nan=False)


def test_bma_piles_weight_on_the_better_structure_as_data_accumulate():
    lp = two_regimes(40)
    # on the first regime only, structure 0 is better by a lot; stacking agrees
    first = lp[:, :20]
    assert bma_weights(first).weights[0] > 0.999
    # on both regimes BMA still picks one, while stacking shares
    both = stacking_weights(lp).weights
    assert 0.3 < both[0] < 0.7


# --- stacking ---------------------------------------------------------------------------------


def test_stacking_gives_a_dominant_structure_all_the_weight():
    rng = np.random.default_rng(1)
    ys = rng.normal(0.0, 1.0, 30)
    lp = np.vstack(
        [
            stats.norm.logpdf(ys, 0.0, 1.0),  # the truth
            stats.norm.logpdf(ys, 4.0, 1.0),  # far off on every observation
            stats.norm.logpdf(ys, 0.0, 5.0),  # far too wide
        ]
    )
    assert np.all(lp[0] > lp[1])
    result = stacking_weights(lp, names=["true", "shifted", "wide"])
    assert result.converged
    assert result.weights[0] == pytest.approx(1.0, abs=1e-6)
    assert result.objective == pytest.approx(-lp[0].mean(), abs=1e-6)


def test_stacking_matches_brute_force_for_two_structures():
    lp = two_regimes(40, seed=3)
    grid = np.linspace(0.0, 1.0, 100_001)
    values = [stacking_objective(np.array([g, 1 - g]), lp) for g in grid[::100]]
    coarse = grid[::100][int(np.argmax(values))]
    fine = grid[(grid > coarse - 0.002) & (grid < coarse + 0.002)]
    best = fine[int(np.argmax([stacking_objective(np.array([g, 1 - g]), lp) for g in fine]))]
    result = stacking_weights(lp)
    assert result.weights[0] == pytest.approx(best, abs=2e-5)
    assert result.objective == pytest.approx(-stacking_objective(np.array(result.weights), lp) / 40)


def test_stacking_splits_the_weight_of_identical_structures():
    lp = two_regimes(40, seed=4)
    pair = stacking_weights(lp).weights
    triple = stacking_weights(np.vstack([lp[0], lp[1], lp[1]])).weights
    assert triple[1] == pytest.approx(triple[2], abs=1e-9)
    assert triple[1] + triple[2] == pytest.approx(pair[1], abs=1e-6)
    assert triple[0] == pytest.approx(pair[0], abs=1e-6)


def test_stacking_matches_a_long_fixed_point_run_for_three_structures():
    rng = np.random.default_rng(6)
    ys = np.concatenate([rng.normal(0, 1, 15), rng.normal(3, 1, 10), rng.normal(-4, 2, 5)])
    lp = np.vstack(
        [
            stats.norm.logpdf(ys, 0, 1),
            stats.norm.logpdf(ys, 3, 1),
            stats.norm.logpdf(ys, -4, 2),
        ]
    )
    # independent algorithm: 100,000 multiplicative (EM) updates from equal weights
    p = np.exp(lp)
    w = np.full(3, 1 / 3)
    for _ in range(100_000):
        w = w * (p / (w @ p)).mean(axis=1)
    result = stacking_weights(lp)
    assert result.weights == pytest.approx(tuple(w), abs=1e-6)
    assert sum(result.weights) == pytest.approx(1.0, abs=1e-14)


def test_stacking_refuses_an_observation_no_structure_predicts():
    lp = np.array([[-1.0, -math.inf], [-2.0, -math.inf]])
    with pytest.raises(ValueError, match="every structure"):
        stacking_weights(lp)


# --- CRPS stacking ----------------------------------------------------------------------------


def test_mixture_crps_terms_give_the_crps_of_the_pooled_members():
    rng = np.random.default_rng(7)
    structures = [rng.normal(0, 1, 300), rng.normal(2, 0.5, 200), rng.gamma(2, 1, 250)]
    w = np.array([0.2, 0.5, 0.3])
    pooled = np.concatenate(structures)
    member_weights = np.concatenate(
        [np.full(s.size, wk / s.size) for s, wk in zip(structures, w, strict=True)]
    )
    for sd in [0.0, 0.05, 0.8]:
        for y in [-1.0, 1.3, 5.0]:
            a, b = mixture_crps_terms(structures, y, sd)
            assert w @ a - 0.5 * w @ b @ w == pytest.approx(
                crps(pooled, y, sd, member_weights), rel=1e-10
            )
            for k, members in enumerate(structures):
                assert a[k] - 0.5 * b[k, k] == pytest.approx(crps(members, y, sd), rel=1e-10)


def test_crps_stacking_weights():
    rng = np.random.default_rng(8)
    ys = rng.normal(0, 1, 25)
    truth = stats.norm.ppf((np.arange(200) + 0.5) / 200)
    good, bad = truth, truth + 3.0
    terms = [mixture_crps_terms([good, bad], y, 0.2) for y in ys]
    result = crps_stacking_weights(terms, names=["good", "bad"])
    assert result.weights[0] == pytest.approx(1.0, abs=1e-6)
    # two regimes: compare with a grid over the single free weight
    ys2 = np.concatenate([rng.normal(0, 1, 15), rng.normal(3, 1, 15)])
    terms = [mixture_crps_terms([truth, truth + 3.0], y, 0.2) for y in ys2]
    grid = np.linspace(0, 1, 20_001)
    a = np.mean([t[0] for t in terms], axis=0)
    b = np.mean([t[1] for t in terms], axis=0)
    losses = [
        np.array([g, 1 - g]) @ a - 0.5 * np.array([g, 1 - g]) @ b @ np.array([g, 1 - g])
        for g in grid
    ]
    best = grid[int(np.argmin(losses))]
    fitted = crps_stacking_weights(terms)
    assert fitted.weights[0] == pytest.approx(best, abs=1e-4)
    assert 0.2 < fitted.weights[0] < 0.8


# --- leave one episode out --------------------------------------------------------------------


def test_leave_one_episode_out_fits_on_the_other_episodes_only():
    lp = two_regimes(12, seed=9)
    episodes = ["e1"] * 4 + ["e2"] * 4 + ["e3"] * 4
    result = leave_one_episode_out(episodes, method="stacking", log_densities=lp, names=["a", "b"])
    assert [f.episode for f in result.folds] == ["e1", "e2", "e3"]
    combined = []
    for fold, held in zip(result.folds, [slice(0, 4), slice(4, 8), slice(8, 12)], strict=True):
        mask = np.ones(12, bool)
        mask[held] = False
        expected = stacking_weights(lp[:, mask]).weights
        assert fold.weights.weights == pytest.approx(expected, abs=1e-12)
        w = np.array(expected)
        per_obs = -special.logsumexp(lp[:, held] + np.log(np.maximum(w, 1e-300))[:, None], axis=0)
        assert fold.combined == pytest.approx(per_obs.mean(), rel=1e-10)
        assert fold.by_structure["a"] == pytest.approx(-lp[0, held].mean())
        combined.extend(per_obs)
    assert result.combined == pytest.approx(np.mean(combined), rel=1e-10)
    assert result.by_structure["b"] == pytest.approx(-lp[1].mean())
    assert result.weights.weights == pytest.approx(stacking_weights(lp).weights, abs=1e-12)
    json.dumps(result.to_dict(), allow_nan=False)


def test_leave_one_episode_out_bma_and_crps_stacking():
    rng = np.random.default_rng(10)
    truth = stats.norm.ppf((np.arange(100) + 0.5) / 100)
    structures = [truth, truth + 1.5]
    ys = rng.normal(0, 1, 9)
    episodes = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    lp = np.array([[log_predictive_density(s, y, 0.3) for y in ys] for s in structures])
    bma = leave_one_episode_out(episodes, method="bma", log_densities=lp, prior=[0.5, 0.5])
    assert bma.folds[0].weights.weights == pytest.approx(bma_weights(lp[:, 3:]).weights, rel=1e-12)
    terms = [mixture_crps_terms(structures, y, 0.3) for y in ys]
    loo = leave_one_episode_out(episodes, method="crps-stacking", crps_terms=terms)
    assert loo.score == "crps"
    fold = loo.folds[1]
    w = np.array(fold.weights.weights)
    pooled = np.concatenate(structures)
    member_w = np.concatenate([np.full(100, w[0] / 100), np.full(100, w[1] / 100)])
    expected = np.mean([crps(pooled, y, 0.3, member_w) for y in ys[3:6]])
    assert fold.combined == pytest.approx(expected, rel=1e-9)
    assert loo.by_structure["structure_0"] == pytest.approx(
        np.mean([crps(truth, y, 0.3) for y in ys]), rel=1e-9
    )
    # a lone episode has nothing to fit on: prior weights, said so
    lone = leave_one_episode_out(["only"] * 9, method="bma", log_densities=lp, prior=[0.8, 0.2])
    assert lone.folds[0].weights.weights == pytest.approx((0.8, 0.2))
    assert "prior" in lone.folds[0].weights.note
    assert (
        json.loads(json.dumps(lone.to_dict(), allow_nan=False))["folds"][0]["weights"]["objective"]
        is None
    )
    with pytest.raises(ValueError, match="needs log_densities"):
        leave_one_episode_out(episodes, method="stacking")
    with pytest.raises(ValueError, match="one episode label"):
        leave_one_episode_out(["a"], method="bma", log_densities=lp)


# --- the Bayesian bootstrap over episodes: pseudo-BMA+, bootstrap stacking, separation ----------


def _episodes_of(sums: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Log densities whose per-episode sums are ``sums`` (structures × episodes): two targets per
    episode, each carrying half of the episode's sum."""
    lp = np.repeat(sums / 2.0, 2, axis=1)
    return lp, [f"e{j}" for j in range(sums.shape[1]) for _ in range(2)]


def test_identical_scores_keep_the_prior_weights_exactly():
    rng = np.random.default_rng(11)
    row = rng.normal(-3.0, 1.0, 12)
    lp = np.vstack([row, row, row])
    units = [f"e{i // 3}" for i in range(12)]
    prior = [0.2, 0.3, 0.5]
    for weigh in (pseudo_bma_plus_weights, bootstrap_stacking_weights):
        result = weigh(lp, units, prior)
        assert result.weights == (0.2, 0.3, 0.5)
        assert result.intervals == ((0.2, 0.2), (0.3, 0.3), (0.5, 0.5))
        assert "identical" in result.note
    apart = separation(lp, units, ["a", "b", "c"])
    assert [s.verdict for s in apart] == ["best", "identical", "identical"]
    assert all(s.difference == 0.0 for s in apart)


def test_a_clearly_dominant_structure_takes_nearly_all_the_weight():
    # 10 episodes; structure a beats b by 5 to 7 nats in every one of them
    sums = np.vstack([np.full(10, -20.0), -20.0 - np.linspace(5.0, 7.0, 10)])
    lp, units = _episodes_of(sums)
    result = pseudo_bma_plus_weights(lp, units, names=["a", "b"])
    assert result.weights[0] > 0.999
    assert result.intervals[0][0] > 0.999
    assert result.units == 10
    (best, other) = separation(lp, units, ["a", "b"])
    assert best.verdict == "best" and other.verdict == "separated"
    assert other.difference == pytest.approx(60.0)
    assert other.se == pytest.approx(math.sqrt(10) * np.std(np.linspace(5, 7, 10), ddof=1))


def test_pseudo_bma_plus_by_hand_two_accounts_three_episodes():
    # Episode sums of a minus b: +D, +D, −2D with D huge. A draw α ~ Dirichlet(1, 1, 1) gives a
    # the weight 1 exactly when 3D(α1 + α2 − 2α3) > 0, i.e. α3 < 1/3; α3 ~ Beta(1, 2), so
    # P(α3 < 1/3) = 1 − (2/3)² = 5/9: pseudo-BMA+ gives a 5/9 and b 4/9 (BMA, on the sums
    # alone, would give the two equal weights, and the interval is the whole [0, 1]).
    d = 1000.0
    sums = np.array([[d, d, -2 * d], [0.0, 0.0, 0.0]])
    lp, units = _episodes_of(sums)
    result = pseudo_bma_plus_weights(lp, units, names=["a", "b"], draws=200_000, seed=3)
    se = math.sqrt((5 / 9) * (4 / 9) / 200_000)
    assert result.weights[0] == pytest.approx(5 / 9, abs=4 * se)
    assert result.intervals[0] == (0.0, 1.0)
    assert bma_weights(lp).weights[0] == pytest.approx(0.5)
    # a smooth case against the integral over the simplex (an independent computation):
    # sums −10, −20, −30 against −11, −22, −33 and priors 1/4, 3/4
    sums = np.array([[-10.0, -20.0, -30.0], [-11.0, -22.0, -33.0]])
    lp, units = _episodes_of(sums)

    def weight_of_a(a2: float, a1: float) -> float:
        a3 = 1.0 - a1 - a2
        z = 3.0 * (a1 * 1.0 + a2 * 2.0 + a3 * 3.0)
        return 1.0 / (1.0 + 3.0 * math.exp(-z))

    from scipy import integrate

    area, _ = integrate.dblquad(weight_of_a, 0.0, 1.0, 0.0, lambda a1: 1.0 - a1, epsabs=1e-11)
    expected = 2.0 * area  # Dirichlet(1, 1, 1) is uniform on the simplex, of area 1/2
    result = pseudo_bma_plus_weights(lp, units, [0.25, 0.75], draws=200_000, seed=5)
    assert result.weights[0] == pytest.approx(expected, abs=2e-3)
    # pseudo-BMA (one unit: nothing to resample) is the softmax of the summed scores
    lone = pseudo_bma_plus_weights(lp, ["one"] * 6, [0.25, 0.75])
    assert lone.weights[0] == pytest.approx(1.0 / (1.0 + 3.0 * math.exp(-6.0)), rel=1e-12)
    assert "nothing to resample" in lone.note
    # separation by hand: differences 1, 2, 3 nats; Δ = 6, se = √3 · sd(1, 2, 3) = √3
    (best, other) = separation(lp, units, ["a", "b"])
    assert best.verdict == "best" and best.difference == 0.0
    assert other.difference == pytest.approx(6.0)
    assert other.se == pytest.approx(math.sqrt(3.0))
    assert other.verdict == "separated"  # 6 ≥ 4 and 6 > 2√3


def test_small_or_noisy_differences_keep_the_weights_near_the_prior():
    # b is behind by 0.05 nats in each of 10 episodes: consistently, but by little. Stacking
    # and bootstrap stacking still put everything on a; pseudo-BMA+ stays near one half.
    sums = np.vstack([np.full(10, -20.0), np.full(10, -20.05)])
    lp, units = _episodes_of(sums)
    assert stacking_weights(lp).weights[0] == pytest.approx(1.0, abs=1e-6)
    assert bootstrap_stacking_weights(lp, units, draws=50).weights[0] == pytest.approx(
        1.0, abs=1e-6
    )
    plus = pseudo_bma_plus_weights(lp, units)
    assert plus.weights[0] == pytest.approx(1.0 / (1.0 + math.exp(-0.5)), abs=1e-3)
    assert separation(lp, units)[1].verdict == "small"
    # b ahead by 3.5 nats in half the episodes and behind by 2.5 in the other half: a is 5 nats
    # behind in all, more than the small 4, but its standard error is √10 · sd = 10: within noise
    swings = np.tile([3.0, -3.0], 5)
    sums = np.vstack([np.full(10, -20.0), -20.0 + swings + 0.5])
    lp, units = _episodes_of(sums)
    plus = pseudo_bma_plus_weights(lp, units, names=["a", "b"])
    assert 0.1 < plus.weights[0] < 0.5
    assert plus.intervals[0][0] < 0.01 and plus.intervals[0][1] > 0.9
    behind = separation(lp, units, ["a", "b"])[0]
    assert behind.verdict == "within noise" and behind.difference == pytest.approx(5.0)
    assert behind.se == pytest.approx(math.sqrt(10) * np.std(swings, ddof=1))
    # the same swings around a 3-nat lead: small, whatever the standard error
    lp, _ = _episodes_of(np.vstack([np.full(10, -20.0), -20.0 + swings + 0.3]))
    assert separation(lp, units, ["a", "b"])[0].verdict == "small"


def test_the_bootstrap_is_seeded():
    rng = np.random.default_rng(12)
    lp = rng.normal(-2.0, 1.0, (3, 30))
    units = [f"e{i % 6}" for i in range(30)]
    for weigh, draws in ((pseudo_bma_plus_weights, 4000), (bootstrap_stacking_weights, 40)):
        first = weigh(lp, units, draws=draws, seed=7)
        assert weigh(lp, units, draws=draws, seed=7) == first
        other = weigh(lp, units, draws=draws, seed=8)
        assert other.weights != first.weights
        assert other.weights == pytest.approx(first.weights, abs=0.1)
    loo = leave_one_episode_out(units, method="pseudo-bma+", log_densities=lp, seed=7)
    assert loo.weights == pseudo_bma_plus_weights(lp, units, draws=DRAWS, seed=7)
    fold = loo.folds[0]
    kept = [u != "e0" for u in units]
    assert fold.weights == pseudo_bma_plus_weights(
        lp[:, kept], [u for u in units if u != "e0"], seed=7
    )
    assert fold.weights.units == 5
    json.dumps(loo.to_dict(), allow_nan=False)


def test_bootstrap_stacking_shares_where_history_has_two_regimes():
    lp = two_regimes(40, seed=13)
    units = [f"e{i // 4}" for i in range(40)]  # the first five episodes favour 0, the rest 1
    plain = stacking_weights(lp).weights[0]
    boot = bootstrap_stacking_weights(lp, units, draws=200)
    assert boot.weights[0] == pytest.approx(plain, abs=0.1)
    low, high = boot.intervals[0]
    assert low < plain < high and high - low > 0.1
