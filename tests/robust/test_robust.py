"""Regret, satisficing shares and ranks on the toy, against the answers worked out by hand.

In the toy (data/toy.toml) trust at the horizon is u + 2d + 0.02·talks, with d = −0.1 under
baseline and talk_only, d = +0.05 under consult_first (seed's account) or −0.15 (consult=costly),
and talks held under both policies. The default design runs seed (prior 3/4) and consult=costly
(1/4). Decoupling: trust < 0.3 at step 1 or 2, so in u below 0.5 (baseline), 0.48 (talk_only),
0.23 (consult_first, seed) or 0.58 (consult_first, costly).
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.analysis.robust import (
    DECOUPLING_TIME,
    HISTORY,
    PRIOR,
    RegretMeasure,
    WorldOutcomes,
    parse_threshold,
    regret_measure,
    robustness,
    robustness_of_run,
    weighted_percentile,
)
from alliancesim.errors import InputError

TOL = 1.5 / 2000  # one block of 2,000 members: shares exact to 1/2,000

# regret at the horizon by hand: the best option is consult_first under seed, talk_only under
# costly; trust: seed base u−.2, consult u+.12, talk u−.18; costly base u−.2, consult u−.28,
# talk u−.18
REGRET = {
    "seed": {"baseline": 0.32, "consult_first": 0.0, "talk_only": 0.30},
    "consult=costly": {"baseline": 0.02, "consult_first": 0.10, "talk_only": 0.0},
}
P = {
    "seed": {"baseline": 0.5, "consult_first": 0.23, "talk_only": 0.48},
    "consult=costly": {"baseline": 0.5, "consult_first": 0.58, "talk_only": 0.48},
}
W = {"seed": 0.75, "consult=costly": 0.25}


@pytest.fixture(scope="module")
def robust(toy_run):
    return robustness_of_run(toy_run)


def test_the_measure_is_what_the_decoupling_condition_compares(toy_run):
    measure = regret_measure(toy_run.model)
    assert (measure.name, measure.better) == ("trust.ROK.USA", "higher")
    assert regret_measure(toy_run.model, DECOUPLING_TIME).better == "higher"
    with pytest.raises(InputError, match="'higher' or 'lower'"):
        regret_measure(toy_run.model, "trust.ROK.USA", "sideways")
    with pytest.raises(InputError, match="unknown measure"):
        regret_measure(toy_run.model, "trust.ROK.US")


def test_regret_per_structure_and_weighted_as_worked_out_by_hand(robust):
    assert robust.structures == ("seed", "consult=costly")
    assert robust.weightings[PRIOR] == pytest.approx(W)
    assert [p.policy for p in robust.policies] == ["baseline", "consult_first", "talk_only"]
    for row in robust.policies:
        for s in W:
            scores = row.by_structure[s]
            assert scores.regret_mean == pytest.approx(REGRET[s][row.policy], abs=1e-12)
            assert scores.regret_max == pytest.approx(REGRET[s][row.policy], abs=1e-12)
            assert scores.p_decoupling == pytest.approx(P[s][row.policy], abs=TOL)
        weighted = row.weighted[PRIOR]
        mean = sum(W[s] * REGRET[s][row.policy] for s in W)
        assert weighted.regret_mean == pytest.approx(mean, abs=1e-12)
        # p90: the regret of the structure holding the upper 10 % of the weight
        high = max(REGRET[s][row.policy] for s in W)
        assert weighted.regret_p90 == pytest.approx(high, abs=1e-12)
        assert weighted.regret_max == pytest.approx(high, abs=1e-12)
        p = sum(W[s] * P[s][row.policy] for s in W)
        assert weighted.p_decoupling == pytest.approx(p, abs=TOL)


def test_satisficing_share_with_a_chance_threshold(robust):
    # consult_first under seed: trust ≥ 0.5 where u ≥ 0.38 (62 % ≥ 50 %: the chance threshold
    # holds) and no decoupling where u ≥ 0.23: 77 % of seed's worlds; under costly trust ≥ 0.5
    # in 22 %: no world; every other option fails the chance threshold in both structures
    consult = robust.policy("consult_first")
    assert consult.by_structure["seed"].satisficing == pytest.approx(0.77, abs=TOL)
    assert consult.by_structure["consult=costly"].satisficing == 0.0
    assert consult.weighted[PRIOR].satisficing == pytest.approx(0.75 * 0.77, abs=TOL)
    for name in ("baseline", "talk_only"):
        assert robust.policy(name).weighted[PRIOR].satisficing == 0.0


def test_ranks_under_each_structure_and_weighting_and_the_disagreement_in_words(toy_run):
    history = {"seed": 0.2, "consult=costly": 0.8}
    robust = robustness_of_run(toy_run, weightings={PRIOR: dict(toy_run.weights), HISTORY: history})
    ranks = {r.policy: {s: r.by_structure[s].rank for s in W} for r in robust.policies}
    assert ranks["consult_first"] == {"seed": 1, "consult=costly": 3}
    assert ranks["talk_only"] == {"seed": 2, "consult=costly": 1}
    assert robust.policy("consult_first").weighted[PRIOR].rank == 1
    # under history's weights consult_first's P = .2·.23 + .8·.58 = .51: last
    assert robust.policy("consult_first").weighted[HISTORY].rank == 3
    assert robust.policy("talk_only").weighted[HISTORY].rank == 1
    assert robust.headline == HISTORY
    text = " ".join(robust.disagreements)
    assert "consult_first under seed; talk_only under consult=costly" in text
    assert "talk_only under history's weights" in text and "consult_first under prior's" in text


def test_counterfactuals_are_not_options(robust, toy_run):
    assert "no_drift" in toy_run.policies
    assert "no_drift" not in [p.policy for p in robust.policies]


def test_weighted_percentile_reads_the_weighted_distribution():
    x = np.array([3.0, 1.0, 2.0, 4.0])
    assert weighted_percentile(x, np.ones(4), 0.5) == 2.0
    assert weighted_percentile(x, np.ones(4), 0.9) == 4.0
    assert weighted_percentile(x, np.array([0.1, 0.5, 0.3, 0.1]), 0.9) == 3.0
    assert weighted_percentile(x, np.array([0.0, 0.0, 1.0, 0.0]), 0.9) == 2.0


def test_a_hand_made_set_of_worlds():
    # two structures of two members, two options: regrets by hand
    outcomes = WorldOutcomes(
        structures=["a", "b"],
        policies=["baseline", "x"],
        measure={
            "baseline": np.array([[1.0, 2.0], [3.0, 0.0]]),
            "x": np.array([[2.0, 1.0], [1.0, 1.0]]),
        },
        decoupled={"baseline": np.array([[0, 1], [0, 1.0]]), "x": np.zeros((2, 2))},
    )
    measure = RegretMeasure("m", "higher", "test")
    result = robustness(outcomes, measure, {PRIOR: {"a": 1.0, "b": 3.0}})
    base, x = result.policy("baseline"), result.policy("x")
    # regrets: baseline [[1, 0], [0, 1]], x [[0, 1], [2, 0]]; world weights 1/8,1/8,3/8,3/8
    assert base.weighted[PRIOR].regret_mean == pytest.approx(0.5)
    assert x.weighted[PRIOR].regret_mean == pytest.approx(1 / 8 + 6 / 8)
    assert x.weighted[PRIOR].regret_p90 == 2.0 and x.weighted[PRIOR].regret_max == 2.0
    assert base.weighted[PRIOR].regret_p90 == 1.0
    assert base.weighted[PRIOR].p_decoupling == pytest.approx(0.5)
    lower = robustness(outcomes, RegretMeasure("m", "lower", "test"), {PRIOR: {"a": 1, "b": 1}})
    assert lower.policy("baseline").by_structure["b"].regret_max == 2.0  # 3 vs the best 1


def test_thresholds_from_the_command_line():
    t = parse_threshold("decoupled == 0 @ 0.9", 2)
    assert (t.id, t.text, t.share) == ("threshold_3", "decoupled == 0", 0.9)
    assert parse_threshold("count.x == 0 @ 90%").share == pytest.approx(0.9)
    for bad in ("decoupled == @ 0.5", "decoupled == 0 @ 1.5", "decoupled == 0 @ lots"):
        with pytest.raises(InputError):
            parse_threshold(bad)


def test_a_threshold_on_a_quantity_the_run_did_not_record_is_refused(toy_run):
    with pytest.raises(InputError, match="did not record"):
        robustness_of_run(toy_run, thresholds=[parse_threshold("count.nothing == 0")])


def test_equal_probabilities_are_ranked_by_regret_and_said_so():
    outcomes = WorldOutcomes(
        structures=["seed"],
        policies=["baseline", "x", "y"],
        measure={
            "baseline": np.array([[0.5, 0.5]]),
            "x": np.array([[0.7, 0.6]]),
            "y": np.array([[0.6, 0.6]]),
        },
        decoupled={p: np.zeros((1, 2)) for p in ("baseline", "x", "y")},
    )
    result = robustness(outcomes, RegretMeasure("m", "higher", "test"), {PRIOR: {"seed": 1}})
    ranks = {r.policy: r.weighted[PRIOR].rank for r in result.policies}
    assert ranks == {"x": 1, "y": 2, "baseline": 3}  # mean regret 0, 0.05, 0.15
    assert result.disagreements[0].startswith("No option changes P(decoupling) (all 0.0 %)")


def test_the_front_ends_show_the_measure_s_pathways_where_decoupling_does_not_move():
    from alliancesim.presentation.robust_view import present_robust

    def decomposition(outcome: str, total: float) -> dict:
        bar = {"id": "p:a", "label": "a", "kind": "set", "short": "a", "carried": total,
               "ci": [total, total], "share": 1.0 if total else None}  # fmt: skip
        return {"policy": "p", "label": "P", "outcome": outcome, "baseline": 0.5,
                "total": total, "total_ci": [total, total], "pathways": [bar],
                "interaction": 0.0, "interaction_ci": [0.0, 0.0], "members": 10}  # fmt: skip

    moving = present_robust({"pathways": {"p": [decomposition("decoupled", -0.1),
                                                decomposition("cohesion", 0.02)]}})  # fmt: skip
    still = present_robust({"pathways": {"p": [decomposition("decoupled", 0.0),
                                               decomposition("cohesion", 0.02)]}})  # fmt: skip
    assert [v.outcome for v in moving.shown_pathways()] == ["decoupled"]
    assert [v.outcome for v in still.shown_pathways()] == ["cohesion"]


def test_history_s_weights_of_the_accounts_are_a_second_weighting(toy_run, monkeypatch):
    from alliancesim import history_file
    from alliancesim.decisions import robust_analysis, structure_weightings

    weightings, note = structure_weightings(toy_run)
    assert list(weightings) == [PRIOR] and "not used" in note  # no episode weighs the toy
    found = history_file.HistoryWeights(None, {"consult": {"reassure": 0.2, "costly": 0.8}}, ())
    monkeypatch.setattr(history_file, "history_weights", lambda scenario: found)
    monkeypatch.setattr(history_file.HistoryWeights, "describe", lambda self: "history (test)")
    weightings, note = structure_weightings(toy_run)
    assert weightings[PRIOR] == pytest.approx(W)
    assert weightings[HISTORY] == pytest.approx({"seed": 0.2, "consult=costly": 0.8})
    payload = robust_analysis(toy_run)
    robust = payload["robustness"]
    assert robust["headline"] == HISTORY
    consult = next(p for p in robust["policies"] if p["policy"] == "consult_first")
    assert consult["weighted"][HISTORY]["p_decoupling"] == pytest.approx(
        0.2 * 0.23 + 0.8 * 0.58, abs=TOL
    )
    assert consult["weighted"][HISTORY]["rank"] == 3
    assert "History's weights: history (test)." in payload["note"]
