"""Writing TOML: values (text, numbers, uncertain numbers, arrays, inline tables), keys, tables
and whole documents. What it writes, ``tomllib`` reads back as the same values.

Scenario files are written by people; the program writes TOML where it hands numbers back to
them, e.g. calibrated ranges as an includable rule module (``alliancesim calibrate``), and for
the generated scenarios of the property tests. Numbers are written exactly unless a number of
``significant`` digits is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uniform, uncertain_data

__all__ = ["comments", "document", "key", "number", "string", "table", "value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def string(text: str) -> str:
    """A basic string: quotes, backslashes and control characters escaped, the rest as is."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def key(name: str) -> str:
    """A key: bare when it can be (``weight``), quoted otherwise (``"trust.ROK.USA"``)."""
    return name if _BARE_KEY.match(name) else string(name)


def number(x: float | int, significant: int | None = None) -> str:
    """An integer as written; a float exactly (``0.1``, ``1e-07``, ``inf``), or rounded to
    ``significant`` digits."""
    if isinstance(x, int) and not isinstance(x, bool) and significant is None:
        return str(x)
    x = float(x)
    if significant is not None:
        x = float(f"{x:.{significant}g}")
    return repr(x)  # repr's "inf", "-inf" and "nan" are TOML too


def value(v: Any, significant: int | None = None) -> str:
    """Any value a scenario holds: text, a number, true/false, an uncertain number, an array or
    an inline table (numbers rounded to ``significant`` digits when given)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number(v, significant)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, Fixed | Uniform | Triangular | Normal):
        return value(uncertain_data(v), significant)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(item, significant) for item in v) + "]"
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        return (
            "{ "
            + ", ".join(f"{key(str(k))} = {value(x, significant)}" for k, x in v.items())
            + " }"
        )
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def comments(lines: Iterable[str]) -> str:
    """Comment lines (``# …``), one per line of ``lines``."""
    parts = [part for line in lines for part in (line.splitlines() or [""])]
    return "\n".join(f"# {part}" if part else "#" for part in parts)


def table(
    name: str,
    fields: Mapping[str, Any],
    *,
    array: bool = False,
    comment: str = "",
    significant: int | None = None,
) -> str:
    """A table ``[name]`` (an entry ``[[name]]`` of an array of tables when ``array``), with an
    optional comment line under its header and one ``key = value`` line per field."""
    lines = [f"[[{key(name)}]]" if array else f"[{key(name)}]"]
    if comment:
        lines.append(comments([comment]))
    lines += [f"{key(k)} = {value(v, significant)}" for k, v in fields.items()]
    return "\n".join(lines)


def document(*blocks: str) -> str:
    """Blocks (comments, tables) separated by blank lines, ending with a newline."""
    return "\n\n".join(blocks) + "\n"
