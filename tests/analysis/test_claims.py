"""Claims on toy scenarios whose true answer is known (tests/analysis/data/claims.toml)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.claims import (
    check_claims,
    claim_policies,
    classify,
    paired_values,
    verdict_rule,
)
from alliancesim.errors import InputError
from alliancesim.intervals import wilson_interval
from alliancesim.runner import run


def saturated(start: float, push: np.ndarray | float, steps: int) -> np.ndarray:
    """A [0, 1] variable pushed by the same amount each step, saturating (docs/semantics.md,
    step 5): a push T > 0 closes the share T of the gap to 1 (1 − v ← (1 − v)·(1 − T)), a push
    T < 0 the share −T of the gap to 0 (v ← v·(1 + T))."""
    push = np.asarray(push, dtype=np.float64)
    up = 1.0 - (1.0 - start) * (1.0 - push) ** steps
    down = start * (1.0 + push) ** steps
    return np.where(push > 0, up, down)


# level.ROK after 4 steps of +0.1 under push, from 0.5 (0.5 under baseline): 1 − 0.5·0.9⁴
PUSHED = 1.0 - 0.5 * 0.9**4  # 0.67195


@pytest.fixture(scope="module")
def verdicts(claims_run):
    return {v.claim_id: v for v in check_claims(claims_run)}


def test_claim_that_holds_in_every_member_is_supported(verdicts, claims_run):
    v = verdicts["always"]
    assert (v.holds, v.fails, v.ties, v.n) == (1500, 0, 0, 1500)
    assert v.share == 1.0
    assert v.share_ci == pytest.approx(wilson_interval(1500, 1500))
    assert v.verdict == "supported"
    assert v.failure_box is None
    # level ends at 1 − 0.5 · 0.9⁴ = 0.67195 under push (saturating), 0.5 under baseline
    assert v.mean_difference == pytest.approx(PUSHED - 0.5, abs=1e-12)
    assert float(saturated(0.5, 0.1, 4)) == pytest.approx(PUSHED, abs=1e-15)
    assert v.seed == "toy.txt" and v.quote == "pushing always raises the level"


def test_claim_that_holds_in_no_member_is_rejected(verdicts):
    v = verdicts["never"]
    assert (v.holds, v.fails, v.ties) == (0, 1500, 0)
    assert v.share == 0.0
    assert v.verdict == "rejected"
    assert v.share_ci[1] < 0.4
    # fails everywhere: no parameter separates failing from holding members, so no box
    assert v.failure_box is None or v.failure_box["restrictions"] == []
    assert v.source == "assumption: a claim that holds in no member"


def test_threshold_claim_share_equals_share_of_members_above_threshold(verdicts, claims_run):
    theta = claims_run.parameters()["param.theta"].to_numpy()
    for claim, threshold in (("above_07", 0.7), ("above_05", 0.5)):
        v = verdicts[claim]
        assert v.holds == int((theta > threshold).sum())
        assert v.fails == int((theta < threshold).sum())
        assert v.ties == 0
    assert verdicts["above_07"].verdict == "rejected"  # holds in ~30 % < 40 %
    assert verdicts["above_05"].verdict == "contested"  # holds in ~50 %


@pytest.mark.parametrize(("claim", "threshold"), [("above_07", 0.7), ("above_05", 0.5)])
def test_prim_finds_where_the_threshold_claim_fails(verdicts, claim, threshold):
    box = verdicts[claim].failure_box
    assert box is not None
    restricted = {r["parameter"]: r for r in box["restrictions"]}
    assert list(restricted) == ["param.theta"]  # not the noise parameters
    limit = restricted["param.theta"]
    assert limit["high"] == pytest.approx(threshold, abs=0.03)
    assert limit["low"] == limit["full_low"]
    assert box["density"] > 0.95 and box["coverage"] > 0.95
    assert len(box["trajectory"]) > 5
    first = box["trajectory"][0]
    assert first["coverage"] == 1.0 and first["mass"] == 1.0


def test_mean_statistic_uses_the_paired_mean_difference(verdicts):
    v = verdicts["mean_level"]
    assert v.statistic == "mean"
    assert v.mean_difference == pytest.approx(PUSHED - 0.5, abs=1e-12)
    assert v.mean_difference_ci == pytest.approx((PUSHED - 0.5, PUSHED - 0.5), abs=1e-9)
    assert v.verdict == "supported"
    early = verdicts["early"]  # baseline − push at step 2 = 0.5 − (1 − 0.5·0.9²) = −0.095
    assert early.at == "2025Q4" and early.step == 2
    assert early.mean_difference == pytest.approx(-0.095, abs=1e-12)
    assert early.verdict == "supported"


def test_ties_are_left_out_of_the_share_and_reported(verdicts):
    v = verdicts["idle_ties"]
    assert (v.holds, v.fails, v.ties) == (0, 0, 1500)
    assert v.tie_share == 1.0
    assert math.isnan(v.share)
    assert v.verdict == "contested"
    d = v.to_dict()
    assert d["share"] is None and d["ties"] == 1500 and d["tie_share"] == 1.0


def test_combined_policy_and_step_number(verdicts):
    v = verdicts["combined"]
    assert v.policy == "push+idle" and v.step == 3 and v.at == "2026Q1"
    assert v.holds == 1500 and v.verdict == "supported"


def test_share_counts_only_members_where_policies_differ(claims_run):
    a, b, step = paired_values(claims_run, claims_run.model.scenario.claims[3])  # above_05
    assert step == 4
    diff = a - b
    theta = claims_run.parameters()["param.theta"].to_numpy()
    # four pushes of 0.1 · (theta − 0.5), saturating from 0.5; baseline stays at 0.5
    np.testing.assert_allclose(diff, saturated(0.5, 0.1 * (theta - 0.5), 4) - 0.5, atol=1e-12)


def test_to_dict_has_what_the_report_needs(verdicts):
    d = verdicts["above_07"].to_dict()
    for key in (
        "claim_id",
        "statement",
        "seed",
        "quote",
        "comparison",
        "share",
        "share_ci",
        "ties",
        "n",
        "verdict",
        "thresholds",
        "failure_box",
    ):
        assert key in d
    assert d["comparison"] == "tilt.ROK at 2026Q2: push > baseline (in each member)"
    assert d["thresholds"] == verdict_rule("member")
    assert d["thresholds"]["supported_if_lower_bound_above"] == pytest.approx(0.6)


def test_margin_changes_the_verdict_thresholds(claims_run):
    strict = {v.claim_id: v for v in check_claims(claims_run, discover=False, margin=0.0)}
    # with margin 0, a 30 % share is still rejected; nothing searched without discover
    assert strict["above_07"].verdict == "rejected"
    assert strict["above_07"].failure_box is None
    assert strict["above_07"].thresholds["rejected_if_upper_bound_below"] == 0.5


def test_claim_policies_lists_what_to_run(claims_run):
    assert claim_policies(claims_run.model.scenario.claims) == [
        "push",
        "baseline",
        "idle",
        "push+idle",
    ]


def test_missing_policy_is_an_input_error(claims_path):
    results = run(claims_path, ["idle"], members=50, seed=1)
    with pytest.raises(InputError, match="did not simulate"):
        check_claims(results)


def test_indicators_only_run_cannot_test_a_state_variable_claim(claims_path):
    results = run(claims_path, ["push"], members=50, seed=1, record="indicators")
    claim = results.model.scenario.claims[0]
    with pytest.raises(InputError, match="not recorded"):
        check_claims(results, claims=[claim])


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=50))
def test_each_member_holds_fails_or_ties_and_the_claim_is_symmetric(pairs):
    a, b = np.array(pairs).T
    holds, fails, ties, d = classify(a, b, "greater")
    assert np.all(holds.astype(int) + fails + ties == 1)
    # "a greater than b" is "b less than a"
    h2, f2, t2, d2 = classify(b, a, "less")
    np.testing.assert_array_equal(holds, h2)
    np.testing.assert_array_equal(fails, f2)
    np.testing.assert_array_equal(ties, t2)
    # and the opposite claim swaps holds and fails
    h3, f3, t3, d3 = classify(a, b, "less")
    np.testing.assert_array_equal(holds, f3)
    np.testing.assert_array_equal(fails, h3)
    np.testing.assert_array_equal(ties, t3)
    np.testing.assert_array_equal(d, a - b)
    np.testing.assert_array_equal(d2, d)
    np.testing.assert_array_equal(d3, -d)
    assert np.all(ties[a == b])
