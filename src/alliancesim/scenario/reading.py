"""Reading a scenario file safely: what may be opened, how much is read, what is refused unparsed.

Every file the loader reads (the scenario and each module it includes) goes through
:func:`read_scenario_text`, the one place that decides whether a file may be opened:

- only a **regular file** is opened (never a device such as ``/dev/zero``, a named pipe, a
  socket or a directory), checked before opening and again on the open descriptor, which is
  opened non-blocking so that a pipe swapped in between cannot hang the reader;
- at most :data:`MAX_FILE_BYTES` are read;
- under :attr:`Includes.BUILTIN` (uploaded scenarios) an ``include`` may name only a built-in
  rule module: no path is followed, so an uploaded file cannot make the server read anything
  outside the built-in library (see :func:`include_target`).

Before ``tomllib`` sees a text, :func:`text_limits` refuses what would make parsing slow or
deep: over-long lines, dotted keys with very many parts (``tomllib`` is quadratic in them) and
deeply nested arrays or tables. Each refusal is a problem with the file, the line and what is
allowed, like any other mistake in a scenario.
"""

from __future__ import annotations

import enum
import os
import re
import stat
from pathlib import Path

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_INCLUDE_DEPTH",
    "MAX_KEY_PARTS",
    "MAX_LINE_CHARS",
    "MAX_NESTING",
    "Includes",
    "RefusedFileError",
    "read_scenario_bytes",
    "text_limits",
]

MAX_FILE_BYTES = 4 * 2**20
"""Largest scenario or module file read (the biggest built-in is about 60 kB)."""
MAX_LINE_CHARS = 10_000
"""Longest line accepted (the longest built-in line is about 330 characters)."""
MAX_KEY_PARTS = 16
"""Most parts of one dotted key, e.g. ``a.b.c`` has 3 (built-ins use at most 3)."""
MAX_NESTING = 32
"""Deepest nesting of arrays and inline tables."""
MAX_INCLUDE_DEPTH = 16
"""Longest chain of modules including modules."""


class Includes(enum.Enum):
    """What a scenario's ``include`` may name."""

    FILES = "files"
    """Built-in modules and the author's own module files (the command line, the Python API)."""
    BUILTIN = "builtin"
    """Built-in modules only, never a path (scenarios uploaded to the dashboard)."""


class RefusedFileError(Exception):
    """Why a file was not read (or not parsed), in words for the author, with the line."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def read_scenario_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The contents of a regular file of at most ``limit`` bytes; :class:`RefusedFileError` (or
    ``OSError`` from the system, e.g. no such file) otherwise."""
    before = os.stat(path)  # FileNotFoundError, PermissionError … are the caller's to word
    _check_kind(before.st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        opened = os.fstat(fd)
        _check_kind(opened.st_mode)  # the file may have been swapped since the first look
        if opened.st_size > limit:
            raise RefusedFileError(f"file too large: {opened.st_size:,} bytes, at most {limit:,}")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise RefusedFileError(f"file too large: more than {limit:,} bytes")
    finally:
        os.close(fd)
    return b"".join(chunks)


def _check_kind(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise RefusedFileError("is a directory, not a scenario file")
    if not stat.S_ISREG(mode):
        raise RefusedFileError(
            "not a regular file (a device, pipe or socket): a scenario is a TOML text file"
        )


# Strings and comments are blanked out before the limits are checked, so that a quoted dot or
# bracket is not mistaken for a key part or a nesting level. A string spanning lines keeps its
# line breaks, so line numbers stay right.
_STRINGS_AND_COMMENTS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*'
)
_KEY_PART = r"(?:[A-Za-z0-9_-]+|s)"
_LONG_KEY = re.compile(rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART}){{{MAX_KEY_PARTS},}}")
_BRACKET = re.compile(r"[\[\]{}]")


def _blank(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.startswith("#"):
        return ""
    return "s" + "\n" * text.count("\n")


def text_limits(text: str) -> RefusedFileError | None:
    """The first way ``text`` exceeds the limits on lines, dotted keys or nesting, or None."""
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_LINE_CHARS:
            return RefusedFileError(
                f"line too long: {len(line):,} characters, at most {MAX_LINE_CHARS:,}", number
            )
    skeleton = _STRINGS_AND_COMMENTS.sub(_blank, text)
    long_key = _LONG_KEY.search(skeleton)
    if long_key:
        return RefusedFileError(
            f"a dotted key with more than {MAX_KEY_PARTS} parts: write the table with fewer levels",
            skeleton.count("\n", 0, long_key.start()) + 1,
        )
    depth = 0
    for bracket in _BRACKET.finditer(skeleton):
        depth += 1 if bracket.group(0) in "[{" else -1
        if depth > MAX_NESTING:
            return RefusedFileError(
                f"values nested too deeply: more than {MAX_NESTING} levels of arrays or tables",
                skeleton.count("\n", 0, bracket.start()) + 1,
            )
        depth = max(depth, 0)
    return None
