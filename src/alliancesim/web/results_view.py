"""What the dashboard shows of one stored run: the report's charts, the claims and the ranking.

Every table and chart is laid out from the run's presentation model
(:func:`alliancesim.workflows.view_of_stored_run`, the rows the report and the CLI show) and
drawn by the report's figure functions (:mod:`alliancesim.report.figures`), so the dashboard,
the HTML report and the command line always agree.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from alliancesim.bands import indicator_bands
from alliancesim.presentation import ClaimsView, RunView, percent, policy_label
from alliancesim.report import figures
from alliancesim.results import Results
from alliancesim.web.context import Dashboard
from alliancesim.web.robust_cards import robust_cards
from alliancesim.workflows import robust_view_of_stored_run, view_of_stored_run

__all__ = ["GRAPH_CONFIG", "fan_figure", "run_view"]

GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


BADGE_CLASS = {"lowers": "supported", "raises": "rejected", "unclear": "neutral"}


def _headline(view: RunView) -> html.Div:
    headline = view.headline
    base = headline.baseline
    parts: list[Any] = [
        html.Div(
            [
                f"P(decoupling by {headline.horizon}) under baseline{headline.over_text}: ",
                html.Strong(base.p_text, id="headline-risk"),
                html.Span(" " + base.p_interval_text, className="ci"),
            ],
            className="big",
        )
    ]
    best = headline.best
    if best is not None and best.effect is not None:
        if best.effect.direction == "lowers":
            parts.append(
                html.Div(
                    [
                        "The recommendation that lowers it most: ",
                        html.Strong(best.label),
                        " ",
                        html.Code(best.policy),
                        f" — {best.effect.text}, to {best.p_text}.",
                    ],
                    id="headline-best",
                )
            )
        else:
            parts.append(
                html.Div(
                    f"No recommendation lowers it by more than chance: the largest estimate is "
                    f"{best.policy}, {best.effect.text}.",
                    id="headline-best",
                )
            )
    if view.projection:
        parts.append(html.Div(["History and projection: ", view.projection], id="history-note"))
    parts.append(
        html.Div(
            "Shares of plausible worlds (ensemble members). Brackets are 95 % intervals; a "
            "policy's change is policy minus baseline, so a negative change lowers the risk. An "
            "exploratory model: read the numbers as comparisons between policies, not forecasts.",
            className="caveat",
        )
    )
    return html.Div(parts, className="headline")


def _ranking_table(view: RunView) -> html.Table:
    head = html.Tr(
        [
            html.Th("rank", className="num"),
            html.Th("policy"),
            html.Th("P(decoupling)", className="num"),
            html.Th("change vs baseline (paired)", className="num"),
            html.Th(""),
            html.Th("harms in (share of worlds)", className="num"),
        ]
    )
    body = []
    for r in view.ranking:  # already in rank order, counterfactuals last
        badge: Any = ""
        if r.effect is not None:
            badge = html.Span(r.effect.badge, className=f"badge {BADGE_CLASS[r.effect.direction]}")
        body.append(
            html.Tr(
                [
                    html.Td(str(r.rank) if r.rank is not None else "—", className="num"),
                    html.Td([html.Code(r.policy), html.Div(r.label, className="small")]),
                    html.Td(
                        [r.p_text, html.Div(r.p_interval_text, className="small")],
                        className="num p",
                    ),
                    html.Td(r.effect_text, className="num change"),
                    html.Td(badge),
                    html.Td(
                        [
                            r.harm_text,
                            html.Div(r.harm.interval_text, className="small")
                            if r.harm is not None
                            else "",
                        ],
                        className="num harm",
                        title=r.harm.where_text if r.harm is not None else "",
                    ),
                ],
                **{"data-policy": r.policy},
            )
        )
    return html.Table([html.Thead(head), html.Tbody(body)], className="table", id="ranking-table")


def _observable_card(view: RunView) -> html.Div | None:
    """Decoupling as a historian could code it: each sign with P(seen by the horizon) per
    policy, their combination, and the cohesion index beside them."""
    observable = view.observable
    if observable is None:
        return None
    policies = sorted((r.policy for r in view.ranking), key=lambda p: p != "baseline")
    head = html.Tr([html.Th("sign"), *(html.Th(html.Code(p), className="num") for p in policies)])

    def row(label: str, condition: str, values: Any, strong: bool = False) -> html.Tr:
        cells = [html.Td(percent(values.get(p)), className="num") for p in policies]
        name: Any = html.Strong(label) if strong else label
        return html.Tr([html.Td([name, html.Div(html.Code(condition), className="small")]), *cells])

    rows = [row(s.label, s.condition, s.p_by_policy) for s in observable.signs]
    rows.append(row(f"Decoupled: {observable.combination}", "", observable.combined, True))
    if observable.index is not None:
        rows.append(
            row(
                f"{observable.index.label} (not part of the definition)",
                observable.index.condition,
                observable.index.p_by_policy,
            )
        )
    return html.Div(
        [
            html.H3("What counts as decoupling"),
            html.P(
                "Observable signs a historian could code from the news: the share of plausible "
                f"worlds in which each has been seen by {view.horizon}"
                + (", weighted over the structures." if observable.weighted else "."),
                className="help",
            ),
            html.Table([html.Thead(head), html.Tbody(rows)], className="table", id="signs-table"),
            *_threshold_sensitivity(view),
        ],
        className="card",
    )


def _threshold_sensitivity(view: RunView) -> list[Any]:
    """How P(the cohesion index by the horizon) depends on its threshold (the report's and the
    command line's grid), or why it is not available; nothing without an index."""
    observable = view.observable
    sensitivity = observable.sensitivity if observable is not None else None
    if sensitivity is None:
        return []
    if not sensitivity.p:
        return [
            html.P(f"Threshold sensitivity not available: {sensitivity.note}", className="help")
        ]
    policies = sorted(sensitivity.p, key=lambda p: p != "baseline")
    head = html.Tr(
        [
            html.Th("threshold", className="num"),
            *(html.Th(html.Code(p), className="num") for p in policies),
        ]
    )
    rows = [
        html.Tr(
            [
                html.Td(f"{value:.4g}", className="num"),
                *(html.Td(percent(sensitivity.p[p][k]), className="num") for p in policies),
            ]
        )
        for k, value in enumerate(sensitivity.thresholds)
    ]
    drawn = (
        "The run draws the threshold from its range; the middle row holds it at its mean."
        if sensitivity.uncertain
        else "The middle row is the scenario's threshold."
    )
    return [
        html.P(
            f"How P(the cohesion index by {view.horizon}) depends on its threshold "
            f"{sensitivity.threshold}, moved by 5 and 10 %. {drawn}",
            className="help",
        ),
        html.Table([html.Thead(head), html.Tbody(rows)], className="table", id="threshold-table"),
    ]


def _structures_card(view: RunView) -> html.Div | None:
    """The rival structures: each one's weight and ranking of the policies (P(decoupling) and
    paired change), beside the weighted answer, and where their rankings disagree."""
    if not view.weighted:
        return None
    head = html.Tr(
        [
            html.Th("policy"),
            *(
                html.Th(
                    [html.Code(s.name), html.Div(f"weight {s.weight_text}", className="small")],
                    className="num",
                )
                for s in view.structures
            ),
            html.Th("weighted", className="num"),
        ]
    )

    def cell(row: Any) -> html.Td:
        badge: Any = ""
        if row.effect is not None:
            badge = html.Span(
                row.effect.badge, className=f"badge {BADGE_CLASS[row.effect.direction]}"
            )
        harm: Any = (
            html.Div(f"harms in {row.harm.text}", className="small harm")
            if row.harm is not None
            else ""
        )
        return html.Td(
            [row.p_text, html.Div(row.effect_text, className="small change"), badge, harm],
            className="num",
        )

    body = [
        html.Tr(
            [
                html.Td([html.Code(row.policy), html.Div(row.label, className="small")]),
                *(cell(s.row(row.policy)) for s in view.structures),
                cell(row),
            ],
            **{"data-policy": row.policy},
        )
        for row in view.ranking
    ]
    if view.disagreements:
        verdict: Any = html.Div(
            [
                html.Strong("The structures disagree."),
                html.Ul([html.Li(line) for line in view.disagreements]),
            ],
            className="problems",
            id="structure-disagreements",
        )
    else:
        verdict = html.P(
            "The structures agree on the best recommendation and on the direction of every "
            "policy's effect.",
            className="note",
            id="structure-disagreements",
        )
    return html.Div(
        [
            html.H3("Rival structures: does the answer depend on the account?"),
            html.P(
                "The same plausible worlds under each structure (one account of each contested "
                "mechanism), weighted by their accounts' weights (history's where the episodes "
                "weigh the mechanism, the priors elsewhere). Each cell: P(decoupling), the "
                "paired change vs baseline and the share of worlds the policy harms under that "
                "structure.",
                className="help",
            ),
            html.Ul(
                [
                    html.Li([html.Code(s.name), f" (weight {s.weight_text}): {s.label}"])
                    for s in view.structures
                ]
            ),
            html.P(
                f"Structures weighed by {view.weights_source}.",
                className="note",
                id="structure-weights",
            ),
            *(
                [html.Ul([html.Li(line) for line in view.history], id="history-favours")]
                if view.history
                else []
            ),
            verdict,
            html.Table(
                [html.Thead(head), html.Tbody(body)], className="table", id="structures-table"
            ),
        ],
        className="card",
    )


def _claims_section(claims: ClaimsView) -> list[Any]:
    if claims.rows is None:
        return [html.P(["Claims not evaluated. ", claims.note], className="note", id="claims-note")]
    if not claims.rows:
        return [
            html.P(
                claims.note or "The scenario makes no claims.", className="note", id="claims-note"
            )
        ]
    return [
        dcc.Graph(
            id="claims-chart",
            figure=figures.claims_table(claims.rows),
            config=GRAPH_CONFIG,
        )
    ]


def _ranking_figure(view: RunView) -> Any:
    fig = figures.ranking_chart(
        view.ranking, horizon=view.horizon, counterfactuals=view.counterfactuals
    )
    fig.update_xaxes(title_font={"size": 11.5})  # the dashboard's column is narrower
    return fig


def fan_figure(results: Results, name: str) -> Any:
    """The report's fan chart of one quantity for every policy of the run."""
    labels = {p: policy_label(results.model.scenario, p) for p in results.policies}
    bands = indicator_bands(results, [name])
    return figures.fan_chart(bands, name, labels=labels, title="")


def run_view(dashboard: Dashboard, run_id: str) -> list[Any]:
    """The dashboard's view of a stored run: headline, downloads, P(decoupling) over time, the
    policy ranking (chart and table), the claims table and fan charts of the key indicators —
    laid out from the same presentation rows as the report and the CLI."""
    store = dashboard.store
    record = store.get(run_id)
    view, results = view_of_stored_run(
        store, record.run_id, results=dashboard.results(record.run_id)
    )
    robust = robust_view_of_stored_run(store, record, results)
    keys = list(view.key_indicators)
    names = view.quantity_labels
    started = record.started.strftime("%Y-%m-%d %H:%M UTC")
    observable = _observable_card(view)
    return [
        html.Div(
            [
                html.H2(view.title, id="results-title"),
                html.Div(
                    f"run {record.run_id} · {record.members:,} plausible worlds × "
                    f"{len(record.policies)} policies"
                    + (
                        f" × {len(record.structures)} structures"
                        if len(record.structures) > 1
                        else ""
                    )
                    + f" · seed {record.seed} · {started} · "
                    f"{record.elapsed_seconds:.1f} s",
                    className="small",
                    id="results-facts",
                ),
                _headline(view),
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
                html.Div(id="download-status", role="status"),
            ],
            className="card",
        ),
        *([observable] if observable is not None else []),
        html.Div(
            [
                html.H3("How likely is decoupling?"),
                html.P(
                    f"Share of plausible worlds in which the alliance has decoupled by each "
                    f"quarter, per policy, with 95 % bands. Decoupling: {view.decoupling}.",
                    className="help",
                ),
                dcc.Graph(
                    id="decoupling-chart",
                    figure=figures.decoupling_chart(
                        view.decoupling_data(), labels=view.policy_labels
                    ),
                    config=GRAPH_CONFIG,
                ),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("Which recommendation buys the most?"),
                html.P(
                    ("Weighted over the run's structures. " if view.weighted else "")
                    + "Each policy against baseline in the same plausible worlds with the same "
                    "random events: the difference is the policy's effect (policy minus baseline). "
                    "Green: lowers the risk beyond chance; red: raises it.",
                    className="help",
                ),
                dcc.Graph(
                    id="ranking-chart",
                    figure=_ranking_figure(view),
                    config=GRAPH_CONFIG,
                ),
                _ranking_table(view),
            ],
            className="card",
        ),
        *([card] if (card := _structures_card(view)) is not None else []),
        *robust_cards(robust),
        html.Div(
            [
                html.H3("Do the seeds' claims hold?"),
                html.P(
                    "Each claim is a seed's causal statement made testable: a paired comparison "
                    "of two policies. 'Holds in' is the share of worlds in which it holds, with "
                    "its 95 % interval.",
                    className="help",
                ),
                *_claims_section(view.claims),
            ],
            className="card",
        ),
        html.Div(
            [
                html.H3("Key indicators over time"),
                html.P(
                    (
                        f"Under the structure {results.primary_structure}. "
                        if results.several
                        else ""
                    )
                    + "Median world (line), middle half (dark band) and 90 % of worlds (light "
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
