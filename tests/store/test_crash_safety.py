"""A store survives being killed: whatever moment a storing process dies, the next process
that opens the store sees only complete runs and no leftover files; two processes storing at
once both land intact."""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from alliancesim.store import Store, StoreBusyError
from alliancesim.store.locks import catalogue_lock
from alliancesim.workflows import run_and_store


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"child exited early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"child never reached {path.name}")
        time.sleep(0.02)


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


@contextmanager
def _locked_by_another_process(path: Path, call: str, flags: str) -> Iterator[None]:
    """While the block runs, another process holds an exclusive lock on ``path`` (taken with
    ``fcntl.<call>`` on the file opened with ``<flags>``); it is killed when the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, time\n"
            f"fd = os.open({str(path)!r}, {flags})\n"
            f"fcntl.{call}(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.communicate()


def _phase(home: Path, complete: set[str]) -> str:
    """What a storing process was doing, seen from outside just before it is killed."""
    runs = home / "runs"
    entries = list(runs.iterdir()) if runs.exists() else []
    partial = [p for p in entries if p.name.endswith(".partial")]
    if partial:
        blocks = len(list((partial[0] / "trajectories").glob("*.parquet")))
        return f"simulating, {blocks} block(s) written"
    if any(p.name not in complete for p in entries if not p.name.endswith(".partial")):
        return "renamed, committing or committed"
    return "starting up (no staging directory yet)"


def assert_consistent(home: Path, expected: set[str]) -> Store:
    """The store opens; it lists exactly the ``expected`` complete runs, each readable with all
    its files, and nothing else is left in the runs directory."""
    store = Store(home)
    listed = {r.run_id for r in store.runs()}
    assert listed == expected
    on_disk = {p.name for p in store.runs_dir.iterdir()} if store.runs_dir.exists() else set()
    assert on_disk == expected, f"left over: {on_disk - expected}"
    for run_id in expected:
        record = store.get(run_id)
        assert len(list(record.directory.rglob("*.parquet"))) == record.files
        summary = store.open_run(run_id).summary()
        assert summary.members == record.members
    return store


def test_leftovers_of_dead_processes_are_removed_and_live_ones_kept(tmp_path, mini_path) -> None:
    store = Store(tmp_path)
    kept = run_and_store(store, mini_path, members=30, seed=1).results.run_id
    runs = store.runs_dir
    dead_owner = runs / "20250101T000000-aaaaaa.partial"  # owner file, lock released (dead)
    (dead_owner / "trajectories").mkdir(parents=True)
    (dead_owner / "trajectories" / "block-000000.parquet").write_bytes(b"PAR1 half a file")
    (dead_owner / ".owner").write_text("12345\n")
    no_owner = runs / "20250101T000000-bbbbbb.partial"  # killed before the owner file existed
    no_owner.mkdir()
    orphan = runs / "20250101T000000-cccccc"  # renamed, never committed
    (orphan / "parameters").mkdir(parents=True)
    trash = runs / "20250101T000000-dddddd-20250101T000001000000.deleted"
    trash.mkdir()
    unrelated = runs / "notes.txt"  # not ours: left alone
    unrelated.write_text("keep me")
    live = runs / "20250101T000000-eeeeee.partial"  # another process is simulating into it
    live.mkdir()
    with _locked_by_another_process(live / ".owner", "lockf", "os.O_RDWR | os.O_CREAT"):
        reopened = Store(tmp_path)
        assert sorted(p.name for p in reopened.recovered.abandoned) == [
            dead_owner.name,
            no_owner.name,
        ]
        assert [p.name for p in reopened.recovered.orphaned] == [orphan.name]
        assert [p.name for p in reopened.recovered.trash] == [trash.name]
        assert sorted(p.name for p in runs.iterdir()) == sorted([kept, live.name, "notes.txt"])
    # once its owner is gone, the live one is abandoned too
    Store(tmp_path)
    assert sorted(p.name for p in runs.iterdir()) == sorted([kept, "notes.txt"])
    assert [r.run_id for r in Store(tmp_path).runs()] == [kept]


def test_a_run_whose_files_vanished_is_dropped_from_the_catalogue(tmp_path, mini_path) -> None:
    store = Store(tmp_path)
    run_id = run_and_store(store, mini_path, members=30, seed=1).results.run_id
    import shutil

    shutil.rmtree(store.runs_dir / run_id)
    assert Store(tmp_path).runs() == []


@pytest.mark.parametrize("moment", ["block", "rename", "commit"])
def test_killed_at_the_worst_moments(tmp_path, mini_path, moment, start_child) -> None:
    """SIGKILL after the first block is written, after the staging directory is renamed (its
    rows not yet committed), and inside the catalogue transaction just before COMMIT."""
    store = Store(tmp_path)
    before = run_and_store(store, mini_path, members=30, seed=1).results.run_id
    child = start_child(tmp_path, mini_path, 2100, 2, "--pause", moment)
    _wait_for(tmp_path / f"paused-{moment}", child)
    _kill(child)
    (tmp_path / f"paused-{moment}").unlink()
    store = assert_consistent(tmp_path, {before})
    # and the store still takes new runs
    after = run_and_store(store, mini_path, members=30, seed=3).results.run_id
    assert_consistent(tmp_path, {before, after})


def test_two_runs_started_at_once_both_land_intact(tmp_path, mini_path, start_child) -> None:
    children = [start_child(tmp_path, mini_path, 2100, seed) for seed in (11, 12)]
    ids = set()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        ids.add(out.strip())
    assert len(ids) == 2
    store = assert_consistent(tmp_path, ids)
    seeds = sorted(store.get(i).seed for i in ids)
    assert seeds == [11, 12]


def test_a_store_kept_locked_too_long_says_so(tmp_path) -> None:
    Store(tmp_path)
    with (
        _locked_by_another_process(tmp_path / "runs.duckdb.lock", "flock", "os.O_RDWR"),
        pytest.raises(StoreBusyError, match="stayed locked"),
    ):
        Store(tmp_path, timeout=0.3)
    with catalogue_lock(tmp_path / "runs.duckdb.lock", timeout=1):
        pass  # released when its holder died


def _wait_for_staging(home: Path, process: subprocess.Popen, timeout: float = 120.0) -> bool:
    """Wait until the process has created its staging directory; False if it exited first."""
    deadline = time.monotonic() + timeout
    runs = home / "runs"
    while time.monotonic() < deadline:
        if runs.exists() and any(p.name.endswith(".partial") for p in runs.iterdir()):
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("the child never started storing")


@pytest.mark.slow
def test_random_sigkills_never_leave_a_broken_store(tmp_path, mini_path, start_child) -> None:
    """Kill real storing processes at random moments of their storing life (from the staging
    directory's creation to a little after the process would have exited), again and again;
    after each kill the store opens, lists only the complete runs and holds no leftovers."""
    n_kills = int(os.environ.get("ALLIANCESIM_CRASH_KILLS", "6"))
    rng = random.Random(int(os.environ.get("ALLIANCESIM_CRASH_SEED", "20250701")))
    probe = start_child(tmp_path, mini_path, 4200, 0)
    assert _wait_for_staging(tmp_path, probe)
    started = time.monotonic()
    out, err = probe.communicate(timeout=300)
    assert probe.returncode == 0, err
    windows = [time.monotonic() - started]  # staging directory created -> process exited
    complete = {out.strip()}
    kills = []
    for k in range(n_kills):
        child = start_child(tmp_path, mini_path, 4200, 100 + k)
        staged = _wait_for_staging(tmp_path, child)
        staged_at = time.monotonic()
        # the storing window changes with the machine's load: follow it
        delay = rng.uniform(0.0, 1.1) * statistics.median(windows[-5:])
        while time.monotonic() < staged_at + delay and child.poll() is None:
            time.sleep(0.005)
        finished = child.poll() is not None
        if finished and staged:
            windows.append(time.monotonic() - staged_at)
        phase = _phase(tmp_path, complete)
        if not finished:
            _kill(child)
        else:
            out, _ = child.communicate()
            complete.add(out.strip())
        # a run that committed just before the kill is complete and must be listed
        listed = {r.run_id for r in Store(tmp_path).runs()}
        complete |= listed
        kills.append(
            {
                "after_staging_s": round(delay, 3),
                "phase": phase if staged else "exited before staging",
                "finished_first": finished,
                "stored": len(listed),
            }
        )
        assert_consistent(tmp_path, complete)
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "store-kills.json").write_text(
        json.dumps({"storing_windows_s": [round(w, 3) for w in windows], "kills": kills}, indent=1)
    )
