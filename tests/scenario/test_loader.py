"""Loading scenarios: the example, includes, origins, named parameters and the public behaviour."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alliancesim.errors import InputError, Problem
from alliancesim.expr import ParsedExpression
from alliancesim.scenario import builtin_scenarios, load_scenario, scenario_parameters
from alliancesim.scenario.uncertain import Fixed, Triangular, Uniform

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my-first-scenario.toml"
DOC = ROOT / "docs" / "scenario-format.md"


def test_the_example_scenario_loads():
    scenario = load_scenario(EXAMPLE)
    assert scenario.id == "my-first-scenario"
    assert [a.id for a in scenario.actors] == ["USA", "ROK", "ROK_progressives", "DPRK"]
    assert scenario.policy_ids == ["baseline", "consult_first"]
    assert isinstance(scenario.events[0].rate, ParsedExpression)
    assert scenario.rules[0].gate is not None
    assert scenario.rules[0].gate.names == {"consulted.stryker_withdrawal"}


def test_every_number_is_a_named_parameter():
    params = scenario_parameters(load_scenario(EXAMPLE))
    assert params["rules.abandonment_from_cut.weight"].value == Uniform(0.1, 0.3)
    assert params["param.cut_threshold"].value == Triangular(20.0, 30.0, 50.0)
    assert params["policy.consultation"].value == Fixed(0.2)
    assert params["actions.stryker_withdrawal.effects.trust.ROK.USA"].value == Fixed(-0.1)
    assert params["issues.cost_sharing.positions.ROK.position"].value.describe() == (
        "N(10, 5) in [0, 30]"
    )
    assert "events.dprk_provocation.rate" not in params  # an expression, not a number
    assert params["actions.stryker_withdrawal.probability"].bounds == (0.0, 1.0)
    assert params["actions.stryker_withdrawal.probability"].problem(Fixed(1.5)) == (
        "must lie in [0, 1], got 1.5"
    )
    assert params["rules.hedging_from_fear.weight"].source.quote.startswith("accelerating")


def test_entries_know_where_they_are_written():
    scenario = load_scenario(EXAMPLE)
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for entry in [*scenario.actors, *scenario.rules, *scenario.actions, scenario.decoupling]:
        file, line = entry.origin
        assert file.endswith("my-first-scenario.toml")
        assert line is not None and lines[line - 1].startswith(("[[", "["))
    stance = scenario.issues[0].positions["ROK"]
    assert lines[stance.origin[1] - 1] == "[issues.positions.ROK]"


def test_built_in_scenarios_load():
    for ident in builtin_scenarios():
        assert load_scenario(ident).id == ident


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    assert load_scenario(path).id == "my-first-scenario"


def test_input_error_lists_sorted_problems_and_reads_as_lines():
    error = InputError(
        [
            Problem("b.toml", 3, "x", "second file"),
            Problem("a.toml", 12, "rules[1].weight", "later"),
            Problem("a.toml", None, "decoupling", "no line"),
            Problem("a.toml", 2, "", "early"),
            Problem("a.toml", 2, "", "early"),  # duplicates collapse
        ]
    )
    assert str(error).splitlines() == [
        "a.toml: decoupling: no line",
        "a.toml:2: early",
        "a.toml:12: rules[1].weight: later",
        "b.toml:3: x: second file",
    ]


# --------------------------------------------------------------------------------------------
# includes

MODULE = """\
[module]
id = "shared"
title = "Shared rules"
include = ["deeper.toml"]

[[parameters]]
id = "shared_gain"
value = { low = 0.1, high = 0.2 }

[[rules]]
id = "shared_rule"
target = "fear_abandonment.ROK"
driver = "param.shared_gain * param.deep_gain"
weight = 1
"""
DEEPER = """\
[module]
id = "deeper"
title = "Included by the shared module"

[[parameters]]
id = "deep_gain"
value = 2
"""
STATE = """
[[state]]
id = "fear_abandonment.ROK"
initial = 0.4

[[rules]]
id = "own_rule"
target = "fear_abandonment.ROK"
driver = "1"
weight = 0.01
"""


def test_modules_add_rules_after_the_scenarios_own_and_keep_their_origin(scenario_from, tmp_path):
    (tmp_path / "shared.toml").write_text(MODULE, encoding="utf-8")
    (tmp_path / "deeper.toml").write_text(DEEPER, encoding="utf-8")
    (tmp_path / "other.toml").write_text(
        '[module]\nid = "other"\ntitle = "Also includes deeper"\ninclude = ["deeper.toml"]\n',
        encoding="utf-8",
    )
    scenario_from(STATE)  # writes scenario.toml in tmp_path, without includes
    text = (tmp_path / "scenario.toml").read_text(encoding="utf-8")
    text = text.replace("horizon = 4\n", 'horizon = 4\ninclude = ["shared.toml", "other.toml"]\n')
    (tmp_path / "scenario.toml").write_text(text, encoding="utf-8")
    scenario = load_scenario(tmp_path / "scenario.toml")
    assert [r.id for r in scenario.rules] == ["own_rule", "shared_rule"]
    assert [p.id for p in scenario.parameters] == ["shared_gain", "deep_gain"]  # deeper once
    file, line = scenario.rules[1].origin
    assert Path(file).name == "shared.toml" and line == 10  # its [[rules]] header


def test_a_rule_module_cannot_be_loaded_as_a_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared.toml").write_text(MODULE, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario("shared.toml")
    assert [str(p) for p in caught.value.problems] == [
        "shared.toml:1: module: this is a rule module, not a scenario: include it from a "
        'scenario with include = ["shared"]'
    ]


# --------------------------------------------------------------------------------------------
# every problem of an entry, not only the first


def test_an_entry_that_fails_the_schema_still_gets_its_references_checked(scenario_from):
    with pytest.raises(InputError) as caught:
        scenario_from(
            STATE
            + """
[[actions]]
id = "cut"
actor = "US"
when = "fear_abandonmnt.ROK > 0.5"
probability = 2
effects = { "trust.ROK.USA" = -0.1 }
"""
        )
    fields = {(p.field, p.message.split(" (")[0]) for p in caught.value.problems}
    assert fields == {
        ("actions[0].actor", "unknown actor 'US'"),
        (
            "actions[0].when",
            "unknown name 'fear_abandonmnt.ROK' in expression 'fear_abandonmnt.ROK > 0.5'",
        ),
        ("actions[0].probability", "must lie in [0, 1], got 2"),
        (
            'actions[0].effects."trust.ROK.USA"',
            "unknown effect target 'trust.ROK.USA': an effect moves a state variable, position, "
            "salience or status quo",
        ),
    }


def test_an_invalid_declaration_still_counts_as_declared(scenario_from):
    """A lever with a bad value is still a lever: no 'unknown name' where it is read."""
    with pytest.raises(InputError) as caught:
        scenario_from(
            STATE
            + """
[[levers]]
id = "consultation"
value = { low = 1, high = 0 }

[[actions]]
id = "cut"
actor = "USA"
probability = 0.1
consulted = "policy.consultation"

[[policies]]
id = "consult_first"
label = "Consult first"
set = { "policy.consultation" = 0.9 }
"""
        )
    assert [p.field for p in caught.value.problems] == ["levers[0].value"]


def test_problem_lines_point_at_the_offending_key(scenario_from, tmp_path):
    with pytest.raises(InputError) as caught:
        scenario_from(STATE.replace("weight = 0.01", "weight = { low = 2, high = 1 }"))
    (problem,) = caught.value.problems
    text = (tmp_path / "scenario.toml").read_text(encoding="utf-8").splitlines()
    assert text[problem.line - 1] == "weight = { low = 2, high = 1 }"
    assert re.fullmatch(r".*scenario\.toml", problem.file)


# --------------------------------------------------------------------------------------------
# the author's reference embeds the example file verbatim


def test_the_documented_example_is_the_example_file():
    doc = DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- example: examples/my-first-scenario\.toml -->\n```toml\n(.*?)```", doc, re.S
    )
    assert match, "docs/scenario-format.md embeds the example after its marker"
    assert match.group(1) == EXAMPLE.read_text(encoding="utf-8")
