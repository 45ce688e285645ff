"""A scalar reference implementation of the step, for testing the vectorised engine.

Written from ``docs/semantics.md`` (and DESIGN §3–§4) alone, never from the engine: one ensemble
member, plain Python floats, a dictionary of named quantities, and a small recursive interpreter
for the expression language that walks the checked :mod:`ast` tree. It is slow and meant to be
read: each stage of :func:`simulate_member` is one numbered paragraph of the semantics.

Only the scenario schema is shared with the engine: the parameter names
(:func:`~alliancesim.scenario.scenario_parameters`), the clock, the uncertain numbers' inverse
distribution functions (``ppf``) and the parsed syntax trees. Transcendental functions (``exp``,
``log``, ``pow``) are taken from NumPy on scalars so that both sides round them identically:
the oracle is meant to catch logic errors, not one-ulp differences between two maths libraries,
which could otherwise flip a threshold and look like a logic error.

Bargaining: ``compromise`` is implemented here; other models are delegated to
:func:`alliancesim.bargaining.bargaining_round` with one member (they have their own tests
against published values).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from alliancesim.expr import ParsedExpression
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.parameters import scenario_parameters
from alliancesim.scenario.schema import Policy, Scenario
from alliancesim.scenario.uncertain import Fixed, Uncertain

__all__ = [
    "chosen_accounts",
    "compromise",
    "evaluate",
    "member_parameters",
    "poisson_count",
    "simulate_member",
]

MAX_RATE = 50.0
"""Largest Poisson rate per step (semantics, step 2)."""
MAX_OCCURRENCES = 200
"""Most occurrences of one stochastic event in one step (semantics, step 2)."""


# --------------------------------------------------------------------------------------------
# expressions: truth and arithmetic as in "Truth and arithmetic" of docs/semantics.md


def _truth(value: float) -> bool:
    """Non-zero is true (NaN included, as NaN != 0)."""
    return value != 0.0


def _bool(value: bool) -> float:
    return 1.0 if value else 0.0


def _dotted(node: ast.expr) -> str:
    """The dotted name spelled by a chain of attributes, e.g. ``trust.ROK.USA``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ValueError(f"not a name: {ast.dump(node)}")
    parts.append(node.id)
    return ".".join(reversed(parts))


def _literal(node: ast.expr) -> float:
    """The value of a (possibly signed) numeric literal, as used for exponents."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if not isinstance(node, ast.Constant):
        raise ValueError("the exponent of ** must be a number")
    return sign * float(node.value)


def _power(base: float, exponent: float) -> float:
    with np.errstate(all="ignore"):
        return float(np.power(base, exponent))


def _divide(a: float, b: float) -> float:
    """``a / b``, and 0 where ``b`` is 0."""
    if b == 0.0:
        return 0.0
    return a / b


_COMPARISONS: dict[type, Any] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


def evaluate(expression: ParsedExpression | ast.expr, values: Mapping[str, float]) -> float:
    """The value of an expression for one member, reading named quantities from ``values``.

    Comparisons give 1.0 or 0.0; ``and``/``or``/``not`` treat non-zero as true and give 1.0 or
    0.0; ``a / b`` is 0 where ``b`` is 0; ``log`` clamps its argument to ≥ 1e-300, ``sqrt`` to
    ≥ 0 and ``exp`` to ≤ 700; ``clip(x, lo, hi)`` is ``min(max(x, lo), hi)``.
    """
    node = expression.tree if isinstance(expression, ParsedExpression) else expression
    return _eval(node, values)


def _eval(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name | ast.Attribute):
        return float(values[_dotted(node)])
    if isinstance(node, ast.BinOp):
        left = _eval(node.left, values)
        if isinstance(node.op, ast.Pow):
            return _power(left, _literal(node.right))
        right = _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return _divide(left, right)
        raise ValueError(f"operator {type(node.op).__name__} is not in the language")
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return _bool(not _truth(operand))
        raise ValueError(f"operator {type(node.op).__name__} is not in the language")
    if isinstance(node, ast.BoolOp):
        truths = [_truth(_eval(v, values)) for v in node.values]
        return _bool(all(truths) if isinstance(node.op, ast.And) else any(truths))
    if isinstance(node, ast.Compare):
        operands = [_eval(node.left, values), *(_eval(c, values) for c in node.comparators)]
        holds = all(
            _COMPARISONS[type(op)](operands[i], operands[i + 1]) for i, op in enumerate(node.ops)
        )
        return _bool(holds)
    if isinstance(node, ast.IfExp):
        if _truth(_eval(node.test, values)):
            return _eval(node.body, values)
        return _eval(node.orelse, values)
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [_eval(a, values) for a in node.args]
        name = node.func.id
        if name == "min":
            result = args[0]
            for arg in args[1:]:
                result = arg if arg < result else result
            return result
        if name == "max":
            result = args[0]
            for arg in args[1:]:
                result = arg if arg > result else result
            return result
        if name == "clip":
            x, low, high = args
            return min(max(x, low), high)
        (x,) = args
        if name == "abs":
            return abs(x)
        if name == "exp":
            return float(np.exp(min(x, 700.0)))
        if name == "log":
            return float(np.log(max(x, 1e-300)))
        if name == "sqrt":
            return math.sqrt(max(x, 0.0))
        raise ValueError(f"function {name!r} is not in the language")
    raise ValueError(f"{type(node).__name__} is not in the language")


# --------------------------------------------------------------------------------------------
# parameters and policies


def _policies(scenario: Scenario, policy: str) -> list[Policy]:
    """The policies a policy name applies, in order (``baseline`` is none; ``a+b`` is a then b)."""
    declared = {p.id: p for p in scenario.policies}
    out: list[Policy] = []
    for part in policy.split("+"):
        if part == "baseline":
            continue
        if part not in declared:
            raise KeyError(f"unknown policy {part!r}")
        out.append(declared[part])
    return out


def _distributions(scenario: Scenario, policies: Sequence[Policy]) -> dict[str, Uncertain]:
    """Every parameter's distribution under the policies (their ``set`` replacing the original)."""
    out: dict[str, Uncertain] = {
        name: spec.value for name, spec in scenario_parameters(scenario).items()
    }
    replaced: dict[str, tuple[str, Uncertain]] = {}
    for policy in policies:
        for name, value in policy.set.items():
            if name in replaced and replaced[name][1] != value:
                raise ValueError(
                    f"policies {replaced[name][0]!r} and {policy.id!r} set {name!r} differently"
                )
            replaced[name] = (policy.id, value)
            out[name] = value
    return out


def member_parameters(
    scenario: Scenario, policy: str, unit: Mapping[str, float]
) -> dict[str, float]:
    """Every parameter's value for one member under ``policy``.

    ``unit`` holds the member's uniform draw of each parameter that is uncertain (under any
    policy); a replaced distribution is evaluated at the same draw as the original.
    """
    values: dict[str, float] = {}
    for name, dist in _distributions(scenario, _policies(scenario, policy)).items():
        if isinstance(dist, Fixed):
            values[name] = float(dist.value)
        else:
            if name not in unit:
                raise KeyError(f"no uniform draw for the uncertain parameter {name!r}")
            values[name] = float(dist.ppf(np.asarray([unit[name]], dtype=np.float64))[0])
    return values


# --------------------------------------------------------------------------------------------
# events and bargaining


def poisson_count(rate: float, u: float) -> int:
    """Occurrences ``n = F⁻¹(u)`` of a Poisson event with the given rate (clamped to [0, 50]).

    With ``p₀ = exp(−r)``, ``F₀ = p₀``, ``p_k = p_{k−1} · r / k``, ``F_k = F_{k−1} + p_k``: the
    smallest k with ``u < F_k``, at most 200.
    """
    r = max(0.0, min(rate, MAX_RATE))
    p = float(np.exp(-r))
    cumulative = p
    k = 0
    while not u < cumulative and k < MAX_OCCURRENCES:
        k += 1
        p = p * r / k
        cumulative = cumulative + p
    return k


def compromise(
    positions: Sequence[float],
    capability: Sequence[float],
    salience: Sequence[float],
    status_quo: float,
    *,
    no_salience: Literal["status_quo", "mean"] = "status_quo",
) -> tuple[list[float], float]:
    """One round of the compromise model: positions unchanged, outcome Σ c·s·x / Σ c·s.

    Sums run in participant order. When nobody attaches any salience (Σ c·s = 0) the ratio is
    undefined and docs/semantics.md does not say what the outcome is; by default it is the
    status quo, as :mod:`alliancesim.bargaining` documents for every model ("nothing moves
    and the forecast is the status quo"); ``no_salience="mean"`` gives the plain mean of the
    positions instead.
    """
    weights = [c * s for c, s in zip(capability, salience, strict=True)]
    total = 0.0
    weighted = 0.0
    for w, x in zip(weights, positions, strict=True):
        total = total + w
        weighted = weighted + w * x
    if total > 0.0:
        return list(positions), weighted / total
    if no_salience == "status_quo":
        return list(positions), status_quo
    plain = 0.0
    for x in positions:
        plain = plain + x
    return list(positions), plain / len(positions)


def _bargain(
    model: str,
    positions: list[float],
    capability: list[float],
    salience: list[float],
    status_quo: float,
) -> tuple[list[float], float]:
    """One bargaining round on one issue: (new positions, outcome)."""
    if model == "compromise":
        return compromise(positions, capability, salience, status_quo)
    from alliancesim.bargaining import bargaining_round

    result = bargaining_round(
        model,
        np.asarray(positions, dtype=np.float64)[None, :],
        np.asarray(capability, dtype=np.float64)[None, :],
        np.asarray(salience, dtype=np.float64)[None, :],
        np.asarray([status_quo], dtype=np.float64),
    )
    return [float(x) for x in result.positions[0]], float(result.outcome[0])


# --------------------------------------------------------------------------------------------
# the run


def chosen_accounts(scenario: Scenario, structure: str) -> dict[str, str]:
    """The account each contested mechanism takes under a structure: ``seed`` is every
    mechanism's first account; ``m=a,n=b`` replaces those of the mechanisms it names."""
    chosen = {m.id: m.accounts[0].id for m in scenario.mechanisms}
    if structure.strip() == "seed":
        return chosen
    accounts = {m.id: {a.id for a in m.accounts} for m in scenario.mechanisms}
    for part in structure.split(","):
        mechanism, _, account = (x.strip() for x in part.partition("="))
        if account not in accounts.get(mechanism, set()):
            raise KeyError(f"no account {account!r} of a mechanism {mechanism!r}")
        chosen[mechanism] = account
    return chosen


def simulate_member(
    scenario: Scenario,
    policy: str,
    unit: Mapping[str, float],
    slots: Sequence[Sequence[float]],
    structure: str = "seed",
) -> dict[str, list[float]]:
    """Simulate one member of ``scenario`` under ``policy`` and ``structure`` for steps 0..horizon.

    ``unit``: the member's uniform draw of each uncertain parameter, by parameter name.
    ``slots``: for each step t = 1..H (``slots[t - 1]``) the member's uniform numbers, two per
    stochastic event (occurrence, intensity) and then two per action (act, consulted), in file
    order. ``structure``: the account of each contested mechanism (``seed``, or
    ``mechanism=account,…``). Returns every recorded quantity's values for steps 0..H,
    ``decoupled`` as 0.0/1.0.
    """
    chosen = chosen_accounts(scenario, structure)
    meta = scenario.scenario
    horizon = meta.horizon
    clock = Clock(meta.start, meta.step, horizon)
    policies = _policies(scenario, policy)
    P = member_parameters(scenario, policy, unit)
    n_slots = 2 * len(scenario.events) + 2 * len(scenario.actions)
    if len(slots) < horizon or any(len(s) < n_slots for s in slots[:horizon]):
        raise ValueError(f"need {horizon} steps of {n_slots} slots")

    # what exists, and how each movable quantity is bounded
    bounds: dict[str, tuple[float, float]] = {}
    for state in scenario.state:
        bounds[state.id] = (float(state.bounds[0]), float(state.bounds[1]))
    for issue in scenario.issues:
        for actor in issue.participants:
            bounds[f"position.{actor}.{issue.id}"] = (0.0, 100.0)
            bounds[f"salience.{actor}.{issue.id}"] = (0.0, 1.0)
        bounds[f"issue.{issue.id}.status_quo"] = (0.0, 100.0)
    happenings = [
        *(e.id for e in scenario.events),
        *(s.id for s in scenario.schedule),
        *(a.id for a in scenario.actions),
    ]
    occurs_at: dict[str, set[int]] = {
        s.id: {clock.step_of(p) for p in s.at} for s in scenario.schedule
    }
    for p in policies:
        for occurrence in p.schedule:
            occurs_at[occurrence.event].add(clock.step_of(occurrence.at))
    baseline_of = {
        s.id: P.get(f"state.{s.id}.baseline", P[f"state.{s.id}.initial"]) for s in scenario.state
    }

    # step 0
    v: dict[str, float] = {}
    for actor in scenario.actors:
        v[f"capability.{actor.id}"] = P[f"actors.{actor.id}.capability"]
    for lever in scenario.levers:
        v[f"policy.{lever.id}"] = P[f"policy.{lever.id}"]
    for param in scenario.parameters:
        v[f"param.{param.id}"] = P[f"param.{param.id}"]
    for mechanism in scenario.mechanisms:
        for account in mechanism.accounts:
            chosen_here = chosen[mechanism.id] == account.id
            v[f"structure.{mechanism.id}.{account.id}"] = 1.0 if chosen_here else 0.0
    for state in scenario.state:
        v[state.id] = P[f"state.{state.id}.initial"]
    for issue in scenario.issues:
        for actor in issue.participants:
            v[f"position.{actor}.{issue.id}"] = P[f"issues.{issue.id}.positions.{actor}.position"]
            v[f"salience.{actor}.{issue.id}"] = P[f"issues.{issue.id}.positions.{actor}.salience"]
        v[f"issue.{issue.id}.status_quo"] = P[f"issues.{issue.id}.status_quo"]
        v[f"issue.{issue.id}.outcome"] = v[f"issue.{issue.id}.status_quo"]
    for ident in happenings:
        v[f"event.{ident}"] = 0.0
        v[f"count.{ident}"] = 0.0
    for action in scenario.actions:
        v[f"consulted.{action.id}"] = 0.0
    v["step"] = 0.0
    v["year"] = 0.0
    for indicator in scenario.indicators:
        v[indicator.id] = evaluate(indicator.expr, v)
    decoupled = False
    streak = 0
    happened: dict[str, bool] = {a.id: False for a in scenario.actions}

    recorded = [
        *bounds,
        *(f"issue.{i.id}.outcome" for i in scenario.issues),
        *(f"event.{e}" for e in happenings),
        *(f"count.{e}" for e in happenings),
        *(f"consulted.{a.id}" for a in scenario.actions),
        *(i.id for i in scenario.indicators),
    ]
    out: dict[str, list[float]] = {name: [v[name]] for name in recorded}
    out["decoupled"] = [0.0]

    for t in range(1, horizon + 1):
        u = slots[t - 1]
        v["step"] = float(t)
        v["year"] = t / clock.per_year
        start = {name: v[name] for name in bounds}  # X₀

        # 1. scheduled events
        for ident in happenings:
            v[f"event.{ident}"] = 0.0
        for action in scenario.actions:
            v[f"consulted.{action.id}"] = 0.0
        for scheduled in scenario.schedule:
            if t in occurs_at[scheduled.id]:
                v[f"event.{scheduled.id}"] = P[f"schedule.{scheduled.id}.intensity"]
                v[f"count.{scheduled.id}"] += 1.0

        # 2. stochastic events, in file order
        for k, event in enumerate(scenario.events):
            if isinstance(event.rate, ParsedExpression):
                rate = evaluate(event.rate, v)
            else:
                rate = P[f"events.{event.id}.rate"]
            n = poisson_count(rate, u[2 * k])
            intensity = float(event.intensity.ppf(np.asarray([u[2 * k + 1]], dtype=np.float64))[0])
            v[f"event.{event.id}"] = n * intensity
            v[f"count.{event.id}"] += float(n)

        # 3. bargaining, issue by issue
        for issue in scenario.issues:
            actors = issue.participants
            positions, outcome = _bargain(
                issue.model,
                [v[f"position.{a}.{issue.id}"] for a in actors],
                [v[f"capability.{a}"] for a in actors],
                [v[f"salience.{a}.{issue.id}"] for a in actors],
                v[f"issue.{issue.id}.status_quo"],
            )
            for a, x in zip(actors, positions, strict=True):
                v[f"position.{a}.{issue.id}"] = x
            v[f"issue.{issue.id}.outcome"] = outcome

        # 4. actions: decide all on the quantities as they are now, then apply
        decisions: list[tuple[str, bool]] = []
        base = 2 * len(scenario.events)
        for j, action in enumerate(scenario.actions):
            eligible = (not happened[action.id] or not action.once) and _truth(
                evaluate(action.when, v)
            )
            happens = eligible and u[base + 2 * j] < P[f"actions.{action.id}.probability"]
            consulted = False
            if happens:
                chance = min(max(evaluate(action.consulted, v), 0.0), 1.0)
                consulted = u[base + 2 * j + 1] < chance
            decisions.append((action.id, consulted) if happens else ("", False))
        for action, (ident, consulted) in zip(scenario.actions, decisions, strict=True):
            if not ident:
                continue
            happened[action.id] = True
            v[f"event.{action.id}"] = P[f"actions.{action.id}.intensity"]
            v[f"count.{action.id}"] += 1.0
            v[f"consulted.{action.id}"] = _bool(consulted)
            for target in action.effects:
                v[target] = v[target] + P[f"actions.{action.id}.effects.{target}"]

        # 5. rules: all contributions first, then each target's sum (in rule order) at once
        sums: dict[str, float] = {}
        for rule in scenario.rules:
            if rule.account is not None:
                mechanism, account = rule.account.split(".")
                if chosen[mechanism] != account:
                    continue  # the rule of an account this structure does not choose
            contribution = P[f"rules.{rule.id}.weight"] * evaluate(rule.driver, v)
            if rule.gate is not None:
                contribution = contribution * evaluate(rule.gate, v)
            sums[rule.target] = (
                sums[rule.target] + contribution if rule.target in sums else contribution
            )
        for target, total in sums.items():
            v[target] = v[target] + total

        # 6. relaxation toward the baseline (from the start-of-step value), then clipping
        for state in scenario.state:
            relaxation = P[f"state.{state.id}.relaxation"]
            v[state.id] = v[state.id] - relaxation * (start[state.id] - baseline_of[state.id])
        for name, (low, high) in bounds.items():
            v[name] = min(max(v[name], low), high)

        # 7. indicators, in file order
        for indicator in scenario.indicators:
            v[indicator.id] = evaluate(indicator.expr, v)

        # 8. decoupling
        streak = streak + 1 if _truth(evaluate(scenario.decoupling.when, v)) else 0
        decoupled = decoupled or streak >= scenario.decoupling.for_steps

        # 9. record
        for name in recorded:
            out[name].append(v[name])
        out["decoupled"].append(_bool(decoupled))
    return out
