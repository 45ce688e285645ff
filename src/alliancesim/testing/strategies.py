"""Hypothesis strategies for random, valid scenarios of the alliance (as TOML text or loaded).

:func:`scenario_texts` draws a complete scenario file: 1–4 actors, 0–3 issues with random
participants, 1–5 state variables with random bounds, levers, named parameters, rules over random
targets with random drivers and gates, stochastic events (rate as an expression or a number,
intensities of all four kinds), scheduled events, actions, indicators (some reading earlier
ones), decoupling and policies that replace parameters (fixed or uncertain, including a fixed
number replaced by a distribution) and add scheduled occurrences. Values are biased towards edge
cases: zero saliences, zero rates, weights large enough to hit the bounds, divisions by zero and
logarithms of zero.

Expressions are random trees over the names the scenario defines: arithmetic, comparisons,
``and``/``or``/``not``, ``x if c else y``, ``min max clip abs exp log sqrt`` and ``**`` with small
literal exponents. They are kept (almost always) finite: ``exp`` only sees a clipped argument and
``**`` only a shallow base, because NaN has no defined semantics (``inf - inf``, ``0 * inf``).
Products of divisions by tiny numbers can still overflow to ±inf, rarely.

:func:`scenarios` loads the drawn text with :func:`alliancesim.scenario.load_scenario`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from alliancesim.scenario import toml_writer as toml
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.loader import load_scenario
from alliancesim.scenario.schema import Scenario

__all__ = ["expressions", "load_scenario_text", "numbers", "scenario_texts", "scenarios", "to_toml"]

ACTOR_IDS = ("USA", "ROK", "JPN", "DPRK")

Draw = Any  # hypothesis' draw function


# --------------------------------------------------------------------------------------------
# TOML


def to_toml(document: dict[str, Any]) -> str:
    """A scenario document (tables and arrays of tables of plain values) as TOML text."""
    blocks = [
        toml.table(section, entry, array=isinstance(body, list))
        for section, body in document.items()
        for entry in (body if isinstance(body, list) else [body])
    ]
    return toml.document(*blocks)


def load_scenario_text(text: str) -> Scenario:
    """Load a scenario from TOML text (through a temporary file, as a user's file would be)."""
    with tempfile.TemporaryDirectory(prefix="alliancesim-") as tmp:
        path = Path(tmp) / "scenario.toml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


# --------------------------------------------------------------------------------------------
# numbers


@lru_cache(maxsize=512)
def _floats(low: float, high: float, edges: tuple[float, ...] = ()) -> st.SearchStrategy[float]:
    specials = sorted({x for x in (low, high, 0.0, 1.0, *edges) if low <= x <= high})
    return st.one_of(
        st.sampled_from(specials),
        st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False),
    )


_KINDS = st.sampled_from(["fixed", "fixed", "uniform", "triangular", "normal"])
_SPREADS = st.sampled_from([0.05, 0.2, 0.5, 1.0])


def _number(
    draw: Draw, low: float, high: float, bounded: bool = True, edges: tuple[float, ...] = ()
) -> float | dict[str, Any]:
    value = _floats(low, high, edges)
    kind = "fixed" if low == high else draw(_KINDS)
    if kind == "fixed":
        return draw(value)
    if kind == "uniform":
        a, b = sorted((draw(value), draw(value)))
        return {"low": a, "high": b}
    if kind == "triangular":
        a, m, b = sorted((draw(value), draw(value), draw(value)))
        return {"dist": "triangular", "low": a, "mode": m, "high": b}
    mean = draw(value)
    sd = (high - low) * draw(_SPREADS)
    out: dict[str, Any] = {"dist": "normal", "mean": mean, "sd": sd}
    if bounded or draw(st.booleans()):
        out["low"] = low
    if bounded or draw(st.booleans()):
        out["high"] = high
    return out


@st.composite
def _numbers(
    draw: Draw, low: float, high: float, bounded: bool, edges: tuple[float, ...]
) -> float | dict[str, Any]:
    return _number(draw, low, high, bounded, edges)


def numbers(
    low: float, high: float, *, bounded: bool = True, edges: Sequence[float] = ()
) -> st.SearchStrategy[float | dict[str, Any]]:
    """A number as written in a scenario: fixed, uniform, triangular or normal (TOML value).

    Its support lies inside [low, high], except that a normal may be left untruncated on either
    side when ``bounded`` is false (for weights, effects and named parameters). ``edges`` are
    values to try often besides low, high, 0 and 1.
    """
    return _numbers(low, high, bounded, tuple(edges))


# --------------------------------------------------------------------------------------------
# expressions


def _literal(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if text.startswith("-") else text


_LITERALS = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5, 2.0, -1.0, 50.0, 100.0, 1e-3]),
    st.floats(-10.0, 10.0, allow_nan=False, allow_subnormal=False),
)
_STOP = st.integers(0, 3)
_NODES = st.sampled_from(
    [
        "arith",
        "arith",
        "arith",
        "div",
        "compare",
        "bool",
        "not",
        "if",
        "minmax",
        "clip",
        "abs",
        "exp",
        "log",
        "sqrt",
        "pow",
    ]
)
_ARITHMETIC = st.sampled_from(["+", "-", "*"])
_COMPARISONS = st.lists(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), min_size=1, max_size=2)
_CONNECTIVES = st.sampled_from(["and", "or"])
_EXTREMA = st.sampled_from(["min", "max"])
_ARITY = st.integers(2, 3)
_EXPONENTS = st.sampled_from([0, 1, 2, 3, 0.5])
_CONDITIONS = st.sampled_from(["none", "random", "reacting"])
_REACTIONS = st.sampled_from(["<", ">", "==", "!="])


@lru_cache(maxsize=256)
def _leaves(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A name or a literal; what happens (events, counts, consultation) is read more often, so
    that the order of events, actions and rules within a step matters in many scenarios."""
    literals = _LITERALS.map(_literal)
    if not names:
        return literals
    happenings = tuple(n for n in names if n.startswith(("event.", "count.", "consulted.")))
    if not happenings:
        return st.one_of(st.sampled_from(names), literals)
    return st.one_of(st.sampled_from(names), st.sampled_from(happenings), literals)


def _expression(draw: Draw, names: tuple[str, ...], depth: int) -> str:
    """A random expression over ``names``, fully parenthesised, at most ``depth`` deep."""
    if depth <= 0 or draw(_STOP) == 0:
        return draw(_leaves(names))

    def sub() -> str:
        return _expression(draw, names, depth - 1)

    kind = draw(_NODES)
    if kind == "arith":
        return f"({sub()} {draw(_ARITHMETIC)} {sub()})"
    if kind == "div":
        return f"({sub()} / {sub()})"
    if kind == "compare":
        text = sub()
        for op in draw(_COMPARISONS):
            text += f" {op} {sub()}"
        return f"({text})"
    if kind == "bool":
        op = draw(_CONNECTIVES)
        return "(" + f" {op} ".join(sub() for _ in range(draw(_ARITY))) + ")"
    if kind == "not":
        return f"(not {sub()})"
    if kind == "if":
        return f"({sub()} if {sub()} else {sub()})"
    if kind == "minmax":
        fn = draw(_EXTREMA)
        return f"{fn}({', '.join(sub() for _ in range(draw(_ARITY)))})"
    if kind == "clip":
        low, high = sorted((draw(_LITERALS), draw(_LITERALS)))
        return f"clip({sub()}, {_literal(low)}, {_literal(high)})"
    if kind in ("abs", "log", "sqrt"):
        return f"{kind}({sub()})"
    if kind == "exp":  # a clipped argument keeps every value finite
        return f"exp(clip({sub()}, -30.0, 30.0))"
    base = _expression(draw, names, min(depth - 1, 1))  # a shallow base keeps powers finite
    exponent = draw(_EXPONENTS)
    if exponent == 0.5:
        return f"(abs({base}) ** 0.5)"
    return f"({base} ** {exponent})"


@st.composite
def _expressions(draw: Draw, names: tuple[str, ...], depth: int) -> str:
    return _expression(draw, names, depth)


def expressions(names: Sequence[str], depth: int = 3) -> st.SearchStrategy[str]:
    """Random expressions (as text) reading ``names``, nested at most ``depth`` deep."""
    return _expressions(tuple(sorted(names)), depth)


# --------------------------------------------------------------------------------------------
# scenarios


@dataclass
class _Plan:
    """What the drawn scenario declares so far: names and the range of each parameter."""

    actors: list[str] = field(default_factory=list)
    movable: list[str] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    parameters: dict[str, tuple[float, float, bool]] = field(default_factory=dict)
    scheduled: list[str] = field(default_factory=list)


def _periods(start_year: int, index: int, step: str, horizon: int) -> tuple[str, list[str]]:
    start = f"{start_year}Q{index + 1}" if step == "quarter" else f"{start_year}-{index + 1:02d}"
    clock = Clock(start, step, horizon)
    return start, [clock.label(t) for t in range(1, horizon + 1)]


@st.composite
def scenario_texts(
    draw: Draw,
    *,
    models: Sequence[str] = ("compromise",),
    max_horizon: int = 12,
    max_depth: int = 3,
) -> str:
    """A random valid scenario as TOML text; issues use one of ``models`` for bargaining."""
    plan = _Plan()
    doc: dict[str, Any] = {}
    step = draw(st.sampled_from(["quarter", "month"]))
    horizon = draw(st.integers(1, max_horizon))
    start, periods = _periods(
        draw(st.integers(2020, 2030)),
        draw(st.integers(0, 3 if step == "quarter" else 11)),
        step,
        horizon,
    )
    doc["scenario"] = {
        "id": "generated",
        "title": "a generated scenario",
        "start": start,
        "step": step,
        "horizon": horizon,
    }

    # actors, levers, parameters
    n_actors = draw(st.integers(1, 4))
    plan.actors = list(ACTOR_IDS[:n_actors])
    doc["actors"] = []
    for actor in plan.actors:
        doc["actors"].append(
            {"id": actor, "name": f"actor {actor}", "capability": _number(draw, 0.5, 100.0)}
        )
        plan.parameters[f"actors.{actor}.capability"] = (0.5, 100.0, True)
        plan.readable.append(f"capability.{actor}")
    doc["levers"] = []
    for k in range(draw(st.integers(0, 2))):
        doc["levers"].append({"id": f"lever{k}", "value": _number(draw, -1.0, 2.0, bounded=False)})
        plan.parameters[f"policy.lever{k}"] = (-1.0, 2.0, False)
        plan.readable.append(f"policy.lever{k}")
    doc["parameters"] = []
    for k in range(draw(st.integers(0, 2))):
        doc["parameters"].append(
            {"id": f"param{k}", "value": _number(draw, -5.0, 5.0, bounded=False)}
        )
        plan.parameters[f"param.param{k}"] = (-5.0, 5.0, False)
        plan.readable.append(f"param.param{k}")

    # issues
    doc["issues"] = []
    for k in range(draw(st.integers(0, 3))):
        issue = f"iss{k}"
        participants = draw(st.permutations(plan.actors))[: draw(st.integers(1, n_actors))]
        positions = {}
        for actor in participants:
            positions[actor] = {
                "position": _number(draw, 0.0, 100.0, edges=(50.0,)),
                "salience": _number(draw, 0.0, 1.0, edges=(0.0,)),
            }
            plan.parameters[f"issues.{issue}.positions.{actor}.position"] = (0.0, 100.0, True)
            plan.parameters[f"issues.{issue}.positions.{actor}.salience"] = (0.0, 1.0, True)
            plan.movable += [f"position.{actor}.{issue}", f"salience.{actor}.{issue}"]
        doc["issues"].append(
            {
                "id": issue,
                "label": f"issue {k}",
                "ends": ["none", "all"],
                "status_quo": _number(draw, 0.0, 100.0),
                "model": draw(st.sampled_from(list(models))),
                "positions": positions,
            }
        )
        plan.parameters[f"issues.{issue}.status_quo"] = (0.0, 100.0, True)
        plan.movable.append(f"issue.{issue}.status_quo")
        plan.readable.append(f"issue.{issue}.outcome")

    # state variables
    doc["state"] = []
    for k in range(draw(st.integers(1, 5))):
        owners = draw(st.lists(st.sampled_from(plan.actors), min_size=1, max_size=2))
        ident = f"st{k}." + ".".join(owners)
        bounds = draw(st.sampled_from([None, (0.0, 1.0), (-1.0, 1.0), (0.0, 10.0), (-5.0, 0.5)]))
        low, high = bounds or (0.0, 1.0)
        entry: dict[str, Any] = {"id": ident, "initial": _number(draw, low, high)}
        if bounds is not None:
            entry["bounds"] = list(bounds)
        plan.parameters[f"state.{ident}.initial"] = (low, high, True)
        if draw(st.booleans()):
            entry["baseline"] = _number(draw, low, high)
            plan.parameters[f"state.{ident}.baseline"] = (low, high, True)
        if draw(st.integers(0, 3)):
            entry["relaxation"] = _number(draw, 0.0, 1.0, edges=(0.1,))
        plan.parameters[f"state.{ident}.relaxation"] = (0.0, 1.0, True)
        doc["state"].append(entry)
        plan.movable.append(ident)

    # happenings: ids first (expressions may read any of them)
    n_events = draw(st.integers(0, 2))
    n_scheduled = draw(st.integers(0, 2))
    n_actions = draw(st.integers(0, 3))
    n_indicators = draw(st.integers(0, 3))
    events = [f"ev{k}" for k in range(n_events)]
    plan.scheduled = [f"sch{k}" for k in range(n_scheduled)]
    actions = [f"act{k}" for k in range(n_actions)]
    indicators = [f"ind{k}" for k in range(n_indicators)]
    for ident in [*events, *plan.scheduled, *actions]:
        plan.readable += [f"event.{ident}", f"count.{ident}"]
    plan.readable += [f"consulted.{a}" for a in actions]
    plan.readable += ["step", "year"]
    mechanisms = _mechanism_shapes(draw)
    plan.readable += [f"structure.{m}.{a}" for m, accounts in mechanisms for a in accounts]
    everything = [*plan.movable, *plan.readable, *indicators]

    everything_names = tuple(sorted(everything))

    def expression() -> str:
        return _expression(draw, everything_names, max_depth)

    doc["rules"] = []
    for k in range(draw(st.integers(0, 6))):
        target = draw(st.sampled_from(plan.movable))
        scale = 50.0 if target.startswith(("position.", "issue.")) else 2.0
        rule: dict[str, Any] = {
            "id": f"rule{k}",
            "target": target,
            "driver": expression(),
            "weight": _number(draw, -scale, scale, bounded=False, edges=(scale / 10,)),
        }
        if draw(st.booleans()):
            rule["gate"] = expression()
        plan.parameters[f"rules.rule{k}.weight"] = (-scale, scale, False)
        doc["rules"].append(rule)
    doc["mechanisms"] = _mechanisms(draw, mechanisms, doc["rules"], plan, expression)

    doc["events"] = []
    for ident in events:
        entry = {"id": ident, "actor": draw(st.sampled_from(plan.actors))}
        if draw(st.booleans()):
            entry["rate"] = expression()
        else:
            entry["rate"] = _number(draw, 0.0, 60.0, edges=(0.0, 0.5, 2.0))
            plan.parameters[f"events.{ident}.rate"] = (0.0, 60.0, True)
        if draw(st.booleans()):
            entry["intensity"] = _number(draw, 0.0, 3.0)
        doc["events"].append(entry)

    doc["schedule"] = []
    for ident in plan.scheduled:
        entry = {"id": ident, "at": draw(st.lists(st.sampled_from(periods), max_size=3))}
        if draw(st.booleans()):
            entry["intensity"] = _number(draw, 0.0, 3.0)
        plan.parameters[f"schedule.{ident}.intensity"] = (0.0, 3.0, True)
        doc["schedule"].append(entry)

    doc["actions"] = []
    acted: list[str] = []  # what earlier actions write: their event, consultation, targets
    for ident in actions:
        entry = {
            "id": ident,
            "actor": draw(st.sampled_from(plan.actors)),
            "probability": _number(draw, 0.0, 1.0, edges=(0.5,)),
        }
        plan.parameters[f"actions.{ident}.probability"] = (0.0, 1.0, True)
        condition = draw(_CONDITIONS)
        if condition == "random":
            entry["when"] = expression()
        elif condition == "reacting" and acted:
            # reads what an earlier action of the same step writes: all actions must decide
            # before any of them acts
            name = draw(st.sampled_from(acted))
            entry["when"] = f"({name} {draw(_REACTIONS)} {_literal(draw(_LITERALS))})"
        acted += [f"event.{ident}", f"consulted.{ident}"]
        if draw(st.booleans()):
            entry["once"] = draw(st.booleans())
        if draw(st.booleans()):
            entry["intensity"] = _number(draw, 0.0, 3.0)
        plan.parameters[f"actions.{ident}.intensity"] = (0.0, 3.0, True)
        effects = {}
        for target in draw(st.lists(st.sampled_from(plan.movable), max_size=2, unique=True)):
            scale = 50.0 if target.startswith(("position.", "issue.")) else 2.0
            effects[target] = _number(draw, -scale, scale, bounded=False)
            plan.parameters[f"actions.{ident}.effects.{target}"] = (-scale, scale, False)
        if effects:
            entry["effects"] = effects
            acted += list(effects)
        if draw(st.booleans()):
            entry["consulted"] = expression()
        doc["actions"].append(entry)

    doc["indicators"] = []
    for k, ident in enumerate(indicators):
        names = [*plan.movable, *plan.readable, *indicators[:k]]
        expr = _expression(draw, tuple(sorted(names)), max_depth)
        doc["indicators"].append({"id": ident, "expr": expr})

    # policies: replacements within each parameter's range, disjoint between policies
    doc["policies"] = []
    taken: set[str] = set()
    for k in range(draw(st.integers(0, 2))):
        free = sorted(set(plan.parameters) - taken)
        chosen = draw(st.lists(st.sampled_from(free), max_size=3, unique=True)) if free else []
        taken.update(chosen)
        replaced = {}
        for name in chosen:
            low, high, bounded = plan.parameters[name]
            replaced[name] = _number(draw, low, high, bounded=bounded)
        policy: dict[str, Any] = {"id": f"policy{k}", "label": f"policy {k}", "set": replaced}
        if plan.scheduled:
            policy["schedule"] = [
                {
                    "event": draw(st.sampled_from(plan.scheduled)),
                    "at": draw(st.sampled_from(periods)),
                }
                for _ in range(draw(st.integers(0, 2)))
            ]
        doc["policies"].append(policy)

    doc["decoupling"] = {"when": expression(), "for_steps": draw(st.integers(1, 3))}
    return to_toml({key: value for key, value in doc.items() if value != []})


_ACCOUNTS = st.integers(2, 3)
_MECHANISMS = st.integers(0, 2)
_ACCOUNT_RULES = st.integers(0, 2)


def _mechanism_shapes(draw: Draw) -> list[tuple[str, list[str]]]:
    """Ids of 0–2 contested mechanisms, each with 2–3 accounts."""
    return [
        (f"mech{k}", [f"acc{j}" for j in range(draw(_ACCOUNTS))]) for k in range(draw(_MECHANISMS))
    ]


def _mechanisms(
    draw: Draw,
    shapes: list[tuple[str, list[str]]],
    rules: list[dict[str, Any]],
    plan: _Plan,
    expression: Any,
) -> list[dict[str, Any]]:
    """The mechanisms' entries (priors stated or not), and the rules each account brings
    (appended to ``rules``, marked with their account)."""
    out = []
    for mechanism, accounts in shapes:
        priors = draw(st.booleans())
        entries = []
        for account in accounts:
            entry: dict[str, Any] = {
                "id": account,
                "label": f"account {account}",
                "source": "assumption: generated",
            }
            if priors:
                entry["prior"] = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
            entries.append(entry)
            for k in range(draw(_ACCOUNT_RULES)):
                ident = f"{mechanism}_{account}_rule{k}"
                target = draw(st.sampled_from(plan.movable))
                scale = 50.0 if target.startswith(("position.", "issue.")) else 2.0
                rule: dict[str, Any] = {
                    "id": ident,
                    "target": target,
                    "driver": expression(),
                    "weight": _number(draw, -scale, scale, bounded=False, edges=(scale / 10,)),
                    "account": f"{mechanism}.{account}",
                }
                if draw(st.booleans()):
                    rule["gate"] = expression()
                plan.parameters[f"rules.{ident}.weight"] = (-scale, scale, False)
                rules.append(rule)
        out.append(
            {
                "id": mechanism,
                "label": f"mechanism {mechanism}",
                "question": "which account holds?",
                "source": "assumption: generated",
                "accounts": entries,
            }
        )
    return out


def scenarios(
    *, models: Sequence[str] = ("compromise",), max_horizon: int = 12, max_depth: int = 3
) -> st.SearchStrategy[Scenario]:
    """Random valid scenarios, loaded and checked (see :func:`scenario_texts`)."""
    return scenario_texts(models=models, max_horizon=max_horizon, max_depth=max_depth).map(
        load_scenario_text
    )
