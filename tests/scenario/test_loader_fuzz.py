"""Nothing in a scenario file makes the loader fail with anything but InputError.

Hypothesis mutates the example scenario (deleting, duplicating and swapping lines, replacing
values with awkward ones, inserting headers, cutting the file short) and builds random
TOML-ish documents from the schema's vocabulary. Each must either load or raise InputError
whose problems all name the file and a line inside it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario
from alliancesim.scenario.loader import _SCENARIO_SECTIONS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "my-first-scenario.toml"
LINES = EXAMPLE.read_text(encoding="utf-8").splitlines()

AWKWARD = [
    '""',
    "0",
    "-1",
    "1e308",
    "-1e308",
    "inf",
    "nan",
    "true",
    "[]",
    "{}",
    '[1, "a"]',
    "{ low = 1 }",
    "{ low = 2, high = 1 }",
    '{ dist = "beta" }',
    "{ dist = [1] }",
    '{ dist = "normal", mean = 0, sd = 0 }',
    "\"__import__('os').system('true')\"",
    '"x.__class__"',
    '"2 ** 1000"',
    '"9**9**9"',
    '"(" ',
    '"a.B"',
    '"USA"',
    '"usa"',
    '"None"',
    '"2025Q9"',
    '"2025-13"',
    '"2099Q1"',
    '"horizon"',
    "1" + "0" * 400,
    "3.5",
    '["dilemma"]',
    '["missing.toml"]',
    '[""]',
    '"\\u0000"',
    "1979-05-27",
    '"' + "x" * 3000 + '"',
    '{ seed = "s" }',
    '"assumption:"',
    "[[1], [2]]",
    "{ a = { b = { c = 1 } } }",
    '"' + "(" * 300 + '"',
    '"' + "not " * 300 + 'x"',
]
HEADERS = [f"[[{s}]]" for s in _SCENARIO_SECTIONS] + [
    "[scenario]",
    "[decoupling]",
    "[module]",
    "[issues.positions.USA]",
    "[[overrides]]",
    "[actors]",
    "[[scenario]]",
    'id = "USA"',
    'include = ["missing.toml"]',
    "[[rules.sources]]",
]


@st.composite
def mutated_example(draw) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "value", "insert", "cut"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "value":
            keyed = [
                k for k, line in enumerate(lines) if " = " in line and not line.startswith("#")
            ]
            if keyed:
                k = draw(st.sampled_from(keyed))
                key = lines[k].split(" = ", 1)[0]
                lines[k] = f"{key} = {draw(st.sampled_from(AWKWARD))}"
        elif kind == "insert":
            lines.insert(i, draw(st.sampled_from(HEADERS)))
        else:
            lines = lines[:i]
    return "\n".join(lines) + "\n"


FIELDS = sorted(
    {name for model in _SCENARIO_SECTIONS.values() for name in model.model_fields}
    | {"id", "title", "start", "step", "horizon", "include", "when", "for_steps"}
)
VALUE = st.sampled_from([*AWKWARD, '"ROK"', '"fear_abandonment.ROK"', "0.5", '"2025Q4"'])


@st.composite
def random_document(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 8))):
        header = draw(st.sampled_from(HEADERS))
        parts.append(header)
        for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
            parts.append(f"{name} = {draw(VALUE)}")
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def _load_or_input_error(workdir: Path, text: str) -> None:
    path = workdir / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    n_lines = text.count("\n") + 1
    try:
        load_scenario(path)
    except InputError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.message
            assert problem.file.endswith(".toml")
            if problem.file.endswith("fuzz.toml"):
                assert problem.line is None or 1 <= problem.line <= n_lines, problem


SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(mutated_example())
def test_mutated_example_loads_or_reports_problems(workdir, text):
    _load_or_input_error(workdir, text)


@SETTINGS
@given(random_document())
def test_random_documents_load_or_report_problems(workdir, text):
    _load_or_input_error(workdir, text)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_load_or_report_problems(workdir, data):
    path = workdir / "bytes.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except InputError as exc:
        assert exc.problems


def test_awkward_values_are_valid_toml():
    """The fuzz values are real TOML, so mutations reach the schema, not just the parser."""
    import tomllib

    for value in AWKWARD:
        tomllib.loads(f"k = {value}")
    assert json.dumps(AWKWARD)
