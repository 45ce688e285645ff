"""The expected-utility model on the EC car-emission case against Scholz et al. (2011), Table 2.

Data: Bueno de Mesquita (1994, p. 78), tabulated by Scholz, Calbert & Smith (2011),
Table 1 (``data/ec_car_emissions.csv``). Reference: Scholz et al. Table 2 (Q = 1.0),
rounds 1–8: median 8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6; mean 7.4, 7.5, 7.6, 7.3,
7.3, 7.4, 7.5, 7.6 (as quoted in shared/BARGAINING.md §5.1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from alliancesim.bargaining import EUMOptions, forecast, read_stakeholders

TABLE2_MEDIAN = [8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6]
TABLE2_MEAN = [7.4, 7.5, 7.6, 7.3, 7.3, 7.4, 7.5, 7.6]


@pytest.fixture
def ec(data_dir):
    return read_stakeholders(data_dir / "ec_car_emissions.csv")


def test_starting_point_matches_bdm(ec):
    """Before any round: weighted median 7.0 and c·s-weighted mean ≈ 7.39 (BDM 1994, p. 78; Scholz Table 1).

    Hand check: c·s at 4 years = 6.4+0.6+12.8+5 = 24.8, at 7 = 3.2+0.5+5.6 = 9.3, at
    10 = 9.6+9.6+14.4 = 33.6; mean = (99.2 + 65.1 + 336)/67.7 = 7.390; neither 4 nor 10
    carries half of 67.7, so the median is 7.
    """
    h = forecast("eum", ec, rounds=0)
    assert h.forecasts[0, 0] == 7.0
    assert h.means[0, 0] == pytest.approx(500.3 / 67.7, abs=1e-12)


def test_rounds_match_scholz_table2_except_round2(ec):
    """Medians and means of rounds 1–8 against Scholz et al. Table 2, default options.

    Table 2 prints one decimal and its medians are evidently truncated (our 9.96 is
    printed 9.9 three times, 7.47 as 7.4); the means agree with the table to its
    precision (|Δ| < 0.1 every round). One round differs: round 2's median is 9.61
    (Belgium's compromise toward France) where the table prints 9.9; the following
    rounds (9.96, then 7.47, 8.82, 9.67) agree again. No combination of the disputed
    options reproduces 9.9 in round 2 without breaking the other rounds
    (test_each_option_changes_the_ec_case), and a public replication of Scholz's
    program also gives 9.61, so we take it to be the table's misprint or an
    undocumented detail of that program, and pin today's value.
    """
    h = forecast("eum", ec, rounds=8)
    medians = h.forecasts[1:, 0]
    means = h.means[1:, 0]
    for t in range(8):
        assert abs(means[t] - TABLE2_MEAN[t]) < 0.1, f"round {t + 1} mean"
        if t == 1:
            continue
        assert math.floor(medians[t] * 10 + 1e-9) / 10 == TABLE2_MEDIAN[t], f"round {t + 1} median"
    assert medians[1] == pytest.approx(9.61, abs=0.005)  # Table 2: 9.9 (see docstring)
    # Today's values, to two decimals (regression pin).
    assert np.round(medians, 2).tolist() == [8.42, 9.61, 9.96, 9.96, 9.96, 7.47, 8.82, 9.67]
    assert np.round(means, 2).tolist() == [7.46, 7.55, 7.59, 7.36, 7.35, 7.41, 7.51, 7.57]


def test_round1_by_hand_rule(ec):
    """Round 1 moves: Belgium compromises toward France, Luxembourg and Ireland capitulate.

    With the default reading the probability of winning is tiny (votes over all pairs
    of positions), so expected utilities are dominated by (1 − s_j) U_s − U_sq and only
    low-salience targets give way: Luxembourg (s = .2) moves to 7, Ireland (s = .1)
    to 4, Belgium (s = .4) compromises part of the way to 10 (8.42); everyone else stays.
    """
    h = forecast("eum", ec, rounds=1)
    moved = {
        a: round(float(h.positions[1, i, 0]), 2)
        for i, a in enumerate(h.actors)
        if h.positions[1, i, 0] != h.positions[0, i, 0]
    }
    assert moved == {"Belgium": 8.42, "Luxembourg": 7.0, "Ireland": 4.0}


@pytest.mark.parametrize(
    ("options", "medians", "effect"),
    [
        ({}, [8.42, 9.61, 9.96], "default: reproduces Table 2 (above)"),
        (
            {"q": 0.5},
            [7.00, 7.62, 10.00],
            "Q = 0.5 (BDM & Lalman 1986): U_b/U_w enter; the case swings between 4 and 10",
        ),
        (
            {"probability": "pair"},
            [7.00, 7.00, 7.00],
            "P per pair: challenges rarely pay, the median stays at 7",
        ),
        ({"probability": "net"}, [7.00, 7.00, 7.00], "net votes: likewise frozen at 7"),
        (
            {"vote_risk": False},
            [8.43, 9.62, 9.96],
            "unbent votes: same path, second decimals shift",
        ),
        ({"reply_risk": "own"}, [8.78, 9.80, 9.97], "E^j with j's own r: drifts to 10 by round 4"),
        ({"ej_salience": "same"}, [7.00, 7.00, 7.00], "s_j in E^j too: nobody moves at all"),
        (
            {"compromise_sign": -1},
            [7.00, 7.00, 10.00],
            "reversed compromise: losers move away, the median jumps",
        ),
        (
            {"offer_rule": "strongest"},
            [8.42, 7.00, 10.00],
            "strongest proposer first: oscillates 7–10",
        ),
    ],
)
def test_each_option_changes_the_ec_case(ec, options, medians, effect):
    """How each disputed point (EUMOptions) changes the EC case: medians of rounds 1–3.

    Values computed with this implementation (no published source for the variants);
    the ``effect`` column summarises rounds 1–8, documented in docs/bargaining.md.
    """
    h = forecast("eum", ec, rounds=3, options=options)
    assert np.round(h.forecasts[1:, 0], 2).tolist() == medians, effect


def test_bargaining_md_literal_reading_goes_to_ten(ec):
    """EUMOptions.as_written() (BARGAINING.md's formulas read literally) does not reproduce Table 2.

    With P normalised per pair, E^j(U_ji) judged with j's own risk exponent and the
    strongest offer taken, nearly every pair has positive expected utilities, conflicts
    everywhere, and by round 3 every state sits at 10 years (Table 2: 9.9 then back
    to 7.4); hence the defaults follow Scholz's program instead (docs/bargaining.md).
    """
    written = EUMOptions.as_written()
    h = forecast("eum", ec, rounds=3, options=written.__dict__)
    assert h.forecasts[1:, 0].tolist() == [10.0, 10.0, 10.0]
    assert np.round(h.means[1:, 0], 2).tolist() == [8.72, 7.42, 10.0]
