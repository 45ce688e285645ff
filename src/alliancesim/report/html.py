"""The HTML report of a run: one self-contained file a policy analyst can forward.

It embeds plotly.js once and every chart as inline JSON, uses only system fonts, and declares a
Content-Security-Policy that forbids any network request, so it opens offline and sends
nothing anywhere. Sections: the headline (P(decoupling) under baseline and the recommendation
that lowers it most), P(decoupling) over time, the policy ranking, the claims with verdicts,
fan charts of the key indicators, the causal-loop diagram with its feedback loops, sensitivity
results when any are attached, the scenario with its sources quoted verbatim, and how the run
was made.
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from alliancesim.report import figures
from alliancesim.report.data import (
    best_recommendation,
    indicator_bands,
    key_indicators,
    policy_label,
    policy_ranking,
    recommendation_policies,
    seed_quotes,
)
from alliancesim.report.graph import CausalGraph, causal_graph
from alliancesim.results import Results
from alliancesim.scenario.schema import Scenario, SeedQuote

__all__ = ["RunFacts", "render_report", "write_report"]

PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


@dataclass(frozen=True)
class RunFacts:
    """How a run was made, as the report states it."""

    run_id: str
    started: datetime
    version: str
    stored_at: str | None = None  # the run's directory in the store, if stored

    @classmethod
    def of(cls, results: Results, record: Any = None) -> RunFacts:
        """From a stored run's record (alliancesim.store.RunRecord) or for a fresh run."""
        from alliancesim import __version__

        if record is not None:
            return cls(record.run_id, record.started, record.version, str(record.directory))
        return cls(results.run_id, datetime.now(UTC), __version__, None)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.{digits}f} %"


def _interval(ci: Sequence[float] | None, digits: int = 1) -> str:
    if not ci or ci[0] is None or ci[1] is None:
        return ""
    return f"[{100 * ci[0]:.{digits}f}–{100 * ci[1]:.{digits}f}]"


def _chart(fig: go.Figure, div_id: str) -> str:
    height = fig.layout.height or 450
    body = fig.to_html(
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


def _headline(results: Results, ranking: list[dict[str, Any]]) -> tuple[str, str]:
    """(HTML, plain-text) headline: baseline risk and the recommendation that lowers it most."""
    summary = results.summary()
    base = summary.policies["baseline"]
    risk = (
        f'<div class="big">P(decoupling by {_e(summary.horizon)}) under baseline: '
        f"<strong>{_pct(base.p_decoupling)}</strong> "
        f'<span class="ci">{_interval(base.p_decoupling_ci)}</span></div>'
    )
    text = (
        f"P(decoupling by {summary.horizon}) under baseline: {_pct(base.p_decoupling)} "
        f"{_interval(base.p_decoupling_ci)}"
    )
    best = best_recommendation(results, ranking)
    best_html = ""
    if best is not None:
        change = best.change()
        if best.significant:
            best_html = (
                f'<div class="best">The recommendation that lowers it most: '
                f"<strong>{_e(best.label)}</strong> <code>{_e(best.policy)}</code> "
                f"— by {_e(change)}.</div>"
            )
            text += f"; the recommendation that lowers it most: {best.label} (by {change})"
        else:
            best_html = (
                '<div class="best">No recommendation lowers it by more than chance: the largest '
                f"estimate is <code>{_e(best.policy)}</code>, {_e(change)}.</div>"
            )
            text += "; no recommendation lowers it significantly"
    caveat = (
        '<div class="caveat">Shares of ensemble members: each member is one plausible world '
        "in which the uncertain strengths of the model are drawn from their ranges. Brackets are "
        "95 % intervals (Wilson for probabilities, paired t for differences between policies). "
        "An exploratory model: read the numbers as comparisons between policies, not forecasts."
        "</div>"
    )
    return f'<div class="headline">{risk}{best_html}{caveat}</div>', text


# --------------------------------------------------------------------------------------------
# sections


def _outlook(results: Results, labels: dict[str, str]) -> str:
    summary = results.summary()
    decoupling = results.model.scenario.decoupling
    fig = figures.decoupling_chart(summary.to_dict(), labels=labels)
    intro = (
        f"Share of members in which the alliance has decoupled by each quarter, per policy, with "
        f"95 % Wilson bands. Decoupling here means <code>{_e(decoupling.when.text)}</code> for "
        f"{decoupling.for_steps} consecutive step(s); once decoupled, an alliance stays so."
    )
    return _section("outlook", "How likely is decoupling?", intro, _chart(fig, "chart-decoupling"))


def _ranking(results: Results, ranking: list[dict[str, Any]], labels: dict[str, str]) -> str:
    summary = results.summary()
    recommendations = set(recommendation_policies(results.model.scenario, results.policies))
    counterfactuals = {p for p in results.policies if p != "baseline"} - recommendations
    fig = figures.ranking_chart(ranking, horizon=summary.horizon, counterfactuals=counterfactuals)
    rows = []
    colours = figures.policy_colours(results.policies)
    for r in ranking:  # ranked recommendations and baseline, then unranked counterfactuals
        policy = r["policy"]
        if policy == "baseline":
            change = "reference"
        else:
            lo, hi = r["reduction_ci"]
            change = (
                f"{-100 * r['reduction']:+.1f} pp [{-100 * hi:+.1f}, {-100 * lo:+.1f}]"
            ).replace("-", "−")
        signif = (
            '<span class="badge supported">lowers it</span>'
            if policy != "baseline" and r["reduction_ci"][0] > 0
            else '<span class="badge rejected">raises it</span>'
            if policy != "baseline" and r["reduction_ci"][1] < 0
            else '<span class="badge neutral">no clear change</span>'
            if policy != "baseline"
            else ""
        )
        rows.append(
            f"<tr><td class='num'>{r['rank'] if r.get('rank') is not None else '—'}</td>"
            f"<td><span class='swatch' style='background:{colours.get(policy, '#999')}'></span>"
            f"<code>{_e(policy)}</code><div class='small'>{_e(labels.get(policy, ''))}</div></td>"
            f"<td class='num'>{_pct(r['p_decoupling'])}<div class='small'>"
            f"{_interval(r['p_decoupling_ci'])}</div></td>"
            f"<td class='num'>{_e(change)}</td><td>{signif}</td></tr>"
        )
    table = (
        "<table><thead><tr><th class='num'>rank</th><th>policy</th>"
        f"<th class='num'>P(decoupling by {_e(summary.horizon)})</th>"
        "<th class='num'>change vs baseline (paired)</th><th></th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    intro = (
        "Each policy is compared with baseline member by member: the same plausible worlds, the "
        "same random events (common random numbers), so the difference is the policy's effect, "
        "not noise between worlds. Bars: the change in P(decoupling) in percentage points with "
        "its 95 % interval; green where the whole interval is a reduction, red where it is an "
        "increase, grey where the policy makes no clear difference. Hatched bars are "
        "counterfactuals (a driver removed to test a claim), not recommendations."
    )
    return _section(
        "ranking",
        "Which recommendation buys the most?",
        intro,
        _chart(fig, "chart-ranking") + table,
    )


def _claims(verdicts: list[dict[str, Any]] | None, note: str) -> str:
    title = "Do the seeds' claims hold?"
    if verdicts is None:
        return _section(
            "claims",
            title,
            "",
            f'<p><span class="badge neutral">not evaluated</span> {_e(note)}</p>',
        )
    if not verdicts:
        return _section("claims", title, "", f"<p class='note'>{_e(note or 'No claims.')}</p>")
    rows = []
    for v in verdicts:
        verdict = str(v.get("verdict", ""))
        quote = ""
        if v.get("quote"):
            quote = _source(SeedQuote(seed=v.get("seed") or "", quote=v["quote"]))
        elif v.get("source"):
            quote = _source(v["source"])
        share = v.get("share")
        ties = v.get("tie_share")
        extra = []
        if v.get("n") is not None:
            extra.append(f"n = {int(v['n']):,}")
        if ties is not None:
            extra.append(f"ties {_pct(ties, 0)}")
        if v.get("statistic") == "mean" and v.get("mean_difference") is not None:
            md = v["mean_difference"]
            ci = v.get("mean_difference_ci") or [None, None]
            interval = f" [{ci[0]:+.3g}, {ci[1]:+.3g}]" if ci[0] is not None else ""
            held = f"{md:+.3g}<div class='small'>mean difference{interval}</div>"
        else:
            held = f"{_pct(share, 0)} <div class='small'>{_interval(v.get('share_ci'), 0)}</div>"
        box = v.get("failure_box")
        fails = ""
        if isinstance(box, dict) and box.get("description"):
            fails = (
                f"{_e(box['description'])}<div class='small'>coverage "
                f"{_pct(box.get('coverage'), 0)}, density {_pct(box.get('density'), 0)}</div>"
            )
        elif v.get("failure_note"):
            fails = f"<span class='small'>{_e(v['failure_note'])}</span>"
        rows.append(
            f"<tr><td>{_e(v.get('statement', ''))}<div class='claim-id'>"
            f"{_e(v.get('claim_id', ''))}</div>{quote}</td>"
            f"<td class='small'>{_e(v.get('comparison', ''))}</td>"
            f"<td class='num'>{held}<div class='small'>{_e(', '.join(extra))}</div></td>"
            f"<td><span class='badge {_e(verdict)}'>{_e(verdict)}</span></td>"
            f"<td class='small'>{fails}</td></tr>"
        )
    rules = []
    seen: set[str] = set()
    for v in verdicts:
        thresholds = v.get("thresholds") or {}
        statistic = str(thresholds.get("statistic", v.get("statistic", "")))
        if not thresholds or statistic in seen:
            continue
        seen.add(statistic)
        parts = [
            f"<b>{_e(k)}</b>: {_e(thresholds[k])}"
            for k in ("supported", "rejected", "contested", "ties")
            if k in thresholds
        ]
        how = {"member": "Claims tested member by member", "mean": "Claims about the mean"}
        rules.append(f"{how.get(statistic, 'Claims')}: {'; '.join(parts)}.")
    rule = "<p class='note'>How verdicts are read. " + " ".join(rules) + "</p>" if rules else ""
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
        "those where the policies differ (or the mean paired difference), with its 95 % interval."
    )
    return _section("claims", title, intro, table + rule)


def _indicators(results: Results, labels: dict[str, str]) -> str:
    names = key_indicators(results)
    if not names:
        return ""
    bands = indicator_bands(results, names)
    charts = []
    state_labels = {s.id: s.label for s in results.model.scenario.state}
    state_labels.update({i.id: i.label for i in results.model.scenario.indicators})
    for k, name in enumerate(names):
        label = state_labels.get(name)
        heading = f"<code>{_e(name)}</code>" + (f" — {_e(label)}" if label else "")
        fig = figures.fan_chart(bands, name, labels=labels, title="")
        charts.append(f"<h3>{heading}</h3>" + _chart(fig, f"chart-fan-{k}"))
    intro = (
        "How the key quantities move under each policy: the median member (line), the middle "
        "half of members (dark band) and 90 % of members (light band) at each quarter; the "
        "dashed line is the baseline median for comparison. Chosen: the quantities the "
        "decoupling condition reads and those the claims compare."
    )
    return _section("indicators", "Key indicators over time", intro, "".join(charts))


def _mechanisms(graph: CausalGraph) -> str:
    if not graph.nodes:
        return ""
    fig = figures.causal_loop_diagram(graph)
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
        + f"<h3>What counts as decoupling</h3><p><code>{_e(decoupling.when.text)}</code> for "
        f"{decoupling.for_steps} consecutive step(s). {_source(decoupling.source)}</p>"
        + "<h3>Sources</h3>"
        + sources
    )
    return _section("scenario", f"The scenario: {meta.title}", "", body)


def _scenario_reference(scenario: Scenario) -> str:
    """How to name the scenario on the command line: its id if built in, else its file."""
    from alliancesim.scenario import builtin_scenarios

    if scenario.id in builtin_scenarios():
        return scenario.id
    file, _ = scenario.actors[0].origin
    return file if file != "<memory>" else f"{scenario.id}.toml"


def _provenance(results: Results, facts: RunFacts) -> str:
    scenario = results.model.scenario
    policies = [p for p in results.policies if p != "baseline"]
    command = (
        f"alliancesim run {_scenario_reference(scenario)} --members {results.members} "
        f"--seed {results.seed}"
    )
    command += "".join(f" --policy {p}" for p in policies)
    if results.record != "all":
        command += f" --record {results.record}"
    rows = [
        ("run id", f"<span class='mono'>{_e(results.run_id)}</span>"),
        ("date", _e(facts.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))),
        ("scenario", f"<code>{_e(scenario.id)}</code> — {_e(scenario.scenario.title)}"),
        ("scenario hash", f"<span class='mono'>{_e(results.scenario_hash)}</span>"),
        ("seed", _e(results.seed)),
        ("members", f"{results.members:,} plausible worlds per policy"),
        ("policies", _e(", ".join(results.policies))),
        ("recorded", _e(results.record)),
        ("alliancesim version", _e(facts.version)),
        ("elapsed", f"{results.elapsed:.1f} s of simulation"),
        ("stored", _e(facts.stored_at) if facts.stored_at else "not stored"),
        ("to reproduce", f"<code>{_e(command)}</code>"),
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
    results: Results,
    *,
    claims: list[dict[str, Any]] | None = None,
    claims_note: str = "",
    sensitivity: Sequence[Mapping[str, Any]] = (),
    facts: RunFacts | None = None,
) -> str:
    """The report of a run as one self-contained HTML document (a string).

    ``claims`` are verdicts as ``ClaimVerdict.to_dict()`` (None: not evaluated, with
    ``claims_note`` saying why); ``sensitivity`` holds sensitivity results' ``to_dict()``.
    """
    from alliancesim import __version__

    facts = facts or RunFacts.of(results)
    scenario = results.model.scenario
    summary = results.summary()
    labels = {p: policy_label(scenario, p) for p in results.policies}
    ranking = policy_ranking(results)
    headline, headline_text = _headline(results, ranking)
    graph = causal_graph(scenario)
    supported = sum(1 for v in claims or [] if v.get("verdict") == "supported")
    facts_items = [
        ("members", f"{results.members:,}"),
        ("policies", str(len(results.policies))),
        ("horizon", summary.horizon),
        ("claims supported", f"{supported} of {len(claims)}" if claims else "not evaluated"),
        ("seed", str(results.seed)),
        ("run", results.run_id),
    ]
    masthead = (
        f'<div class="kicker">alliancesim · exploratory ensemble report · '
        f"{_e(facts.started.astimezone(UTC).strftime('%d %B %Y'))}</div>"
        f"<h1>{_e(scenario.scenario.title)}</h1>"
        + (
            f'<p class="lede">{_e(scenario.scenario.description)}</p>'
            if scenario.scenario.description
            else ""
        )
        + headline
        + '<ul class="facts">'
        + "".join(f"<li>{_e(k)} <b>{_e(v)}</b></li>" for k, v in facts_items)
        + "</ul>"
    )
    sections = [
        ("outlook", "Decoupling", _outlook(results, labels)),
        ("ranking", "Policy ranking", _ranking(results, ranking, labels)),
        ("claims", "Claims", _claims(claims, claims_note)),
        ("indicators", "Indicators", _indicators(results, labels)),
        ("mechanisms", "Causal loops", _mechanisms(graph)),
        ("sensitivity", "Sensitivity", _sensitivity(sensitivity, scenario.id)),
        ("scenario", "Scenario and sources", _scenario(scenario, results.policies)),
        ("provenance", "How this run was made", _provenance(results, facts)),
    ]
    sections = [s for s in sections if s[2]]
    toc = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in sections)
    template = Template(
        resources.files("alliancesim.report").joinpath("template.html").read_text("utf-8")
    )
    return template.substitute(
        title=_e(f"{scenario.scenario.title} — {headline_text}"),
        version=_e(__version__),
        plotlyjs=get_plotlyjs(),
        masthead=masthead,
        toc=toc,
        sections="\n".join(body for _, _, body in sections),
        footer=(
            f"Made with alliancesim {_e(facts.version)} from scenario <code>{_e(scenario.id)}"
            f"</code> (hash {_e(results.scenario_hash[:12])}…). An exploratory model: its causal "
            "strengths are ranges, not estimates; every number is a distribution over "
            "plausible worlds."
        ),
    )


def write_report(results: Results, path: Path | str, **options: Any) -> Path:
    """Write the report of a run to ``path`` (atomically: a reader never sees half a file).

    Options as :func:`render_report`; claims are checked on the run when not given.
    """
    if "claims" not in options:
        from alliancesim.store import evaluate_claims

        outcome = evaluate_claims(results)
        options["claims"] = outcome.verdicts
        options.setdefault("claims_note", outcome.note)
    document = render_report(results, **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(document)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
