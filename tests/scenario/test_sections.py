"""The section registry is the one list of sections: the documents, the reference table, the
parameter names, overrides and provenance all follow it."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario import load_scenario, scenario_parameters
from alliancesim.scenario.entries import Entry
from alliancesim.scenario.loader import load_module
from alliancesim.scenario.parameters import module_parameters, parameter_prefix
from alliancesim.scenario.provenance import seed_quotes
from alliancesim.scenario.references import REFERENCES
from alliancesim.scenario.schema import ENTRY_SECTIONS, Module, Scenario, SeedQuote
from alliancesim.scenario.sections import SECTIONS, section_named, sections

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "my-first-scenario.toml"


def test_the_documents_have_one_field_per_section_in_registry_order() -> None:
    assert list(Scenario.model_fields) == [s.key for s in sections("scenario")]
    assert list(Module.model_fields) == [s.key for s in sections("module")]
    assert tuple(s.key for s in sections("scenario", single=False)) == ENTRY_SECTIONS
    for section in SECTIONS:
        document = Scenario if section.scenario else Module
        assert document.model_fields[section.key].is_required() == section.required


def test_each_section_is_consistent() -> None:
    assert len({s.key for s in SECTIONS}) == len(SECTIONS)
    for section in SECTIONS:
        assert section.scenario or section.module, section.key
        if section.sourced:
            assert issubclass(section.model, Entry), section.key
        if section.parameters is not None:
            assert section.declares_ids and not section.single, section.key
        if section.single and section.required:
            assert section.hint, section.key
    assert [s.key for s in SECTIONS if s.heading] == ["scenario", "module"]
    assert {s.key for s in SECTIONS if s.namespace == "happenings"} == {
        "events",
        "schedule",
        "actions",
    }


def test_every_reference_names_a_section_and_a_field_of_its_entries() -> None:
    for reference in REFERENCES:
        section = section_named(reference.section)
        assert section.scenario, reference
        first = reference.field.split(".")[0].removesuffix("[]")
        assert first in section.model.model_fields, reference


@pytest.mark.parametrize("ident", ["us-rok-2025", str(EXAMPLE)])
def test_every_parameter_name_starts_with_its_sections_prefix(ident) -> None:
    scenario = load_scenario(ident)
    prefixes = {
        parameter_prefix(s.key, entry.id)
        for s in sections("scenario", single=False)
        if s.parameters is not None
        for entry in getattr(scenario, s.key)
    }
    for name in scenario_parameters(scenario):
        assert any(name.startswith(prefix) for prefix in prefixes), name


def test_a_module_names_its_parameters_as_a_scenario_does() -> None:
    dilemma = load_module("dilemma")
    names = set(module_parameters(dilemma))
    assert {f"rules.{r.id}.weight" for r in dilemma.rules} <= names
    assert {f"param.{p.id}" for p in dilemma.parameters} <= names
    assert names <= set(scenario_parameters(load_scenario("us-rok-2021")))


def test_a_scenario_is_not_a_module(tmp_path) -> None:
    with pytest.raises(InputError, match="no module table"):
        load_module(EXAMPLE)
    broken = tmp_path / "broken.toml"
    broken.write_text('[module]\nid = "m"\ntitle = "M"\n\n[[rules]]\nid = "r"\n')
    with pytest.raises(InputError) as caught:
        load_module(broken)
    assert {p.field for p in caught.value.problems} >= {"rules[0].target", "rules[0].weight"}


def test_seed_quotes_follow_the_registry_and_cite_each_quote_once() -> None:
    scenario = load_scenario(EXAMPLE)
    quotes = seed_quotes(scenario)
    cited = [who for pairs in quotes.values() for who, _ in pairs]
    assert cited[0] == "lever consultation"
    assert "action stryker_withdrawal" in cited and "rule abandonment_from_cut" in cited
    texts = [q.quote for pairs in quotes.values() for _, q in pairs]
    assert len(texts) == len(set(texts))
    # a quote written only in the decoupling's per-field sources is listed too
    quote = SeedQuote(seed="000_ea92047b3d6a092b.txt", quote="alliance decoupling, if unchecked")
    decoupling = scenario.decoupling.model_copy(update={"sources": {"when": quote}})
    with_field_source = scenario.model_copy(update={"decoupling": decoupling})
    assert ("decoupling", quote) in seed_quotes(with_field_source)["000_ea92047b3d6a092b.txt"]
