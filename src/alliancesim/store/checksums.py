"""A stored run's files are checked against the checksums recorded when it was stored.

At commit, every file of a run (its Parquet trajectories and parameters) is hashed with
SHA-256 into ``checksums.sha256`` in the run's directory, in the format ``sha256sum -c``
reads; the manifest is flushed to disk with the files before the run becomes visible. Every
read of a stored run (opening it, exporting it) first checks each file against the manifest,
so a flipped byte or a truncated file is an error naming the file, never a silently wrong
number (hardening issue, item 11). A file already checked in this process is not hashed again
while its size and modification time are unchanged; a file written for the store
(:func:`write_hashed`) is hashed from the bytes written, beside the write. Runs stored before checksums were
recorded have no manifest and are read as before.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from alliancesim.errors import InputError

__all__ = ["MANIFEST", "hash_run_files", "verify_run_files", "write_hashed", "write_manifest"]

MANIFEST = "checksums.sha256"
"""The manifest of a stored run's files, in its directory."""
_SKIPPED = {MANIFEST, ".owner"}

_checked: dict[tuple[str, int, int], str] = {}
_checked_guard = threading.Lock()


class _Hashing:
    """The digest of bytes being written to a file, computed on another thread."""

    def __init__(self, data: bytes) -> None:
        self._digest: str | None = None
        self._thread = threading.Thread(
            target=self._hash, args=(data,), name="alliancesim-hash-file", daemon=True
        )
        self._thread.start()

    def _hash(self, data: bytes) -> None:
        self._digest = hashlib.sha256(data).hexdigest()

    def result(self) -> str | None:
        """The digest, once computed (None if hashing failed)."""
        self._thread.join()
        return self._digest


_pending: dict[tuple[str, int, int], _Hashing] = {}


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files(directory: Path) -> list[str]:
    """The run's files, relative to its directory, in a fixed order."""
    found = []
    for root, _dirs, names in os.walk(directory):
        for name in names:
            if name in _SKIPPED:
                continue
            found.append((Path(root) / name).relative_to(directory).as_posix())
    return sorted(found)


def _known_digest(path: Path) -> str:
    """The file's digest: the one found in this process while its size and modification time
    are unchanged, else computed now (and kept)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _checked_guard:
        known = _checked.get(key)
        hashing = _pending.pop(key, None) if known is None else None
    if known is None and hashing is not None:  # hashed as it was written
        known = hashing.result()
    if known is None:
        known = _digest(path)
    with _checked_guard:
        _checked[key] = known
    return known


def write_hashed(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path`` while another thread hashes the same bytes (hashlib
    releases the interpreter lock): the manifest written when the run is stored then takes the
    digest (:func:`write_manifest`, while the file's size and modification time are those it
    was written with) instead of reading and hashing the file again."""
    hashing = _Hashing(data)
    path.write_bytes(data)
    stat = path.stat()
    with _checked_guard:
        _pending[(str(path), stat.st_size, stat.st_mtime_ns)] = hashing


def hash_run_files(directory: Path) -> int:
    """Hash every file of the finished run in ``directory`` ahead of :func:`write_manifest`,
    which then takes each digest found while the file is unchanged (size and modification
    time): done on another thread while the run is read, the hashing runs beside it (hashlib
    releases the interpreter lock). The files hashed."""
    names = _files(directory)
    for name in names:
        _known_digest(directory / name)
    return len(names)


def write_manifest(directory: Path) -> int:
    """Hash every file of the run in ``directory`` into its manifest (each digest found ahead
    by :func:`hash_run_files` taken while the file is unchanged); the files hashed."""
    names = _files(directory)
    lines = [f"{_known_digest(directory / name)}  {name}\n" for name in names]
    path = directory / MANIFEST
    with open(path, "w", encoding="utf-8") as manifest:
        manifest.writelines(lines)
    return len(names)


def verify_run_files(directory: Path, run_id: str) -> None:
    """Check every file of the stored run in ``directory`` against its manifest; an error
    names the first file that is missing, changed or damaged (no manifest: nothing to check)."""
    path = directory / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    advice = f"delete the run (alliancesim delete {run_id}) and run it again"
    for number, line in enumerate(text.splitlines(), 1):
        expected, _, name = line.partition("  ")
        if len(expected) != 64 or not name or Path(name).is_absolute() or ".." in Path(name).parts:
            raise InputError.single(
                str(path), f"line {number} is not '<sha256>  <file>': the manifest is damaged"
            )
        target = directory / name
        try:
            stat = target.stat()
        except FileNotFoundError:
            raise InputError.single(
                str(target), f"run {run_id} is missing this file: {advice}"
            ) from None
        key = (str(target), stat.st_size, stat.st_mtime_ns)
        with _checked_guard:
            known = _checked.get(key)
        actual = known or _digest(target)
        if actual != expected:
            raise InputError.single(
                str(target),
                f"run {run_id}'s file does not match the checksum recorded when it was stored "
                f"(it was changed or damaged since): {advice}",
            )
        with _checked_guard:
            _checked[key] = actual
