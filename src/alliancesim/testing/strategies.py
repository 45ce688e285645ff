"""Hypothesis strategies for random, valid scenarios of the alliance (as TOML text or loaded).

:func:`scenario_texts` draws a complete scenario file: 1–4 actors, 0–3 issues with random
participants (positions relaxing toward standing preferences at the issue's or the stance's
rate), 1–5 state variables with random bounds, saturating or linear responses, levers, named
parameters, rules over random targets with random drivers and gates (some fading), stochastic
events (rate as an expression or a number, intensities of all four kinds), scheduled events
(with effects and set-effects), actions (with effects and set-effects on quantities,
preferences, parameters and levers), elections with one to three outcomes (the last one
perhaps ``rest``), indicators (some reading earlier ones), decoupling (one condition, or signs
combined by ``any`` or ``at_least`` and perhaps a cohesion index) and policies that replace
parameters (fixed or uncertain, including a fixed number replaced by a distribution) and add
scheduled occurrences. Values are biased towards edge
cases: zero saliences, zero rates, weights large enough to hit the bounds, divisions by zero and
logarithms of zero.

Expressions are random trees over the names the scenario defines: arithmetic, comparisons,
``and``/``or``/``not``, ``x if c else y``, ``min max clip abs exp log sqrt`` and ``**`` with small
literal exponents (whole, fractional and negative). They are kept (almost always) finite: ``exp``
only sees a clipped argument, ``**`` only a shallow base, and a negative power only a base of at
least 1e-3 in size (or 0), because a value that is not finite stops a run. Products of
divisions by tiny numbers can still overflow to ±inf, rarely: engine and oracle must then stop
at the same step, entry and field.

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
_EXPONENTS = st.sampled_from([0, 1, 2, 3, 0.5, 1.5, -1, -2])
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
    if exponent == 0.5 and draw(st.booleans()):
        return f"(abs({base}) ** 0.5)"
    if exponent < 0:  # a base near 0 reads as 0 (whose negative power is 0), else ≥ 1e-3 in size
        base = f"({base} if abs({base}) >= 0.001 else 0.0)"
    return f"({base} ** {_literal(exponent)})"


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
    ranges: dict[str, tuple[float, float, bool]] = field(default_factory=dict)
    """What a set-effect may set, with the range of its values (and whether bounded)."""


def _periods(start_year: int, index: int, step: str, horizon: int) -> tuple[str, list[str]]:
    start = f"{start_year}Q{index + 1}" if step == "quarter" else f"{start_year}-{index + 1:02d}"
    clock = Clock(start, step, horizon)
    return start, [clock.label(t) for t in range(1, horizon + 1)]


_RESPONSES = st.sampled_from(["default", "default", "saturating", "linear"])
_WHY = "assumption: generated"


def _scale(target: str) -> float:
    """How large a push or effect on ``target`` is drawn (positions and status quos move on
    0–100)."""
    return 50.0 if target.startswith(("position.", "issue.")) else 2.0


class _Drawer:
    """Draws one scenario, section by section, into ``doc`` (see :func:`scenario_texts`)."""

    def __init__(self, draw: Draw, models: Sequence[str], constructs: bool, linear: bool | None):
        self.draw = draw
        self.models = models
        self.constructs = constructs
        self.linear = linear
        self.plan = _Plan()
        self.doc: dict[str, Any] = {}
        self.periods: list[str] = []
        self.names: tuple[str, ...] = ()
        self.depth = 3
        self.shapes: list[tuple[str, list[str]]] = []  # contested mechanisms and their accounts

    def expression(self) -> str:
        return _expression(self.draw, self.names, self.depth)

    def response(
        self, entry: dict[str, Any], field: str = "response", sourced: bool = False
    ) -> None:
        """A response written into ``entry``: ``linear`` everywhere (``linear=True``), never
        (``linear=False``, or without the new constructs), else drawn (or left to its default).
        A state variable's ``linear`` comes with its source (``sourced``)."""
        if self.linear is True:
            choice = "linear"
        elif self.linear is False or not self.constructs:
            return
        else:
            choice = self.draw(_RESPONSES)
            if choice == "default":
                return
        entry[field] = choice
        if sourced and choice == "linear":
            entry.setdefault("sources", {})[field] = _WHY

    def clock(self, max_horizon: int) -> None:
        draw = self.draw
        step = draw(st.sampled_from(["quarter", "month"]))
        horizon = draw(st.integers(1, max_horizon))
        start, self.periods = _periods(
            draw(st.integers(2020, 2030)),
            draw(st.integers(0, 3 if step == "quarter" else 11)),
            step,
            horizon,
        )
        self.doc["scenario"] = {
            "id": "generated",
            "title": "a generated scenario",
            "start": start,
            "step": step,
            "horizon": horizon,
        }

    def actors_levers_parameters(self) -> None:
        draw, plan, doc = self.draw, self.plan, self.doc
        n_actors = draw(st.integers(1, 4))
        plan.actors = list(ACTOR_IDS[:n_actors])
        doc["actors"] = []
        for actor in plan.actors:
            doc["actors"].append(
                {"id": actor, "name": f"actor {actor}", "capability": _number(draw, 0.5, 100.0)}
            )
            plan.parameters[f"actors.{actor}.capability"] = (0.5, 100.0, True)
            plan.readable.append(f"capability.{actor}")
        self.free_numbers("levers", "policy.lever", -1.0, 2.0)
        self.free_numbers("parameters", "param.param", -5.0, 5.0)

    def free_numbers(self, section: str, stem: str, low: float, high: float) -> None:
        """Zero to two entries of ``section`` (levers or parameters: an id and a value), each
        read as ``<stem><k>``, its value inside [low, high] but for a normal's untruncated side;
        a set-effect may set it to any value in [low, high]."""
        draw, plan = self.draw, self.plan
        self.doc[section] = []
        for k in range(draw(st.integers(0, 2))):
            value = _number(draw, low, high, bounded=False)
            name = f"{stem}{k}"
            self.doc[section].append({"id": name.split(".")[1], "value": value})
            plan.parameters[name] = (low, high, False)
            plan.ranges[name] = (low, high, False)
            plan.readable.append(name)

    def issues(self) -> None:
        draw, plan = self.draw, self.plan
        self.doc["issues"] = []
        for k in range(draw(st.integers(0, 3))):
            issue = f"iss{k}"
            stem = f"issues.{issue}."
            participants = draw(st.permutations(plan.actors))[
                : draw(st.integers(1, len(plan.actors)))
            ]
            positions = {}
            for actor in participants:
                stance: dict[str, Any] = {
                    "position": _number(draw, 0.0, 100.0, edges=(50.0,)),
                    "salience": _number(draw, 0.0, 1.0, edges=(0.0,)),
                }
                plan.parameters[f"{stem}positions.{actor}.position"] = (0.0, 100.0, True)
                plan.parameters[f"{stem}positions.{actor}.salience"] = (0.0, 1.0, True)
                if self.constructs and draw(st.integers(0, 3)) == 0:
                    stance["relaxation"] = _number(draw, 0.0, 1.0, edges=(0.1,))
                    plan.parameters[f"{stem}positions.{actor}.relaxation"] = (0.0, 1.0, True)
                positions[actor] = stance
                plan.movable += [f"position.{actor}.{issue}", f"salience.{actor}.{issue}"]
                if self.constructs:
                    plan.readable.append(f"preference.{actor}.{issue}")
                for kind, high in (("position", 100.0), ("preference", 100.0), ("salience", 1.0)):
                    plan.ranges[f"{kind}.{actor}.{issue}"] = (0.0, high, True)
            entry: dict[str, Any] = {
                "id": issue,
                "label": f"issue {k}",
                "ends": ["none", "all"],
                "status_quo": _number(draw, 0.0, 100.0),
                "model": draw(st.sampled_from(list(self.models))),
            }
            if self.constructs:
                if draw(st.booleans()):
                    entry["relaxation"] = _number(draw, 0.0, 1.0, edges=(0.1,))
                plan.parameters[f"{stem}relaxation"] = (0.0, 1.0, True)
            self.response(entry)
            self.response(entry, "status_quo_response")
            entry["positions"] = positions
            self.doc["issues"].append(entry)
            plan.parameters[f"{stem}status_quo"] = (0.0, 100.0, True)
            plan.movable.append(f"issue.{issue}.status_quo")
            plan.ranges[f"issue.{issue}.status_quo"] = (0.0, 100.0, True)
            plan.readable.append(f"issue.{issue}.outcome")

    def state(self) -> None:
        draw, plan = self.draw, self.plan
        self.doc["state"] = []
        for k in range(draw(st.integers(1, 5))):
            owners = draw(st.lists(st.sampled_from(plan.actors), min_size=1, max_size=2))
            ident = f"st{k}." + ".".join(owners)
            bounds = draw(
                st.sampled_from([None, (0.0, 1.0), (-1.0, 1.0), (0.0, 10.0), (-5.0, 0.5)])
            )
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
            self.response(entry, sourced=True)
            if self.constructs and draw(st.integers(0, 5)) == 0:
                entry["at_bound"] = True
                entry.setdefault("sources", {})["at_bound"] = _WHY
            self.doc["state"].append(entry)
            plan.movable.append(ident)
            plan.ranges[ident] = (low, high, True)

    def happenings(self) -> tuple[list[str], list[str], list[str], list[tuple[str, list[str]]]]:
        """Ids of events, actions, indicators and elections (with their outcomes), declared
        before any expression is drawn: expressions may read any of them."""
        draw, plan = self.draw, self.plan
        events = [f"ev{k}" for k in range(draw(st.integers(0, 2)))]
        plan.scheduled = [f"sch{k}" for k in range(draw(st.integers(0, 2)))]
        actions = [f"act{k}" for k in range(draw(st.integers(0, 3)))]
        indicators = [f"ind{k}" for k in range(draw(st.integers(0, 3)))]
        elections = []
        if self.constructs:
            for e in range(draw(st.integers(0, 2))):
                outcomes = [f"win{e}_{k}" for k in range(draw(st.integers(1, 3)))]
                elections.append((f"vote{e}", outcomes))
        outcomes = [o for _, os in elections for o in os]
        for ident in [*events, *plan.scheduled, *actions, *outcomes]:
            plan.readable += [f"event.{ident}", f"count.{ident}"]
        plan.readable += [f"consulted.{a}" for a in actions]
        plan.readable += ["step", "year"]
        if self.constructs:
            self.shapes = _mechanism_shapes(draw)
            plan.readable += [f"structure.{m}.{a}" for m, accounts in self.shapes for a in accounts]
        self.names = tuple(sorted([*plan.movable, *plan.readable, *indicators]))
        return events, actions, indicators, elections

    def rules(self) -> None:
        draw, plan = self.draw, self.plan
        self.doc["rules"] = []
        for k in range(draw(st.integers(0, 6))):
            target = draw(st.sampled_from(plan.movable))
            scale = _scale(target)
            rule: dict[str, Any] = {
                "id": f"rule{k}",
                "target": target,
                "driver": self.expression(),
                "weight": _number(draw, -scale, scale, bounded=False, edges=(scale / 10,)),
            }
            if draw(st.booleans()):
                rule["gate"] = self.expression()
            plan.parameters[f"rules.rule{k}.weight"] = (-scale, scale, False)
            self.fades(rule, f"rule{k}")
            self.doc["rules"].append(rule)

    def fades(self, rule: dict[str, Any], ident: str) -> None:
        """Perhaps make the rule transient (``fades``), one rule in three."""
        if self.constructs and self.draw(st.integers(0, 2)) == 0:
            rule["fades"] = _number(self.draw, 0.01, 1.0, edges=(0.5,))
            self.plan.parameters[f"rules.{ident}.fades"] = (0.01, 1.0, True)

    def mechanisms(self) -> None:
        """The contested mechanisms (priors stated or not), and the rules each account brings
        (appended to the rules, marked with their account; some fade)."""
        draw, plan = self.draw, self.plan
        self.doc["mechanisms"] = []
        for mechanism, accounts in self.shapes:
            priors = draw(st.booleans())
            entries = []
            for account in accounts:
                entry: dict[str, Any] = {
                    "id": account,
                    "label": f"account {account}",
                    "source": _WHY,
                }
                if priors:
                    entry["prior"] = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
                entries.append(entry)
                for k in range(draw(_ACCOUNT_RULES)):
                    ident = f"{mechanism}_{account}_rule{k}"
                    target = draw(st.sampled_from(plan.movable))
                    scale = _scale(target)
                    rule: dict[str, Any] = {
                        "id": ident,
                        "target": target,
                        "driver": self.expression(),
                        "weight": _number(draw, -scale, scale, bounded=False, edges=(scale / 10,)),
                        "account": f"{mechanism}.{account}",
                    }
                    if draw(st.booleans()):
                        rule["gate"] = self.expression()
                    plan.parameters[f"rules.{ident}.weight"] = (-scale, scale, False)
                    self.fades(rule, ident)
                    self.doc["rules"].append(rule)
            self.doc["mechanisms"].append(
                {
                    "id": mechanism,
                    "label": f"mechanism {mechanism}",
                    "question": "which account holds?",
                    "source": _WHY,
                    "accounts": entries,
                }
            )

    def events(self, events: list[str]) -> None:
        draw, plan = self.draw, self.plan
        self.doc["events"] = []
        for ident in events:
            entry = {"id": ident, "actor": draw(st.sampled_from(plan.actors))}
            if draw(st.booleans()):
                entry["rate"] = self.expression()
            else:
                entry["rate"] = _number(draw, 0.0, 60.0, edges=(0.0, 0.5, 2.0))
                plan.parameters[f"events.{ident}.rate"] = (0.0, 60.0, True)
            if draw(st.booleans()):
                entry["intensity"] = _number(draw, 0.0, 3.0)
            self.doc["events"].append(entry)

    def effects(self, entry: dict[str, Any], stem: str) -> list[str]:
        """Effects (adds) on movable quantities, written into ``entry``; their targets."""
        effects = {}
        for target in self.draw(
            st.lists(st.sampled_from(self.plan.movable), max_size=2, unique=True)
        ):
            scale = _scale(target)
            effects[target] = _number(self.draw, -scale, scale, bounded=False)
            self.plan.parameters[f"{stem}effects.{target}"] = (-scale, scale, False)
        if effects:
            entry["effects"] = effects
        return list(effects)

    def sets(self, entry: dict[str, Any], stem: str, most: int = 2) -> list[str]:
        """Set-effects (on anything settable), written into ``entry``; their targets."""
        if not self.constructs:
            return []
        settable = sorted(self.plan.ranges)
        chosen = self.draw(st.lists(st.sampled_from(settable), max_size=most, unique=True))
        sets = {}
        for target in chosen:
            low, high, bounded = self.plan.ranges[target]
            sets[target] = _number(self.draw, low, high, bounded=bounded)
            self.plan.parameters[f"{stem}sets.{target}"] = (low, high, bounded)
        if sets:
            entry["sets"] = sets
        return chosen

    def schedule(self) -> None:
        draw, plan = self.draw, self.plan
        self.doc["schedule"] = []
        for ident in plan.scheduled:
            entry = {"id": ident, "at": draw(st.lists(st.sampled_from(self.periods), max_size=3))}
            if draw(st.booleans()):
                entry["intensity"] = _number(draw, 0.0, 3.0)
            plan.parameters[f"schedule.{ident}.intensity"] = (0.0, 3.0, True)
            if self.constructs:
                self.effects(entry, f"schedule.{ident}.")
            self.sets(entry, f"schedule.{ident}.")
            self.doc["schedule"].append(entry)

    def actions(self, actions: list[str]) -> None:
        draw, plan = self.draw, self.plan
        self.doc["actions"] = []
        acted: list[str] = []  # what earlier actions write: their event, consultation, targets
        for ident in actions:
            stem = f"actions.{ident}."
            entry = {
                "id": ident,
                "actor": draw(st.sampled_from(plan.actors)),
                "probability": _number(draw, 0.0, 1.0, edges=(0.5,)),
            }
            plan.parameters[f"{stem}probability"] = (0.0, 1.0, True)
            condition = draw(_CONDITIONS)
            if condition == "random":
                entry["when"] = self.expression()
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
            plan.parameters[f"{stem}intensity"] = (0.0, 3.0, True)
            acted += self.effects(entry, stem)
            acted += [t for t in self.sets(entry, stem) if t in plan.movable]
            if draw(st.booleans()):
                entry["consulted"] = self.expression()
            self.doc["actions"].append(entry)

    def elections(self, elections: list[tuple[str, list[str]]]) -> None:
        draw = self.draw
        self.doc["elections"] = []
        for ident, outcomes in elections:
            written = []
            for k, outcome in enumerate(outcomes):
                stem = f"elections.{ident}.outcomes.{outcome}."
                entry: dict[str, Any] = {"id": outcome}
                if k == len(outcomes) - 1 and draw(st.booleans()):
                    entry["probability"] = "rest"
                else:
                    entry["probability"] = _number(draw, 0.0, 1.0, edges=(0.5,))
                    self.plan.parameters[f"{stem}probability"] = (0.0, 1.0, True)
                self.sets(entry, stem, most=3)
                written.append(entry)
            self.doc["elections"].append(
                {
                    "id": ident,
                    "country": draw(st.sampled_from(self.plan.actors)),
                    "at": draw(st.sampled_from(self.periods)),
                    "outcomes": written,
                }
            )

    def indicators(self, indicators: list[str]) -> None:
        plan = self.plan
        self.doc["indicators"] = []
        for k, ident in enumerate(indicators):
            names = [*plan.movable, *plan.readable, *indicators[:k]]
            expr = _expression(self.draw, tuple(sorted(names)), self.depth)
            self.doc["indicators"].append({"id": ident, "expr": expr})

    def policies(self) -> None:
        """Policies: replacements within each parameter's range, disjoint between policies."""
        draw, plan = self.draw, self.plan
        self.doc["policies"] = []
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
                        "at": draw(st.sampled_from(self.periods)),
                    }
                    for _ in range(draw(st.integers(0, 2)))
                ]
            self.doc["policies"].append(policy)

    def decoupling(self) -> None:
        """The older one-condition form, or observable signs with a combination and perhaps the
        cohesion index (compared with a named parameter)."""
        draw = self.draw
        if not self.constructs or draw(st.booleans()):
            self.doc["decoupling"] = {
                "when": self.expression(),
                "for_steps": draw(st.integers(1, 3)),
            }
            decoupling = self.doc["decoupling"]
        else:
            n = draw(st.sampled_from([1, 2, 3]))
            signs = [
                {"id": f"sign{k}", "when": self.expression(), "for_steps": draw(st.integers(1, 3))}
                for k in range(n)
            ]
            decoupling = {"signs": signs}
            if draw(st.booleans()):  # at least 2 of several signs (1 when there is one)
                decoupling["combine"] = {"at_least": draw(st.integers(min(2, n), n))}
            self.doc["decoupling"] = decoupling
        params = [p["id"] for p in self.doc["parameters"]]
        if self.constructs and params and draw(st.booleans()):
            threshold = f"param.{draw(st.sampled_from(params))}"
            decoupling["index"] = {
                "when": f"({self.expression()}) < {threshold}",
                "for_steps": draw(st.integers(1, 3)),
                "threshold": threshold,
            }


@st.composite
def scenario_texts(
    draw: Draw,
    *,
    models: Sequence[str] = ("compromise",),
    max_horizon: int = 12,
    max_depth: int = 3,
    constructs: bool = True,
    linear: bool | None = None,
) -> str:
    """A random valid scenario as TOML text; issues use one of ``models`` for bargaining.

    ``constructs``: whether to use the constructs of issue 13 (positions relaxing toward
    standing preferences, fading rules, scheduled events' effects, set-effects, elections,
    decoupling signs and the cohesion index, contested mechanisms whose accounts bring rules);
    without them the scenario has only what the format had before. ``linear``: every response written ``linear`` (True), none written
    (False: every default), or each drawn (None).
    """
    drawer = _Drawer(draw, models, constructs, linear)
    drawer.depth = max_depth
    drawer.clock(max_horizon)
    drawer.actors_levers_parameters()
    drawer.issues()
    drawer.state()
    events, actions, indicators, elections = drawer.happenings()
    drawer.rules()
    drawer.mechanisms()
    drawer.events(events)
    drawer.schedule()
    drawer.actions(actions)
    drawer.elections(elections)
    drawer.indicators(indicators)
    drawer.policies()
    drawer.decoupling()
    return to_toml({key: value for key, value in drawer.doc.items() if value != []})


_ACCOUNTS = st.integers(2, 3)
_MECHANISMS = st.integers(0, 2)
_ACCOUNT_RULES = st.integers(0, 2)


def _mechanism_shapes(draw: Draw) -> list[tuple[str, list[str]]]:
    """Ids of 0–2 contested mechanisms, each with 2–3 accounts."""
    return [
        (f"mech{k}", [f"acc{j}" for j in range(draw(_ACCOUNTS))]) for k in range(draw(_MECHANISMS))
    ]


def scenarios(
    *,
    models: Sequence[str] = ("compromise",),
    max_horizon: int = 12,
    max_depth: int = 3,
    constructs: bool = True,
    linear: bool | None = None,
) -> st.SearchStrategy[Scenario]:
    """Random valid scenarios, loaded and checked (see :func:`scenario_texts`)."""
    return scenario_texts(
        models=models,
        max_horizon=max_horizon,
        max_depth=max_depth,
        constructs=constructs,
        linear=linear,
    ).map(load_scenario_text)
