"""Uncertain numbers: parsing, inverse CDFs against scipy.stats, and the author-facing messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from alliancesim.scenario.uncertain import (
    Fixed,
    Normal,
    Triangular,
    Uniform,
    parse_uncertain,
)

U = np.array([0.0, 1e-9, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-9])


def test_a_plain_number_is_fixed():
    value = parse_uncertain(0.3)
    assert value == Fixed(0.3)
    assert value.is_fixed
    assert value.mean == 0.3
    assert value.support == (0.3, 0.3)
    np.testing.assert_array_equal(value.ppf(U), np.full(U.shape, 0.3))
    assert parse_uncertain(7) == Fixed(7.0)


def test_uniform_ppf_matches_scipy():
    value = parse_uncertain({"low": 0.1, "high": 0.3})
    assert value == Uniform(0.1, 0.3)
    assert not value.is_fixed
    expected = stats.uniform(loc=0.1, scale=0.2).ppf(U)
    np.testing.assert_allclose(value.ppf(U), expected, rtol=1e-12)
    assert value.mean == pytest.approx(0.2)
    assert value.support == (0.1, 0.3)
    assert value.describe() == "U(0.1, 0.3)"


def test_explicit_uniform_dist_is_accepted():
    assert parse_uncertain({"dist": "uniform", "low": 1, "high": 2}) == Uniform(1.0, 2.0)


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(0.1, 0.2, 0.4), (0, 0, 1), (0, 1, 1), (-5, 2, 3)]
)
def test_triangular_ppf_matches_scipy(low, mode, high):
    value = parse_uncertain({"dist": "triangular", "low": low, "mode": mode, "high": high})
    assert value == Triangular(float(low), float(mode), float(high))
    c = (mode - low) / (high - low)
    expected = stats.triang(c, loc=low, scale=high - low).ppf(U)
    np.testing.assert_allclose(value.ppf(U), expected, rtol=1e-9, atol=1e-12)
    assert value.mean == pytest.approx(stats.triang(c, loc=low, scale=high - low).mean())


@pytest.mark.parametrize(
    ("mean", "sd", "low", "high"),
    [(0.5, 0.1, 0.0, 1.0), (0.5, 0.2, 0.4, None), (10.0, 5.0, None, 12.0), (0.0, 1.0, -1.0, 3.0)],
)
def test_truncated_normal_ppf_matches_scipy(mean, sd, low, high):
    spec = {"dist": "normal", "mean": mean, "sd": sd}
    if low is not None:
        spec["low"] = low
    if high is not None:
        spec["high"] = high
    value = parse_uncertain(spec)
    lo = -math.inf if low is None else low
    hi = math.inf if high is None else high
    assert value == Normal(mean, sd, lo, hi)
    reference = stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd)
    np.testing.assert_allclose(value.ppf(U), reference.ppf(U), rtol=1e-9)
    assert value.mean == pytest.approx(reference.mean())
    assert value.support == (lo, hi)


def test_untruncated_normal_matches_scipy_norm():
    value = parse_uncertain({"dist": "normal", "mean": 2.0, "sd": 0.5})
    inner = U[1:]  # ppf(0) is -inf for an untruncated normal
    np.testing.assert_allclose(value.ppf(inner), stats.norm(2.0, 0.5).ppf(inner), rtol=1e-9)
    assert value.describe() == "N(2, 0.5)"


def test_degenerate_ranges_are_fixed():
    assert parse_uncertain({"low": 0.2, "high": 0.2}) == Fixed(0.2)
    assert parse_uncertain({"dist": "triangular", "low": 1, "mode": 1, "high": 1}) == Fixed(1.0)


def test_describe():
    assert parse_uncertain(0.25).describe() == "0.25"
    assert parse_uncertain({"dist": "triangular", "low": 1, "mode": 2, "high": 4}).describe() == (
        "Tri(1, 2, 4)"
    )
    normal = parse_uncertain({"dist": "normal", "mean": 0.5, "sd": 0.1, "low": 0, "high": 1})
    assert normal.describe() == "N(0.5, 0.1) in [0, 1]"


def test_parsing_an_uncertain_number_again_returns_it():
    value = Uniform(0.0, 1.0)
    assert parse_uncertain(value) is value


FORMS = (
    'a number, {low, high} (uniform), {dist = "triangular", low, mode, high} '
    'or {dist = "normal", mean, sd, low?, high?}'
)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"low": 0.3, "high": 0.1}, "low (0.3) must not exceed high (0.1)"),
        (
            {"dist": "triangular", "low": 0, "mode": 2, "high": 1},
            "a triangular distribution needs low <= mode <= high, got 0, 2, 1",
        ),
        ({"dist": "normal", "mean": 0, "sd": 0}, "sd must be positive, got 0"),
        ({"dist": "normal", "mean": 0, "sd": -1}, "sd must be positive, got -1"),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "low": 1, "high": 1},
            "low (1) must be below high (1)",
        ),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "low": 9, "high": 10},
            "the truncation [9, 10] lies more than 8 sd from the mean 0",
        ),
        (
            {"dist": "beta", "a": 1},
            'dist must be "uniform", "triangular" or "normal", got \'beta\'',
        ),
        (
            {"dist": ["normal"]},
            'dist must be "uniform", "triangular" or "normal", got [\'normal\']',
        ),
        (
            {"dist": "triangular", "low": 0, "high": 1},
            "a triangular distribution takes low, mode, high: missing mode",
        ),
        (
            {"dist": "normal", "mean": 0, "sd": 1, "mode": 3},
            "a normal distribution takes mean, sd (optional low, high): unknown mode",
        ),
        ({"low": 0}, f"expected {FORMS}: missing high"),
        ({"value": 0.3}, f"expected {FORMS}: missing low, high; unknown value"),
        ({"low": "0", "high": 1}, "low must be a number, got '0'"),
        ({"low": True, "high": 1}, "low must be a number, got True"),
        ({"low": 0, "high": math.inf}, "high must be finite, got inf"),
        ({"low": -1e308, "high": 1e308}, "the range [-1e+308, 1e+308] is too wide to sample"),
        (math.nan, "a number must be finite, got nan"),
        (10**400, "a number too large (at most about 1e308)"),
        (True, f"expected {FORMS}, got True"),
        ("0.3", f"expected {FORMS}, got '0.3'"),
        ([0.1, 0.3], f"expected {FORMS}, got [0.1, 0.3]"),
    ],
)
def test_messages_say_what_was_expected(value, message):
    with pytest.raises(ValueError) as caught:
        parse_uncertain(value)
    assert str(caught.value) == message


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-100, 100),
    st.floats(0, 50),
    st.floats(0, 1),
    st.lists(st.floats(0, 1, exclude_max=True), min_size=2, max_size=20),
)
def test_ppf_is_monotone_and_within_the_support(low, width, where, draws):
    high = low + width
    mode = low + where * width
    u = np.sort(np.array(draws))
    for spec in (
        {"low": low, "high": high},
        {"dist": "triangular", "low": low, "mode": mode, "high": high},
        {
            "dist": "normal",
            "mean": mode,
            "sd": max(width, 1e-3) / 2,
            "low": low,
            "high": high + 1e-3,
        },
    ):
        value = parse_uncertain(spec)
        x = value.ppf(u)
        lo, hi = value.support
        assert np.all(np.diff(x) >= -1e-9 * max(1.0, abs(hi)))
        assert np.all(x >= lo - 1e-9 * max(1.0, abs(lo))) and np.all(
            x <= hi + 1e-9 * max(1.0, abs(hi))
        )


@pytest.mark.parametrize(
    ("mean", "sd", "low", "high"),
    [
        (-50.0, 5.0, -50.0, math.inf),
        (0.0, 1.0, -math.inf, math.inf),
        (0.0, 1.0, 7.9, math.inf),
        (0.0, 1.0, -math.inf, -7.9),
        (0.5, 0.1, 0.0, 1.0),
    ],
)
def test_normal_ppf_is_finite_at_the_extreme_draws_and_elementwise(mean, sd, low, high):
    """u = 1 - 2**-53 (the largest draw below 1) must not round to P = 1 and give infinity, and
    a member's value must not depend on the other members' draws."""
    value = Normal(mean, sd, low, high)
    u = np.array([2.0**-53, 0.3, 0.5, 0.9, float(np.nextafter(1.0, 0.0))])
    x = value.ppf(u)
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) > 0)
    np.testing.assert_array_equal(x, [value.ppf(np.array([v]))[0] for v in u])
    reference = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    np.testing.assert_allclose(x, reference.ppf(u), rtol=1e-9)
