"""The scenario schema (pydantic v2): a scenario and a rule module as whole documents.

A scenario names its actors, the issues they bargain over, the perceptions (state variables)
that move, the rules that move them, the events and actions that happen, the policies (the
seeds' recommendations) to compare, the claims to test, the indicators to record and what
counts as decoupling. Each document has one field per section that the section registry
(:mod:`alliancesim.scenario.sections`) allows in it, in the registry's order; what one entry may
say is :mod:`alliancesim.scenario.entries`' (re-exported here). See docs/scenario-format.md for
the author's reference.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from alliancesim.scenario import entries
from alliancesim.scenario.entries import *  # noqa: F403 - the schema: every entry model, re-exported
from alliancesim.scenario.sections import FileKind, Section, sections

__all__ = [*entries.__all__, "ENTRY_SECTIONS", "Module", "Scenario"]

ENTRY_SECTIONS = tuple(s.key for s in sections("scenario", single=False))
"""The scenario's arrays of tables ([[actors]], [[issues]], …), in file-format order."""


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class _ScenarioDocument(_Document):
    @property
    def id(self) -> str:
        """The scenario's id."""
        return self.scenario.id

    @property
    def policy_ids(self) -> list[str]:
        """``baseline`` followed by the scenario's policies."""
        return ["baseline", *(p.id for p in self.policies)]

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.id}: {self.scenario.title!r}, {len(self.actors)} actors, "
            f"{len(self.rules)} rules, {len(self.policies)} policies, {len(self.claims)} claims>"
        )

    def _repr_html_(self) -> str:
        from alliancesim.notebook import scenario_html

        return scenario_html(self)  # type: ignore[arg-type]


def _field(section: Section) -> tuple[Any, Any]:
    if section.single:
        return (section.model, ...) if section.required else (section.model | None, None)
    if section.required:
        return (list[section.model], Field(min_length=1))
    return (list[section.model], Field(default_factory=list))


def _document(name: str, kind: FileKind, base: type[_Document], doc: str) -> Any:
    fields = {s.key: _field(s) for s in sections(kind)}
    return create_model(name, __base__=base, __module__=__name__, __doc__=doc, **fields)


Scenario = _document(
    "Scenario",
    "scenario",
    _ScenarioDocument,
    "A complete scenario: the alliance's actors, issues, perceptions, dynamics and questions.",
)
Module = _document(
    "Module",
    "module",
    _Document,
    "A rule module file: shared rules and parameters, included by scenarios.",
)
