"""What a scenario, a run and its summary look like in a notebook, and the summary as a table.

Jupyter shows an object through its ``_repr_html_``: :class:`~alliancesim.scenario.Scenario`,
:class:`~alliancesim.results.Results` and :class:`~alliancesim.results.Summary` call the
functions below, which write a few lines of escaped HTML (never the whole model), with the
numbers written as the command line and the report write them
(:mod:`alliancesim.presentation.formats`). :func:`summary_frame` is ``Summary.to_frame()``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from alliancesim.presentation.formats import percent, percent_interval, pp_change

if TYPE_CHECKING:
    import pandas as pd

    from alliancesim.results import Results, Summary
    from alliancesim.scenario.schema import Scenario

__all__ = ["FRAME_COLUMNS", "results_html", "scenario_html", "summary_frame", "summary_html"]

FRAME_COLUMNS = ("policy", "measure", "statistic", "at", "value")
"""The columns of ``Summary.to_frame()``."""

_STYLE = "border-collapse:collapse;font-size:0.92em"
_CELL = "padding:2px 8px;text-align:left"
_NUM = "padding:2px 8px;text-align:right"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(head: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    """A small HTML table; cells are already escaped."""
    th = "".join(
        f"<th style='{_NUM if k >= numeric_from else _CELL}'>{h}</th>" for k, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='{_NUM if k >= numeric_from else _CELL}'>{c}</td>" for k, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table style='{_STYLE}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def scenario_html(scenario: Scenario) -> str:
    """A scenario in a few lines: id, title, period, what it holds, its seed document."""
    meta = scenario.scenario
    counts = ", ".join(
        f"{len(getattr(scenario, section))} {section}"
        for section in ("actors", "issues", "state", "rules", "events", "actions", "claims")
    )
    policies = ", ".join(_e(p) for p in scenario.policy_ids) or "none"
    return (
        f"<div><b>Scenario <code>{_e(scenario.id)}</code></b> — {_e(meta.title)}<br>"
        f"<small>{_e(meta.kind)} from {_e(meta.start)}, {meta.horizon} {_e(meta.step)}s; "
        f"{_e(counts)}<br>policies: {policies}"
        + (f"<br>seed document: <code>{_e(meta.seed)}</code>" if meta.seed else "")
        + "</small></div>"
    )


def summary_html(summary: Summary) -> str:
    """P(decoupling by the horizon) per policy with its interval and paired change."""
    rows = []
    for name, p in summary.policies.items():
        diff = p.vs_baseline.get("decoupled")
        change = pp_change(diff["mean_difference"], diff["ci"]) if diff else "—"
        rows.append(
            [
                f"<code>{_e(name)}</code>",
                _e(f"{percent(p.p_decoupling)} {percent_interval(p.p_decoupling_ci)}"),
                _e(change),
            ]
        )
    return (
        f"<div><b>{_e(summary.scenario)}</b>: P(decoupling by {_e(summary.horizon)}), "
        f"{summary.members:,} members, seed {summary.seed}"
        + _table(["policy", "P(decoupling) [95 %]", "change vs baseline (paired)"], rows)
        + "</div>"
    )


def results_html(results: Results) -> str:
    """A run: how it was made, and its summary."""
    where = f"stored in <code>{_e(results.directory)}</code>" if results.directory else "in memory"
    return (
        f"<div><b>Run <code>{_e(results.run_id)}</code></b> — "
        f"{len(results.policies)} policies, {results.model.horizon} steps, "
        f"recorded {_e(results.record)}, {results.elapsed:.1f} s of simulation, {where}</div>"
        + summary_html(results.summary())
    )


def summary_frame(summary: Summary) -> pd.DataFrame:
    """The summary as a tidy table: one row per policy × measure × statistic (× period).

    - measure ``decoupled``: statistic ``p`` (P(decoupling by the period)), ``p_low`` and
      ``p_high`` (Wilson 95 %) at every period, and at the horizon ``change``,
      ``change_low``, ``change_high`` (paired, policy − baseline; not for baseline);
    - every other measure at the horizon: ``mean``, ``mean_low``, ``mean_high`` (t 95 %), the
      quantiles over members ``q05``, ``q25``, ``q50``, ``q75``, ``q95``, and (not for baseline)
      ``change``, ``change_low``, ``change_high``.

    Columns: ``policy``, ``measure``, ``statistic``, ``at`` (the period label), ``value``.
    """
    import pandas as pd

    rows: list[tuple[str, str, str, str, float]] = []
    horizon = summary.horizon
    for name, p in summary.policies.items():
        for step, (value, (low, high)) in enumerate(
            zip(p.p_decoupling_by_step, p.p_decoupling_ci_by_step, strict=True)
        ):
            at = summary.steps[step]
            rows += [
                (name, "decoupled", "p", at, value),
                (name, "decoupled", "p_low", at, low),
                (name, "decoupled", "p_high", at, high),
            ]
        for measure, entry in p.indicators.items():
            low, high = entry.get("mean_ci", (float("nan"), float("nan")))
            rows += [
                (name, measure, "mean", horizon, entry["mean"]),
                (name, measure, "mean_low", horizon, low),
                (name, measure, "mean_high", horizon, high),
            ]
            rows += [
                (name, measure, key, horizon, entry[key])
                for key in ("q05", "q25", "q50", "q75", "q95")
                if key in entry
            ]
        for measure, diff in p.vs_baseline.items():
            low, high = diff["ci"]
            rows += [
                (name, measure, "change", horizon, diff["mean_difference"]),
                (name, measure, "change_low", horizon, low),
                (name, measure, "change_high", horizon, high),
            ]
    frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    frame["value"] = frame["value"].astype("float64")
    return frame
