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
