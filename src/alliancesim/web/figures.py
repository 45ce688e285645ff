"""Figures only the dashboard needs (the rest come from :mod:`alliancesim.report.figures`).

Same conventions as the report's figures: plain data in, a Plotly figure out, the report's
fonts, colours and styling.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from alliancesim.report.figures import FONT, PALETTE

__all__ = ["placeholder_figure", "quarter_shift_chart", "short_label"]

_BEFORE = "#9aa5b1"


def quarter_shift_chart(
    before: Mapping[str, np.ndarray],
    after: Mapping[str, Mapping[str, np.ndarray]],
    *,
    labels: Mapping[str, str] | None = None,
    period: str = "",
    previous: str = "",
) -> go.Figure:
    """How the distribution of each quantity over plausible worlds moved in one quarter: a box
    per quantity for the start of the quarter and for its end on each track (e.g. *your moves*
    and *the model decides*), whiskers at the 5th and 95th percentiles, the mean as a dot."""
    names = list(before)
    labels = labels or {}
    fig = go.Figure()
    series: list[tuple[str, Mapping[str, np.ndarray], str]] = [
        (f"end of {previous}" if previous else "before", before, _BEFORE)
    ]
    for k, (track, values) in enumerate(after.items()):
        series.append(
            (f"{period}: {track}" if period else track, values, PALETTE[k % len(PALETTE)])
        )
    ticks = [labels.get(n, n) for n in names]
    for title, values, colour in series:
        stats = [np.percentile(values[n], [5, 25, 50, 75, 95]) for n in names]
        fig.add_trace(
            go.Box(
                name=title,
                y=ticks,
                lowerfence=[s[0] for s in stats],
                q1=[s[1] for s in stats],
                median=[s[2] for s in stats],
                q3=[s[3] for s in stats],
                upperfence=[s[4] for s in stats],
                mean=[float(np.mean(values[n])) for n in names],
                orientation="h",
                marker={"color": colour},
                line={"color": colour, "width": 1.6},
                fillcolor=_rgba(colour, 0.28),
                boxpoints=False,
                hoverinfo="x",
            )
        )
    fig.update_layout(
        boxmode="group",
        template="none",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"family": FONT, "size": 13, "color": "#1d2733"},
        height=120 + 78 * max(1, len(names)),
        margin={"l": 10, "r": 20, "t": 40, "b": 48},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "x": 0,
            "xanchor": "left",
            "traceorder": "normal",
        },
        boxgroupgap=0.25,
        boxgap=0.2,
    )
    fig.update_xaxes(
        title="value across plausible worlds (box: middle half, whiskers: 90 %)",
        gridcolor="#eceff3",
        zeroline=False,
    )
    fig.update_yaxes(automargin=True, autorange="reversed")
    return fig


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def short_label(label: str, limit: int = 40) -> str:
    """A scenario label cut to fit beside a chart: before its first colon, at most ``limit``
    characters (cut at a word, with an ellipsis)."""
    text = label.split(":", 1)[0].strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def placeholder_figure(text: str, *, height: int = 220) -> go.Figure:
    """An empty chart area with a sentence in it (e.g. before the first turn)."""
    fig = go.Figure()
    fig.add_annotation(
        text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font={"family": FONT, "size": 14, "color": "#5b6673"},
    )  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        template="none", height=height, paper_bgcolor="white", plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )  # fmt: skip
    return fig
