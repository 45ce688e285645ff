"""The dashboard's cards on robust recommendations: the regret table with each structure's and
weighting's rank, the pathway waterfall of each recommendation and the signposts, laid out from
the same :class:`~alliancesim.presentation.robust_view.RobustView` rows and figures as the
report (:mod:`alliancesim.report.robust`), so the two show the same numbers."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from alliancesim.presentation.formats import percent
from alliancesim.presentation.robust_view import RobustView, amount
from alliancesim.report.robust_figures import pathway_waterfall

__all__ = ["robust_cards"]

GRAPH_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
}


def _robustness_card(view: RobustView) -> html.Div | None:
    robustness = view.robustness
    if robustness is None:
        if not view.note:
            return None
        return html.Div(
            [html.H3("Robust recommendations"), html.P(view.note, className="note")],
            className="card",
            id="robustness-card",
        )
    several = len(robustness.structures) > 1
    weightings = len(robustness.weightings) > 1
    head = html.Tr(
        [
            html.Th("rank", className="num"),
            html.Th("policy"),
            html.Th("P(decoupling)", className="num"),
            html.Th(f"regret in {robustness.measure}: mean · p90 · max", className="num"),
            html.Th("satisficing share", className="num"),
            *([html.Th("rank under each structure")] if several else []),
            *([html.Th("rank under each weighting")] if weightings else []),
        ]
    )
    body = []
    for r in robustness.rows:
        cells: list[Any] = [
            html.Td(str(r.rank), className="num"),
            html.Td([html.Code(r.policy), html.Div(r.label, className="small")]),
            html.Td(percent(r.p_decoupling), className="num"),
            html.Td(
                " · ".join(
                    amount(x, robustness.measure)
                    for x in (r.regret_mean, r.regret_p90, r.regret_max)
                ),
                className="num regret",
            ),
            html.Td(
                percent(r.satisficing) if r.satisficing is not None else "—",
                className="num satisficing",
            ),
        ]
        if several:
            cells.append(
                html.Td(
                    html.Ul([html.Li(f"{s}: {k}") for s, k in r.ranks_by_structure]),
                    className="small",
                )
            )
        if weightings:
            cells.append(
                html.Td(
                    html.Ul([html.Li(f"{w}: {k}") for w, k in r.ranks_by_weighting]),
                    className="small",
                )
            )
        body.append(html.Tr(cells, **{"data-policy": r.policy}))
    parts: list[Any] = [
        html.H3("Robust recommendations: which holds up across worlds and accounts?"),
        html.P(
            f"Each option in {robustness.worlds:,} worlds ({len(robustness.structures)} "
            f"structure(s) × {robustness.members:,} members). Regret: how far its "
            f"{robustness.measure_text} falls short of the best option's in the same world; "
            f"p90 over the worlds weighted by the {robustness.headline} weights. Ranks by "
            "P(decoupling).",
            className="help",
        ),
        html.Div(
            html.Ul([html.Li(line) for line in robustness.disagreements]),
            className="problems",
            id="robustness-disagreements",
        ),
        html.Table([html.Thead(head), html.Tbody(body)], className="table", id="robustness-table"),
    ]
    if robustness.thresholds:
        parts.append(
            html.P(
                "Satisficing: the share of worlds where every threshold holds: "
                + "; ".join(robustness.thresholds)
                + ".",
                className="small",
            )
        )
    if view.note:
        parts.append(html.P(view.note, className="note"))
    return html.Div(parts, className="card", id="robustness-card")


def _pathways_card(view: RobustView) -> html.Div | None:
    shown = list(view.shown_pathways())
    if not shown:
        return None
    graphs: list[Any] = []
    for k, pathway in enumerate(shown):
        graphs.append(
            html.H4(
                [html.Code(pathway.policy), f" — {pathway.label}: {pathway.total_text()}"],
                className="small",
            )
        )
        graphs.append(
            html.Div(
                dcc.Graph(
                    id=f"pathways-chart-{k}", figure=pathway_waterfall(pathway), config=GRAPH_CONFIG
                ),
                **{"data-policy": pathway.policy},
            )
        )
    return html.Div(
        [
            html.H3("What carries each effect"),
            html.P(
                "Each recommendation run again with one pathway switched off (a setting as one "
                "entry reads it, or an event it adds), on the same worlds: what each pathway "
                "carries of the change in P(decoupling) (in the regret measure where a "
                "recommendation changes no world's decoupling); the interaction is what their sum "
                "leaves out.",
                className="help",
            ),
            *graphs,
        ],
        className="card",
        id="pathways-card",
    )


def _signposts_card(view: RobustView) -> html.Div | None:
    if not view.signposts:
        return None
    return html.Div(
        [
            html.H3("Signposts"),
            html.P(
                "Early values that tell the worlds where a leading recommendation fails "
                f"({view.signposts[0].failure}) from those where it works.",
                className="help",
            ),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Code(s.policy),
                            f": {s.text}",
                            html.Span(
                                f" (coverage {s.coverage_text}, density {s.density_text})"
                                if s.coverage is not None
                                else "",
                                className="small",
                            ),
                        ],
                        **{"data-policy": s.policy},
                    )
                    for s in view.signposts
                ],
                id="signposts-list",
            ),
        ],
        className="card",
        id="signposts-card",
    )


def robust_cards(view: RobustView) -> list[Any]:
    """The cards on robustness, pathways and signposts (those with something to show)."""
    cards = (_robustness_card(view), _pathways_card(view), _signposts_card(view))
    return [card for card in cards if card is not None]
