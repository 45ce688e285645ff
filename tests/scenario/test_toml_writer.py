"""The TOML writer: what it writes, tomllib reads back as the same values."""

from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliancesim.scenario import toml_writer as toml
from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uniform, parse_uncertain

AWKWARD = [
    "",
    'with "quotes"',
    "back\\slash \\n not a newline",
    "ünïcödé — “curly” 한국어 🇰🇷",
    "two\nlines\r\nand a tab\t",
    "control \x00 \x01 \x1f and delete \x7f",
    '"""',
    "'single'",
    "# not a comment",
    "key = value",
    "\\u0041",
]

texts = st.one_of(st.sampled_from(AWKWARD), st.text())
floats = st.floats(allow_nan=False)
scalars = st.one_of(texts, st.integers(-(2**63), 2**63 - 1), floats, st.booleans())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


def read_back(text: str) -> dict:
    return tomllib.loads(text)


@given(value=values)
def test_any_value_reads_back_the_same(value) -> None:
    assert read_back(f"x = {toml.value(value)}")["x"] == value


@given(name=texts, value=scalars)
def test_any_key_reads_back_the_same(name, value) -> None:
    assert read_back(f"{toml.key(name)} = {toml.value(value)}") == {name: value}


@pytest.mark.parametrize("text", AWKWARD)
def test_awkward_strings_read_back_the_same(text) -> None:
    written = toml.string(text)
    assert "\n" not in written  # one line, whatever the text
    assert read_back(f"s = {written}")["s"] == text


def test_plain_text_is_written_as_is() -> None:
    assert toml.string("ünïcödé — “x”") == '"ünïcödé — “x”"'
    assert toml.key("weight") == "weight"
    assert toml.key("trust.ROK.USA") == '"trust.ROK.USA"'


def test_numbers_exactly_or_to_significant_digits() -> None:
    assert toml.number(3) == "3"
    assert toml.number(0.1) == "0.1"
    assert toml.number(1e-7) == "1e-07"
    assert toml.number(0.123456789, significant=6) == "0.123457"
    assert toml.number(100, significant=6) == "100.0"
    for x in (math.inf, -math.inf):
        assert read_back(f"x = {toml.number(x)}")["x"] == x
    assert math.isnan(read_back(f"x = {toml.number(math.nan)}")["x"])


@pytest.mark.parametrize(
    "uncertain",
    [
        Fixed(0.25),
        Uniform(-0.1, 0.3),
        Triangular(0.1, 0.2, 0.4),
        Normal(0.5, 0.1, 0.0, 1.0),
        Normal(0.5, 0.1, -math.inf, 0.9),
        Normal(0.5, 0.1, -math.inf, math.inf),
    ],
)
def test_uncertain_numbers_read_back_as_the_same_distribution(uncertain) -> None:
    assert parse_uncertain(read_back(f"v = {toml.value(uncertain)}")["v"]) == uncertain


def test_a_document_of_tables_reads_back_the_same() -> None:
    text = toml.document(
        toml.comments(["a header", "", 'with "quotes"\nand two lines']),
        toml.table("module", {"id": "m", "title": 'a "title"\nover lines', "include": []}),
        toml.table(
            "overrides",
            {"parameter": "actions.cut.effects.trust.ROK.USA", "value": Uniform(0.1, 0.2)},
            array=True,
            comment="narrowed by 10 %",
        ),
        toml.table("overrides", {"parameter": "p", "value": 0.5}, array=True),
    )
    assert text.endswith("\n") and "\n\n[[overrides]]\n# narrowed by 10 %\n" in text
    assert read_back(text) == {
        "module": {"id": "m", "title": 'a "title"\nover lines', "include": []},
        "overrides": [
            {
                "parameter": "actions.cut.effects.trust.ROK.USA",
                "value": {"low": 0.1, "high": 0.2},
            },
            {"parameter": "p", "value": 0.5},
        ],
    }


def test_values_it_cannot_write_are_refused() -> None:
    with pytest.raises(TypeError):
        toml.value(object())
