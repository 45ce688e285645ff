"""The 95 % intervals: a mean's t interval from values or from sums, as SciPy computes it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from alliancesim.intervals import mean_interval, mean_interval_from_sums


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=200))
def test_a_means_interval_from_values_and_from_sums_is_students_t(values) -> None:
    x = np.array(values)
    mean, (lo, hi) = mean_interval(x)
    total, total_sq = float(x.sum()), float(np.square(x).sum())
    same_mean, (same_lo, same_hi) = mean_interval_from_sums(total, total_sq, len(x))
    assert same_mean == pytest.approx(mean, rel=1e-9, abs=1e-9)
    assert (same_lo, same_hi) == pytest.approx((lo, hi), rel=1e-6, abs=1e-6)
    if x.std() > 0:
        expected = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (lo, hi) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_too_few_values_for_an_interval() -> None:
    assert math.isnan(mean_interval(np.array([]))[0])
    assert mean_interval(np.array([2.0])) == (2.0, (2.0, 2.0))
    assert mean_interval_from_sums(2.0, 4.0, 1) == (2.0, (2.0, 2.0))
    assert math.isnan(mean_interval_from_sums(0.0, 0.0, 0)[0])
