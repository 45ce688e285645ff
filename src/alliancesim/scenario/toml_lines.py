"""Where each key of a TOML document is written: a map from field path to line number.

``tomllib`` gives values but not positions; error messages must name the line. This module
walks the text once (after ``tomllib`` has accepted it, so it need not validate) and records
the line of every key, array-of-tables entry and array element, as paths shaped like
pydantic's error locations: ``("rules", 3, "weight")``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

__all__ = ["LineMap", "map_lines"]

Path = tuple[str | int, ...]


class LineMap:
    """Lines of the keys in one TOML file; :meth:`line` falls back to the nearest enclosing key."""

    def __init__(self, lines: dict[Path, int]):
        self._lines = lines

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line where ``path`` (or its longest recorded prefix) is written, 1-based."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return None

    def __contains__(self, path: object) -> bool:
        return path in self._lines


# What the scanner steps over, as the character loops it replaces did: blanks and comments (with
# or without line breaks); a string from its opening quote to just past its closing one (an
# escape in a basic string is two characters; a multi-line string takes up to all the quotes that
# close it); a bare key (isalnum, _ or -: ``\w`` and -); a bare value (up to , ] } a line break or #).
_BLANK = re.compile(r"(?:[ \t\r]|#[^\n]*)*")
_BLANK_LINES = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_STRING_BODIES = {
    '"': re.compile(r'"(?:[^"\\\n]|\\[\s\S]?)*[\s\S]?'),
    "'": re.compile(r"'[^'\n]*[\s\S]?"),
    '"""': re.compile(r'"""(?:\\[\s\S]?|(?!""")[\s\S])*(?:""")?"*'),
    "'''": re.compile(r"'''(?:(?!''')[\s\S])*(?:''')?'*"),
}
_BARE_KEY = re.compile(r"[\w-]*")
_BARE_VALUE = re.compile(r"[^,\]}\n#]*")


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.array_tables: dict[Path, int] = {}
        self.last_pos = -1

    # -- low-level ---------------------------------------------------------------------------
    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else ""

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.pos < len(self.text):
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1

    def ensure_progress(self) -> None:
        """Step over a character the scanner does not understand rather than loop forever."""
        if self.pos == self.last_pos:
            self.advance()
        self.last_pos = self.pos

    def jump(self, end: int) -> None:
        """Move to ``end`` (at most the end of the text), counting the lines passed."""
        end = min(end, len(self.text))
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_blank(self, newlines: bool) -> None:
        blank = _BLANK_LINES if newlines else _BLANK
        self.jump(blank.match(self.text, self.pos).end())

    def skip_string(self) -> str:
        quote = self.peek()
        start = self.pos
        body = _STRING_BODIES[quote * 3 if self.text.startswith(quote * 3, self.pos) else quote]
        self.jump(body.match(self.text, self.pos).end())
        return self.text[start : self.pos]

    def read_key_part(self) -> str:
        c = self.peek()
        if c in "\"'":
            raw = self.skip_string()
            if c == '"' and "\\" in raw:  # escapes: let tomllib decode the key
                try:
                    return str(tomllib.loads(f"k = {raw}")["k"])
                except tomllib.TOMLDecodeError:
                    pass
            return raw[1:-1]
        start = self.pos
        self.jump(_BARE_KEY.match(self.text, self.pos).end())
        return self.text[start : self.pos]

    def read_dotted_key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            parts.append(self.read_key_part())
            self.skip_blank(newlines=False)
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    # -- structure ---------------------------------------------------------------------------
    def resolve(self, keys: list[str], extend_last: bool = False) -> Path:
        """Turn header keys into a path, inserting the current index of arrays of tables."""
        path: list[str | int] = []
        for i, key in enumerate(keys):
            path.append(key)
            is_last = i == len(keys) - 1
            if tuple(path) in self.array_tables and not (is_last and extend_last):
                path.append(self.array_tables[tuple(path)])
        return tuple(path)

    def scan(self) -> dict[Path, int]:
        current: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            self.ensure_progress()
            line = self.line
            if self.peek() == "[":
                double = self.peek(1) == "["
                self.advance(2 if double else 1)
                keys = self.read_dotted_key()
                self.advance(2 if double else 1)
                if double:
                    base = self.resolve(keys, extend_last=True)
                    index = self.array_tables.get(base, -1) + 1
                    self.array_tables[base] = index
                    current = (*base, index)
                    self.lines.setdefault(base, line)
                else:
                    current = self.resolve(keys)
                self.lines[current] = line
                continue
            keys = self.read_dotted_key()
            path = (*current, *keys)
            self.lines[path] = line
            self.skip_blank(newlines=False)
            if self.peek() == "=":
                self.advance()
            self.scan_value(path)

    def scan_value(self, path: Path) -> None:
        self.skip_blank(newlines=False)
        c = self.peek()
        if c == "{":
            self.advance()
            while True:
                self.skip_blank(newlines=True)
                self.ensure_progress()
                if self.peek() in ("}", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                line = self.line
                keys = self.read_dotted_key()
                sub = (*path, *keys)
                self.lines[sub] = line
                self.skip_blank(newlines=False)
                if self.peek() == "=":
                    self.advance()
                self.scan_value(sub)
        elif c == "[":
            self.advance()
            index = 0
            while True:
                self.skip_blank(newlines=True)
                self.ensure_progress()
                if self.peek() in ("]", ""):
                    self.advance()
                    return
                if self.peek() == ",":
                    self.advance()
                    continue
                self.lines[(*path, index)] = self.line
                self.scan_value((*path, index))
                index += 1
        elif c in "\"'":
            self.skip_string()
        else:
            self.jump(_BARE_VALUE.match(self.text, self.pos).end())


def map_lines(text: str) -> LineMap:
    """Map every key path of a TOML document (already accepted by tomllib) to its line."""
    try:
        return LineMap(_Scanner(text).scan())
    except (IndexError, RecursionError):  # pragma: no cover - tomllib accepted the text
        return LineMap({})
