"""Runs the machine cannot hold are refused before they start, and a run's temporary files do
not outlive it (hardening issue, items 7 and 9)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import alliancesim.runner as runner
from alliancesim import scratch, sizes
from alliancesim.errors import InputError
from alliancesim.model import compile_model
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario
from alliancesim.structures import structures_to_run


@pytest.fixture
def no_simulation(monkeypatch):
    monkeypatch.setattr(runner, "run_blocks", lambda *a, **k: pytest.fail("simulated"))


@pytest.fixture
def temp_dir(tmp_path, monkeypatch) -> Path:
    """The system's temporary directory, for this test only."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    return tmp_path


def test_a_trillion_members_is_refused_by_its_disk_estimate(no_simulation, temp_dir) -> None:
    with pytest.raises(InputError) as caught:
        run("us-rok-2025", members=10**12, policies=["baseline"])
    [problem] = caught.value.problems
    assert problem.file == "--members"
    scenario = load_scenario("us-rok-2025")
    structures = len(structures_to_run(scenario))  # one policy under each default structure
    cost = sizes.run_cost(compile_model(scenario), structures, 10**12)
    assert f"{cost.member_steps:,} member-steps" in problem.message
    assert f"{temp_dir} has" in problem.message and "use at most about" in problem.message


def test_the_largest_size_named_would_fit(temp_dir, monkeypatch) -> None:
    """The error's suggestion is a run that passes the same check."""
    model = compile_model(load_scenario("us-rok-2025"))
    monkeypatch.setattr(sizes, "free_bytes", lambda path: 10**9)
    with pytest.raises(InputError) as caught:
        sizes.check_run_fits(sizes.run_cost(model, 7, 10**7), workers=1, directory=temp_dir)
    message = caught.value.problems[0].message
    suggested = int(message.split("use at most about ")[1].split(" ")[0].replace(",", ""))
    sizes.check_run_fits(sizes.run_cost(model, 7, suggested), workers=1, directory=temp_dir)
    with pytest.raises(InputError):
        sizes.check_run_fits(
            sizes.run_cost(model, 7, int(suggested * 1.01) + 10), workers=1, directory=temp_dir
        )


def test_a_run_beyond_the_memory_available_is_refused(no_simulation, monkeypatch) -> None:
    monkeypatch.setattr(sizes, "available_memory", lambda: 50 * 10**6)
    with pytest.raises(InputError) as caught:
        run("us-rok-2025", members=20_000)
    [problem] = caught.value.problems
    assert problem.file == "--members" and "of memory; this machine has 50.0 MB" in problem.message


def test_hundreds_of_workers_are_refused(no_simulation, monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    with pytest.raises(InputError) as caught:
        run("us-rok-2025", members=10, workers=400)
    [problem] = caught.value.problems
    assert problem.file == "--workers"
    assert "at most 8 (4 per core)" in problem.message


@pytest.mark.parametrize(
    ("members", "workers", "started"),
    [(10, 8, 1), (4096, 8, 1), (4097, 8, 2), (100_000, 3, 3), (100_000, 1, 1)],
)
def test_no_more_workers_start_than_the_run_has_tasks(members, workers, started) -> None:
    # a task is two blocks of 2,048 members
    assert sizes.useful_workers(members, workers) == started


def test_a_small_run_with_many_workers_starts_one(monkeypatch) -> None:
    seen = []
    real = runner.using_executor

    def spy(executor, workers, *args):
        seen.append(workers)
        return real(executor, workers, *args)

    monkeypatch.setattr(runner, "using_executor", spy)
    run("us-rok-2019", members=20, workers=6, policies=["baseline"])
    assert seen == [1]


def _big_run(monkeypatch) -> None:
    """Runs of any size go to files, as runs over 512 MB do."""
    monkeypatch.setattr(runner, "IN_MEMORY_LIMIT", 0)


def _scratch_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(scratch.PREFIX))


def test_an_unstored_run_s_files_go_when_its_results_go(temp_dir, monkeypatch) -> None:
    _big_run(monkeypatch)
    results = run("us-rok-2019", members=30, policies=["baseline"])
    [folder] = _scratch_folders(temp_dir)
    assert results.files.directory == folder and any(folder.rglob("*.parquet"))
    view = results.structure(results.structures[0])  # another handle on the same files
    del results
    gc.collect()
    assert folder.exists()  # still read through the view
    assert view.summary().members == 30
    del view
    gc.collect()
    assert _scratch_folders(temp_dir) == []


def test_a_failed_run_leaves_no_files(temp_dir, monkeypatch) -> None:
    _big_run(monkeypatch)

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_blocks", fail)
    with pytest.raises(KeyboardInterrupt):
        run("us-rok-2019", members=30, policies=["baseline"])
    assert _scratch_folders(temp_dir) == []


def _hold_folder(temp_dir: Path, seconds: float) -> subprocess.Popen:
    """Another process that makes a scratch folder, says so, and lives ``seconds``."""
    code = textwrap.dedent(
        f"""
        import tempfile, time
        tempfile.tempdir = {str(temp_dir)!r}
        from alliancesim.scratch import new_scratch_folder
        folder = new_scratch_folder()
        print(folder.directory, flush=True)
        time.sleep({seconds})
        """
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_killed_run_s_folder_is_swept_and_a_live_one_kept(temp_dir) -> None:
    killed = _hold_folder(temp_dir, 600)
    alive = _hold_folder(temp_dir, 600)
    try:
        killed_folder = Path(killed.stdout.readline().strip())  # type: ignore[union-attr]
        alive_folder = Path(alive.stdout.readline().strip())  # type: ignore[union-attr]
        killed.kill()
        killed.wait(timeout=30)
        assert killed_folder.exists()  # SIGKILL: nothing cleaned up
        mine = scratch.new_scratch_folder()  # sweeps first
        assert not killed_folder.exists()
        assert alive_folder.exists() and mine.directory.exists()
        mine.remove()
        assert not mine.directory.exists()
    finally:
        for process in (killed, alive):
            process.kill()
            process.wait(timeout=30)


def test_a_folder_being_made_is_not_swept(temp_dir) -> None:
    """A folder without its owner file yet (another process between mkdtemp and its lock)."""
    fresh = temp_dir / f"{scratch.PREFIX}fresh"
    fresh.mkdir()
    old = temp_dir / f"{scratch.PREFIX}old"
    old.mkdir()
    past = time.time() - 2 * scratch.GRACE_SECONDS
    os.utime(old, (past, past))
    assert scratch.sweep_abandoned() == [old]
    assert fresh.exists()
