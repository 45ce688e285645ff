"""The dashboard's server side without a browser: its callbacks through Dash's HTTP protocol
(Flask test client), the run pipeline into the store, downloads, and the serve command."""

from __future__ import annotations

import base64
import io
import json
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest
from plotly.utils import PlotlyJSONEncoder
from typer.testing import CliRunner

from alliancesim.errors import InputError
from alliancesim.web import create_app
from alliancesim.web.ensemble import parquet_zip, prepare_run, report_html, simulate_and_store
from alliancesim.web.results_view import run_view
from dashboard_support import DashboardClient

ACTION = '{"id":["ALL"],"type":"turn-action"}'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("dashboard")
    return create_app(base / "home", workdir=base / "work", warm=False)


@pytest.fixture(scope="module")
def dashboard_client(app: Any) -> DashboardClient:
    return DashboardClient(app)


@pytest.fixture(scope="module")
def toy_reference(app: Any, toy_path: Path) -> str:
    from alliancesim.web.upload import accept_upload

    data = "data:text/plain;base64," + base64.b64encode(toy_path.read_bytes()).decode()
    result = accept_upload(data, "toy.toml", app._alliancesim.sources)
    assert result.ok
    return str(result.reference)


def text_of(tree: Any) -> str:
    """All strings in a rendered component tree."""
    if isinstance(tree, str):
        return tree
    if isinstance(tree, list):
        return " ".join(text_of(t) for t in tree)
    if isinstance(tree, dict):
        return " ".join(text_of(v) for k, v in tree.items() if k in ("props", "children"))
    return ""


def test_the_page_and_its_layout_are_served(dashboard_client: DashboardClient) -> None:
    page = dashboard_client.client.get("/")
    assert page.status_code == 200 and b"alliancesim dashboard" in page.data
    layout = dashboard_client.client.get("/_dash-layout").get_data(as_text=True)
    for component in ("run", "upload", "members", "turn-play", "runs-list", "tabs"):
        assert f'"id":"{component}"' in layout.replace(" ", "")


def test_a_bad_upload_shows_the_line_and_field(
    dashboard_client: DashboardClient, toy_path: Path
) -> None:
    text = toy_path.read_text().replace("capability = 100", 'capability = "lots"')
    line = text.splitlines().index('capability = "lots"') + 1
    contents = "data:application/octet-stream;base64," + base64.b64encode(text.encode()).decode()
    response = dashboard_client.call(
        "upload-status",
        {"upload.contents": contents, "upload.filename": "mine.toml", "uploaded.data": []},
        ["upload.contents"],
    )
    shown = text_of(response["upload-status"]["children"])
    assert f"mine.toml, line {line}" in shown and "actors[0].capability" in shown
    assert "scenario" not in response  # the selection is unchanged


def test_choosing_a_scenario_offers_its_policies_and_ranges(
    dashboard_client: DashboardClient, toy_reference: str
) -> None:
    response = dashboard_client.call(
        "scenario-about", {"scenario.value": toy_reference}, ["scenario.value"]
    )
    assert response["policies"]["value"] == ["baseline", "consult_first", "early_scm"]
    assert "policy.consultation" in json.dumps(response["ranges"]["children"])


def test_three_turns_through_the_callbacks(
    dashboard_client: DashboardClient, toy_reference: str
) -> None:
    setup = {"scenario": toy_reference, "policy": "baseline", "members": 40, "seed": 1}
    game = dashboard_client.call(
        "turn-game",
        {
            "turn-scenario.value": toy_reference,
            "turn-policy.value": "baseline",
            "turn-members.value": 40,
            "turn-seed.value": 1,
            "turn-new.n_clicks": 1,
        },
        ["turn-new.n_clicks"],
    )["turn-game"]["data"]
    assert game == {"setup": setup, "history": []}
    force = [{"id": {"type": "turn-action", "id": "withdrawal"}, "value": "yes"}]
    ids = [{"id": f["id"], "value": f["id"]} for f in force]
    for turn in range(1, 4):
        game = dashboard_client.call(
            "turn-game",
            {
                "turn-game.data": game,
                "turn-play.n_clicks": turn,
                f"{ACTION}.value": force if turn == 1 else [],
                f"{ACTION}.id": ids if turn == 1 else [],
            },
            ["turn-play.n_clicks"],
        )["turn-game"]["data"]
    assert len(game["history"]) == 3
    assert game["history"][0]["actions"] == {"withdrawal": {"happens": True, "consulted": None}}
    shown = dashboard_client.call("turn-report", {"turn-game.data": game}, ["turn-game.data"])
    report = text_of(shown["turn-report"]["children"])
    assert "Turn 3 of 8: 2026Q1" in report
    log = text_of(shown["turn-log"]["children"])
    assert "Washington withdraws a brigade: happens" in log
    assert shown["turn-play"]["children"] == "Play 2026Q2"


def test_an_unknown_move_is_refused_with_its_field(
    dashboard_client: DashboardClient, toy_reference: str
) -> None:
    game = {"setup": {"scenario": toy_reference, "members": 40}, "history": [{"levers": {"x": 1}}]}
    response = dashboard_client.call(
        "turn-game", {"turn-game.data": game, "turn-play.n_clicks": 1}, ["turn-play.n_clicks"]
    )
    assert "levers" in text_of(response["turn-error"]["children"])


def test_run_requests_are_checked(app: Any, toy_reference: str) -> None:
    dashboard = app._alliancesim
    scenario, names, members, seed = prepare_run(
        dashboard, toy_reference, ["consult_first"], "consult_first+early_scm", 50, 3, None
    )
    assert names == ["baseline", "consult_first", "consult_first+early_scm"]
    assert (members, seed, scenario.id) == (50, 3, "toy")
    with pytest.raises(InputError) as caught:
        prepare_run(dashboard, toy_reference, [], "consult_first+nothing", 5, -1, None)
    assert {p.field for p in caught.value.problems} == {"members", "seed"}
    with pytest.raises(InputError) as caught:
        prepare_run(dashboard, toy_reference, [], "consult_first+nothing", 50, 0, None)
    assert [p.field for p in caught.value.problems] == ["consult_first+nothing"]


def test_a_run_is_stored_shown_downloaded_and_deleted(
    app: Any, dashboard_client: DashboardClient, toy_reference: str
) -> None:
    dashboard = app._alliancesim
    scenario, names, members, seed = prepare_run(
        dashboard,
        toy_reference,
        ["consult_first", "early_scm"],
        "",
        64,
        0,
        [{"parameter": "policy.consultation", "low": 0.0, "high": 0.1}],
    )
    blocks: list[tuple[int, int]] = []
    run_id = simulate_and_store(
        dashboard, scenario, names, members, seed, on_block=lambda d, t: blocks.append((d, t))
    )
    assert blocks == [(1, 1)]
    record = dashboard.store.get(run_id)
    assert record.members == 64 and record.claims_evaluated
    [verdict] = dashboard.store.claim_verdicts(run_id)
    assert verdict["claim_id"] == "consulting_lowers_fear"
    view = json.dumps(run_view(dashboard, run_id), cls=PlotlyJSONEncoder)
    for component in ("decoupling-chart", "ranking-chart", "claims-chart", "fan-chart"):
        assert f'"id": "{component}"' in view.replace('"id":"', '"id": "')
    assert "Toy alliance" in report_html(dashboard, run_id)
    with zipfile.ZipFile(io.BytesIO(parquet_zip(dashboard, run_id))) as archive:
        names_in_zip = {Path(n).name for n in archive.namelist()}
    assert {"trajectories.parquet", "parameters.parquet", "summary.json"} <= names_in_zip

    listed = dashboard_client.call(
        "runs-list",
        {"tabs.value": "runs", "refresh-runs.n_clicks": 1},
        ["refresh-runs.n_clicks"],
    )
    assert run_id in json.dumps(listed["runs-list"]["children"])
    asked = dashboard_client.call(
        "confirm-delete",
        {
            '{"run":["ALL"],"type":"delete-run"}.n_clicks': [
                {"id": {"type": "delete-run", "run": run_id}, "value": 1}
            ]
        },
        ['{"run":"' + run_id + '","type":"delete-run"}.n_clicks'],
    )
    assert asked["confirm-delete"]["displayed"] is True
    deleted = dashboard_client.call(
        "runs-list",
        {"confirm-delete.submit_n_clicks": 1, "pending-delete.data": run_id, "tabs.value": "runs"},
        ["confirm-delete.submit_n_clicks"],
    )
    assert f"Deleted run {run_id}" in text_of(deleted["runs-status"]["children"])
    assert not dashboard.store.runs()


def test_serve_refuses_a_busy_port() -> None:
    from alliancesim.cli import app as cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert isinstance(result.exception, InputError)
    assert result.exception.problems[0].file == "--port"
