"""Overrides: a module's [[overrides]] replace the including scenario's parameter ranges."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from alliancesim.analysis.backtest import simulate_history
from alliancesim.errors import InputError
from alliancesim.model import compile_model
from alliancesim.scenario import load_scenario, scenario_parameters
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.schema import Override
from alliancesim.scenario.uncertain import Fixed, Normal, Uniform


def _setup(tmp_path, plain_scenario_path, *modules: str):
    """Copy the plain scenario and its rule module; add override modules; include them all."""
    data = plain_scenario_path.parent
    shutil.copy(data / "module-rules.toml", tmp_path / "module-rules.toml")
    names = []
    for k, body in enumerate(modules):
        name = f"overrides-{k}.toml"
        (tmp_path / name).write_text(f'[module]\nid = "overrides_{k}"\ntitle = "o"\n\n{body}')
        names.append(name)
    text = plain_scenario_path.read_text().replace(
        'include = ["module-rules.toml"]',
        "include = " + str(["module-rules.toml", *names]).replace("'", '"'),
    )
    path = tmp_path / "plain.toml"
    path.write_text(text)
    return path


def _override(parameter: str, value: str, source: str = "public: calibrated by test, 2026") -> str:
    return f'[[overrides]]\nparameter = "{parameter}"\nvalue = {value}\nsource = "{source}"\n\n'


def test_overrides_replace_ranges_and_sources(tmp_path, plain_scenario_path):
    body = (
        _override("rules.fear_grows.weight", "{ low = 0.12, high = 0.2 }")
        + _override(
            "param.threshold", '{ dist = "normal", mean = 0.5, sd = 0.05, low = 0.45, high = 0.55 }'
        )
        + _override("issues.cost_sharing.positions.ROK.position", "7")
        + _override("actions.cut.effects.fear_abandonment.ROK", "{ low = 0.06, high = 0.07 }")
        + _override("state.fear_abandonment.ROK.relaxation", "0.1")
    )
    scenario = load_scenario(_setup(tmp_path, plain_scenario_path, body))
    specs = scenario_parameters(scenario)
    assert specs["rules.fear_grows.weight"].value == Uniform(0.12, 0.2)
    assert specs["param.threshold"].value == Normal(0.5, 0.05, 0.45, 0.55)
    assert specs["issues.cost_sharing.positions.ROK.position"].value == Fixed(7.0)
    assert specs["actions.cut.effects.fear_abandonment.ROK"].value == Uniform(0.06, 0.07)
    assert specs["state.fear_abandonment.ROK.relaxation"].value == Fixed(0.1)
    # untouched numbers of the same entries keep their values and sources
    assert specs["state.fear_abandonment.ROK.initial"].value == Uniform(0.3, 0.4)
    assert specs["state.fear_abandonment.ROK.initial"].source == "assumption: test"
    assert specs["issues.cost_sharing.positions.ROK.salience"].value == Fixed(0.8)
    # the override's source becomes the parameter's; the entry still points at its own file
    assert specs["rules.fear_grows.weight"].source == "public: calibrated by test, 2026"
    rule = next(r for r in scenario.rules if r.id == "fear_grows")
    assert rule.origin[0].endswith("module-rules.toml")


def test_a_later_module_wins(tmp_path, plain_scenario_path):
    first = _override("rules.fear_grows.weight", "{ low = 0.1, high = 0.15 }")
    second = _override("rules.fear_grows.weight", "{ low = 0.2, high = 0.25 }")
    scenario = load_scenario(_setup(tmp_path, plain_scenario_path, first, second))
    assert scenario_parameters(scenario)["rules.fear_grows.weight"].value == Uniform(0.2, 0.25)


def test_unknown_parameter_names_file_line_and_suggestion(tmp_path, plain_scenario_path):
    body = "\n" + _override("rules.fear_grow.weight", "0.2")
    path = _setup(tmp_path, plain_scenario_path, body)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.file.endswith("overrides-0.toml") and problem.line == 6  # [[overrides]]
    assert problem.field == "overrides[0].parameter"
    assert "'rules.fear_grows.weight'" in problem.message


def test_out_of_range_and_missing_source_are_input_errors(tmp_path, plain_scenario_path):
    bad_range = _override("actions.cut.probability", "1.5")
    with pytest.raises(InputError, match=r"must lie in \[0, 1\], got 1.5"):
        load_scenario(_setup(tmp_path, plain_scenario_path, bad_range))
    no_source = '[[overrides]]\nparameter = "actions.cut.probability"\nvalue = 0.5\n'
    with pytest.raises(InputError, match="an override needs its source"):
        load_scenario(_setup(tmp_path, plain_scenario_path, no_source))


def test_overrides_only_in_modules(tmp_path, plain_scenario_path):
    text = plain_scenario_path.read_text() + "\n" + _override("actions.cut.probability", "0.5")
    (tmp_path / "module-rules.toml").write_text(
        (plain_scenario_path.parent / "module-rules.toml").read_text()
    )
    (tmp_path / "plain.toml").write_text(text)
    with pytest.raises(InputError, match="unknown section 'overrides'"):
        load_scenario(tmp_path / "plain.toml")


def test_an_override_changes_the_simulation(toy_episode_path):
    scenario = load_scenario(toy_episode_path)
    zero = apply_overrides(
        scenario,
        [
            Override(parameter="rules.fear_from_cut.weight", value=0.0, source="assumption: t"),
            Override(parameter="rules.noise_moves_fear.weight", value=0.0, source="assumption: t"),
        ],
    )
    model = compile_model(zero)
    records = simulate_history(model, 50, 0)
    fear = records[:, model.record_names.index("fear_abandonment.ROK"), :]
    # no driver left: fear only relaxes toward its baseline 0.35, monotonically
    distance = np.abs(fear - 0.35)
    assert np.all(np.diff(distance, axis=0) <= 1e-12)
    base = compile_model(scenario)
    assert not np.allclose(
        simulate_history(base, 50, 0)[:, base.record_names.index("fear_abandonment.ROK")], fear
    )


def test_no_overrides_returns_the_same_scenario(toy_episode_path):
    scenario = load_scenario(toy_episode_path)
    assert apply_overrides(scenario, []) is scenario
