"""Observable decoupling: the signs a historian could code from the news, and the cohesion index.

A scenario may define decoupling by dated, observable signs (``[[decoupling.signs]]``, DESIGN
§4.7a): a unilateral cut of a brigade, alliance institutions suspended, a cost-sharing lapse…
The engine records, per member and step, each sign as ``decoupled.<sign>`` (latched once it has
held for its ``for_steps``), their combination as ``decoupled`` (any one sign, or at least N),
and, when the scenario declares one, the cohesion index as ``decoupled.index`` (an index below a
threshold parameter; never part of the combination). This module reads that definition from a
compiled model (:func:`definition`) and computes the index's threshold sensitivity from the
recorded trajectories (:func:`index_sensitivity`): P(index by the horizon) at the threshold and
at a small grid around it, the rest of the run unchanged.

A model that defines no signs (the one-condition form of ``[decoupling]``) has no observable
definition here: :func:`definition` returns None and every front end shows decoupling as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from alliancesim.model import Model
    from alliancesim.results import Results

__all__ = [
    "INDEX_FLAG",
    "THRESHOLD_OFFSETS",
    "Definition",
    "Index",
    "Sensitivity",
    "Sign",
    "definition",
    "index_sensitivity",
    "sign_flag",
]

INDEX_FLAG = "decoupled.index"
THRESHOLD_OFFSETS = (-0.10, -0.05, 0.0, 0.05, 0.10)
"""The grid of the index's threshold sensitivity: the threshold times (1 + offset) (offsets of
0.05 itself when the threshold is 0)."""


def sign_flag(sign: str) -> str:
    """The recorded flag of one sign: ``decoupled.<sign>``."""
    return f"decoupled.{sign}"


@dataclass(frozen=True)
class Sign:
    """One observable sign of decoupling, as the scenario defines it."""

    id: str
    label: str
    condition: str
    for_steps: int
    source: Any

    @property
    def flag(self) -> str:
        """Its recorded flag, ``decoupled.<id>``."""
        return sign_flag(self.id)


@dataclass(frozen=True)
class Index:
    """The cohesion index: a condition comparing an index with a threshold parameter."""

    label: str
    condition: Any  # the parsed expression
    for_steps: int
    threshold: str  # param.<id>
    source: Any


@dataclass(frozen=True)
class Definition:
    """What counts as decoupling: the signs, how many make decoupling, and the index."""

    signs: tuple[Sign, ...]
    at_least: int
    index: Index | None

    @property
    def combination_text(self) -> str:
        """``any one sign`` or ``at least 2 of the 4 signs``."""
        if self.at_least <= 1:
            return "any one sign"
        return f"at least {self.at_least} of the {len(self.signs)} signs"

    @property
    def flags(self) -> list[str]:
        """The recorded flags besides ``decoupled``: each sign's, then the index's."""
        return [*(s.flag for s in self.signs), *([INDEX_FLAG] if self.index else [])]


def definition(model: Model) -> Definition | None:
    """The observable definition of decoupling of a compiled model, or None when the model
    defines no signs and no index (the one-condition form)."""
    if not model.decoupling_signs and not model.has_index:
        return None
    decoupling = model.scenario.decoupling
    signs = tuple(
        Sign(
            id=sign.id,
            label=sign.label or sign.id,
            condition=_text(sign.when),
            for_steps=sign.for_steps,
            source=sign.source,
        )
        for sign in decoupling.signs
    )
    index = None
    entry = decoupling.index
    if entry is not None:
        index = Index(
            label=entry.label or "cohesion index",
            condition=entry.when,
            for_steps=entry.for_steps,
            threshold=entry.threshold,
            source=entry.source,
        )
    return Definition(signs, decoupling.at_least, index)


def _text(expression: Any) -> str:
    return str(getattr(expression, "text", expression))


# --------------------------------------------------------------------------------------------
# the index's threshold sensitivity


@dataclass(frozen=True)
class Sensitivity:
    """P(index by the horizon) per policy at the threshold and a grid around it (the
    structures' weighted combination when the run has several), beside the share the run
    itself gives (its threshold as drawn)."""

    threshold: str
    value: float  # the threshold's value (its mean when uncertain)
    uncertain: bool
    thresholds: tuple[float, ...]
    p: dict[str, tuple[float, ...]] = field(default_factory=dict)  # policy -> per threshold
    as_run: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "threshold": self.threshold,
            "value": self.value,
            "uncertain": self.uncertain,
            "thresholds": list(self.thresholds),
            "p_index_by_horizon": {k: list(v) for k, v in self.p.items()},
            "as_run": dict(self.as_run),
            "note": self.note,
        }


def _grid(value: float, offsets: Sequence[float]) -> tuple[float, ...]:
    """The thresholds of the grid: value · (1 + offset), or the offsets themselves at 0."""
    if value == 0:
        return tuple(float(offset) for offset in offsets)
    return tuple(value * (1.0 + offset) for offset in offsets)


def index_sensitivity(
    results: Results, offsets: Sequence[float] = THRESHOLD_OFFSETS
) -> Sensitivity | None:
    """The index's threshold sensitivity, from the recorded trajectories: each member's index
    condition evaluated at every step with the threshold replaced by each grid value, latched
    after ``for_steps`` steps as the engine does; None when the model has no index. When the
    condition reads something the run did not record, ``note`` says so and ``p`` is empty."""
    found = definition(results.model)
    if found is None or found.index is None:
        return None
    index = found.index
    spec = next((p for p in results.model.parameters if p.name == index.threshold), None)
    if spec is None:
        return Sensitivity(index.threshold, math.nan, False, (), note="no such parameter")
    value = float(spec.value.mean)
    thresholds = _grid(value, offsets)
    summary = results.summary()
    as_run = {
        policy: float(p.p_index_by_step[-1])
        for policy, p in summary.policies.items()
        if p.p_index_by_step
    }
    out = Sensitivity(index.threshold, value, not spec.value.is_fixed, thresholds, as_run=as_run)
    p: dict[str, np.ndarray] = {}
    with results.reading():
        for structure, policy, shares in _shares(results, index, thresholds):
            if isinstance(shares, str):
                return Sensitivity(
                    out.threshold, value, out.uncertain, thresholds, as_run=as_run, note=shares
                )
            weight = results.weights[structure] if results.several else 1.0
            p[policy] = p.get(policy, 0.0) + weight * shares
    return Sensitivity(
        out.threshold,
        value,
        out.uncertain,
        thresholds,
        p={k: tuple(float(x) for x in v) for k, v in p.items()},
        as_run=as_run,
    )


def _shares(
    results: Results, index: Index, thresholds: Sequence[float]
) -> Iterator[tuple[str, str, np.ndarray | str]]:
    """P(index by the horizon) under each structure and policy (structure by structure) at each
    threshold, or why it cannot be computed; the recorded quantities the index reads are read
    for several structures and policies at once."""
    model = results.model
    rows = {p.name: k for k, p in enumerate(model.parameters)}
    names = sorted(index.condition.names)
    scenario = model.scenario
    setters = [
        *scenario.schedule,
        *scenario.actions,
        *(o for e in scenario.elections for o in e.outcomes),
    ]
    changed = sorted({n for entry in setters for n in entry.sets if n in rows and n in names})
    if changed:
        note = f"the index reads {changed[0]}, which a set-effect changes during the run"
        yield results.structures[0], results.policies[0], note
        return
    wanted = [n for n in names if n not in rows and n not in ("step", "year")]
    if results.several:
        read = results.files.member_steps_by_structure(wanted, results.structures, results.policies)
    else:
        shown = results.structures[0]
        read = (
            (shown, policy, arrays)
            for policy, arrays in results.files.member_steps_by_policy(wanted, results.policies)
        )
    drawn: list[Any] = []
    for structure, policy, recorded in read:
        part = results.structure(structure)
        shares = _policy_shares(part, structure, policy, index, thresholds, recorded, drawn)
        yield structure, policy, shares


def _policy_shares(
    results: Results,
    structure: str,
    policy: str,
    index: Index,
    thresholds: Sequence[float],
    recorded: Mapping[str, np.ndarray],
    drawn: list[Any],
) -> np.ndarray | str:
    """P(index by the horizon) under one structure and policy at each threshold, from the
    recorded quantities the index reads (``drawn``: the run's parameters once read)."""
    from alliancesim.expr import compile_expression

    model = results.model
    spec = model.under(policy, structure)
    rows = {p.name: k for k, p in enumerate(model.parameters)}
    names = sorted(index.condition.names)
    readers: dict[str, Callable[[Mapping[str, Any]], Any]] = {}
    for name in names:
        if name == index.threshold:
            readers[name] = lambda c: c["__threshold__"]
        elif name in recorded or name in ("step", "year"):
            readers[name] = (lambda key: lambda c: c[key])(name)
        elif name in rows:
            row = rows[name]
            distribution = spec.overrides.get(row, model.parameters[row].value)
            if distribution.is_fixed:
                readers[name] = (lambda v: lambda c: v)(float(distribution.mean))
            elif row not in spec.overrides:
                if not drawn:
                    drawn.append(results.parameters())
                values = drawn[0][name].to_numpy(dtype=np.float64)[:, None]
                readers[name] = (lambda v: lambda c: v)(values)
            else:
                return f"the index reads {name}, which {policy} draws anew: not recorded"
        else:
            return f"the index reads {name}, which this run did not record"
    compiled = compile_expression(index.condition, readers)
    steps = model.horizon
    context: dict[str, Any] = {key: arrays[:, 1:] for key, arrays in recorded.items()}
    context["step"] = np.arange(1, steps + 1, dtype=np.float64)[None, :]
    context["year"] = np.array([model.clock.years(t) for t in range(1, steps + 1)])[None, :]
    shares = []
    for threshold in thresholds:
        context["__threshold__"] = threshold
        holds = np.broadcast_to(np.asarray(compiled(context)) != 0.0, (results.members, steps))
        streak = np.zeros(holds.shape[0])
        decoupled = np.zeros(holds.shape[0], dtype=bool)
        for t in range(steps):
            streak = np.where(holds[:, t], streak + 1.0, 0.0)
            decoupled |= streak >= index.for_steps
        shares.append(decoupled.mean())
    return np.asarray(shares)
