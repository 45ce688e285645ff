"""Calibration scored out of sample: each fold calibrated on the others only."""

from __future__ import annotations

import pytest

from alliancesim.analysis.out_of_sample import calibrate_out_of_sample
from alliancesim.scenario import load_scenario, scenario_parameters


@pytest.fixture
def two_linear_episodes(linear_episode_path, tmp_path):
    """The linear episode and the same history two years later (no overlap): both change by the
    rule's weight w ~ U(0, 2), observed 1.0 ± √0.02."""
    text = linear_episode_path.read_text(encoding="utf-8")
    later = text.replace("2020", "2022").replace("2019", "2021")
    later = later.replace('id = "linear-episode"', 'id = "linear-later"')
    (tmp_path / "later.toml").write_text(later, encoding="utf-8")
    return [load_scenario(linear_episode_path), load_scenario(tmp_path / "later.toml")]


def test_each_fold_is_calibrated_without_itself(two_linear_episodes):
    result = calibrate_out_of_sample(
        two_linear_episodes,
        transfer={"rules.push.weight"},
        points=600,
        replicates=2,
        waves=2,
        members=400,
    )
    assert [f.fold for f in result.folds] == ["linear-episode", "linear-later"]
    for fold in result.folds:
        assert fold.held_out == (fold.fold,) and fold.fold not in fold.trained_on
        (carried,) = fold.transferred
        assert carried.dimension.name == "rules.push.weight"
        assert carried.dimension.episodes == fold.trained_on
        lo, hi = carried.calibrated
        assert 0.3 < lo < 0.7 and 1.3 < hi < 1.7  # about 1 ± 3·√0.03
        # the held-out episode, back-tested with the range calibrated on the other, does better
        assert fold.mean_crps("calibrated") < fold.mean_crps("prior")
        (prior,), (calibrated,) = fold.prior, fold.calibrated
        assert [t.target.observation.at for t in prior.scored] == [
            t.target.observation.at for t in calibrated.scored
        ]
    totals = result.to_dict()
    assert (
        totals["calibrated"]["mean_scaled"]["crps"]["model"]
        < totals["prior"]["mean_scaled"]["crps"]["model"]
    )


def test_only_the_named_parameters_carry_over(two_linear_episodes):
    result = calibrate_out_of_sample(
        two_linear_episodes, transfer=set(), points=200, replicates=2, waves=1, members=50
    )
    assert all(not f.transferred for f in result.folds)
    assert all(f.mean_crps("prior") == f.mean_crps("calibrated") for f in result.folds)
    prior = scenario_parameters(two_linear_episodes[0])["rules.push.weight"].value
    assert prior.support == (0.0, 2.0)
