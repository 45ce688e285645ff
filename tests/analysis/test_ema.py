"""The scenario as an EMA Workbench 3 model: perform_experiments runs it, outcomes are right."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.ema import LEVER, ema_model, ema_name, scipy_distribution
from alliancesim.scenario.uncertain import Normal, Triangular, Uniform

ema = pytest.importorskip("ema_workbench")


@pytest.fixture(scope="module")
def model(sensitivity_path):
    return ema_model(sensitivity_path, replicates=2)


def test_uncertainties_levers_outcomes(model):
    names = [u.name for u in model.uncertainties]
    assert names == ["policy__scale", "param__a", "param__b", "param__c", "param__w"]
    scale = model.uncertainties["policy__scale"]  # uncertain only under policy `wide`: U(1, 3)
    assert scale.dist.ppf(0.5) == pytest.approx(2.0)
    assert model.uncertainties["param__w"].dist.ppf(0.25) == pytest.approx(0.25)  # the mode
    (lever,) = model.levers
    assert lever.name == LEVER
    assert [c.value for c in lever.categories] == ["baseline", "double", "wide"]
    assert [o.name for o in model.outcomes] == [
        "linear",
        "product",
        "shocked",
        "skewed",
        "p_decoupling",
    ]


def test_perform_experiments_runs_the_scenario(model):
    policies = [ema.Sample(p, **{LEVER: p}) for p in ("baseline", "double", "wide")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = ema.perform_experiments(model, scenarios=6, policies=policies)
    assert len(experiments) == 18
    a, b = experiments["param__a"].to_numpy(), experiments["param__b"].to_numpy()
    scale = np.select(
        [experiments[LEVER] == "baseline", experiments[LEVER] == "double"],
        [1.0, 2.0],
        experiments["policy__scale"].to_numpy(),
    )
    np.testing.assert_allclose(outcomes["linear"], scale * (2 * a + b), rtol=1e-9)
    np.testing.assert_allclose(outcomes["product"], a * b, rtol=1e-9)
    np.testing.assert_allclose(outcomes["skewed"], experiments["param__w"], rtol=1e-9)
    assert set(np.unique(outcomes["p_decoupling"])) <= {0.0, 0.5, 1.0}  # 2 replicates


def test_model_function_is_picklable(model):
    function = pickle.loads(pickle.dumps(model.function))
    out = function(
        alliance_policy="double",
        policy__scale=2.0,
        param__a=0.5,
        param__b=0.25,
        param__c=0.1,
        param__w=0.3,
    )
    assert out["linear"] == pytest.approx(2 * (1.0 + 0.25))
    with pytest.raises(TypeError, match="missing uncertain parameter"):
        function(alliance_policy="baseline", param__a=0.5)


def test_ema_names_are_identifiers():
    assert ema_name("rules.fear_from_cut.weight") == "rules__fear_from_cut__weight"
    assert ema_name("actions.cut.effects.fear_abandonment.ROK").isidentifier()


@settings(max_examples=60, deadline=None)
@given(
    u=st.floats(0.001, 0.999),
    low=st.floats(-5, 5),
    width=st.floats(0.1, 10),
    mode_share=st.floats(0, 1),
)
def test_scipy_distribution_has_the_same_quantiles(u, low, width, mode_share):
    for dist in (
        Uniform(low, low + width),
        Triangular(low, low + mode_share * width, low + width),
        Normal(low, width, low - width, low + 2 * width),
    ):
        assert scipy_distribution(dist).ppf(u) == pytest.approx(
            float(dist.ppf(np.array([u]))[0]), rel=1e-9, abs=1e-9
        )
