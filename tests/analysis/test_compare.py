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
