"""Compromise, weighted median and Nash bargaining against hand computations.

Sources: Achen (2006) for the compromise model (the c·s-weighted mean); Black (1948)
for the median voter (Condorcet winner); Nash (1950) / Kalai (1977) for the
asymmetric Nash bargaining solution. Every expected value below is worked out in the
test's docstring.
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.bargaining import bargaining_round


def one(values):
    return np.array([values], dtype=float)


def test_compromise_is_the_weighted_mean():
    """c·s = (2·0.5, 1·1, 1·0) = (1, 1, 0): mean of 10 and 40 = 25; the third actor has no weight."""
    r = bargaining_round(
        "compromise", one([10, 40, 90]), one([2, 1, 1]), one([0.5, 1, 0]), np.array([0.0])
    )
    assert r.outcome[0] == 25.0
    np.testing.assert_array_equal(r.positions, one([10, 40, 90]))


def test_median_is_the_condorcet_winner():
    """Votes (3, 2, 2) at (10, 40, 90): 10 has 3 of 7 < half, 40 beats 10 (4 votes) and 90 (5): median 40."""
    r = bargaining_round(
        "median", one([10, 40, 90]), one([3, 2, 2]), one([1, 1, 1]), np.array([0.0])
    )
    assert r.outcome[0] == 40.0


def test_median_tie_goes_to_the_lower_position():
    """Votes (1, 1) at (20, 80): neither beats the other; the lower, 20, is reported (order-free rule)."""
    for x in ([20, 80], [80, 20]):
        r = bargaining_round("median", one(x), one([1, 1]), one([1, 1]), np.array([50.0]))
        assert r.outcome[0] == 20.0


def test_nash_linear_by_hand():
    """x_i = (10, 50, 90), equal weights, q = 0: gains g_1 = 20 − x, g_2 = g_3 = x on [10, 20].

    d/dx [log(20 − x) + 2 log x] = 0 gives 2(20 − x) = x, x = 40/3.
    """
    r = bargaining_round("nash", one([10, 50, 90]), one([1, 1, 1]), one([1, 1, 1]), np.array([0.0]))
    assert r.outcome[0] == pytest.approx(40 / 3, abs=1e-6)


def test_nash_quadratic_by_hand():
    """Quadratic utilities, x = (0, 100), weights (1, 3), q = 100: gain_1 = 100² − x², gain_2 = −(x − 100)² + 0.

    Actor 2 sits at q and gains only if x = 100: the Nash product is maximised at q = 100
    (the status-quo actor's veto). With q = 50 instead: gains 2500 − x² and 2500 − (x − 100)²
    are both positive only at x = 50, so the solution is 50.
    """
    opts = {"utility": "quadratic"}
    r = bargaining_round(
        "nash", one([0, 100]), one([1, 3]), one([1, 1]), np.array([100.0]), options=opts
    )
    assert r.outcome[0] == pytest.approx(100.0, abs=1e-5)
    r = bargaining_round(
        "nash", one([0, 100]), one([1, 3]), one([1, 1]), np.array([50.0]), options=opts
    )
    assert r.outcome[0] == pytest.approx(50.0, abs=1e-5)


def test_nash_weights_pull_toward_the_stronger():
    """x = (0, 100), q = −100 (both gain from any move right of q), weights (1, 3).

    On [0, 100]: g_1 = 100 − x, g_2 = 100 + x (gain over q = −100 is 200 − (100 − x)).
    d/dx [log(100 − x) + 3 log(100 + x)] = 0 gives 3(100 − x) = 100 + x, x = 50.
    """
    r = bargaining_round("nash", one([0, 100]), one([1, 3]), one([1, 1]), np.array([-100.0]))
    assert r.outcome[0] == pytest.approx(50.0, abs=1e-6)
