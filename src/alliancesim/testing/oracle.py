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
from alliancesim.scenario.schema import Election, Outcome, Policy, Scenario
from alliancesim.scenario.uncertain import Fixed, Uncertain

__all__ = [
    "NotFiniteError",
    "chosen_accounts",
    "compromise",
    "election_outcome",
    "evaluate",
    "member_parameters",
    "poisson_count",
    "respond",
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
    """``base ** exponent``: the base read as ≥ 0 when the exponent is not a whole number, and
    0 where the base is 0 and the exponent negative."""
    if not float(exponent).is_integer() and base < 0.0:
        base = 0.0
    if exponent < 0.0 and base == 0.0:
        return 0.0
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
    ≥ 0 and ``exp`` to ≤ 700; ``clip(x, lo, hi)`` is ``min(max(x, lo), hi)``; ``min``, ``max``
    and ``clip`` are NaN when an argument is.
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
        if name in ("min", "max", "clip") and any(math.isnan(a) for a in args):
            return math.nan  # NaN in, NaN out
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
# values that are not finite ("Values that are not finite" in docs/semantics.md)


class NotFiniteError(ArithmeticError):
    """The value of one of the scenario's expressions (or a bargaining round) was NaN or ±∞ at
    a step: the run stops there. ``section`` and ``ident`` name the entry (a rule, an
    indicator…), ``field`` the field whose value it is."""

    def __init__(self, step: int, section: str, ident: str, field: str, value: float):
        self.step, self.section, self.ident, self.field, self.value = (
            step,
            section,
            ident,
            field,
            value,
        )
        super().__init__(f"{section} {ident}: {field} is {value!r} at step {step}")


def _finite(value: float, step: int, section: str, ident: str, field: str) -> float:
    """The value, or NotFiniteError when it is NaN or ±∞."""
    if not math.isfinite(value):
        raise NotFiniteError(step, section, ident, field, value)
    return value


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
# the pieces of a step (docs/semantics.md)


def _ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Every movable quantity's range, in the order quantities are listed (states, positions,
    saliences, status quos)."""
    out: dict[str, tuple[float, float]] = {}
    for state in scenario.state:
        out[state.id] = (float(state.bounds[0]), float(state.bounds[1]))
    for issue in scenario.issues:
        for actor in issue.participants:
            out[f"position.{actor}.{issue.id}"] = (0.0, 100.0)
    for issue in scenario.issues:
        for actor in issue.participants:
            out[f"salience.{actor}.{issue.id}"] = (0.0, 1.0)
    for issue in scenario.issues:
        out[f"issue.{issue.id}.status_quo"] = (0.0, 100.0)
    return out


def _responses(scenario: Scenario) -> dict[str, str]:
    """How each movable quantity responds to rules ("Responses"): a state variable its own
    ``response``, positions and saliences their issue's, a status quo its issue's
    ``status_quo_response``."""
    out = {state.id: state.response for state in scenario.state}
    for issue in scenario.issues:
        for actor in issue.participants:
            out[f"position.{actor}.{issue.id}"] = issue.response
            out[f"salience.{actor}.{issue.id}"] = issue.response
        out[f"issue.{issue.id}.status_quo"] = issue.status_quo_response
    return out


def respond(total: float, start: float, low: float, high: float, response: str) -> float:
    """How far a target moves under its rules' summed push ``total`` (step 5): as it is when
    linear; saturating, (T·(hi − v₀))/(hi − lo) when T > 0 and (T·(v₀ − lo))/(hi − lo) otherwise,
    with v₀ the target's value at the start of the step."""
    if response == "linear":
        return total
    if total > 0.0:
        return total * (high - start) / (high - low)
    return total * (start - low) / (high - low)


def _apply_sets(
    v: dict[str, float],
    P: dict[str, float],
    start: dict[str, float],
    stem: str,
    targets: Sequence[str],
) -> None:
    """Each target of a set-effect takes its value (its parameter ``<stem>sets.<target>``), in
    the order written. A movable quantity counts as having started the step there (``start``,
    X₀); a named parameter or lever changes for every later reading."""
    for target in targets:
        value = P[f"{stem}sets.{target}"]
        v[target] = value
        if target in start:
            start[target] = value
        if target.startswith(("param.", "policy.")):
            P[target] = value


def _apply_effects(
    v: dict[str, float], P: dict[str, float], stem: str, targets: Sequence[str]
) -> None:
    """Each effect's value (its parameter ``<stem>effects.<target>``) added to its target."""
    for target in targets:
        v[target] = v[target] + P[f"{stem}effects.{target}"]


def election_outcome(election: Election, P: Mapping[str, float], u: float) -> Outcome | None:
    """The outcome an election gives for the uniform number ``u`` (step 1): with the listed
    probabilities' partial sums S_k and S = max(S_n, 1), the first outcome with u < S_k / S; a
    last outcome that says ``rest`` takes every u left; none when nothing is left to take."""
    stem = f"elections.{election.id}.outcomes."
    listed = [o for o in election.outcomes if not o.is_rest]
    partial_sums = []
    partial = 0.0
    for outcome in listed:
        partial = partial + P[f"{stem}{outcome.id}.probability"]
        partial_sums.append(partial)
    total = max(partial, 1.0)
    for outcome, partial_sum in zip(listed, partial_sums, strict=True):
        if u < partial_sum / total:
            return outcome
    last = election.outcomes[-1]
    return last if last.is_rest else None


class _Decoupling:
    """The decoupling flags of one member (step 8): each sign's streak and whether it has been
    seen, the combination (``decoupled``) and the cohesion index."""

    def __init__(self, scenario: Scenario):
        d = scenario.decoupling
        if d.signs:
            self.signs = [(sign.id, sign.when, sign.for_steps) for sign in d.signs]
        else:
            self.signs = [(None, d.when, d.for_steps)]  # the older form: one sign
        combine = d.combine
        self.at_least = 1 if combine == "any" else combine.at_least
        self.index = d.index
        self.streaks = [0] * len(self.signs)
        self.seen = [False] * len(self.signs)
        self.index_streak = 0
        self.index_seen = False
        self.decoupled = False

    def names(self) -> list[str]:
        """The recorded flags: each named sign's, the index's, and ``decoupled``."""
        named = [f"decoupled.{ident}" for ident, _, _ in self.signs if ident is not None]
        return [*named, *(["decoupled.index"] if self.index is not None else []), "decoupled"]

    def update(self, v: Mapping[str, float], t: int) -> None:
        """Step ``t``'s test of every condition on the end-of-step values ``v``."""
        for k, (ident, when, for_steps) in enumerate(self.signs):
            section = "decoupling" if ident is None else "decoupling.signs"
            value = _finite(evaluate(when, v), t, section, ident or "", "when")
            self.streaks[k] = self.streaks[k] + 1 if _truth(value) else 0
            self.seen[k] = self.seen[k] or self.streaks[k] >= for_steps
        self.decoupled = self.decoupled or sum(self.seen) >= self.at_least
        if self.index is not None:
            holds = _truth(_finite(evaluate(self.index.when, v), t, "decoupling.index", "", "when"))
            self.index_streak = self.index_streak + 1 if holds else 0
            self.index_seen = self.index_seen or self.index_streak >= self.index.for_steps

    def values(self) -> dict[str, float]:
        """The flags now, as 0.0/1.0, by recorded name."""
        out = {
            f"decoupled.{ident}": _bool(seen)
            for (ident, _, _), seen in zip(self.signs, self.seen, strict=True)
            if ident is not None
        }
        if self.index is not None:
            out["decoupled.index"] = _bool(self.index_seen)
        out["decoupled"] = _bool(self.decoupled)
        return out


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
    stochastic event (occurrence, intensity), then two per action (act, consulted), then one per
    election, in file order. ``structure``: the account of each contested mechanism (``seed``,
    or ``mechanism=account,…``). Returns every recorded quantity's values for steps 0..H, the
    decoupling flags (``decoupled``, ``decoupled.<sign>``, ``decoupled.index``) as 0.0/1.0.
    """
    chosen = chosen_accounts(scenario, structure)
    meta = scenario.scenario
    horizon = meta.horizon
    clock = Clock(meta.start, meta.step, horizon)
    policies = _policies(scenario, policy)
    P = member_parameters(scenario, policy, unit)
    n_events, n_actions = len(scenario.events), len(scenario.actions)
    n_slots = 2 * n_events + 2 * n_actions + len(scenario.elections)
    if len(slots) < horizon or any(len(s) < n_slots for s in slots[:horizon]):
        raise ValueError(f"need {horizon} steps of {n_slots} slots")

    # what exists, how each movable quantity is bounded and responds, where positions relax to
    bounds = _ranges(scenario)
    responses = _responses(scenario)
    happenings = [
        *(e.id for e in scenario.events),
        *(s.id for s in scenario.schedule),
        *(a.id for a in scenario.actions),
        *(o.id for e in scenario.elections for o in e.outcomes),
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
    position_relaxation: dict[str, float] = {}
    for issue in scenario.issues:
        for actor, stance in issue.positions.items():
            own = f"issues.{issue.id}.positions.{actor}.relaxation"
            rate = P[own] if stance.relaxation is not None else P[f"issues.{issue.id}.relaxation"]
            position_relaxation[f"{actor}.{issue.id}"] = rate
    impulse = {rule.id: 0.0 for rule in scenario.rules if rule.fades is not None}
    elected_at = {e.id: clock.step_of(e.at) for e in scenario.elections}

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
            position = P[f"issues.{issue.id}.positions.{actor}.position"]
            v[f"position.{actor}.{issue.id}"] = position
            v[f"preference.{actor}.{issue.id}"] = position
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
        v[indicator.id] = _finite(
            evaluate(indicator.expr, v), 0, "indicators", indicator.id, "expr"
        )
    decoupling = _Decoupling(scenario)
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
    for name, flag in decoupling.values().items():
        out[name] = [flag]

    for t in range(1, horizon + 1):
        u = slots[t - 1]
        v["step"] = float(t)
        v["year"] = t / clock.per_year
        start = {name: v[name] for name in bounds}  # X₀

        # 1. scheduled events (then their effects, then their sets) and elections
        for ident in happenings:
            v[f"event.{ident}"] = 0.0
        for action in scenario.actions:
            v[f"consulted.{action.id}"] = 0.0
        held = [s for s in scenario.schedule if t in occurs_at[s.id]]
        for scheduled in held:
            v[f"event.{scheduled.id}"] = P[f"schedule.{scheduled.id}.intensity"]
            v[f"count.{scheduled.id}"] += 1.0
        for scheduled in held:
            _apply_effects(v, P, f"schedule.{scheduled.id}.", list(scheduled.effects))
        for scheduled in held:
            _apply_sets(v, P, start, f"schedule.{scheduled.id}.", list(scheduled.sets))
        for name, (low, high) in bounds.items():
            v[name] = min(max(v[name], low), high)
        for e, election in enumerate(scenario.elections):
            if elected_at[election.id] != t:
                continue
            outcome = election_outcome(election, P, u[2 * n_events + 2 * n_actions + e])
            if outcome is not None:
                v[f"event.{outcome.id}"] = 1.0
                v[f"count.{outcome.id}"] += 1.0
                stem = f"elections.{election.id}.outcomes.{outcome.id}."
                _apply_sets(v, P, start, stem, list(outcome.sets))

        # 2. stochastic events, in file order
        for k, event in enumerate(scenario.events):
            if isinstance(event.rate, ParsedExpression):
                rate = _finite(evaluate(event.rate, v), t, "events", event.id, "rate")
            else:
                rate = P[f"events.{event.id}.rate"]
            n = poisson_count(rate, u[2 * k])
            intensity = float(event.intensity.ppf(np.asarray([u[2 * k + 1]], dtype=np.float64))[0])
            v[f"event.{event.id}"] = n * intensity
            v[f"count.{event.id}"] += float(n)

        # 3. bargaining, issue by issue; the round's positions clipped to the issue's scale
        for issue in scenario.issues:
            actors = issue.participants
            positions, outcome = _bargain(
                issue.model,
                [v[f"position.{a}.{issue.id}"] for a in actors],
                [v[f"capability.{a}"] for a in actors],
                [v[f"salience.{a}.{issue.id}"] for a in actors],
                v[f"issue.{issue.id}.status_quo"],
            )
            _finite(outcome, t, "issues", issue.id, "model")
            for x in positions:
                _finite(x, t, "issues", issue.id, "model")
            for a, x in zip(actors, positions, strict=True):
                v[f"position.{a}.{issue.id}"] = min(max(x, 0.0), 100.0)
            v[f"issue.{issue.id}.outcome"] = outcome

        # 4. actions: decide all on the quantities as they are now, then effects, then sets
        decisions: list[tuple[str, bool]] = []
        base = 2 * n_events
        for j, action in enumerate(scenario.actions):
            may = not happened[action.id] or not action.once
            eligible = may and _truth(
                _finite(evaluate(action.when, v), t, "actions", action.id, "when")
            )
            happens = eligible and u[base + 2 * j] < P[f"actions.{action.id}.probability"]
            consulted = False
            if happens:
                value = evaluate(action.consulted, v)
                chance = min(max(_finite(value, t, "actions", action.id, "consulted"), 0.0), 1.0)
                consulted = u[base + 2 * j + 1] < chance
            decisions.append((action.id, consulted) if happens else ("", False))
        acted = []
        for action, (ident, consulted) in zip(scenario.actions, decisions, strict=True):
            if not ident:
                continue
            acted.append(action)
            happened[action.id] = True
            v[f"event.{action.id}"] = P[f"actions.{action.id}.intensity"]
            v[f"count.{action.id}"] += 1.0
            v[f"consulted.{action.id}"] = _bool(consulted)
            _apply_effects(v, P, f"actions.{action.id}.", list(action.effects))
        for action in acted:
            _apply_sets(v, P, start, f"actions.{action.id}.", list(action.sets))

        # 5. rules: every amount first (a fading rule's net of its impulse), then each target's
        #    sum (in rule order), saturating or linear, at once
        sums: dict[str, float] = {}
        first_rule: dict[str, str] = {}
        for rule in scenario.rules:
            if rule.account is not None:
                mechanism, account = rule.account.split(".")
                if chosen[mechanism] != account:
                    continue  # the rule of an account this structure does not choose
            driver = _finite(evaluate(rule.driver, v), t, "rules", rule.id, "driver")
            amount = P[f"rules.{rule.id}.weight"] * driver
            if rule.gate is not None:
                gate = _finite(evaluate(rule.gate, v), t, "rules", rule.id, "gate")
                amount = amount * gate
            _finite(amount, t, "rules", rule.id, "weight")  # weight · driver · gate
            if rule.fades is not None:
                amount = amount - P[f"rules.{rule.id}.fades"] * impulse[rule.id]
                impulse[rule.id] = impulse[rule.id] + amount
            sums[rule.target] = sums[rule.target] + amount if rule.target in sums else amount
            first_rule.setdefault(rule.target, rule.id)
        for target in bounds:  # their sums, in the order of the quantities
            if target in sums:
                _finite(sums[target], t, "rules", first_rule[target], "target")
        moves = {
            target: respond(total, start[target], *bounds[target], responses[target])
            for target, total in sums.items()
        }
        for target, move in moves.items():
            v[target] = v[target] + move

        # 6. relaxation: state variables toward their baselines, positions toward their
        #    standing preferences (from the start-of-step values); then clipping
        for state in scenario.state:
            relaxation = P[f"state.{state.id}.relaxation"]
            v[state.id] = v[state.id] - relaxation * (start[state.id] - baseline_of[state.id])
        for who, relaxation in position_relaxation.items():
            name = f"position.{who}"
            v[name] = v[name] - relaxation * (start[name] - v[f"preference.{who}"])
        for name, (low, high) in bounds.items():
            v[name] = min(max(v[name], low), high)

        # 7. indicators, in file order
        for indicator in scenario.indicators:
            v[indicator.id] = _finite(
                evaluate(indicator.expr, v), t, "indicators", indicator.id, "expr"
            )

        # 8. decoupling: the signs, their combination, the index
        decoupling.update(v, t)

        # 9. record
        for name in recorded:
            out[name].append(v[name])
        for name, flag in decoupling.values().items():
            out[name].append(flag)
    return out
