"""The malformed corpus: each file under malformed/ gives exactly the problems in its .expected.

Every problem names the file, the line, the field path and what was expected, and all of a
file's problems come at once. The module files some of them include live in malformed/modules/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario

CORPUS = Path(__file__).parent / "malformed"
CASES = sorted(CORPUS.glob("*.toml"))


def test_the_corpus_is_large_and_every_case_has_its_expected_problems():
    assert len(CASES) >= 45
    expected = sorted(CORPUS.glob("*.expected"))
    assert [p.stem for p in expected] == [p.stem for p in CASES]


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_malformed_file_reports_every_problem(case, monkeypatch):
    monkeypatch.chdir(CORPUS)  # problems name files relative to the working directory
    with pytest.raises(InputError) as caught:
        load_scenario(case.name)
    got = [str(problem) for problem in caught.value.problems]
    expected = case.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert got == expected
    for problem in caught.value.problems:
        assert problem.message and problem.file
        assert problem.line is None or problem.line >= 1


def test_forbidden_expressions_in_a_scenario_are_never_executed(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    source = (CORPUS / "36_forbidden_expression.toml").read_text(encoding="utf-8")
    (tmp_path / "attempt.toml").write_text(source, encoding="utf-8")
    with pytest.raises(InputError):
        load_scenario("attempt.toml")
    assert not (tmp_path / "HACKED").exists()


def test_a_missing_file_is_one_problem(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_scenario("nowhere/scenario.toml")
    assert [str(p) for p in caught.value.problems] == ["nowhere/scenario.toml: no such file"]


def test_an_unknown_built_in_id_lists_or_suggests_the_built_ins(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        load_scenario("no-such-scenario-id")
    (problem,) = caught.value.problems
    assert problem.file == "no-such-scenario-id"
    assert problem.message.startswith("no such file, and not a built-in scenario")


def test_a_directory_is_not_a_scenario(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(InputError) as caught:
        load_scenario("folder.toml")
    assert [str(p) for p in caught.value.problems] == [
        "folder.toml: is a directory, not a scenario file"
    ]
