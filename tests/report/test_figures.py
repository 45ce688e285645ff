"""Figure functions: the numbers drawn are the run's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.bands import BAND_QUANTILES, indicator_bands
from alliancesim.claims import ClaimsOutcome
from alliancesim.presentation import ClaimRow, key_indicators, policy_label
from alliancesim.report import figures
from alliancesim.scenario.provenance import seed_quotes
from alliancesim.workflows import view_of_run


def test_bands_are_the_members_quantiles_at_each_step(alliance_run) -> None:
    """DuckDB's quantile_cont against NumPy's linear quantiles on the xarray Dataset."""
    names = ["cohesion", "fear_abandonment.ROK"]
    bands = indicator_bands(alliance_run, names)
    data = alliance_run.dataset()
    for name in names:
        for policy in alliance_run.policies:
            values = data[name].sel(policy=policy).values  # (member, step)
            expected = np.quantile(values, BAND_QUANTILES, axis=0, method="linear")
            np.testing.assert_allclose(bands.values[name][policy], expected, rtol=0, atol=1e-12)
    assert bands.steps == alliance_run.steps


def test_key_indicators_are_the_decoupling_condition_and_claimed_quantities(alliance_run) -> None:
    assert key_indicators(alliance_run) == [
        "cohesion",
        "fear_abandonment.ROK",
        "trust.ROK.USA",
        "nuclear_hedging.ROK",
    ]
    assert key_indicators(alliance_run, limit=2) == ["cohesion", "fear_abandonment.ROK"]


def test_fan_chart_draws_median_and_bands_per_policy(alliance_run) -> None:
    bands = indicator_bands(alliance_run, ["cohesion"])
    fig = figures.fan_chart(bands, "cohesion")
    medians = [t for t in fig.data if t.name == "median"]
    assert len(medians) == len(alliance_run.policies)
    for trace, policy in zip(medians, alliance_run.policies, strict=True):
        np.testing.assert_array_equal(trace.y, bands.values["cohesion"][policy][2])
    # one dashed baseline reference per other policy
    assert sum(t.name == "baseline median" for t in fig.data) == len(alliance_run.policies) - 1


def test_decoupling_chart_draws_the_summary_with_wilson_bands(alliance_run) -> None:
    summary = alliance_run.summary().to_dict()
    fig = figures.decoupling_chart(summary)
    for k, (policy, data) in enumerate(summary["policies"].items()):
        high, low, line = fig.data[3 * k : 3 * k + 3]
        assert line.name == policy
        assert list(line.y) == data["p_decoupling_by_step"]
        assert list(low.y) == [ci[0] for ci in data["p_decoupling_ci_by_step"]]
        assert list(high.y) == [ci[1] for ci in data["p_decoupling_ci_by_step"]]


def test_ranking_chart_shows_each_policys_paired_change(alliance_run) -> None:
    view = view_of_run(alliance_run, None)
    fig = figures.ranking_chart(view.ranking, counterfactuals={"no_withdrawal"})
    bar = fig.data[0]
    summary = alliance_run.summary()
    for name, x in zip(bar.y, bar.x, strict=True):
        paired = summary.policies[name].vs_baseline["decoupled"]
        expected = 100 * paired["mean_difference"]
        assert x == pytest.approx(expected, abs=1e-12)
    assert "baseline" not in bar.y
    shapes = dict(zip(bar.y, bar.marker.pattern.shape, strict=True))
    assert shapes == {"no_withdrawal": "/", "consult_first": ""}


def test_claims_table_and_sensitivity_chart(verdicts) -> None:
    table = figures.claims_table([ClaimRow.of(v) for v in verdicts])
    cells = table.data[0].cells.values
    assert list(cells[3]) == ["supported", "contested", "rejected"]
    assert cells[2][0] == "97 % [95–98 %]"
    assert cells[2][2] == "−0.070 [−0.080, −0.060]"  # a claim about the mean: its difference
    payload = {
        "method": "sobol",
        "measure": "cohesion",
        "factors": [
            {"name": "a", "S1": 0.5, "S1_conf": 0.1, "ST": 0.6, "ST_conf": 0.1},
            {"name": "b", "S1": 0.1, "S1_conf": None, "ST": 0.2, "ST_conf": 0.05},
        ],
    }
    fig = figures.sensitivity_chart(payload)
    assert [t.name for t in fig.data] == ["first order S1", "total ST"]
    assert list(fig.data[1].y) == ["b", "a"]  # most influential at the top
    assert list(fig.data[1].x) == [0.2, 0.6]
    morris = figures.sensitivity_chart(
        {"method": "morris", "factors": [{"name": "a", "mu_star": 0.3, "mu_star_conf": 0.1}]}
    )
    assert list(morris.data[0].x) == [0.3]


def test_policy_colours_are_stable_and_baseline_is_grey() -> None:
    colours = figures.policy_colours(["baseline", "a", "b"])
    assert colours["baseline"] == figures.BASELINE
    assert colours["a"] != colours["b"]
    assert figures.policy_colours(["a", "baseline", "b"]) == colours


def test_labels_recommendations_and_seed_quotes(alliance_run) -> None:
    scenario = alliance_run.model.scenario
    assert policy_label(scenario, "consult_first") == "Genuinely consult before unilateral actions"
    assert policy_label(scenario, "consult_first+no_withdrawal") == (
        "Genuinely consult before unilateral actions + Counterfactual: no withdrawal"
    )
    kinds = {r.policy: r.kind for r in view_of_run(alliance_run, ClaimsOutcome([])).ranking}
    assert kinds == {
        "baseline": "baseline",
        "consult_first": "recommendation",
        "no_withdrawal": "counterfactual",
    }
    quotes = seed_quotes(scenario)
    assert list(quotes) == ["000_ea92047b3d6a092b.txt"]
    cited = {who for who, _ in quotes["000_ea92047b3d6a092b.txt"]}
    assert {"lever consultation", "action withdrawal", "rule hedging_feeds_doubt"} <= cited
    # each quote once, even when several entries cite it
    texts = [q.quote for _, q in quotes["000_ea92047b3d6a092b.txt"]]
    assert len(texts) == len(set(texts))


def test_figures_written_out_are_what_plotly_validation_makes_of_them(alliance_run) -> None:
    """The report's big figures are written as dicts (Plotly's validators took most of a
    report's time): validating them again with Plotly changes nothing, and the Figure the
    dashboard gets holds the same dict."""
    import plotly.graph_objects as go

    from alliancesim.report.graph import causal_graph

    bands = indicator_bands(alliance_run, ["cohesion", "trust.ROK.USA"])
    summary = alliance_run.summary().to_dict()
    made = [
        figures.decoupling_figure(summary, labels={"baseline": "no change"}),
        figures.decoupling_figure(summary, title="a title"),
        figures.fan_figure(bands, "cohesion"),
        figures.fan_figure(bands, "trust.ROK.USA", title="", labels={"baseline": "none"}),
        figures.fan_figure(bands, "cohesion", policies=["baseline"]),
        figures.causal_loop_figure(causal_graph(alliance_run.model.scenario)),
        figures.causal_loop_figure(causal_graph(alliance_run.model.scenario), title="loops"),
    ]
    for figure in made:
        assert go.Figure(figure).to_plotly_json() == figure
    assert figures.fan_chart(bands, "cohesion").to_plotly_json() == made[2]
    assert figures.decoupling_chart(summary, title="a title").to_plotly_json() == made[1]


def test_fans_of_one_report_share_their_layout_but_not_their_values(alliance_run) -> None:
    bands = indicator_bands(alliance_run, ["cohesion", "trust.ROK.USA"])
    one = figures.fan_figure(bands, "cohesion", title="")
    other = figures.fan_figure(bands, "trust.ROK.USA", title="")
    assert one["layout"] == other["layout"]
    assert [t["y"] for t in one["data"]] != [t["y"] for t in other["data"]]
    one["data"][0]["y"].append(1.0)  # a caller changing its figure changes no later figure
    assert figures.fan_figure(bands, "cohesion", title="") != one
