"""Parameter overrides: revised ranges (e.g. calibrated ones) that a module imposes on a scenario.

A rule module may carry ``[[overrides]]`` entries, each naming one parameter of the scenario
that includes it (``rules.<id>.weight``, ``state.<id>.relaxation``, … as in
:mod:`alliancesim.scenario.parameters`) and its new distribution::

    [[overrides]]
    parameter = "rules.abandonment_from_cut.weight"
    value = { low = 0.12, high = 0.21 }
    source = "public: calibrated by alliancesim calibrate on thaad-2017, 2026-11-22"

The loader applies them after every include is merged, in include order (a later module's
override of the same parameter wins). The override's source becomes the parameter's source,
so a report shows where the revised range came from. An override of a parameter the scenario
does not have, or outside the parameter's admissible range, is an input error naming the
override's file and line.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from alliancesim.errors import InputError, Problem
from alliancesim.scenario.names import suggest
from alliancesim.scenario.parameters import scenario_parameters
from alliancesim.scenario.schema import Entry, Override, Scenario
from alliancesim.scenario.sections import sections

__all__ = ["apply_overrides", "override_problems"]


def override_problems(scenario: Scenario, overrides: Sequence[Override]) -> list[Problem]:
    """What is wrong with each override for this scenario: unknown parameter or bad range."""
    specs = scenario_parameters(scenario)
    problems = []
    index: dict[str, int] = {}  # overrides seen so far per file, for the field path
    for override in overrides:
        file, line = override.origin
        k = index.get(file, 0)
        index[file] = k + 1
        spec = specs.get(override.parameter)
        if spec is None:
            hint = suggest(override.parameter, specs) or (
                " (does the scenario include the module whose parameters these overrides "
                "calibrate, e.g. dilemma?)"
            )
            problems.append(
                Problem(
                    file,
                    line,
                    f"overrides[{k}].parameter",
                    f"the scenario has no parameter {override.parameter!r}{hint}",
                )
            )
            continue
        message = spec.problem(override.value)
        if message:
            problems.append(Problem(file, line, f"overrides[{k}].value", message))
    return problems


def apply_overrides(scenario: Scenario, overrides: Sequence[Override]) -> Scenario:
    """The scenario with each override's distribution (and source) in place of the parameter's.

    Raises :class:`~alliancesim.errors.InputError` naming every override that does not fit.
    """
    if not overrides:
        return scenario
    problems = override_problems(scenario, overrides)
    if problems:
        raise InputError(problems)
    specs = scenario_parameters(scenario)
    replaced: dict[int, Entry] = {}

    def current(entry: Any) -> Any:
        return replaced.get(id(entry), entry)

    for override in overrides:
        spec = specs[override.parameter]
        entry = current(spec.entry)
        if spec.field in ("effects", "sets"):
            table = getattr(entry, spec.field)
            (target,) = [k for k in table if override.parameter.endswith(f".{spec.field}.{k}")]
            update: dict[str, Any] = {spec.field: {**table, target: override.value}}
        else:
            update = {spec.field: override.value}
        update["sources"] = {**entry.sources, spec.field: override.source}
        replaced[id(spec.entry)] = entry.model_copy(update=update)

    changes: dict[str, list[Any]] = {}
    for section in sections("scenario", single=False):
        if section.parameters is None:
            continue  # its entries hold no parameters
        entries = getattr(scenario, section.key)
        new = [_with_inner(current(entry), current) for entry in entries]
        if any(a is not b for a, b in zip(new, entries, strict=True)):
            changes[section.key] = new
    return scenario.model_copy(update=changes)


def _with_inner(entry: Entry, current: Callable[[Any], Any]) -> Entry:
    """The entry with the current version of each entry written inside it (an issue's stances)."""
    update: dict[str, Any] = {}
    for (name, *key), inner in entry.inner_entries():
        if current(inner) is inner:
            continue
        if key:
            table = update.setdefault(name, copy.copy(getattr(entry, name)))
            table[key[0]] = current(inner)
        else:
            update[name] = current(inner)
    return entry.model_copy(update=update) if update else entry
