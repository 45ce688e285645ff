"""The dashboard's access token and run limit in headless Chromium, end to end: the address
``alliancesim serve`` printed lets the browser in (a cookie, then the clean address), a run
still works, and a run over the limit is refused in the page at once.

The limit is reached without timing: this test holds the server's only run slot itself (the
same kernel lock a running job holds), presses Run, and sees the refusal.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from alliancesim.store.locks import hold_owner_lock

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 240_000  # ms


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, start_dashboard) -> Iterator[object]:
    """``alliancesim serve --max-runs 1`` on an empty store."""
    with start_dashboard(tmp_path_factory.mktemp("serve-access"), "--max-runs", "1") as server:
        yield server


def test_without_the_token_the_page_says_how_to_get_in(served) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(served.url, timeout=30)
    assert refused.value.code == 403
    body = refused.value.read().decode()
    assert "Access token needed" in body and "?token=" in body


def test_the_token_address_lets_the_browser_in_and_run(watched_page, served, artifact_path) -> None:
    page = watched_page.page
    page.goto(served.token_url)
    assert page.url == served.url  # redirected to the clean address
    [cookie] = [c for c in page.context.cookies() if c["name"].startswith("alliancesim-token")]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["value"] == served.token
    page.wait_for_selector("#scenario-about strong", timeout=60_000)
    assert page.get_attribute("#members", "max") == "100000"

    page.fill("#members", "20")
    page.click("#run")
    page.wait_for_selector("#results-title", timeout=RUN_TIMEOUT)
    assert "20 plausible worlds" in page.inner_text("#results-facts")

    # the only run slot is taken (as by a run going in another process): refused at once
    fd = hold_owner_lock(served.workdir / "run-slots" / "slot-0.lock")
    try:
        page.click("#run")
        page.wait_for_selector("#run-busy", timeout=60_000)
        text = page.inner_text("#run-busy")
        assert "1 run is already going" in text and "--max-runs" in text
        page.screenshot(path=artifact_path("dashboard-run-refused.png"))
    finally:
        os.close(fd)
    page.wait_for_selector("#run:not([disabled])", timeout=30_000)
