"""Portability: alliancesim imports and lists its commands where there is no ``fcntl``, and
the locks it takes there (filelock's operating-system lock) let a killed run look dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alliancesim.store import locks

NO_FCNTL = "import sys\nsys.modules['fcntl'] = None  # as on Windows: `import fcntl` fails\n"


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_import_and_help_need_no_fcntl() -> None:
    done = _python(
        NO_FCNTL
        + textwrap.dedent(
            """
            import alliancesim
            import alliancesim.store
            from alliancesim.store import locks
            assert not locks.POSIX_LOCKS
            from alliancesim.cli import main
            sys.argv = ["alliancesim", "--help"]
            try:
                main()
            except SystemExit as exc:
                assert exc.code in (0, None), exc.code
            """
        )
    )
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "scenarios" in done.stdout


@pytest.fixture
def os_file_locks(monkeypatch):
    """The locks as they are taken where there is no fcntl (filelock's OS lock)."""
    monkeypatch.setattr(locks, "POSIX_LOCKS", False)


def test_the_catalogue_lock_without_fcntl_is_reentrant_and_times_out(
    os_file_locks, tmp_path
) -> None:
    path = tmp_path / "runs.duckdb.lock"
    with locks.catalogue_lock(path, timeout=1), locks.catalogue_lock(path, timeout=1):
        holder = _python(
            textwrap.dedent(
                """
                import sys
                from pathlib import Path
                from alliancesim.store import locks
                locks.POSIX_LOCKS = False
                try:
                    with locks.catalogue_lock(Path(sys.argv[1]), timeout=0.3):
                        print("got it")
                except locks.StoreBusyError:
                    print("busy")
                """
            ),
            str(path),
        )
        assert holder.stdout.strip() == "busy", holder.stderr
    with locks.catalogue_lock(path, timeout=1):
        pass


def test_a_killed_owner_looks_dead_without_fcntl(os_file_locks, tmp_path) -> None:
    owner = tmp_path / ".owner"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom alliancesim.store import locks\n"
            "locks.POSIX_LOCKS = False\nheld = locks.hold_owner_lock(Path(sys.argv[1]))\n"
            "print('held', flush=True)\ntime.sleep(60)\n",
            str(owner),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        assert not locks.owner_is_gone(owner)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    deadline = time.monotonic() + 10
    while not locks.owner_is_gone(owner) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert locks.owner_is_gone(owner)
    assert locks.owner_is_gone(tmp_path / "missing")


def test_a_run_is_stored_with_the_locks_taken_without_fcntl(os_file_locks, tmp_path: Path) -> None:
    import warnings

    from alliancesim.store import Store
    from alliancesim.workflows import run_and_store

    mini = Path(__file__).parent / "data" / "mini.toml"
    store = Store(tmp_path / "home")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = run_and_store(store, mini, members=60, seed=1)
    assert [r.run_id for r in store.runs()] == [stored.record.run_id]
    assert not list((tmp_path / "home" / "runs").glob("*.partial"))


def test_the_store_home_follows_the_platform(monkeypatch, tmp_path) -> None:
    from platformdirs import user_data_dir

    from alliancesim.store import default_home

    monkeypatch.delenv("ALLIANCESIM_HOME", raising=False)
    assert default_home() == Path(user_data_dir("alliancesim", appauthor=False))
    if sys.platform.startswith("linux"):
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        assert default_home() == Path.home() / ".local" / "share" / "alliancesim"
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path / "elsewhere"))
    assert default_home() == tmp_path / "elsewhere"
