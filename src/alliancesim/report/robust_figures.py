"""The figures of the robustness analyses, shared by the report and the dashboard: a pathway
waterfall per recommendation (what carries its effect) and the regret of each option."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import plotly.graph_objects as go

from alliancesim.presentation.formats import pp_change, signed
from alliancesim.presentation.robust_view import PathwayView, RobustRow
from alliancesim.report.figures import BASELINE, EFFECT_COLOURS, NEGATIVE, _style

__all__ = ["pathway_waterfall", "regret_chart"]


def _wrapped(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)[:3])


def pathway_waterfall(view: PathwayView, *, title: str | None = None) -> go.Figure:
    """From the outcome under baseline (top) to the outcome under the policy (bottom): one step
    per pathway (what switching it off takes away; green where it lowers the risk), then the
    interaction (what the pathways' sum leaves out), then the policy's total. P(decoupling) in
    percent."""
    scale = 100.0 if view.outcome == "decoupled" else 1.0
    lowering = view.outcome == "decoupled"
    labels = ["baseline", *(_wrapped(b.short) for b in view.bars), "interaction", view.policy]
    values = [
        scale * view.baseline,
        *(scale * b.carried for b in view.bars),
        scale * view.interaction,
        scale * view.policy_value,
    ]
    texts = [
        f"{scale * view.baseline:.1f} %" if lowering else f"{view.baseline:.3f}",
        *(b.text(view.outcome).split(" [")[0] for b in view.bars),
        pp_change(view.interaction) if lowering else signed(view.interaction),
        f"{scale * view.policy_value:.1f} %" if lowering else f"{view.policy_value:.3f}",
    ]
    good, bad = EFFECT_COLOURS["lowers"], NEGATIVE
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=values,
            measure=["absolute", *(["relative"] * (len(view.bars) + 1)), "total"],
            text=texts,
            textposition="outside",
            decreasing={"marker": {"color": good if lowering else bad}},
            increasing={"marker": {"color": bad if lowering else good}},
            totals={"marker": {"color": BASELINE}},
            connector={"line": {"color": "#c7ced6", "width": 1}},
            cliponaxis=False,
            customdata=["", *(b.label for b in view.bars), "", ""],
            hovertemplate="%{y}<br>%{customdata}<br>%{text}<extra></extra>",
        )
    )
    axis = "P(decoupling by the horizon), %" if lowering else f"{view.outcome} at the horizon"
    fig.update_xaxes(title=axis, ticksuffix=" %" if lowering else "")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(showlegend=False, waterfallgap=0.3)
    _style(fig, height=140 + 34 * (len(view.bars) + 3), title=title)
    fig.update_layout(margin={"r": 70})
    return fig


def regret_chart(rows: Sequence[RobustRow], measure: str, *, title: str | None = None) -> go.Figure:
    """Each option's regret: the mean (bar) and the 90th percentile and maximum (markers), in
    the measure's units, the most robust at the top."""
    shown = sorted(rows, key=lambda r: (r.regret_p90, r.rank), reverse=True)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=[r.policy for r in shown],
            x=[r.regret_mean for r in shown],
            orientation="h",
            name="mean",
            marker={"color": "#a7b0ba"},
            hovertemplate="%{y}: mean regret %{x:.3f}<extra></extra>",
        )
    )
    for key, symbol, name in (
        ("regret_p90", "diamond", "90th percentile"),
        ("regret_max", "x", "maximum"),
    ):
        fig.add_trace(
            go.Scatter(
                y=[r.policy for r in shown],
                x=[getattr(r, key) for r in shown],
                mode="markers",
                name=name,
                marker={"symbol": symbol, "size": 11, "color": BASELINE},
                hovertemplate=f"%{{y}}: {name} %{{x:.3f}}<extra></extra>",
            )
        )
    fig.update_xaxes(title=f"regret in {measure} (shortfall against the best option in a world)")
    fig.update_yaxes(automargin=True)
    _style(fig, height=150 + 48 * max(1, len(shown)), title=title)
    return fig
