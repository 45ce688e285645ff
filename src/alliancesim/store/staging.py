"""Staging directories: where a run's Parquet files are written until the run is complete.

A run being simulated writes into ``runs/<run_id>.partial/``, whose ``.owner`` file is locked
by the simulating process for as long as it lives. Only when the run is complete is the
directory renamed to ``runs/<run_id>/`` and the catalogue row inserted, both under the
catalogue lock, so no other process ever sees one without the other. Whatever is left over
after a crash is recognised by :func:`leftovers` and removed.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alliancesim.store.locks import (
    POSIX_LOCKS,
    hold_owner_lock,
    owner_is_gone,
    release_owner_lock,
)

__all__ = [
    "PARTIAL",
    "RUN_ID",
    "TRASH",
    "Leftovers",
    "Staging",
    "drop_owner",
    "fsync_tree",
    "leftovers",
    "new_staging",
    "release",
    "trash_name",
]

PARTIAL = ".partial"
TRASH = ".deleted"
OWNER = ".owner"
RUN_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$")
"""What a run id may look like (it names a directory, so no dots or slashes)."""

_live: set[Path] = set()
_live_guard = threading.Lock()


@dataclass
class Staging:
    """A run being written: its id, staging directory, start time and owner lock."""

    run_id: str
    directory: Path
    started: datetime
    _owner_fd: Any = field(default=None, repr=False)  # a descriptor, or filelock's lock

    @property
    def final(self) -> Path:
        """Where the run's files live once it is complete."""
        return self.directory.with_name(self.run_id)


def new_staging(runs_dir: Path, run_id: str) -> Staging:
    """Create ``runs/<run_id>.partial/`` owned by this process (call under the catalogue lock)."""
    if not RUN_ID.match(run_id):
        raise ValueError(f"run id {run_id!r} may hold only letters, digits, '-' and '_'")
    runs_dir.mkdir(parents=True, exist_ok=True)
    directory = runs_dir / f"{run_id}{PARTIAL}"
    if directory.exists() or (runs_dir / run_id).exists():
        raise FileExistsError(f"a run with id {run_id} already exists in {runs_dir}")
    directory.mkdir()
    fd = hold_owner_lock(directory / OWNER)
    with _live_guard:
        _live.add(directory)
    return Staging(run_id, directory, datetime.now(UTC), fd)


def release(staging: Staging, *, discard: bool) -> None:
    """Let go of a staging directory: drop the owner lock, and delete the files if ``discard``."""
    with _live_guard:
        _live.discard(staging.directory)
    if discard:
        shutil.rmtree(staging.directory, ignore_errors=True)
    if staging._owner_fd is not None:
        release_owner_lock(staging._owner_fd)
        staging._owner_fd = None


def drop_owner(staging: Staging) -> None:
    """Remove the owner file as the directory becomes a run (call under the catalogue lock).
    A POSIX lock stays held until :func:`release`; elsewhere a locked file cannot be removed,
    so the lock is let go first, which is safe: recovery needs the catalogue lock."""
    if not POSIX_LOCKS and staging._owner_fd is not None:
        release_owner_lock(staging._owner_fd)
        staging._owner_fd = None
    os.unlink(staging.directory / OWNER)


def fsync_tree(directory: Path) -> tuple[int, int]:
    """Flush every file under ``directory`` (and the directories) to disk; (files, bytes)."""
    files = 0
    size = 0
    for root, _dirs, names in os.walk(directory):
        for name in names:
            path = Path(root) / name
            if name == OWNER:
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                size += os.fstat(fd).st_size
            finally:
                os.close(fd)
            files += 1
        dfd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return files, size


@dataclass
class Leftovers:
    """What a crash left behind in the runs directory."""

    abandoned: list[Path] = field(default_factory=list)  # staging dirs of dead processes
    orphaned: list[Path] = field(default_factory=list)  # run dirs with no catalogue row
    trash: list[Path] = field(default_factory=list)  # deleted runs not yet removed


def leftovers(runs_dir: Path, complete: set[str]) -> Leftovers:
    """Find staging directories of dead processes and run directories no complete run owns.

    Call under the catalogue lock: then no process is between renaming its staging directory
    and committing its catalogue row. Staging directories of this process are never touched.
    """
    found = Leftovers()
    if not runs_dir.is_dir():
        return found
    with _live_guard:
        live = set(_live)
    for entry in sorted(runs_dir.iterdir()):
        name = entry.name
        if not entry.is_dir() or entry.is_symlink():
            continue
        if name.endswith(PARTIAL):
            live_here = entry in live or not RUN_ID.match(name[: -len(PARTIAL)])
            if not live_here and owner_is_gone(entry / OWNER):
                found.abandoned.append(entry)
        elif name.endswith(TRASH):
            found.trash.append(entry)
        elif RUN_ID.match(name) and name not in complete:
            found.orphaned.append(entry)
    return found


def trash_name(run_dir: Path) -> Path:
    """Where a deleted run's directory goes until its files are removed."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return run_dir.with_name(f"{run_dir.name}-{stamp}{TRASH}")
