"""The HTML report document: self-contained, every section, the run's numbers."""

from __future__ import annotations

import html
import re

import pytest

from alliancesim.bands import indicator_bands
from alliancesim.claims import ClaimsOutcome
from alliancesim.report.html import render_report
from alliancesim.workflows import view_of_run


def render(results, verdicts, note: str = "", sensitivity=()) -> str:
    """The report of an in-memory run with the given claim verdicts and sensitivity results."""
    view = view_of_run(results, ClaimsOutcome(verdicts, note))
    bands = indicator_bands(results, list(view.key_indicators))
    return render_report(view, results.model.scenario, bands, sensitivity=sensitivity)


def _outside_plotly(document: str) -> str:
    """The document without the embedded plotly.js bundle."""
    start = document.index("<script>/**\n* plotly.js")
    end = document.index("</script>", start)
    return document[:start] + document[end:]


def test_one_self_contained_document(alliance_run, verdicts) -> None:
    document = render(alliance_run, verdicts)
    assert document.count("* plotly.js v") == 1  # plotly.js embedded once
    rest = _outside_plotly(document)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", rest)
    assert "@import" not in rest and "url(http" not in rest
    assert "default-src 'none'" in rest  # a CSP that forbids every request
    for anchor in (
        "outlook",
        "ranking",
        "claims",
        "indicators",
        "mechanisms",
        "sensitivity",
        "scenario",
        "provenance",
    ):
        assert f'id="{anchor}"' in rest
        assert f'href="#{anchor}"' in rest
    # every chart is a plotly div with its data inline
    assert len(re.findall(r'data-chart="chart-', rest)) == 2 + 4 + 1  # no sensitivity attached


def test_headline_states_the_baseline_risk_and_the_best_recommendation(alliance_run) -> None:
    document = render(alliance_run, None, "not asked")
    summary = alliance_run.summary()
    base = summary.policies["baseline"]
    lo, hi = base.p_decoupling_ci
    assert (
        f"P(decoupling by {summary.horizon}) under baseline: "
        f"<strong>{100 * base.p_decoupling:.1f} %</strong>"
    ) in document
    assert f"[{100 * lo:.1f}–{100 * hi:.1f} %]" in document
    paired = summary.policies["consult_first"].vs_baseline["decoupled"]
    change, (c_lo, c_hi) = paired["mean_difference"], paired["ci"]
    assert change < 0 and c_hi < 0  # the toy's recommendation lowers the risk
    written = f"{100 * change:+.1f} pp [{100 * c_lo:+.1f}, {100 * c_hi:+.1f}]".replace("-", "−")
    assert "The recommendation that lowers it most" in document
    assert (
        f"— {written}, to {100 * summary.policies['consult_first'].p_decoupling:.1f} %" in document
    )
    assert "not evaluated" in document and "not asked" in document


def test_claims_and_seed_quotes_appear_verbatim(alliance_run, verdicts) -> None:
    document = render(alliance_run, verdicts)
    for quote in (
        "informed, rather than genuinely consulted",
        "There is a real risk that these mutual concerns will feed on each other",
        "Washington and Seoul should genuinely consult each other before taking any unilateral actions",
    ):
        assert f"“{html.escape(quote)}”" in document
    assert "000_ea92047b3d6a092b.txt" in document
    assert html.escape("Something < that & depends.") in document  # escaped, not markup
    assert "Something < that" not in _outside_plotly(document)
    for verdict in ("supported", "contested", "rejected"):
        assert f"<span class='badge {verdict}'>{verdict}</span>" in document
    assert "rules.fear_feeds_hedging.weight ≥ 0.3" in document


def test_sensitivity_results_are_shown_when_attached(alliance_run) -> None:
    payload = {
        "method": "morris",
        "measure": "cohesion",
        "at": "2027Q2",
        "evaluations": 120,
        "replicates": 2,
        "seed": 9,
        "factors": [{"name": "rules.fear_feeds_hedging", "mu_star": 0.2, "mu_star_conf": 0.05}],
    }
    document = render(alliance_run, [], sensitivity=[payload])
    assert 'data-chart="chart-sensitivity-0"' in document
    assert "morris, 120 model runs × 2 replicate(s), seed 9" in document
    assert "No sensitivity analysis" not in document


def test_the_report_carries_the_mark_that_lets_alliancesim_replace_it(alliance_run) -> None:
    from alliancesim.outputs import MARK

    document = render(alliance_run, [])
    assert MARK in document[:2048]


@pytest.mark.parametrize("searched", [False, True])
def test_the_report_says_when_failure_regions_were_not_searched(alliance_run, verdicts, searched):
    view = view_of_run(alliance_run, ClaimsOutcome(verdicts, searched=searched))
    document = render_report(view, alliance_run.model.scenario, indicator_bands(alliance_run, []))
    assert ("was not searched for this run" in document) is not searched
