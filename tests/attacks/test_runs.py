"""Attacks on a run's options and processes (hardening issue, items 9 and 10): refused before
work starts with a located error, and no worker outlives its run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from alliancesim.draws import MAX_SEED, check_seed
from alliancesim.errors import InputError
from alliancesim.executors import make_executor
from alliancesim.runner import run


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 2**127, True])
def test_a_seed_the_store_cannot_keep_is_refused_before_simulating(seed, monkeypatch) -> None:
    import alliancesim.runner as runner

    monkeypatch.setattr(runner, "run_blocks", lambda *a, **k: pytest.fail("simulated"))
    with pytest.raises(InputError) as caught:
        run("us-rok-2025", members=10, seed=seed)
    assert caught.value.problems[0].field == "" and "--seed" in caught.value.problems[0].file
    assert f"{MAX_SEED:,}" in caught.value.problems[0].message


def test_the_largest_seed_is_accepted() -> None:
    check_seed(MAX_SEED)


def test_an_unreachable_scheduler_is_an_input_error(monkeypatch) -> None:
    monkeypatch.setattr("alliancesim.executors.SCHEDULER_TIMEOUT", "1s")
    with pytest.raises(InputError) as caught:
        make_executor(scheduler="tcp://127.0.0.1:1")
    [problem] = caught.value.problems
    assert problem.file == "--scheduler" and "cannot reach a Dask scheduler" in problem.message


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX process pools")
def test_workers_die_with_a_killed_parent(tmp_path) -> None:
    """A parent holding a 2-worker pool is SIGKILLed; its workers exit by themselves."""
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, sys, time
            from alliancesim.executors import make_executor
            pool = make_executor(workers=2)
            futures = [pool.submit(os.getpid) for _ in range(4)]
            pids = sorted({f.result() for f in futures})
            print(" ".join(map(str, pids)), flush=True)
            time.sleep(600)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and parent.pid not in pids
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 30
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in pids if _alive(p)]
        assert not alive, f"workers {alive} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
