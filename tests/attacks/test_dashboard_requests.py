"""The corpus of dashboard requests that used to answer HTTP 500 (hardening issue, item 10), and
the client that sends them as the browser's renderer would (tests/dashboard_support.py: Flask's
test client, Dash's callback protocol: :func:`alliancesim.web.client.callback_payload`).

Each case names the component whose callback it calls, the values the page would send (any
JSON: an attacker or a careless script sends what it likes), the input that changed, the answer
expected now (HTTP status and a text the answer must contain) and what the server did before
(``was``, as found by fuzzing every callback with malformed, unknown, wrong-typed and oversized
values). ``{run}`` stands for the id of a stored run, ``{toy}`` for the uploaded toy scenario.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dashboard_support import DashboardClient

TOY = Path(__file__).resolve().parents[1] / "web" / "data" / "toy.toml"

ACTION = '{"id":["ALL"],"type":"turn-action"}'
DELETE = '{"run":["ALL"],"type":"delete-run"}'
OPEN = '{"run":["ALL"],"type":"open-run"}'
LOW = '{"name":["ALL"],"type":"range-low"}'
HIGH = '{"name":["ALL"],"type":"range-high"}'
GAME = {
    "setup": {"scenario": "{toy}", "policy": "baseline", "members": 20, "seed": 0},
    "history": [],
}


@dataclass(frozen=True)
class Case:
    """One callback request, what it must get now, and what it got before."""

    name: str
    component: str  # a component the callback writes (names the callback)
    values: dict[str, Any]
    changed: list[str]
    status: int  # expected now
    shows: str  # expected in the answer now ("" for nothing in particular)
    was: str  # what the server answered before
    background: bool = False  # the Run callback: started, then polled


@dataclass(frozen=True)
class ProtocolCase:
    """A request to the callback endpoint that is not a well-formed callback."""

    name: str
    body: bytes
    status: int
    shows: str
    was: str
    content_type: str = "application/json"
    query: dict[str, str] = field(default_factory=dict)


def _run(**changes: Any) -> dict[str, Any]:
    values = {
        "run.n_clicks": 1,
        "client.data": "attack",
        "scenario.value": "{toy}",
        "policies.value": ["baseline"],
        "combinations.value": "",
        "members.value": 20,
        "seed.value": 0,
    }
    values.update(changes)
    return values


CASES = [
    # downloads: the "downloads with an invalid run id"
    Case(
        "download the report of a malformed run id",
        "download-report",
        {"download-report-button.n_clicks": 1, "selected-run.data": "../../etc/passwd"},
        ["download-report-button.n_clicks"],
        200,
        "expected a run id",
        "500 (InputError raised in the callback)",
    ),
    Case(
        "download the report of an unknown run",
        "download-report",
        {"download-report-button.n_clicks": 1, "selected-run.data": "20250701T120000-000000"},
        ["download-report-button.n_clicks"],
        200,
        "no stored run",
        "500 (InputError raised in the callback)",
    ),
    Case(
        "download the data of an unknown run",
        "download-data",
        {"download-data-button.n_clicks": 1, "selected-run.data": "20250701T120000-000000"},
        ["download-data-button.n_clicks"],
        200,
        "no stored run",
        "500 (InputError raised in the callback)",
    ),
    Case(
        "download the data of a run id that is a number",
        "download-data",
        {"download-data-button.n_clicks": 1, "selected-run.data": 5},
        ["download-data-button.n_clicks"],
        200,
        "expected a run id",
        "500 (TypeError in the store's id check)",
    ),
    Case(
        "download the data of a prefix of a run id",
        "download-data",
        {"download-data-button.n_clicks": 1, "selected-run.data": "latest"},
        ["download-data-button.n_clicks"],
        200,
        "no stored run",
        "200: the store's newest run (prefixes and 'latest' resolved)",
    ),
    # a stored run's charts
    Case(
        "open a run whose id is not text",
        "results",
        {"selected-run.data": ["a", "b"]},
        ["selected-run.data"],
        200,
        "This run cannot be shown",
        "500 (TypeError)",
    ),
    Case(
        "fan chart of an unknown quantity",
        "fan-chart",
        {"fan-quantity.value": "no_such_quantity", "selected-run.data": "{run}"},
        ["fan-quantity.value"],
        200,
        "this run has no quantity",
        "500 (DuckDB BinderException: the name was spliced into SQL)",
    ),
    Case(
        "fan chart of SQL spliced into the quantity",
        "fan-chart",
        {
            "fan-quantity.value": "cohesion\", [0.5]) FROM read_text('/etc/hostname') --",
            "selected-run.data": "{run}",
        },
        ["fan-quantity.value"],
        200,
        "this run has no quantity",
        "500 (DuckDB parsed and ran the spliced text)",
    ),
    Case(
        "fan chart of an unknown run",
        "fan-chart",
        {"fan-quantity.value": "cohesion", "selected-run.data": "20250701T120000-000000"},
        ["fan-quantity.value"],
        200,
        "no stored run",
        "500 (InputError)",
    ),
    Case(
        "a finished run that is not an object",
        "selected-run",
        {"finished-run.data": "not a run"},
        ["finished-run.data"],
        200,
        "",
        "500 (TypeError: string indices)",
    ),
    Case(
        "open a run whose button names no run id",
        "selected-run",
        {f"{OPEN}.n_clicks": [{"id": {"type": "open-run", "run": 7}, "value": 1}]},
        ['{"run":7,"type":"open-run"}.n_clicks'],
        200,
        "",
        "200 selecting run 7, then 500 showing it",
    ),
    # scenarios and uploads
    Case(
        "choose a scenario that is not text",
        "scenario-about",
        {"scenario.value": {"path": "/etc/passwd"}},
        ["scenario.value"],
        200,
        "unknown scenario",
        "500 (TypeError in the reference check)",
    ),
    Case(
        "upload contents that are not text",
        "upload-status",
        {"upload.contents": 12345, "upload.filename": "x.toml", "uploaded.data": []},
        ["upload.contents"],
        200,
        "unexpected form",
        "500 (AttributeError)",
    ),
    Case(
        "upload with a file name that is not text",
        "upload-status",
        {
            "upload.contents": "data:text/plain;base64,eA==",
            "upload.filename": ["a", "b"],
            "uploaded.data": [],
        },
        ["upload.contents"],
        200,
        "scenario.toml",
        "500 (TypeError in safe_name)",
    ),
    Case(
        "upload with a list of uploads that is not a list",
        "upload-status",
        {
            "upload.contents": "data:text/plain;base64,eA==",
            "upload.filename": "x.toml",
            "uploaded.data": 5,
        },
        ["upload.contents"],
        200,
        "was not loaded",
        "500 (TypeError: not iterable)",
    ),
    Case(
        "the list of uploads is a number",
        "turn-scenario",
        {"uploaded.data": 5},
        ["uploaded.data"],
        200,
        "builtin:us-rok-2025",
        "500 (TypeError: not iterable)",
    ),
    Case(
        "the list of uploads names a file path",
        "turn-scenario",
        {"uploaded.data": [{"label": "x", "value": "/etc/passwd"}]},
        ["uploaded.data"],
        200,
        "builtin:us-rok-2025",
        "200, offering '/etc/passwd' as a scenario (refused when chosen)",
    ),
    # the wargame
    Case(
        "policies of a scenario that is not text",
        "turn-policy",
        {"turn-scenario.value": 5},
        ["turn-scenario.value"],
        200,
        '"options":[]',
        "500 (TypeError)",
    ),
    Case(
        "play a turn of a game that is not an object",
        "turn-game",
        {"turn-game.data": "a game", "turn-play.n_clicks": 1},
        ["turn-play.n_clicks"],
        200,
        "",
        "500 (AttributeError)",
    ),
    Case(
        "show a game whose moves are not objects",
        "turn-report",
        {"turn-game.data": {**GAME, "history": [5]}},
        ["turn-game.data"],
        200,
        "move 1 is not in the form the page keeps",
        "500 (AttributeError in TurnChoices.from_dict)",
    ),
    Case(
        "show a game whose set-up is not an object",
        "turn-report",
        {"turn-game.data": {"setup": 5, "history": []}},
        ["turn-game.data"],
        200,
        "set-up is not in the form",
        "500 (AttributeError)",
    ),
    Case(
        "fan chart of a game whose moves are not a list",
        "turn-fan",
        {"turn-quantity.value": "cohesion", "turn-game.data": {**GAME, "history": 5}},
        ["turn-game.data"],
        200,
        "",
        "500 (TypeError)",
    ),
    Case(
        "a game of infinitely many worlds",
        "turn-report",
        {"turn-game.data": {"setup": {"members": 1e308 * 10}, "history": []}},
        ["turn-game.data"],
        400,
        "not standard JSON",
        "500 (OverflowError: Infinity is accepted by Python's JSON)",
    ),
    Case(
        "play a turn whose form values and fields do not line up",
        "turn-game",
        {
            "turn-game.data": GAME,
            "turn-play.n_clicks": 1,
            f"{ACTION}.value": [
                {"id": {"type": "turn-action", "id": "withdrawal"}, "value": "yes"}
            ],
            f"{ACTION}.id": [],
        },
        ["turn-play.n_clicks"],
        200,
        "the form's values do not match its fields",
        "500 (ValueError from zip(strict=True))",
    ),
    # past runs
    Case(
        "delete through a button that names no run",
        "confirm-delete",
        {f"{DELETE}.n_clicks": [{"id": {"type": "delete-run", "run": 5}, "value": 1}]},
        ['{"run":5,"type":"delete-run"}.n_clicks'],
        200,
        "",
        "200 asking to delete run 5, then a message",
    ),
    Case(
        "delete with a trigger that is not a delete button",
        "confirm-delete",
        {f"{DELETE}.n_clicks": [{"id": {"type": "range-low", "name": 5}, "value": 1}]},
        ['{"name":5,"type":"range-low"}.n_clicks'],
        400,
        "is not an input of this callback",
        "500 (KeyError 'run')",
    ),
    Case(
        "confirm deleting a run by a prefix of its id",
        "runs-list",
        {
            "confirm-delete.submit_n_clicks": 1,
            "pending-delete.data": "latest",
            "tabs.value": "runs",
        },
        ["confirm-delete.submit_n_clicks"],
        200,
        "no stored run",
        "200, deleting the store's newest run",
    ),
    # running an ensemble (a background job, started then polled)
    Case(
        "run with policies that are not a list",
        "run-error",
        _run(**{"policies.value": "consult_first"}),
        ["run.n_clicks"],
        200,
        "a list of policy names",
        "200, checking each letter of 'consult_first' as a policy name",
        background=True,
    ),
    Case(
        "run whose range columns do not line up",
        "run-error",
        _run(
            **{
                f"{LOW}.value": [
                    {"id": {"type": "range-low", "name": "policy.consultation"}, "value": 0}
                ],
                f"{HIGH}.value": [],
                f"{LOW}.id": [],
            }
        ),
        ["run.n_clicks"],
        200,
        "do not match its parameters",
        "500 when polled (ValueError from zip(strict=True) in the job)",
        background=True,
    ),
    Case(
        "run with a seed the store cannot keep",
        "run-error",
        _run(**{"seed.value": 2**127}),
        ["run.n_clicks"],
        200,
        "a whole number from 0 to 9,223,372,036,854,775,807",
        "simulated, then 'The run failed' when the store could not keep the seed",
        background=True,
    ),
    Case(
        "run with a scenario that is not text",
        "run-error",
        _run(**{"scenario.value": ["builtin:us-rok-2025"]}),
        ["run.n_clicks"],
        200,
        "unknown scenario",
        "500 when polled (TypeError)",
        background=True,
    ),
]


def _nested(depth: int) -> bytes:
    return b'{"output": "results.children", "inputs": ' + b"[" * depth + b"]" * depth + b"}"


PROTOCOL_CASES = [
    ProtocolCase(
        "an upload nested 100,000 deep",
        b'{"output":"..scenario.options...scenario.value...upload-status.children...uploaded.'
        b'data..","inputs":[{"id":"upload","property":"contents","value":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}]}",
        400,
        "nested more than 64 deep",
        "500 (RecursionError in the JSON parser)",
    ),
    ProtocolCase("a request nested 5,000 deep", _nested(5000), 400, "nested", "500"),
    ProtocolCase("a body that is not JSON", b"{", 400, "not JSON", "400"),
    ProtocolCase("a body that is a list", b"[]", 400, "must be a JSON object", "500"),
    ProtocolCase("no output named", b"{}", 400, "names no callback", "500 (KeyError)"),
    ProtocolCase(
        "an output no callback writes",
        json.dumps({"output": "nope.children", "inputs": [], "changedPropIds": []}).encode(),
        400,
        "names no callback",
        "500 (KeyError)",
    ),
    ProtocolCase(
        "a callback that runs in the browser",
        json.dumps(
            {
                "output": "..pane-ensemble.style...pane-turns.style...pane-runs.style..",
                "outputs": [{"id": "pane-ensemble", "property": "style"}] * 3,
                "inputs": [{"id": "tabs", "property": "value", "value": "runs"}],
                "changedPropIds": ["tabs.value"],
            }
        ).encode(),
        400,
        "runs in the browser",
        "500 (KeyError 'callback')",
    ),
    ProtocolCase(
        "inputs missing",
        json.dumps(
            {
                "output": "results.children",
                "outputs": {"id": "results", "property": "children"},
                "changedPropIds": [],
            }
        ).encode(),
        400,
        "inputs must be a list of 1 entries",
        "500 (TypeError: missing argument)",
    ),
    ProtocolCase(
        "an input too many",
        json.dumps(
            {
                "output": "results.children",
                "outputs": {"id": "results", "property": "children"},
                "inputs": [
                    {"id": "selected-run", "property": "data", "value": None},
                    {"id": "x", "property": "y", "value": 1},
                ],
                "changedPropIds": [],
            }
        ).encode(),
        400,
        "inputs must be a list of 1 entries",
        "500 (TypeError: too many arguments)",
    ),
    ProtocolCase(
        "an input for another component",
        json.dumps(
            {
                "output": "results.children",
                "outputs": {"id": "results", "property": "children"},
                "inputs": [{"id": "tabs", "property": "value", "value": "x"}],
                "changedPropIds": [],
            }
        ).encode(),
        400,
        "expected an entry for this component",
        "200 (the value was taken as the run id)",
    ),
    ProtocolCase(
        "outputs missing",
        json.dumps(
            {
                "output": "results.children",
                "inputs": [{"id": "selected-run", "property": "data", "value": None}],
                "changedPropIds": [],
            }
        ).encode(),
        400,
        "outputs must be one entry",
        "500",
    ),
    ProtocolCase(
        "changedPropIds not a list",
        json.dumps(
            {
                "output": "results.children",
                "outputs": {"id": "results", "property": "children"},
                "inputs": [{"id": "selected-run", "property": "data", "value": None}],
                "changedPropIds": 5,
            }
        ).encode(),
        400,
        "changedPropIds must be a list",
        "500 (TypeError)",
    ),
    ProtocolCase(
        "NaN in the request",
        b'{"output":"results.children","outputs":{"id":"results","property":"children"},'
        b'"inputs":[{"id":"selected-run","property":"data","value":NaN}],"changedPropIds":[]}',
        400,
        "not standard JSON",
        "500",
    ),
    ProtocolCase(
        "a body that is not UTF-8",
        b'{"output": "\xff\xfe"}',
        400,
        "not JSON",
        "400",
    ),
    ProtocolCase("a text/plain body", b"x", 400, "not JSON", "415", content_type="text/plain"),
]


def fill(value: Any, names: dict[str, str]) -> Any:
    """The value with ``{run}``, ``{toy}`` replaced everywhere (keys and strings)."""
    if isinstance(value, str):
        return re.sub(r"\{(run|toy)\}", lambda m: names[m.group(1)], value)
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {fill(k, names): fill(v, names) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# the tests


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from alliancesim.web import create_app

    base = tmp_path_factory.mktemp("attacks")
    return create_app(base / "home", workdir=base / "work", warm=False)


@pytest.fixture(scope="module")
def names(app: Any) -> dict[str, str]:
    """The stored run and the uploaded toy scenario the cases refer to."""
    from alliancesim.web.ensemble import prepare_run, simulate_and_store
    from alliancesim.web.upload import accept_upload

    dashboard = app._alliancesim
    data = "data:text/plain;base64," + base64.b64encode(TOY.read_bytes()).decode()
    toy = accept_upload(data, "toy.toml", dashboard.sources).reference
    scenario, policies, members, seed = prepare_run(dashboard, toy, [], "", 20, 0, None)
    run_id = simulate_and_store(dashboard, scenario, policies, members, seed)
    return {"run": run_id, "toy": str(toy)}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_request_that_used_to_fail_gets_an_answer(
    app: Any, names: dict[str, str], case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    client = DashboardClient(app)
    values = fill(case.values, names)
    changed = fill(case.changed, names)
    with caplog.at_level(logging.ERROR):
        if case.background:
            response = client.post_background(case.component, values, changed)
        else:
            response = client.post(case.component, values, changed)
    text = response.get_data(as_text=True)
    assert response.status_code == case.status, text[:300]
    assert case.shows in text, text[:600]
    assert "Traceback" not in text
    unforeseen = [r.getMessage() for r in caplog.records if "a callback failed" in r.getMessage()]
    assert not unforeseen, "handled only by the last resort, not by the callback"


@pytest.mark.parametrize("case", PROTOCOL_CASES, ids=[c.name for c in PROTOCOL_CASES])
def test_a_malformed_callback_request_is_refused(app: Any, case: ProtocolCase) -> None:
    response = app.server.test_client().post(
        "/_dash-update-component", data=case.body, content_type=case.content_type
    )
    text = response.get_data(as_text=True)
    assert response.status_code == case.status, text[:300]
    assert case.shows in text
    assert "Traceback" not in text


def test_an_unknown_script_of_a_component_package_is_not_found(app: Any) -> None:
    client = app.server.test_client()
    for path in ("/_dash-component-suites/dash/nope.js", "/_dash-component-suites/../x.js"):
        response = client.get(path)
        assert response.status_code == 404, path  # was 500 (DependencyException)


def test_the_last_resort_shows_a_message_and_logs_the_traceback(
    app: Any, names: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """A failure nobody foresaw (here: a bug planted in the run view) is no 500 either: the
    page says so with a reference, and the traceback is in the server's log."""
    import alliancesim.web.ensemble as ensemble

    def broken(*_args: Any) -> Any:
        raise RuntimeError("planted")

    monkeypatch.setattr(ensemble, "run_view", broken)
    app._alliancesim.views.forget(names["run"])
    with caplog.at_level(logging.ERROR, logger="alliancesim.web.app"):
        response = DashboardClient(app).post(
            "results", {"selected-run.data": names["run"]}, ["selected-run.data"]
        )
    assert response.status_code == 200
    body = json.loads(response.data)
    message = json.dumps(body["sideUpdate"]["server-error"])
    assert "could not handle that request" in message and "planted" not in message
    [record] = [r for r in caplog.records if "a callback failed" in r.getMessage()]
    assert record.exc_info and "planted" in str(record.exc_info[1])
