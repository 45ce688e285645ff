"""The report's sections on robust recommendations, laid out from :class:`RobustView` rows:
robustness across structures and worlds (regret, satisficing, ranks, disagreements), what
carries each recommendation's effect (a waterfall per recommendation) and the signposts of the
leading ones. The dashboard lays out the same rows (:mod:`alliancesim.web.robust_cards`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from alliancesim.presentation.formats import percent
from alliancesim.presentation.robust_view import RobustView, amount
from alliancesim.report.robust_figures import pathway_waterfall, regret_chart

__all__ = ["robust_sections"]


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _robustness(view: RobustView, chart: Callable[[Any, str], str]) -> str:
    robustness = view.robustness
    if robustness is None:
        return (
            "<section id='robustness'><h2>Robust recommendations</h2>"
            f"<p class='note'>{_e(view.note)}</p></section>"
            if view.note
            else ""
        )
    several = len(robustness.structures) > 1
    weightings = list(robustness.weightings)
    head = (
        "<tr><th class='num'>rank</th><th>policy</th><th class='num'>P(decoupling)</th>"
        "<th class='num'>regret: mean</th><th class='num'>p90</th><th class='num'>max</th>"
        "<th class='num'>satisficing share</th>"
        + ("<th>rank under each structure</th>" if several else "")
        + ("<th>rank under each weighting</th>" if len(weightings) > 1 else "")
        + "</tr>"
    )
    rows = []
    for r in robustness.rows:
        cells = [
            f"<td class='num'>{r.rank}</td>",
            f"<td><code>{_e(r.policy)}</code><div class='small'>{_e(r.label)}</div></td>",
            f"<td class='num'>{_e(percent(r.p_decoupling))}</td>",
            *(
                f"<td class='num'>{_e(amount(x, robustness.measure))}</td>"
                for x in (r.regret_mean, r.regret_p90, r.regret_max)
            ),
            f"<td class='num satisficing'>"
            f"{_e(percent(r.satisficing) if r.satisficing is not None else '—')}</td>",
        ]
        if several:
            cells.append(
                "<td class='small'>"
                + "<br>".join(f"{_e(s)}: {k}" for s, k in r.ranks_by_structure)
                + "</td>"
            )
        if len(weightings) > 1:
            cells.append(
                "<td class='small'>"
                + "<br>".join(f"{_e(w)}: {k}" for w, k in r.ranks_by_weighting)
                + "</td>"
            )
        rows.append(f"<tr data-policy='{_e(r.policy)}'>{''.join(cells)}</tr>")
    table = (
        f"<table id='robustness-table'><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    )
    thresholds = (
        "<p><b>Satisficing</b>: the share of worlds (by weight) in which every threshold holds: "
        + "; ".join(f"<code>{_e(t)}</code>" for t in robustness.thresholds)
        + ".</p>"
        if robustness.thresholds
        else "<p class='note'>No thresholds stated: no satisficing share.</p>"
    )
    disagreements = (
        "<div class='problems' id='robustness-disagreements'><ul>"
        + "".join(f"<li>{_e(line)}</li>" for line in robustness.disagreements)
        + "</ul></div>"
    )
    note = f"<p class='note'>{_e(view.note)}</p>" if view.note else ""
    intro = (
        f"Each option in each of {robustness.worlds:,} worlds ({len(robustness.structures)} "
        f"structure{'s' if several else ''} × {robustness.members:,} members, the same draws "
        f"under every policy). <b>Regret</b>: how far an option's "
        f"{_e(robustness.measure_text)} falls short of the best option's in the same world "
        f"({_e(robustness.reason)}); the 90th percentile (p90) is read over the worlds weighted "
        f"by the {_e(robustness.headline)} weights of the structures. Ranks are by "
        "P(decoupling)."
    )
    chart_html = chart(regret_chart(robustness.rows, robustness.measure), "chart-regret")
    return (
        "<section id='robustness'><h2>Robust recommendations</h2>"
        f"<p class='intro'>{intro}</p>{disagreements}{table}{thresholds}{chart_html}{note}"
        "</section>"
    )


def _pathways(view: RobustView, chart: Callable[[Any, str], str]) -> str:
    shown = list(view.shown_pathways())
    if not shown:
        return ""
    parts = []
    for k, pathway in enumerate(shown):
        rows = "".join(
            f"<tr><td>{_e(b.label)}</td><td class='num'>{_e(b.text(pathway.outcome))}</td>"
            f"<td class='num'>{_e(b.share_text)}</td></tr>"
            for b in pathway.bars
        )
        rows += (
            f"<tr class='small'><td>interaction (what the pathways' sum leaves out)</td>"
            f"<td class='num'>{_e(pathway.interaction_text())}</td>"
            f"<td class='num'>{_e(pathway.interaction_share_text)}</td></tr>"
        )
        outcome = "P(decoupling)" if pathway.outcome == "decoupled" else pathway.outcome
        parts.append(
            f"<h3><code>{_e(pathway.policy)}</code> — {_e(pathway.label)}: "
            f"{_e(outcome)} {_e(pathway.total_text())}</h3>"
            + chart(pathway_waterfall(pathway), f"chart-pathways-{k}")
            + f"<table class='pathways' data-policy='{_e(pathway.policy)}'><thead><tr>"
            "<th>pathway</th><th class='num'>carries [95 %]</th><th class='num'>share</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    intro = (
        "Each recommendation is run again with one of its pathways switched off — a setting as "
        "one entry of the model reads it (read at its baseline value there), or an event it "
        "adds — on the same worlds. What a pathway carries: the paired change in P(decoupling) "
        "that switching it off takes away (in the regret measure, for a recommendation that "
        "changes no world's decoupling). Pathways can overlap (each would do part of the job "
        "alone) or need each other: what their sum leaves out is the interaction."
    )
    return (
        "<section id='pathways'><h2>What carries each effect</h2>"
        f"<p class='intro'>{intro}</p>{''.join(parts)}</section>"
    )


def _signposts(view: RobustView) -> str:
    if not view.signposts:
        return ""
    items = "".join(
        f"<li data-policy='{_e(s.policy)}'><code>{_e(s.policy)}</code>: {_e(s.text)}"
        + (
            f" <span class='small'>(coverage {_e(s.coverage_text)}, density "
            f"{_e(s.density_text)})</span>"
            if s.coverage is not None
            else ""
        )
        + (f"<div class='small'>{_e(s.note)}</div>" if s.note else "")
        + "</li>"
        for s in view.signposts
    )
    failure = view.signposts[0].failure
    intro = (
        f"For the leading recommendations: early values worth watching because the worlds where "
        f"they are seen are those where the recommendation fails ({_e(failure)}). PRIM boxes over "
        "the early values of the indicators and perceptions; coverage: the share of failures "
        "the signpost flags; density: how often the recommendation fails when it flags."
    )
    return (
        "<section id='signposts'><h2>Signposts</h2>"
        f"<p class='intro'>{intro}</p><ul id='signposts-list'>{items}</ul></section>"
    )


def robust_sections(
    view: RobustView | None, chart: Callable[[Any, str], str]
) -> list[tuple[str, str, str]]:
    """The report's sections on robustness, pathways and signposts: (anchor, title, HTML), each
    empty when there is nothing to show; ``chart(figure, div_id)`` embeds a figure."""
    if view is None:
        return []
    return [
        ("robustness", "Robust recommendations", _robustness(view, chart)),
        ("pathways", "What carries each effect", _pathways(view, chart)),
        ("signposts", "Signposts", _signposts(view)),
    ]
