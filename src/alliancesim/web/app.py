"""The dashboard: a Dash app with three tabs — run an ensemble, play turns, past runs.

``create_app()`` builds the app around an experiment store and a working directory (uploads and
the background-job cache). Everything the page shows is drawn by the report's figure functions
or the turn session; every input is checked by the same validators as the command line.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from pathlib import Path

from dash import Dash, Input, Output, dcc, html

from alliancesim.store import Store
from alliancesim.web import ensemble, past_runs, wargame
from alliancesim.web.context import Dashboard
from alliancesim.web.games import GameSetup
from alliancesim.web.jobs import JobManager, gate
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
    warm: bool = True,
) -> Dash:
    """The dashboard app on the experiment store at ``home`` (default: the usual store).

    ``workdir`` keeps uploads and the background-job cache (default: a fresh temporary
    directory). With ``warm``, a first game step is played in a background thread so the first
    visitor does not wait for imports.
    """
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="alliancesim-serve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store = Store(home) if home is not None else Store()
    dashboard = Dashboard.at(workdir, store, upload_limit)
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
    gate.install(app.server)  # runs are forked only between requests (web/jobs.py)
    app._alliancesim = dashboard  # type: ignore[attr-defined]  # for tests and the CLI
    if warm:
        threading.Thread(target=warm_up, args=(dashboard,), daemon=True).start()
    return app


def warm_up(dashboard: Dashboard) -> None:
    """Load the default scenario and play one turn, so imports and caches are ready."""
    try:
        dashboard.games.session(GameSetup(members=10), [{}])
    except Exception:  # a broken default scenario shows in the page, not here
        log.exception("warm-up failed")
