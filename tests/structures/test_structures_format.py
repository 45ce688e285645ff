"""Rival structures in the scenario format: mechanisms and accounts load, the accounts' modules
are merged with their rules marked, structures are named, designed and weighted as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.model import compile_model
from alliancesim.scenario import load_scenario
from alliancesim.scenario.schema import Scenario
from alliancesim.structures import (
    active_rules,
    all_structures,
    default_structures,
    parse_structure,
    structure_weights,
    structures_to_run,
)

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"


@pytest.fixture(scope="module")
def toy() -> Scenario:
    return load_scenario(TOY)


def test_accounts_bring_their_modules_rules_marked_with_the_account(toy):
    accounts = {r.id: r.account for r in toy.rules}
    assert accounts == {
        "consultation_builds_trust": "consult.reassure",
        "consultation_is_cheap_talk": "consult.costly",
        "pressure_breeds_resentment": "burden.backfire",
        "pressure_raises_fear": "burden.leverage",
    }
    file, line = next(r for r in toy.rules if r.id == "pressure_raises_fear").origin
    assert file.endswith("modules/burden_leverage.toml") and line == 9
    # parameters of an account's module exist in every structure
    assert [p.id for p in toy.parameters] == ["leverage_gain"]
    assert [m.id for m in toy.mechanisms] == ["consult", "burden"]
    assert toy.mechanisms[0].priors == [0.5, 0.5]
    assert toy.mechanisms[1].priors == [0.75, 0.25]


def test_a_stored_scenario_keeps_its_accounts(toy):
    again = Scenario.model_validate_json(toy.model_dump_json())
    assert [r.account for r in again.rules] == [r.account for r in toy.rules]
    assert compile_model(again).structure_rows == compile_model(toy).structure_rows


def test_structures_are_named_canonically(toy):
    assert parse_structure(toy, "seed").name == "seed"
    assert parse_structure(toy, "consult=reassure").name == "seed"
    assert parse_structure(toy, " burden = leverage , consult=costly ").name == (
        "consult=costly,burden=leverage"
    )
    structure = parse_structure(toy, "burden=leverage")
    assert structure.accounts == (("consult", "reassure"), ("burden", "leverage"))
    assert structure.prior == pytest.approx(0.5 * 0.25)
    assert structure.flags(toy.mechanisms) == {
        "structure.consult.reassure": 1.0,
        "structure.consult.costly": 0.0,
        "structure.burden.backfire": 0.0,
        "structure.burden.leverage": 1.0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("consult", "expected 'seed', 'all' or mechanism=account pairs"),
        (
            "consul=costly",
            "unknown mechanism 'consul' in 'consul=costly' (did you mean 'consult'?)",
        ),
        ("consult=costy", "mechanism 'consult' has no account 'costy' (did you mean 'costly'?)"),
        ("consult=costly,consult=reassure", "chooses two accounts of mechanism 'consult'"),
    ],
)
def test_a_wrong_structure_says_what_is_wrong(toy, text, message):
    with pytest.raises(InputError) as caught:
        parse_structure(toy, text)
    (problem,) = caught.value.problems
    assert problem.file == "--structure"
    assert message in problem.message


def test_the_default_design_is_the_seed_and_each_rival_alone(toy):
    assert [s.name for s in default_structures(toy)] == [
        "seed",
        "consult=costly",
        "burden=leverage",
    ]
    assert [s.name for s in structures_to_run(toy)] == [s.name for s in default_structures(toy)]
    assert [s.name for s in structures_to_run(toy, "all")] == [
        "seed",
        "burden=leverage",
        "consult=costly",
        "consult=costly,burden=leverage",
    ]
    named = structures_to_run(toy, ["burden=leverage", "seed", "consult=reassure"])
    assert [s.name for s in named] == ["burden=leverage", "seed"]


def test_weights_are_the_priors_products_normalised_over_the_structures_run(toy):
    # consult: 1/2, 1/2; burden: 3/4, 1/4 -> seed 3/8, costly 3/8, leverage 1/8, of 7/8
    weights = structure_weights(default_structures(toy))
    assert weights == pytest.approx(
        {"seed": 3 / 7, "consult=costly": 3 / 7, "burden=leverage": 1 / 7}, abs=1e-15
    )
    every = structure_weights(all_structures(toy))
    assert sum(every.values()) == pytest.approx(1.0)
    assert every["consult=costly,burden=leverage"] == pytest.approx(1 / 8)


def test_all_is_refused_above_64_structures(toy):
    seven = [toy.mechanisms[0].model_copy(update={"id": f"m{k}"}) for k in range(7)]
    many = toy.model_copy(update={"mechanisms": seven})
    assert len(default_structures(many)) == 8
    with pytest.raises(InputError, match="128 structures"):
        structures_to_run(many, "all")
    with pytest.raises(InputError, match="give it alone"):
        structures_to_run(toy, ["all", "seed"])


def test_a_scenario_without_mechanisms_has_one_structure():
    plain = load_scenario(Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml")
    assert [s.name for s in structures_to_run(plain)] == ["seed"]
    assert structure_weights(structures_to_run(plain)) == {"seed": 1.0}
    with pytest.raises(InputError, match="declares no contested mechanisms"):
        parse_structure(plain, "consult=costly")


def test_the_rules_active_under_a_structure(toy):
    names = [r.id for r in active_rules(toy, "consult=costly")]
    assert names == ["consultation_is_cheap_talk", "pressure_breeds_resentment"]
