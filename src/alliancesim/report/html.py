"""The HTML report of a run: one self-contained file a policy analyst can forward.

It embeds plotly.js once and every chart as inline JSON, uses only system fonts, and declares a
Content-Security-Policy that forbids any network request, so it opens offline and sends
nothing anywhere. Sections: the headline (P(decoupling) under baseline and the recommendation
that lowers it most; weighted over the structures when the run has several), P(decoupling) over
time, the policy ranking, the rival structures (each structure's ranking and where they
disagree, for a scenario with contested mechanisms), the claims with verdicts,
fan charts of the key indicators, the causal-loop diagram with its feedback loops, sensitivity
results when any are attached, the scenario with its sources quoted verbatim, and how the run
was made.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC
from importlib import resources
from string import Template
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from alliancesim.bands import Bands
from alliancesim.presentation import ClaimsView, PolicyRow, RunView
from alliancesim.presentation.formats import percent
from alliancesim.presentation.robust_view import RobustView
from alliancesim.report import figures
from alliancesim.report.graph import CausalGraph, causal_graph
from alliancesim.scenario.provenance import seed_quotes
from alliancesim.scenario.schema import Scenario, SeedQuote

__all__ = ["render_backtest_report", "render_report"]

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
BADGE_CLASS = {"lowers": "supported", "raises": "rejected", "unclear": "neutral"}
VERDICT_BADGE = {"structural": "construction", "prior-driven": "prior"}
"""Badges of non-contingent claims: their verdicts are not evidence, so never coloured as one."""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _chart(fig: go.Figure | dict[str, Any], div_id: str) -> str:
    """A chart's div and script (a figure dict as Plotly makes it is written as it is)."""
    figure = fig if isinstance(fig, dict) else fig.to_dict()
    height = figure.get("layout", {}).get("height") or 450
    body = pio.to_html(
        figure,
        validate=False,
        full_html=False,
        include_plotlyjs=False,
        config=PLOTLY_CONFIG,
        div_id=div_id,
        default_width="100%",
        default_height=f"{height}px",
    )
    return f'<div class="chart" data-chart="{_e(div_id)}">{body}</div>'


def _source(source: Any) -> str:
    if isinstance(source, SeedQuote):
        return f"<blockquote>“{_e(source.quote)}”<cite>{_e(source.seed)}</cite></blockquote>"
    if source:
        return f'<span class="small">{_e(source)}</span>'
    return ""


def _section(anchor: str, title: str, intro: str, body: str) -> str:
    intro_html = f'<p class="intro">{intro}</p>' if intro else ""
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{intro_html}{body}</section>'


# --------------------------------------------------------------------------------------------
# the headline


def _weights_named(source: str) -> str:
    """Which weights a run's structures were averaged with, in the caveat's words."""
    if source in ("", "priors"):
        return "their prior weights"
    return "the weights named under Rival structures"


def _headline(view: RunView) -> str:
    """The baseline risk and the recommendation that lowers it most."""
    headline = view.headline
    base = headline.baseline
    risk = (
        f'<div class="big">P(decoupling by {_e(headline.horizon)}) under baseline'
        f"{_e(headline.over_text)}: <strong>{_e(base.p_text)}</strong> "
        f'<span class="ci">{_e(base.p_interval_text)}</span></div>'
    )
    best_html = ""
    best = headline.best
    if best is not None and best.effect is not None:
        if best.effect.direction == "lowers":
            best_html = (
                f'<div class="best">The recommendation that lowers it most: '
                f"<strong>{_e(best.label)}</strong> <code>{_e(best.policy)}</code> "
                f"— {_e(best.effect.text)}, to {_e(best.p_text)}.</div>"
            )
        else:
            best_html = (
                '<div class="best">No recommendation lowers it by more than chance: the largest '
                f"estimate is <code>{_e(best.policy)}</code>, {_e(best.effect.text)}.</div>"
            )
    weighted = (
        f"Weighted over {len(view.structures)} rival structures of the model (see "
        "<a href='#structures'>Rival structures</a>): each member's outcome is averaged over the "
        f"structures with {_weights_named(view.weights_source)}, and intervals are t intervals "
        "over members. "
        if view.weighted
        else ""
    )
    caveat = (
        '<div class="caveat">Shares of ensemble members: each member is one plausible world '
        "in which the uncertain strengths of the model are drawn from their ranges. "
        f"{weighted}Brackets are "
        "95 % intervals (Wilson for probabilities, paired t for differences between policies); "
        "a policy's change is policy minus baseline, so a negative change lowers the risk. "
        "An exploratory model: read the numbers as comparisons between policies, not forecasts."
        "</div>"
    )
    return f'<div class="headline">{risk}{best_html}{caveat}</div>'


# --------------------------------------------------------------------------------------------
# sections


def _observable(view: RunView) -> str:
    """Decoupling as a historian could code it, first: each sign with its source and P(it has
    been seen by the horizon) per policy, their combination, then the cohesion index (not part
    of the definition) with its threshold's sensitivity."""
    observable = view.observable
    if observable is None:
        return ""
    policies = sorted((r.policy for r in view.ranking), key=lambda p: p != "baseline")
    labels = view.policy_labels
    head = "".join(
        f"<th class='num' title='{_e(labels.get(p, p))}'><code>{_e(p)}</code></th>"
        for p in policies
    )
    weighted = " (weighted over the structures)" if observable.weighted else ""

    def row(sign: Any, extra: str = "") -> str:
        steps = f" for {sign.for_steps} consecutive steps" if sign.for_steps > 1 else ""
        cells = "".join(
            f"<td class='num'>{_e(percent(sign.p_by_policy.get(p)))}</td>" for p in policies
        )
        return (
            f"<tr data-sign='{_e(sign.id)}'><td><b>{_e(sign.label)}</b>{extra}"
            f"<div class='small'><code>{_e(sign.condition)}</code>{_e(steps)}</div>"
            f"{_source(sign.source)}</td>{cells}</tr>"
        )

    signs = "".join(row(s) for s in observable.signs)
    combined = "".join(
        f"<td class='num'><b>{_e(percent(observable.combined.get(p)))}</b></td>" for p in policies
    )
    table = (
        "<table id='signs-table'><thead><tr><th>sign (a dated event a historian could code)"
        f"</th>{head}</tr></thead><tbody>{signs}"
        f"<tr class='combined'><td><b>Decoupled: {_e(observable.combination)}</b></td>"
        f"{combined}</tr></tbody></table>"
    )
    intro = (
        "Decoupling is defined by observable signs, each a dated event a historian could code "
        f"from the news, with its source. Each cell: the share of plausible worlds in which the "
        f"sign has been seen by {_e(view.horizon)}{weighted}; the alliance counts as decoupled "
        f"once {_e(observable.combination)} has been seen."
    )
    index = ""
    if observable.index is not None:
        index_table = (
            "<table id='index-table'><thead><tr><th>cohesion index</th>"
            f"{head}</tr></thead><tbody>{row(observable.index)}</tbody></table>"
        )
        sensitivity = observable.sensitivity
        grid = ""
        if sensitivity is not None and sensitivity.p:
            lines = "".join(
                f"<tr{' class=combined' if k == len(sensitivity.thresholds) // 2 else ''}>"
                f"<td class='num'><code>{_e(sensitivity.threshold)}</code> = {value:.4g}</td>"
                + "".join(
                    f"<td class='num'>{_e(percent(sensitivity.p[p][k]))}</td>"
                    for p in policies
                    if p in sensitivity.p
                )
                + "</tr>"
                for k, value in enumerate(sensitivity.thresholds)
            )
            drawn = (
                " The run draws the threshold from its range; the middle row holds it at its "
                "mean, the others move it by 5 and 10 %."
                if sensitivity.uncertain
                else " The middle row is the scenario's threshold; the others move it by 5 and "
                "10 %."
            )
            grid = (
                f"<p class='note'>How P(the index by {_e(view.horizon)}) depends on its threshold, "
                f"from the recorded trajectories.{drawn}</p>"
                "<table id='threshold-table'><thead><tr><th class='num'>threshold</th>"
                f"{head}</tr></thead><tbody>{lines}</tbody></table>"
            )
        elif sensitivity is not None:
            grid = (
                f"<p class='note'>Threshold sensitivity not available: {_e(sensitivity.note)}</p>"
            )
        index = (
            "<h3>The cohesion index (not part of the definition)</h3>"
            "<p class='note'>An equal-weight index of the model's perceptions below an assumed "
            "threshold: secondary, reported with its threshold's sensitivity.</p>"
            + index_table
            + grid
        )
    return _section(
        "observable", "What counts as decoupling, and how likely each sign is", intro, table + index
    )


def _outlook(view: RunView) -> str:
    fig = figures.decoupling_figure(view.decoupling_data(), labels=view.policy_labels)
    intro = (
        f"Share of members in which the alliance has decoupled by each quarter, per policy, with "
        f"95 % {'t bands over members, weighted over the structures' if view.weighted else 'Wilson bands'}. "
        f"Decoupling here means <code>{_e(view.decoupling)}</code>; once "
        "decoupled, an alliance stays so."
        + (
            f" <span id='history-note'><b>History and projection:</b> {_e(view.projection)}</span>"
            if view.projection
            else ""
        )
    )
    return _section("outlook", "How likely is decoupling?", intro, _chart(fig, "chart-decoupling"))


def _ranking(view: RunView) -> str:
    fig = figures.ranking_chart(
        view.ranking, horizon=view.horizon, counterfactuals=view.counterfactuals
    )
    colours = figures.policy_colours([r.policy for r in view.curves])
    rows = []
    for r in view.ranking:  # ranked recommendations and baseline, then unranked counterfactuals
        badge = ""
        if r.effect is not None:
            badge = (
                f'<span class="badge {BADGE_CLASS[r.effect.direction]}">{_e(r.effect.badge)}</span>'
            )
        rows.append(
            f"<tr data-policy='{_e(r.policy)}'>"
            f"<td class='num'>{r.rank if r.rank is not None else '—'}</td>"
            f"<td><span class='swatch' style='background:{colours.get(r.policy, '#999')}'></span>"
            f"<code>{_e(r.policy)}</code><div class='small'>{_e(r.label)}</div></td>"
            f"<td class='num p'>{_e(r.p_text)}<div class='small'>{_e(r.p_interval_text)}</div></td>"
            f"<td class='num change'>{_e(r.effect_text)}</td><td>{badge}</td>"
            f"<td class='num harm'>{_e(r.harm_text)}"
            + (f"<div class='small'>{_e(r.harm.interval_text)}</div>" if r.harm else "")
            + "</td></tr>"
        )
    table = (
        "<table id='ranking-table'><thead><tr><th class='num'>rank</th><th>policy</th>"
        f"<th class='num'>P(decoupling by {_e(view.horizon)})</th>"
        "<th class='num'>change vs baseline (paired)</th><th></th>"
        "<th class='num'>harms in (share of worlds)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    harms = [r for r in view.ranking if r.harm is not None]
    where = (
        "<h3>Where each policy can hurt</h3><p>A policy <i>harms</i> a world when, paired "
        "against baseline in that world, it decouples an alliance that baseline keeps or leaves "
        "cohesion lower at the horizon. A recommendation that harms no world is one the model "
        "cannot be wrong about; the share says how often the critics' failure modes win.</p>"
        "<ul id='harm-list'>"
        + "".join(
            f"<li data-policy='{_e(r.policy)}'><code>{_e(r.policy)}</code>: harms in "
            f"<b>{_e(r.harm.text)}</b> {_e(r.harm.interval_text)} of worlds"
            f"{' — ' + _e(r.harm.where_text) if r.harm.share > 0 else ''}.</li>"
            for r in harms
            if r.harm is not None
        )
        + "</ul>"
        if harms
        else ""
    )
    weighted = (
        f"Weighted over the run's {len(view.structures)} structures (each structure's own "
        "ranking is under <a href='#structures'>Rival structures</a>). "
        if view.weighted
        else ""
    )
    intro = (
        f"{weighted}"
        "Each policy is compared with baseline member by member: the same plausible worlds, the "
        "same random events (common random numbers), so the difference is the policy's effect, "
        "not noise between worlds. Bars: the change in P(decoupling) (policy minus baseline) in "
        "percentage points with its 95 % interval; green where the whole interval is a "
        "reduction, red where it is an increase, grey where the policy makes no clear "
        "difference. Hatched bars are counterfactuals (a driver removed to test a claim), not "
        "recommendations. <i>Harms in</i>: the share of worlds in which the policy decouples an "
        "alliance that baseline keeps or lowers cohesion (paired), with its 95 % interval."
    )
    return _section(
        "ranking",
        "Which recommendation buys the most?",
        intro,
        _chart(fig, "chart-ranking") + table + where,
    )


def _structures(view: RunView, scenario: Scenario) -> str:
    """The rival structures: the contested mechanisms and their accounts (priors, sources), the
    structures run with their weights, each structure's ranking side by side with the weighted
    one, and where the rankings disagree, in plain words."""
    if not view.structures:
        return ""
    mechanisms = []
    for m in scenario.mechanisms:
        accounts = "".join(
            f"<tr><td><code>{_e(a.id)}</code>{' <span class=small>(seed)</span>' if k == 0 else ''}"
            f"<div class='small'>{_e(a.label)}</div></td>"
            f"<td class='num'>{percent(prior, 0)}</td>"
            f"<td class='small'>{_e(', '.join(a.include) or '—')}</td>"
            f"<td>{_source(a.source_of('prior') if a.prior is not None else a.source)}</td></tr>"
            for k, (a, prior) in enumerate(zip(m.accounts, m.priors, strict=True))
        )
        mechanisms.append(
            f"<h3><code>{_e(m.id)}</code> — {_e(m.label)}</h3>"
            f"<p>{_e(m.question)} {_source(m.source)}</p>"
            "<table class='accounts'><thead><tr><th>account</th><th class='num'>prior</th>"
            f"<th>rule modules</th><th>source</th></tr></thead><tbody>{accounts}</tbody></table>"
        )
    names = [s.name for s in view.structures]
    head = "".join(
        f"<th class='num'><code>{_e(s.name)}</code><div class='small'>weight "
        f"{_e(s.weight_text)}</div></th>"
        for s in view.structures
    )
    if view.weighted:
        head += "<th class='num'>weighted</th>"
    rows = []
    for row in view.ranking:
        cells = []
        for structure in view.structures:
            mine = structure.row(row.policy)
            cells.append(_structure_cell(mine))
        if view.weighted:
            cells.append(_structure_cell(row))
        rows.append(
            f"<tr data-policy='{_e(row.policy)}'><td><code>{_e(row.policy)}</code>"
            f"<div class='small'>{_e(row.label)}</div></td>{''.join(cells)}</tr>"
        )
    table = (
        "<table id='structures-table'><thead><tr><th>policy</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    described = "".join(
        f"<li><code>{_e(s.name)}</code> (weight {_e(s.weight_text)}): {_e(s.label)}</li>"
        for s in view.structures
    )
    if view.disagreements:
        verdict = (
            "<div class='disagree'><b>The structures disagree.</b><ul>"
            + "".join(f"<li>{_e(line)}</li>" for line in view.disagreements)
            + "</ul>The weighted answer averages over accounts that do not agree: read it with "
            "each structure's.</div>"
        )
    elif view.weighted:
        verdict = (
            "<p class='note'>The structures agree: the same recommendation lowers the risk most "
            "under each, and every policy's effect goes the same way under each.</p>"
        )
    else:
        verdict = ""
    intro = (
        "Where the seeds or the literature explain a mechanism in rival ways, the scenario holds "
        "each account as a rule module and the run simulates the same plausible worlds under "
        "each structure (one account per mechanism). A structure's weight is the product of its "
        "accounts' weights — history's where the episodes weigh the mechanism, the priors "
        "elsewhere — normalised over the structures run"
        + (f" ({_e(', '.join(names))})." if names else ".")
        + " Each cell: P(decoupling by the horizon), the paired change vs baseline and the share "
        "of worlds in which the policy harms."
    )
    history = (
        f"<p id='structure-weights'>Structures weighed by {_e(view.weights_source)}.</p>"
        if view.weights_source
        else ""
    )
    if view.history:
        history += (
            "<ul id='history-favours'>"
            + "".join(f"<li>{_e(line)}</li>" for line in view.history)
            + "</ul>"
        )
    body = (
        "".join(mechanisms)
        + f"<h3>Structures run</h3><ul>{described}</ul>"
        + history
        + verdict
        + table
    )
    return _section(
        "structures", "Rival structures: does the answer depend on the account?", intro, body
    )


def _structure_cell(row: PolicyRow) -> str:
    badge = ""
    if row.effect is not None:
        badge = (
            f"<span class='badge {BADGE_CLASS[row.effect.direction]}'>{_e(row.effect.badge)}</span>"
        )
    harm = f"<div class='small harm'>harms in {_e(row.harm.text)}</div>" if row.harm else ""
    return (
        f"<td class='num'>{_e(row.p_text)}<div class='small change'>{_e(row.effect_text)}</div>"
        f"{badge}{harm}</td>"
    )


def _claims(claims: ClaimsView) -> str:
    title = "Do the seeds' claims hold?"
    if claims.rows is None:
        return _section(
            "claims",
            title,
            "",
            f'<p><span class="badge neutral">not evaluated</span> {_e(claims.note)}</p>',
        )
    if not claims.rows:
        return _section(
            "claims", title, "", f"<p class='note'>{_e(claims.note or 'No claims.')}</p>"
        )
    rows = []
    for v in claims.rows:
        quote = ""
        if v.quote:
            quote = _source(SeedQuote(seed=v.seed or "", quote=v.quote))
        elif v.source:
            quote = _source(v.source)
        extra = []
        if v.n is not None:
            extra.append(f"n = {int(v.n):,}")
        if v.tie_share is not None:
            extra.append(f"ties {percent(v.tie_share, 0)}")
        what = "mean difference" if v.statistic == "mean" else "where the policies differ"
        held = f"{_e(v.holds_text)}<div class='small'>{what}</div>"
        box = v.failure_box
        if box is not None and box.get("description"):
            fails = (
                f"{_e(v.failure)}<div class='small'>coverage "
                f"{percent(box.get('coverage'), 0)}, density {percent(box.get('density'), 0)}</div>"
            )
        elif v.failure:
            fails = f"<span class='small'>{_e(v.failure)}</span>"
        elif not claims.searched:
            fails = "<span class='small'>not searched</span>"
        else:
            fails = ""
        badge = VERDICT_BADGE.get(v.claim_class, _e(v.verdict))
        kind = (
            f"<div class='small'>{_e(v.claim_class)}: {_e(v.class_reason)}</div>"
            if v.claim_class
            else ""
        )
        structures = (
            f"<div class='small structures'>{_e(v.structures_text)}</div>" if v.by_structure else ""
        )
        rows.append(
            f"<tr data-claim='{_e(v.claim_id)}'><td>{_e(v.statement)}<div class='claim-id'>"
            f"{_e(v.claim_id)}</div>{quote}</td>"
            f"<td class='small'>{_e(v.comparison)}</td>"
            f"<td class='num'>{held}<div class='small'>{_e(', '.join(extra))}</div></td>"
            f"<td><span class='badge {badge}'>{_e(v.verdict)}</span>{kind}{structures}</td>"
            f"<td class='small'>{fails}</td></tr>"
        )
    rule = (
        "<p class='note'>How verdicts are read. " + _e(" ".join(claims.rules)) + "</p>"
        if claims.rules
        else ""
    )
    searched = (
        ""
        if claims.searched
        else "<p class='note'>Where the claims fail (the parameter region of the members in which "
        "each claim fails, found by PRIM) was not searched for this run: run <code>alliancesim "
        "report RUN_ID --failure-regions</code> to search it and keep it with the run.</p>"
    )
    table = (
        "<table class='claims'><colgroup><col style='width:34%'><col style='width:19%'>"
        "<col style='width:14%'><col style='width:9%'><col style='width:24%'></colgroup>"
        "<thead><tr><th>claim and its source</th><th>test</th>"
        "<th class='num'>holds</th><th>verdict</th><th>where it fails (PRIM box)</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    intro = (
        "Each claim is a seed's causal statement made testable: a paired comparison of two "
        "policies on one quantity. <i>Holds</i> is the share of members in which it holds among "
        "those where the policies differ (or the mean paired difference), with its 95 % interval. "
        "Only a <b>contingent</b> claim's verdict is evidence: one the model as built could have "
        "rejected. A <b>structural</b> claim holds (or fails) by construction — nothing in the "
        "model opposes it, or within the scenario's ranges nothing opposing ever wins — and a "
        "<b>prior-driven</b> claim merely restates the prior mass of one parameter's sign. "
        f"Here: {_e(claims.summary_text)}."
    )
    return _section("claims", title, intro, table + rule + searched)


def _indicators(view: RunView, bands: Bands) -> str:
    names = [n for n in view.key_indicators if n in bands.values]
    if not names:
        return ""
    charts = []
    for k, name in enumerate(names):
        label = view.quantity_labels.get(name)
        heading = f"<code>{_e(name)}</code>" + (f" — {_e(label)}" if label else "")
        fig = figures.fan_figure(bands, name, labels=view.policy_labels, title="")
        charts.append(f"<h3>{heading}</h3>" + _chart(fig, f"chart-fan-{k}"))
    under = ""
    if view.weighted:
        primary = (
            "seed" if any(s.name == "seed" for s in view.structures) else view.structures[0].name
        )
        under = f"Under the structure <code>{_e(primary)}</code>. "
    intro = (
        f"{under}How the key quantities move under each policy: the median member (line), the middle "
        "half of members (dark band) and 90 % of members (light band) at each quarter; the "
        "dashed line is the baseline median for comparison. Chosen: the quantities the "
        "decoupling condition reads and those the claims compare."
    )
    return _section("indicators", "Key indicators over time", intro, "".join(charts))


def _mechanisms(graph: CausalGraph) -> str:
    if not graph.nodes:
        return ""
    fig = figures.causal_loop_figure(graph)
    items = []
    for k, loop in enumerate(graph.loops):
        quotes = "".join(_source(q) for q in loop.quotes[:1])
        items.append(
            f"<li><span class='pol {loop.polarity}'>L{k + 1} {loop.polarity}</span>"
            f"<span class='chain'>{_e(loop.describe())}</span>{quotes}</li>"
        )
    shown = 5
    loops = (
        f"<h3>Feedback loops</h3><ol class='loops'>{''.join(items[:shown])}</ol>"
        + (
            f"<details><summary>{len(items) - shown} more loop(s)</summary>"
            f"<ol class='loops'>{''.join(items[shown:])}</ol></details>"
            if len(items) > shown
            else ""
        )
        if items
        else "<p class='note'>No feedback loop among these quantities.</p>"
    )
    note = f"<p class='note'>{_e(graph.note)}</p>" if graph.note else ""
    intro = (
        "The model's rules as a causal graph: perceptions (blue) on the circle, the events, "
        "actions (orange) and policy levers (green) that move them around it. A blue link means "
        "more of one brings more of the other, red means less; grey links go both ways depending "
        "on the state. Links through intermediate quantities (positions, signals) are drawn as "
        "one link. Use the menu above the diagram to highlight each feedback loop; a reinforcing "
        "loop amplifies a shock, a balancing one damps it."
    )
    return _section(
        "mechanisms",
        "How the alliance works in this model",
        intro,
        _chart(fig, "chart-loops") + loops + note,
    )


def _sensitivity(payloads: Sequence[Mapping[str, Any]], scenario_id: str) -> str:
    title = "What drives the outcome"
    if not payloads:
        return _section(
            "sensitivity",
            title,
            "",
            "<p class='note'>No sensitivity analysis is attached to this scenario yet. Run "
            f"<code>alliancesim sensitivity {_e(scenario_id)}</code> and attach its result to the "
            "store to see which uncertain parameters drive decoupling.</p>",
        )
    charts = []
    for k, payload in enumerate(payloads):
        fig = figures.sensitivity_chart(payload)
        details = (
            f"{_e(payload.get('method', ''))}, {int(payload.get('evaluations') or 0):,} model runs"
            f" × {int(payload.get('replicates') or 1)} replicate(s), seed {_e(payload.get('seed', ''))}"
        )
        charts.append(_chart(fig, f"chart-sensitivity-{k}") + f"<p class='note'>{details}</p>")
    intro = (
        "Global sensitivity of an outcome to the uncertain parameters (SALib): the share of the "
        "outcome's variance each factor explains alone (S1) and with its interactions (ST)."
    )
    return _section("sensitivity", title, intro, "".join(charts))


def _scenario(scenario: Scenario, policies: list[str]) -> str:
    meta = scenario.scenario
    actors = "".join(
        f"<tr><td><code>{_e(a.id)}</code></td><td>{_e(a.name)}</td><td>{_e(a.kind)}"
        f"{' of ' + _e(a.parent) if a.parent else ''}</td>"
        f"<td class='num'>{_e(a.capability.describe())}</td><td>{_source(a.source)}</td></tr>"
        for a in scenario.actors
    )
    issues = "".join(
        f"<tr><td>{_e(i.label)}<div class='claim-id'>{_e(i.id)}</div></td>"
        f"<td>0 = {_e(i.ends[0])}<br>100 = {_e(i.ends[1])}</td>"
        f"<td class='num'>{_e(i.status_quo.describe())}</td><td>{_e(i.model)}</td>"
        f"<td class='small'>{_e(', '.join(f'{a} {s.position.describe()}' for a, s in i.positions.items()))}"
        f"</td><td>{_source(i.source)}</td></tr>"
        for i in scenario.issues
    )
    run = set(policies)
    policy_rows = "".join(
        f"<tr><td><code>{_e(p.id)}</code>{'' if p.id in run else ' <span class=small>(not run)</span>'}"
        f"</td><td>{_e(p.label)}<div class='small'>{_e(p.kind)}</div></td>"
        f"<td class='small'>{_e(', '.join(f'{k} = {v.describe()}' for k, v in p.set.items()))}"
        f"{_e(', '.join(f'+ {o.event} at {o.at}' for o in p.schedule))}</td>"
        f"<td>{_source(p.source)}</td></tr>"
        for p in scenario.policies
    )
    quotes = seed_quotes(scenario)
    seeds = []
    for seed, cited in quotes.items():
        items = "".join(
            f"<li>{_source(q).replace('<cite>' + _e(seed) + '</cite>', '')}"
            f"<div class='small'>cited by {_e(who)}</div></li>"
            for who, q in cited
        )
        seeds.append(
            f"<div class='seedfile'><b class='mono'>{_e(seed)}</b> — {len(cited)} quote(s)"
            f"<ul>{items}</ul></div>"
        )
    n_quotes = sum(len(v) for v in quotes.values())
    sources = (
        f"<details open><summary>{n_quotes} verbatim quote(s) from {len(quotes)} seed "
        f"document(s)</summary>{''.join(seeds)}</details>"
        if quotes
        else "<p class='note'>The scenario quotes no seed document.</p>"
    )
    decoupling = scenario.decoupling
    body = (
        (f"<p>{_e(meta.description)}</p>" if meta.description else "")
        + f"<p class='small'>Scenario <code>{_e(meta.id)}</code> · seed document "
        f"<span class='mono'>{_e(meta.seed or '—')}</span> · from {_e(meta.start)}, "
        f"{meta.horizon} {_e(meta.step)}s · rule modules: {_e(', '.join(meta.include) or 'none')}"
        f" · {len(scenario.rules)} rules, {len(scenario.state)} perceptions, "
        f"{len(scenario.events)} stochastic events, {len(scenario.actions)} actions</p>"
        + "<h3>Actors</h3><table><thead><tr><th>id</th><th>name</th><th>kind</th>"
        "<th class='num'>capability</th><th>source</th></tr></thead>"
        f"<tbody>{actors}</tbody></table>"
        + (
            "<h3>Issues bargained over</h3><table><thead><tr><th>issue</th><th>scale</th>"
            "<th class='num'>status quo</th><th>model</th><th>positions</th><th>source</th>"
            f"</tr></thead><tbody>{issues}</tbody></table>"
            if scenario.issues
            else ""
        )
        + (
            "<h3>Policies compared</h3><table><thead><tr><th>id</th><th>what</th><th>changes</th>"
            f"<th>source</th></tr></thead><tbody>{policy_rows}</tbody></table>"
            if scenario.policies
            else ""
        )
        + (
            "<h3>What counts as decoupling</h3><p>The observable signs of "
            "<a href='#observable'>the first section</a>. "
            f"{_source(decoupling.source)}</p>"
            if decoupling.when is None
            else f"<h3>What counts as decoupling</h3><p><code>{_e(decoupling.when.text)}</code> "
            f"for {decoupling.for_steps} consecutive step(s). {_source(decoupling.source)}</p>"
        )
        + "<h3>Sources</h3>"
        + sources
    )
    return _section("scenario", f"The scenario: {meta.title}", "", body)


def _provenance(view: RunView) -> str:
    facts = view.facts
    rows = [
        ("run id", f"<span class='mono'>{_e(facts.run_id)}</span>"),
        ("date", _e(facts.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))),
        ("scenario", f"<code>{_e(view.scenario_id)}</code> — {_e(view.title)}"),
        ("scenario hash", f"<span class='mono'>{_e(facts.scenario_hash)}</span>"),
        ("seed", _e(view.seed)),
        ("members", f"{view.members:,} plausible worlds per policy"),
        ("policies", _e(", ".join(facts.policies))),
        *(
            [("structures", _e(", ".join(f"{s.name} ({s.weight_text})" for s in view.structures)))]
            if view.structures
            else []
        ),
        ("recorded", _e(facts.record)),
        ("alliancesim version", _e(facts.version)),
        ("elapsed", f"{facts.elapsed:.1f} s of simulation"),
        ("stored", _e(facts.stored_at) if facts.stored_at else "not stored"),
        ("to reproduce", f"<code>{_e(facts.command)}</code>"),
    ]
    body = "<dl class='prov'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"
    intro = (
        "Same scenario, seed and number of members give bit-identical results on any number "
        "of workers."
    )
    return _section("provenance", "How this run was made", intro, body)


# --------------------------------------------------------------------------------------------
# the page


def render_report(
    view: RunView,
    scenario: Scenario,
    bands: Bands,
    *,
    sensitivity: Sequence[Mapping[str, Any]] = (),
    robust: RobustView | None = None,
) -> str:
    """The report of a run as one self-contained HTML document (a string), laid out from the
    run's presentation model ``view``, the scenario it ran (its mechanisms and sources), the
    quantile ``bands`` of its key indicators, any ``sensitivity`` results (``to_dict()``) and
    its ``robust`` view (robustness, pathways, signposts)."""
    from alliancesim import __version__
    from alliancesim.report.robust import robust_sections

    facts = view.facts
    graph = causal_graph(scenario)
    facts_items = [
        ("members", f"{view.members:,}"),
        ("policies", str(len(view.ranking))),
        *([("structures", str(len(view.structures)))] if view.weighted else []),
        ("horizon", view.horizon),
        ("claims", view.claims.summary_text),
        ("seed", str(view.seed)),
        ("run", facts.run_id),
    ]
    masthead = (
        f'<div class="kicker">alliancesim · exploratory ensemble report · '
        f"{_e(facts.started.astimezone(UTC).strftime('%d %B %Y'))}</div>"
        f"<h1>{_e(view.title)}</h1>"
        + (
            f'<p class="lede">{_e(scenario.scenario.description)}</p>'
            if scenario.scenario.description
            else ""
        )
        + _headline(view)
        + '<ul class="facts">'
        + "".join(f"<li>{_e(k)} <b>{_e(v)}</b></li>" for k, v in facts_items)
        + "</ul>"
    )
    sections = [
        ("observable", "What counts as decoupling", _observable(view)),
        ("outlook", "Decoupling", _outlook(view)),
        ("ranking", "Policy ranking", _ranking(view)),
        ("structures", "Rival structures", _structures(view, scenario)),
        *robust_sections(robust, _chart),
        ("claims", "Claims", _claims(view.claims)),
        ("indicators", "Indicators", _indicators(view, bands)),
        ("mechanisms", "Causal loops", _mechanisms(graph)),
        ("sensitivity", "Sensitivity", _sensitivity(sensitivity, view.scenario_id)),
        ("scenario", "Scenario and sources", _scenario(scenario, list(facts.policies))),
        ("provenance", "How this run was made", _provenance(view)),
    ]
    sections = [s for s in sections if s[2]]
    toc = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in sections)
    template = Template(
        resources.files("alliancesim.report").joinpath("template.html").read_text("utf-8")
    )
    return template.substitute(
        title=_e(f"{view.title} — {view.headline.text}"),
        version=_e(__version__),
        plotlyjs=get_plotlyjs(),
        masthead=masthead,
        toc=toc,
        sections="\n".join(body for _, _, body in sections),
        footer=(
            f"Made with alliancesim {_e(facts.version)} from scenario <code>{_e(view.scenario_id)}"
            f"</code> (hash {_e(facts.scenario_hash[:12])}…). An exploratory model: its causal "
            "strengths are ranges, not estimates; every number is a distribution over "
            "plausible worlds."
        ),
    )


# --------------------------------------------------------------------------------------------
# the report of a back-test


def _fmt(value: Any, spec: str = ".3g") -> str:
    if value is None:
        return "—"
    return format(value, spec)


def _skill_cell(value: Any) -> str:
    if value is None:
        return '<td class="num">—</td>'
    badge = "supported" if value > 0 else "rejected" if value < 0 else "neutral"
    return f'<td class="num"><span class="badge {badge}">{value:+.2f}</span></td>'


def _overall_table(results: Sequence[Any], overall: Mapping[str, Any]) -> str:
    head = (
        "<tr><th>episode</th><th class='num'>targets</th><th class='num'>CRPS model / "
        "pers. / trend</th><th class='num'>skill (CRPS) vs pers.</th>"
        "<th class='num'>vs trend</th><th class='num'>skill (interval) vs pers.</th>"
        "<th class='num'>direction ✓ / ✗ / –</th></tr>"
    )
    rows = []
    for result in results:
        summary = result.summary()
        means = summary["mean_scaled_crps"]
        skill = summary["skill"]
        rows.append(
            f"<tr><td><a href='#ep-{_e(result.episode)}'><code>{_e(result.episode)}</code></a>"
            f"</td><td class='num'>{summary['targets']}</td><td class='num'>"
            + " / ".join(_fmt(means[f], ".2f") for f in ("model", "persistence", "trend"))
            + "</td>"
            + _skill_cell(skill.get("crps/persistence", {}).get("skill"))
            + _skill_cell(skill.get("crps/trend", {}).get("skill"))
            + _skill_cell(skill.get("interval_score/persistence", {}).get("skill"))
            + f"<td class='num'>{summary['direction_agrees']} / {summary['direction_disagrees']}"
            f" / {summary['direction_not_scored']}</td></tr>"
        )
    means = overall["mean_scaled"]["crps"]
    skill = overall["skill"]
    d = overall["direction"]
    rows.append(
        f"<tr><td><b>overall</b></td><td class='num'>{overall['targets']}</td><td class='num'>"
        + " / ".join(_fmt(means[f], ".2f") for f in ("model", "persistence", "trend"))
        + "</td>"
        + _skill_cell(skill.get("crps/persistence", {}).get("skill"))
        + _skill_cell(skill.get("crps/trend", {}).get("skill"))
        + _skill_cell(skill.get("interval_score/persistence", {}).get("skill"))
        + f"<td class='num'>{d['agrees']} / {d['disagrees']} / {d['not_scored']}</td></tr>"
    )
    kinds = ", ".join(
        f"{kind}s {_fmt(v['skill'], '+.2f')} ({v['n']} targets)"
        for kind, v in overall.get("skill_by_kind", {}).items()
    )
    note = (
        f'<p class="note">Skill (CRPS) against persistence by kind of observation: {_e(kinds)}.'
        " Scores are divided by each target's footing (the sd of its persistence forecast);"
        " skill = 1 − model / reference, averages first.</p>"
    )
    table = f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div style="overflow-x:auto">{table}</div>{note}'


def _targets_table(result: Any) -> str:
    head = (
        "<tr><th>observed</th><th>when</th><th class='num'>value</th><th class='num'>scored ± "
        "error</th><th class='num'>model median [5–95 %]</th><th class='num'>CRPS model / "
        "pers. / trend</th><th class='num'>interval score model / pers. / trend</th>"
        "<th>direction</th></tr>"
    )
    rows = []
    sources: list[str] = []
    for row in result.scored:
        t = row.target
        o = t.observation
        if t.kind == "event":
            value = "happened" if o.value == 1 else "did not happen"
            when = f"by {o.at}"
            forecast = f"P = {row.forecast['probability']:.2f}"
            scored = f"{o.value:g}"
        else:
            base = t.base
            value = f"{_fmt(base.value, 'g')} → {o.value:g}" if base is not None else f"{o.value:g}"
            when = f"{o.total_from}–{o.at}" if t.kind == "count" else f"{base.at} → {o.at}"
            f = row.forecast
            forecast = f"{f['q50']:.3g} [{f['q05']:.3g}, {f['q95']:.3g}]"
            scored = f"{t.observed:+.3g}" if t.kind == "level" else f"{t.observed:g}"
            if t.sd:
                scored += f" ± {t.sd:.2g}"
        s = row.scores
        crps = " / ".join(_fmt(s[k].crps) for k in ("model", "persistence", "trend"))
        interval = " / ".join(_fmt(s[k].interval_score) for k in ("model", "persistence", "trend"))
        direction = row.direction
        badge = {"agrees": "supported", "disagrees": "rejected"}.get(direction, "neutral")
        sources.append(f"<li><code>{_e(t.indicator)}</code> {_e(o.at)}: {_source(o.source)}</li>")
        rows.append(
            f"<tr><td><code>{_e(t.indicator)}</code><div class='small'>{_e(o.scale)}</div></td>"
            f"<td>{_e(when)}</td><td class='num'>{_e(value)}</td><td class='num'>{_e(scored)}</td>"
            f"<td class='num'>{_e(forecast)}</td><td class='num'>{_e(crps)}</td>"
            f"<td class='num'>{_e(interval)}</td>"
            f"<td><span class='badge {badge}'>{_e(direction)}</span></td></tr>"
        )
    table = f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    return (
        f'<div style="overflow-x:auto">{table}</div>'
        f"<details><summary>Sources of the observed values</summary><ul class='small'>"
        f"{''.join(sources)}</ul></details>"
    )


def render_backtest_report(
    results: Sequence[Any], overall: Mapping[str, Any], *, members: int, seed: int
) -> str:
    """The report of a back-test as one self-contained HTML document (a string).

    ``results`` are :class:`~alliancesim.analysis.backtest.Backtest` objects (with their
    series charts) and ``overall`` their :func:`~alliancesim.analysis.backtest.overall_skill`.
    For each episode: its targets scored against persistence and trend, and every level and
    count series drawn in its own units — the model's forecast fan or intervals with the
    observed points and their error bars.
    """
    from datetime import datetime

    from alliancesim import __version__

    skill = overall["skill"].get("crps/persistence", {}).get("skill")
    headline = (
        f'<div class="headline"><div class="big">Against persistence the model\'s skill is '
        f"<strong>{_fmt(skill, '+.2f')}</strong> (CRPS, {overall['targets']} targets in "
        f'{overall["episodes"]} episodes)</div><div class="caveat">Skill = 1 − model / '
        "reference on scores divided by each target's observation noise; positive is better "
        'than "nothing changes". Every forecast runs free from the episode\'s start.</div></div>'
    )
    masthead = (
        '<div class="kicker">alliancesim · back-test report · '
        f"{_e(datetime.now(UTC).strftime('%d %B %Y'))}</div>"
        "<h1>The model against history</h1>"
        '<p class="lede">Each episode starts from the state before a past episode of the '
        "alliance, replays what happened, and forecasts what was later observed; persistence "
        "(nothing changes) and the episode-free trend forecast the same observations from the "
        "same information.</p>"
        + headline
        + '<ul class="facts">'
        + f"<li>episodes <b>{len(results)}</b></li><li>targets <b>{overall['targets']}</b></li>"
        + f"<li>members <b>{members:,}</b></li><li>seed <b>{seed}</b></li></ul>"
    )
    sections = [
        (
            "overall",
            "Scores per episode",
            _section(
                "overall",
                "Scores per episode",
                "Mean CRPS on one footing and skill against the two naive forecasters.",
                _overall_table(results, overall),
            ),
        )
    ]
    for k, result in enumerate(results):
        charts = []
        for j, chart in enumerate(result.charts):
            data = chart.to_dict()
            heading = f"<code>{_e(chart.indicator)}</code>" + (
                f" — {_e(chart.scale)}" if chart.scale else ""
            )
            charts.append(
                f"<h3>{heading}</h3>"
                + _chart(figures.history_chart(data, title=""), f"chart-history-{k}-{j}")
            )
        summary = result.summary()
        skill_text = summary["skill"].get("crps/persistence", {}).get("skill")
        intro = (
            f"{_e(result.title)}. Skill (CRPS) against persistence "
            f"{_e(_fmt(skill_text, '+.2f'))}; against trend "
            f"{_e(_fmt(summary['skill'].get('crps/trend', {}).get('skill'), '+.2f'))}. Charts: "
            "the model's forecast anchored on the last value observed at or before the start "
            "(line: median; bands: 25–75 % and 5–95 % of members), persistence (dashed) and "
            "trend (dotted), and the observations with their 90 % error bars (grey: history "
            "before the base; black: the base; open: the targets)."
        )
        body = _targets_table(result) + "".join(charts)
        sections.append(
            (
                f"ep-{result.episode}",
                result.episode,
                _section(f"ep-{result.episode}", result.episode, intro, body),
            )
        )
    toc = "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t, _ in sections)
    template = Template(
        resources.files("alliancesim.report").joinpath("template.html").read_text("utf-8")
    )
    return template.substitute(
        title=_e("The model against history — alliancesim back-test"),
        version=_e(__version__),
        plotlyjs=get_plotlyjs(),
        masthead=masthead,
        toc=toc,
        sections="\n".join(body for _, _, body in sections),
        footer=(
            f"Made with alliancesim {_e(__version__)} by <code>alliancesim backtest --report</code>"
            f" ({members:,} members, seed {seed}). Protocol and sources: docs/backtests.md."
        ),
    )
