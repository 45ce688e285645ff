"""What carries each recommendation's effect: its pathways, each switched off in turn.

A policy changes the model in a few separate ways, each written in the scenario; those are its
**pathways**:

- a **setting** (``set = { "<parameter>" = … }``): one pathway per entry of the model that reads
  the parameter. A lever read by several entries is split by reader: ``consult_first`` sets
  ``policy.consultation``, which the ``consulted`` expressions of four actions read, so
  consulting Seoul before the Stryker withdrawal and Seoul consulting Washington before its own
  outreach are two pathways. A parameter the engine reads directly (a rule's weight, an issue
  position, an action's probability) is one pathway;
- a **scheduled occurrence** the policy adds (``schedule = [{ event, at }]``): one pathway each.

The decomposition runs the policy with one pathway at a time **switched off** — the setting
read at its baseline value by that one reader (the same uniform draw: common random numbers),
or the occurrence not added — on the same worlds (every structure, every member, the same draws
and event streams as the run), and measures, member by member,

    carried_k = outcome(policy) − outcome(policy without pathway k)
    total     = outcome(policy) − outcome(baseline)

averaged over members (and weighted over structures member by member), with t 95 % intervals.
``share_k = carried_k / total``. The pathways need not add up: what remains,
``total − Σ carried_k``, is their **interaction** (pathways that only work together, or that
overlap and each would do the job alone). A pathway whose share is negative works against the
policy's effect. Outcomes: decoupled by the horizon (the change in P(decoupling)) and the
regret measure (:mod:`alliancesim.analysis.robust`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from alliancesim.errors import InputError

if TYPE_CHECKING:
    from alliancesim.model import Model, PolicySpec
    from alliancesim.results import Results
    from alliancesim.scenario.schema import Scenario

__all__ = [
    "Decomposition",
    "Pathway",
    "PathwayEffect",
    "Switched",
    "decompose",
    "decompose_run",
    "pathway_off",
    "policy_pathways",
    "simulate_switched",
    "under_structure",
]

DIRECT = "engine"
"""The reader of a parameter the engine reads directly (a weight, a position, a probability)."""


@dataclass(frozen=True)
class Pathway:
    """One way a policy changes the model: a setting as one entry reads it, or an occurrence of
    a scheduled event the policy adds."""

    id: str
    kind: Literal["set", "schedule"]
    label: str
    short: str
    """The pathway in a few words, for a chart's axis."""
    parameter: str | None = None  # the parameter a setting overrides
    reader: str | None = None  # the entry that reads it ("actions.lee_outreach"); None: all
    event: str | None = None  # a scheduled event the policy adds
    step: int | None = None  # at this step

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "short": self.short,
            "parameter": self.parameter,
            "reader": self.reader,
            "event": self.event,
            "step": self.step,
        }


def _expression_name(parameter: str) -> str | None:
    """The name an expression reads a parameter by (None: expressions cannot read it)."""
    head, _, rest = parameter.partition(".")
    if head in ("policy", "param"):
        return parameter
    if head == "actors" and rest.endswith(".capability"):
        return f"capability.{rest.removesuffix('.capability')}"
    return None


def _readers(scenario: Scenario, name: str) -> list[tuple[str, str]]:
    """The entries whose expressions read ``name``: (reader id, its label for people)."""
    out: list[tuple[str, str]] = []
    for action in scenario.actions:
        if name in action.when.names or name in action.consulted.names:
            out.append((f"actions.{action.id}", action.label or action.id))
    for rule in scenario.rules:
        if name in rule.driver.names or (rule.gate is not None and name in rule.gate.names):
            out.append((f"rules.{rule.id}", rule.id))
    for event in scenario.events:
        if name in getattr(event.rate, "names", frozenset()):
            out.append((f"events.{event.id}", getattr(event, "label", "") or event.id))
    for indicator in scenario.indicators:
        if name in indicator.expr.names:
            out.append((f"indicators.{indicator.id}", indicator.label or indicator.id))
    decoupling = scenario.decoupling
    for ident, when, _ in decoupling.sign_conditions:
        if name in when.names:
            reader = "decoupling" if ident is None else f"decoupling.signs.{ident}"
            out.append((reader, "the decoupling condition" if ident is None else ident))
    index = getattr(decoupling, "index", None)
    if index is not None and name in index.when.names:
        out.append(("decoupling.index", "the cohesion index"))
    return out


def _setting_pathways(scenario: Scenario, policy_id: str, parameter: str) -> list[Pathway]:
    name = _expression_name(parameter)
    readers = _readers(scenario, name) if name is not None else []
    direct = name is None or parameter.startswith("actors.")
    if direct:
        readers = [*readers, (DIRECT, "the engine")] if readers else []
    if len(readers) <= 1:
        short = f"{_tail(parameter)} set"
        return [Pathway(f"{policy_id}:{parameter}", "set", f"sets {parameter}", short, parameter)]
    return [
        Pathway(
            f"{policy_id}:{parameter}@{reader}",
            "set",
            f"{parameter} as {reader} reads it ({label})",
            f"{_tail(parameter)} → {reader.rpartition('.')[2] or reader}",
            parameter,
            reader,
        )
        for reader, label in readers
    ]


def _tail(parameter: str) -> str:
    """A parameter's name in a few words: ``policy.consultation`` → ``consultation``,
    ``issues.regional_role.positions.USA.position`` → ``regional_role USA position``."""
    parts = parameter.split(".")
    if parts[0] in ("policy", "param"):
        return ".".join(parts[1:])
    if parts[0] == "issues" and len(parts) >= 5:
        return f"{parts[1]} {parts[3]} {parts[4]}"
    return ".".join(parts[1:])


def policy_pathways(model: Model, policy: str) -> list[Pathway]:
    """The pathways of a policy (or an ``a+b`` combination): its settings, one per reader, then
    its scheduled occurrences, in the scenario's order."""
    scenario = model.scenario
    model.policy(policy)  # InputError for an unknown policy
    declared = {p.id: p for p in scenario.policies}
    out: list[Pathway] = []
    seen: set[str] = set()
    for part in policy.split("+"):
        entry = declared[part]
        for parameter in entry.set:
            for pathway in _setting_pathways(scenario, part, parameter):
                if pathway.id not in seen:
                    seen.add(pathway.id)
                    out.append(pathway)
        for occurrence in entry.schedule:
            step = model.clock.step_of(occurrence.at)
            ident = f"{part}:schedule.{occurrence.event}@{occurrence.at}"
            if ident not in seen:
                seen.add(ident)
                out.append(
                    Pathway(
                        ident,
                        "schedule",
                        f"adds {occurrence.event} in {occurrence.at}",
                        f"{occurrence.event} {occurrence.at}",
                        event=occurrence.event,
                        step=step,
                    )
                )
    return out


# --------------------------------------------------------------------------------------------
# a policy with one pathway switched off


@dataclass(frozen=True)
class Switched:
    """What the engine runs for a policy with one pathway off: a model (the same, or one whose
    reader reads the parameter from an extra row of P), the policy's replacements, and the
    parameter rows appended to P (in order) for the reader to read: their baseline values, or
    (``from_policy``) the policy's."""

    model: Model
    spec: PolicySpec
    shadow: tuple[int, ...] = ()
    from_policy: bool = False


def _reading_shadow(model: Model, name: str, shadow_row: int) -> Callable[[str], Any]:
    """A resolver like the model's, except that ``name`` reads row ``shadow_row`` of P."""
    assert model.resolve is not None
    resolve = model.resolve

    def resolver(candidate: str) -> Callable[[Any], Any]:
        if candidate == name:
            return lambda c: c.P[shadow_row]
        return resolve(candidate)

    return resolver


def _recompiled(expression: Any, resolver: Callable[[str], Any], gate_row: int | None) -> Any:
    """An expression compiled again with ``resolver``, keeping its account's gate (a rule of an
    account reads 0 where its account's row is 0, as the model compiles it)."""
    from alliancesim.expr_closures import CompiledExpression, compile_expression

    compiled = compile_expression(expression.parsed, resolver)
    if gate_row is None:
        return compiled
    function = compiled.function

    def gated(c: Any) -> Any:
        return np.where(c.P[gate_row] != 0.0, function(c), 0.0)

    return CompiledExpression(compiled.parsed, gated)


def _with_reader_shadowed(model: Model, reader: str, name: str, shadow_row: int) -> Model:
    """The model with one entry's expressions reading ``name`` from row ``shadow_row``."""
    resolver = _reading_shadow(model, name, shadow_row)
    scenario = model.scenario
    kind, _, ident = reader.partition(".")
    if kind == "actions":
        actions = [
            replace(
                a,
                when=_recompiled(a.when, resolver, None),
                consulted=_recompiled(a.consulted, resolver, None),
            )
            if a.id == ident
            else a
            for a in model.actions
        ]
        return replace(model, actions=actions)
    if kind == "rules":
        k = model.rule_ids.index(ident)
        rule = scenario.rules[k]
        gate_row = None
        if rule.account is not None:
            gate_row = model.parameter_names.index(f"structure.{rule.account}")
        drivers = list(model.rule_drivers)
        gates = list(model.rule_gates)
        drivers[k] = _recompiled(drivers[k], resolver, gate_row)
        if gates[k] is not None:
            gates[k] = _recompiled(gates[k], resolver, gate_row)
        return replace(model, rule_drivers=drivers, rule_gates=gates)
    if kind == "events":
        events = [
            replace(e, rate=_recompiled(e.rate, resolver, None))
            if e.id == ident and not isinstance(e.rate, int)
            else e
            for e in model.events
        ]
        return replace(model, events=events)
    if kind == "indicators":
        indicators = [
            (i, _recompiled(expr, resolver, None) if i == ident else expr)
            for i, expr in model.indicators
        ]
        return replace(model, indicators=indicators)
    if reader == "decoupling.index" and model.index is not None:
        index = replace(model.index, when=_recompiled(model.index.when, resolver, None))
        return replace(model, index=index)
    if kind == "decoupling":  # the older form's one condition, or one sign
        sign = reader.removeprefix("decoupling.signs.") if reader != "decoupling" else None
        signs = [
            replace(s, when=_recompiled(s.when, resolver, None)) if s.id == sign else s
            for s in model.signs
        ]
        return replace(model, signs=signs)
    raise ValueError(f"unknown reader {reader!r}")


def pathway_off(model: Model, policy: str, pathway: Pathway | None) -> Switched:
    """The policy with one pathway switched off (None: the policy itself)."""
    from alliancesim.model import PolicySpec

    spec = model.policy(policy)
    if pathway is None:
        return Switched(model, spec)
    if pathway.kind == "schedule":
        index = [s.id for s in model.scheduled].index(pathway.event)
        added = dict(spec.added)
        remaining = added.get(index, frozenset()) - {pathway.step}
        if remaining:
            added[index] = frozenset(remaining)
        else:
            added.pop(index, None)
        return Switched(model, PolicySpec(spec.id, dict(spec.overrides), added))
    row = model.parameter_names.index(str(pathway.parameter))
    if pathway.reader is None:
        overrides = {r: v for r, v in spec.overrides.items() if r != row}
        return Switched(model, PolicySpec(spec.id, overrides, dict(spec.added)))
    shadow_row = len(model.parameters)
    if pathway.reader == DIRECT:
        # every expression reader keeps the policy's value; the engine's own use is baseline
        name = _expression_name(str(pathway.parameter))
        assert name is not None
        overrides = {r: v for r, v in spec.overrides.items() if r != row}
        variant = model
        for reader, _ in _readers(model.scenario, name):
            variant = _with_reader_shadowed(variant, reader, name, shadow_row)
        return Switched(
            variant, PolicySpec(spec.id, overrides, dict(spec.added)), (row,), from_policy=True
        )
    name = _expression_name(str(pathway.parameter))
    assert name is not None
    variant = _with_reader_shadowed(model, pathway.reader, name, shadow_row)
    return Switched(variant, spec, (row,))


def under_structure(model: Model, spec: PolicySpec, structure: str) -> PolicySpec:
    """A policy's replacements under a structure (as :meth:`Model.under` makes them)."""
    from alliancesim.model import PolicySpec

    if structure == "seed":
        return spec
    flags = model.under("baseline", structure).overrides
    return PolicySpec(spec.id, {**spec.overrides, **flags}, spec.added)


def simulate_switched(
    switched: Switched,
    draws: Any,
    structure: str,
    record: Sequence[str],
) -> np.ndarray:
    """Simulate members on ``draws`` under a policy with a pathway off (and a structure):
    (steps + 1, recorded names, members)."""
    from alliancesim.engine import simulate

    model = switched.model
    spec = under_structure(model, switched.spec, structure)
    P = draws.parameters(model, spec)
    if switched.shadow:
        if switched.from_policy:  # the readers keep the policy's value
            source = under_structure(model, model.policy(switched.spec.id), structure)
        else:
            source = model.under("baseline", structure)
        values = draws.parameters(model, source)
        P = np.vstack([P, values[list(switched.shadow)]])
    return simulate(model, spec, P, draws.slots, record=list(record))


# --------------------------------------------------------------------------------------------
# the decomposition


@dataclass(frozen=True)
class PathwayEffect:
    """What one pathway carries of a policy's effect on one outcome: the mean paired change
    ``policy − policy without it`` with its t 95 % interval, and its share of the total."""

    pathway: Pathway
    carried: float
    ci: tuple[float, float]
    share: float | None  # carried / total (None when the total is 0)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            **self.pathway.to_dict(),
            "carried": self.carried,
            "ci": list(self.ci),
            "share": self.share,
        }


@dataclass(frozen=True)
class Decomposition:
    """A policy's effect on one outcome and what each pathway carries of it (weighted over the
    structures), with the interaction (what the pathways' sum leaves out)."""

    policy: str
    label: str
    outcome: str  # "decoupled" (P(decoupling by the horizon)) or the regret measure
    baseline: float  # the outcome's mean under baseline
    total: float  # mean paired change policy − baseline
    total_ci: tuple[float, float]
    effects: tuple[PathwayEffect, ...]
    interaction: float
    interaction_ci: tuple[float, float]
    by_structure: Mapping[str, Mapping[str, float]]  # structure -> pathway id (and "total") -> mean
    members: int

    @property
    def policy_value(self) -> float:
        """The outcome's mean under the policy."""
        return self.baseline + self.total

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "outcome": self.outcome,
            "baseline": self.baseline,
            "policy_value": self.policy_value,
            "total": self.total,
            "total_ci": list(self.total_ci),
            "pathways": [e.to_dict() for e in self.effects],
            "interaction": self.interaction,
            "interaction_ci": list(self.interaction_ci),
            "structures": {k: dict(v) for k, v in self.by_structure.items()},
            "members": self.members,
        }


@dataclass(frozen=True)
class _Task:
    """Consecutive blocks of a run, simulated under baseline, each policy and each policy with
    each of its pathways off, under every structure; only the outcomes at the horizon return."""

    scenario: Scenario
    key: str
    seed: int
    blocks: tuple[Any, ...]
    policies: tuple[str, ...]
    structures: tuple[str, ...]
    outcomes: tuple[str, ...]


def _outcome_rows(record: np.ndarray, outcomes: Sequence[str], H: int) -> np.ndarray:
    return record[H, : len(outcomes), :].copy()


def _simulate_task(task: _Task) -> dict[tuple[str, str, str], np.ndarray]:
    """(structure, policy, pathway id or "" for the policy itself) → (outcomes, members); the
    baseline under ``"baseline"``."""
    from alliancesim.draws import Draws
    from alliancesim.ensemble import compiled

    model = compiled(task.scenario, task.key)
    draws = Draws.join([Draws.block(model, task.seed, block) for block in task.blocks])
    H = model.horizon
    record = list(task.outcomes)
    out: dict[tuple[str, str, str], np.ndarray] = {}
    for structure in task.structures:
        base = simulate_switched(pathway_off(model, "baseline", None), draws, structure, record)
        out[(structure, "baseline", "")] = _outcome_rows(base, record, H)
        for policy in task.policies:
            full = simulate_switched(pathway_off(model, policy, None), draws, structure, record)
            out[(structure, policy, "")] = _outcome_rows(full, record, H)
            for pathway in policy_pathways(model, policy):
                switched = pathway_off(model, policy, pathway)
                rec = simulate_switched(switched, draws, structure, record)
                out[(structure, policy, pathway.id)] = _outcome_rows(rec, record, H)
    return out


def _mean_ci(x: np.ndarray) -> tuple[float, tuple[float, float]]:
    from alliancesim.intervals import mean_interval

    mean, ci = mean_interval(x)
    return float(mean), (float(ci[0]), float(ci[1]))


def decompose(
    scenario: Scenario,
    policies: Sequence[str],
    members: int,
    seed: int,
    *,
    structures: Mapping[str, float] | None = None,
    outcomes: Sequence[str] = ("decoupled",),
    executor: Executor | None = None,
    workers: int = 1,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, list[Decomposition]]:
    """Each policy's effect on each outcome, decomposed by pathway, on the worlds a run of the
    same scenario, seed and members simulates (its blocks' draws), under each structure of
    ``structures`` (name → weight; None: the seed alone) combined member by member.

    Returns policy → one :class:`Decomposition` per outcome (in ``outcomes``' order).
    """
    from alliancesim.ensemble import chunks_of, scenario_hash
    from alliancesim.executors import in_order, using_executor
    from alliancesim.model import compile_model

    model = compile_model(scenario)
    unknown = [o for o in outcomes if o not in model.record_names]
    if unknown:
        raise InputError.single("--measure", f"not a recorded quantity: {', '.join(unknown)}")
    weights = dict(structures or {"seed": 1.0})
    pathways = {p: policy_pathways(model, p) for p in policies}
    key = scenario_hash(scenario)
    tasks = [
        _Task(scenario, key, seed, chunk, tuple(policies), tuple(weights), tuple(outcomes))
        for chunk in chunks_of(members)
    ]
    parts: list[dict[tuple[str, str, str], np.ndarray]] = []
    with using_executor(executor, workers) as pool:
        for done, part in enumerate(
            in_order(pool, _simulate_task, tasks, window=max(2, 2 * workers)), 1
        ):
            parts.append(part)
            if on_chunk is not None:
                on_chunk(done, len(tasks))
    joined = {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
    total_weight = sum(weights.values())
    w = {s: x / total_weight for s, x in weights.items()}
    labels = {p.id: p.label for p in scenario.policies}
    result: dict[str, list[Decomposition]] = {}
    for policy in policies:
        per_outcome = []
        for k, outcome in enumerate(outcomes):

            def combined(pathway: str, k: int = k, policy: str = policy) -> np.ndarray:
                return sum(w[s] * joined[(s, policy, pathway)][k] for s in weights)  # type: ignore[return-value]

            base = sum(w[s] * joined[(s, "baseline", "")][k] for s in weights)
            full = combined("")
            total, total_ci = _mean_ci(full - base)
            effects = []
            carried_sum = np.zeros_like(full)
            for pathway in pathways[policy]:
                difference = full - combined(pathway.id)
                carried_sum = carried_sum + difference
                carried, ci = _mean_ci(difference)
                share = carried / total if total != 0 and math.isfinite(total) else None
                effects.append(PathwayEffect(pathway, carried, ci, share))
            interaction, interaction_ci = _mean_ci((full - base) - carried_sum)
            by_structure = {
                s: {
                    "total": float(
                        (joined[(s, policy, "")][k] - joined[(s, "baseline", "")][k]).mean()
                    ),
                    **{
                        p.id: float(
                            (joined[(s, policy, "")][k] - joined[(s, policy, p.id)][k]).mean()
                        )
                        for p in pathways[policy]
                    },
                }
                for s in weights
            }
            per_outcome.append(
                Decomposition(
                    policy=policy,
                    label=" + ".join(labels.get(part, part) for part in policy.split("+")),
                    outcome=outcome,
                    baseline=float(np.mean(base)),
                    total=total,
                    total_ci=total_ci,
                    effects=tuple(effects),
                    interaction=interaction,
                    interaction_ci=interaction_ci,
                    by_structure=by_structure,
                    members=members,
                )
            )
        result[policy] = per_outcome
    return result


def decompose_run(
    results: Results,
    policies: Sequence[str] | None = None,
    *,
    outcomes: Sequence[str] | None = None,
    executor: Executor | None = None,
    workers: int = 1,
    on_chunk: Callable[[int, int], None] | None = None,
) -> dict[str, list[Decomposition]]:
    """The pathway decomposition of a run's recommendations (or ``policies``) on the run's own
    worlds: the same scenario, seed, members and structures, weighted as the run weighs them
    (the policies themselves are simulated again, so their numbers equal the run's)."""
    scenario = results.model.scenario
    kinds = {p.id: p.kind for p in scenario.policies}
    chosen = (
        list(policies)
        if policies
        else [
            p
            for p in results.policies
            if p != "baseline"
            and all(kinds.get(part, "recommendation") == "recommendation" for part in p.split("+"))
        ]
    )
    if outcomes is None:
        from alliancesim.analysis.robust import DECOUPLING_TIME, regret_measure

        measure = regret_measure(results.model)
        outcomes = ["decoupled"] + ([measure.name] if measure.name != DECOUPLING_TIME else [])
    return decompose(
        scenario,
        chosen,
        results.members,
        results.seed,
        structures=dict(results.weights),
        outcomes=outcomes,
        executor=executor,
        workers=workers,
        on_chunk=on_chunk,
    )
