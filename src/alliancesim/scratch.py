"""Temporary folders of runs too large for memory that are not stored: owned while in use,
removed when no one reads them any more, swept when their owner died.

A run whose trajectories do not fit in memory and that is not simulated into the store writes
its Parquet files to ``<temp>/alliancesim-run-XXXX/``. The folder holds an owner lock (the
store's staging directories use the same lock, :mod:`alliancesim.store.locks`) for as long as
the process that made it lives; it is removed as soon as the run's files are no longer
referenced (the :class:`ScratchFolder` is garbage-collected, or the process exits normally),
or at once if the simulation fails. A process killed with SIGKILL cannot clean up, so every new
scratch folder first sweeps the folders whose owner is gone (hardening issue, item 9).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from alliancesim.store.locks import hold_owner_lock, owner_is_gone, release_owner_lock

__all__ = ["PREFIX", "ScratchFolder", "new_scratch_folder", "sweep_abandoned"]

PREFIX = "alliancesim-run-"
"""Name prefix of a scratch folder in the temporary directory."""
OWNER = ".owner"
"""The owner lock file inside a scratch folder."""
GRACE_SECONDS = 60.0
"""A folder without an owner file younger than this may be one another process is creating."""

_own: set[Path] = set()
_own_guard = threading.Lock()


class ScratchFolder:
    """A run's temporary folder, removed with its owner lock when this object is collected,
    when :meth:`remove` is called, or when the process exits."""

    def __init__(self, directory: Path, handle: Any) -> None:
        self.directory = directory
        self._finalizer = weakref.finalize(self, _remove, directory, handle)

    def remove(self) -> None:
        """Delete the folder now (idempotent)."""
        self._finalizer()

    @property
    def exists(self) -> bool:
        """Whether the folder is still there."""
        return self._finalizer.alive


def _remove(directory: Path, handle: Any) -> None:
    with _own_guard:
        _own.discard(directory)
    try:
        release_owner_lock(handle)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def new_scratch_folder(root: Path | None = None) -> ScratchFolder:
    """A new owned scratch folder in ``root`` (default: the system's temporary directory),
    after sweeping the folders there whose owner died."""
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    sweep_abandoned(base)
    directory = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    try:
        handle = hold_owner_lock(directory / OWNER)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    with _own_guard:
        _own.add(directory)
    return ScratchFolder(directory, handle)


def sweep_abandoned(root: Path | None = None) -> list[Path]:
    """Delete the scratch folders in ``root`` (default: the system's temporary directory) that
    no living process owns; the folders deleted."""
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        candidates = [p for p in base.iterdir() if p.name.startswith(PREFIX) and p.is_dir()]
    except OSError:
        return removed
    for directory in candidates:
        with _own_guard:
            if directory in _own:
                continue
        owner = directory / OWNER
        try:
            if not owner.exists() and time.time() - directory.stat().st_mtime < GRACE_SECONDS:
                continue  # being created right now, or written by an older version
            if not owner_is_gone(owner):
                continue
        except OSError:
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed
