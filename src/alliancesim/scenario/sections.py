"""The sections of the scenario format, each named once.

A section is a top-level table of a scenario or rule-module file: a single table
(``[scenario]``, ``[decoupling]``) or an array of tables (``[[actors]]``, ``[[rules]]``, …).
:data:`SECTIONS` is the one list of them. The documents (:mod:`~alliancesim.scenario.schema`),
what the loader accepts in each kind of file and how it words a missing or misplaced section,
the namespaces ids must be unique in, the parameter names of entries
(:mod:`~alliancesim.scenario.parameters`), overrides and the seed quotes
(:mod:`~alliancesim.scenario.provenance`) all read it.

Adding a section to the format is adding its entry model to :mod:`~alliancesim.scenario.entries`
and one :class:`Section` here (in the order authors read the format); what its fields refer to
is declared in :data:`alliancesim.scenario.references.REFERENCES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel

from alliancesim.scenario.entries import (
    Action,
    Actor,
    Claim,
    Decoupling,
    Election,
    Event,
    Indicator,
    Issue,
    Lever,
    Mechanism,
    Meta,
    ModuleMeta,
    Objective,
    Observation,
    Override,
    Parameter,
    Policy,
    Rule,
    Scheduled,
    StateVariable,
    Threshold,
    Tuning,
)

__all__ = ["SECTIONS", "FileKind", "Section", "section_named", "sections"]

FileKind = Literal["scenario", "module"]


@dataclass(frozen=True)
class Section:
    """One section of the format: its key, its entries' schema and what the code needs to know."""

    key: str
    """Its name in a file: ``actors`` for ``[[actors]]``."""
    model: type[BaseModel]
    """The schema of one entry (of the table itself, for a single table)."""
    label: str
    """What one entry is called, for people: ``"scheduled event"``."""
    single: bool = False
    """A single table (``[decoupling]``) rather than an array of tables."""
    scenario: bool = True
    """Whether a scenario may have it."""
    module: bool = False
    """Whether a rule module may have it."""
    required: bool = False
    """Whether a file that may have it must have it (an array: at least one entry)."""
    heading: bool = False
    """The table that says what the file is (``[scenario]``, ``[module]``): expected on line 1."""
    hint: str = ""
    """The fields a single table needs, for the message when it is missing."""
    parameters: str | None = None
    """The parameter-name prefix of an entry, ``{}`` standing for its id (``"rules.{}."``);
    None when its entries hold no parameters."""
    ids: str = ""
    """The namespace its ids are unique in, when several sections share one; "" for its own."""
    sourced: bool = True
    """Whether its entries' sources are the model's provenance (the seed quotes a report lists);
    an observation's source says where an observed value comes from, not why the model is so."""
    inner_ids: tuple[str, str] | None = None
    """(field, namespace) when the entries written in a field of each entry declare ids too:
    an election's ``outcomes`` are events, unique among the happenings."""

    @property
    def namespace(self) -> str:
        """The namespace its entries' ids must be unique in (its key unless shared)."""
        return self.ids or self.key

    @property
    def declares_ids(self) -> bool:
        """Whether its entries are named by an ``id`` that others may refer to."""
        return not self.single and "id" in self.model.model_fields

    def allowed_in(self, kind: FileKind) -> bool:
        """Whether a scenario (or a rule module) may have this section."""
        return self.module if kind == "module" else self.scenario


SECTIONS: tuple[Section, ...] = (
    Section(
        "scenario",
        Meta,
        "scenario",
        single=True,
        required=True,
        heading=True,
        hint="id, title, start, horizon…",
        sourced=False,
    ),
    Section(
        "module",
        ModuleMeta,
        "module",
        single=True,
        scenario=False,
        module=True,
        required=True,
        heading=True,
        hint="id, title",
        sourced=False,
    ),
    Section("actors", Actor, "actor", required=True, parameters="actors.{}."),
    Section("levers", Lever, "lever", parameters="policy.{}"),
    Section("parameters", Parameter, "parameter", module=True, parameters="param.{}"),
    Section("issues", Issue, "issue", parameters="issues.{}."),
    Section("state", StateVariable, "state", parameters="state.{}."),
    Section("rules", Rule, "rule", module=True, parameters="rules.{}."),
    Section("mechanisms", Mechanism, "mechanism"),
    Section("events", Event, "event", parameters="events.{}.", ids="happenings"),
    Section("schedule", Scheduled, "scheduled event", parameters="schedule.{}.", ids="happenings"),
    Section("actions", Action, "action", parameters="actions.{}.", ids="happenings"),
    Section(
        "elections",
        Election,
        "election",
        parameters="elections.{}.",
        inner_ids=("outcomes", "happenings"),
    ),
    Section("policies", Policy, "policy"),
    Section("claims", Claim, "claim"),
    Section("indicators", Indicator, "indicator", module=True),
    Section(
        "decoupling", Decoupling, "decoupling", single=True, required=True, hint="when, for_steps"
    ),
    Section("observations", Observation, "observation", sourced=False),
    Section("thresholds", Threshold, "threshold"),
    Section("tuning", Tuning, "tuned lever"),
    Section("objectives", Objective, "objective"),
    Section("overrides", Override, "override", scenario=False, module=True),
)
"""Every section, in the order of the author's reference (docs/scenario-format.md)."""

_BY_KEY = {s.key: s for s in SECTIONS}


def section_named(key: str) -> Section:
    """The section named ``key`` (``KeyError`` if the format has none)."""
    return _BY_KEY[key]


@cache
def sections(kind: FileKind, *, single: bool | None = None) -> tuple[Section, ...]:
    """The sections a scenario (or a rule module) may have, in registry order; only the single
    tables (``single=True``) or only the arrays of tables (``single=False``) when asked."""
    return tuple(
        s for s in SECTIONS if s.allowed_in(kind) and (single is None or s.single == single)
    )
