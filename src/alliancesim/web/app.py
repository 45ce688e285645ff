"""The dashboard: a Dash app with three tabs — run an ensemble, play turns, past runs.

``create_app()`` builds the app around an experiment store and a working directory (uploads,
the background-job cache and the run slots), with its limits (runs at once, worlds per run,
free disk to keep) and its guard (accepted Host names, access token, the shape of callback
requests: :mod:`alliancesim.web.security`). Everything the page shows is drawn by the report's
figure functions or the turn session; every input is checked by the same validators as the
command line, and a request the callbacks did not foresee gets a message in the page, never a
traceback (the traceback goes to the server's log).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, dcc, html, set_props
from dash.exceptions import DependencyException
from flask import Response

from alliancesim.store import Store
from alliancesim.web import ensemble, past_runs, wargame
from alliancesim.web.context import Dashboard
from alliancesim.web.games import GameSetup
from alliancesim.web.jobs import JobManager, gate
from alliancesim.web.limits import (
    DEFAULT_DISK_RESERVE,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RUNS,
    Limits,
)
from alliancesim.web.security import Guard
from alliancesim.web.style import CSS
from alliancesim.web.upload import MAX_UPLOAD_BYTES

__all__ = ["create_app", "page", "warm_up"]

log = logging.getLogger(__name__)

TABS = (
    ("ensemble", "Run an ensemble"),
    ("turns", "Play turns (wargame)"),
    ("runs", "Past runs"),
)

INDEX = (
    """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
<style>"""
    + CSS
    + """</style>
</head>
<body>
{%app_entry%}
<footer>
{%config%}
{%scripts%}
{%renderer%}
</footer>
</body>
</html>"""
)


def page(dashboard: Dashboard) -> html.Div:
    """The whole page (built afresh for each visitor, with its own client id)."""
    panes = {
        "ensemble": ensemble.layout(dashboard),
        "turns": wargame.layout(dashboard),
        "runs": past_runs.layout(dashboard),
    }
    return html.Div(
        [
            html.Header(
                [
                    html.Div(
                        [
                            html.Span("alliancesim", className="brand"),
                            html.Span(
                                "the U.S.–South Korea alliance as an exploratory ensemble model",
                                className="tagline",
                            ),
                        ]
                    ),
                    dcc.Tabs(
                        id="tabs",
                        value="ensemble",
                        children=[dcc.Tab(label=label, value=value) for value, label in TABS],
                        className="tabs",
                    ),
                ],
                className="top",
            ),
            html.Div(id="server-error", role="alert"),
            html.Main(
                [
                    html.Div(pane, id=f"pane-{name}", className="pane")
                    for name, pane in panes.items()
                ]
            ),
            dcc.Store(id="client", data=uuid.uuid4().hex),
            dcc.Store(id="uploaded", storage_type="session", data=[]),
            dcc.Store(id="selected-run"),
            dcc.Store(id="finished-run"),
        ],
        className="page",
    )


def create_app(
    home: Path | None = None,
    *,
    workdir: Path | None = None,
    upload_limit: int = MAX_UPLOAD_BYTES,
    max_runs: int = DEFAULT_MAX_RUNS,
    max_members: int = DEFAULT_MAX_MEMBERS,
    disk_reserve: int = DEFAULT_DISK_RESERVE,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
    warm: bool = True,
) -> Dash:
    """The dashboard app on the experiment store at ``home`` (default: the usual store).

    ``workdir`` keeps uploads, the background-job cache and the run slots (default: a fresh
    temporary directory). Limits: at most ``max_runs`` ensemble runs at once across all
    visitors and processes, ``max_members`` plausible worlds per run, and a run must leave
    ``disk_reserve`` bytes free on the store's disk. ``token``: every request needs it (see
    :mod:`alliancesim.web.security`); None needs none (tests, embedding). ``allowed_hosts``:
    the Host header values answered (e.g. :func:`alliancesim.web.security.allowed_hosts`);
    None answers any. With ``warm``, a first game step is played in a background thread so
    the first visitor does not wait for imports.
    """
    limits = Limits(max_runs=max_runs, max_members=max_members, disk_reserve=disk_reserve)
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="alliancesim-serve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store = Store(home) if home is not None else Store()
    dashboard = Dashboard.at(workdir, store, upload_limit, limits)
    manager = JobManager(str(workdir / "jobs"))
    app = Dash(
        __name__,
        title="alliancesim dashboard",
        update_title=None,
        background_callback_manager=manager,
        suppress_callback_exceptions=True,
        index_string=INDEX,
        assets_folder=str(workdir / "no-assets"),
        serve_locally=True,
        on_error=unexpected_error,
    )
    # the largest legitimate request is an upload: base64 (4/3) inside a JSON payload
    app.server.config["MAX_CONTENT_LENGTH"] = upload_limit * 2 + 256 * 1024
    app.layout = lambda: page(dashboard)
    app.clientside_callback(
        """function(tab) {
            return ["ensemble", "turns", "runs"].map(
                name => ({display: name === tab ? "block" : "none"}));
        }""",
        [Output(f"pane-{name}", "style") for name, _ in TABS],
        Input("tabs", "value"),
    )
    ensemble.register(app, dashboard)
    wargame.register(app, dashboard)
    past_runs.register(app, dashboard)
    hosts = frozenset(h.lower() for h in allowed_hosts) if allowed_hosts is not None else None
    Guard(hosts=hosts, token=token, callback_map=app.callback_map).install(app.server)
    gate.install(app.server)  # runs are forked only between requests (web/jobs.py)
    app.server.register_error_handler(DependencyException, _not_found)
    app._alliancesim = dashboard  # type: ignore[attr-defined]  # for tests and the CLI
    if warm:
        threading.Thread(target=warm_up, args=(dashboard,), daemon=True).start()
    return app


def unexpected_error(err: Exception) -> Any:
    """What a callback that failed in a way nobody foresaw answers: no change to its outputs,
    a message at the top of the page, and the traceback in the server's log."""
    reference = uuid.uuid4().hex[:8]
    log.error("a callback failed (reference %s)", reference, exc_info=err)
    set_props(
        "server-error",
        {
            "children": html.Div(
                f"The server could not handle that request (reference {reference} in its "
                "log). Reload the page and try again; if it happens again, report it with "
                "the reference.",
                className="problems",
            )
        },
    )
    return None


def _not_found(_exc: Exception) -> Response:
    return Response("not found\n", status=404, mimetype="text/plain")


def warm_up(dashboard: Dashboard) -> None:
    """Load the default scenario and play one turn, so imports and caches are ready."""
    try:
        dashboard.games.session(GameSetup(members=10), [{}])
    except Exception:  # a broken default scenario shows in the page, not here
        log.exception("warm-up failed")
