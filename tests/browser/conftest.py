"""Shared browser fixtures: Debian's headless Chromium, and a page that records console errors
and every network request, failing the test on any request that leaves the machine.

Use ``offline_page`` (or ``watched_page`` for loopback servers such as the dashboard)::

    def test_x(offline_page):
        offline_page.page.goto(url)
        ...
        offline_page.check()          # also called automatically at teardown

Screenshots go to ``test-artifacts/`` (gitignored): ``artifact_path("name.png")`` (a fixture).

``start_dashboard(base, *options)`` (a fixture giving :func:`serve_dashboard`) starts ``alliancesim serve`` on a free loopback port with its own
store and gives a :class:`ServedDashboard`: the address it printed (with its access token), the
clean address, the token, its work directory.
"""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL_SCHEMES = {"file", "about", "data", "blob"}


def artifact_file(name: str) -> Path:
    """Where a test saves an artifact (screenshot, HTML dump) for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9._-]+", "-", name)


@pytest.fixture
def artifact_path() -> Callable[[str], Path]:
    """``artifact_path("report.png")``: a path in test-artifacts/ for a screenshot or dump."""
    return artifact_file


def is_local(url: str) -> bool:
    """True for file:, about:, data:, blob: URLs and anything on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's Chromium headless (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop-sized window, no service workers."""
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "service_workers": "block",
    }


@dataclass
class WatchedPage:
    """A Playwright page with what it logged and requested."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # url -> why it failed

    def external_requests(self) -> list[str]:
        """Requests to anything but file:, about:, data:, blob: or loopback."""
        return [u for u in self.requests if not is_local(u)]

    def check(self) -> None:
        """Fail if the page logged an error, threw, or asked for anything off this machine."""
        assert not self.page_errors, f"uncaught errors in the page: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.external_requests(), f"network requests: {self.external_requests()}"


@pytest.fixture
def watched_page(page) -> Iterator[WatchedPage]:
    """The pytest-playwright page, recording console errors and every request; requests off
    this machine are aborted and fail the test."""
    watched = WatchedPage(page)
    page.on(
        "console",
        lambda msg: watched.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
    page.on("request", lambda request: watched.requests.append(request.url))
    page.on(
        "requestfailed",
        lambda request: watched.failed.__setitem__(request.url, request.failure or ""),
    )

    def guard(route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            watched.blocked.append(url)
            route.abort()

    page.context.route("**/*", guard)
    yield watched
    watched.check()


@pytest.fixture
def offline_page(watched_page: WatchedPage) -> WatchedPage:
    """A watched page for documents that must work with no server at all (the HTML report)."""
    return watched_page


# --------------------------------------------------------------------------------------------
# the dashboard as a server


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ServedDashboard:
    """A running ``alliancesim serve``: what it printed, and where it keeps things."""

    token_url: str  # the address printed at start, with ?token=
    url: str  # the clean address
    token: str
    port: int
    workdir: Path
    log: Path


@contextmanager
def serve_dashboard(base: Path, *options: str) -> Iterator[ServedDashboard]:
    """``alliancesim serve`` on a free loopback port with an empty store of its own, until the
    block ends (then the server and any run it forked are stopped)."""
    port = free_port()
    script = Path(sys.executable).with_name("alliancesim")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from alliancesim.cli import main; main()"]
    )
    log_path = base / "serve.log"
    log = log_path.open("w")
    work = base / "work"
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workdir", str(work), *options],
        env={**os.environ, "ALLIANCESIM_HOME": str(base / "home")},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            found = re.search(r"http://\S+\?token=([A-Za-z0-9_-]+)", log_path.read_text())
            if found:
                token = found.group(1)
                probe = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"Authorization": f"token {token}"}
                )
                try:
                    with urllib.request.urlopen(probe, timeout=2):
                        break
                except OSError:
                    pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start: {log_path.read_text()}")
            time.sleep(0.3)
        url = f"http://127.0.0.1:{port}/"
        yield ServedDashboard(f"{url}?token={token}", url, token, port, work, log_path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and any run it forked
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def start_dashboard() -> Callable[..., Any]:
    """:func:`serve_dashboard`, for fixtures of any scope: ``with start_dashboard(base) as d``."""
    return serve_dashboard
