"""Line numbers of TOML keys: what error messages point at."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.scenario.toml_lines import map_lines

DOCUMENT = '''\
# a comment before anything
title = "x"   # trailing comment
"quoted key" = 1
'literal "key"' = 2
a.b.c = 3

[scenario]
id = "a"
description = """
several
lines with "quotes", a # hash and [brackets]
"""
literal = \'\'\'
it's "raw" \\ here
\'\'\'
values = [
  1, # one
  "two # not a comment",
  { x = 1, y = "]" },
]

[[rules]]
id = "r0"

[[rules]]
id = "r1"
weight = { low = 1, high = 2 }

[rules.sources]
weight = "assumption: x"

[[rules]]
id = "r2"
effects = { "trust.ROK.USA" = -0.1, nested = { deep = 1 } }

[issues.positions.USA]
position = 1

[ "esc\\"aped" . k ]
z = 1

[[nested.list]]
q = 1

[[ nested.list ]]
q = 2

[[nested.list.inner]]
w = 1
'''


def lines():
    assert tomllib.loads(DOCUMENT)  # the document is valid TOML
    return map_lines(DOCUMENT)


def test_top_level_keys_including_quoted_and_dotted():
    m = lines()
    assert m.line(("title",)) == 2
    assert m.line(("quoted key",)) == 3
    assert m.line(('literal "key"',)) == 4
    assert m.line(("a", "b", "c")) == 5


def test_tables_and_keys_after_multi_line_strings():
    m = lines()
    assert m.line(("scenario",)) == 7
    assert m.line(("scenario", "id")) == 8
    assert m.line(("scenario", "description")) == 9
    assert m.line(("scenario", "literal")) == 13
    assert m.line(("scenario", "values")) == 16


def test_elements_of_a_multi_line_array_and_keys_of_inline_tables():
    m = lines()
    assert m.line(("scenario", "values", 0)) == 17
    assert m.line(("scenario", "values", 1)) == 18
    assert m.line(("scenario", "values", 2)) == 19
    assert m.line(("scenario", "values", 2, "y")) == 19


def test_array_of_tables_entries_are_numbered_in_order():
    m = lines()
    assert m.line(("rules",)) == 22  # the first entry
    assert m.line(("rules", 0)) == 22
    assert m.line(("rules", 0, "id")) == 23
    assert m.line(("rules", 1)) == 25
    assert m.line(("rules", 1, "weight")) == 27
    assert m.line(("rules", 1, "weight", "high")) == 27
    assert m.line(("rules", 1, "sources")) == 29  # a sub-table of the current entry
    assert m.line(("rules", 1, "sources", "weight")) == 30
    assert m.line(("rules", 2, "id")) == 33
    assert m.line(("rules", 2, "effects", "trust.ROK.USA")) == 34
    assert m.line(("rules", 2, "effects", "nested", "deep")) == 34


def test_sub_tables_escaped_headers_and_nested_arrays_of_tables():
    m = lines()
    assert m.line(("issues", "positions", "USA")) == 36
    assert m.line(("issues", "positions", "USA", "position")) == 37
    assert m.line(('esc"aped', "k", "z")) == 40
    assert m.line(("nested", "list", 0, "q")) == 43
    assert m.line(("nested", "list", 1)) == 45
    assert m.line(("nested", "list", 1, "q")) == 46
    assert m.line(("nested", "list", 1, "inner", 0, "w")) == 49


def test_unknown_paths_fall_back_to_the_nearest_enclosing_key():
    m = lines()
    assert m.line(("rules", 1, "weight", "mode")) == 27
    assert m.line(("rules", 2, "missing_field")) == 32
    assert m.line(("nowhere",)) is None
    assert m.line(()) is None
    assert ("rules", 1) in m and ("rules", 9) not in m


def test_garbage_does_not_hang_the_scanner():
    m = map_lines("a = 1\n\x01 = 2\n b = [1, 2,\n3]\n{")
    assert m.line(("a",)) == 1
    assert m.line(("b", 2)) == 4


# --------------------------------------------------------------------------------------------
# property: for documents written in many styles, every key is found on the line it is on

KEY = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True),
    st.text(alphabet="ab .#=[]'\"-", min_size=1, max_size=6),
)
SCALAR = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(alphabet="ab #[]{}=,\"'\\\n", max_size=8).map(lambda s: json.dumps(s)),
    st.text(alphabet='ab #[]{}=,"', max_size=8).map(lambda s: f"'{s}'"),
    st.sampled_from(['"""\nline one\nline "two" # not a comment\n"""', "'''\nraw ]]\n'''"]),
)


def _key(name: str) -> str:
    return (
        name
        if name.replace("_", "").replace("-", "").isalnum() and name.isascii()
        else json.dumps(name)
    )


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.expected: dict[tuple, int] = {}

    def emit(self, text: str) -> int:
        number = len(self.lines) + 1
        self.lines.extend(text.split("\n"))
        return number

    def value(self, path: tuple, draw, depth: int) -> str:
        kind = draw(
            st.sampled_from(["scalar", "scalar", "inline", "array"] if depth < 2 else ["scalar"])
        )
        if kind == "scalar":
            return draw(SCALAR).replace("\n", " ") if draw(st.booleans()) else draw(SCALAR)
        if kind == "inline":
            keys = draw(st.lists(KEY, min_size=0, max_size=3, unique=True))
            parts = []
            for k in keys:
                self.expected[(*path, k)] = -1  # same line as the key: filled in by the caller
                parts.append(f"{_key(k)} = {draw(SCALAR).replace(chr(10), ' ')}")
            return "{ " + ", ".join(parts) + " }"
        return "ARRAY"

    def key_value(self, path: tuple, name: str, draw, depth: int = 0) -> None:
        full = (*path, name)
        value = self.value(full, draw, depth)
        if value != "ARRAY":
            line = self.emit(f"{_key(name)} = {value}" + draw(st.sampled_from(["", "  # note"])))
            self.expected[full] = line
            for p, n in list(self.expected.items()):
                if n == -1:
                    self.expected[p] = line
            return
        self.expected[full] = self.emit(f"{_key(name)} = [  # many lines")
        for i in range(draw(st.integers(0, 3))):
            if draw(st.booleans()):
                self.emit("  # a comment between elements")
            scalar = draw(SCALAR)
            self.expected[(*full, i)] = self.emit(f"  {scalar},")
        self.emit("]")


@st.composite
def documents(draw):
    writer = _Writer()
    for name in draw(st.lists(KEY, max_size=3, unique=True)):
        writer.key_value((), name, draw)
    tables = draw(st.lists(st.from_regex(r"T[a-z]{0,5}", fullmatch=True), max_size=3, unique=True))
    for table in tables:
        if draw(st.booleans()):
            writer.expected[(table,)] = writer.emit(f"[{table}]")
            for name in draw(st.lists(KEY, max_size=3, unique=True)):
                writer.key_value((table,), name, draw)
        else:
            for index in range(draw(st.integers(1, 3))):
                line = writer.emit(f"[[ {table} ]]" if draw(st.booleans()) else f"[[{table}]]")
                writer.expected.setdefault((table,), line)
                writer.expected[(table, index)] = line
                for name in draw(st.lists(KEY, max_size=3, unique=True)):
                    writer.key_value((table, index), name, draw)
        writer.emit("")
    return "\n".join(writer.lines) + "\n", writer.expected


@settings(max_examples=80, deadline=None)
@given(documents())
def test_every_key_is_found_on_its_line(document):
    text, expected = document
    tomllib.loads(text)  # the writer writes valid TOML
    m = map_lines(text)
    for path, line in expected.items():
        assert m.line(path) == line, (path, text)
