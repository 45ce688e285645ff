"""The model at chosen parameter points: mapping, replicate event streams, determinism."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alliancesim.analysis import experiments as ex
from alliancesim.analysis.experiments import Experiments, measure_step
from alliancesim.errors import InputError
from alliancesim.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def scenario(sensitivity_path):
    return load_scenario(sensitivity_path)


def test_points_map_through_each_parameters_distribution(scenario):
    e = Experiments(scenario, ("linear", "skewed"), replicates=1)
    assert e.space.names == ("param.a", "param.b", "param.c", "param.w")
    unit = np.array([[0.1, 0.2, 0.3, 0.25], [0.9, 0.5, 0.0, 0.9]])
    out = e.evaluate_unit(unit)
    np.testing.assert_allclose(out[:, 0], 2 * unit[:, 0] + unit[:, 1], atol=1e-9)
    # w ~ triangular(0, 0.25, 1): its quantile function by hand
    u = unit[:, 3]
    w = np.where(u < 0.25, np.sqrt(u * 0.25), 1 - np.sqrt((1 - u) * 0.75))
    np.testing.assert_allclose(out[:, 1], w, atol=1e-12)


def test_policy_changes_apply_and_add_variables(scenario):
    double = Experiments(scenario, ("linear",), policy="double", replicates=1)
    assert double.space.names == ("param.a", "param.b", "param.c", "param.w")
    point = np.array([[0.25, 0.5, 0.5, 0.5]])
    assert double.evaluate_unit(point)[0, 0] == pytest.approx(2 * (0.5 + 0.5))
    wide = Experiments(scenario, ("linear",), policy="wide", replicates=1)
    assert "policy.scale" in wide.space.names  # uncertain only under this policy
    k = wide.space.names.index("policy.scale")
    point = np.full((1, len(wide.space)), 0.5)
    point[0, k] = 0.75  # U(1, 3) at 0.75 = 2.5
    assert wide.evaluate_unit(point)[0, 0] == pytest.approx(2.5 * (1 + 0.5))


def test_event_streams_are_shared_by_all_points(scenario):
    e = Experiments(scenario, ("shocked",), replicates=16, seed=4)
    unit = np.random.default_rng(0).random((50, 4))
    out = e.evaluate_unit(unit)[:, 0]
    shocks = out - unit[:, 0]
    # the shock stream does not depend on the parameters: same mean count at every point
    np.testing.assert_allclose(shocks, shocks[0], atol=1e-12)
    again = e.evaluate_unit(unit[::-1])[:, 0]
    np.testing.assert_array_equal(again[::-1], out)


def test_replicates_estimate_the_expectation_over_event_histories(scenario):
    e = Experiments(scenario, ("shocked", "decoupled"), replicates=6000, seed=1)
    out = e.evaluate_unit(np.array([[0.0, 0.5, 0.5, 0.5]]))[0]
    # count.shock at step 4 ~ Poisson(4 · 0.5): mean 2
    assert out[0] == pytest.approx(2.0, abs=0.06)
    # decoupled by step 4 where count > 3 + 4a = 3: P(Poisson(2) ≥ 4)
    assert out[1] == pytest.approx(stats.poisson.sf(3, 2.0), abs=0.02)


def test_results_do_not_depend_on_chunks_or_workers(scenario, monkeypatch):
    e = Experiments(scenario, ("shocked", "decoupled", "linear"), replicates=3, seed=2)
    unit = np.random.default_rng(3).random((40, 4))
    whole = e.evaluate_unit(unit)
    monkeypatch.setattr(ex, "MEMBERS_PER_CHUNK", 7)
    np.testing.assert_array_equal(e.evaluate_unit(unit), whole)
    np.testing.assert_array_equal(e.evaluate_unit(unit, workers=2), whole)


def test_measure_step_and_bad_input(scenario):
    e = Experiments(scenario, ("linear",))
    model = e.model
    assert measure_step(model, "horizon") == 4
    assert measure_step(model, "2025Q4") == 2
    assert measure_step(model, 0) == 0
    for bad in (5, "2030Q1", "soon"):
        with pytest.raises(InputError):
            measure_step(model, bad)
    with pytest.raises(InputError, match=r"unknown measure 'linaer'.*did you mean 'linear'"):
        Experiments(scenario, ("linaer",))
    with pytest.raises(InputError, match="unknown policy"):
        Experiments(scenario, ("linear",), policy="nobody")
    with pytest.raises(InputError, match="replicates"):
        Experiments(scenario, ("linear",), replicates=0)
    with pytest.raises(ValueError, match="coordinates"):
        e.evaluate_unit(np.zeros((2, 3)))


def test_state_variables_are_measurable(claims_path):
    e = Experiments(load_scenario(claims_path), ("tilt.ROK",), policy="push", replicates=1)
    theta = np.array([0.2, 0.9])
    unit = np.column_stack([theta, np.full(2, 0.5), np.full(2, 0.5)])
    out = e.evaluate_unit(unit)[:, 0]
    # four pushes of T = 0.1 · (theta − 0.7), saturating from 0.5 (docs/semantics.md, step 5):
    # T < 0 shrinks the value by the factor 1 + T, T > 0 the gap to 1 by 1 − T
    push = 0.1 * (theta - 0.7)
    expected = np.where(push > 0, 1 - 0.5 * (1 - push) ** 4, 0.5 * (1 + push) ** 4)
    np.testing.assert_allclose(out, expected, atol=1e-12)
