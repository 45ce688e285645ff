"""The dashboard's limits: how many ensemble runs at once, how many worlds per run, and how much
free disk a run must leave.

Runs are Dash background callbacks, each in a process of its own, so the limit on concurrent
runs must hold across processes. It is a small set of *slot* files in the dashboard's working
directory (``run-slots/slot-<k>.lock``); a run holds one with the kernel lock the store uses for
its staging directories (:func:`alliancesim.store.locks.hold_owner_lock`, POSIX ``lockf``) for as
long as it lives. The kernel releases it when the run ends, however it ends (Cancel kills the
process, a crash, ``kill -9``), so a slot is never lost. A run that finds every slot held is
refused at once, before it reads the scenario, never queued.

A held slot records the run's process id and the bytes it will store, so a run checking free
disk also counts what the runs already going will still write (conservatively: all of it).
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alliancesim.sizes import RunCost, free_bytes, human_bytes
from alliancesim.store.locks import hold_owner_lock

__all__ = [
    "DEFAULT_DISK_RESERVE",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RUNS",
    "DiskFullError",
    "Limits",
    "RunSlot",
    "RunSlots",
    "RunsBusyError",
]

DEFAULT_MAX_RUNS = 2
"""Ensemble runs at once across all visitors (each is a process that may use a few GB)."""
DEFAULT_MAX_MEMBERS = 100_000
"""Plausible worlds per run (a 100,000-world run of us-rok-2025 stores about 3.6 GB)."""
DEFAULT_DISK_RESERVE = 10**9
"""Bytes of free disk a run must leave untouched on the store's file system (1 GB)."""


@dataclass(frozen=True)
class Limits:
    """What one dashboard server allows: runs at once, worlds per run, free disk to keep."""

    max_runs: int = DEFAULT_MAX_RUNS
    max_members: int = DEFAULT_MAX_MEMBERS
    disk_reserve: int = DEFAULT_DISK_RESERVE

    def __post_init__(self) -> None:
        if self.max_runs < 1:
            raise ValueError(f"max_runs must be at least 1, got {self.max_runs}")
        if self.max_members < 10:
            raise ValueError(f"max_members must be at least 10, got {self.max_members}")
        if self.disk_reserve < 0:
            raise ValueError(f"disk_reserve must not be negative, got {self.disk_reserve}")


class RunsBusyError(Exception):
    """Every run slot is held: as many runs as allowed are going."""

    def __init__(self, limit: int):
        self.limit = limit
        runs = "1 run is" if limit == 1 else f"{limit} runs are"
        super().__init__(
            f"{runs} already going on this server, which allows {limit} at a time "
            "(`alliancesim serve --max-runs` raises the limit). Press Run again when one "
            "has finished."
        )


class DiskFullError(Exception):
    """The run would not leave the reserved free space on the store's disk."""

    def __init__(self, cost: RunCost, free: int, others: int, reserve: int, where: Path):
        self.cost, self.free, self.others, self.reserve = cost, free, others, reserve
        going = (
            f", runs already going will still write up to {human_bytes(others)}" if others else ""
        )
        super().__init__(
            f"Not enough free disk for this run: {cost.describe()}, but {where} has "
            f"{human_bytes(free)} free{going}, and {human_bytes(reserve)} must stay free "
            "(`alliancesim serve --disk-reserve`). Run fewer worlds or policies, or delete "
            "past runs."
        )


_held: set[Path] = set()  # slot files this process holds: never opened again while held
_held_guard = threading.Lock()


@dataclass
class RunSlot:
    """One held run slot (release it with the context manager that gave it)."""

    path: Path
    fd: int

    def reserve(self, stored_bytes: int) -> None:
        """Record the bytes this run will store, for the disk check of runs that start later."""
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()} {int(stored_bytes)}\n".encode(), 0)


class RunSlots:
    """``count`` run slots under ``directory``, shared by every process of one dashboard."""

    def __init__(self, directory: Path, count: int):
        self.directory = Path(directory)
        self.count = count
        self.directory.mkdir(parents=True, exist_ok=True)

    def paths(self) -> list[Path]:
        """The slot files."""
        return [self.directory / f"slot-{k}.lock" for k in range(self.count)]

    def _try(self, path: Path) -> RunSlot | None:
        with _held_guard:
            if path in _held:
                return None
            try:
                fd = hold_owner_lock(path)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    return None
                raise
            _held.add(path)
        return RunSlot(path, fd)

    @contextmanager
    def hold(self) -> Iterator[RunSlot]:
        """Hold a free slot while the block runs; :class:`RunsBusyError` at once if none is free."""
        for path in self.paths():
            slot = self._try(path)
            if slot is not None:
                break
        else:
            raise RunsBusyError(self.count)
        try:
            slot.reserve(0)
            yield slot
        finally:
            with _held_guard:
                try:
                    os.ftruncate(slot.fd, 0)
                finally:
                    os.close(slot.fd)  # drops the lock
                    _held.discard(slot.path)

    def reserved_by_others(self, mine: RunSlot | None = None) -> int:
        """Bytes that the other runs going have said they will store (slots whose recorded
        process is alive; a slot left by a killed run holds no lock and names a dead process)."""
        total = 0
        for path in self.paths():
            if mine is not None and path == mine.path:
                continue
            with _held_guard:
                if path in _held:  # another run in this very process (tests, threads)
                    continue
            try:
                fields = path.read_text().split()
                pid, size = int(fields[0]), int(fields[1])
            except (OSError, ValueError, IndexError):
                continue
            if _alive(pid):
                total += size
        return total

    def check_disk(self, slot: RunSlot, cost: RunCost, where: Path, reserve: int) -> None:
        """Record the run's size in its slot, then refuse it (:class:`DiskFullError`) if the disk
        holding ``where`` cannot take it, what the other runs going will write, and
        ``reserve`` bytes more."""
        slot.reserve(cost.stored_bytes)
        free = free_bytes(where)
        others = self.reserved_by_others(slot)
        if free - reserve - others < cost.stored_bytes:
            raise DiskFullError(cost, free, others, reserve, where)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
