"""One step of the alliance and the loop over steps, vectorised over ensemble members.

The order of a step (see docs/semantics.md): scheduled events → stochastic events → one
bargaining round per issue → actions (with the consultation draw) → rules → relaxation and
clipping → indicators → decoupling → record. Every operation acts on all members of a block at
once; nothing loops over members.
"""

from __future__ import annotations

import numpy as np

from alliancesim.model import Context, Model, PolicySpec

__all__ = ["MAX_EVENTS_PER_STEP", "parameter_values", "poisson_quantile", "simulate"]

MAX_EVENTS_PER_STEP = 200
"""Upper bound on a stochastic event's occurrences in one step (rates are capped at 50)."""
MAX_RATE = 50.0


def poisson_quantile(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Occurrences n = F⁻¹(u) of a Poisson(rate) count, by the recurrence of docs/semantics.md."""
    u = np.asarray(u, dtype=np.float64)
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), u.shape)
    p = np.exp(-rate)
    cdf = p.copy()
    n = np.zeros(u.shape)
    active = u >= cdf
    k = 0
    while active.any() and k < MAX_EVENTS_PER_STEP:
        k += 1
        n += active
        p = p * rate / k
        cdf = cdf + p
        active &= u >= cdf
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


def simulate(
    model: Model, policy: PolicySpec, P: np.ndarray, slots: np.ndarray, *, record: str = "all"
) -> np.ndarray:
    """Simulate a block of members under one policy.

    ``P`` holds every parameter's value per member (parameters, members); ``slots`` the uniform
    random numbers (steps, slots, members). Returns the record (steps + 1, recorded names,
    members) in the order of ``model.record_names`` (``record="all"``), or of the indicators and
    the decoupled flag only (``record="indicators"``).
    """
    from alliancesim.bargaining import bargaining_round

    H = model.horizon
    M = P.shape[1]
    len(model.quantities)
    n_issues = len(model.issues)
    n_happen = len(model.happenings)
    n_actions = len(model.actions)
    n_ind = len(model.indicators)
    S = model.n_states
    n_events = len(model.events)
    n_sched = len(model.scheduled)

    X = P[model.initial_rows].copy()  # (Q, M)
    outcome = np.empty((n_issues, M))
    for k, issue in enumerate(model.issues):
        outcome[k] = X[issue.status_quo_row]
    event = np.zeros((n_happen, M))
    count = np.zeros((n_happen, M))
    consulted = np.zeros((n_actions, M))
    indicator = np.zeros((n_ind, M))
    ctx = Context(X, P, outcome, event, count, consulted, indicator)
    done = np.zeros((n_actions, M), dtype=bool)
    streak = np.zeros(M)
    decoupled = np.zeros(M, dtype=bool)

    relax = P[model.relaxation_rows]  # (S, M)
    baseline = np.where(
        (model.baseline_rows >= 0)[:, None],
        P[np.maximum(model.baseline_rows, 0)],
        X[:S],
    )
    weights = P[model.rule_weight_rows]  # (R, M)
    order = np.argsort(model.rule_targets, kind="stable")
    sorted_targets = model.rule_targets[order]
    starts = (
        np.flatnonzero(np.r_[True, sorted_targets[1:] != sorted_targets[:-1]])
        if len(order)
        else order
    )
    unique_targets = sorted_targets[starts] if len(order) else order
    lower = model.lower[:, None]
    upper = model.upper[:, None]
    sched_steps = [
        spec.steps | policy.added.get(k, frozenset()) for k, spec in enumerate(model.scheduled)
    ]

    if record == "all":
        n_rec = len(model.record_names)
    elif record == "indicators":
        n_rec = n_ind + 1
    else:
        raise ValueError(f"record must be 'all' or 'indicators', got {record!r}")
    out = np.empty((H + 1, n_rec, M))

    def compute_indicators() -> None:
        for k, (_, expr) in enumerate(model.indicators):
            indicator[k] = _as_row(expr(ctx), M)

    def write(t: int) -> None:
        row = out[t]
        if record == "indicators":
            row[:n_ind] = indicator
            row[n_ind] = decoupled
            return
        i = 0
        for block in (X, outcome, event, count, consulted, indicator):
            row[i : i + block.shape[0]] = block
            i += block.shape[0]
        row[i] = decoupled

    compute_indicators()
    write(0)
    contributions = np.empty((len(model.rule_ids), M))
    for t in range(1, H + 1):
        ctx.step = float(t)
        ctx.year = model.clock.years(t)
        X0 = X[:S].copy()
        event[:] = 0.0
        consulted[:] = 0.0
        u = slots[t - 1]
        # 1. scheduled events
        for k, spec in enumerate(model.scheduled):
            if t in sched_steps[k]:
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
            )
            X[issue.position_rows] = result.positions.T
            outcome[k] = result.outcome
        # 4. actions: decide all, then apply
        base = 2 * n_events
        happened = []
        for j, action in enumerate(model.actions):
            eligible = _as_row(action.when(ctx), M) != 0.0
            if action.once:
                eligible &= ~done[j]
            occurs = eligible & (u[base + 2 * j] < P[action.probability_row])
            chance = np.minimum(np.maximum(_as_row(action.consulted(ctx), M), 0.0), 1.0)
            happened.append((occurs, occurs & (u[base + 2 * j + 1] < chance)))
        for j, action in enumerate(model.actions):
            occurs, was_consulted = happened[j]
            r = n_events + n_sched + j
            event[r] = np.where(occurs, P[action.intensity_row], 0.0)
            count[r] += occurs
            consulted[j] = was_consulted
            done[j] |= occurs
            for target, value_row in action.effects:
                X[target] += np.where(occurs, P[value_row], 0.0)
        # 5. rules (synchronous: all contributions from the same snapshot)
        for r in range(len(model.rule_ids)):
            value = weights[r] * _as_row(model.rule_drivers[r](ctx), M)
            gate = model.rule_gates[r]
            if gate is not None:
                value = value * _as_row(gate(ctx), M)
            contributions[r] = value
        if len(order):
            X[unique_targets] += np.add.reduceat(contributions[order], starts, axis=0)
        # 6. relaxation and clipping
        X[:S] -= relax * (X0 - baseline)
        np.minimum(np.maximum(X, lower, out=X), upper, out=X)
        # 7. indicators
        compute_indicators()
        # 8. decoupling
        holds = _as_row(model.decoupling(ctx), M) != 0.0
        streak = np.where(holds, streak + 1.0, 0.0)
        decoupled |= streak >= model.decoupling_steps
        # 9. record
        write(t)
    return out
