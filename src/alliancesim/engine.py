"""One step of the alliance and the loop over steps, vectorised over ensemble members.

The order of a step (see docs/semantics.md): scheduled events (their effects and sets) and
elections → stochastic events → one bargaining round per issue → actions (with the
consultation draw; their effects, then their sets) → rules (saturating or linear, fading or
not) → relaxation (state variables and positions) and clipping → indicators → decoupling (signs,
their combination, the index) → record. Every operation acts on all members of a block at once;
nothing loops over members.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim import kernels
from alliancesim.errors import NonFinite, SimulationError
from alliancesim.model import SET_QUANTITY, Context, Model, OutcomeSpec, PolicySpec, SetSpec
from alliancesim.scenario.names import DECOUPLED

__all__ = [
    "MAX_EVENTS_PER_STEP",
    "ActionChoice",
    "BlockState",
    "advance",
    "parameter_values",
    "poisson_quantile",
    "record_row",
    "simulate",
    "start",
]

MAX_EVENTS_PER_STEP = 200
"""Upper bound on a stochastic event's occurrences in one step (rates are capped at 50)."""
MAX_RATE = 50.0


def poisson_quantile(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Occurrences n = F⁻¹(u) of a Poisson(rate) count, by the recurrence of docs/semantics.md."""
    if kernels.AVAILABLE:
        return kernels.poisson_counts(u, rate, MAX_EVENTS_PER_STEP)
    return poisson_quantile_numpy(u, rate)


def poisson_quantile_numpy(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The same counts as :func:`poisson_quantile`, in NumPy (used where Numba is missing)."""
    u = np.asarray(u, dtype=np.float64)
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), u.shape)
    p = np.exp(-rate)
    n = np.zeros(u.shape)
    active = np.flatnonzero(u >= p)  # members still above F_k, followed on their own
    p, cdf, u_left, r_left = p[active], p[active], u[active], rate[active]
    k = 0
    while active.size and k < MAX_EVENTS_PER_STEP:
        k += 1
        n[active] = k
        p = p * r_left / k
        cdf = cdf + p
        still = u_left >= cdf
        active, p, cdf, u_left, r_left = (
            active[still],
            p[still],
            cdf[still],
            u_left[still],
            r_left[still],
        )
    return n


def parameter_values(
    model: Model, policy: PolicySpec, unit: np.ndarray, unit_rows: list[int]
) -> np.ndarray:
    """Every parameter's value per member under a policy, from the members' uniform draws.

    ``unit`` is (len(unit_rows), members): the Latin-hypercube draws of the uncertain parameters.
    A policy's replacement is evaluated at the same draw as the original (common random numbers).
    """
    members = unit.shape[1]
    column = {row: k for k, row in enumerate(unit_rows)}
    values = np.empty((len(model.parameters), members))
    for row, spec in enumerate(model.parameters):
        dist = policy.overrides.get(row, spec.value)
        if dist.is_fixed:
            values[row] = dist.mean
        else:
            values[row] = dist.ppf(unit[column[row]])
    return values


def _as_row(value: object, members: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (members,):
        array = np.broadcast_to(array, (members,))
    return array


def _all_finite(values: np.ndarray) -> bool:
    """Whether every value is a finite number (a finite sum proves it in one pass; a sum that
    overflows is checked value by value)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(values, axis=None)):
            return True
    return bool(np.isfinite(values).all())


def _first_bad(values: np.ndarray, where: np.ndarray | None = None) -> int | None:
    """The first member whose value is not finite (among those ``where`` says), or None."""
    if _all_finite(values):
        return None
    bad = ~np.isfinite(values)
    if where is not None:
        bad &= where
    found = np.flatnonzero(bad)
    return int(found[0]) if found.size else None


def _non_finite(
    model: Model,
    t: int,
    entry: Any,
    field: str,
    what: str,
    expression: str,
    values: np.ndarray,
    member: int,
) -> SimulationError:
    """The error for a value that is not finite: which entry and field, the step, the member
    (counted within the block; the ensemble adds the block's first member)."""
    file, _ = entry.origin
    return SimulationError(
        NonFinite(
            file=file,
            line=entry.line_of(field),
            field=entry.path_of(field),
            what=what,
            expression=expression,
            section=_section_of(entry),
            ident=str(getattr(entry, "id", "")),
            attribute=field,
            value=float(np.asarray(values).reshape(-1)[member]),
            step=t,
            period=model.clock.label(t),
            member=member,
        )
    )


_SECTIONS = {
    "Rule": "rules",
    "Indicator": "indicators",
    "Event": "events",
    "Action": "actions",
    "Issue": "issues",
    "Decoupling": "decoupling",
    "DecouplingSign": "decoupling.signs",
    "DecouplingIndex": "decoupling.index",
}


def _section_of(entry: Any) -> str:
    """The section an entry belongs to (``rules``, ``decoupling.signs``…): its path in its file
    without the indices, or from its kind for an entry not read from a file."""
    if entry.path:
        return re.sub(r"\[\d+\]", "", entry.path)
    return _SECTIONS.get(type(entry).__name__, type(entry).__name__)


_FINITE_BY_FORM: dict[str, bool] = {}


def _finite_by_form(expression: Any) -> bool:
    """Whether an expression's value is finite whatever its inputs, by its form: a comparison,
    ``and``, ``or``, ``not`` (0 or 1 even of NaN), a number, or a choice between such."""
    text = getattr(expression, "text", None)
    if text is None:
        return False
    if text not in _FINITE_BY_FORM:
        _FINITE_BY_FORM[text] = _finite_node(expression.tree)
    return _FINITE_BY_FORM[text]


def _finite_node(node: ast.expr) -> bool:
    if isinstance(node, ast.Compare | ast.BoolOp):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    if isinstance(node, ast.Constant):
        return math.isfinite(float(node.value))
    if isinstance(node, ast.IfExp):
        return _finite_node(node.body) and _finite_node(node.orelse)
    return False


def _check(
    model: Model,
    state: BlockState,
    values: np.ndarray,
    entry: Any,
    field: str,
    what: str,
    expression: Any = None,
    where: np.ndarray | None = None,
) -> None:
    """Stop with a :class:`SimulationError` when a value an expression gave (in the members
    ``where`` says) is NaN or infinite (not looked at when its form guarantees a finite value:
    the same answer, sooner)."""
    if expression is not None and _finite_by_form(expression):
        return
    member = _first_bad(values, where)
    if member is not None:
        text = getattr(expression, "text", "") if expression is not None else ""
        raise _non_finite(model, state.t + 1, entry, field, what, text, values, member)


@dataclass(frozen=True)
class ActionChoice:
    """A decision taken outside the model on one action for one step (turn mode, wargames).

    ``happens``: None leaves it to the action's rule (``when``, ``probability``); True makes it
    happen in every member (a one-off action only where it has not happened yet); False stops
    it. ``consulted``: None draws consultation as usual; True/False decides it where it happens.
    """

    happens: bool | None = None
    consulted: bool | None = None


class BlockState:
    """A block of members between two steps: every quantity the step reads and changes.

    ``t`` is the last step completed (0 after :func:`start`). The rows of ``P`` may be changed
    between steps (a lever set from a given quarter on); relaxation rates, baselines, rule
    weights and fading rates are read from ``P`` once, at the start. ``P`` is the block's own
    copy when set-effects may change parameters during the run.
    """

    def __init__(self, model: Model, policy: PolicySpec, P: np.ndarray):
        M = P.shape[1]
        S = model.n_states
        n_happen = len(model.happenings)
        n_actions = len(model.actions)
        if model.sets_parameters:
            P = P.copy()
        self.t = 0
        self.P = P
        self.X = P[model.initial_rows].copy()  # (Q, M)
        self.preference = self.X[model.position_rows]  # (positions, M), a copy
        self.outcome = np.empty((len(model.issues), M))
        for k, issue in enumerate(model.issues):
            self.outcome[k] = self.X[issue.status_quo_row]
        self.event = np.zeros((n_happen, M))
        self.count = np.zeros((n_happen, M))
        self.consulted = np.zeros((n_actions, M))
        self.indicator = np.zeros((len(model.indicators), M))
        self.ctx = Context(
            self.X,
            P,
            self.outcome,
            self.event,
            self.count,
            self.consulted,
            self.indicator,
            self.preference,
        )
        self.done = np.zeros((n_actions, M), dtype=bool)
        self.sign_streak = np.zeros((len(model.signs), M))
        self.sign_seen = np.zeros((len(model.signs), M), dtype=bool)
        self.index_streak = np.zeros(M)
        self.index_seen = np.zeros(M, dtype=bool)
        self.decoupled = np.zeros(M, dtype=bool)
        self.named_signs = bool(model.decoupling_signs)
        self.has_index = model.has_index
        self.relax = P[model.relaxation_rows]  # (S, M)
        self.baseline = np.where(
            (model.baseline_rows >= 0)[:, None],
            P[np.maximum(model.baseline_rows, 0)],
            self.X[:S],
        )
        self.position_relax = P[model.position_relaxation_rows]  # (positions, M)
        self.positions_relax = model.positions_relax and bool(np.any(self.position_relax))
        self.weights = P[model.rule_weight_rows]  # (R, M)
        fading = model.rule_fade_rows[model.rule_fade_rows >= 0]
        self.fades = P[fading]  # (fading rules, M)
        self.impulse = np.zeros((len(fading), M))
        self.sched_steps = [
            spec.steps | policy.added.get(k, frozenset()) for k, spec in enumerate(model.scheduled)
        ]
        self.start_row = model.plan.start_of_row  # per row of X, its row of ``start`` (or -1)
        self.start = np.empty((0, M))  # the kept values at the start of the current step

    @property
    def members(self) -> int:
        """Members in the block."""
        return self.P.shape[1]

    def compute_indicators(self, model: Model, t: int = 0) -> None:
        """Every indicator, in file order, on the current quantities (at step ``t``); a value
        that is not finite stops the run."""
        M = self.members
        for k, (_, expr) in enumerate(model.indicators):
            self.indicator[k] = _as_row(expr(self.ctx), M)
        if not _all_finite(self.indicator):  # the first indicator (file order) at fault
            for k, (ident, _) in enumerate(model.indicators):
                member = _first_bad(self.indicator[k])
                if member is not None:
                    entry = model.scenario.indicators[k]
                    what, text = f"indicator {ident}", entry.expr.text
                    values = self.indicator[k]
                    raise _non_finite(model, t, entry, "expr", what, text, values, member)

    def flags(self) -> list[np.ndarray]:
        """The recorded decoupling flags besides ``decoupled``: each named sign's, the index's."""
        signs = list(self.sign_seen) if self.named_signs else []
        return [*signs, self.index_seen] if self.has_index else signs

    def apply_set(self, spec: SetSpec, where: np.ndarray | None = None) -> None:
        """A set-effect: its target takes its value (only in the members ``where`` says); a
        movable quantity counts as having started the step there (its row of ``start``)."""
        value = self.P[spec.value_row]
        _put((self.X, self.preference, self.P)[spec.kind], spec.row, value, where)
        if spec.kind == SET_QUANTITY and self.start_row[spec.row] >= 0:
            _put(self.start, self.start_row[spec.row], value, where)


def _put(array: np.ndarray, row: int, value: np.ndarray, where: np.ndarray | None) -> None:
    """``array[row]`` takes ``value`` (only where ``where`` is true, when given)."""
    array[row] = value if where is None else np.where(where, value, array[row])


def start(model: Model, policy: PolicySpec, P: np.ndarray) -> BlockState:
    """The block at step 0: drawn initial values, outcomes at the status quo, indicators."""
    state = BlockState(model, policy, P)
    with np.errstate(**_QUIET):
        state.compute_indicators(model)
    return state


def advance(
    model: Model,
    state: BlockState,
    u: np.ndarray,
    *,
    actions: Mapping[int, ActionChoice] | None = None,
    scheduled: Mapping[int, bool] | None = None,
) -> None:
    """Advance the block by one step (``state.t + 1``) in the order of docs/semantics.md.

    ``u`` holds the step's uniform slots (slots, members). ``actions`` (action index → choice)
    and ``scheduled`` (scheduled-event index → held or not this step) replace the model's own
    decisions for this step; without them the step is exactly the one :func:`simulate` runs.
    """
    with np.errstate(**_QUIET):
        _advance(model, state, u, actions, scheduled)


_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}
"""NumPy's floating-point warnings are off in a step: a value that is not finite is checked
for where it matters (a checked expression's value) and stops the run with a located error."""


def _advance(
    model: Model,
    state: BlockState,
    u: np.ndarray,
    actions: Mapping[int, ActionChoice] | None,
    scheduled: Mapping[int, bool] | None,
) -> None:
    t = state.t + 1
    state.ctx.step = float(t)
    state.ctx.year = model.clock.years(t)
    X0 = _start_values(model, state.X)
    state.start = X0  # a set-effect writes its value here too
    state.event[:] = 0.0
    state.consulted[:] = 0.0
    _scheduled_events(model, state, t, scheduled)  # 1.
    _elections(model, state, t, u)
    _stochastic_events(model, state, u)  # 2.
    _bargaining(model, state)  # 3.
    _actions(model, state, u, actions)  # 4.
    _rules(model, state, X0)  # 5.
    _relax_and_clip(model, state, X0)  # 6.
    state.compute_indicators(model, t)  # 7.
    _decoupling(model, state)  # 8.
    state.t = t


def _start_values(model: Model, X: np.ndarray) -> np.ndarray:
    """A copy of the rows of X a step needs at their start-of-step values (rows 0..K-1 are
    copied as one slice, faster than fancy indexing)."""
    kept = model.plan.start_rows
    return X[: len(kept)].copy() if model.plan.start_prefix else X[kept]


def _scheduled_events(
    model: Model, state: BlockState, t: int, chosen: Mapping[int, bool] | None
) -> None:
    """Step 1: each scheduled event held this step; then their effects, then their sets."""
    n_events = len(model.events)
    held = []
    for k, spec in enumerate(model.scheduled):
        happens = t in state.sched_steps[k]
        if chosen is not None and k in chosen:
            happens = chosen[k]
        if happens:
            r = n_events + k
            state.event[r] = state.P[spec.intensity_row]
            state.count[r] += 1.0
            held.append(spec)
    for spec in held:
        for target, value_row in spec.effects:
            state.X[target] += state.P[value_row]
    for spec in held:
        for set_spec in spec.sets:
            state.apply_set(set_spec)
    rows = model.scheduled_effect_rows
    if held and len(rows):
        X = state.X
        X[rows] = np.minimum(np.maximum(X[rows], model.lower[rows, None]), model.upper[rows, None])


def _elections(model: Model, state: BlockState, t: int, u: np.ndarray) -> None:
    """Step 1 (end): each election held this step chooses its outcome, which takes office."""
    for election in model.elections:
        if election.step != t:
            continue
        listed = [o for o in election.outcomes if o.probability_row >= 0]
        sums: list[np.ndarray] = []
        for outcome in listed:
            p = state.P[outcome.probability_row]
            sums.append(p + 0.0 if not sums else sums[-1] + p)
        total = np.maximum(sums[-1], 1.0) if sums else 1.0
        undecided = np.ones(state.members, dtype=bool)
        for outcome, partial in zip(listed, sums, strict=True):
            chosen = undecided & (u[election.slot] < partial / total)
            undecided &= ~chosen
            _take_office(state, outcome, chosen)
        last = election.outcomes[-1]
        if last.probability_row < 0:
            _take_office(state, last, undecided)


def _take_office(state: BlockState, outcome: OutcomeSpec, chosen: np.ndarray) -> None:
    """An election's outcome where it was chosen: its event, its count and its sets."""
    state.event[outcome.event_row] = chosen
    state.count[outcome.event_row] += chosen
    for set_spec in outcome.sets:
        state.apply_set(set_spec, chosen)


def _stochastic_events(model: Model, state: BlockState, u: np.ndarray) -> None:
    """Step 2: each stochastic event's occurrences (Poisson, by inverse CDF) and magnitude."""
    M = state.members
    for k, spec in enumerate(model.events):
        if isinstance(spec.rate, int):
            rate = state.P[spec.rate]
        else:
            rate = _as_row(spec.rate(state.ctx), M)
            entry = model.scenario.events[k]
            _check(model, state, rate, entry, "rate", f"event {spec.id}: rate", entry.rate)
        rate = np.minimum(np.maximum(rate, 0.0), MAX_RATE)
        n = poisson_quantile(u[2 * k], rate)
        state.event[k] = n * spec.intensity.ppf(u[2 * k + 1])
        state.count[k] += n


def _bargaining(model: Model, state: BlockState) -> None:
    """Step 3: one round per issue; moved positions stay on the issue's scale."""
    from alliancesim.bargaining import bargaining_round

    X, P = state.X, state.P
    for k, issue in enumerate(model.issues):
        result = bargaining_round(
            issue.model,
            X[issue.position_rows].T,
            P[issue.capability_rows].T,
            X[issue.salience_rows].T,
            X[issue.status_quo_row],
            check=False,
        )
        entry = model.scenario.issues[k]
        what = f"issue {issue.id}: the {issue.model} round's"
        _check(model, state, result.outcome, entry, "model", f"{what} outcome")
        if issue.moves_positions:
            positions = result.positions.T
            for row in range(positions.shape[0]):
                _check(model, state, positions[row], entry, "model", f"{what} positions")
            X[issue.position_rows] = np.minimum(np.maximum(positions, 0.0), 100.0)
        state.outcome[k] = result.outcome


def _actions(
    model: Model, state: BlockState, u: np.ndarray, choices: Mapping[int, ActionChoice] | None
) -> None:
    """Step 4: every action decides on the same quantities; then effects, then sets apply."""
    M = state.members
    P, ctx = state.P, state.ctx
    base = 2 * len(model.events)
    happened = []
    entries = model.scenario.actions
    for j, action in enumerate(model.actions):
        entry = entries[j]
        when = _as_row(action.when(ctx), M)
        may = ~state.done[j] if action.once else None  # where it may still happen
        _check(model, state, when, entry, "when", f"action {action.id}: when", entry.when, may)
        eligible = when != 0.0
        if action.once:
            eligible &= ~state.done[j]
        occurs = eligible & (u[base + 2 * j] < P[action.probability_row])
        consulted = _as_row(action.consulted(ctx), M)
        what = f"action {action.id}: consulted"
        _check(model, state, consulted, entry, "consulted", what, entry.consulted, occurs)
        chance = np.minimum(np.maximum(consulted, 0.0), 1.0)
        was_consulted = occurs & (u[base + 2 * j + 1] < chance)
        choice = choices.get(j) if choices is not None else None
        if choice is not None:
            if choice.happens is not None:
                occurs = np.full(M, choice.happens)
                if action.once:
                    occurs &= ~state.done[j]
                was_consulted = occurs & (u[base + 2 * j + 1] < chance)
            if choice.consulted is not None:
                was_consulted = occurs & choice.consulted
        happened.append((occurs, was_consulted))
    first = len(model.events) + len(model.scheduled)
    for j, action in enumerate(model.actions):
        occurs, was_consulted = happened[j]
        state.event[first + j] = np.where(occurs, P[action.intensity_row], 0.0)
        state.count[first + j] += occurs
        state.consulted[j] = was_consulted
        state.done[j] |= occurs
        for target, value_row in action.effects:
            state.X[target] += np.where(occurs, P[value_row], 0.0)
    for j, action in enumerate(model.actions):
        for set_spec in action.sets:
            state.apply_set(set_spec, happened[j][0])


def _rules(model: Model, state: BlockState, X0: np.ndarray) -> None:
    """Step 5: every rule's amount from the same snapshot (a fading rule's net of its impulse),
    summed per target in rule order, then each target moved, saturating or linear."""
    groups = model.rule_groups
    if not groups:
        return
    plan = model.plan
    ctx, weights, drivers, gates = state.ctx, state.weights, model.rule_drivers, model.rule_gates
    totals = np.empty((len(groups), state.members))
    for g, (_, rules) in enumerate(groups):
        total = totals[g]
        for k, r in enumerate(rules):
            value = total if k == 0 else np.empty_like(total)
            np.multiply(weights[r], drivers[r](ctx), out=value)
            gate = gates[r]
            if gate is not None:
                np.multiply(value, gate(ctx), out=value)
            f = plan.fading[r]
            if f >= 0:
                np.subtract(value, state.fades[f] * state.impulse[f], out=value)
                state.impulse[f] += value
            if k > 0:
                total += value
    if not _all_finite(totals):
        _rule_at_fault(model, state, totals)
    kernels.apply_pushes(
        state.X,
        plan.group_rows,
        totals,
        plan.group_saturates,
        X0,
        plan.group_start,
        plan.group_low,
        plan.group_high,
        plan.group_width,
    )


def _rule_at_fault(model: Model, state: BlockState, totals: np.ndarray) -> None:
    """Name the first rule (in rule order) whose driver, gate or amount is not finite in some
    member, the first such member; or, when every amount is finite but their sum overflows,
    the target's first rule. Rules read the same quantities as when they were summed."""
    M = state.members
    ctx = state.ctx
    for r, rule in enumerate(model.scenario.rules):
        driver = _as_row(model.rule_drivers[r](ctx), M)
        _check(model, state, driver, rule, "driver", f"rule {rule.id}: driver", rule.driver)
        amount = state.weights[r] * driver
        gate = model.rule_gates[r]
        if gate is not None:
            gate_values = _as_row(gate(ctx), M)
            _check(model, state, gate_values, rule, "gate", f"rule {rule.id}: gate", rule.gate)
            amount = amount * gate_values
        what = f"rule {rule.id}: weight · driver · gate"
        _check(model, state, amount, rule, "weight", what)
    for g, (_, rules) in enumerate(model.rule_groups):
        first = model.scenario.rules[rules[0]]
        what = f"the sum of the rules moving {first.target}, from rule {first.id}"
        _check(model, state, totals[g], first, "target", what)


def _relax_and_clip(model: Model, state: BlockState, X0: np.ndarray) -> None:
    """Step 6: state variables relax toward their baselines and positions toward their standing
    preferences (from their start-of-step values); then every quantity that can move is clipped."""
    S = model.n_states
    X = state.X
    states = X[:S]
    states -= state.relax * (X0[:S] - state.baseline)
    np.minimum(
        np.maximum(states, model.lower[:S, None], out=states), model.upper[:S, None], out=states
    )
    rows = model.changing_rows
    if state.positions_relax:  # positions relax and are clipped together
        kernels.relax_positions(
            X,
            model.position_rows,
            state.position_relax,
            X0,
            model.plan.positions_start,
            state.preference,
        )
        rows = model.plan.changing_besides_positions
    if len(rows):
        X[rows] = np.minimum(np.maximum(X[rows], model.lower[rows, None]), model.upper[rows, None])


def _decoupling(model: Model, state: BlockState) -> None:
    """Step 8: each sign's streak and whether it has been seen; the alliance decoupled once at
    least N signs have been seen; the cohesion index on its own."""
    M = state.members
    ctx = state.ctx
    d = model.scenario.decoupling
    for k, sign in enumerate(model.signs):
        entry = d.signs[k] if d.signs else d
        value = _as_row(sign.when(ctx), M)
        label = f"decoupling sign {sign.id}" if sign.id is not None else "decoupling"
        _check(model, state, value, entry, "when", f"{label}: when", entry.when)
        holds = value != 0.0
        state.sign_streak[k] = np.where(holds, state.sign_streak[k] + 1.0, 0.0)
        state.sign_seen[k] |= state.sign_streak[k] >= sign.for_steps
    seen = state.sign_seen.sum(axis=0) if len(model.signs) > 1 else state.sign_seen[0]
    state.decoupled |= seen >= model.at_least
    if model.index is not None:
        entry = d.index
        value = _as_row(model.index.when(ctx), M)
        _check(model, state, value, entry, "when", "the cohesion index: when", entry.when)
        holds = value != 0.0
        state.index_streak = np.where(holds, state.index_streak + 1.0, 0.0)
        state.index_seen |= state.index_streak >= model.index.for_steps


def simulate(
    model: Model,
    policy: PolicySpec,
    P: np.ndarray,
    slots: np.ndarray,
    *,
    record: str | Sequence[str] = "all",
) -> np.ndarray:
    """Simulate a block of members under one policy.

    ``P`` holds every parameter's value per member (parameters, members); ``slots`` the uniform
    random numbers (steps, slots, members). Returns the record (steps + 1, recorded names,
    members) in the order of ``model.record_names`` (``record="all"``), of the indicators and
    the decoupled flag (``record="indicators"``), or of the given recorded names.
    """
    if record == "all":
        names: Sequence[str] | None = None
        n_rec = len(model.record_names)
    elif record == "indicators":
        names = [*model.indicator_names, *model.decoupling_names, DECOUPLED]
        n_rec = len(names)
    elif isinstance(record, str):
        raise ValueError(f"record must be 'all', 'indicators' or a list of names, got {record!r}")
    else:
        names = list(record)
        n_rec = len(names)
    plan = None if names is None else record_plan(model, names)
    out = np.empty((model.horizon + 1, n_rec, P.shape[1]))
    state = start(model, policy, P)
    for t in range(model.horizon + 1):
        if t > 0:
            advance(model, state, slots[t - 1])
        record_row(state, out=out[t], plan=plan)
    return out


_SOURCES = ("X", "outcome", "event", "count", "consulted", "indicator")


def record_plan(model: Model, names: Sequence[str]) -> list[tuple[str, int]]:
    """Where each recorded name lives in a block's state: (array, row); -1 for a flag that is a
    row of its own (``decoupled``, ``decoupled.index``)."""
    where: dict[str, tuple[str, int]] = {}
    layout = (
        ("X", model.quantities),
        ("outcome", model.outcome_names),
        ("event", [f"event.{h}" for h in model.happenings]),
        ("count", [f"count.{h}" for h in model.happenings]),
        ("consulted", [f"consulted.{a.id}" for a in model.actions]),
        ("indicator", model.indicator_names),
    )
    for source, labels in layout:
        for row, label in enumerate(labels):
            where[label] = (source, row)
    for row, sign in enumerate(model.decoupling_signs):
        where[f"{DECOUPLED}.{sign}"] = ("sign_seen", row)
    if model.has_index:
        where[f"{DECOUPLED}.index"] = ("index_seen", -1)
    where[DECOUPLED] = ("decoupled", -1)
    unknown = [n for n in names if n not in where]
    if unknown:
        raise ValueError(f"not recorded by the engine: {', '.join(unknown)}")
    return [where[n] for n in names]


def record_row(
    state: BlockState,
    record: str = "all",
    out: np.ndarray | None = None,
    *,
    plan: list[tuple[str, int]] | None = None,
) -> np.ndarray:
    """What the engine records of the block now: (recorded names, members), in the order of
    ``model.record_names`` (``record="all"``), the indicators and the decoupled flag
    (``"indicators"``), or a :func:`record_plan`; written into ``out`` when given."""
    if plan is not None:
        if out is None:
            out = np.empty((len(plan), state.members))
        for i, (source, row) in enumerate(plan):
            array = getattr(state, source)
            out[i] = array if row < 0 else array[row]
        return out
    blocks = (
        (state.indicator,)
        if record == "indicators"
        else tuple(getattr(state, source) for source in _SOURCES)
    )
    flags = state.flags()
    rows = sum(b.shape[0] for b in blocks) + len(flags) + 1
    if out is None:
        out = np.empty((rows, state.members))
    i = 0
    for block in blocks:
        out[i : i + block.shape[0]] = block
        i += block.shape[0]
    for flag in flags:
        out[i] = flag
        i += 1
    out[i] = state.decoupled
    return out
