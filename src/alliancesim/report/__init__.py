"""The HTML report of a run and the figures it shares with the dashboard."""

from alliancesim.report.html import RunFacts, render_report, write_report

__all__ = ["RunFacts", "render_report", "write_report"]
