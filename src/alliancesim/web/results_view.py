"""What the dashboard shows of one stored run: the report's charts, the claims and the ranking.

Every chart is drawn by the report's figure functions (:mod:`alliancesim.report.figures`) from
the report's data functions (:mod:`alliancesim.report.data`), so the dashboard and the HTML
report always agree.
"""

from __future__ import annotations

import math
from typing import Any

from dash import dcc, html

from alliancesim.report import figures
from alliancesim.report.data import (
    best_recommendation,
    indicator_bands,
    key_indicators,
    policy_label,
    policy_ranking,
)
from alliancesim.results import Results
from alliancesim.web.context import Dashboard

__all__ = ["GRAPH_CONFIG", "fan_figure", "quantity_labels", "run_view"]

GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _pct(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.{digits}f} %"


def _interval(ci: Any, digits: int = 1) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f"[{100 * ci[0]:.{digits}f}–{100 * ci[1]:.{digits}f} %]"


def quantity_labels(results: Results) -> dict[str, str]:
    """The scenario's label of each state variable and indicator."""
    scenario = results.model.scenario
    labels = {s.id: s.label for s in scenario.state if s.label}
    labels.update({i.id: i.label for i in scenario.indicators if i.label})
    return labels


def _headline(results: Results, ranking: list[dict[str, Any]]) -> html.Div:
    summary = results.summary()
    base = summary.policies["baseline"]
    parts: list[Any] = [
        html.Div(
            [
                f"P(decoupling by {summary.horizon}) under baseline: ",
                html.Strong(_pct(base.p_decoupling), id="headline-risk"),
                html.Span(" " + _interval(base.p_decoupling_ci), className="ci"),
            ],
            className="big",
        )
    ]
    best = best_recommendation(results, ranking)
    if best is not None:
        if best.significant:
            parts.append(
                html.Div(
                    [
                        "The recommendation that lowers it most: ",
                        html.Strong(best.label),
                        f" — by {best.change()}.",
                    ]
                )
            )
        else:
            parts.append(
                html.Div(
                    f"No recommendation lowers it by more than chance: the largest estimate is "
                    f"{best.policy}, {best.change()}."
                )
            )
    parts.append(
        html.Div(
            "Shares of plausible worlds (ensemble members). Brackets are 95 % intervals. An "
            "exploratory model: read the numbers as comparisons between policies, not forecasts.",
            className="caveat",
        )
    )
    return html.Div(parts, className="headline")


def _ranking_table(ranking: list[dict[str, Any]], labels: dict[str, str]) -> html.Table:
    head = html.Tr(
        [
            html.Th("rank", className="num"),
            html.Th("policy"),
            html.Th("P(decoupling)", className="num"),
            html.Th("lowers it by (paired)", className="num"),
            html.Th(""),
        ]
    )
    body = []
    for r in ranking:  # already in rank order, counterfactuals last
        policy = r["policy"]
        if policy == "baseline":
            change, verdict, badge = "reference", "", ""
        else:
            lo, hi = r["reduction_ci"]
            change = f"{100 * r['reduction']:+.1f} pp [{100 * lo:+.1f}, {100 * hi:+.1f}]"
            if lo > 0:
                verdict, badge = "lowers it", "supported"
            elif hi < 0:
                verdict, badge = "raises it", "rejected"
            else:
                verdict, badge = "no clear change", "neutral"
        body.append(
            html.Tr(
                [
                    html.Td(str(r["rank"]) if r["rank"] is not None else "—", className="num"),
                    html.Td(
                        [html.Code(policy), html.Div(labels.get(policy, ""), className="small")]
                    ),
                    html.Td(
                        [
                            _pct(r["p_decoupling"]),
                            html.Div(_interval(r["p_decoupling_ci"]), className="small"),
                        ],
                        className="num",
                    ),
                    html.Td(change, className="num"),
                    html.Td(html.Span(verdict, className=f"badge {badge}") if verdict else ""),
                ]
            )
        )
    return html.Table([html.Thead(head), html.Tbody(body)], className="table", id="ranking-table")


def _claims_section(verdicts: list[dict[str, Any]] | None, note: str) -> list[Any]:
    if verdicts is None:
        return [html.P(["Claims not evaluated. ", note], className="note", id="claims-note")]
    if not verdicts:
        return [html.P(note or "The scenario makes no claims.", className="note", id="claims-note")]
    return [
        dcc.Graph(
            id="claims-chart",
            figure=figures.claims_table(verdicts),
            config=GRAPH_CONFIG,
        )
    ]


def _ranking_figure(ranking: list[dict[str, Any]], horizon: str) -> Any:
    fig = figures.ranking_chart(ranking, horizon=horizon)
    fig.update_xaxes(title_font={"size": 11.5})  # the dashboard's column is narrower
    return fig


def fan_figure(results: Results, name: str) -> Any:
    """The report's fan chart of one quantity for every policy of the run."""
    labels = {p: policy_label(results.model.scenario, p) for p in results.policies}
    bands = indicator_bands(results, [name])
    return figures.fan_chart(bands, name, labels=labels, title="")


def run_view(dashboard: Dashboard, run_id: str) -> list[Any]:
    """The dashboard's view of a stored run: headline, downloads, P(decoupling) over time, the
    policy ranking (chart and table), the claims table and fan charts of the key indicators."""
    store = dashboard.store
    record = store.get(run_id)
    results = dashboard.results(record.run_id)
    scenario = results.model.scenario
    summary = results.summary()
    labels = {p: policy_label(scenario, p) for p in results.policies}
    ranking = policy_ranking(results)
    verdicts = store.claim_verdicts(record.run_id)
    note = (
        ""
        if verdicts is not None
        else (
            "The run did not evaluate the claims, usually because a policy a claim compares was not "
            "selected (the default selection includes them)."
        )
    )
    keys = key_indicators(results)
    names = quantity_labels(results)
    started = record.started.strftime("%Y-%m-%d %H:%M UTC")
    return [
        html.Div(
            [
                html.H2(scenario.scenario.title, id="results-title"),
                html.Div(
                    f"run {record.run_id} · {record.members:,} plausible worlds × "
                    f"{len(record.policies)} policies · seed {record.seed} · {started} · "
                    f"{record.elapsed_seconds:.1f} s",
                    className="small",
                    id="results-facts",
                ),
                _headline(results, ranking),
                html.Div(
                    [
                        html.Button(
                            "Download the report (HTML)",
                            id="download-report-button",
                            className="secondary",
                        ),
                        html.Button(
                            "Download the data (Parquet, zip)",
                            id="download-data-button",
                            className="secondary",
                        ),
                    ],
                    className="row-buttons",
                ),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("How likely is decoupling?"),
                html.P(
                    f"Share of plausible worlds in which the alliance has decoupled by each "
                    f"quarter, per policy, with 95 % bands. Decoupling: "
                    f"{scenario.decoupling.when.text} for {scenario.decoupling.for_steps} "
                    "consecutive step(s).",
                    className="help",
                ),
                dcc.Graph(
                    id="decoupling-chart",
                    figure=figures.decoupling_chart(summary.to_dict(), labels=labels),
                    config=GRAPH_CONFIG,
                ),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("Which recommendation buys the most?"),
                html.P(
                    "Each policy against baseline in the same plausible worlds with the same "
                    "random events: the difference is the policy's effect. Green: lowers the risk "
                    "beyond chance; red: raises it.",
                    className="help",
                ),
                dcc.Graph(
                    id="ranking-chart",
                    figure=_ranking_figure(ranking, summary.horizon),
                    config=GRAPH_CONFIG,
                ),
                _ranking_table(ranking, labels),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("Do the seeds' claims hold?"),
                html.P(
                    "Each claim is a seed's causal statement made testable: a paired comparison "
                    "of two policies. 'Holds in' is the share of worlds in which it holds, with "
                    "its 95 % interval.",
                    className="help",
                ),
                *_claims_section(verdicts, note),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("Key indicators over time"),
                html.P(
                    "Median world (line), middle half (dark band) and 90 % of worlds (light "
                    "band) per policy; dashed: the baseline median.",
                    className="help",
                ),
                dcc.Dropdown(
                    id="fan-quantity",
                    options=[
                        {"label": f"{k} — {names[k]}" if k in names else k, "value": k}
                        for k in keys
                    ],
                    value=keys[0] if keys else None,
                    clearable=False,
                ),
                dcc.Graph(
                    id="fan-chart",
                    figure=fan_figure(results, keys[0]) if keys else {},
                    config=GRAPH_CONFIG,
                ),
            ],
            className="card",
        ),
    ]
