"""A scenario or module file as read: its TOML data and the line of every key; and the problems
found while loading, each located by file, line and field path.

Every file goes through :func:`read_toml`: the bytes through
:func:`~alliancesim.scenario.reading.read_scenario_bytes` (what may be opened, and how much), the
text through :func:`~alliancesim.scenario.reading.text_limits` before ``tomllib`` sees it, and
every way of failing becomes one problem with the file and, where known, the line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliancesim.errors import Problem
from alliancesim.scenario.library import LIBRARY
from alliancesim.scenario.reading import RefusedFileError, read_scenario_bytes, text_limits
from alliancesim.scenario.toml_lines import LineMap, map_lines

__all__ = ["Problems", "TomlFile", "display_path", "field_path", "read_toml"]

Loc = tuple[Any, ...]


@dataclass
class TomlFile:
    """One file as read: where it is, its data, and the line of every key in it."""

    path: Path
    display: str  # the file as problems name it
    data: dict[str, Any]
    lines: LineMap

    def line(self, loc: Sequence[Any]) -> int | None:
        """The line where ``loc`` (or the nearest key enclosing it) is written."""
        return self.lines.line(loc)


class Problems:
    """The problems found so far, each with its file, line, field path and message."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, file: TomlFile | str, loc: Loc, message: str, line: int | None = None) -> None:
        """A problem at ``loc`` of ``file`` (a file read, or a name when it could not be read);
        its line is where ``loc`` is written unless given."""
        if isinstance(file, TomlFile):
            display = file.display
            if line is None:
                line = file.line(loc)
        else:
            display = file
        self.found.append(Problem(display, line, field_path(loc), message))


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def field_path(loc: Loc) -> str:
    """A field path as an author reads it: ``rules[2].weight``, ``actions[0].effects."a.B"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = str(part)
        if not _BARE_KEY.match(text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += ("." if out else "") + text
    return out


def display_path(path: Path) -> str:
    """A file as problems name it: relative to the working directory, ``<library>/…`` for a
    built-in file, else as given."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):
        return str(path)
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        if resolved.is_relative_to(LIBRARY.resolve()):
            return f"<library>/{path.name}"
        return str(path)


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_toml(path: Path, problems: Problems, *, missing: str = "no such file") -> TomlFile | None:
    """The file at ``path`` parsed, or None after adding why it cannot be (``missing`` when it
    does not exist)."""
    display = display_path(path)
    try:
        data = read_scenario_bytes(path)
    except FileNotFoundError:
        problems.add(display, (), missing)
        return None
    except RefusedFileError as refusal:
        problems.add(display, (), refusal.message, line=refusal.line)
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        problems.add(display, (), f"cannot read the file ({reason})")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        problems.add(
            display, (), f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8", line=line
        )
        return None
    text = text.removeprefix("\ufeff")
    refusal = text_limits(text)
    if refusal is not None:
        problems.add(display, (), refusal.message, line=refusal.line)
        return None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        where = _TOML_WHERE.search(message)
        line = None
        if where:
            line = int(where.group(1))
            message = message[: where.start()] + f" (column {where.group(2)})"
        message = message.replace("(at end of document)", "at the end of the file").strip()
        message = message.replace(
            "Illegal character '\\n'", "line ends inside a string (a closing quote missing?)"
        )
        problems.add(display, (), f"TOML syntax error: {message}", line=line)
        return None
    except RecursionError:
        problems.add(display, (), "TOML syntax error: values nested too deeply")
        return None
    return TomlFile(path, display, raw, map_lines(text))
