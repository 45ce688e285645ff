"""Signposts on the toy: under the seed's account consult_first fails (the alliance decouples)
exactly where u < 0.23, that is where trust in 2025Q3 (u + 0.07) is below 0.30, so the
signpost must watch trust in 2025Q3, flag failure with certainty inside, and say so in words."""

from __future__ import annotations

import pytest

from alliancesim.analysis.robust import parse_threshold
from alliancesim.analysis.signposts import checkpoints, signposts_of_policy
from alliancesim.errors import InputError
from alliancesim.runner import run

TOY = "tests/robust/data/toy.toml"


@pytest.fixture(scope="module")
def seed_run():
    return run(TOY, members=2000, seed=4, structures=["seed"])


def test_the_watched_periods_are_early():
    assert checkpoints(18) == [3, 6]
    assert checkpoints(2) == [1]
    assert checkpoints(1) == [1]


def test_the_signpost_watches_what_decides_failure(seed_run):
    found = signposts_of_policy(seed_run, "consult_first")
    assert found.failure == "the alliance decouples by 2025Q4"
    assert found.failures == pytest.approx(0.23 * 2000, abs=2)
    (signpost,) = found.signposts
    (watch,) = signpost.watches
    assert (watch.quantity, watch.period, watch.low) == ("trust.ROK.USA", "2025Q3", None)
    assert watch.high <= 0.30 + 1e-9
    assert signpost.density == 1.0 and signpost.coverage >= 0.4
    assert signpost.base_rate == pytest.approx(0.23, abs=1e-3)
    text = signpost.text("consult_first")
    assert text.startswith("If Seoul's trust in Washington (trust.ROK.USA) is at or below")
    assert "in 2025Q3, consult_first fails in 100 % of such worlds (23 % overall)" in text


def test_thresholds_decide_what_failing_means(seed_run):
    # with trust ≥ 0.5 required at the horizon (u + 0.12 ≥ 0.5) consult_first fails for u < 0.38
    found = signposts_of_policy(
        seed_run, "consult_first", thresholds=[parse_threshold("trust.ROK.USA >= 0.5")]
    )
    assert found.failures == pytest.approx(0.38 * 2000, abs=2)
    assert "trust.ROK.USA >= 0.5" in found.failure


def test_a_policy_that_never_fails_has_no_signpost_and_says_why(seed_run):
    found = signposts_of_policy(
        seed_run, "consult_first", thresholds=[parse_threshold("trust.ROK.USA > -10")]
    )
    assert found.signposts == () and found.failures == 0
    assert "too few" in found.note


def test_a_policy_the_run_did_not_simulate_is_refused(seed_run):
    with pytest.raises(InputError, match="did not simulate"):
        signposts_of_policy(seed_run, "nothing")
    with pytest.raises(InputError, match="before the horizon"):
        signposts_of_policy(seed_run, "consult_first", steps=[2])
