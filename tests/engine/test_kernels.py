"""The compiled inner loops agree to the bit with their NumPy forms and with scipy."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from alliancesim import kernels
from alliancesim.engine import MAX_EVENTS_PER_STEP, poisson_quantile_numpy

uniforms = arrays(np.float64, st.integers(1, 64), elements=st.floats(0, 1, exclude_max=True))


@settings(max_examples=200, deadline=None)
@given(uniforms, st.floats(0, 50))
def test_compiled_poisson_counts_equal_the_numpy_recurrence(u, rate):
    assert kernels.AVAILABLE
    compiled = kernels.poisson_counts(u, np.full(u.shape, rate), MAX_EVENTS_PER_STEP)
    assert np.array_equal(compiled, poisson_quantile_numpy(u, np.full(u.shape, rate)))


def test_poisson_counts_follow_the_poisson_distribution():
    """Away from the measure-zero boundaries, n = F⁻¹(u) is scipy's Poisson quantile."""
    rng = np.random.default_rng(3)
    u = rng.random(20_000)
    rate = rng.uniform(0.1, 30, 20_000)
    counts = kernels.poisson_counts(u, rate, MAX_EVENTS_PER_STEP)
    assert np.array_equal(counts, stats.poisson.ppf(u, rate))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_compiled_weighted_mean_equals_numpy(members, actors, seed):
    from alliancesim.bargaining.arrays import weighted_mean

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (members, actors))
    c = rng.uniform(0.1, 100, (members, actors))
    s = rng.uniform(0, 1, (members, actors))
    s[rng.random((members, actors)) < 0.3] = 0.0
    q = rng.uniform(0, 100, members)
    expected = weighted_mean(x, c * s, q)
    assert np.array_equal(kernels.weighted_mean(x, c, s, q), expected)
    # the engine hands over transposed (column-major) views
    assert np.array_equal(
        kernels.weighted_mean(x.T.copy().T, c.T.copy().T, s.T.copy().T, q), expected
    )


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_compiled_pushes_equal_numpy(members, groups, seed):
    """A rule group's push reaches its target alike, saturating or linear, NaN and ±inf
    included."""
    rng = np.random.default_rng(seed)
    quantities = groups + 3
    X = rng.uniform(-1, 1, (quantities, members))
    rows = rng.permutation(quantities)[:groups]
    totals = rng.normal(0, 2, (groups, members))
    totals[rng.random(totals.shape) < 0.2] = 0.0
    specials = rng.random(totals.shape)
    totals[specials < 0.03] = np.inf
    totals[(specials >= 0.03) & (specials < 0.06)] = -np.inf
    totals[(specials >= 0.06) & (specials < 0.08)] = np.nan
    saturates = rng.random(groups) < 0.7
    low = rng.uniform(-2, 0, groups)
    high = low + rng.uniform(0.5, 3, groups)
    start = rng.uniform(-2, 3, (quantities, members))
    start_rows = rng.integers(0, quantities, groups)
    args = (rows, totals, saturates, start, start_rows, low, high, high - low)
    compiled, numpy = X.copy(), X.copy()
    kernels.apply_pushes(compiled, *args)
    kernels.apply_pushes_numpy(numpy, *args)
    assert np.array_equal(compiled, numpy, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 30), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_compiled_relaxation_of_positions_equals_numpy(members, positions, seed):
    """Positions relax toward their preferences, then are clipped to 0–100, alike."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-20, 120, (positions + 2, members))  # rules may have pushed them out
    rows = rng.permutation(positions + 2)[:positions]
    rates = rng.uniform(0, 1, (positions, members))
    rates[rng.random(rates.shape) < 0.3] = 0.0
    start = rng.uniform(0, 100, (positions + 4, members))
    start_rows = rng.integers(0, positions + 4, positions)
    preference = rng.uniform(0, 100, (positions, members))
    compiled, numpy = X.copy(), X.copy()
    kernels.relax_positions(compiled, rows, rates, start, start_rows, preference)
    kernels.relax_positions_numpy(numpy, rows, rates, start, start_rows, preference)
    assert np.array_equal(compiled, numpy)
