"""Observable decoupling in the summary, the presentation model, the report and the threshold
sensitivity of the cohesion index, on results constructed for it.

The engine records the signs (``decoupled.<sign>``) and the index (``decoupled.index``) once the
engine branch lands; here a toy run's trajectories get those flags added, computed from the
trajectories themselves, and the model says it defines them, so every number can be checked by
hand: in the toy, trust = u + t·d at step t (u ~ U(0, 1) the member's draw, d the drift of its
structure and policy, see test_structure_runs.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from alliancesim.expr import parse_expression
from alliancesim.model import Model
from alliancesim.observable import definition, index_sensitivity
from alliancesim.presentation import run_facts
from alliancesim.presentation.run_view import present_run
from alliancesim.runner import run

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"
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


def _with_flags(table: pa.Table) -> pa.Table:
    """The table with the toy's signs and index: cut (trust < 0.4), lapse (fear > 0.6) and the
    index (trust < param.leverage_gain = 0.2), latched."""
    frame = table.to_pandas()
    frame = frame.sort_values(["structure", "policy", "member", "step"]).reset_index(drop=True)
    steps = int(frame["step"].max()) + 1
    trust = frame["trust.ROK.USA"].to_numpy().reshape(-1, steps)
    fear = frame["fear.ROK"].to_numpy().reshape(-1, steps)
    frame["decoupled.cut"] = _latched(trust < 0.4).reshape(-1)
    frame["decoupled.lapse"] = _latched(fear > 0.6).reshape(-1)
    frame["decoupled.index"] = _latched(trust < 0.2).reshape(-1)
    return pa.Table.from_pandas(frame, preserve_index=False)


class _Signed(Model):
    decoupling_signs = ("cut", "lapse")  # as the engine branch's property
    has_index = True


@pytest.fixture(scope="module")
def stubbed():
    results = run(TOY, members=MEMBERS, seed=11)
    results.files.tables[:] = [_with_flags(t) for t in results.files.tables]
    decoupling = SimpleNamespace(
        when=None,
        for_steps=1,
        combine="any",
        source="public: the seed's decoupling, made observable",
        sources={},
        inner_entries=lambda: iter(()),
        signs=[
            SimpleNamespace(
                id="cut",
                label="A unilateral cut",
                when=parse_expression("trust.ROK.USA < 0.4"),
                for_steps=1,
                source="public: a dated news event",
            ),
            SimpleNamespace(
                id="lapse",
                label="A cost-sharing lapse",
                when=parse_expression("fear.ROK > 0.6"),
                for_steps=1,
                source="public: another",
            ),
        ],
        index=SimpleNamespace(
            label="cohesion index",
            when=parse_expression("trust.ROK.USA < param.leverage_gain"),
            for_steps=1,
            threshold="param.leverage_gain",
            source="assumption: the index's threshold",
        ),
    )
    model = results.model
    model.__class__ = _Signed
    model.scenario = model.scenario.model_copy(update={"decoupling": decoupling})
    return results


def _u(results) -> np.ndarray:
    return results.parameters()["state.trust.ROK.USA.initial"].to_numpy()


def test_the_definition_is_read_from_the_model(stubbed):
    found = definition(stubbed.model)
    assert [s.id for s in found.signs] == ["cut", "lapse"]
    assert found.signs[0].condition == "trust.ROK.USA < 0.4"
    assert found.combination_text == "any one sign"
    assert found.index.threshold == "param.leverage_gain"
    assert definition(run(TOY, members=10, structures=["seed"]).model) is None


def test_p_of_each_sign_and_the_index_by_step(stubbed):
    u = _u(stubbed)
    summary = stubbed.summary()
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
            assert mine.p_signs_by_step["cut"] == pytest.approx(cut, abs=1e-12)
            assert mine.p_signs_by_step["lapse"] == pytest.approx(lapse, abs=1e-12)
            assert mine.p_index_by_step == pytest.approx(index, abs=1e-12)
    weighted = summary.policies["baseline"]
    expected = sum(
        WEIGHTS[s] * np.asarray(summary.structures[s]["baseline"].p_signs_by_step["cut"])
        for s in WEIGHTS
    )
    assert weighted.p_signs_by_step["cut"] == pytest.approx(expected, abs=1e-12)
    assert "p_signs_by_step" in weighted.to_dict() and "p_index_by_step" in weighted.to_dict()


def test_the_index_threshold_sensitivity_is_computed_from_the_trajectories(stubbed):
    u = _u(stubbed)
    sensitivity = index_sensitivity(stubbed)
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


def test_the_presentation_and_the_report_lead_with_the_observable_definition(stubbed):
    from alliancesim.bands import indicator_bands
    from alliancesim.report.html import render_report

    view = present_run(stubbed, None, run_facts(stubbed))
    observable = view.observable
    assert [s.id for s in observable.signs] == ["cut", "lapse"]
    baseline = stubbed.summary().policies["baseline"]
    assert observable.signs[0].p_by_policy["baseline"] == baseline.p_signs_by_step["cut"][-1]
    assert observable.index is not None and observable.sensitivity is not None
    assert view.to_dict()["observable"]["signs"][0]["id"] == "cut"
    document = render_report(
        view, stubbed.model.scenario, indicator_bands(stubbed, list(view.key_indicators))
    )
    first = document.index("<section id=")
    assert document[first:].startswith('<section id="observable">')
    section = document[first : document.index("</section>", first)]
    for text in ("A unilateral cut", "public: a dated news event", "trust.ROK.USA &lt; 0.4"):
        assert text in section
    assert "param.leverage_gain" in section and "0.18" in section


def test_the_command_line_and_the_dashboard_show_the_same_signs(stubbed):
    import json

    from plotly.utils import PlotlyJSONEncoder
    from rich.console import Console

    from alliancesim.commands.run import signs_table
    from alliancesim.presentation import percent
    from alliancesim.web.results_view import _observable_card

    view = present_run(stubbed, None, run_facts(stubbed))
    console = Console(record=True, width=200)
    console.print(signs_table(view))
    text = console.export_text()
    card = json.loads(json.dumps(_observable_card(view), cls=PlotlyJSONEncoder))
    shown = json.dumps(card)
    for sign in view.observable.signs:
        for policy in ("baseline", "consult_first"):
            value = percent(sign.p_by_policy[policy])
            assert value in text and value in shown
    assert "A unilateral cut" in text and "A unilateral cut" in shown
