"""Locks that let several alliancesim processes share one experiment store.

Two kinds:

- the *catalogue lock* (``flock`` on ``runs.duckdb.lock``): held for the few milliseconds a
  process has the DuckDB catalogue open. DuckDB allows one writing process per database file,
  so every process opens the catalogue only under this lock and closes it before letting go;
  waiting processes retry until a timeout. ``flock`` locks belong to an open file, so two
  threads of one process exclude each other too; the lock is re-entrant within a thread.
- the *owner lock* (POSIX ``lockf`` on ``<run>.partial/.owner``): held by the process that is
  simulating into a staging directory for as long as it lives. The kernel drops it when that
  process dies, however it dies (SIGKILL included), so a later process can tell an abandoned
  staging directory from a live one. POSIX locks are not inherited by forked worker processes,
  so a pool worker that outlives a killed parent does not keep a dead run alive.

Where there is no ``fcntl`` (Windows), both locks are taken with the ``filelock`` package's
platform lock, which there is ``msvcrt.locking`` on an open handle: the operating system
closes a dead process's handles and with them its locks, so there too a killed run cannot
look alive. (``filelock`` falls back to lock *files* only where neither exists; a killed
process would leave those behind, so alliancesim refuses that fallback.) Importing this
module never needs ``fcntl``: ``import alliancesim`` and ``alliancesim --help`` work anywhere.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: the locks come from filelock (see above)
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "POSIX_LOCKS",
    "StoreBusyError",
    "catalogue_lock",
    "hold_owner_lock",
    "owner_is_gone",
    "release_owner_lock",
]

POSIX_LOCKS = fcntl is not None
"""Whether the store locks with POSIX ``flock``/``lockf`` (else with filelock's OS lock)."""

DEFAULT_TIMEOUT = 120.0
"""Seconds to wait for another process's catalogue transaction before giving up."""

_held = threading.local()


class StoreBusyError(RuntimeError):
    """Another process kept the store's catalogue locked for longer than the timeout."""


def _retry_delay(attempt: int) -> float:
    return min(0.005 * (2 ** min(attempt, 5)), 0.1)  # 0.005 … 0.1 s, never overflowing


@contextmanager
def catalogue_lock(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the exclusive catalogue lock at ``path`` (re-entrant within a thread)."""
    key = str(path)
    depth: dict[str, int] = getattr(_held, "depth", None) or {}
    _held.depth = depth
    if depth.get(key, 0) > 0:
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not POSIX_LOCKS:
        with _os_file_lock(path, timeout):
            depth[key] = 1
            try:
                yield
            finally:
                depth[key] = 0
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"the experiment store's catalogue {path.with_suffix('')} stayed locked "
                        f"by another process for {timeout:.0f} s"
                    ) from None
                time.sleep(_retry_delay(attempt))
                attempt += 1
        depth[key] = 1
        try:
            yield
        finally:
            depth[key] = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _file_lock(path: Path) -> Any:
    """filelock's operating-system lock at ``path`` (never its lock-file fallback)."""
    import filelock

    kind = getattr(filelock, "WindowsFileLock", None) if os.name == "nt" else None
    kind = kind or getattr(filelock, "UnixFileLock", None)
    if kind is None or kind is getattr(filelock, "SoftFileLock", object()):
        raise RuntimeError("no operating-system file lock here: the store cannot be shared")
    return kind(str(path))


@contextmanager
def _os_file_lock(path: Path, timeout: float) -> Iterator[None]:
    """The catalogue lock where there is no ``fcntl``: filelock's OS lock, same timeout."""
    import filelock

    lock = _file_lock(path)
    try:
        lock.acquire(timeout=timeout, poll_interval=0.01)
    except filelock.Timeout:
        raise StoreBusyError(
            f"the experiment store's catalogue {path.with_suffix('')} stayed locked "
            f"by another process for {timeout:.0f} s"
        ) from None
    try:
        yield
    finally:
        lock.release()


def release_owner_lock(handle: Any) -> None:
    """Let go of an owner lock taken by :func:`hold_owner_lock`."""
    if isinstance(handle, int):
        os.close(handle)
    else:
        handle.release()


def hold_owner_lock(path: Path) -> Any:
    """Create ``path`` and hold a lock on it until :func:`release_owner_lock` (or death): a
    POSIX ``lockf`` (the returned descriptor), or filelock's OS lock where there is none."""
    if not POSIX_LOCKS:
        lock = _file_lock(path)
        lock.acquire(timeout=0)
        return lock
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
    except BaseException:
        os.close(fd)
        raise
    return fd


def owner_is_gone(path: Path) -> bool:
    """True if no living process holds the owner lock at ``path`` (or the file is missing).

    Only call this for staging directories that this process does not own itself: POSIX locks
    do not exclude their own process, and closing any descriptor of the file would drop them.
    """
    if not POSIX_LOCKS:
        import filelock

        if not path.exists():
            return True
        lock = _file_lock(path)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        lock.release()
        return True
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)
