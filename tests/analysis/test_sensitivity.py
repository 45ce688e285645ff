"""Sobol and Morris indices against analytic values (data/sensitivity.toml)."""

from __future__ import annotations

import json
import math

import pytest

from alliancesim.analysis.sensitivity import (
    group_of,
    morris_screening,
    sensitivity_figure,
    sobol_indices,
)
from alliancesim.errors import InputError
from alliancesim.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def scenario(sensitivity_path):
    return load_scenario(sensitivity_path)


def test_sobol_linear_model_matches_analytic_indices(scenario):
    # linear = 2a + b + 0c with a, b, c ~ U(0, 1): S_i = a_i² var_i / Σ → 4/5, 1/5, 0
    result = sobol_indices(scenario, "linear", n=1024, replicates=1, groups="none")
    idx = result.indices
    assert idx["param.a"]["S1"] == pytest.approx(0.8, abs=0.04)
    assert idx["param.b"]["S1"] == pytest.approx(0.2, abs=0.04)
    assert idx["param.a"]["ST"] == pytest.approx(0.8, abs=0.04)
    assert idx["param.b"]["ST"] == pytest.approx(0.2, abs=0.04)
    for unused in ("param.c", "param.w"):
        assert abs(idx[unused]["S1"]) < 0.02 and abs(idx[unused]["ST"]) < 0.02
    assert result.ranking[:2] == ["param.a", "param.b"]
    assert result.evaluations == 1024 * (4 + 2)
    assert idx["param.a"]["S1_conf"] > 0
    json.dumps(result.to_dict(), allow_nan=False)


def test_sobol_product_model_has_interactions(scenario):
    # product = a·b: S_a = S_b = (1/48)/(7/144) = 3/7, ST = 1 − S_other = 4/7
    result = sobol_indices(scenario, "product", n=2048, replicates=1, groups="none")
    for name in ("param.a", "param.b"):
        assert result.indices[name]["S1"] == pytest.approx(3 / 7, abs=0.04)
        assert result.indices[name]["ST"] == pytest.approx(4 / 7, abs=0.04)


def test_morris_linear_model_effects_are_the_slopes(scenario):
    result = morris_screening(scenario, "linear", n=10, replicates=1, groups="none")
    idx = result.indices
    assert idx["param.a"]["mu_star"] == pytest.approx(2.0, abs=1e-9)
    assert idx["param.b"]["mu_star"] == pytest.approx(1.0, abs=1e-9)
    assert idx["param.c"]["mu_star"] == pytest.approx(0.0, abs=1e-9)
    assert idx["param.a"]["sigma"] == pytest.approx(0.0, abs=1e-9)
    assert result.evaluations == 10 * (4 + 1)
    assert result.ranking[0] == "param.a"


def test_outcome_that_does_not_vary_gives_a_note(scenario):
    result = sobol_indices(scenario, "decoupled", n=64, at=0, replicates=2)
    assert result.notes and "does not vary" in result.notes[0]
    assert all(math.isnan(v["ST"]) for v in result.indices.values())
    assert result.to_dict()["factors"][0]["ST"] is None


def test_bad_sizes_are_input_errors(scenario):
    with pytest.raises(InputError, match="power of two"):
        sobol_indices(scenario, "linear", n=100)
    with pytest.raises(InputError, match="at least 2"):
        morris_screening(scenario, "linear", n=1)


@pytest.mark.parametrize(
    ("parameter", "group"),
    [
        ("rules.fear_from_cut.weight", "rules.fear_from_cut"),
        ("state.fear_abandonment.ROK.initial", "state.fear_abandonment.ROK"),
        ("issues.cost_sharing.positions.USA.salience", "issues.cost_sharing.positions.USA"),
        ("issues.cost_sharing.status_quo", "issues.cost_sharing.status_quo"),
        ("actions.stryker_withdrawal.effects.fear_abandonment.ROK", "actions.stryker_withdrawal"),
        ("policy.consultation", "policy.consultation"),
        ("param.theta", "param.theta"),
        ("actors.ROK.capability", "actors.ROK"),
    ],
)
def test_group_of_names_the_scenario_entry(parameter, group):
    assert group_of(parameter) == group


def test_grouped_sobol_has_one_index_per_entry(claims_path):
    scenario = load_scenario(claims_path)
    result = sobol_indices(scenario, "tilt.ROK", policy="push", n=256, replicates=1, groups="entry")
    assert set(result.names) == {"param.theta", "param.noise", "param.skew"}
    assert result.indices["param.theta"]["ST"] == pytest.approx(1.0, abs=0.05)


def test_figure_has_both_indices(scenario):
    result = sobol_indices(scenario, "linear", n=64, replicates=1, groups="none")
    fig = sensitivity_figure(result)
    s1, st = fig.data
    assert list(s1.y)[-1] == "param.a"  # the largest at the top
    assert list(st.x)[-1] == result.indices["param.a"]["ST"]
    morris = sensitivity_figure(morris_screening(scenario, "linear", n=4, replicates=1))
    assert len(morris.data) == 1
