"""Feedback loops of a scenario's causal graph: which perceptions feed back on themselves.

The graph has one node per quantity (``fear_abandonment.ROK``, ``event.stryker_withdrawal``,
``cohesion``…) and one link per way a quantity moves another:

- a **rule** links every name its driver or gate reads to its target;
- an **action** links the names its condition reads to its effect targets and to
  ``event.<id>``/``count.<id>``/``consulted.<id>`` (and the names ``consulted`` reads to
  ``consulted.<id>``);
- a **stochastic event** links the names its rate reads to ``event.<id>`` and ``count.<id>``;
- an **indicator** links the names its expression reads to itself;
- **bargaining** links each participant's position on an issue to the issue's outcome.

Each link has a sign: +1 when more of the source means more of the target, −1 when it means
less, 0 when the direction cannot be told (a weight whose range straddles zero with mean 0, an
expression that is not monotone in the source). For a rule it is the sign of the weight's mean
times the direction in which ``driver · gate`` moves with the source (so ``driver = "1 -
trust.ROK.USA"`` with a positive weight is a negative link from trust). A loop's sign is the
product of its links' signs: +1 reinforcing, −1 balancing, 0 undetermined.

Loops are the elementary cycles of the graph (Johnson 1975), one per choice of link where two
quantities are linked several ways.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from alliancesim.expr import ParsedExpression
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.uncertain import Uncertain

__all__ = [
    "Link",
    "Loop",
    "causal_links",
    "condition_links",
    "elementary_cycles",
    "feedback_loops",
    "rule_value_signs",
]

Sign = int | None  # +1, -1, 0 (independent) or None (unknown)


@dataclass(frozen=True)
class Link:
    """One causal link: ``source`` moves ``target`` through ``via`` in the direction ``sign``."""

    source: str
    target: str
    via: str  # a rule id, or "action:<id>", "event:<id>", "indicator:<id>", "bargaining:<issue>"
    sign: int  # +1, -1, or 0 when the direction cannot be told


@dataclass
class Loop:
    """A feedback loop: quantities in causal order, the link through which each moves the next."""

    nodes: list[str]
    rules: list[str]  # rules[i] links nodes[i] to nodes[i + 1] (the last back to nodes[0])
    sign: int  # +1 reinforcing, -1 balancing, 0 undetermined

    @property
    def polarity(self) -> str:
        """'reinforcing', 'balancing' or 'undetermined'."""
        return {1: "reinforcing", -1: "balancing"}.get(self.sign, "undetermined")

    def describe(self) -> str:
        """The loop as a chain of quantities, e.g. ``a → b → a``."""
        return " → ".join([*self.nodes, self.nodes[0]])


# --------------------------------------------------------------------------------------------
# signs of expressions


def _combine(*signs: Sign) -> Sign:
    """Direction of a sum of terms moving in the given directions."""
    out: Sign = 0
    for s in signs:
        if s is None or out is None:
            return None
        if s == 0:
            continue
        if out == 0:
            out = s
        elif out != s:
            return None
    return out


def _neg(s: Sign) -> Sign:
    return None if s is None else -s


def _scale(direction: Sign, value_sign: Sign) -> Sign:
    """Direction of ``f · c`` where f moves in ``direction`` and c has sign ``value_sign``."""
    if direction == 0:
        return 0
    if direction is None or value_sign is None:
        return None
    return direction * value_sign


class _Signs:
    """Signs of values and directions of change of expressions, from the quantities' ranges."""

    def __init__(self, ranges: dict[str, tuple[float, float]]):
        self.ranges = ranges

    def value(self, node: ast.expr) -> Sign:
        """+1 if the expression is never negative, −1 if never positive, else None."""
        lo, hi = self.interval(node)
        return 1 if lo >= 0 else (-1 if hi <= 0 else None)

    def interval(self, node: ast.expr) -> tuple[float, float]:
        """Bounds on the expression's value, from the quantities' ranges (interval arithmetic)."""
        whole = (-math.inf, math.inf)
        if isinstance(node, ast.Constant):
            return (float(node.value), float(node.value))
        if isinstance(node, ast.Name | ast.Attribute):
            return self.ranges.get(_name(node), whole)
        if isinstance(node, ast.BinOp):
            a = self.interval(node.left)
            if isinstance(node.op, ast.Pow):
                return _power_interval(a, _exponent(node))
            b = self.interval(node.right)
            if isinstance(node.op, ast.Add):
                return (a[0] + b[0], a[1] + b[1])
            if isinstance(node.op, ast.Sub):
                return (a[0] - b[1], a[1] - b[0])
            if isinstance(node.op, ast.Mult):
                return _product(a, b)
            if isinstance(node.op, ast.Div):
                if b[0] > 0 or b[1] < 0:
                    return _product(a, (1 / b[1], 1 / b[0]))
                return whole
            return whole
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return (0.0, 1.0)
            a = self.interval(node.operand)
            return (-a[1], -a[0]) if isinstance(node.op, ast.USub) else a
        if isinstance(node, ast.BoolOp | ast.Compare):
            return (0.0, 1.0)
        if isinstance(node, ast.IfExp):
            a, b = self.interval(node.body), self.interval(node.orelse)
            return (min(a[0], b[0]), max(a[1], b[1]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.interval(a) for a in node.args]
            name = node.func.id
            if name == "min":
                return (min(a[0] for a in args), min(a[1] for a in args))
            if name == "max":
                return (max(a[0] for a in args), max(a[1] for a in args))
            if name == "clip":
                (x0, x1), (lo0, lo1), (hi0, hi1) = args
                return (min(max(x0, lo0), hi0), min(max(x1, lo1), hi1))
            (a0, a1) = args[0]
            if name == "abs":
                if a0 >= 0:
                    return (a0, a1)
                return (-a1, -a0) if a1 <= 0 else (0.0, max(-a0, a1))
            if name == "exp":
                return (math.exp(min(a0, 700.0)), math.exp(min(a1, 700.0)))
            if name == "log":
                return (math.log(max(a0, 1e-300)), math.log(max(a1, 1e-300)))
            if name == "sqrt":
                return (math.sqrt(max(a0, 0.0)), math.sqrt(max(a1, 0.0)))
        return whole

    def direction(self, node: ast.expr, var: str) -> Sign:
        """How the expression moves when ``var`` rises: +1, −1, 0 (not at all) or None."""
        if isinstance(node, ast.Constant):
            return 0
        if isinstance(node, ast.Name | ast.Attribute):
            return 1 if _name(node) == var else 0
        if isinstance(node, ast.BinOp):
            da = self.direction(node.left, var)
            if isinstance(node.op, ast.Pow):
                return self._power(node, da)
            db = self.direction(node.right, var)
            if isinstance(node.op, ast.Add):
                return _combine(da, db)
            if isinstance(node.op, ast.Sub):
                return _combine(da, _neg(db))
            va, vb = self.value(node.left), self.value(node.right)
            if isinstance(node.op, ast.Mult):
                return _combine(_scale(da, vb), _scale(db, va))
            if isinstance(node.op, ast.Div):
                return _combine(_scale(da, vb), _scale(_neg(db), va))
            return None
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return _neg(self.truth(node.operand, var))
            d = self.direction(node.operand, var)
            return _neg(d) if isinstance(node.op, ast.USub) else d
        if isinstance(node, ast.BoolOp):
            return _combine(*(self.truth(v, var) for v in node.values))
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            terms: list[Sign] = []
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                dl, dr = self.direction(left, var), self.direction(right, var)
                if isinstance(op, ast.Lt | ast.LtE):
                    terms.append(_combine(_neg(dl), dr))
                elif isinstance(op, ast.Gt | ast.GtE):
                    terms.append(_combine(dl, _neg(dr)))
                else:
                    terms.append(0 if dl == 0 and dr == 0 else None)
            return _combine(*terms)
        if isinstance(node, ast.IfExp):
            if self.direction(node.test, var) != 0:
                return None
            return _combine(self.direction(node.body, var), self.direction(node.orelse, var))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            directions = [self.direction(a, var) for a in node.args]
            name = node.func.id
            if name in ("min", "max", "clip"):
                return _combine(*directions)
            if name in ("exp", "log", "sqrt"):
                return directions[0]
            if name == "abs":
                return _scale(directions[0], self.value(node.args[0]))
        return None

    def truth(self, node: ast.expr, var: str) -> Sign:
        """How the truth (non-zero-ness) of the expression moves when ``var`` rises."""
        d = self.direction(node, var)
        if d == 0 or isinstance(node, ast.Compare | ast.BoolOp):
            return d
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return d
        return _scale(d, self.value(node))

    def _power(self, node: ast.BinOp, d: Sign) -> Sign:
        k = _exponent(node)
        if k == 0:
            return 0
        base = self.value(node.left)
        if not k.is_integer():
            return d if k > 0 else (_neg(d) if base == 1 else None)
        if base == 1:
            return _scale(d, 1 if k > 0 else -1)
        if k > 0 and k % 2 == 1:
            return d
        if k > 0 and base == -1:
            return _neg(d)
        return None if d != 0 else 0


def _product(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    corners = [0.0 if x == 0 or y == 0 else x * y for x in a for y in b]
    return (min(corners), max(corners))


def _power_interval(base: tuple[float, float], k: float) -> tuple[float, float]:
    lo, hi = base
    if k == 0:
        return (1.0, 1.0)
    if not k.is_integer():
        lo, hi = max(lo, 0.0), max(hi, 0.0)
    if k < 0 and lo <= 0 <= hi:
        return (-math.inf, math.inf)

    def power(x: float) -> float:
        try:
            return x**k if x != 0 or k > 0 else 0.0
        except OverflowError:
            return math.inf

    ends = sorted((power(lo), power(hi)))
    if k > 0 and k.is_integer() and k % 2 == 0 and lo < 0 < hi:
        return (0.0, ends[1])
    return (ends[0], ends[1])


def _name(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    assert isinstance(node, ast.Name)
    parts.append(node.id)
    return ".".join(reversed(parts))


def _exponent(node: ast.BinOp) -> float:
    sign, right = 1.0, node.right
    while isinstance(right, ast.UnaryOp):
        sign = -sign if isinstance(right.op, ast.USub) else sign
        right = right.operand
    assert isinstance(right, ast.Constant)
    return sign * float(right.value)


def _ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """The range of every quantity an expression may read, as far as the scenario tells."""
    non_negative = (0.0, math.inf)
    out: dict[str, tuple[float, float]] = {"step": non_negative, "year": non_negative}
    for actor in scenario.actors:
        out[f"capability.{actor.id}"] = non_negative
    for issue in scenario.issues:
        out[f"issue.{issue.id}.status_quo"] = out[f"issue.{issue.id}.outcome"] = (0.0, 100.0)
        for actor in issue.positions:
            out[f"position.{actor}.{issue.id}"] = (0.0, 100.0)
            out[f"salience.{actor}.{issue.id}"] = (0.0, 1.0)
    for state in scenario.state:
        out[state.id] = (float(state.bounds[0]), float(state.bounds[1]))
    for happening in [*scenario.events, *scenario.schedule, *scenario.actions]:
        out[f"event.{happening.id}"] = out[f"count.{happening.id}"] = non_negative
    for action in scenario.actions:
        out[f"consulted.{action.id}"] = (0.0, 1.0)
    for lever in scenario.levers:
        out[f"policy.{lever.id}"] = lever.value.support
    for param in scenario.parameters:
        out[f"param.{param.id}"] = param.value.support
    return out


def _sign_of(value: Uncertain) -> int:
    mean = value.mean
    return 0 if mean == 0 or not math.isfinite(mean) else (1 if mean > 0 else -1)


def _definite(s: Sign) -> int:
    return 0 if s is None else s


# --------------------------------------------------------------------------------------------
# the causal graph


def causal_links(scenario: Scenario) -> list[Link]:
    """Every causal link of the scenario (see the module docstring), in file order."""
    signs = _Signs(_ranges(scenario))
    links: list[Link] = []

    def reads(expression: ParsedExpression | None) -> list[str]:
        return sorted(expression.names) if expression is not None else []

    for rule in scenario.rules:
        product: ast.expr = rule.driver.tree
        if rule.gate is not None:
            product = ast.BinOp(left=rule.driver.tree, op=ast.Mult(), right=rule.gate.tree)
        weight = _sign_of(rule.weight)
        for name in sorted(set(reads(rule.driver)) | set(reads(rule.gate))):
            direction = signs.direction(product, name)
            if direction == 0:
                continue
            links.append(Link(name, rule.target, rule.id, weight * _definite(direction)))
    for action in scenario.actions:
        via = f"action:{action.id}"
        for name in reads(action.when):
            direction = _definite(signs.truth(action.when.tree, name))
            for target, value in action.effects.items():
                links.append(Link(name, target, via, direction * _sign_of(value)))
            for quantity in (f"event.{action.id}", f"count.{action.id}"):
                links.append(Link(name, quantity, via, direction))
            if name not in action.consulted.names:
                links.append(Link(name, f"consulted.{action.id}", via, direction))
        for name in reads(action.consulted):
            direction = signs.direction(action.consulted.tree, name)
            if name in action.when.names:
                direction = _combine(direction, signs.truth(action.when.tree, name))
            links.append(Link(name, f"consulted.{action.id}", via, _definite(direction)))
    for event in scenario.events:
        if isinstance(event.rate, ParsedExpression):
            for name in reads(event.rate):
                direction = _definite(signs.direction(event.rate.tree, name))
                for quantity in (f"event.{event.id}", f"count.{event.id}"):
                    links.append(Link(name, quantity, f"event:{event.id}", direction))
    for indicator in scenario.indicators:
        for name in reads(indicator.expr):
            direction = _definite(signs.direction(indicator.expr.tree, name))
            links.append(Link(name, indicator.id, f"indicator:{indicator.id}", direction))
    for issue in scenario.issues:
        for actor in issue.positions:
            links.append(
                Link(
                    f"position.{actor}.{issue.id}",
                    f"issue.{issue.id}.outcome",
                    f"bargaining:{issue.id}",
                    1,
                )
            )
    return links


def rule_value_signs(scenario: Scenario) -> dict[str, tuple[str, int]]:
    """Per rule, its target and the sign of what it adds per unit of weight (``driver · gate``):
    +1 never negative, −1 never positive, 0 when it can be either."""
    signs = _Signs(_ranges(scenario))
    out: dict[str, tuple[str, int]] = {}
    for rule in scenario.rules:
        product: ast.expr = rule.driver.tree
        if rule.gate is not None:
            product = ast.BinOp(left=rule.driver.tree, op=ast.Mult(), right=rule.gate.tree)
        out[rule.id] = (rule.target, _definite(signs.value(product)))
    return out


def condition_links(scenario: Scenario, flag: str = "decoupled") -> list[tuple[str, int]]:
    """The names a decoupling flag's condition reads, each with the direction in which a rise
    in it moves the condition toward holding (+1), away (−1) or either way (0).

    ``decoupled``: the older form's one condition, or the signs' (the combination of seen signs
    rises with each sign, so a name keeps its direction unless two signs read it in opposite
    directions); ``decoupled.<sign>``: that sign's; ``decoupled.index``: the cohesion index's."""
    signs = _Signs(_ranges(scenario))
    d = scenario.decoupling
    if flag == "decoupled.index":
        conditions = [d.index.when] if d.index is not None else []
    elif flag == "decoupled":
        conditions = [when for _, when, _ in d.sign_conditions]
    else:
        conditions = [s.when for s in d.signs if f"decoupled.{s.id}" == flag]
    directions: dict[str, set[int]] = {}
    for when in conditions:
        for name in when.names:
            directions.setdefault(name, set()).add(_definite(signs.truth(when.tree, name)))
    return [
        (name, found.pop() if len(found) == 1 else 0) for name, found in sorted(directions.items())
    ]


def elementary_cycles(
    graph: dict[str, Iterable[str]], *, limit: int | None = None
) -> list[list[str]]:
    """The elementary cycles of a directed graph (Johnson's algorithm), at most ``limit``.

    Each cycle is a list of nodes starting at its least node (in sorted order), without repeating
    it at the end. Self-loops are cycles of one node.
    """
    nodes = sorted(set(graph) | {m for targets in graph.values() for m in targets})
    index = {n: i for i, n in enumerate(nodes)}
    successors = [sorted({index[m] for m in graph.get(n, ())}) for n in nodes]
    cycles: list[list[str]] = []

    for start in range(len(nodes)):
        # the strongly connected component of `start` in the subgraph of nodes >= start
        component = _component(successors, start)
        if start not in component:
            continue
        blocked: set[int] = set()
        blocked_by: dict[int, set[int]] = {n: set() for n in component}
        path = [start]
        stack = [(start, iter([m for m in successors[start] if m in component]))]
        closed = [False]
        blocked.add(start)
        while stack:
            node, neighbours = stack[-1]
            advanced = False
            for m in neighbours:
                if m == start:
                    cycles.append([nodes[i] for i in path])
                    closed[-1] = True
                    if limit is not None and len(cycles) >= limit:
                        return cycles
                elif m not in blocked:
                    path.append(m)
                    closed.append(False)
                    blocked.add(m)
                    stack.append((m, iter([k for k in successors[m] if k in component])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            path.pop()
            found = closed.pop()
            if found:
                _unblock(node, blocked, blocked_by)
                if closed:
                    closed[-1] = True
            else:
                for m in successors[node]:
                    if m in component:
                        blocked_by[m].add(node)
    return cycles


def _unblock(node: int, blocked: set[int], blocked_by: dict[int, set[int]]) -> None:
    pending = [node]
    while pending:
        n = pending.pop()
        if n in blocked:
            blocked.discard(n)
            pending.extend(blocked_by[n])
            blocked_by[n].clear()


def _component(successors: list[list[int]], start: int) -> set[int]:
    """Nodes in the same strongly connected component as ``start``, among nodes ≥ ``start``."""
    forward = _reach(start, lambda n: [m for m in successors[n] if m >= start])
    predecessors: dict[int, list[int]] = {}
    for n in forward:
        for m in successors[n]:
            if m in forward:
                predecessors.setdefault(m, []).append(n)
    backward = _reach(start, lambda n: predecessors.get(n, []))
    return forward & backward


def _reach(start: int, step: Callable[[int], Iterable[int]]) -> set[int]:
    seen = {start}
    pending = [start]
    while pending:
        n = pending.pop()
        for m in step(n):
            if m not in seen:
                seen.add(m)
                pending.append(m)
    return seen


def feedback_loops(scenario: Scenario, *, limit: int = 1000) -> list[Loop]:
    """The feedback loops of the scenario's causal graph with their signs, shortest first.

    A loop is reinforcing (+1) when a rise in any of its quantities comes back as a further
    rise, balancing (−1) when it comes back as a fall, undetermined (0) when a link's direction
    is unknown. At most ``limit`` loops are returned.
    """
    links = causal_links(scenario)
    between: dict[tuple[str, str], list[Link]] = {}
    graph: dict[str, set[str]] = {}
    for link in links:
        between.setdefault((link.source, link.target), []).append(link)
        graph.setdefault(link.source, set()).add(link.target)
    loops: list[Loop] = []
    for cycle in elementary_cycles(graph, limit=limit):
        hops = [between[(a, b)] for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)]
        for choice in itertools.product(*hops):
            sign = math.prod(link.sign for link in choice)
            loops.append(Loop(list(cycle), [link.via for link in choice], sign))
            if len(loops) >= limit:
                break
        if len(loops) >= limit:
            break
    loops.sort(key=lambda loop: (len(loop.nodes), loop.nodes, loop.rules))
    return loops
