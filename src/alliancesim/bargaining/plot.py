"""Plotly figures of a forecast: every actor's position round by round, and the forecast."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from alliancesim.bargaining.forecast import History

__all__ = ["trajectory_figure", "write_plot"]


def trajectory_figure(history: History) -> go.Figure:
    """One panel per issue: each actor's position by round (lines) and the model's forecast (dashed)."""
    n_issues = len(history.issues)
    fig = make_subplots(
        rows=n_issues, cols=1, subplot_titles=list(history.issues), shared_xaxes=True
    )
    rounds = list(range(history.rounds + 1))
    for d in range(n_issues):
        for a, actor in enumerate(history.actors):
            ys = history.positions[:, a, d]
            if not (ys == ys).any():  # actor takes no part in this issue
                continue
            fig.add_trace(
                go.Scatter(
                    x=rounds,
                    y=ys,
                    mode="lines+markers",
                    name=actor,
                    legendgroup=actor,
                    showlegend=d == 0,
                    line={"width": 1.5},
                ),
                row=d + 1,
                col=1,
            )
        fig.add_trace(
            go.Scatter(
                x=rounds,
                y=history.forecasts[:, d],
                mode="lines",
                name=f"forecast ({history.model})",
                legendgroup="forecast",
                showlegend=d == 0,
                line={"width": 3, "dash": "dash", "color": "black"},
            ),
            row=d + 1,
            col=1,
        )
        fig.update_yaxes(title_text="position", row=d + 1, col=1)
    fig.update_xaxes(title_text="round", row=n_issues, col=1)
    fig.update_layout(
        title=f"{history.model}: positions by round ({history.stopped})",
        height=max(400, 320 * n_issues),
        template="plotly_white",
    )
    return fig


def write_plot(history: History, path: str | Path) -> Path:
    """Write the trajectories to ``path``: a self-contained HTML file (plotly.js embedded, works offline)."""
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"--plot writes HTML only (PNG needs kaleido, not installed): {target.name} must end in .html"
        )
    trajectory_figure(history).write_html(target, include_plotlyjs=True, full_html=True)
    return target
