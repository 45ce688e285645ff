"""Figures of a run: Plotly figures built from plain data, shared by the report and the dashboard.

Every function takes the presentation model's rows (:mod:`alliancesim.presentation`) or plain
data (quantile :class:`~alliancesim.bands.Bands`, the decoupling curves shaped like
``Summary.to_dict()``, a sensitivity result's ``to_dict()``) and returns a
``plotly.graph_objects.Figure``; none of them reads files or runs anything. Policies keep the
same colour in every figure (:func:`policy_colours`).

The report's big figures also come as the plain dicts Plotly makes of them
(:func:`decoupling_figure`, :func:`fan_figure`, :func:`causal_loop_figure`): Plotly's
validators took most of a report's time, so these are written out (or, for fans, laid out by
Plotly once per report), and tests check that Plotly's own validation leaves them unchanged.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alliancesim.bands import Bands
from alliancesim.presentation import ClaimRow, PolicyRow
from alliancesim.presentation.formats import pp_change
from alliancesim.report.graph import CausalGraph, circle_layout

__all__ = [
    "FONT",
    "causal_loop_diagram",
    "causal_loop_figure",
    "claims_table",
    "decoupling_chart",
    "decoupling_figure",
    "fan_chart",
    "fan_figure",
    "history_chart",
    "policy_colours",
    "ranking_chart",
    "sensitivity_chart",
]

FONT = '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
BASELINE = "#3d3d3d"
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#117733",
    "#332288",
    "#999933",
)
"""Okabe–Ito colours (safe for colour-blind readers), then Tol's muted ones."""
POSITIVE = "#1f5fa8"
NEGATIVE = "#c0392b"
UNKNOWN = "#9a9a9a"
VERDICT_COLOURS = {"supported": "#d7eedd", "contested": "#fbefc9", "rejected": "#f6d3cf"}
EFFECT_COLOURS = {"lowers": "#2e8b57", "raises": NEGATIVE, "unclear": "#a7b0ba"}


def policy_colours(policies: Sequence[str]) -> dict[str, str]:
    """A colour per policy, baseline dark grey, the others from a colour-blind-safe palette."""
    out: dict[str, str] = {}
    k = 0
    for name in policies:
        if name == "baseline":
            out[name] = BASELINE
        else:
            out[name] = PALETTE[k % len(PALETTE)]
            k += 1
    return out


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _style(fig: go.Figure, *, height: int, title: str | None = None) -> go.Figure:
    # template "none" plus explicit colours: plotly_white's template is deep-copied into every
    # figure and its JSON, which makes figures ~20x slower to build and the report larger
    fig.update_layout(
        template="none",
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        font={"family": FONT, "size": 13, "color": "#1d2733"},
        height=height,
        margin={"l": 60, "r": 24, "t": 56 if title else 24, "b": 48},
        hoverlabel={"font": {"family": FONT}},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    fig.update_xaxes(linecolor="#c7ced6", gridcolor="#eceff3", zeroline=False, ticks="")
    fig.update_yaxes(linecolor="#c7ced6", gridcolor="#eceff3", zeroline=False, ticks="")
    if title:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}})
    return fig


NONE_TEMPLATE: dict[str, Any] = {"data": {"scatter": [{"type": "scatter"}]}}
"""Plotly's "none" template as a figure's JSON holds it."""
_AXIS_STYLE = {"linecolor": "#c7ced6", "gridcolor": "#eceff3", "zeroline": False, "ticks": ""}


def _merge(target: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Plotly's update: nested dicts are merged key by key, anything else replaced."""
    for key, value in updates.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return target


def _styled_layout(
    layout: dict[str, Any], *, height: int, title: str | None = None
) -> dict[str, Any]:
    """What :func:`_style` does to a one-panel figure, on its layout as a dict."""
    layout["template"] = copy.deepcopy(NONE_TEMPLATE)  # replaced whole, as Plotly does
    _merge(
        layout,
        {
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "colorway": list(PALETTE),
            "font": {"family": FONT, "size": 13, "color": "#1d2733"},
            "height": height,
            "margin": {"l": 60, "r": 24, "t": 56 if title else 24, "b": 48},
            "hoverlabel": {"font": {"family": FONT}},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        },
    )
    axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for axis in ("xaxis", "yaxis"):
        layout.setdefault(axis, {})
    for axis in axes:
        _merge(layout[axis], _AXIS_STYLE)
    if title:
        _merge(layout, {"title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}}})
    return layout


def _short(name: str) -> str:
    return name.replace("+", " + ")


def fan_chart(
    bands: Bands,
    name: str,
    *,
    policies: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    columns: int = 4,
    title: str | None = None,
) -> go.Figure:
    """Fan chart of one quantity: per policy (one panel each), the median over members with
    its 25–75 % and 5–95 % bands at every step; other panels show the baseline median dashed.
    (Built by :func:`fan_figure`: the figure Plotly would build trace by trace, written out.)"""
    return _unvalidated(
        fan_figure(bands, name, policies=policies, labels=labels, columns=columns, title=title)
    )


def fan_figure(
    bands: Bands,
    name: str,
    *,
    policies: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    columns: int = 4,
    title: str | None = None,
) -> dict[str, Any]:
    """:func:`fan_chart` as the plain figure dict Plotly makes of it: the panels' grid is
    Plotly's own (``make_subplots``, laid out once per grid), the traces and styles are
    written out."""
    data = bands.values[name]
    chosen = list(policies or data)
    title = name if title is None else title
    labels = labels or {}
    colours = policy_colours(chosen)
    n = len(chosen)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    grid = _grid(rows, cols, tuple(_short(p) for p in chosen), 0.16 if rows > 1 else 0.1)
    layout = copy.deepcopy(grid)
    x = list(bands.steps)
    q = {round(v, 4): k for k, v in enumerate(bands.quantiles)}
    lo90, lo50, mid, hi50, hi90 = (q.get(v) for v in (0.05, 0.25, 0.5, 0.75, 0.95))
    base = data.get("baseline")
    traces: list[dict[str, Any]] = []
    for k, policy in enumerate(chosen):
        axes = {"xaxis": f"x{k + 1 if k else ''}", "yaxis": f"y{k + 1 if k else ''}"}
        values = data[policy]
        colour = colours[policy]
        first = k == 0
        for low, high, alpha, band in ((lo90, hi90, 0.16, "5–95 %"), (lo50, hi50, 0.32, "25–75 %")):
            if low is None or high is None:
                continue
            traces.append(
                {
                    "hoverinfo": "skip", "legendgroup": band, "line": {"width": 0},
                    "mode": "lines", "showlegend": False, "x": list(x), "y": list(values[high]),
                    "type": "scatter", **axes,
                }
            )  # fmt: skip
            traces.append(
                {
                    "fill": "tonexty", "fillcolor": _rgba(colour, alpha), "hoverinfo": "skip",
                    "legendgroup": band, "line": {"width": 0}, "mode": "lines",
                    "name": f"{band} of members", "showlegend": first, "x": list(x),
                    "y": list(values[low]), "type": "scatter", **axes,
                }
            )  # fmt: skip
        if base is not None and policy != "baseline" and mid is not None:
            traces.append(
                {
                    "hovertemplate": "baseline median %{y:.3f}<extra></extra>",
                    "legendgroup": "baseline median",
                    "line": {"color": BASELINE, "dash": "dash", "width": 1.3},
                    "mode": "lines", "name": "baseline median", "showlegend": k == 1,
                    "x": list(x), "y": list(base[mid]), "type": "scatter", **axes,
                }
            )  # fmt: skip
        if mid is not None:
            traces.append(
                {
                    "hovertemplate": f"{_short(policy)} %{{x}}: median %{{y:.3f}}<extra></extra>",
                    "legendgroup": "median", "line": {"color": colour, "width": 2.4},
                    "mode": "lines", "name": "median", "showlegend": first, "x": list(x),
                    "y": list(values[mid]), "type": "scatter", **axes,
                }
            )  # fmt: skip
    ticks = _year_ticks(x)
    x_style: dict[str, Any] = (
        {"tickvals": ticks[0], "ticktext": ticks[1], "showgrid": True, "tickangle": 0}
        if ticks
        else {"nticks": 4, "showgrid": False, "tickangle": 0}
    )
    for key in [k for k in layout if k.startswith("xaxis")]:
        _merge(layout[key], x_style)
    for key in [k for k in layout if k.startswith("yaxis")]:
        _merge(layout[key], {"matches": "y"})  # one scale for every panel, across rows too
    for annotation in layout.get("annotations", []):
        _merge(annotation, {"font": {"size": 12.5}})
    height = 130 + 210 * rows
    _styled_layout(layout, height=height, title=title or None)
    top = 96 if title else 64
    _merge(
        layout,
        {
            "margin": {"t": top, "b": 36},
            # above the panels' titles: ~34 px over the plotting area, whatever the height
            "legend": {"y": 1 + 34 / (height - top - 36), "yanchor": "bottom", "x": 0},
        },
    )
    for annotation in layout.get("annotations", []):
        policy = annotation["text"].replace(" + ", "+")
        if policy in labels:
            annotation["hovertext"] = labels[policy]
    return {"data": traces, "layout": layout}


def _unvalidated(figure: dict[str, Any]) -> go.Figure:
    """A Figure from data in the form Plotly itself gives it (tests check that validating it
    changes nothing), without validating every value again."""
    try:
        return go.Figure(figure, _validate=False)
    except TypeError:  # a Plotly without the switch: validate, same figure
        return go.Figure(figure)


@functools.lru_cache(maxsize=16)
def _grid(rows: int, cols: int, titles: tuple[str, ...], vertical: float) -> dict[str, Any]:
    """The layout Plotly's ``make_subplots`` gives a fan chart's panels (kept per grid),
    without its template (the figure's style replaces it)."""
    layout = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        shared_xaxes=True,
        subplot_titles=list(titles),
        horizontal_spacing=0.03,
        vertical_spacing=vertical,
    ).to_dict()["layout"]
    layout.pop("template", None)
    return layout


def _year_ticks(steps: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """Tick at the first period of each year ("2026Q1" -> "2026"), if that gives 2+ ticks."""
    vals = [s for s in steps if s.endswith(("Q1", "-01"))]
    if len(vals) < 2:
        return None
    return vals, [s[:4] for s in vals]


def decoupling_chart(
    summary: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """P(decoupling by each step) per policy, with Wilson 95 % bands (``Summary.to_dict()``)."""
    return _unvalidated(decoupling_figure(summary, labels=labels, title=title))


def decoupling_figure(
    summary: Mapping[str, Any],
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """:func:`decoupling_chart` as the plain figure dict Plotly would make of it (written out,
    not built through Plotly's validators: the report's outlook chart at once)."""
    policies = summary["policies"]
    steps = list(summary["steps"])
    colours = policy_colours(list(policies))
    labels = labels or {}
    data: list[dict[str, Any]] = []
    for policy, values in policies.items():
        colour = colours[policy]
        lows = [float(ci[0]) for ci in values["p_decoupling_ci_by_step"]]
        highs = [float(ci[1]) for ci in values["p_decoupling_ci_by_step"]]
        common = {"legendgroup": policy, "mode": "lines", "x": list(steps), "type": "scatter"}
        data.append(
            {
                "hoverinfo": "skip", "line": {"width": 0}, "showlegend": False, "y": highs,
                **common,
            }
        )  # fmt: skip
        data.append(
            {
                "fill": "tonexty", "fillcolor": _rgba(colour, 0.13), "hoverinfo": "skip",
                "line": {"width": 0}, "showlegend": False, "y": lows, **common,
            }
        )  # fmt: skip
        data.append(
            {
                "customdata": [[low, high] for low, high in zip(lows, highs, strict=True)],
                "hovertemplate": (
                    f"<b>{_short(policy)}</b><br>{labels.get(policy, '')}<br>"
                    "by %{x}: %{y:.1%} [%{customdata[0]:.1%}–%{customdata[1]:.1%}]<extra></extra>"
                ),
                "line": {"color": colour, "width": 3 if policy == "baseline" else 2},
                "name": _short(policy),
                "y": [float(p) for p in values["p_decoupling_by_step"]],
                **common,
            }
        )
    xaxis: dict[str, Any] = {}
    ticks = _year_ticks(steps)
    if ticks and len(steps) > 24:
        xaxis.update(tickvals=ticks[0], ticktext=ticks[1])
    xaxis.update(showgrid=False, nticks=12)
    layout: dict[str, Any] = {
        "yaxis": {
            "tickformat": ".0%",
            "rangemode": "tozero",
            "gridcolor": "#eceff3",
            "title": {"text": "P(decoupled by then)"},
        },
        "xaxis": xaxis,
    }
    _styled_layout(layout, height=440, title=title)
    _merge(layout, {"legend": {"y": -0.16, "yanchor": "top"}, "margin": {"b": 80}})
    return {"data": data, "layout": layout}


def ranking_chart(
    rows: Sequence[PolicyRow],
    *,
    horizon: str = "the horizon",
    counterfactuals: Collection[str] = (),
    title: str | None = None,
) -> go.Figure:
    """Each policy's change in P(decoupling) against baseline (policy − baseline) in
    percentage points, paired, with its 95 % interval, the largest reduction at the top: green
    where the whole interval is a reduction, red where it is an increase, grey otherwise;
    ``counterfactuals`` (a driver removed, not a recommendation) hatched."""
    shown = [r for r in rows if r.effect is not None]
    shown = sorted(
        shown,
        key=lambda r: -r.effect.change if math.isfinite(r.effect.change) else -1e9,  # type: ignore[union-attr]
    )
    effects = [r.effect for r in shown]
    change = [100 * e.change for e in effects]  # type: ignore[union-attr]
    lo = [100 * e.low for e in effects]  # type: ignore[union-attr]
    hi = [100 * e.high for e in effects]  # type: ignore[union-attr]
    colours = [EFFECT_COLOURS[e.direction] for e in effects]  # type: ignore[union-attr]
    fig = go.Figure(
        go.Bar(
            y=[_short(r.policy) for r in shown],
            x=change,
            orientation="h",
            marker={
                "color": colours,
                "pattern": {
                    "shape": ["/" if r.policy in counterfactuals else "" for r in shown],
                    "fillmode": "overlay",
                    "fgcolor": "rgba(255,255,255,0.35)",
                    "size": 9,
                    "solidity": 0.3,
                },
            },
            width=0.6,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [h - v for h, v in zip(hi, change, strict=True)],
                "arrayminus": [v - low for v, low in zip(change, lo, strict=True)],
                "color": "#46505a",
                "thickness": 1.2,
                "width": 5,
            },
            text=[pp_change(e.change) for e in effects],  # type: ignore[union-attr]
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": "white"},
            cliponaxis=False,
            customdata=[
                [r.label, 100 * r.p_decoupling, a, b] for r, a, b in zip(shown, lo, hi, strict=True)
            ],
            hovertemplate=(
                "<b>%{y}</b><br>%{customdata[0]}<br>change in P(decoupling): %{x:+.1f} pp "
                "[%{customdata[2]:+.1f}, %{customdata[3]:+.1f}]<br>P(decoupling) "
                "%{customdata[1]:.1f} %<extra></extra>"
            ),
        )
    )
    fig.add_vline(x=0, line={"color": "#46505a", "width": 1})
    fig.update_xaxes(
        title=f"change in P(decoupling by {horizon}) vs baseline, percentage points (paired)",
        ticksuffix=" pp",
    )
    fig.update_yaxes(automargin=True)
    _style(fig, height=150 + 48 * max(1, len(shown)), title=title)
    return fig


def claims_table(rows: Sequence[ClaimRow]) -> go.Figure:
    """The claims with their verdicts as a table figure (how often each holds, with its 95 %
    interval, as the report writes it)."""
    fill = [VERDICT_COLOURS.get(r.verdict, "#eef1f5") for r in rows]
    fig = go.Figure(
        go.Table(
            columnwidth=[3.2, 3, 1.3, 1.4, 1.1],
            header={
                "values": [
                    "<b>claim</b>",
                    "<b>comparison</b>",
                    "<b>holds in</b>",
                    "<b>verdict</b>",
                    "<b>class</b>",
                ],
                "fill_color": "#eef1f5",
                "align": "left",
                "font": {"family": FONT, "size": 13},
            },
            cells={
                "values": [
                    [r.statement or r.claim_id for r in rows],
                    [r.comparison for r in rows],
                    [r.holds_text for r in rows],
                    [r.verdict for r in rows],
                    [r.claim_class or "—" for r in rows],
                ],
                "fill_color": [["#ffffff"] * len(rows)] * 3 + [fill, ["#ffffff"] * len(rows)],
                "align": "left",
                "font": {"family": FONT, "size": 12},
                "height": 28,
            },
        )
    )
    return _style(fig, height=120 + 60 * max(1, len(rows)))


def sensitivity_chart(result: Mapping[str, Any], *, top: int = 15) -> go.Figure:
    """What drives an outcome: Sobol first-order and total indices (or Morris μ*) of the most
    influential factors, from a sensitivity result's ``to_dict()``."""
    factors = list(result.get("factors", []))[:top][::-1]
    names = [f["name"] for f in factors]
    method = result.get("method", "sobol")
    fig = go.Figure()
    if method == "sobol":
        for key, label, colour in (
            ("S1", "first order S1", "#56B4E9"),
            ("ST", "total ST", "#0072B2"),
        ):
            fig.add_trace(
                go.Bar(
                    y=names,
                    x=[f.get(key) for f in factors],
                    error_x={"type": "data", "array": [f.get(f"{key}_conf") or 0 for f in factors]},
                    orientation="h",
                    name=label,
                    marker={"color": colour},
                )
            )
        fig.update_layout(barmode="group")
        axis = "share of the outcome's variance"
    elif method in ("pawn", "delta"):
        key, conf = ("median", None) if method == "pawn" else ("delta", "delta_conf")
        fig.add_trace(
            go.Bar(
                y=names,
                x=[f.get(key) for f in factors],
                error_x=(
                    {"type": "data", "array": [f.get(conf) or 0 for f in factors]} if conf else None
                ),
                orientation="h",
                name=method,
                marker={"color": "#0072B2"},
            )
        )
        axis = (
            "PAWN: median KS distance of the outcome's distribution in a slice from the whole"
            if method == "pawn"
            else "δ: expected shift of the outcome's density when the parameter is known"
        )
    else:
        fig.add_trace(
            go.Bar(
                y=names,
                x=[f.get("mu_star") for f in factors],
                error_x={"type": "data", "array": [f.get("mu_star_conf") or 0 for f in factors]},
                orientation="h",
                name="μ* (mean absolute elementary effect)",
                marker={"color": "#0072B2"},
            )
        )
        axis = "μ* (mean absolute elementary effect)"
    fig.update_xaxes(title=axis, gridcolor="#eceff3")
    fig.update_yaxes(automargin=True)
    title = (
        f"What drives {result.get('measure', 'the outcome')} at {result.get('at', 'the horizon')} "
        f"({result.get('policy', 'baseline')}, {method})"
    )
    return _style(fig, height=160 + 34 * max(1, len(names)), title=title)


# --------------------------------------------------------------------------------------------
# the causal-loop diagram

_KIND_COLOURS = {"perception": "#0072B2", "happening": "#E69F00", "lever": "#009E73"}
_KIND_NAMES = {
    "perception": "perception (state variable)",
    "happening": "event or action",
    "lever": "policy lever",
}
_LOOP_COLOUR = "rgba(240,200,40,0.55)"


def _node_text(name: str) -> str:
    for prefix in ("event.", "policy."):
        if name.startswith(prefix):
            return name[len(prefix) :].replace("_", " ")
    return name


def _curve(
    a: tuple[float, float], b: tuple[float, float], bend: float = 0.14
) -> list[tuple[float, float]]:
    (x0, y0), (x1, y1) = a, b
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx - bend * dy, my + bend * dx
    points = []
    for k in range(25):
        t = k / 24
        points.append(
            (
                (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1,
            )
        )
    return points


def _trimmed(points: list[tuple[float, float]], radius: float) -> list[tuple[float, float]]:
    """The curve without the parts inside the two end nodes."""
    (x0, y0), (x1, y1) = points[0], points[-1]
    return [
        p
        for p in points
        if math.hypot(p[0] - x0, p[1] - y0) >= radius and math.hypot(p[0] - x1, p[1] - y1) >= radius
    ] or points


def causal_loop_diagram(graph: CausalGraph, *, title: str | None = None) -> go.Figure:
    """The rule graph: perceptions on a circle, events, actions and levers around it, signed
    links (blue: same direction, red: opposite, grey: mixed or unknown), and a menu that
    highlights each feedback loop (the first is highlighted to begin with)."""
    return _unvalidated(causal_loop_figure(graph, title=title))


def causal_loop_figure(graph: CausalGraph, *, title: str | None = None) -> dict[str, Any]:
    """:func:`causal_loop_diagram` as the plain figure dict Plotly would make of it (written
    out, not built through Plotly's validators). A loop's links are highlighted in the loop's
    order."""
    pos = circle_layout(graph)
    radius = 0.07
    data: list[dict[str, Any]] = []
    loop_edges = [
        list(dict.fromkeys(zip(lp.nodes, [*lp.nodes[1:], lp.nodes[0]], strict=True)))
        for lp in graph.loops
    ]
    curves: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for edge in graph.edges:
        if edge.source in pos and edge.target in pos:
            curves[(edge.source, edge.target)] = _trimmed(
                _curve(pos[edge.source], pos[edge.target]), radius
            )
    # loop highlights first, so they sit under the links
    for k, members in enumerate(loop_edges):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for pair in members:
            for x, y in curves.get(pair, []):
                xs.append(x)
                ys.append(y)
            xs.append(None)
            ys.append(None)
        data.append(
            {
                "hoverinfo": "skip", "line": {"color": _LOOP_COLOUR, "width": 12},
                "mode": "lines", "name": f"loop L{k + 1}", "showlegend": False,
                "visible": k == 0, "x": xs, "y": ys, "type": "scatter",
            }
        )  # fmt: skip
    annotations = []
    for sign, colour, label in (
        (1, POSITIVE, "+ same direction"),
        (-1, NEGATIVE, "− opposite direction"),
        (0, UNKNOWN, "± mixed or unknown"),
    ):
        xs, ys = [], []
        for edge in graph.edges:
            if edge.sign != sign or (edge.source, edge.target) not in curves:
                continue
            points = curves[(edge.source, edge.target)]
            xs += [p[0] for p in points] + [None]
            ys += [p[1] for p in points] + [None]
            tail, tip = points[-4], points[-1]
            annotations.append(
                {
                    "x": tip[0], "y": tip[1], "ax": tail[0], "ay": tail[1],
                    "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
                    "showarrow": True, "arrowhead": 2, "arrowsize": 1.1, "arrowwidth": 1.4,
                    "arrowcolor": colour, "text": "",
                }
            )  # fmt: skip
        data.append(
            {
                "hoverinfo": "skip", "line": {"color": colour, "width": 1.4}, "mode": "lines",
                "name": label, "opacity": 0.85, "x": xs, "y": ys, "type": "scatter",
            }
        )  # fmt: skip
    # hover points in the middle of each link, saying what it is
    mids = []
    for edge in graph.edges:
        points = curves.get((edge.source, edge.target))
        if not points:
            continue
        mx, my = points[len(points) // 2]
        sign = {1: "+", -1: "−"}.get(edge.sign, "±")
        via = ", ".join(edge.via[:4]) + (" …" if len(edge.via) > 4 else "")
        mids.append((mx, my, f"{edge.source} → {edge.target} ({sign})<br>via {via}"))
    data.append(
        {
            "hoverinfo": "text", "hovertext": [m[2] for m in mids],
            "marker": {"color": "rgba(0,0,0,0.001)", "size": 7}, "mode": "markers",
            "showlegend": False, "x": [m[0] for m in mids], "y": [m[1] for m in mids],
            "type": "scatter",
        }
    )  # fmt: skip
    for kind, colour in _KIND_COLOURS.items():
        nodes = [n for n in graph.nodes if n.kind == kind and n.name in pos]
        if not nodes:
            continue
        positions = [pos[n.name] for n in nodes]
        text_positions = []
        for x, y in positions:
            vertical = "top" if y > 0.35 else ("bottom" if y < -0.35 else "middle")
            horizontal = "right" if x > 0.2 else ("left" if x < -0.2 else "center")
            if vertical == "middle" and horizontal == "center":
                horizontal = "right"
            text_positions.append(f"{vertical} {horizontal}")
        data.append(
            {
                "cliponaxis": False,
                "hoverinfo": "text",
                "hovertext": [
                    n.name if n.label == n.name else f"{n.name}: {n.label}" for n in nodes
                ],
                "marker": {
                    "color": colour,
                    "line": {"color": "white", "width": 2},
                    "size": 16 if kind == "perception" else 12,
                },
                "mode": "markers+text",
                "name": _KIND_NAMES[kind],
                "text": [_node_text(n.name) for n in nodes],
                "textfont": {"color": "#1d2733", "size": 11.5},
                "textposition": text_positions,
                "x": [p[0] for p in positions],
                "y": [p[1] for p in positions],
                "type": "scatter",
            }
        )
    layout: dict[str, Any] = {}
    n_loops = len(graph.loops)
    if n_loops:
        n_traces = len(data)
        buttons = [
            {
                "args": [{"visible": [False] * n_loops + [True] * (n_traces - n_loops)}],
                "label": "no loop highlighted",
                "method": "restyle",
            }
        ]
        for k, loop in enumerate(graph.loops):
            visible = [j == k for j in range(n_loops)] + [True] * (n_traces - n_loops)
            buttons.append(
                {
                    "args": [{"visible": visible}],
                    "label": f"L{k + 1} {loop.polarity}: {' → '.join(_node_text(n) for n in loop.nodes)}"[
                        :90
                    ],
                    "method": "restyle",
                }
            )
        layout["updatemenus"] = [
            {
                "active": 1,
                "bgcolor": "#ffffff",
                "bordercolor": "#c7ced6",
                "buttons": buttons,
                "direction": "down",
                "font": {"size": 12},
                "x": 0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
            }
        ]
    layout["annotations"] = annotations
    x_extent = max((abs(p[0]) for p in pos.values()), default=1.0) + 0.9
    y_low = min((p[1] for p in pos.values()), default=-1.0) - 0.3
    y_high = max((p[1] for p in pos.values()), default=1.0) + 0.3
    layout["xaxis"] = {"visible": False, "range": [-x_extent, x_extent]}
    layout["yaxis"] = {
        "visible": False,
        "range": [y_low, y_high],
        "scaleanchor": "x",
        "scaleratio": 1,
    }
    # equal scales: make the plotting area as tall as the drawing at ~1000 px width
    _styled_layout(layout, height=int(110 + 1000 * (y_high - y_low) / (2 * x_extent)), title=title)
    _merge(
        layout,
        {
            "legend": {"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0},
            "margin": {"l": 10, "r": 10, "t": 70 if title else 50, "b": 40},
            "plot_bgcolor": "white",
        },
    )
    return {"data": data, "layout": layout}


# --------------------------------------------------------------------------------------------
# back-tests: the model's forecast against what was observed


OBSERVED = "#1d2733"
HISTORY = "#8a96a3"
REFERENCE = "#a67c00"


def history_chart(chart: Mapping[str, Any], *, title: str | None = None) -> go.Figure:
    """One observed series against the model's forecast, in the observation's own units.

    ``chart`` is a :class:`~alliancesim.analysis.backtest.SeriesChart`'s ``to_dict()``. For a
    level: the model's fan anchored on the base (median line, 25-75 % and 5-95 % bands), the
    persistence (dashed) and trend (dotted) forecasts, and every observation with its error bar
    (±1.645 sd, the observation's 90 % interval): history grey, the base black, the targets
    black on white. For a count: per target window the model's median with its 25-75 % and
    5-95 % intervals, persistence and trend as markers, and the observed totals. Time in years.
    """
    fig = go.Figure()
    points = list(chart["points"])
    colour = PALETTE[0]
    if chart["kind"] == "level" and chart["fan_times"]:
        x = list(chart["fan_times"])
        fan = chart["fan"]
        labels = list(chart.get("fan_labels") or [])
        for low, high, alpha, band in (
            ("q05", "q95", 0.16, "5–95 %"),
            ("q25", "q75", 0.32, "25–75 %"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x, y=fan[high], mode="lines", line={"width": 0}, hoverinfo="skip",
                    showlegend=False, legendgroup=band,
                )
            )  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=x, y=fan[low], mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor=_rgba(colour, alpha), name=f"model, {band} of members",
                    legendgroup=band, hoverinfo="skip",
                )
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x, y=fan["q50"], mode="lines", line={"color": colour, "width": 2.4},
                name="model median", customdata=labels,
                hovertemplate="model %{customdata}: median %{y:.3g}<extra></extra>",
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x, y=chart["persistence"], mode="lines",
                line={"color": REFERENCE, "width": 1.4, "dash": "dash"}, name="persistence",
                hovertemplate="persistence %{y:.3g}<extra></extra>",
            )
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x, y=chart["trend"], mode="lines",
                line={"color": REFERENCE, "width": 1.4, "dash": "dot"}, name="trend",
                hovertemplate="trend %{y:.3g}<extra></extra>",
            )
        )  # fmt: skip
    elif chart["kind"] == "count":
        windows = list(chart["windows"])
        x = [w["time"] for w in windows]
        mid = [w["q50"] for w in windows]
        for low, high, width, band in (("q05", "q95", 1.4, "5–95 %"), ("q25", "q75", 5, "25–75 %")):
            fig.add_trace(
                go.Scatter(
                    x=x, y=mid, mode="markers", marker={"size": 1, "color": colour},
                    error_y={
                        "type": "data", "symmetric": False, "thickness": width, "width": 0,
                        "array": [w[high] - m for w, m in zip(windows, mid, strict=True)],
                        "arrayminus": [m - w[low] for w, m in zip(windows, mid, strict=True)],
                        "color": _rgba(colour, 0.55),
                    },
                    name=f"model, {band} of members", hoverinfo="skip",
                )
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x, y=mid, mode="markers", marker={"color": colour, "size": 11, "symbol": "line-ew-open", "line": {"width": 3, "color": colour}},
                name="model median", hovertemplate="model median %{y:.3g}<extra></extra>",
            )
        )  # fmt: skip
        for key, symbol in (("persistence", "diamond-open"), ("trend", "triangle-up-open")):
            fig.add_trace(
                go.Scatter(
                    x=x, y=[w[key] for w in windows], mode="markers",
                    marker={"color": REFERENCE, "size": 9, "symbol": symbol}, name=key,
                    hovertemplate=f"{key} %{{y:.3g}}<extra></extra>",
                )
            )  # fmt: skip
    for role, name, fill, line in (
        ("history", "observed (history)", HISTORY, HISTORY),
        ("base", "observed (base)", OBSERVED, OBSERVED),
        ("target", "observed (target)", "white", OBSERVED),
    ):
        chosen = [p for p in points if p["role"] == role]
        if not chosen:
            continue
        fig.add_trace(
            go.Scatter(
                x=[p["time"] for p in chosen],
                y=[p["value"] for p in chosen],
                mode="markers",
                marker={"color": fill, "size": 9, "line": {"color": line, "width": 2}},
                error_y={
                    "type": "data",
                    "array": [1.645 * (p["sd"] or 0.0) for p in chosen],
                    "color": line,
                    "thickness": 1.4,
                    "width": 5,
                },
                name=name,
                customdata=[p["at"] for p in chosen],
                hovertemplate=f"{name} %{{customdata}}: %{{y:.4g}}<extra></extra>",
            )
        )
    fig.update_xaxes(title="year", showgrid=True)
    _style(fig, height=380, title=title)
    fig.update_layout(legend={"y": -0.22, "yanchor": "top"}, margin={"b": 110})
    return fig
