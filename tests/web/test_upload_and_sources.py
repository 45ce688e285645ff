"""Uploads (limits, validator's problems with line and field, only built-in includes) and the
scenario references and parameter ranges the dashboard accepts."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario, scenario_parameters
from alliancesim.scenario.uncertain import Fixed, Triangular, Uniform
from alliancesim.web.sources import ScenarioSources, apply_ranges, range_rows
from alliancesim.web.upload import accept_upload, safe_name


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


@pytest.fixture
def sources(tmp_path: Path) -> ScenarioSources:
    return ScenarioSources(tmp_path / "uploads")


def test_a_valid_upload_is_kept_under_its_content_hash(sources, toy_path) -> None:
    data = toy_path.read_bytes()
    result = accept_upload(data_url(data), "toy.toml", sources)
    assert result.ok and result.scenario_id == "toy" and result.title == "Toy alliance"
    digest = hashlib.sha256(data).hexdigest()
    assert result.reference == f"upload:{digest}"
    assert sources.upload_path(digest).read_bytes() == data
    assert sources.scenario(result.reference).id == "toy"


def test_a_bad_upload_names_the_uploaded_file_the_line_and_the_field(sources, toy_path) -> None:
    text = toy_path.read_text().replace("capability = 100", 'capability = "lots"')
    line = text.splitlines().index('capability = "lots"') + 1
    result = accept_upload(data_url(text.encode()), "../../etc/My Scenario.toml", sources)
    assert not result.ok
    [problem] = result.problems
    assert (problem.file, problem.line, problem.field) == (
        "My_Scenario.toml",
        line,
        "actors[0].capability",
    )
    assert "got 'lots'" in problem.message
    assert not list(sources.uploads.iterdir())  # nothing kept


def test_uploads_over_the_limit_or_not_text_are_refused(sources, toy_path) -> None:
    big = accept_upload(data_url(b"#" * 2000), "big.toml", sources, limit=1000)
    assert "too large" in big.problems[0].message
    binary = accept_upload(data_url(b"\xff\xfe\x00bad"), "x.toml", sources)
    assert "not UTF-8" in binary.problems[0].message
    empty = accept_upload(data_url(b"  \n"), "x.toml", sources)
    assert "empty" in empty.problems[0].message
    garbled = accept_upload("data:text/plain;base64,@@@", "x.toml", sources)
    assert not garbled.ok


def test_an_upload_may_include_only_built_in_modules(sources, toy_path) -> None:
    text = toy_path.read_text().replace("horizon = 8", 'horizon = 8\ninclude = ["/etc/passwd"]')
    line = text.splitlines().index('include = ["/etc/passwd"]') + 1
    result = accept_upload(data_url(text.encode()), "toy.toml", sources)
    [problem] = result.problems
    assert problem.field == "scenario.include[0]" and problem.line == line
    assert "/etc/passwd" in problem.message


def test_safe_names() -> None:
    assert safe_name("C:\\Users\\me\\us rok 2025.toml") == "us_rok_2025.toml"
    assert safe_name("../../x") == "x.toml"
    assert safe_name(None) == "scenario.toml"
    assert safe_name("...") == "scenario.toml"


def test_only_known_references_are_loaded(sources) -> None:
    assert sources.path_of("builtin:us-rok-2025") == "us-rok-2025"
    for bad in ("builtin:../../etc/passwd", "/etc/passwd", "upload:" + "a" * 64, "builtin:nope"):
        with pytest.raises(InputError):
            sources.path_of(bad)


def test_range_rows_list_the_levers_and_named_parameters(toy_path) -> None:
    rows = range_rows(load_scenario(toy_path))
    assert [(r["parameter"], r["low"], r["high"]) for r in rows] == [
        ("policy.consultation", 0.1, 0.3),
        ("param.threshold", 0.45, 0.45),
    ]


def test_edited_ranges_become_the_scenario_s_distributions(toy_path) -> None:
    scenario = load_scenario(toy_path)
    edited = apply_ranges(
        scenario,
        [
            {"parameter": "policy.consultation", "low": 0.2, "high": 0.6},
            {"parameter": "param.threshold", "low": 0.4, "high": 0.5},
        ],
    )
    specs = scenario_parameters(edited)
    assert specs["policy.consultation"].value == Uniform(0.2, 0.6)
    assert specs["param.threshold"].value == Uniform(0.4, 0.5)
    assert "dashboard" in str(specs["param.threshold"].source)
    same = apply_ranges(scenario, range_rows(scenario))
    assert same is scenario  # nothing edited, nothing overridden
    fixed = apply_ranges(scenario, [{"parameter": "policy.consultation", "low": 0.3, "high": 0.3}])
    assert scenario_parameters(fixed)["policy.consultation"].value == Fixed(0.3)


def test_a_triangular_range_keeps_its_mode_inside() -> None:
    from alliancesim.web.sources import _revised

    assert _revised(Triangular(0, 5, 10), 6, 8) == Triangular(6, 6, 8)


def test_bad_ranges_are_input_errors_naming_the_parameter(toy_path) -> None:
    scenario = load_scenario(toy_path)
    with pytest.raises(InputError) as caught:
        apply_ranges(
            scenario,
            [
                {"parameter": "policy.consultation", "low": 0.5, "high": 0.2},
                {"parameter": "param.threshold", "low": None, "high": 1},
                {"parameter": "param.nothing", "low": 0, "high": 1},
            ],
        )
    assert {p.field for p in caught.value.problems} == {
        "policy.consultation",
        "param.threshold",
        "param.nothing",
    }
