"""The HTML report of a run and the figures it shares with the dashboard."""

from alliancesim.report.html import render_report

__all__ = ["render_report"]
