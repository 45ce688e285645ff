"""``results.plot``: a run's figures in a notebook, the same Plotly figures as its report.

Each method lays out the run's presentation rows (:func:`alliancesim.workflows.view_of_run`)
with the report's figure functions (:mod:`alliancesim.report.figures`), so a chart in a
notebook and in the report of the same run are the same chart::

    results.plot.decoupling()           # P(decoupling by each quarter), per policy
    results.plot.fan("cohesion")        # median and bands of one quantity, per policy
    results.plot.ranking()              # each policy's paired change against baseline
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliancesim.presentation import RunView
    from alliancesim.results import Results

__all__ = ["RunPlots"]


class RunPlots:
    """The figures of one run (``results.plot``)."""

    def __init__(self, results: Results):
        self._results = results

    def __repr__(self) -> str:
        return f"<figures of run {self._results.run_id}: decoupling(), fan(name), ranking()>"

    @cached_property
    def view(self) -> RunView:
        """The run's presentation rows, as the report lays them out."""
        from alliancesim.workflows import view_of_run

        return view_of_run(self._results, None)

    def decoupling(self, *, title: str | None = None) -> Any:
        """P(decoupling by each step) per policy with Wilson 95 % bands (a Plotly figure)."""
        from alliancesim.report import figures

        view = self.view
        return figures.decoupling_chart(
            view.decoupling_data(), labels=view.policy_labels, title=title
        )

    def fan(
        self,
        indicator: str,
        *,
        policies: list[str] | None = None,
        title: str | None = None,
    ) -> Any:
        """One recorded quantity per policy: median, 25–75 % and 5–95 % of members at each step,
        the baseline median dashed (a Plotly figure)."""
        from alliancesim.bands import indicator_bands
        from alliancesim.errors import InputError
        from alliancesim.report import figures

        recorded = self._results.files.columns() - {"policy", "member", "step"}
        if indicator not in recorded:
            from alliancesim.scenario.names import suggest

            raise InputError.single(
                "indicator",
                f"{indicator!r} is not recorded in this run{suggest(indicator, recorded)}",
            )
        bands = indicator_bands(self._results, [indicator])
        return figures.fan_chart(
            bands, indicator, policies=policies, labels=self.view.policy_labels, title=title
        )

    def ranking(self, *, title: str | None = None) -> Any:
        """Each policy's paired change in P(decoupling) against baseline with its 95 % interval,
        the largest reduction at the top (a Plotly figure)."""
        from alliancesim.report import figures

        view = self.view
        return figures.ranking_chart(
            view.ranking, horizon=view.horizon, counterfactuals=view.counterfactuals, title=title
        )
