"""The dashboard in headless Chromium, as a wargame designer uses it: load the page, run a small
ensemble of the 2025 scenario and see its charts and tables, upload a broken scenario file and
see the problem with its line and field, play three turns. Screenshots go to test-artifacts/.

The server is ``alliancesim serve`` in a subprocess on a free loopback port, with its own
store, opened at the address it printed (with its access token); the page must make no request
off this machine and log no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[1] / "web" / "data"
RUN_TIMEOUT = 240_000  # ms: a 50-world run of every default policy, on a loaded CI machine


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory, start_dashboard) -> Iterator[str]:
    """The address ``alliancesim serve`` printed (with its token), on an empty store."""
    with start_dashboard(tmp_path_factory.mktemp("serve")) as served:
        yield served.token_url


def open_dashboard(watched_page, url: str):
    page = watched_page.page
    page.goto(url)
    page.wait_for_selector("#scenario-about strong", timeout=60_000)
    return page


def test_the_dashboard_opens_on_the_2025_scenario(watched_page, dashboard_url, artifact_path):
    page = open_dashboard(watched_page, dashboard_url)
    assert page.title() == "alliancesim dashboard"
    assert "us-rok-2025" in page.inner_text("#scenario")
    assert "Alliance decoupling" in page.inner_text("#scenario-about")
    checked = page.locator("#policies input:checked")
    assert checked.count() >= 2  # baseline and the scenario's policies, ready to run
    assert page.input_value("#members") == "1000"
    page.screenshot(path=artifact_path("dashboard-load.png"), full_page=True)


def test_a_small_ensemble_runs_and_shows_the_report_s_charts(
    watched_page,
    dashboard_url,
    artifact_path,
) -> None:
    page = open_dashboard(watched_page, dashboard_url)
    policies = page.locator("#policies input:checked").count()
    page.fill("#members", "50")
    page.click("#run")
    page.wait_for_selector("#progress-box[style*='block']", timeout=20_000)
    assert page.is_disabled("#run") and not page.is_disabled("#cancel")
    page.screenshot(path=artifact_path("dashboard-running.png"))
    page.wait_for_selector("#results-title", timeout=RUN_TIMEOUT)
    for chart in ("#decoupling-chart", "#ranking-chart", "#fan-chart"):
        page.wait_for_selector(f"{chart} .main-svg", timeout=30_000)
    assert page.locator("#ranking-table tbody tr").count() == policies
    assert page.locator("#claims-chart .main-svg, #claims-note").count() >= 1
    assert "P(decoupling by 2029Q4) under baseline" in page.inner_text(".headline")
    assert "50 plausible worlds" in page.inner_text("#results-facts")
    # robust recommendations: every option (baseline and the recommendations) with its regret
    rows = page.locator("#robustness-table tbody tr")
    assert 2 <= rows.count() <= policies
    assert page.locator("#robustness-table tr[data-policy='baseline'] .regret").count() == 1
    assert page.inner_text("#robustness-disagreements").strip()
    page.wait_for_timeout(500)
    page.screenshot(path=artifact_path("dashboard-run.png"), full_page=True)

    # the run is in the store: listed, then deleted after confirmation
    page.click("text=Past runs")
    page.wait_for_selector("#runs-table", timeout=30_000)
    run_id = page.inner_text("#results-facts").split()[1]
    assert run_id in page.inner_text("#runs-table")
    page.screenshot(path=artifact_path("dashboard-past-runs.png"), full_page=True)
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.click(f"#run-row-{run_id} >> text=Open")  # reopened in the ensemble tab
    page.wait_for_selector("#pane-ensemble #results-title", state="visible", timeout=30_000)
    page.click("text=Past runs")
    page.wait_for_selector("#runs-table", state="visible", timeout=30_000)
    # the list is redrawn when the tab opens: click Delete on the redrawn list, not the old one
    page.wait_for_load_state("networkidle", timeout=60_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#run-row-{run_id} >> text=Delete")
    page.wait_for_selector("#deleted", timeout=30_000)
    assert run_id not in page.inner_text("#runs-list")


def test_a_broken_scenario_upload_shows_its_line_and_field(
    watched_page,
    dashboard_url,
    artifact_path,
) -> None:
    page = open_dashboard(watched_page, dashboard_url)
    bad = DATA / "bad.toml"
    line = bad.read_text().splitlines().index('capability = "lots"') + 1
    page.set_input_files("#upload input[type=file]", str(bad))
    page.wait_for_selector("#upload-problems", timeout=30_000)
    shown = page.inner_text("#upload-problems")
    assert f"bad.toml, line {line}" in shown
    assert "actors[0].capability" in shown and "got 'lots'" in shown
    assert "us-rok-2025" in page.inner_text("#scenario")  # the selection did not change
    page.screenshot(path=artifact_path("dashboard-upload-error.png"))
    page.set_input_files("#upload input[type=file]", str(DATA / "toy.toml"))
    page.wait_for_selector("#upload-ok", timeout=30_000)
    assert "Toy alliance" in page.inner_text("#scenario")
    # its policies replace the 2025 ones (and the page logs no error doing so)
    page.wait_for_function(
        "() => document.querySelector('#policies').innerText.includes('early_scm')",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    assert "consult_first" in page.inner_text("#policies")


def test_three_turns_of_the_2025_scenario(watched_page, dashboard_url, artifact_path) -> None:
    page = open_dashboard(watched_page, dashboard_url)
    page.click("text=Play turns (wargame)")
    page.wait_for_selector("#turn-form fieldset", timeout=60_000)
    assert "Turn 1 of 18: 2025Q3" in page.inner_text("#turn-header")
    # the first quarter: Washington withdraws the Stryker brigade and only informs Seoul
    page.locator("[id*='stryker_withdrawal'][id*='turn-action'] >> text=do it").click()
    page.locator("[id*='stryker_withdrawal'][id*='turn-consult'] >> text=only inform").click()
    page.screenshot(path=artifact_path("dashboard-turn-choices.png"))
    expected = ["2025Q3", "2025Q4", "2026Q1"]
    for turn, period in enumerate(expected, 1):
        page.click("#turn-play")
        page.wait_for_function(
            "text => (document.querySelector('#turn-title') || {}).innerText === text",
            arg=f"Turn {turn} of 18: {period}",
            timeout=60_000,
        )
    log = page.locator("#turn-log li")
    assert log.count() == 3
    assert (
        "Stryker brigade" in log.nth(0).inner_text() and "only informed" in log.nth(0).inner_text()
    )
    assert "%" in page.inner_text("#turn-risk")
    for chart in ("#turn-shift", "#turn-fan", "#turn-decoupling"):
        page.wait_for_selector(f"{chart} .main-svg", timeout=30_000)
    assert "Turn 4 of 18: 2026Q2" in page.inner_text("#turn-header")
    page.wait_for_timeout(500)
    page.screenshot(path=artifact_path("dashboard-three-turns.png"), full_page=True)
