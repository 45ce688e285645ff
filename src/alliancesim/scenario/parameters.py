"""Every number of a scenario as a named parameter (``rules.abandonment_from_cut.weight``).

Uncertain parameters are what an ensemble samples; any parameter, fixed or not, is what a policy
may override by name. The names:

- ``actors.<A>.capability``
- ``policy.<lever>``, ``param.<id>`` (the same names expressions use)
- ``issues.<I>.status_quo``, ``issues.<I>.relaxation``, ``issues.<I>.positions.<A>.position``,
  ``…<A>.salience``, ``…<A>.relaxation`` (when the stance writes one)
- ``state.<id>.initial``, ``state.<id>.baseline``, ``state.<id>.relaxation``
- ``rules.<id>.weight``, ``rules.<id>.fades`` (when written)
- ``events.<id>.rate`` (when the rate is a number rather than an expression)
- ``schedule.<id>.intensity``, ``schedule.<id>.effects.<target>``, ``schedule.<id>.sets.<target>``
- ``actions.<id>.probability``, ``actions.<id>.intensity``, ``actions.<id>.effects.<target>``,
  ``actions.<id>.sets.<target>``
- ``elections.<E>.outcomes.<O>.probability`` (unless it is ``"rest"``),
  ``elections.<E>.outcomes.<O>.sets.<target>``

The prefix of each section's names (``rules.<id>.``) is the section registry's
(:mod:`alliancesim.scenario.sections`); this module is the one place that composes names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alliancesim.expr import ParsedExpression
from alliancesim.scenario.schema import Entry, Module, Scenario
from alliancesim.scenario.sections import section_named, sections
from alliancesim.scenario.uncertain import Uncertain

__all__ = [
    "ParameterSpec",
    "expression_numbers",
    "module_parameters",
    "parameter_prefix",
    "scenario_parameters",
    "target_ranges",
]


@dataclass(frozen=True)
class ParameterSpec:
    """One number of the scenario: its name, distribution, the entry and field that hold it,
    and the range its values must lie in (e.g. [0, 1] for a probability)."""

    name: str
    value: Uncertain
    entry: Entry
    field: str
    bounds: tuple[float, float] = (-math.inf, math.inf)
    positive: bool = False

    @property
    def source(self) -> object:
        """The provenance of this number."""
        return self.entry.source_of(self.field)

    def problem(self, value: Uncertain | None = None) -> str | None:
        """Why ``value`` (default: the scenario's own) cannot be this parameter, or None if it can."""
        lo, hi = (self.value if value is None else value).support
        low, high = self.bounds
        if self.positive and lo <= 0:
            return f"must be positive, got {_shown(lo, hi)}"
        if lo < low or hi > high:
            if low == 0 and high == math.inf:
                return f"must not be negative, got {_shown(lo, hi)}"
            return f"must lie in [{low:g}, {high:g}], got {_shown(lo, hi)}"
        return None


def _shown(lo: float, hi: float) -> str:
    return f"{lo:g}" if lo == hi else f"values from {lo:g} to {hi:g}"


_ANY = (-math.inf, math.inf)
_UNIT = (0.0, 1.0)
_SCALE = (0.0, 100.0)
_NON_NEGATIVE = (0.0, math.inf)
_FADING = (0.0, 1.0)  # and positive


def target_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The range of everything a set-effect may set but a named parameter or lever: state
    variables (their bounds), positions and preferences (0–100), saliences (0–1), status quos
    (0–100)."""
    out: dict[str, tuple[float, float]] = {}
    for state in scenario.state:
        out[state.id] = (float(state.bounds[0]), float(state.bounds[1]))
    for issue in scenario.issues:
        for actor in issue.positions:
            out[f"position.{actor}.{issue.id}"] = _SCALE
            out[f"preference.{actor}.{issue.id}"] = _SCALE
            out[f"salience.{actor}.{issue.id}"] = _UNIT
        out[f"issue.{issue.id}.status_quo"] = _SCALE
    return out


def parameter_prefix(section: str, ident: str) -> str:
    """What the names of an entry's parameters start with: ``rules.<id>.`` (``policy.<id>`` and
    ``param.<id>``, a lever's and a parameter's, are whole names)."""
    prefix = section_named(section).parameters
    if prefix is None:
        raise KeyError(f"the entries of [[{section}]] hold no parameters")
    return prefix.format(ident)


def scenario_parameters(scenario: Scenario) -> dict[str, ParameterSpec]:
    """All numbers of the scenario by parameter name, in a stable order."""
    out: dict[str, ParameterSpec] = {}

    def add(
        name: str,
        value: Uncertain | None,
        entry: Entry,
        field: str,
        bounds: tuple[float, float] = _ANY,
        positive: bool = False,
    ) -> None:
        if value is not None:
            out[name] = ParameterSpec(name, value, entry, field, bounds, positive)

    for actor in scenario.actors:
        stem = parameter_prefix("actors", actor.id)
        add(f"{stem}capability", actor.capability, actor, "capability", positive=True)
    for lever in scenario.levers:
        add(parameter_prefix("levers", lever.id), lever.value, lever, "value")
    for param in scenario.parameters:
        add(parameter_prefix("parameters", param.id), param.value, param, "value")
    ranges = target_ranges(scenario)

    def add_table(stem: str, entry: Entry, field: str) -> None:
        for target, value in getattr(entry, field).items():
            add(f"{stem}{field}.{target}", value, entry, field, ranges.get(target, _ANY))

    for issue in scenario.issues:
        stem = parameter_prefix("issues", issue.id)
        add(f"{stem}status_quo", issue.status_quo, issue, "status_quo", _SCALE)
        add(f"{stem}relaxation", issue.relaxation, issue, "relaxation", _UNIT)
        for actor, stance in issue.positions.items():
            add(f"{stem}positions.{actor}.position", stance.position, stance, "position", _SCALE)
            add(f"{stem}positions.{actor}.salience", stance.salience, stance, "salience", _UNIT)
            add(
                f"{stem}positions.{actor}.relaxation",
                stance.relaxation,
                stance,
                "relaxation",
                _UNIT,
            )
    for state in scenario.state:
        stem, bounds = parameter_prefix("state", state.id), tuple(state.bounds)
        add(f"{stem}initial", state.initial, state, "initial", bounds)
        add(f"{stem}baseline", state.baseline, state, "baseline", bounds)
        add(f"{stem}relaxation", state.relaxation, state, "relaxation", _UNIT)
    for rule in scenario.rules:
        stem = parameter_prefix("rules", rule.id)
        add(f"{stem}weight", rule.weight, rule, "weight")
        add(f"{stem}fades", rule.fades, rule, "fades", _FADING, positive=True)
    for event in scenario.events:
        if not isinstance(event.rate, ParsedExpression):
            name = f"{parameter_prefix('events', event.id)}rate"
            add(name, event.rate, event, "rate", _NON_NEGATIVE)
    for scheduled in scenario.schedule:
        stem = parameter_prefix("schedule", scheduled.id)
        add(f"{stem}intensity", scheduled.intensity, scheduled, "intensity", _NON_NEGATIVE)
        for target, value in scheduled.effects.items():
            add(f"{stem}effects.{target}", value, scheduled, "effects")
        add_table(stem, scheduled, "sets")
    for action in scenario.actions:
        stem = parameter_prefix("actions", action.id)
        add(f"{stem}probability", action.probability, action, "probability", _UNIT)
        add(f"{stem}intensity", action.intensity, action, "intensity", _NON_NEGATIVE)
        for target, value in action.effects.items():
            add(f"{stem}effects.{target}", value, action, "effects")
        add_table(stem, action, "sets")
    for election in scenario.elections:
        for outcome in election.outcomes:
            stem = f"{parameter_prefix('elections', election.id)}outcomes.{outcome.id}."
            if not outcome.is_rest:
                add(f"{stem}probability", outcome.probability, outcome, "probability", _UNIT)
            add_table(stem, outcome, "sets")
    return out


def expression_numbers(scenario: Scenario) -> set[str]:
    """Names that would be parameters if their numbers were not written as expressions (an
    event's rate as an expression): a policy cannot set them."""
    return {
        f"{parameter_prefix('events', event.id)}rate"
        for event in scenario.events
        if isinstance(event.rate, ParsedExpression)
    }


def module_parameters(module: Module) -> dict[str, ParameterSpec]:
    """The numbers a rule module's own entries hold (its rules' weights, its parameters), by name."""
    arrays = {s.key: getattr(module, s.key, []) for s in sections("scenario", single=False)}
    return scenario_parameters(Scenario.model_construct(**arrays))
