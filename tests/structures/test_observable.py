"""Observable decoupling in the summary, the presentation model, the report and the threshold
sensitivity of the cohesion index, from runs of the engine.

The toy with signs (data/toy-signs.toml) defines decoupling by two signs, cut (trust < 0.4) and
lapse (fear > 0.6), combined by "any one sign", and a cohesion index (trust <
param.leverage_gain = 0.2). Every number can be checked by hand: trust = u + t·d at step t (u ~
U(0, 1) the member's draw, d the drift of its structure and policy, see test_structure_runs.py),
and fear = 0.5 + 0.2·t under burden=leverage, 0.5 otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alliancesim.observable import definition, index_sensitivity
from alliancesim.presentation import run_facts
from alliancesim.presentation.run_view import present_run
from alliancesim.runner import run

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"
SIGNS = DATA / "toy-signs.toml"
MEMBERS = 1000
DRIFT = {
    ("seed", "baseline"): -0.1,
    ("seed", "consult_first"): 0.0,
    ("consult=costly", "baseline"): -0.1,
    ("consult=costly", "consult_first"): -0.15,
    ("burden=leverage", "baseline"): 0.0,
    ("burden=leverage", "consult_first"): 0.1,
}
WEIGHTS = {"seed": 3 / 7, "consult=costly": 3 / 7, "burden=leverage": 1 / 7}


def _latched(values: np.ndarray) -> np.ndarray:
    """A condition per member and step as a latched flag (never at step 0)."""
    held = values.copy()
    held[:, 0] = False
    return np.logical_or.accumulate(held, axis=1)


@pytest.fixture(scope="module")
def signs_run():
    """The toy with signs, run by the engine under its default design of structures."""
    return run(SIGNS, members=MEMBERS, seed=11)


def _u(results) -> np.ndarray:
    return results.parameters()["state.trust.ROK.USA.initial"].to_numpy()


def test_the_engine_records_each_sign_the_index_and_their_combination(signs_run):
    model = signs_run.model
    assert model.decoupling_signs == ["cut", "lapse"] and model.has_index
    assert model.decoupling_names == ["decoupled.cut", "decoupled.lapse", "decoupled.index"]
    for name in model.decoupling_names:
        assert name in model.record_names


def test_the_definition_is_read_from_the_model(signs_run):
    found = definition(signs_run.model)
    assert [s.id for s in found.signs] == ["cut", "lapse"]
    assert found.signs[0].condition == "trust.ROK.USA < 0.4"
    assert found.combination_text == "any one sign"
    assert found.index.threshold == "param.leverage_gain"
    assert definition(run(TOY, members=10, structures=["seed"]).model) is None


def test_p_of_each_sign_and_the_index_by_step(signs_run):
    u = _u(signs_run)
    summary = signs_run.summary()
    for structure in WEIGHTS:
        for policy in ("baseline", "consult_first"):
            d = DRIFT[(structure, policy)]
            trust = u[:, None] + np.arange(3)[None, :] * d
            cut = _latched(trust < 0.4).mean(axis=0)
            index = _latched(trust < 0.2).mean(axis=0)
            lapse = np.zeros(3)
            if structure == "burden=leverage":  # fear 0.5 + 0.2·t
                lapse = np.array([0.0, 1.0, 1.0])
            mine = summary.structures[structure][policy]
            either = _latched((trust < 0.4) | (lapse[None, :] > 0.5)).mean(axis=0)
            assert mine.p_signs_by_step["cut"] == pytest.approx(cut, abs=1e-12)
            assert mine.p_signs_by_step["lapse"] == pytest.approx(lapse, abs=1e-12)
            assert mine.p_index_by_step == pytest.approx(index, abs=1e-12)
            assert mine.p_decoupling_by_step == pytest.approx(either, abs=1e-12)
    weighted = summary.policies["baseline"]
    expected = sum(
        WEIGHTS[s] * np.asarray(summary.structures[s]["baseline"].p_signs_by_step["cut"])
        for s in WEIGHTS
    )
    assert weighted.p_signs_by_step["cut"] == pytest.approx(expected, abs=1e-12)
    assert "p_signs_by_step" in weighted.to_dict() and "p_index_by_step" in weighted.to_dict()


def test_the_index_threshold_sensitivity_is_computed_from_the_trajectories(signs_run):
    u = _u(signs_run)
    sensitivity = index_sensitivity(signs_run)
    assert sensitivity.threshold == "param.leverage_gain" and sensitivity.value == 0.2
    assert sensitivity.thresholds == pytest.approx([0.18, 0.19, 0.2, 0.21, 0.22])
    for policy in ("baseline", "consult_first"):
        expected = []
        for theta in sensitivity.thresholds:
            share = 0.0
            for structure, weight in WEIGHTS.items():
                trust = u[:, None] + np.arange(1, 3)[None, :] * DRIFT[(structure, policy)]
                share += weight * (trust < theta).any(axis=1).mean()
            expected.append(share)
        assert sensitivity.p[policy] == pytest.approx(expected, abs=1e-12)
        # at the threshold itself, the grid gives what the run recorded
        assert sensitivity.p[policy][2] == pytest.approx(sensitivity.as_run[policy], abs=1e-12)


def test_the_presentation_and_the_report_lead_with_the_observable_definition(signs_run):
    from alliancesim.bands import indicator_bands
    from alliancesim.report.html import render_report

    view = present_run(signs_run, None, run_facts(signs_run))
    observable = view.observable
    assert [s.id for s in observable.signs] == ["cut", "lapse"]
    baseline = signs_run.summary().policies["baseline"]
    assert observable.signs[0].p_by_policy["baseline"] == baseline.p_signs_by_step["cut"][-1]
    assert observable.index is not None and observable.sensitivity is not None
    assert view.to_dict()["observable"]["signs"][0]["id"] == "cut"
    document = render_report(
        view, signs_run.model.scenario, indicator_bands(signs_run, list(view.key_indicators))
    )
    first = document.index("<section id=")
    assert document[first:].startswith('<section id="observable">')
    section = document[first : document.index("</section>", first)]
    for text in ("A unilateral cut", "public: a dated news event", "trust.ROK.USA &lt; 0.4"):
        assert text in section
    assert "param.leverage_gain" in section and "0.18" in section


def test_the_command_line_and_the_dashboard_show_the_same_signs(signs_run):
    import json

    from plotly.utils import PlotlyJSONEncoder
    from rich.console import Console

    from alliancesim.commands.run import signs_table, threshold_table
    from alliancesim.presentation import percent
    from alliancesim.web.results_view import _observable_card

    view = present_run(signs_run, None, run_facts(signs_run))
    console = Console(record=True, width=200)
    console.print(signs_table(view))
    console.print(threshold_table(view))
    text = console.export_text()
    card = json.loads(json.dumps(_observable_card(view), cls=PlotlyJSONEncoder))
    shown = json.dumps(card)
    for sign in view.observable.signs:
        for policy in ("baseline", "consult_first"):
            value = percent(sign.p_by_policy[policy])
            assert value in text and value in shown
    assert "A unilateral cut" in text and "A unilateral cut" in shown
    sensitivity = view.observable.sensitivity
    assert "param.leverage_gain" in text and "param.leverage_gain" in shown
    for policy in ("baseline", "consult_first"):
        for share in sensitivity.p[policy]:
            assert percent(share) in text and percent(share) in shown


def test_the_dataset_and_the_signed_graph_know_each_sign(signs_run):
    from alliancesim.scenario.loops import condition_links

    data = signs_run.dataset()
    summary = signs_run.summary()
    for flag, sign in (("decoupled.cut", "cut"), ("decoupled.lapse", "lapse")):
        assert data[flag].dtype == bool
        for structure in WEIGHTS:
            seen = data[flag].sel(structure=structure, policy="baseline").isel(step=-1)
            mine = summary.structures[structure]["baseline"].p_signs_by_step[sign][-1]
            assert float(seen.mean()) == pytest.approx(mine, abs=1e-12)
    assert data["decoupled.index"].dtype == bool
    scenario = signs_run.model.scenario
    # a rise in trust moves "trust < 0.4" away from holding, a rise in fear "fear > 0.6" toward
    assert condition_links(scenario) == [("fear.ROK", 1), ("trust.ROK.USA", -1)]
    assert condition_links(scenario, "decoupled.cut") == [("trust.ROK.USA", -1)]
    assert condition_links(scenario, "decoupled.index") == [
        ("param.leverage_gain", 1),
        ("trust.ROK.USA", -1),
    ]


def test_no_sensitivity_when_a_set_effect_moves_the_threshold() -> None:
    """The grid replaces the threshold's drawn value; a threshold an event sets during the run
    cannot be replaced so, and the sensitivity says why instead of giving wrong shares."""
    from alliancesim.scenario import load_scenario
    from alliancesim.scenario.entries import Scheduled
    from alliancesim.scenario.uncertain import parse_uncertain

    scenario = load_scenario(SIGNS)
    summit = Scheduled(
        id="summit", at=["2025Q4"], sets={"param.leverage_gain": parse_uncertain(0.5)}
    )
    scenario = scenario.model_copy(update={"schedule": [summit]})
    results = run(scenario, members=50, seed=1, structures=["seed"])
    sensitivity = index_sensitivity(results)
    assert sensitivity.p == {}
    assert "param.leverage_gain" in sensitivity.note and "set-effect" in sensitivity.note
