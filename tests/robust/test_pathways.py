"""What carries each effect: the toy's pathways, each switched off in turn, against the shares
worked out by hand.

consult_first sets policy.consult, which three rules read (consulting_on_cuts +0.1 per step,
consulting_on_outreach +0.05, and under consult=costly consultation_is_cheap_talk −0.2), and
adds talks in 2025Q3 (+0.02 once). Trust at the horizon is linear in each, so on trust the
pathways add up (no interaction): 0.2, 0.1, −0.4·k and 0.02 (k = 1 under costly). Decoupling
reads the lowest trust over the two steps, so on P(decoupling) they do not: the interaction is
what their sum leaves out.
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.analysis.pathways import decompose, decompose_run, policy_pathways
from alliancesim.scenario import load_scenario

TOL = 2.5 / 2000
W = {"seed": 0.75, "consult=costly": 0.25}
CUTS = "consult_first:policy.consult@rules.consulting_on_cuts"
OUTREACH = "consult_first:policy.consult@rules.consulting_on_outreach"
CHEAP = "consult_first:policy.consult@rules.consultation_is_cheap_talk"
TALKS = "consult_first:schedule.talks@2025Q3"


@pytest.fixture(scope="module")
def decomposition(toy_run):
    return decompose_run(toy_run, outcomes=["decoupled", "trust.ROK.USA"])


def test_a_policy_has_a_pathway_per_reader_of_its_setting_and_per_occurrence(toy_run):
    found = policy_pathways(toy_run.model, "consult_first")
    assert [p.id for p in found] == [CUTS, OUTREACH, CHEAP, TALKS]
    assert [p.kind for p in found] == ["set", "set", "set", "schedule"]
    assert found[0].reader == "rules.consulting_on_cuts" and found[3].step == 1
    (direct,) = policy_pathways(toy_run.model, "no_drift")
    assert direct.reader is None and direct.parameter == "rules.drift.weight"


def test_on_trust_the_pathways_carry_what_was_worked_out_by_hand(decomposition):
    trust = decomposition["consult_first"][1]
    assert trust.outcome == "trust.ROK.USA"
    carried = {e.pathway.id: e.carried for e in trust.effects}
    assert carried[CUTS] == pytest.approx(0.2, abs=1e-12)
    assert carried[OUTREACH] == pytest.approx(0.1, abs=1e-12)
    assert carried[CHEAP] == pytest.approx(W["consult=costly"] * -0.4, abs=1e-12)
    assert carried[TALKS] == pytest.approx(0.02, abs=1e-12)
    assert trust.total == pytest.approx(0.75 * 0.32 + 0.25 * -0.08, abs=1e-12)
    assert trust.interaction == pytest.approx(0.0, abs=1e-12)
    shares = {e.pathway.id: e.share for e in trust.effects}
    assert shares[CUTS] == pytest.approx(0.2 / 0.22)
    assert trust.by_structure["seed"][CHEAP] == 0.0  # the rival's rule is off under seed


def test_on_decoupling_the_pathways_overlap_and_the_interaction_is_the_remainder(decomposition):
    # seed: P = .5 (baseline), .23 (policy), .38 / .28 / .23 / .25 with cuts / outreach / cheap
    # talk / talks off; costly: .5, .58, .78 / .68 / .23 / .60
    seed = {"total": -0.27, CUTS: -0.15, OUTREACH: -0.05, CHEAP: 0.0, TALKS: -0.02}
    costly = {"total": 0.08, CUTS: -0.20, OUTREACH: -0.10, CHEAP: 0.35, TALKS: -0.02}
    decoupled = decomposition["consult_first"][0]
    for key in seed:
        assert decoupled.by_structure["seed"][key] == pytest.approx(seed[key], abs=TOL)
        assert decoupled.by_structure["consult=costly"][key] == pytest.approx(costly[key], abs=TOL)
    carried = {e.pathway.id: e.carried for e in decoupled.effects}
    for key in (CUTS, OUTREACH, CHEAP, TALKS):
        assert carried[key] == pytest.approx(0.75 * seed[key] + 0.25 * costly[key], abs=TOL)
    assert decoupled.total == pytest.approx(0.75 * -0.27 + 0.25 * 0.08, abs=TOL)
    # by hand: seed −.27 − (−.22) = −.05; costly .08 − .03 = .05
    assert decoupled.interaction == pytest.approx(0.75 * -0.05 + 0.25 * 0.05, abs=2 * TOL)
    assert decoupled.total == pytest.approx(
        sum(carried.values()) + decoupled.interaction, abs=1e-12
    )


def test_the_policy_simulated_again_is_the_run_itself(toy_run, decomposition):
    summary = toy_run.summary()
    for policy, outcomes in decomposition.items():
        for d in outcomes:
            assert d.total == summary.policies[policy].vs_baseline[d.outcome]["mean_difference"]


def test_a_policy_with_one_pathway_carries_it_all():
    scenario = load_scenario("tests/robust/data/toy.toml")
    (talk,) = decompose(scenario, ["talk_only"], 2000, 3, outcomes=["trust.ROK.USA"])["talk_only"]
    (effect,) = talk.effects
    assert effect.carried == talk.total == pytest.approx(0.02, abs=1e-12)
    assert effect.share == 1.0 and talk.interaction == 0.0


def test_workers_do_not_change_the_decomposition():
    scenario = load_scenario("tests/robust/data/toy.toml")
    kwargs = dict(structures={"seed": 3, "consult=costly": 1}, outcomes=["decoupled"])
    one = decompose(scenario, ["consult_first"], 4500, 5, workers=1, **kwargs)
    two = decompose(scenario, ["consult_first"], 4500, 5, workers=2, **kwargs)
    assert one["consult_first"][0].to_dict() == two["consult_first"][0].to_dict()


def test_a_reader_on_the_actions_consultation_is_switched_off_alone():
    # us-rok-2025: consult_first's consultation read by the Stryker withdrawal only: that
    # action's consultation at baseline, every other action's at the policy's 0.9
    from alliancesim.analysis.pathways import pathway_off, simulate_switched
    from alliancesim.draws import Draws, blocks_of
    from alliancesim.model import compile_model

    model = compile_model(load_scenario("us-rok-2025"))
    pathway = next(
        p
        for p in policy_pathways(model, "consult_first")
        if p.reader == "actions.stryker_withdrawal"
    )
    draws = Draws.block(model, 0, blocks_of(300)[0])
    names = [f"consulted.{a}" for a in ("stryker_withdrawal", "lee_outreach")]
    names += [f"event.{a}" for a in ("stryker_withdrawal", "lee_outreach")]
    off = simulate_switched(pathway_off(model, "consult_first", pathway), draws, "seed", names)
    full = simulate_switched(pathway_off(model, "consult_first", None), draws, "seed", names)
    base = simulate_switched(pathway_off(model, "baseline", None), draws, "seed", names)
    # Seoul's outreach: consulted as often as under the policy (far more than at baseline)
    assert off[:, 1].sum() == full[:, 1].sum() > base[:, 1].sum()
    # the withdrawal (when it happens) is consulted about as rarely as at baseline
    happened_off = off[:, 2].sum()
    assert happened_off > 0
    rate_off = off[:, 0].sum() / happened_off
    rate_full = full[:, 0].sum() / max(full[:, 2].sum(), 1)
    assert rate_off < 0.45 < rate_full
    assert np.all(off[:, 0] <= off[:, 2])
