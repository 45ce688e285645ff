"""Compile a checked scenario into a :class:`Model`: named arrays and compiled expressions.

The model lays every movable quantity of the alliance (state variables, positions, saliences,
status quos) out as a row of one array ``X`` shaped (quantities, members); every parameter as
a row of ``P`` (parameters, members); rules as arrays of (target row, weight row) with their
compiled driver and gate. A step of the engine is then a few vectorised operations per rule,
event and action, whatever the number of members.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliancesim.errors import InputError, Problem
from alliancesim.expr import CompiledExpression, ParsedExpression, compile_expression
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.names import Namespace
from alliancesim.scenario.parameters import ParameterSpec, scenario_parameters
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.uncertain import Fixed, Uncertain

__all__ = [
    "ActionSpec",
    "Context",
    "EventSpec",
    "IssueSpec",
    "Model",
    "PolicySpec",
    "ScheduledSpec",
    "compile_model",
    "namespace_of",
]


class Context:
    """The values an expression reads, for all members at once (rows are quantities)."""

    __slots__ = ("P", "X", "consulted", "count", "event", "indicator", "outcome", "step", "year")

    def __init__(
        self,
        X: np.ndarray,
        P: np.ndarray,
        outcome: np.ndarray,
        event: np.ndarray,
        count: np.ndarray,
        consulted: np.ndarray,
        indicator: np.ndarray,
    ):
        self.X = X
        self.P = P
        self.outcome = outcome
        self.event = event
        self.count = count
        self.consulted = consulted
        self.indicator = indicator
        self.step = 0.0
        self.year = 0.0


@dataclass(frozen=True)
class IssueSpec:
    """An issue as the engine sees it: its model and where its participants' numbers live."""

    id: str
    model: str
    participants: tuple[str, ...]
    position_rows: np.ndarray
    salience_rows: np.ndarray
    capability_rows: np.ndarray  # rows of P
    status_quo_row: int

    @property
    def moves_positions(self) -> bool:
        """Whether a round of this issue's model moves the actors' positions."""
        return self.model in ("eum", "smp")


@dataclass(frozen=True)
class EventSpec:
    """A stochastic event: its rate (expression or parameter row) and intensity distribution."""

    id: str
    rate: CompiledExpression | int
    intensity: Uncertain


@dataclass(frozen=True)
class ScheduledSpec:
    """A scheduled event: the steps it happens in under the baseline and its intensity row."""

    id: str
    steps: frozenset[int]
    intensity_row: int


@dataclass(frozen=True)
class ActionSpec:
    """An actor's decision rule compiled: condition, probability, consultation, effects."""

    id: str
    when: CompiledExpression
    consulted: CompiledExpression
    probability_row: int
    intensity_row: int
    once: bool
    effects: tuple[tuple[int, int], ...]  # (row of X, row of P)


@dataclass(frozen=True)
class PolicySpec:
    """A policy (or combination): parameter replacements and added scheduled occurrences."""

    id: str
    overrides: dict[int, Uncertain]  # parameter row -> distribution under this policy
    added: dict[int, frozenset[int]]  # scheduled index -> extra steps


@dataclass
class Model:
    """A scenario compiled for the vectorised engine."""

    scenario: Scenario
    clock: Clock
    actors: list[str]
    quantities: list[str]
    lower: np.ndarray
    upper: np.ndarray
    n_states: int
    parameters: list[ParameterSpec]
    initial_rows: np.ndarray  # per quantity, its parameter row
    relaxation_rows: np.ndarray  # per state variable
    baseline_rows: np.ndarray  # per state variable, -1 = its initial value
    issues: list[IssueSpec]
    events: list[EventSpec]
    scheduled: list[ScheduledSpec]
    actions: list[ActionSpec]
    rule_ids: list[str]
    rule_targets: np.ndarray
    rule_weight_rows: np.ndarray
    rule_drivers: list[CompiledExpression]
    rule_gates: list[CompiledExpression | None]
    rule_groups: list[tuple[int, list[int]]]  # (target row, its rules in file order)
    changing_rows: np.ndarray  # rows of X other than state variables that a step can move
    indicators: list[tuple[str, CompiledExpression]]
    decoupling: CompiledExpression
    decoupling_steps: int
    policies: dict[str, PolicySpec] = field(default_factory=dict)
    structure_rows: dict[str, int] = field(default_factory=dict)  # structure.<m>.<a> -> row of P
    resolve: Callable[[str], Callable[[Context], Any]] | None = field(default=None, repr=False)
    """What each name an expression may read resolves to (the reader of the context its compiled
    expressions use), for recompiling an expression against this model."""
    _under: dict[tuple[str, str], PolicySpec] = field(default_factory=dict, repr=False)

    @property
    def horizon(self) -> int:
        """Number of steps."""
        return self.clock.horizon

    @property
    def happenings(self) -> list[str]:
        """Ids of stochastic events, scheduled events and actions, in the rows of ``event``."""
        return [
            *(e.id for e in self.events),
            *(s.id for s in self.scheduled),
            *(a.id for a in self.actions),
        ]

    @property
    def outcome_names(self) -> list[str]:
        """``issue.<I>.outcome`` for each issue."""
        return [f"issue.{i.id}.outcome" for i in self.issues]

    @property
    def record_names(self) -> list[str]:
        """Names of everything recorded each step, in the engine's record order."""
        return [
            *self.quantities,
            *self.outcome_names,
            *(f"event.{e}" for e in self.happenings),
            *(f"count.{e}" for e in self.happenings),
            *(f"consulted.{a.id}" for a in self.actions),
            *(i for i, _ in self.indicators),
            "decoupled",
        ]

    @property
    def key_indicators(self) -> list[str]:
        """Names to feature in tables and reports: the scenario's choice, else its last indicator."""
        if self.scenario.scenario.key_indicators:
            return list(self.scenario.scenario.key_indicators)
        return self.indicator_names[-1:]

    @property
    def indicator_names(self) -> list[str]:
        """Ids of the indicators, in order."""
        return [i for i, _ in self.indicators]

    @property
    def n_slots(self) -> int:
        """Uniform random numbers per member per step (two per event, two per action)."""
        return 2 * len(self.events) + 2 * len(self.actions)

    @property
    def parameter_names(self) -> list[str]:
        """Names of all parameters, in the rows of ``P``."""
        return [p.name for p in self.parameters]

    def uncertain_rows(self, policies: Sequence[str]) -> list[int]:
        """Parameter rows that need a random draw under any of the given policies."""
        rows = {i for i, p in enumerate(self.parameters) if not p.value.is_fixed}
        for name in policies:
            rows.update(r for r, d in self.policy(name).overrides.items() if not d.is_fixed)
        return sorted(rows)

    def policy(self, name: str) -> PolicySpec:
        """The policy (or ``a+b`` combination) by name; InputError if unknown or in conflict."""
        if name in self.policies:
            return self.policies[name]
        parts = name.split("+")
        unknown = [p for p in parts if p not in self.policies]
        if unknown:
            known = ", ".join(self.policies)
            raise InputError.single(
                "--policy", f"unknown policy {unknown[0]!r} in {name!r}; known: {known}"
            )
        overrides: dict[int, Uncertain] = {}
        added: dict[int, set[int]] = {}
        for part in parts:
            spec = self.policies[part]
            for row, value in spec.overrides.items():
                if row in overrides and overrides[row] != value:
                    raise InputError.single(
                        "--policy",
                        f"cannot combine {name!r}: both set {self.parameters[row].name} "
                        "to different values",
                    )
                overrides[row] = value
            for index, steps in spec.added.items():
                added.setdefault(index, set()).update(steps)
        combined = PolicySpec(name, overrides, {k: frozenset(v) for k, v in added.items()})
        self.policies[name] = combined
        return combined

    def under(self, policy: str, structure: str = "seed") -> PolicySpec:
        """A policy under a structure (``seed``, ``consult=costly_signal``…): the policy's
        replacements plus the structure's ``structure.*`` values (the seed's are the defaults,
        so a policy under ``seed`` is the policy itself). InputError for an unknown one."""
        spec = self.policy(policy)
        if structure == "seed":
            return spec
        cached = self._under.get((policy, structure))
        if cached is not None:
            return cached
        from alliancesim.structures import parse_structure

        flags = parse_structure(self.scenario, structure).flags(self.scenario.mechanisms)
        overrides = {**spec.overrides}
        overrides.update({self.structure_rows[n]: Fixed(v) for n, v in flags.items()})
        combined = PolicySpec(spec.id, overrides, spec.added)
        self._under[(policy, structure)] = combined
        return combined


def namespace_of(scenario: Scenario) -> Namespace:
    """The names a (checked) scenario declares."""
    return Namespace(
        actors=[a.id for a in scenario.actors],
        issues={i.id: i.participants for i in scenario.issues},
        states=[s.id for s in scenario.state],
        events=[e.id for e in scenario.events],
        scheduled=[s.id for s in scenario.schedule],
        actions=[a.id for a in scenario.actions],
        levers=[lever.id for lever in scenario.levers],
        params=[p.id for p in scenario.parameters],
        indicators=[i.id for i in scenario.indicators],
        accounts=[f"{m.id}.{a.id}" for m in scenario.mechanisms for a in m.accounts],
    )


def compile_model(scenario: Scenario) -> Model:
    """Compile a loaded scenario into arrays and closures for the engine."""
    ns = namespace_of(scenario)
    clock = Clock(scenario.scenario.start, scenario.scenario.step, scenario.scenario.horizon)
    specs = scenario_parameters(scenario)
    parameters = [*specs.values(), *_structure_parameters(scenario)]
    prow = {p.name: i for i, p in enumerate(parameters)}

    quantities = ns.targets()
    qrow = {q: i for i, q in enumerate(quantities)}
    n_states = len(ns.states)
    lower = np.zeros(len(quantities))
    upper = np.zeros(len(quantities))
    initial_rows = np.zeros(len(quantities), dtype=np.int64)
    for s in scenario.state:
        r = qrow[s.id]
        lower[r], upper[r] = s.bounds
        initial_rows[r] = prow[f"state.{s.id}.initial"]
    for issue in scenario.issues:
        for actor in issue.participants:
            r = qrow[f"position.{actor}.{issue.id}"]
            lower[r], upper[r] = 0.0, 100.0
            initial_rows[r] = prow[f"issues.{issue.id}.positions.{actor}.position"]
            r = qrow[f"salience.{actor}.{issue.id}"]
            lower[r], upper[r] = 0.0, 1.0
            initial_rows[r] = prow[f"issues.{issue.id}.positions.{actor}.salience"]
        r = qrow[f"issue.{issue.id}.status_quo"]
        lower[r], upper[r] = 0.0, 100.0
        initial_rows[r] = prow[f"issues.{issue.id}.status_quo"]
    relaxation_rows = np.array(
        [prow[f"state.{s.id}.relaxation"] for s in scenario.state], dtype=np.int64
    )
    baseline_rows = np.array(
        [prow.get(f"state.{s.id}.baseline", -1) for s in scenario.state], dtype=np.int64
    )

    happenings = ns.happenings()
    erow = {e: i for i, e in enumerate(happenings)}
    arow = {a: i for i, a in enumerate(ns.actions)}
    outcome_row = {f"issue.{i}.outcome": k for k, i in enumerate(ns.issues)}
    indicator_row = {ind: k for k, ind in enumerate(ns.indicators)}

    def resolver(name: str) -> Callable[[Context], Any]:
        if name in qrow:
            r = qrow[name]
            return lambda c: c.X[r]
        if name in outcome_row:
            r = outcome_row[name]
            return lambda c: c.outcome[r]
        head, _, rest = name.partition(".")
        if head == "event" and rest in erow:
            r = erow[rest]
            return lambda c: c.event[r]
        if head == "count" and rest in erow:
            r = erow[rest]
            return lambda c: c.count[r]
        if head == "consulted" and rest in arow:
            r = arow[rest]
            return lambda c: c.consulted[r]
        if head in ("policy", "param", "structure") and name in prow:
            r = prow[name]
            return lambda c: c.P[r]
        if head == "capability" and f"actors.{rest}.capability" in prow:
            r = prow[f"actors.{rest}.capability"]
            return lambda c: c.P[r]
        if name in indicator_row:
            r = indicator_row[name]
            return lambda c: c.indicator[r]
        if name == "step":
            return lambda c: c.step
        if name == "year":
            return lambda c: c.year
        raise KeyError(name)

    problems: list[Problem] = []

    def compile_at(expr: ParsedExpression, entry: Any, fieldname: str) -> CompiledExpression:
        try:
            return compile_expression(expr, resolver)
        except ValueError as exc:  # the loader checks names; this guards programmatic scenarios
            file, line = entry.origin
            problems.append(Problem(file, line, fieldname, str(exc)))
            return compile_expression("0", resolver)

    issues = []
    for issue in scenario.issues:
        issues.append(
            IssueSpec(
                id=issue.id,
                model=issue.model,
                participants=tuple(issue.participants),
                position_rows=np.array(
                    [qrow[f"position.{a}.{issue.id}"] for a in issue.participants], dtype=np.int64
                ),
                salience_rows=np.array(
                    [qrow[f"salience.{a}.{issue.id}"] for a in issue.participants], dtype=np.int64
                ),
                capability_rows=np.array(
                    [prow[f"actors.{a}.capability"] for a in issue.participants], dtype=np.int64
                ),
                status_quo_row=qrow[f"issue.{issue.id}.status_quo"],
            )
        )
    events = []
    for e in scenario.events:
        rate: CompiledExpression | int
        if isinstance(e.rate, ParsedExpression):
            rate = compile_at(e.rate, e, "rate")
        else:
            rate = prow[f"events.{e.id}.rate"]
        events.append(EventSpec(e.id, rate, e.intensity))
    scheduled = [
        ScheduledSpec(
            s.id, frozenset(clock.step_of(p) for p in s.at), prow[f"schedule.{s.id}.intensity"]
        )
        for s in scenario.schedule
    ]
    actions = [
        ActionSpec(
            id=a.id,
            when=compile_at(a.when, a, "when"),
            consulted=compile_at(a.consulted, a, "consulted"),
            probability_row=prow[f"actions.{a.id}.probability"],
            intensity_row=prow[f"actions.{a.id}.intensity"],
            once=a.once,
            effects=tuple(
                (qrow[target], prow[f"actions.{a.id}.effects.{target}"]) for target in a.effects
            ),
        )
        for a in scenario.actions
    ]
    rule_targets = np.array([qrow[r.target] for r in scenario.rules], dtype=np.int64)
    rule_weight_rows = np.array(
        [prow[f"rules.{r.id}.weight"] for r in scenario.rules], dtype=np.int64
    )
    drivers = [compile_at(r.driver, r, "driver") for r in scenario.rules]
    gates = [compile_at(r.gate, r, "gate") if r.gate is not None else None for r in scenario.rules]
    _gate_by_account(scenario, drivers, gates, prow)
    groups: dict[int, list[int]] = {}
    for r, target in enumerate(rule_targets.tolist()):
        groups.setdefault(target, []).append(r)
    rule_groups = sorted(groups.items())
    changing = set(rule_targets.tolist())
    changing.update(row for a in actions for row, _ in a.effects)
    for issue in issues:
        if issue.moves_positions:
            changing.update(issue.position_rows.tolist())
    changing_rows = np.array(sorted(r for r in changing if r >= n_states), dtype=np.int64)
    indicators = [(i.id, compile_at(i.expr, i, "expr")) for i in scenario.indicators]
    decoupling = compile_at(scenario.decoupling.when, scenario.decoupling, "when")
    if problems:
        raise InputError(problems)

    sched_index = {s.id: k for k, s in enumerate(scenario.schedule)}
    policies: dict[str, PolicySpec] = {"baseline": PolicySpec("baseline", {}, {})}
    for policy in scenario.policies:
        added: dict[int, set[int]] = {}
        for occurrence in policy.schedule:
            added.setdefault(sched_index[occurrence.event], set()).add(clock.step_of(occurrence.at))
        policies[policy.id] = PolicySpec(
            policy.id,
            {prow[key]: value for key, value in policy.set.items()},
            {k: frozenset(v) for k, v in added.items()},
        )

    return Model(
        scenario=scenario,
        clock=clock,
        actors=ns.actors,
        quantities=quantities,
        lower=lower,
        upper=upper,
        n_states=n_states,
        parameters=parameters,
        initial_rows=initial_rows,
        relaxation_rows=relaxation_rows,
        baseline_rows=baseline_rows,
        issues=issues,
        events=events,
        scheduled=scheduled,
        actions=actions,
        rule_ids=[r.id for r in scenario.rules],
        rule_targets=rule_targets,
        rule_weight_rows=rule_weight_rows,
        rule_drivers=drivers,
        rule_gates=gates,
        rule_groups=rule_groups,
        changing_rows=changing_rows,
        indicators=indicators,
        decoupling=decoupling,
        decoupling_steps=scenario.decoupling.for_steps,
        policies=policies,
        structure_rows={
            p.name: prow[p.name] for p in parameters if p.name.startswith("structure.")
        },
        resolve=resolver,
    )


# --------------------------------------------------------------------------------------------
# rival structures (alliancesim.structures): the structure.* rows and the rules they gate


def _structure_parameters(scenario: Scenario) -> list[ParameterSpec]:
    """One fixed row per account, ``structure.<mechanism>.<account>``: 1 for each mechanism's
    first account (the seed's structure), 0 for the others. A structure replaces them (like a
    policy replaces parameters); they are never drawn, so every structure sees the same draws."""
    return [
        ParameterSpec(f"structure.{m.id}.{a.id}", Fixed(1.0 if k == 0 else 0.0), a, "include")
        for m in scenario.mechanisms
        for k, a in enumerate(m.accounts)
    ]


def _gate_by_account(
    scenario: Scenario,
    drivers: list[CompiledExpression],
    gates: list[CompiledExpression | None],
    prow: dict[str, int],
) -> None:
    """Make each rule that belongs to an account contribute nothing where its account's row is
    0: its driver (and gate) read 0 there, so weight · driver · gate is 0 whatever the driver."""
    for r, rule in enumerate(scenario.rules):
        if rule.account is None:
            continue
        row = prow[f"structure.{rule.account}"]
        drivers[r] = _where_chosen(drivers[r], row)
        gate = gates[r]
        if gate is not None:
            gates[r] = _where_chosen(gate, row)


def _where_chosen(expression: CompiledExpression, row: int) -> CompiledExpression:
    """The expression where the account of row ``row`` is chosen, 0 elsewhere."""
    function = expression.function

    def gated(c: Context) -> Any:
        return np.where(c.P[row] != 0.0, function(c), 0.0)

    return CompiledExpression(expression.parsed, gated)
