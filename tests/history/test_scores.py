"""Proper scores against independent implementations, hand values and properness by simulation."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from alliancesim.analysis import scores as sc
from alliancesim.analysis.scores import (
    brier_score,
    crps,
    crps_normal,
    direction_check,
    interval_score,
    log_predictive_density,
    mixture_cdf,
    mixture_quantile,
    persistence_forecast,
    score_observation,
    score_reference,
    skill_score,
    skill_table,
    trend_forecast,
)


def crps_by_integration(members, weights, sd, y):
    """∫ (F(t) − 1{t ≥ y})² dt with F the mixture CDF, by adaptive quadrature (independent)."""
    x = np.asarray(members, float)
    w = np.asarray(weights, float) / np.sum(weights)

    def cdf(t):
        if sd == 0:
            return float(w[x <= t].sum())
        return float(w @ stats.norm.cdf((t - x) / sd))

    lo = min(x.min(), y) - 12 * sd - 1
    hi = max(x.max(), y) + 12 * sd + 1
    breaks = sorted({*x.tolist(), y})
    total = 0.0
    edges = [lo, *breaks, hi]
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        step = 1.0 if a >= y else 0.0
        value, _ = integrate.quad(
            lambda t, s=step: (cdf(t) - s) ** 2, a, b, epsabs=1e-13, epsrel=1e-11, limit=400
        )
        total += value
    return total


def normal_crps_formula(mu, sigma, y):
    """σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π], written out independently of the module."""
    z = (y - mu) / sigma
    return sigma * (
        z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)
    )


# --- CRPS -------------------------------------------------------------------------------------


def test_plain_ensemble_crps_by_hand():
    # members 1, 2, 4 at y = 2.5: mean|x − y| = 3.5/3; mean over the 9 ordered pairs of
    # |x_i − x_j| = 2 (1 + 3 + 2) / 9 = 4/3; CRPS = 7/6 − 2/3 = 1/2
    assert crps([1.0, 2.0, 4.0], 2.5) == pytest.approx(0.5, abs=1e-15)
    # at y = 5: 8/3 − 2/3 = 2
    assert crps([1.0, 2.0, 4.0], 5.0) == pytest.approx(2.0, abs=1e-15)
    # weights: members 0 (1/4) and 1 (3/4) at y = 0; F = 1/4 on [0, 1): ∫ (1/4 − 1)² = 9/16
    assert crps([0.0, 1.0], 0.0, weights=[1, 3]) == pytest.approx(9 / 16, abs=1e-15)
    # a single member is the absolute error
    assert crps([3.0], -1.5) == pytest.approx(4.5)


def test_one_member_with_error_is_the_normal_crps():
    for mu, sigma, y in [(0, 1, 0), (0, 1, 2.3), (10, 0.3, 9.1), (-4, 7, 30), (2, 1e-3, 2.0005)]:
        expected = normal_crps_formula(mu, sigma, y)
        assert crps([mu], y, sigma) == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert crps_normal(mu, sigma, y) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert crps_normal(1.0, 0.0, 4.0) == 3.0


@pytest.mark.parametrize("sd", [0.0, 0.05, 0.7, 3.0])
def test_crps_equals_numerical_integration_of_the_mixture(sd):
    rng = np.random.default_rng(11)
    members = rng.normal(2.0, 1.5, size=7)
    weights = rng.uniform(0.2, 1.0, size=7)
    for y in [members.min() - 2.0, float(np.median(members)), 1.234, members.max() + 5.0]:
        expected = crps_by_integration(members, weights, sd, y)
        assert crps(members, y, sd, weights) == pytest.approx(expected, rel=1e-7, abs=1e-10)


def test_crps_agrees_with_scoringrules(monkeypatch):
    sr = pytest.importorskip("scoringrules")
    rng = np.random.default_rng(5)
    used = []
    quadrature = sc._pair_mean_quadrature
    monkeypatch.setattr(
        sc, "_pair_mean_quadrature", lambda *a: used.append("quadrature") or quadrature(*a)
    )
    # sd against the spread: large (quadrature of the CDFs), tiny (near pairs only), huge
    for m, sd, path in [
        (1200, 1.0, ["quadrature"]),
        (1200, 0.004, []),
        (300, 30.0, None),
        (50, 0.2, None),
    ]:
        x = rng.gamma(2.0, 3.0, size=m)
        w = rng.uniform(0.5, 1.5, size=m)
        used.clear()
        for y in [0.5, 6.0, 40.0]:
            expected = float(sr.crps_mixnorm(y, x, np.full(m, sd), w / w.sum()))
            assert crps(x, y, sd, w) == pytest.approx(expected, rel=1e-9)
        if path is not None:
            assert used == path * 3
    x = rng.normal(size=200)
    assert crps(x, 0.3) == pytest.approx(
        float(sr.crps_ensemble(0.3, x, estimator="nrg")), rel=1e-12
    )
    assert crps(x, 0.3, fair=True) == pytest.approx(
        float(sr.crps_ensemble(0.3, x, estimator="fair")), rel=1e-12
    )


def test_quadrature_and_pair_sum_give_the_same_spread_term():
    rng = np.random.default_rng(8)
    cases = [
        rng.normal(size=1500),
        np.concatenate([rng.normal(size=1495) * 0.01, rng.normal(size=5) * 100]),
        np.concatenate([37 + rng.normal(size=700) * 1e-9, 40 + rng.normal(size=800) * 3]),
        rng.poisson(20, size=1500).astype(float),
    ]
    for x in cases:
        values, mass = sc._merge_ties(np.sort(x), np.full(x.size, 1 / x.size))
        for sd in [1e-5, 0.01, 0.5, 40.0]:
            exact = sc._pair_mean_exact(values, mass, values, mass, sd)
            quadrature = sc._pair_mean_quadrature(values, mass, values, mass, sd)
            assert quadrature == pytest.approx(exact, rel=1e-9)
            assert sc._pair_mean(values, mass, values, mass, sd) == pytest.approx(exact, rel=1e-9)
    # and across two different member sets (CRPS stacking's cross terms)
    x, y = np.sort(rng.normal(size=900)), np.sort(rng.normal(1.0, 2.0, size=700))
    u, v = np.full(900, 1 / 900), np.full(700, 1 / 700)
    for sd in [0.003, 0.4, 9.0]:
        direct = float(u @ sc._abs_normal_mean(x[:, None] - y[None, :], math.sqrt(2) * sd) @ v)
        assert sc._pair_mean(x, u, y, v, sd) == pytest.approx(direct, rel=1e-10)
        assert sc._pair_mean_quadrature(x, u, y, v, sd) == pytest.approx(direct, rel=1e-10)


def test_crps_is_shift_invariant_on_large_values_and_vectorised():
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 2.0, size=500)
    ys = np.array([-3.0, 0.0, 0.4, 5.0])
    base = crps(x, ys, 0.8)
    assert isinstance(base, np.ndarray) and base.shape == (4,)
    assert base == pytest.approx([crps(x, y, 0.8) for y in ys], rel=1e-13)
    assert crps(x + 40_000.0, ys + 40_000.0, 0.8) == pytest.approx(base, rel=1e-9)


def test_ties_are_merged_without_changing_the_answer():
    counts = np.array([3, 3, 3, 4, 4, 7, 7, 7, 7, 12], float)
    direct = np.mean(np.abs(counts - 5)) - 0.5 * np.mean(np.abs(counts[:, None] - counts[None, :]))
    assert crps(counts, 5.0) == pytest.approx(direct, abs=1e-14)
    assert crps(counts, 5.0, 0.5) == pytest.approx(
        crps_by_integration(counts, np.ones(10), 0.5, 5.0), rel=1e-8
    )


def test_fair_crps_is_unbiased_for_small_ensembles_and_the_plain_one_is_not():
    # Members drawn from the truth N(0, 1); observation = truth + error (sd 0.5). The fair CRPS
    # of 5-member ensembles averages to the CRPS of the true predictive N(0, 1.25); the plain
    # one counts each member's pair with itself, E|σ(Z − Z')| = 2σ/√π instead of E|X − X'| =
    # 2·√1.25/√π, with weight 1/m, so it is higher by (E|X − X'| − 2σ/√π)/(2m) ≈ 0.0697.
    rng = np.random.default_rng(2026)
    sd, m, n = 0.5, 5, 4000
    ensembles = rng.normal(size=(n, m))
    ys = rng.normal(size=n) + sd * rng.normal(size=n)
    fair = np.array([crps(e, y, sd, fair=True) for e, y in zip(ensembles, ys, strict=True)])
    plain = np.array([crps(e, y, sd) for e, y in zip(ensembles, ys, strict=True)])
    truth = np.array([crps_normal(0.0, math.sqrt(1 + sd**2), y) for y in ys])
    diff = fair - truth
    assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(n)
    bias = (2 * math.sqrt(1.25) - 2 * sd) / math.sqrt(math.pi) / (2 * m)
    assert (plain - fair).mean() == pytest.approx(bias, rel=0.05)
    assert (plain - truth).mean() == pytest.approx(bias, rel=0.15)
    with pytest.raises(ValueError, match="two members"):
        crps([1.0], 0.0, fair=True)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="at least one member"):
        crps([], 1.0)
    with pytest.raises(ValueError, match="finite"):
        crps([1.0, np.nan], 1.0)
    with pytest.raises(ValueError, match="sd"):
        crps([1.0], 1.0, -0.1)
    with pytest.raises(ValueError, match="weights"):
        crps([1.0, 2.0], 1.0, weights=[1.0, -1.0])


# --- quantiles and the interval score ---------------------------------------------------------


def test_interval_score_by_hand_inside_below_above():
    members = np.arange(1.0, 21.0)  # F(1) = 0.05, F(19) = 0.95: the 90 % interval is [1, 19]
    for y, expected in [(10.0, 18.0), (19.0, 18.0), (-1.0, 18.0 + 20 * 2), (21.5, 18.0 + 20 * 2.5)]:
        score, lower, upper = interval_score(members, y)
        assert (lower, upper) == (1.0, 19.0)
        assert score == pytest.approx(expected)
    # one member with error: the normal's interval ±1.6449 σ
    z = stats.norm.ppf(0.95)
    score, lower, upper = interval_score([2.0], 7.0, sd=2.0)
    assert (lower, upper) == pytest.approx((2 - 2 * z, 2 + 2 * z), rel=1e-12)
    assert score == pytest.approx(4 * z + 20 * (7.0 - (2 + 2 * z)), rel=1e-12)
    # α = 0.5: the 50 % interval and a penalty of 4 per unit outside
    score, lower, upper = interval_score([0.0], -3.0, sd=1.0, alpha=0.5)
    q = stats.norm.ppf(0.75)
    assert score == pytest.approx(2 * q + 4 * (3 - q), rel=1e-12)
    scores, _, _ = interval_score(members, [10.0, -1.0])
    assert scores == pytest.approx([18.0, 58.0])


@pytest.mark.parametrize("sd", [1e-6, 0.01, 0.4, 5.0])
def test_mixture_quantiles_invert_the_cdf(sd):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(8, 0.1, 100)])
    for p in [0.001, 0.05, 0.5, 0.74, 0.95, 0.999]:
        q = mixture_quantile(x, p, sd)
        assert mixture_cdf(x, q, sd) == pytest.approx(p, abs=1e-9)


def test_discrete_quantile_is_the_lower_quantile():
    assert mixture_quantile([1, 2, 3, 4], 0.5) == 2.0
    assert mixture_quantile([1, 2, 3, 4], 0.51) == 3.0
    assert mixture_quantile([5, 5, 5], 0.95) == 5.0
    assert mixture_quantile([0, 10], 0.3, weights=[3, 7]) == 0.0
    assert mixture_quantile([0, 10], 0.31, weights=[3, 7]) == 10.0


# --- log score ----------------------------------------------------------------------------------


def test_log_density_of_the_mixture():
    assert log_predictive_density([1.0], 2.5, 0.7) == pytest.approx(
        stats.norm.logpdf(2.5, 1.0, 0.7), rel=1e-13
    )
    x, w, y, sd = np.array([0.0, 1.0, 5.0]), np.array([0.2, 0.3, 0.5]), 1.7, 0.9
    expected = math.log(float(w @ stats.norm.pdf(y, x, sd)))
    assert log_predictive_density(x, y, sd, w) == pytest.approx(expected, rel=1e-13)
    # far in the tail the log stays finite (log-sum-exp)
    assert log_predictive_density([0.0], 80.0, 1.0) == pytest.approx(
        stats.norm.logpdf(80.0), rel=1e-12
    )
    # bandwidth adds in quadrature
    assert log_predictive_density(x, y, 0.6, w, bandwidth=0.8) == pytest.approx(
        math.log(float(w @ stats.norm.pdf(y, x, 1.0))), rel=1e-13
    )
    # counts without error: the probability mass on the observed count
    assert log_predictive_density([2, 3, 3, 5], 3, discrete=True) == pytest.approx(math.log(0.5))
    assert log_predictive_density([2, 3, 3, 5], 4, discrete=True) == -math.inf
    with pytest.raises(ValueError, match="no density"):
        log_predictive_density([1.0, 2.0], 1.5)
    assert sc.silverman_bandwidth([1.0, 1.0]) == 0.0


# --- direction --------------------------------------------------------------------------------


def test_direction_is_not_scored_within_the_error():
    check = direction_check([1.0, 2.0], 0.3, sd=0.2, k=2.0)  # 0.3 <= 2 × 0.2
    assert not check.scored and check.agrees is None and check.share is None
    check = direction_check([0.0, 0.0], 0.0, sd=0.0)
    assert not check.scored and check.agrees is None
    assert direction_check([1.0], 0.3, sd=0.2, k=1.0).scored


def test_a_quantity_the_model_never_moves_does_not_agree():
    check = direction_check(np.zeros(100), -1.1, sd=0.2)
    assert check.scored and check.share == pytest.approx(0.5) and check.agrees is False
    check = direction_check(np.zeros(100), -1.1, sd=0.0)
    assert check.share == pytest.approx(0.5) and check.agrees is False


def test_direction_share_counts_members_and_error():
    members = np.array([-2.0, -1.0, -0.5, 0.0, 1.0])
    check = direction_check(members, -1.0, sd=0.0, k=2.0)  # sd 0: any nonzero change is scored
    assert check.scored and check.observed_direction == -1
    assert check.share == pytest.approx((3 + 0.5) / 5) and check.agrees
    check = direction_check(members, -1.0, sd=0.3, k=2.0)
    assert check.share == pytest.approx(float(np.mean(stats.norm.cdf(-members / 0.3))), rel=1e-12)


# --- events -----------------------------------------------------------------------------------


def test_event_scores_are_brier_and_equal_the_binary_crps():
    members = np.array([1, 0, 0, 1, 1, 0, 0, 0])  # p = 3/8
    out = score_observation(members, 1, kind="event")
    assert out.probability == pytest.approx(3 / 8)
    assert out.brier == pytest.approx((1 - 3 / 8) ** 2) and out.crps == out.brier
    assert out.log_score == pytest.approx(-math.log(3 / 8))
    # the CRPS of a 0/1 ensemble, computed as a continuous forecast, is the same number
    assert crps(members.astype(float), 1.0) == pytest.approx(out.brier, abs=1e-15)
    assert crps(members.astype(float), 0.0) == pytest.approx(brier_score(3 / 8, 0), abs=1e-15)
    never = score_observation(np.zeros(4), 1, kind="event")
    assert never.log_score == math.inf and never.to_dict()["log_score"] is None
    with pytest.raises(ValueError, match="no sd"):
        score_observation(members, 1, kind="event", sd=0.1)
    with pytest.raises(ValueError, match="1 \\(happened\\)"):
        brier_score(0.5, 2)


# --- the entry point --------------------------------------------------------------------------


def test_score_observation_for_each_kind_is_json_ready():
    rng = np.random.default_rng(0)
    members = rng.normal(-0.6, 0.3, 2000)
    change = score_observation(members, -1.1, kind="change", sd=0.21)
    assert change.direction is not None and change.direction.scored and change.direction.agrees
    assert change.crps == pytest.approx(crps(members, -1.1, 0.21), rel=1e-14)
    level = score_observation([40.0, 38.0, 37.0], 37.0, kind="level", sd=0.5)
    assert level.direction is None and level.log_score is not None and level.covered
    count = score_observation([3, 4, 4, 6], 4, kind="count")
    assert count.log_score == pytest.approx(-math.log(0.5)) and count.interval_score is not None
    flat = score_observation([1.0, 2.0], 1.5, kind="level")
    assert flat.log_score is None and flat.notes
    for out in (change, level, count, flat, score_observation([1, 0], 0, kind="event")):
        text = json.dumps(out.to_dict(), allow_nan=False)
        assert json.loads(text)["kind"] == out.kind
    with pytest.raises(ValueError, match="kind"):
        score_observation([1.0], 1.0, kind="poll")


def test_entry_point_scores_equal_the_separate_functions():
    rng = np.random.default_rng(9)
    members = rng.normal(-5.0, 3.0, 1000)
    out = score_observation(members, -18.0, kind="change", sd=4.0, alpha=0.1, k=2.0)
    assert out.crps == pytest.approx(crps(members, -18.0, 4.0), rel=1e-14)
    score, lower, upper = interval_score(members, -18.0, 4.0)
    assert (out.interval_score, out.interval_lower, out.interval_upper) == pytest.approx(
        (score, lower, upper)
    )
    assert out.log_score == pytest.approx(-log_predictive_density(members, -18.0, 4.0), rel=1e-14)
    assert out.median == pytest.approx(mixture_quantile(members, 0.5, 4.0))
    assert not out.covered and out.direction.scored


# --- properness ---------------------------------------------------------------------------------


def test_scores_are_minimised_in_expectation_by_the_true_forecast():
    # Truth: the quantity is N(0, 1), observed with error sd 0.5. The true forecast's members
    # are N(0, 1)'s quantiles; rivals are shifted or scaled. Averaged over 3,000 observations
    # (fixed seed), every score ranks the true forecast first by a clear, paired margin.
    rng = np.random.default_rng(20260501)
    sd, n, m = 0.5, 3000, 400
    ys = rng.normal(size=n) + sd * rng.normal(size=n)
    truth = stats.norm.ppf((np.arange(m) + 0.5) / m)
    rivals = {
        "shift +0.4": truth + 0.4,
        "shift -0.4": truth - 0.4,
        "too sharp": 0.6 * truth,
        "too wide": 1.6 * truth,
    }

    def losses(members):
        return {
            "crps": crps(members, ys, sd),
            "interval": interval_score(members, ys, sd)[0],
            "log": -log_predictive_density(members, ys, sd),
        }

    best = losses(truth)
    for name, members in rivals.items():
        other = losses(members)
        for score, values in other.items():
            diff = values - best[score]
            margin = diff.mean() / (diff.std() / math.sqrt(n))
            assert diff.mean() > 0 and margin > 4, (name, score, diff.mean(), margin)


# --- reference forecasters and skill --------------------------------------------------------------


def test_persistence_carries_the_errors():
    f = persistence_forecast([3.0, 4.31], [0.2, 0.15], target_sd=0.15)
    assert f.mean == 4.31 and f.sd == pytest.approx(math.hypot(0.15, 0.15))
    change = f.for_change(4.31)
    assert change.mean == 0.0 and change.sd == f.sd
    assert persistence_forecast([1.0]).sd == 0.0


def test_trend_recovers_the_slope_of_a_linear_series():
    times = np.array([2015.0, 2016.0, 2017.0, 2018.0, 2019.0])
    values = 2.0 + 0.5 * (times - 2015.0)
    f = trend_forecast(times, values, 2021.0)
    assert f.slope == pytest.approx(0.5, rel=1e-12)
    assert f.mean == pytest.approx(5.0, rel=1e-12)
    assert f.sd == pytest.approx(0.0, abs=1e-12) and not f.fell_back
    assert score_reference(f, 5.0).crps == pytest.approx(0.0, abs=1e-12)


def test_trend_spread_by_hand():
    # two points (0, a), (1, b), target t = 2: ŷ = 2b − a, so var = sd0² + 4 sd1² + sd_t²
    f = trend_forecast([0.0, 1.0], [1.0, 3.0], 2.0, prior_sds=[0.1, 0.2], target_sd=0.3)
    assert f.mean == pytest.approx(5.0) and f.slope == pytest.approx(2.0)
    assert f.sd == pytest.approx(math.sqrt(0.01 + 4 * 0.04 + 0.09))
    # scatter beyond the observation errors widens it: residuals ±1 about a flat line
    times, values = [0.0, 1.0, 2.0, 3.0], [0.0, 1.0, -1.0, 0.0]
    g = trend_forecast(times, values, 4.0)
    t = np.array(times)
    slope, intercept = np.polyfit(t, values, 1)
    resid = np.asarray(values) - (intercept + slope * t)
    tau2 = float(resid @ resid) / 2
    x = np.column_stack([np.ones(4), t])
    c = np.array([1.0, 4.0]) @ np.linalg.inv(x.T @ x) @ x.T
    assert g.slope == pytest.approx(slope) and g.mean == pytest.approx(intercept + 4 * slope)
    assert g.sd == pytest.approx(math.sqrt(tau2 * (1 + c @ c)), rel=1e-12)


def test_trend_falls_back_to_persistence_and_says_so():
    f = trend_forecast([2016.0], [8.07], 2017.0, prior_sds=[0.1], target_sd=0.1)
    assert f.fell_back and f.method == "trend" and "fewer than two" in f.note
    assert f.mean == 8.07 and f.sd == pytest.approx(math.hypot(0.1, 0.1))
    out = score_reference(f, 4.16, sd=0.1)
    assert out.forecaster == "trend" and any("persistence" in n for n in out.notes)
    same_time = trend_forecast([1.0, 1.0], [2.0, 3.0], 2.0)
    assert same_time.fell_back and same_time.mean == 3.0


def test_reference_scores_use_the_exact_normal():
    f = persistence_forecast([77.0], [2.0], target_sd=2.0).for_change(77.0)
    out = score_reference(f, -18.0, kind="change", sd=math.hypot(2.0, 2.0))
    assert out.crps == pytest.approx(normal_crps_formula(0.0, f.sd, -18.0), rel=1e-12)
    assert out.crps_variant == "exact"
    assert out.log_score == pytest.approx(-stats.norm.logpdf(-18.0, 0.0, f.sd), rel=1e-12)
    # persistence of a change never agrees in direction: its share is one half
    assert (
        out.direction.scored
        and out.direction.share == pytest.approx(0.5)
        and not out.direction.agrees
    )
    event = score_reference(persistence_forecast([0.0]), 1, kind="event")
    assert event.brier == 1.0


def test_persistence_has_skill_zero_against_itself_on_a_flat_series():
    series = [5.0, 5.0, 5.0, 5.0]
    model, reference = [], []
    for i in range(1, len(series)):
        with_error = persistence_forecast(series[:i], [0.3] * i, target_sd=0.3)
        model.append(score_reference(with_error, series[i], sd=0.3).crps)
        reference.append(score_reference(with_error, series[i], sd=0.3).crps)
    assert skill_score(model, reference).skill == 0.0
    # without errors every score is 0: skill 0 by convention, not a division by zero
    exact = [score_reference(persistence_forecast(series[:i]), series[i]).crps for i in range(1, 4)]
    assert exact == [0.0, 0.0, 0.0]
    assert skill_score(exact, exact).skill == 0.0


def test_skill_averages_scores_first_then_takes_the_ratio():
    table = skill_table([1.0, 3.0, 0.5], [2.0, 2.0, 1.0], ["a", "a", "b"])
    assert table.per_observation == pytest.approx((0.5, -0.5, 0.5))
    assert table.per_group["a"].skill == pytest.approx(0.0)  # 1 − 4/4
    assert table.per_group["b"].skill == pytest.approx(0.5)
    assert table.overall.skill == pytest.approx(1 - 4.5 / 5.0)
    assert table.overall.wins == 2 and table.overall.n == 3
    # scales put observations in different units on one footing
    scaled = skill_score([1.0, 30.0], [2.0, 20.0], scales=[1.0, 10.0])
    assert scaled.skill == pytest.approx(1 - (1 + 3) / (2 + 2))
    assert skill_score([1.0], [0.0]).skill is None
    json.dumps(table.to_dict(), allow_nan=False)


def test_members_that_do_not_move_never_agree_even_after_rounding():
    """Weights summing to 1 + 1e-16 must not turn Φ(0) = ½ into agreement."""
    members = np.zeros(500)
    check = direction_check(members, -9.0, 2.83)
    assert check.scored and check.share == pytest.approx(0.5) and check.agrees is False
    weights = np.full(3, 1 / 3)
    assert direction_check([0.0, 0.0, 0.0], 5.0, 1.0, weights).agrees is False
