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
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["StoreBusyError", "catalogue_lock", "hold_owner_lock", "owner_is_gone"]

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


def hold_owner_lock(path: Path) -> int:
    """Create ``path`` and hold a POSIX lock on it until the returned descriptor is closed."""
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
