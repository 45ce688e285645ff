"""Every number of a scenario as a named parameter (``rules.abandonment_from_cut.weight``).

Uncertain parameters are what an ensemble samples; any parameter, fixed or not, is what a policy
may override by name. The names:

- ``actors.<A>.capability``
- ``policy.<lever>``, ``param.<id>`` (the same names expressions use)
- ``issues.<I>.status_quo``, ``issues.<I>.positions.<A>.position``, ``…<A>.salience``
- ``state.<id>.initial``, ``state.<id>.baseline``, ``state.<id>.relaxation``
- ``rules.<id>.weight``
- ``events.<id>.rate`` (when the rate is a number rather than an expression)
- ``schedule.<id>.intensity``
- ``actions.<id>.probability``, ``actions.<id>.intensity``, ``actions.<id>.effects.<target>``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alliancesim.expr import ParsedExpression
from alliancesim.scenario.uncertain import Uncertain

if TYPE_CHECKING:
    from alliancesim.scenario.schema import Entry, Scenario

__all__ = ["ParameterSpec", "scenario_parameters"]


@dataclass(frozen=True)
class ParameterSpec:
    """One number of the scenario: its name, distribution, and the entry and field that hold it."""

    name: str
    value: Uncertain
    entry: Entry
    field: str

    @property
    def source(self) -> object:
        """The provenance of this number."""
        return self.entry.source_of(self.field)


def scenario_parameters(scenario: Scenario) -> dict[str, ParameterSpec]:
    """All numbers of the scenario by parameter name, in a stable order."""
    out: dict[str, ParameterSpec] = {}

    def add(name: str, value: Uncertain | None, entry: Entry, field: str) -> None:
        if value is not None:
            out[name] = ParameterSpec(name, value, entry, field)

    for actor in scenario.actors:
        add(f"actors.{actor.id}.capability", actor.capability, actor, "capability")
    for lever in scenario.levers:
        add(f"policy.{lever.id}", lever.value, lever, "value")
    for param in scenario.parameters:
        add(f"param.{param.id}", param.value, param, "value")
    for issue in scenario.issues:
        add(f"issues.{issue.id}.status_quo", issue.status_quo, issue, "status_quo")
        for actor, stance in issue.positions.items():
            add(f"issues.{issue.id}.positions.{actor}.position", stance.position, stance, "position")
            add(f"issues.{issue.id}.positions.{actor}.salience", stance.salience, stance, "salience")
    for state in scenario.state:
        add(f"state.{state.id}.initial", state.initial, state, "initial")
        add(f"state.{state.id}.baseline", state.baseline, state, "baseline")
        add(f"state.{state.id}.relaxation", state.relaxation, state, "relaxation")
    for rule in scenario.rules:
        add(f"rules.{rule.id}.weight", rule.weight, rule, "weight")
    for event in scenario.events:
        if not isinstance(event.rate, ParsedExpression):
            add(f"events.{event.id}.rate", event.rate, event, "rate")
    for scheduled in scenario.schedule:
        add(f"schedule.{scheduled.id}.intensity", scheduled.intensity, scheduled, "intensity")
    for action in scenario.actions:
        add(f"actions.{action.id}.probability", action.probability, action, "probability")
        add(f"actions.{action.id}.intensity", action.intensity, action, "intensity")
        for target, value in action.effects.items():
            add(f"actions.{action.id}.effects.{target}", value, action, "effects")
    return out
