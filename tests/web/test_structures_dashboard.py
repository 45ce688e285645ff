"""The dashboard's structure selector and its results view of a run of several structures."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from plotly.utils import PlotlyJSONEncoder

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario
from alliancesim.structures import structures_to_run
from alliancesim.web import create_app
from alliancesim.web.context import Dashboard
from alliancesim.web.ensemble import chosen_structures, simulate_and_store
from alliancesim.web.results_view import run_view
from alliancesim.web.upload import accept_upload
from dashboard_support import DashboardClient, find_component

INLINE = Path(__file__).resolve().parents[1] / "structures" / "data" / "inline.toml"
PLAIN = Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml"


def test_the_selector_offers_the_structures_of_an_uploaded_scenario(tmp_path):
    app = create_app(tmp_path / "home", workdir=tmp_path / "work", warm=False)
    client = DashboardClient(app)
    dashboard = Dashboard.at(tmp_path / "work", None)  # the same uploads directory
    data = "data:text/plain;base64," + base64.b64encode(INLINE.read_bytes()).decode()
    uploaded = accept_upload(data, "inline.toml", dashboard.sources)
    assert uploaded.ok
    plain_data = "data:text/plain;base64," + base64.b64encode(PLAIN.read_bytes()).decode()
    plain = accept_upload(plain_data, "alliance.toml", dashboard.sources)
    assert plain.ok
    builtin = [s.name for s in structures_to_run(load_scenario("us-rok-2025"))]
    for reference, shown in (
        (uploaded.reference, ["seed", "consult=costly_signal"]),
        ("builtin:us-rok-2025", builtin),
        (plain.reference, None),
    ):
        response = client.post("structures", {"scenario.value": reference}, ["scenario.value"])
        assert response.status_code == 200, response.data[:300]
        got = json.loads(response.data)["response"]
        if shown:
            values = [o["value"] for o in got["structures"]["options"]]
            assert values[: len(shown)] == shown
            assert got["structures"]["value"] == shown
            assert got["structures-box"]["style"] == {"display": "block"}
        else:
            assert got["structures"]["options"] == []
            assert got["structures-box"]["style"] == {"display": "none"}


def test_a_run_of_chosen_structures_shows_each_and_the_weighted_answer(tmp_path):
    from alliancesim.store import Store

    dashboard = Dashboard.at(tmp_path / "work", Store(tmp_path / "home"))
    scenario = load_scenario(INLINE)
    assert chosen_structures(scenario, ["consult=costly_signal", "seed"]) == [
        "consult=costly_signal",
        "seed",
    ]
    with pytest.raises(InputError, match="at least one structure"):
        chosen_structures(scenario, [])
    with pytest.raises(InputError, match="no account"):
        chosen_structures(scenario, ["consult=cheap"])
    run_id = simulate_and_store(
        dashboard,
        scenario,
        ["baseline", "consult_first"],
        200,
        1,
        structures=["seed", "consult=costly_signal"],
    )
    assert dashboard.store.get(run_id).structures == ("seed", "consult=costly_signal")
    view = json.loads(json.dumps(run_view(dashboard, run_id), cls=PlotlyJSONEncoder))
    table = find_component(view, "id", "structures-table")
    head = table["props"]["children"][0]["props"]["children"]
    header = head["props"]["children"] if isinstance(head, dict) else head[0]["props"]["children"]
    assert len(header) == 4  # policy, two structures, weighted
    assert find_component(view, "id", "structure-disagreements") is not None
