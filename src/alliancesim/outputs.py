"""Writing output files (reports, plots, exports): atomically, and never harming what was there.

A reader never sees half a file (write to a temporary file beside it, then rename). Only a
regular file is ever replaced — never a device, a pipe or a directory — and only a file that
alliancesim wrote (its head carries :data:`MARK`) unless the user says ``--force``; the
replaced file keeps its permission bits.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alliancesim.errors import InputError

__all__ = ["MARK", "check_writable", "new_output_directory", "write_text_file"]

MARK = '<meta name="generator" content="alliancesim'
"""In the head of every HTML file alliancesim makes (reports, plots): how it knows its own."""


def check_writable(path: Path | str, *, what: str = "file", force: bool = False) -> int:
    """Refuse, before any work, an output ``path`` that may not be written: a directory, a
    device or pipe, or a file alliancesim did not write (unless ``force``). Returns the mode
    bits the written file will have (those of the file it replaces, else 0o644)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return 0o644
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError.single(str(path), f"cannot write the {what} here ({reason})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError.single(str(path), f"expected a {what} file name, got a directory")
    if not stat.S_ISREG(info.st_mode):
        raise InputError.single(
            str(path), "not a regular file (a device, pipe or socket): it is never replaced"
        )
    if not force and not _written_by_us(path):
        raise InputError.single(
            str(path),
            "the file exists and alliancesim did not write it: choose another name or pass "
            "--force to replace it",
        )
    return stat.S_IMODE(info.st_mode)


def write_text_file(
    path: Path | str, text: str, *, what: str = "file", force: bool = False
) -> Path:
    """Write ``text`` to ``path`` atomically (a reader never sees half a file), after the checks
    of :func:`check_writable`; the replaced file keeps its permission bits."""
    path = Path(path)
    mode = check_writable(path, what=what, force=force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError.single(str(path), f"cannot write the {what} here ({reason})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise InputError.single(str(path), f"cannot write the {what} ({reason})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _written_by_us(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return MARK.encode() in head


@contextmanager
def new_output_directory(out: Path | str) -> Iterator[Path]:
    """A directory to write an export into, that becomes ``out`` only when everything was
    written: ``out`` must not exist or be an empty directory; the files are written into a
    hidden sibling first (removed if anything fails), so a reader never sees half an export."""
    out = Path(out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError.single(str(out), "exists and is not a directory: name a new directory")
    if out.exists() and any(out.iterdir()):
        raise InputError.single(str(out), "output directory exists and is not empty")
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as exc:
        raise InputError.single(
            str(out), f"cannot create the output directory here ({exc.strerror or exc})"
        ) from None
    try:
        yield staging
        try:
            os.replace(staging, out)
        except OSError as exc:
            raise InputError.single(
                str(out), f"cannot put the export in place ({exc.strerror or exc})"
            ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
