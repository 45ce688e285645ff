"""Claim classes on a toy whose answers are known by construction (data/claim-classes.toml):
a one-path claim is structural, a claim decided by one parameter's sign is prior-driven, a claim
with two opposing paths is contingent; and the verdict of a non-contingent claim is never
worded "supported"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alliancesim.claim_classes import prior_driven, structural_signs
from alliancesim.claims import check_claims
from alliancesim.runner import run
from alliancesim.scenario import load_scenario

TOY = Path(__file__).parent / "data" / "claim-classes.toml"


@pytest.fixture(scope="module")
def verdicts():
    results = run(TOY, members=3000, seed=11)
    return {v.claim_id: v for v in check_claims(results, discover=False)}, results


def test_the_paths_of_each_claim(verdicts) -> None:
    _, results = verdicts
    claims = {c.id: c for c in results.model.scenario.claims}
    one, _ = structural_signs(results.model, claims["one_path"])
    assert (one.positive, one.negative, one.unknown) == (1, 0, 0)
    prior, _ = structural_signs(results.model, claims["prior_sign"])
    assert (prior.positive, prior.negative, prior.unknown) == (0, 0, 1)  # k's sign is open
    two, _ = structural_signs(results.model, claims["two_paths"])
    assert (two.positive, two.negative, two.unknown) == (1, 1, 0)


def test_a_one_path_claim_holds_by_construction(verdicts) -> None:
    v = verdicts[0]["one_path"]
    assert v.claim_class is not None and v.claim_class.name == "structural"
    assert v.reading == "holds by construction" and v.verdict == "supported"
    assert v.to_dict()["verdict"] == "holds by construction"
    assert v.to_dict()["class"] == "structural"


def test_a_claim_decided_by_one_sign_restates_its_prior(verdicts) -> None:
    v, results = verdicts[0]["prior_sign"], verdicts[1]
    assert v.claim_class is not None and v.claim_class.name == "prior-driven", v.claim_class
    assert v.claim_class.details["parameter"] == "param.k"
    assert v.claim_class.details["prior_mass"] == pytest.approx(2 / 3, abs=1e-9)
    k = results.parameters()["param.k"].to_numpy()
    assert v.share == pytest.approx((k > 0).sum() / (k != 0).sum(), abs=1e-12)
    assert v.reading == "restates its prior"
    assert "supported" not in v.to_dict()["verdict"]


def test_a_claim_with_opposing_paths_is_contingent(verdicts) -> None:
    v, results = verdicts[0]["two_paths"], verdicts[1]
    assert v.claim_class is not None and v.claim_class.name == "contingent"
    params = results.parameters()
    up = params["rules.push_raises_c.weight"].to_numpy()
    down = params["rules.push_lowers_c.weight"].to_numpy()
    assert v.holds == int((up > down).sum())  # it holds where the raising rule is stronger
    assert 0.4 < v.share < 0.6
    assert v.reading == v.verdict  # a contingent claim's verdict is read as it is


def test_prior_driven_needs_the_share_to_match_the_mass() -> None:
    """A claim decided by k's sign whose share is far from k's prior mass is not prior-driven."""
    model = run(TOY, members=400, seed=2).model
    k = np.linspace(-0.5, 1.0, 400)
    import pandas as pd

    frame = pd.DataFrame({"param.k": k})
    holds, fails = k > 0, k < 0
    assert prior_driven(model, frame, holds, fails, share=2 / 3) is not None
    assert prior_driven(model, frame, holds, fails, share=0.5) is None
    mixed = holds.copy()
    mixed[::3] = ~mixed[::3]  # the sign no longer decides it
    assert prior_driven(model, frame, mixed, ~mixed, share=mixed.mean()) is None


def test_the_toy_loads() -> None:
    assert [c.id for c in load_scenario(TOY).claims] == ["one_path", "prior_sign", "two_paths"]


def test_each_structure_has_its_own_rule_graph() -> None:
    """The structures toy: consultation raises trust under the seed's account (+0.1) and lowers
    it under the rival's (−0.05). Over every rule the paths disagree; each structure's graph
    holds only its own account's rule, so there the sign is fixed."""
    from pathlib import Path

    from alliancesim.claim_classes import structural_signs
    from alliancesim.model import compile_model
    from alliancesim.scenario.loader import load_scenario

    toy = load_scenario(Path(__file__).parents[1] / "structures" / "data" / "toy.toml")
    model = compile_model(toy)
    [claim] = toy.claims
    every, _ = structural_signs(model, claim)
    seed, _ = structural_signs(model, claim, "seed")
    rival, _ = structural_signs(model, claim, "consult=costly")
    assert (every.positive, every.negative) == (1, 1)
    assert (seed.positive, seed.negative, seed.unknown) == (1, 0, 0)
    assert (rival.positive, rival.negative, rival.unknown) == (0, 1, 0)


def test_a_claim_checked_under_a_structure_is_classed_by_its_graph() -> None:
    from pathlib import Path

    from alliancesim.claims import check_claims
    from alliancesim.runner import run

    toy = Path(__file__).parents[1] / "structures" / "data" / "toy.toml"
    results = run(toy, members=200, structures=["seed", "consult=costly"])
    seed = check_claims(results.structure("seed"), discover=False)[0]
    rival = check_claims(results.structure("consult=costly"), discover=False)[0]
    assert seed.claim_class is not None and rival.claim_class is not None
    assert (seed.claim_class.name, seed.reading) == ("structural", "holds by construction")
    assert (rival.claim_class.name, rival.reading) == ("structural", "fails by construction")
    assert seed.claim_class.details.get("basis") == "graph"
    assert rival.claim_class.details.get("basis") == "graph"
