"""Policy ranking on a toy where P(decoupling) under each policy is known (data/ranking.toml)."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.analysis.compare import rank_policies


@pytest.fixture(scope="module")
def ranking(ranking_run):
    return {row["policy"]: row for row in rank_policies(ranking_run)}


def test_policies_ranked_by_paired_change(ranking_run, ranking):
    order = [row["policy"] for row in rank_policies(ranking_run)]
    # changes (policy − baseline): safest −0.4, safer −0.3 (and safer+other), baseline 0,
    # other 0, riskier +0.3
    assert order[:3] in (["safest", "safer", "safer+other"], ["safest", "safer+other", "safer"])
    assert set(order[3:5]) == {"baseline", "other"}
    assert order[-1] == "riskier"
    assert [ranking[p]["rank"] for p in order] == list(range(1, 7))


def test_change_is_minus_the_share_of_members_the_policy_saves(ranking_run, ranking):
    u = ranking_run.parameters()["param.u"].to_numpy()
    n = len(u)
    for policy, risk in (("safer", 0.2), ("safest", 0.1), ("riskier", 0.8)):
        saved = ((u < 0.5) & (u >= risk)).sum() - ((u < risk) & (u >= 0.5)).sum()
        row = ranking[policy]
        assert row["change"] == pytest.approx(-saved / n, abs=1e-12)
        assert row["p_decoupling"] == pytest.approx((u < risk).mean(), abs=1e-12)
        lo, hi = row["change_ci"]
        assert lo <= row["change"] <= hi
        assert row["significant"]
    assert ranking["safer+other"]["change"] == ranking["safer"]["change"]
    assert ranking["other"]["change"] == 0.0 and not ranking["other"]["significant"]


def test_indicator_paired_differences(ranking, ranking_run):
    # margin = risk − u: paired difference from baseline is exactly risk − 0.5
    assert ranking["safer"]["indicators"]["margin"]["mean_difference"] == pytest.approx(-0.3)
    assert ranking["riskier"]["indicators"]["margin"]["mean_difference"] == pytest.approx(0.3)
    # other_level = other + v: the `other` lever adds exactly 1
    assert ranking["other"]["indicators"]["other_level"]["mean_difference"] == pytest.approx(1.0)
    assert ranking["other"]["indicators"]["other_level"]["ci"] == pytest.approx([1.0, 1.0])
    base = ranking["baseline"]
    v = ranking_run.parameters()["param.v"].to_numpy()
    assert base["indicators"]["other_level"]["mean"] == pytest.approx(np.mean(v))
    assert base["change"] == 0.0 and base["label"] == "no change"
    assert ranking["safer+other"]["label"] == "Lower the risk to 0.2 + Move the other lever"


def test_harmful_share_is_the_share_of_worlds_decoupled_only_under_the_policy(ranking_run):
    # riskier decouples exactly the members with 0.5 <= u < 0.8, which baseline keeps; the
    # safer policies never decouple a member baseline keeps, and the toy has no cohesion
    u = ranking_run.parameters()["param.u"].to_numpy()
    rows = {row["policy"]: row for row in rank_policies(ranking_run, where=True)}
    assert rows["baseline"]["harm"] is None
    riskier = rows["riskier"]["harm"]
    assert riskier["share"] == pytest.approx(((u >= 0.5) & (u < 0.8)).mean(), abs=1e-12)
    lo, hi = riskier["ci"]
    assert lo < riskier["share"] < hi
    assert riskier["by_structure"] == {}  # one structure
    for policy in ("safer", "safest", "other", "safer+other"):
        assert rows[policy]["harm"]["share"] == 0.0
        assert rows[policy]["harm"]["where"] == []  # nothing to locate
    # where it harms: u separates harmed worlds from the others; v does not
    where = riskier["where"]
    assert where[0]["parameter"] == "param.u"
    assert 0.5 <= where[0]["harmed_median"] < 0.8
    assert where[0]["distance"] > 0.5


def test_harmed_compares_paired_worlds():
    from alliancesim.analysis.harm import harmed

    base = {"decoupled": np.array([0, 0, 1, 1, 0]), "cohesion": np.array([0.5] * 5)}
    policy = {
        "decoupled": np.array([1, 0, 1, 0, 0]),
        "cohesion": np.array([0.6, 0.4, 0.5, 0.7, 0.5 - 1e-14]),
    }
    # decoupled where baseline is not; cohesion lower; a tie within tolerance is no harm
    assert harmed(policy, base).tolist() == [True, True, False, False, False]
    # without cohesion, only decoupling counts
    assert harmed({"decoupled": policy["decoupled"]}, base).tolist() == [
        True, False, False, False, False,
    ]  # fmt: skip
