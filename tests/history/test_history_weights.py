"""History weighs rival accounts: folds, densities, and weights that follow the better account."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alliancesim.analysis.backtest import history_targets
from alliancesim.analysis.history_weights import (
    fold_groups,
    forecasts_of,
    log_density,
    weigh_accounts,
)
from alliancesim.commands.history import builtin_episodes
from alliancesim.scenario import load_scenario


def test_overlapping_episodes_are_one_fold():
    episodes = [load_scenario(e) for e in builtin_episodes()]
    folds = fold_groups(episodes)
    assert folds["thaad-2017"] == folds["nuclear-tests-2016"]
    assert folds["cost-sharing-2019"] == folds["japan-rok-2019"] == folds["us-rok-2019-history"]
    # adjacent but not overlapping: 2009 ends where 2010 starts
    assert folds["nuclear-test-2009"] != folds["attacks-2010"]
    assert folds["us-rok-2021-history"] != folds["cost-sharing-2019"]
    assert folds["nixon-1969"] == "nixon-1969"


def test_event_density_is_smoothed_never_zero(scored_episode_path):
    targets, _ = history_targets(load_scenario(scored_episode_path))
    happened = next(t for t in targets if t.kind == "event" and t.observed == 1.0)
    assert log_density(happened, np.ones(9)) == pytest.approx(math.log(9.5 / 10))
    assert log_density(happened, np.zeros(9)) == pytest.approx(math.log(0.5 / 10))


def test_level_density_is_the_normal_when_members_agree(scored_episode_path):
    targets, _ = history_targets(load_scenario(scored_episode_path))
    level = targets[0]  # level.A: observed change 1.2 ± √0.02
    sigma = math.sqrt(0.02)
    expected = -0.5 * ((1.2 - 1.0) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
    assert log_density(level, np.ones(50)) == pytest.approx(expected, rel=1e-9)


def _forecasts(scored_episode_path, shift: float, fold: str):
    """Two accounts on every level target: 'right' is centred on the observed change, 'wrong'
    is off by ``shift`` footings."""
    scenario = load_scenario(scored_episode_path)
    targets, _ = history_targets(scenario)
    rng = np.random.default_rng(0)
    out = []
    for t in targets:
        if t.kind != "level":
            continue
        noise = rng.normal(0, 0.5 * max(t.sd, 0.1), 200)
        scale = max(t.sd, 0.1)
        out.append(
            forecasts_of(
                t, fold, {"right": t.observed + noise, "wrong": t.observed + shift * scale + noise}
            )
        )
    return out


def test_weights_follow_the_account_that_forecasts_history(scored_episode_path):
    forecasts = _forecasts(scored_episode_path, 3.0, "a") + _forecasts(
        scored_episode_path, 3.0, "b"
    )
    result = weigh_accounts("toy", ["right", "wrong"], forecasts)
    assert result.favoured()[0] == "right" and result.weights["right"] > 0.9
    assert result.bma.as_dict()["right"] > 0.99
    assert result.crps["right"] < result.crps["wrong"]
    assert result.log["right"] < result.log["wrong"]
    # two folds, each scored with weights fitted on the other only
    assert [f.episode for f in result.loo.folds] == ["a", "b"]
    assert all(f.observations == 2 for f in result.loo.folds)
    out = result.to_dict()
    assert out["out_of_sample"]["by_account"]["right"] < out["out_of_sample"]["by_account"]["wrong"]


def test_identical_accounts_share_the_weight(scored_episode_path):
    forecasts = _forecasts(scored_episode_path, 0.0, "a") + _forecasts(
        scored_episode_path, 0.0, "b"
    )
    result = weigh_accounts("toy", ["right", "wrong"], forecasts, priors=[1.0, 3.0])
    # the data cannot move the prior: pseudo-BMA+ and BMA keep it, stacking splits the weight
    assert result.weights == {"right": 0.25, "wrong": 0.75}
    assert result.intervals == {"right": (0.25, 0.25), "wrong": (0.75, 0.75)}
    assert result.bma.as_dict()["wrong"] == pytest.approx(0.75)
    assert [s.verdict for s in result.separation] == ["best", "identical"]
    assert not result.separates()
    stacked = weigh_accounts(
        "toy", ["right", "wrong"], forecasts, priors=[1.0, 3.0], method="stacking"
    )
    assert stacked.weights["right"] == pytest.approx(0.5, abs=1e-6)


def test_weighing_needs_forecasts_and_two_accounts(scored_episode_path):
    with pytest.raises(ValueError, match="nothing to weigh"):
        weigh_accounts("toy", ["a", "b"], [])
    with pytest.raises(ValueError, match="two or more"):
        weigh_accounts("toy", ["a"], _forecasts(scored_episode_path, 0.0, "a"))
