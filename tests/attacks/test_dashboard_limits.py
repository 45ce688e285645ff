"""The dashboard's limits (hardening issue, item 6): runs at once across processes, worlds per
run, free disk before a run starts. Each is checked by asserting that the refusal comes before
the work — the request is never read, nothing is simulated or staged — never by timing.

Runs are Dash background jobs, forked from the server: the tests below fork them the same way
(Flask's test client, Dash's protocol), with spies planted before the fork so that the job
reports whether it reached the work.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from alliancesim.errors import InputError
from alliancesim.web import create_app
from alliancesim.web.ensemble import prepare_run
from alliancesim.web.limits import DiskFullError, RunsBusyError, RunSlots
from alliancesim.web.upload import accept_upload
from dashboard_support import DashboardClient

TOY = Path(__file__).resolve().parents[1] / "web" / "data" / "toy.toml"


def make_app(tmp_path: Path, **limits: Any) -> Any:
    return create_app(tmp_path / "home", workdir=tmp_path / "work", warm=False, **limits)


def upload_toy(app: Any) -> str:
    data = "data:text/plain;base64," + base64.b64encode(TOY.read_bytes()).decode()
    return str(accept_upload(data, "toy.toml", app._alliancesim.sources).reference)


def press_run(app: Any, toy: str, members: int = 20) -> str:
    """Press Run as the page does (a forked background job); the answer's text."""
    values = {
        "run.n_clicks": 1,
        "client.data": f"limits-{members}-{os.getpid()}",
        "scenario.value": toy,
        "policies.value": ["baseline", "consult_first"],
        "combinations.value": "",
        "members.value": members,
        "seed.value": 0,
    }
    response = DashboardClient(app).post_background("run-error", values, ["run.n_clicks"])
    assert response.status_code == 200
    return json.dumps(json.loads(response.data).get("response", {}))


@pytest.fixture
def reached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Spies, inherited by forked jobs: a file appears when a job reads the run request or
    starts simulating."""
    import alliancesim.web.ensemble as ensemble

    marks = {"prepare": tmp_path / "reached-prepare", "simulate": tmp_path / "reached-simulate"}
    real_prepare, real_simulate = ensemble.prepare_run, ensemble.simulate_and_store

    def prepare(*args: Any, **kwargs: Any) -> Any:
        marks["prepare"].touch()
        return real_prepare(*args, **kwargs)

    def simulate(*args: Any, **kwargs: Any) -> Any:
        marks["simulate"].touch()
        return real_simulate(*args, **kwargs)

    monkeypatch.setattr(ensemble, "prepare_run", prepare)
    monkeypatch.setattr(ensemble, "simulate_and_store", simulate)
    return marks


# --------------------------------------------------------------------------------------------
# runs at once


def test_a_run_over_the_limit_is_refused_before_it_reads_the_request(tmp_path, reached) -> None:
    app = make_app(tmp_path, max_runs=2)
    toy = upload_toy(app)
    slots = app._alliancesim.slots
    with slots.hold(), slots.hold():  # two runs going (here: held by this process)
        with pytest.raises(RunsBusyError), slots.hold():
            pass
        answer = press_run(app, toy)  # a job forked from this process finds no free slot
    assert "run-busy" in answer and "2 runs are already going" in answer
    assert "--max-runs" in answer
    assert not reached["prepare"].exists() and not reached["simulate"].exists()
    store = app._alliancesim.store
    assert store.runs() == [] and not list((store.home / "runs").glob("*.partial"))
    # with a slot free again, the same request runs
    assert "finished-run" in press_run(app, toy)
    assert reached["simulate"].exists() and len(store.runs()) == 1


HOLD = """
import sys, time
from pathlib import Path
from alliancesim.store.locks import hold_owner_lock
fd = hold_owner_lock(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(600)
"""


def test_a_slot_is_held_across_processes_and_freed_when_its_holder_dies(tmp_path) -> None:
    slots = RunSlots(tmp_path / "slots", 1)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(slots.paths()[0])], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunsBusyError) as refused, slots.hold():
            pass
        assert "1 run is already going" in str(refused.value)
    finally:
        holder.send_signal(signal.SIGKILL)  # a run killed however it dies (Cancel, kill -9)
        holder.wait()
    with slots.hold() as slot:  # the kernel let go of the dead process's lock
        assert slot.path == slots.paths()[0]


def test_slots_are_taken_in_turn_and_given_back(tmp_path) -> None:
    slots = RunSlots(tmp_path / "slots", 3)
    with slots.hold() as a, slots.hold() as b, slots.hold() as c:
        assert [a.path, b.path, c.path] == slots.paths()
        with pytest.raises(RunsBusyError), slots.hold():
            pass
    with slots.hold() as again:
        assert again.path == slots.paths()[0]
        assert again.path.read_text().split() == [str(os.getpid()), "0"]
    assert again.path.read_text() == ""  # nothing reserved once released


# --------------------------------------------------------------------------------------------
# worlds per run


def test_worlds_per_run_are_limited_by_the_server(tmp_path) -> None:
    app = make_app(tmp_path, max_members=50)
    toy = upload_toy(app)
    dashboard = app._alliancesim
    assert prepare_run(dashboard, toy, [], "", 50, 0, None)[2] == 50
    with pytest.raises(InputError) as refused:
        prepare_run(dashboard, toy, [], "", 51, 0, None)
    [problem] = refused.value.problems
    assert problem.field == "members"
    assert "from 10 to 50" in problem.message and "--max-members" in problem.message
    assert "got 51" in problem.message
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    members = json.loads(layout)  # the input's own maximum says the same
    assert '"max": 50' in json.dumps(find(members, "members"))


def test_the_default_limit_is_100000_worlds(tmp_path, reached) -> None:
    app = make_app(tmp_path)
    toy = upload_toy(app)
    assert app._alliancesim.limits.max_members == 100_000
    answer = press_run(app, toy, members=100_001)
    assert "from 10 to 100,000" in answer and "run-problems" in answer
    assert not reached["simulate"].exists()


# --------------------------------------------------------------------------------------------
# free disk


def fake_disk(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    """The store's file system has ``free`` bytes free (as the dashboard sees it)."""
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        "alliancesim.sizes.shutil.disk_usage", lambda _path: usage(10**12, 10**12 - free, free)
    )


def test_a_run_the_disk_cannot_hold_is_refused_before_it_simulates(
    tmp_path, reached, monkeypatch
) -> None:
    app = make_app(tmp_path, disk_reserve=10**9)
    toy = upload_toy(app)
    fake_disk(monkeypatch, 10**9 + 1000)  # the reserve, and 1 KB more
    answer = press_run(app, toy, members=2000)
    assert "run-disk" in answer and "Not enough free disk" in answer
    assert "2,000 worlds" in answer and "1.0 GB must stay free" in answer
    assert "--disk-reserve" in answer
    assert reached["prepare"].exists() and not reached["simulate"].exists()
    assert app._alliancesim.store.runs() == []
    fake_disk(monkeypatch, 2 * 10**9)  # room enough: the same run goes ahead
    assert "finished-run" in press_run(app, toy, members=2000)


def test_the_disk_check_counts_what_runs_going_will_write(tmp_path, monkeypatch) -> None:
    from alliancesim.model import compile_model
    from alliancesim.scenario import load_scenario
    from alliancesim.sizes import run_cost

    cost = run_cost(compile_model(load_scenario(TOY)), ["baseline"], 1000)
    slots = RunSlots(tmp_path / "slots", 2)
    other = slots.paths()[1]
    other.write_text(f"{os.getppid()} {10**9}\n")  # a live process said it will write 1 GB
    fake_disk(monkeypatch, 10**9 + cost.stored_bytes + 500)
    with slots.hold() as slot:
        assert slot.path == slots.paths()[0]
        slots.check_disk(slot, cost, tmp_path, reserve=0)  # fits beside the other run
        with pytest.raises(DiskFullError) as refused:
            slots.check_disk(slot, cost, tmp_path, reserve=1000)
        assert "runs already going will still write up to 1.0 GB" in str(refused.value)
        assert slot.path.read_text().split() == [str(os.getpid()), str(cost.stored_bytes)]
    other.write_text(f"{dead_pid()} {10**9}\n")  # a run killed without letting go
    with slots.hold() as slot:
        slots.check_disk(slot, cost, tmp_path, reserve=1000)  # its reservation is not counted


# --------------------------------------------------------------------------------------------
# helpers


def find(tree: Any, ident: str) -> Any:
    """The component with id ``ident`` in a serialised layout."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == ident:
            return tree
        for value in tree.values():
            found = find(value, ident)
            if found is not None:
                return found
    if isinstance(tree, list):
        for value in tree:
            found = find(value, ident)
            if found is not None:
                return found
    return None


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
