"""One step of the alliance and the loop over steps, vectorised over ensemble members.

The order of a step (see docs/semantics.md): scheduled events → stochastic events → one
bargaining round per issue → actions (with the consultation draw) → rules → relaxation and
clipping → indicators → decoupling → record. Every operation acts on all members of a block at
once; nothing loops over members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from alliancesim import kernels
from alliancesim.model import Context, Model, PolicySpec

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
    between steps (a lever set from a given quarter on); relaxation rates, baselines and rule
    weights are read from ``P`` once, at the start.
    """

    def __init__(self, model: Model, policy: PolicySpec, P: np.ndarray):
        M = P.shape[1]
        S = model.n_states
        n_happen = len(model.happenings)
        n_actions = len(model.actions)
        self.t = 0
        self.P = P
        self.X = P[model.initial_rows].copy()  # (Q, M)
        self.outcome = np.empty((len(model.issues), M))
        for k, issue in enumerate(model.issues):
            self.outcome[k] = self.X[issue.status_quo_row]
        self.event = np.zeros((n_happen, M))
        self.count = np.zeros((n_happen, M))
        self.consulted = np.zeros((n_actions, M))
        self.indicator = np.zeros((len(model.indicators), M))
        self.ctx = Context(
            self.X, P, self.outcome, self.event, self.count, self.consulted, self.indicator
        )
        self.done = np.zeros((n_actions, M), dtype=bool)
        self.streak = np.zeros(M)
        self.decoupled = np.zeros(M, dtype=bool)
        self.relax = P[model.relaxation_rows]  # (S, M)
        self.baseline = np.where(
            (model.baseline_rows >= 0)[:, None],
            P[np.maximum(model.baseline_rows, 0)],
            self.X[:S],
        )
        self.weights = P[model.rule_weight_rows]  # (R, M)
        self.sched_steps = [
            spec.steps | policy.added.get(k, frozenset()) for k, spec in enumerate(model.scheduled)
        ]

    @property
    def members(self) -> int:
        """Members in the block."""
        return self.P.shape[1]

    def compute_indicators(self, model: Model) -> None:
        """Every indicator, in file order, on the current quantities."""
        M = self.members
        for k, (_, expr) in enumerate(model.indicators):
            self.indicator[k] = _as_row(expr(self.ctx), M)


def start(model: Model, policy: PolicySpec, P: np.ndarray) -> BlockState:
    """The block at step 0: drawn initial values, outcomes at the status quo, indicators."""
    state = BlockState(model, policy, P)
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
    from alliancesim.bargaining import bargaining_round

    M = state.members
    S = model.n_states
    n_events = len(model.events)
    n_sched = len(model.scheduled)
    X, P = state.X, state.P
    event, count, consulted, ctx = state.event, state.count, state.consulted, state.ctx
    t = state.t + 1
    ctx.step = float(t)
    ctx.year = model.clock.years(t)
    X0 = X[:S].copy()
    event[:] = 0.0
    consulted[:] = 0.0
    # 1. scheduled events
    for k, spec in enumerate(model.scheduled):
        held = t in state.sched_steps[k]
        if scheduled is not None and k in scheduled:
            held = scheduled[k]
        if held:
            r = n_events + k
            event[r] = P[spec.intensity_row]
            count[r] += 1.0
    # 2. stochastic events
    for k, spec in enumerate(model.events):
        rate = P[spec.rate] if isinstance(spec.rate, int) else _as_row(spec.rate(ctx), M)
        rate = np.minimum(np.maximum(rate, 0.0), MAX_RATE)
        n = poisson_quantile(u[2 * k], rate)
        event[k] = n * spec.intensity.ppf(u[2 * k + 1])
        count[k] += n
    # 3. bargaining
    for k, issue in enumerate(model.issues):
        result = bargaining_round(
            issue.model,
            X[issue.position_rows].T,
            P[issue.capability_rows].T,
            X[issue.salience_rows].T,
            X[issue.status_quo_row],
            check=False,
        )
        if issue.moves_positions:
            X[issue.position_rows] = result.positions.T
        state.outcome[k] = result.outcome
    # 4. actions: decide all, then apply
    base = 2 * n_events
    happened = []
    for j, action in enumerate(model.actions):
        eligible = _as_row(action.when(ctx), M) != 0.0
        if action.once:
            eligible &= ~state.done[j]
        occurs = eligible & (u[base + 2 * j] < P[action.probability_row])
        chance = np.minimum(np.maximum(_as_row(action.consulted(ctx), M), 0.0), 1.0)
        was_consulted = occurs & (u[base + 2 * j + 1] < chance)
        choice = actions.get(j) if actions is not None else None
        if choice is not None:
            if choice.happens is not None:
                occurs = np.full(M, choice.happens)
                if action.once:
                    occurs &= ~state.done[j]
                was_consulted = occurs & (u[base + 2 * j + 1] < chance)
            if choice.consulted is not None:
                was_consulted = occurs & choice.consulted
        happened.append((occurs, was_consulted))
    for j, action in enumerate(model.actions):
        occurs, was_consulted = happened[j]
        r = n_events + n_sched + j
        event[r] = np.where(occurs, P[action.intensity_row], 0.0)
        count[r] += occurs
        consulted[j] = was_consulted
        state.done[j] |= occurs
        for target, value_row in action.effects:
            X[target] += np.where(occurs, P[value_row], 0.0)
    # 5. rules (synchronous: every contribution from the same snapshot, then all applied)
    totals = []
    weights, drivers, gates = state.weights, model.rule_drivers, model.rule_gates
    for target, rules in model.rule_groups:
        total = None
        for r in rules:
            value = np.multiply(weights[r], drivers[r](ctx))
            gate = gates[r]
            if gate is not None:
                np.multiply(value, gate(ctx), out=value)
            if total is None:
                total = value
            else:
                total += value
        totals.append((target, total))
    for target, total in totals:
        X[target] += total
    # 6. relaxation and clipping (only the rows a step can move)
    states = X[:S]
    states -= state.relax * (X0 - state.baseline)
    np.minimum(
        np.maximum(states, model.lower[:S, None], out=states), model.upper[:S, None], out=states
    )
    rows = model.changing_rows
    if len(rows):
        X[rows] = np.minimum(np.maximum(X[rows], model.lower[rows, None]), model.upper[rows, None])
    # 7. indicators
    state.compute_indicators(model)
    # 8. decoupling
    holds = _as_row(model.decoupling(ctx), M) != 0.0
    state.streak = np.where(holds, state.streak + 1.0, 0.0)
    state.decoupled |= state.streak >= model.decoupling_steps
    state.t = t


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
        names = [*model.indicator_names, "decoupled"]
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
    """Where each recorded name lives in a block's state: (array, row); ``decoupled`` is its own."""
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
    where["decoupled"] = ("decoupled", 0)
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
            out[i] = state.decoupled if source == "decoupled" else getattr(state, source)[row]
        return out
    blocks = (
        (state.indicator,)
        if record == "indicators"
        else tuple(getattr(state, source) for source in _SOURCES)
    )
    rows = sum(b.shape[0] for b in blocks) + 1
    if out is None:
        out = np.empty((rows, state.members))
    i = 0
    for block in blocks:
        out[i : i + block.shape[0]] = block
        i += block.shape[0]
    out[i] = state.decoupled
    return out
