"""The "Past runs" tab: the experiment store's runs, newest first, to reopen or delete.

It lists what ``alliancesim runs`` lists (runs made here or on the command line alike). Open
shows a run's charts in the ensemble tab; Delete asks for confirmation, then removes the run
from the store (catalogue rows first, then files), as ``alliancesim delete`` does.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from alliancesim.errors import InputError
from alliancesim.store import RunRecord, StoreBusyError
from alliancesim.web import values
from alliancesim.web.components import card, help_text, problem_list
from alliancesim.web.context import Dashboard

__all__ = ["layout", "register", "runs_table"]


def layout(dashboard: Dashboard) -> html.Div:
    """The tab's page."""
    return card(
        [
            html.Div(
                [
                    html.H2("Past runs"),
                    html.Button("Refresh", id="refresh-runs", className="secondary"),
                ],
                className="title-row",
            ),
            help_text(
                f"Every run kept in the store at {dashboard.store.home}, newest first — made "
                "here or with `alliancesim run`. Open one to see its charts and download its "
                "report or data."
            ),
            html.Div(id="runs-status", role="status"),
            html.Div(id="runs-list"),
            dcc.ConfirmDialog(id="confirm-delete"),
            dcc.Store(id="pending-delete"),
        ],
        className="runs",
    )


def _pct(record: RunRecord) -> str:
    if record.p_decoupling is None:
        return "—"
    return f"{100 * record.p_decoupling:.1f} %"


def runs_table(records: list[RunRecord]) -> Any:
    """The store's runs as a table with Open and Delete buttons."""
    if not records:
        return html.P("The store holds no runs yet: run an ensemble first.", className="note")
    head = html.Tr(
        [
            html.Th("run"),
            html.Th("scenario"),
            html.Th("started (UTC)"),
            html.Th("worlds", className="num"),
            html.Th("seed", className="num"),
            html.Th("policies"),
            html.Th("P(decoupling), baseline", className="num"),
            html.Th(""),
        ]
    )
    rows = []
    for r in records:
        rows.append(
            html.Tr(
                [
                    html.Td(html.Code(r.run_id)),
                    html.Td([r.scenario_id, html.Div(r.scenario_title, className="small")]),
                    html.Td(r.started.strftime("%Y-%m-%d %H:%M"), className="when"),
                    html.Td(f"{r.members:,}", className="num"),
                    html.Td(str(r.seed), className="num"),
                    html.Td(html.Span(", ".join(r.policies), className="small")),
                    html.Td(_pct(r), className="num"),
                    html.Td(
                        [
                            html.Button(
                                "Open",
                                id={"type": "open-run", "run": r.run_id},
                                className="secondary small-button",
                            ),
                            html.Button(
                                "Delete",
                                id={"type": "delete-run", "run": r.run_id},
                                className="danger small-button",
                            ),
                        ],
                        className="actions",
                    ),
                ],
                id=f"run-row-{r.run_id}",
            )
        )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="table", id="runs-table")


class RunList:
    """The store's run list, re-read at most every ``ttl`` seconds (every visitor's tab asks
    for it) and at once after a change made here."""

    def __init__(self, dashboard: Dashboard, ttl: float = 2.0):
        self.dashboard = dashboard
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, list[RunRecord]] | None = None

    def runs(self, *, fresh: bool = False) -> list[RunRecord]:
        """The complete runs, newest first."""
        with self._lock:
            cached = self._cached
        if fresh or cached is None or time.monotonic() - cached[0] > self.ttl:
            cached = (time.monotonic(), self.dashboard.store.runs())
            with self._lock:
                self._cached = cached
        return cached[1]


def register(app: Dash, dashboard: Dashboard) -> None:
    """The tab's callbacks."""
    run_list = RunList(dashboard)

    @app.callback(
        Output("runs-list", "children"),
        Output("runs-status", "children"),
        Input("tabs", "value"),
        Input("refresh-runs", "n_clicks"),
        Input("selected-run", "data"),
        Input("confirm-delete", "submit_n_clicks"),
        State("pending-delete", "data"),
    )
    def list_runs(tab: Any, _refresh: Any, _selected: Any, confirmed: Any, pending: Any) -> Any:
        status: Any = ""
        if ctx.triggered_id == "confirm-delete" and values.clicked(confirmed) and pending:
            try:
                run_id = values.run_id(pending)
                if run_id is None:
                    raise InputError.single(
                        "run", f"expected the id of a stored run, got {values.shown(pending)}"
                    )
                if dashboard.store.resolve(run_id) != run_id:  # never a prefix or "latest"
                    raise InputError.single("run", f"no stored run {run_id!r}")
                record = dashboard.store.delete(run_id)
                dashboard.views.forget(record.run_id)
                status = html.Div(f"Deleted run {record.run_id}.", className="ok", id="deleted")
            except InputError as exc:
                status = problem_list(exc.problems, "Not deleted")
            except StoreBusyError as exc:
                status = html.Div(str(exc), className="problems")
        elif tab != "runs" and ctx.triggered_id == "tabs":
            return no_update, no_update
        try:
            fresh = ctx.triggered_id in ("refresh-runs", "selected-run", "confirm-delete")
            records = run_list.runs(fresh=fresh)
        except StoreBusyError as exc:
            return no_update, html.Div(str(exc), className="problems")
        return runs_table(records), status

    @app.callback(
        Output("confirm-delete", "displayed"),
        Output("confirm-delete", "message"),
        Output("pending-delete", "data"),
        Input({"type": "delete-run", "run": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def ask_delete(_clicks: list) -> Any:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(t.get("value") for t in ctx.triggered):
            return no_update, no_update, no_update
        run_id = values.run_id(trigger.get("run"))
        if run_id is None:
            return no_update, no_update, no_update
        return (
            True,
            f"Delete run {run_id} from the store? Its data files are removed too.",
            run_id,
        )
