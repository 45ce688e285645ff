"""The HTML report in headless Chromium: it opens from a file with no server, makes no network
request, logs no error, and every chart renders."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from alliancesim.decisions import RobustOptions, robust_analysis_of_stored_run
from alliancesim.store import Store
from alliancesim.workflows import run_and_store

SCENARIO = Path(__file__).parents[1] / "report" / "data" / "alliance.toml"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A stored run of the test scenario and its report; (path, number of charts expected)."""
    from alliancesim.outputs import write_text_file
    from alliancesim.workflows import report_of_stored_run

    home = tmp_path_factory.mktemp("home")
    store = Store(home)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_and_store(store, SCENARIO, members=600, seed=4).results
    sensitivity = {
        "method": "sobol",
        "measure": "cohesion",
        "at": "2027Q2",
        "policy": "baseline",
        "evaluations": 1000,
        "replicates": 1,
        "seed": 0,
        "factors": [
            {
                "name": "actions.withdrawal",
                "S1": 0.41,
                "S1_conf": 0.05,
                "ST": 0.52,
                "ST_conf": 0.06,
            },
            {
                "name": "rules.fear_feeds_hedging",
                "S1": 0.12,
                "S1_conf": 0.03,
                "ST": 0.2,
                "ST_conf": 0.04,
            },
        ],
    }
    store.attach_analysis("sensitivity", sensitivity, scenario_hash=results.scenario_hash)
    options = RobustOptions(thresholds=("decoupled == 0",), pathways=True, signposts=True)
    robust_analysis_of_stored_run(store, results.run_id, options)
    path = write_text_file(home / "report.html", report_of_stored_run(store, results.run_id))
    # decoupling, ranking, the regret chart, the pathway waterfall of the one recommendation,
    # one fan chart per key quantity (cohesion and the three claimed quantities), the
    # causal-loop diagram, one sensitivity chart
    return path, 2 + 1 + 1 + 4 + 1 + 1


def test_report_opens_offline_and_every_chart_renders(
    offline_page, report_file, artifact_path
) -> None:
    path, expected = report_file
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function(
        f"document.querySelectorAll('.chart .plotly-graph-div .main-svg').length >= {expected}",
        timeout=30_000,
    )
    charts = page.locator(".chart")
    assert charts.count() == expected
    for k in range(expected):
        chart = charts.nth(k)
        name = chart.get_attribute("data-chart")
        # rendered: plotly drew its SVG with something in it (traces or table cells)
        drawn = chart.evaluate(
            "el => el.querySelectorAll('.main-svg .trace, .main-svg .bars path,"
            " .main-svg .scatterlayer path').length"
        )
        assert drawn > 0, f"chart {name} rendered nothing"
    headline = page.locator(".headline").inner_text()
    assert "P(decoupling by 2027Q2) under baseline" in headline
    assert "consult_first" in headline  # the only recommendation, and it lowers the risk
    verdicts = page.locator("#claims .badge").all_inner_texts()
    assert len(verdicts) == 3
    readings = {"supported", "contested", "rejected", "holds by construction"}
    readings |= {"fails by construction", "restates its prior"}
    assert set(verdicts) <= readings
    # the loop menu highlights the seed's feedback loop
    assert page.locator("#mechanisms .loops li").count() >= 1
    # robust recommendations: the regret table, the waterfall of what carries consult_first
    # (its steps: baseline, its pathways, the interaction, the policy) and its signposts
    assert page.locator("#robustness-table tr[data-policy='consult_first']").count() == 1
    waterfall = page.locator("#pathways .chart")
    assert waterfall.count() == 1
    steps = waterfall.evaluate("el => el.querySelectorAll('.main-svg .point').length")
    assert steps >= 4
    assert "consult_first" in page.locator("#signposts").inner_text()
    page.screenshot(path=str(artifact_path("report-top.png")))
    page.screenshot(path=str(artifact_path("report-full.png")), full_page=True)
    offline_page.check()


def test_report_content_security_policy_forbids_requests(offline_page, report_file) -> None:
    """Even a script that tries to fetch from the network cannot: the page's CSP blocks it,
    and the attempt shows as a console error."""
    path, _ = report_file
    page = offline_page.page
    page.goto(path.as_uri(), wait_until="load")
    blocked = "https://example.invalid/x.png"
    page.evaluate(f"() => {{ const i = new Image(); i.src = '{blocked}'; }}")
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in e for e in offline_page.console_errors)
    assert "csp" in offline_page.failed.get(blocked, "").lower()
    assert offline_page.blocked == []  # the browser stopped it before it reached the network
    offline_page.console_errors.clear()
    offline_page.requests.remove(blocked)
