"""Levers to tune: the Pareto set EMA Workbench's ε-NSGA-II finds on toys whose answer is known,
each setting's objectives against hand computation and against a run, and `alliancesim
optimize` on the command line."""

from __future__ import annotations

import json

import pytest

from alliancesim.analysis.levers import Objective, SettingsEvaluator, tuned_levers
from alliancesim.analysis.optimize import optimize_levers
from alliancesim.analysis.robust import regret_measure, scenario_thresholds
from alliancesim.errors import InputError
from alliancesim.model import compile_model
from alliancesim.runner import run
from alliancesim.scenario import load_scenario

TUNING = "tests/robust/data/tuning.toml"
DIALOGUE = "tests/robust/data/dialogue.toml"
ROBUST = "tests/robust/data/toy.toml"


@pytest.fixture(scope="module")
def tuning_front():
    return optimize_levers(load_scenario(TUNING), members=1000, nfe=600, seed=2)


def test_the_pareto_set_of_a_lever_with_a_known_optimum(tuning_front):
    # P(decoupling) = (x − 0.6)² + 0.1 and cost 2x: the Pareto set is x in [0, 0.6]
    xs = [p.settings["x"] for p in tuning_front.points]
    assert len(xs) >= 10
    assert max(xs) <= 0.6 + 0.02
    assert min(xs) < 0.1 and max(xs) > 0.45
    for point in tuning_front.points:
        x = point.settings["x"]
        assert point.objectives["p_decoupling"] == pytest.approx((x - 0.6) ** 2 + 0.1, abs=1.5e-3)
        assert point.objectives["cost"] == pytest.approx(2 * x)
    lowest = min(tuning_front.points, key=lambda p: p.objectives["p_decoupling"])
    assert lowest.settings["x"] == pytest.approx(0.6, abs=0.1)
    assert lowest.objectives["p_decoupling"] == pytest.approx(0.1, abs=0.01)


def test_how_often_to_talk_has_the_pareto_set_worked_out_by_hand():
    found = optimize_levers(load_scenario(DIALOGUE), members=1000, nfe=200, seed=1)
    rows = {int(p.settings["every"]): p.objectives for p in found.points}
    assert sorted(rows) == [1, 3, 4]  # every 2 quarters is dominated by every 3
    for k, (p, cost) in {1: (0.1, 4.0), 3: (0.3, 2.0), 4: (0.4, 1.0)}.items():
        assert rows[k]["p_decoupling"] == pytest.approx(p, abs=1.5e-3)
        assert rows[k]["cost"] == pytest.approx(cost)
    assert found.points[0].described == ("dialogue every 1 step(s)",)


def test_a_setting_measures_what_a_run_with_that_policy_gives():
    scenario = load_scenario(TUNING)
    levers = tuned_levers(scenario)
    objectives = [Objective("p_decoupling", "p_decoupling", "minimize")]
    evaluator = SettingsEvaluator(scenario, levers, objectives, 700, 9, {"seed": 1.0})
    (measured,) = evaluator.evaluate([{"x": 0.3}])
    summary = run(scenario, ["x_at_0_3"], members=700, seed=9).summary()
    assert measured["p_decoupling"] == summary.policies["x_at_0_3"].p_decoupling


def test_robustness_objectives_against_hand_computation():
    # the robustness toy with consult = 1 and no talks: trust at the horizon u + 0.1 (seed) or
    # u − 0.3 (costly); the best option's u + 0.12 (seed) and u − 0.18 (costly)
    scenario = load_scenario(ROBUST)
    thresholds = scenario_thresholds(scenario)
    objectives = [
        Objective(m, m, "minimize")
        for m in ("p_decoupling", "worst_structure", "satisficing", "regret_p90", "cost")
    ]
    evaluator = SettingsEvaluator(
        scenario,
        tuned_levers(scenario),
        objectives,
        2000,
        0,
        {"seed": 3.0, "consult=costly": 1.0},
        thresholds,
        regret_measure(compile_model(scenario)),
        ["baseline", "consult_first", "talk_only"],
    )
    evaluator.prepare()
    (measured,) = evaluator.evaluate([{"consult": 1.0}])
    tol = 1.5 / 2000
    assert measured["p_decoupling"] == pytest.approx(0.75 * 0.25 + 0.25 * 0.6, abs=tol)
    assert measured["worst_structure"] == pytest.approx(0.6, abs=tol)
    assert measured["satisficing"] == pytest.approx(0.75 * 0.75, abs=tol)
    assert measured["regret_p90"] == pytest.approx(0.12, abs=1e-9)
    assert measured["cost"] == 1.0


def test_the_search_does_not_depend_on_the_workers():
    scenario = load_scenario(DIALOGUE)
    one = optimize_levers(scenario, members=300, nfe=150, seed=4, workers=1)
    two = optimize_levers(scenario, members=300, nfe=150, seed=4, workers=2)
    assert [p.to_dict() for p in one.points] == [p.to_dict() for p in two.points]


def test_a_scenario_without_levers_to_tune_says_so():
    with pytest.raises(InputError, match="declares no levers to tune"):
        optimize_levers(load_scenario("thaad-2017"), members=10, nfe=10)


def test_optimize_on_the_command_line(cli):
    code, out, _ = cli("optimize", DIALOGUE, "-n", "1000", "--nfe", "200", "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["schema_version"] == 1 and payload["scenario"] == "toy-dialogue"
    assert [p["settings"]["every"] for p in payload["pareto"]] == [1, 3, 4]
    code, out, _ = cli("optimize", DIALOGUE, "-n", "1000", "--nfe", "200")
    assert code == 0
    assert "Pareto set of 3 lever settings" in out and "dialogue every 3 step(s)" in out
    code, _, err = cli("optimize", DIALOGUE, "--epsilon", "0.1")
    assert code == 2 and "one positive ε per objective (2)" in err
    code, _, err = cli("optimize", DIALOGUE, "--nfe", "0")
    assert code == 2 and "--nfe" in err
