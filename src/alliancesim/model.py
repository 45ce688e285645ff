"""Compile a checked scenario into a :class:`Model`: named arrays and compiled expressions.

The model lays every movable quantity of the alliance (state variables, positions, saliences,
status quos) out as a row of one array ``X`` shaped (quantities, members); the actors' standing
preferences as rows of ``preference`` (one per position); every parameter as a row of ``P``
(parameters, members); rules as arrays of (target row, weight row) with their compiled driver
and gate, grouped by target, with each target's response (saturating or linear). A step of the
engine is then a few vectorised operations per rule, event, action and election, whatever the
number of members.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from alliancesim.errors import InputError, Problem
from alliancesim.expr import CompiledExpression, ParsedExpression, compile_expression
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.names import DECOUPLED, Namespace, decoupling_names
from alliancesim.scenario.parameters import ParameterSpec, scenario_parameters
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.uncertain import Fixed, Uncertain

__all__ = [
    "ActionSpec",
    "Context",
    "ElectionSpec",
    "EventSpec",
    "IssueSpec",
    "Model",
    "OutcomeSpec",
    "PolicySpec",
    "ScheduledSpec",
    "SetSpec",
    "SignSpec",
    "compile_model",
    "namespace_of",
]

# where a set-effect writes (SetSpec.kind)
SET_QUANTITY, SET_PREFERENCE, SET_PARAMETER = 0, 1, 2


class Context:
    """The values an expression reads, for all members at once (rows are quantities)."""

    __slots__ = (
        "P",
        "X",
        "consulted",
        "count",
        "event",
        "indicator",
        "outcome",
        "preference",
        "step",
        "year",
    )

    def __init__(
        self,
        X: np.ndarray,
        P: np.ndarray,
        outcome: np.ndarray,
        event: np.ndarray,
        count: np.ndarray,
        consulted: np.ndarray,
        indicator: np.ndarray,
        preference: np.ndarray,
    ):
        self.X = X
        self.P = P
        self.outcome = outcome
        self.event = event
        self.count = count
        self.consulted = consulted
        self.indicator = indicator
        self.preference = preference
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
class SetSpec:
    """A set-effect: where it writes (a quantity, a preference or a parameter), which row, and
    the parameter row of the value it sets."""

    kind: int  # SET_QUANTITY (row of X), SET_PREFERENCE (row of preference), SET_PARAMETER (of P)
    row: int
    value_row: int


@dataclass(frozen=True)
class ScheduledSpec:
    """A scheduled event: the steps it happens in under the baseline, its intensity row, and
    what it adds (effects) and sets when it happens."""

    id: str
    steps: frozenset[int]
    intensity_row: int
    effects: tuple[tuple[int, int], ...] = ()  # (row of X, row of P)
    sets: tuple[SetSpec, ...] = ()


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome of an election: its event row, its probability row (-1 for "rest") and
    what it sets."""

    id: str
    event_row: int
    probability_row: int
    sets: tuple[SetSpec, ...]


@dataclass(frozen=True)
class ElectionSpec:
    """An election: the step its winner takes office, its random slot and its outcomes."""

    id: str
    step: int
    slot: int
    outcomes: tuple[OutcomeSpec, ...]


@dataclass(frozen=True)
class SignSpec:
    """A decoupling condition (a sign, or the cohesion index): its id (None for the older
    form's one sign), its compiled condition and how many steps it must hold."""

    id: str | None
    when: CompiledExpression
    for_steps: int


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
    sets: tuple[SetSpec, ...] = ()


@dataclass(frozen=True)
class PolicySpec:
    """A policy (or combination): parameter replacements and added scheduled occurrences."""

    id: str
    overrides: dict[int, Uncertain]  # parameter row -> distribution under this policy
    added: dict[int, frozenset[int]]  # scheduled index -> extra steps


@dataclass(frozen=True)
class StepPlan:
    """Index arrays a step uses: which rows of X it keeps at the start of a step (state
    variables first), and how each rule group's total reaches its target (linear or saturating,
    with the target's range), where each position's start value is kept, and each rule's impulse.
    """

    start_rows: np.ndarray  # rows of X kept at the start of a step: 0..S-1, then others
    start_prefix: bool  # whether they are rows 0..K-1 (copied as one slice)
    start_of_row: np.ndarray  # per row of X, its row among the kept ones (-1: not kept)
    group_rows: np.ndarray  # per rule group, its target's row of X
    group_saturates: np.ndarray  # per rule group, whether its target saturates
    group_start: np.ndarray  # per rule group, its target's row among the kept start values
    group_low: np.ndarray  # per rule group, its target's lower bound
    group_high: np.ndarray  # upper bound
    group_width: np.ndarray  # high − low
    positions_start: np.ndarray  # per position, its row in the kept start values
    changing_besides_positions: np.ndarray  # changing rows clipped apart from relaxing positions
    fading: np.ndarray  # per rule, its row in the impulses (-1: the rule does not fade)


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
    position_rows: np.ndarray  # rows of X of every position (the rows of ``preference``)
    position_relaxation_rows: np.ndarray  # per position, its relaxation's row of P
    positions_relax: bool  # whether any position may relax (else its relaxation is a fixed 0)
    saturating: np.ndarray  # per quantity, whether it responds to rules saturating
    issues: list[IssueSpec]
    events: list[EventSpec]
    scheduled: list[ScheduledSpec]
    actions: list[ActionSpec]
    elections: list[ElectionSpec]
    rule_ids: list[str]
    rule_targets: np.ndarray
    rule_weight_rows: np.ndarray
    rule_fade_rows: np.ndarray  # per rule, the row of P of its fading rate, -1 = not fading
    rule_drivers: list[CompiledExpression]
    rule_gates: list[CompiledExpression | None]
    rule_groups: list[tuple[int, list[int]]]  # (target row, its rules in file order)
    changing_rows: np.ndarray  # rows of X other than state variables that a step can move
    indicators: list[tuple[str, CompiledExpression]]
    signs: list[SignSpec]
    at_least: int  # signs seen for the alliance to count as decoupled
    index: SignSpec | None
    index_threshold: str | None  # the index's threshold parameter (param.<id>)
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
        """Ids of stochastic events, scheduled events, actions and election outcomes, in the
        rows of ``event``."""
        return [
            *(e.id for e in self.events),
            *(s.id for s in self.scheduled),
            *(a.id for a in self.actions),
            *(o.id for e in self.elections for o in e.outcomes),
        ]

    @cached_property
    def plan(self) -> StepPlan:
        """The index arrays of a step (see :class:`StepPlan`), computed once."""
        S = self.n_states
        group_rows = np.array([t for t, _ in self.rule_groups], dtype=np.int64)
        saturates = self.saturating[group_rows] if len(group_rows) else np.zeros(0, dtype=bool)
        kept = set(group_rows[saturates].tolist())
        if self.positions_relax:
            kept.update(self.position_rows.tolist())
        kept.update(self.set_rows.tolist())
        start_rows = np.array([*range(S), *sorted(r for r in kept if r >= S)], dtype=np.int64)
        start_of_row = np.full(len(self.quantities), -1, dtype=np.int64)
        start_of_row[start_rows] = np.arange(len(start_rows))
        fading = np.full(len(self.rule_ids), -1, dtype=np.int64)
        fades = np.flatnonzero(self.rule_fade_rows >= 0)
        fading[fades] = np.arange(len(fades))
        return StepPlan(
            start_rows=start_rows,
            start_prefix=bool(np.array_equal(start_rows, np.arange(len(start_rows)))),
            start_of_row=start_of_row,
            group_rows=group_rows,
            group_saturates=saturates,
            group_start=start_of_row[group_rows],
            group_low=self.lower[group_rows],
            group_high=self.upper[group_rows],
            group_width=self.upper[group_rows] - self.lower[group_rows],
            positions_start=start_of_row[self.position_rows],
            changing_besides_positions=np.setdiff1d(self.changing_rows, self.position_rows),
            fading=fading,
        )

    @cached_property
    def set_rows(self) -> np.ndarray:
        """Rows of X a set-effect may set (kept at the start of a step: a set resets them)."""
        specs = [*self.scheduled, *self.actions, *(o for e in self.elections for o in e.outcomes)]
        rows = {s.row for spec in specs for s in spec.sets if s.kind == SET_QUANTITY}
        return np.array(sorted(rows), dtype=np.int64)

    @cached_property
    def scheduled_effect_rows(self) -> np.ndarray:
        """Rows of X a scheduled event's effect may move (clipped once step 1's effects and sets
        are applied, before bargaining reads them)."""
        rows = {row for spec in self.scheduled for row, _ in spec.effects}
        return np.array(sorted(rows), dtype=np.int64)

    @property
    def sets_parameters(self) -> bool:
        """Whether a set-effect may change a named parameter or lever during a run."""
        specs = [*self.scheduled, *self.actions, *(o for e in self.elections for o in e.outcomes)]
        return any(s.kind == SET_PARAMETER for spec in specs for s in spec.sets)

    @property
    def decoupling_signs(self) -> list[str]:
        """Ids of the observable signs of decoupling, each recorded as ``decoupled.<id>`` (none
        for the older one-condition form, recorded as ``decoupled`` alone)."""
        return [sign.id for sign in self.signs if sign.id is not None]

    @property
    def has_index(self) -> bool:
        """Whether the scenario declares a cohesion index (recorded as ``decoupled.index``)."""
        return self.index is not None

    @property
    def decoupling_names(self) -> list[str]:
        """The recorded decoupling flags besides ``decoupled``: each sign's, then the index's."""
        return decoupling_names(self.decoupling_signs, self.has_index)

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
            *self.decoupling_names,
            DECOUPLED,
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
        """Uniform random numbers per member per step (two per event, two per action, one per
        election)."""
        return 2 * len(self.events) + 2 * len(self.actions) + len(self.elections)

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
    decoupling = scenario.decoupling
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
        election_outcomes=[o.id for e in scenario.elections for o in e.outcomes],
        signs=[sign.id for sign in decoupling.signs],
        index=decoupling.index is not None,
        accounts=[f"{m.id}.{a.id}" for m in scenario.mechanisms for a in m.accounts],
    )


class _Compiler:
    """What compiling one scenario needs at hand: its names, the rows of its quantities,
    parameters, happenings and preferences, and the problems met."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.ns = namespace_of(scenario)
        self.clock = Clock(
            scenario.scenario.start, scenario.scenario.step, scenario.scenario.horizon
        )
        self.parameters = [
            *scenario_parameters(scenario).values(),
            *_structure_parameters(scenario),
        ]
        self.prow = {p.name: i for i, p in enumerate(self.parameters)}
        self.quantities = self.ns.targets()
        self.qrow = {q: i for i, q in enumerate(self.quantities)}
        self.erow = {e: i for i, e in enumerate(self.ns.happenings())}
        self.arow = {a: i for i, a in enumerate(self.ns.actions)}
        self.outcome_row = {f"issue.{i}.outcome": k for k, i in enumerate(self.ns.issues)}
        self.indicator_row = {ind: k for k, ind in enumerate(self.ns.indicators)}
        self.preference_row = {
            f"preference.{name.removeprefix('position.')}": k
            for k, name in enumerate(self.ns.positions())
        }
        self.problems: list[Problem] = []

    def resolver(self, name: str) -> Callable[[Context], Any]:
        """How an expression reads a name: which array of the context, which row."""
        if name in self.qrow:
            r = self.qrow[name]
            return lambda c: c.X[r]
        if name in self.outcome_row:
            r = self.outcome_row[name]
            return lambda c: c.outcome[r]
        if name in self.preference_row:
            r = self.preference_row[name]
            return lambda c: c.preference[r]
        head, _, rest = name.partition(".")
        if head == "event" and rest in self.erow:
            r = self.erow[rest]
            return lambda c: c.event[r]
        if head == "count" and rest in self.erow:
            r = self.erow[rest]
            return lambda c: c.count[r]
        if head == "consulted" and rest in self.arow:
            r = self.arow[rest]
            return lambda c: c.consulted[r]
        if head in ("policy", "param", "structure") and name in self.prow:
            r = self.prow[name]
            return lambda c: c.P[r]
        if head == "capability" and f"actors.{rest}.capability" in self.prow:
            r = self.prow[f"actors.{rest}.capability"]
            return lambda c: c.P[r]
        if name in self.indicator_row:
            r = self.indicator_row[name]
            return lambda c: c.indicator[r]
        if name == "step":
            return lambda c: c.step
        if name == "year":
            return lambda c: c.year
        raise KeyError(name)

    def expression(self, expr: ParsedExpression, entry: Any, fieldname: str) -> CompiledExpression:
        """An expression compiled against the model's arrays."""
        try:
            return compile_expression(expr, self.resolver)
        except ValueError as exc:  # the loader checks names; this guards programmatic scenarios
            file, line = entry.origin
            self.problems.append(Problem(file, line, fieldname, str(exc)))
            return compile_expression("0", self.resolver)

    def sets(self, stem: str, table: Mapping[str, Any]) -> tuple[SetSpec, ...]:
        """Set-effects written under ``stem`` (``actions.<id>.``): where each writes, and the
        parameter row of its value."""
        out = []
        for target in table:
            value_row = self.prow[f"{stem}sets.{target}"]
            if target in self.qrow:
                out.append(SetSpec(SET_QUANTITY, self.qrow[target], value_row))
            elif target in self.preference_row:
                out.append(SetSpec(SET_PREFERENCE, self.preference_row[target], value_row))
            else:
                out.append(SetSpec(SET_PARAMETER, self.prow[target], value_row))
        return tuple(out)

    def effects(self, stem: str, table: Mapping[str, Any]) -> tuple[tuple[int, int], ...]:
        """Effects (adds) written under ``stem``: (row of X, row of P of the amount)."""
        return tuple((self.qrow[t], self.prow[f"{stem}effects.{t}"]) for t in table)


def _bounds_and_initial(c: _Compiler) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per quantity: its range, its initial value's parameter row and whether it saturates."""
    n = len(c.quantities)
    lower, upper = np.zeros(n), np.zeros(n)
    initial_rows = np.zeros(n, dtype=np.int64)
    saturating = np.zeros(n, dtype=bool)
    for s in c.scenario.state:
        r = c.qrow[s.id]
        lower[r], upper[r] = s.bounds
        initial_rows[r] = c.prow[f"state.{s.id}.initial"]
        saturating[r] = s.response == "saturating"
    for issue in c.scenario.issues:
        stem = f"issues.{issue.id}."
        for actor in issue.participants:
            for kind, high in (("position", 100.0), ("salience", 1.0)):
                r = c.qrow[f"{kind}.{actor}.{issue.id}"]
                lower[r], upper[r] = 0.0, high
                initial_rows[r] = c.prow[f"{stem}positions.{actor}.{kind}"]
                saturating[r] = issue.response == "saturating"
        r = c.qrow[f"issue.{issue.id}.status_quo"]
        lower[r], upper[r] = 0.0, 100.0
        initial_rows[r] = c.prow[f"{stem}status_quo"]
        saturating[r] = issue.status_quo_response == "saturating"
    return lower, upper, initial_rows, saturating


def _position_relaxation_rows(c: _Compiler) -> np.ndarray:
    """Per position (in the order of ``Namespace.positions``), its relaxation's row of P: the
    stance's own when written, else the issue's."""
    rows = []
    for issue in c.scenario.issues:
        for actor, stance in issue.positions.items():
            own = f"issues.{issue.id}.positions.{actor}.relaxation"
            rows.append(
                c.prow[own]
                if stance.relaxation is not None
                else c.prow[f"issues.{issue.id}.relaxation"]
            )
    return np.array(rows, dtype=np.int64)


def _issues(c: _Compiler) -> list[IssueSpec]:
    return [
        IssueSpec(
            id=issue.id,
            model=issue.model,
            participants=tuple(issue.participants),
            position_rows=np.array(
                [c.qrow[f"position.{a}.{issue.id}"] for a in issue.participants], dtype=np.int64
            ),
            salience_rows=np.array(
                [c.qrow[f"salience.{a}.{issue.id}"] for a in issue.participants], dtype=np.int64
            ),
            capability_rows=np.array(
                [c.prow[f"actors.{a}.capability"] for a in issue.participants], dtype=np.int64
            ),
            status_quo_row=c.qrow[f"issue.{issue.id}.status_quo"],
        )
        for issue in c.scenario.issues
    ]


def _events(c: _Compiler) -> list[EventSpec]:
    events = []
    for e in c.scenario.events:
        rate: CompiledExpression | int
        if isinstance(e.rate, ParsedExpression):
            rate = c.expression(e.rate, e, "rate")
        else:
            rate = c.prow[f"events.{e.id}.rate"]
        events.append(EventSpec(e.id, rate, e.intensity))
    return events


def _scheduled(c: _Compiler) -> list[ScheduledSpec]:
    out = []
    for s in c.scenario.schedule:
        stem = f"schedule.{s.id}."
        out.append(
            ScheduledSpec(
                s.id,
                frozenset(c.clock.step_of(p) for p in s.at),
                c.prow[f"{stem}intensity"],
                c.effects(stem, s.effects),
                c.sets(stem, s.sets),
            )
        )
    return out


def _actions(c: _Compiler) -> list[ActionSpec]:
    return [
        ActionSpec(
            id=a.id,
            when=c.expression(a.when, a, "when"),
            consulted=c.expression(a.consulted, a, "consulted"),
            probability_row=c.prow[f"actions.{a.id}.probability"],
            intensity_row=c.prow[f"actions.{a.id}.intensity"],
            once=a.once,
            effects=c.effects(f"actions.{a.id}.", a.effects),
            sets=c.sets(f"actions.{a.id}.", a.sets),
        )
        for a in c.scenario.actions
    ]


def _elections(c: _Compiler) -> list[ElectionSpec]:
    first_slot = 2 * len(c.scenario.events) + 2 * len(c.scenario.actions)
    out = []
    for k, election in enumerate(c.scenario.elections):
        outcomes = []
        for outcome in election.outcomes:
            stem = f"elections.{election.id}.outcomes.{outcome.id}."
            probability = -1 if outcome.is_rest else c.prow[f"{stem}probability"]
            sets = c.sets(stem, outcome.sets)
            outcomes.append(OutcomeSpec(outcome.id, c.erow[outcome.id], probability, sets))
        step = c.clock.step_of(election.at)
        out.append(ElectionSpec(election.id, step, first_slot + k, tuple(outcomes)))
    return out


def _decoupling(c: _Compiler) -> tuple[list[SignSpec], SignSpec | None]:
    """The decoupling signs (the older form: one sign without an id) and the index."""
    d = c.scenario.decoupling
    signs = []
    for ident, when, for_steps in d.sign_conditions:
        entry = d if ident is None else d.signs[[s.id for s in d.signs].index(ident)]
        signs.append(SignSpec(ident, c.expression(when, entry, "when"), for_steps))
    index = None
    if d.index is not None:
        index = SignSpec("index", c.expression(d.index.when, d.index, "when"), d.index.for_steps)
    return signs, index


def _changing_rows(
    n_states: int,
    rule_targets: np.ndarray,
    issues: list[IssueSpec],
    happenings: Sequence[Any],
    relaxing: bool,
) -> np.ndarray:
    """Rows of X other than state variables that a step can move (the only ones clipped)."""
    changing = set(rule_targets.tolist())
    for spec in happenings:
        changing.update(row for row, _ in getattr(spec, "effects", ()))
        changing.update(s.row for s in spec.sets if s.kind == SET_QUANTITY)
    for issue in issues:
        if issue.moves_positions or relaxing:
            changing.update(issue.position_rows.tolist())
    return np.array(sorted(r for r in changing if r >= n_states), dtype=np.int64)


def _may_relax(c: _Compiler, rows: np.ndarray) -> bool:
    """Whether any position may relax (a relaxation that is not a fixed 0, or one a policy sets)."""
    set_by_policies = {name for p in c.scenario.policies for name in p.set}
    for row in set(rows.tolist()):
        spec = c.parameters[row]
        if spec.name in set_by_policies or not (spec.value.is_fixed and spec.value.mean == 0.0):
            return True
    return False


def _policies(c: _Compiler) -> dict[str, PolicySpec]:
    sched_index = {s.id: k for k, s in enumerate(c.scenario.schedule)}
    policies: dict[str, PolicySpec] = {"baseline": PolicySpec("baseline", {}, {})}
    for policy in c.scenario.policies:
        added: dict[int, set[int]] = {}
        for occurrence in policy.schedule:
            index = sched_index[occurrence.event]
            added.setdefault(index, set()).add(c.clock.step_of(occurrence.at))
        policies[policy.id] = PolicySpec(
            policy.id,
            {c.prow[key]: value for key, value in policy.set.items()},
            {k: frozenset(v) for k, v in added.items()},
        )
    return policies


def compile_model(scenario: Scenario) -> Model:
    """Compile a loaded scenario into arrays and closures for the engine."""
    c = _Compiler(scenario)
    n_states = len(c.ns.states)
    lower, upper, initial_rows, saturating = _bounds_and_initial(c)
    relaxation_rows = np.array(
        [c.prow[f"state.{s.id}.relaxation"] for s in scenario.state], dtype=np.int64
    )
    baseline_rows = np.array(
        [c.prow.get(f"state.{s.id}.baseline", -1) for s in scenario.state], dtype=np.int64
    )
    position_relaxation_rows = _position_relaxation_rows(c)
    issues = _issues(c)
    events = _events(c)
    scheduled = _scheduled(c)
    actions = _actions(c)
    elections = _elections(c)
    rules = scenario.rules
    rule_targets = np.array([c.qrow[r.target] for r in rules], dtype=np.int64)
    rule_weight_rows = np.array([c.prow[f"rules.{r.id}.weight"] for r in rules], dtype=np.int64)
    rule_fade_rows = np.array(
        [c.prow.get(f"rules.{r.id}.fades", -1) for r in rules], dtype=np.int64
    )
    drivers = [c.expression(r.driver, r, "driver") for r in rules]
    gates = [c.expression(r.gate, r, "gate") if r.gate is not None else None for r in rules]
    _gate_by_account(scenario, drivers, gates, c.prow)
    groups: dict[int, list[int]] = {}
    for r, target in enumerate(rule_targets.tolist()):
        groups.setdefault(target, []).append(r)
    outcomes = [o for e in elections for o in e.outcomes]
    positions_relax = _may_relax(c, position_relaxation_rows)
    changing_rows = _changing_rows(
        n_states, rule_targets, issues, [*scheduled, *actions, *outcomes], positions_relax
    )
    indicators = [(i.id, c.expression(i.expr, i, "expr")) for i in scenario.indicators]
    signs, index = _decoupling(c)
    if c.problems:
        raise InputError(c.problems)
    return Model(
        scenario=scenario,
        clock=c.clock,
        actors=c.ns.actors,
        quantities=c.quantities,
        lower=lower,
        upper=upper,
        n_states=n_states,
        parameters=c.parameters,
        initial_rows=initial_rows,
        relaxation_rows=relaxation_rows,
        baseline_rows=baseline_rows,
        position_rows=np.array([c.qrow[q] for q in c.ns.positions()], dtype=np.int64),
        position_relaxation_rows=position_relaxation_rows,
        positions_relax=positions_relax,
        saturating=saturating,
        issues=issues,
        events=events,
        scheduled=scheduled,
        actions=actions,
        elections=elections,
        rule_ids=[r.id for r in rules],
        rule_targets=rule_targets,
        rule_weight_rows=rule_weight_rows,
        rule_fade_rows=rule_fade_rows,
        rule_drivers=drivers,
        rule_gates=gates,
        rule_groups=sorted(groups.items()),
        changing_rows=changing_rows,
        indicators=indicators,
        signs=signs,
        at_least=scenario.decoupling.at_least,
        index=index,
        index_threshold=None if index is None else scenario.decoupling.index.threshold,
        policies=_policies(c),
        structure_rows={
            p.name: c.prow[p.name] for p in c.parameters if p.name.startswith("structure.")
        },
        resolve=c.resolver,
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
