"""The same scenario written as a plain Mesa model: the benchmark anchor for the engine.

What a modeller would otherwise write: one Mesa ``Model`` per ensemble member, the actors as
Mesa ``Agent``s holding their positions and saliences, and the scenario's step as
straight-line Python executed each step, written from docs/semantics.md: scheduled events
(their effects and sets), elections, stochastic events, actions (effects and sets), rules
(saturating or linear, fading or not, gated by the structure's accounts), the relaxation of
state variables and of positions toward standing preferences, indicators, and decoupling by
observable signs, their combination and the cohesion index. To be a fair anchor the step is
not an interpreter: the scenario's expressions are translated once into Python source (the
code a modeller would have typed) and compiled. Only the compromise bargaining model is
supported.

``python benchmarks/mesa_reference.py [SCENARIO] --members N`` prints member-steps per second and
checks that the Mesa model's trajectories equal the vectorised engine's.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from alliancesim.draws import Block, Draws
from alliancesim.engine import simulate
from alliancesim.model import Model, PolicySpec, compile_model
from alliancesim.scenario import load_scenario
from alliancesim.scenario.uncertain import Uncertain

# ---------------------------------------------------------------------------------------------
# expressions -> Python source


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    assert isinstance(node, ast.Name)
    parts.append(node.id)
    return ".".join(reversed(parts))


def to_python(node: ast.expr) -> str:
    """Python source computing an expression on floats, reading quantities from the dict ``v``."""
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name | ast.Attribute):
        return f"v[{_dotted(node)!r}]"
    if isinstance(node, ast.BinOp):
        left = to_python(node.left)
        if isinstance(node.op, ast.Pow):
            exponent = ast.literal_eval(node.right)
            return f"({left} ** {float(exponent)!r})"
        right = to_python(node.right)
        if isinstance(node.op, ast.Div):
            return f"_div({left}, {right})"
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}[type(node.op)]
        return f"({left} {op} {right})"
    if isinstance(node, ast.UnaryOp):
        operand = to_python(node.operand)
        if isinstance(node.op, ast.USub):
            return f"(-{operand})"
        if isinstance(node.op, ast.UAdd):
            return operand
        return f"(0.0 if {operand} != 0.0 else 1.0)"
    if isinstance(node, ast.BoolOp):
        joiner = " and " if isinstance(node.op, ast.And) else " or "
        return (
            "(1.0 if (" + joiner.join(f"{to_python(v)} != 0.0" for v in node.values) + ") else 0.0)"
        )
    if isinstance(node, ast.Compare):
        ops = {
            ast.Lt: "<",
            ast.LtE: "<=",
            ast.Gt: ">",
            ast.GtE: ">=",
            ast.Eq: "==",
            ast.NotEq: "!=",
        }
        text = to_python(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            text += f" {ops[type(op)]} {to_python(comparator)}"
        return f"(1.0 if ({text}) else 0.0)"
    if isinstance(node, ast.IfExp):
        return f"({to_python(node.body)} if {to_python(node.test)} != 0.0 else {to_python(node.orelse)})"
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        args = [to_python(a) for a in node.args]
        name = node.func.id
        if name in ("min", "max", "abs"):
            return f"{name}({', '.join(args)})"
        if name == "clip":
            return f"min(max({args[0]}, {args[1]}), {args[2]})"
        if name == "exp":
            return f"math.exp(min({args[0]}, 700.0))"
        if name == "log":
            return f"math.log(max({args[0]}, 1e-300))"
        if name == "sqrt":
            return f"math.sqrt(max({args[0]}, 0.0))"
    raise ValueError(f"cannot translate {ast.dump(node)}")


def _div(a: float, b: float) -> float:
    return 0.0 if b == 0.0 else a / b


def _poisson(u: float, rate: float) -> float:
    p = math.exp(-rate)
    cdf = p
    n = 0
    while u >= cdf and n < 200:
        n += 1
        p = p * rate / n
        cdf = cdf + p
    return float(n)


# ---------------------------------------------------------------------------------------------
# the Mesa model


class ActorAgent(mesa.Agent):
    """A state, faction or public: its capability and, per issue, position and salience."""

    def __init__(self, model: mesa.Model, actor: str, capability: float):
        super().__init__(model)
        self.actor = actor
        self.capability = capability
        self.position: dict[str, float] = {}
        self.salience: dict[str, float] = {}


def _set_lines(
    model: Model, stem: str, sets: Any, indent: str, where: str | None = None
) -> list[str]:
    """Lines applying set-effects written under ``stem``: the target (a quantity, a preference,
    a parameter or a lever, all read from ``v``) takes the value; a movable quantity counts as
    having started the step there."""
    quantities = set(model.quantities)
    lines = []
    for target in sets:
        value = f"p[{stem + 'sets.' + target!r}]"
        lines.append(f"{indent}v[{target!r}] = {value}")
        if target in quantities:
            lines.append(f"{indent}start[{target!r}] = {value}")
    if where is not None and lines:
        return [f"{indent}if {where}:", *(f"    {line}" for line in lines)]
    return lines


def generate_step_source(model: Model) -> str:
    """Python source of one step of the scenario, as a modeller would write it by hand."""
    sc = model.scenario
    lines = [
        "def step(self):",
        "    v = self.v",
        "    p = self.p",
        "    self.t += 1",
        "    t = self.t",
        "    u = self.slots[t - 1]",
        "    v['step'] = float(t)",
        f"    v['year'] = t / {model.clock.per_year}",
    ]
    lines.append("    start = {" + ", ".join(f"{q!r}: v[{q!r}]" for q in model.quantities) + "}")
    for h in model.happenings:
        lines.append(f"    v['event.{h}'] = 0.0")
    for a in sc.actions:
        lines.append(f"    v['consulted.{a.id}'] = 0.0")
    bounds = {
        q: (float(lo), float(hi))
        for q, lo, hi in zip(model.quantities, model.lower, model.upper, strict=True)
    }
    # 1. scheduled events: held ones count, then their effects add, then their sets apply,
    # then what an effect moved is clipped
    for k, s in enumerate(sc.schedule):
        lines.append(f"    held_{k} = t in self.schedule[{k}]")
        lines.append(f"    if held_{k}:")
        lines.append(f"        v['event.{s.id}'] = p['schedule.{s.id}.intensity']")
        lines.append(f"        v['count.{s.id}'] += 1.0")
    for k, s in enumerate(sc.schedule):
        if s.effects:
            lines.append(f"    if held_{k}:")
            for target in s.effects:
                lines.append(f"        v[{target!r}] += p['schedule.{s.id}.effects.{target}']")
    for k, s in enumerate(sc.schedule):
        lines += _set_lines(model, f"schedule.{s.id}.", s.sets, "    ", f"held_{k}")
    for k, s in enumerate(sc.schedule):
        if s.effects:
            lines.append(f"    if held_{k}:")
            for target in s.effects:
                lo, hi = bounds[target]
                lines.append(f"        v[{target!r}] = min(max(v[{target!r}], {lo!r}), {hi!r})")
    # 1 (end). elections: the first outcome whose cumulative threshold exceeds the draw
    first_slot = 2 * len(sc.events) + 2 * len(sc.actions)
    for k, election in enumerate(sc.elections):
        lines.append(f"    if t == {model.clock.step_of(election.at)}:")
        lines.append(f"        draw = u[{first_slot + k}]")
        listed = [o for o in election.outcomes if not o.is_rest]
        stem = f"elections.{election.id}.outcomes."
        for j, o in enumerate(listed):
            term = f"p[{stem + o.id + '.probability'!r}]"
            lines.append(
                f"        s_{j} = " + (f"{term} + 0.0" if j == 0 else f"s_{j - 1} + {term}")
            )
        if listed:
            lines.append(f"        total = max(s_{len(listed) - 1}, 1.0)")
        branches = [(f"draw < s_{j} / total", o) for j, o in enumerate(listed)]
        if election.outcomes[-1].is_rest:
            branches.append(("True", election.outcomes[-1]))
        for j, (test, o) in enumerate(branches):
            keyword = "if" if j == 0 else "elif"
            lines.append(f"        {keyword} {test}:")
            lines.append(f"            v['event.{o.id}'] = 1.0")
            lines.append(f"            v['count.{o.id}'] += 1.0")
            lines += _set_lines(model, f"{stem}{o.id}.", o.sets, "            ")
    # 2. stochastic events
    for k, e in enumerate(sc.events):
        rate = to_python(e.rate.tree) if hasattr(e.rate, "tree") else f"p['events.{e.id}.rate']"
        lines.append(f"    rate = min(max({rate}, 0.0), 50.0)")
        lines.append(f"    n = _poisson(u[{2 * k}], rate)")
        lines.append(f"    v['event.{e.id}'] = n * self.intensity[{k}](u[{2 * k + 1}])")
        lines.append(f"    v['count.{e.id}'] += n")
    # 3. bargaining (compromise): agents report their weighted positions
    for issue in sc.issues:
        lines.append(f"    agents = self.by_issue[{issue.id!r}]")
        lines.append("    for a in agents:")
        lines.append(f"        a.position[{issue.id!r}] = v['position.' + a.actor + '.{issue.id}']")
        lines.append(f"        a.salience[{issue.id!r}] = v['salience.' + a.actor + '.{issue.id}']")
        lines.append(f"    w = [a.capability * a.salience[{issue.id!r}] for a in agents]")
        lines.append("    total = sum(w)")
        lines.append(
            f"    v['issue.{issue.id}.outcome'] = (sum(wi * a.position[{issue.id!r}] for wi, a in zip(w, agents)) / total) if total > 0 else sum(a.position[{issue.id!r}] for a in agents) / len(agents)"
        )
    # 4. actions: every decision on the same quantities, then effects, then sets
    n_events = len(sc.events)
    for j, a in enumerate(sc.actions):
        once = f" and not self.done[{j}]" if a.once else ""
        lines.append(
            f"    occurs_{j} = ({to_python(a.when.tree)} != 0.0{once}) and u[{2 * n_events + 2 * j}] < p['actions.{a.id}.probability']"
        )
        lines.append(
            f"    consulted_{j} = occurs_{j} and u[{2 * n_events + 2 * j + 1}] < min(max({to_python(a.consulted.tree)}, 0.0), 1.0)"
        )
    for j, a in enumerate(sc.actions):
        lines.append(f"    if occurs_{j}:")
        lines.append(f"        v['event.{a.id}'] = p['actions.{a.id}.intensity']")
        lines.append(f"        v['count.{a.id}'] += 1.0")
        lines.append(f"        v['consulted.{a.id}'] = 1.0 if consulted_{j} else 0.0")
        lines.append(f"        self.done[{j}] = True")
        for target in a.effects:
            lines.append(f"        v[{target!r}] += p['actions.{a.id}.effects.{target}']")
    for j, a in enumerate(sc.actions):
        lines += _set_lines(model, f"actions.{a.id}.", a.sets, "    ", f"occurs_{j}")
    # 5. rules: contributions from one snapshot (an account's rule only in a structure that
    # chooses it; a fading rule net of its impulse), summed per target in rule order
    totals: dict[str, list[str]] = {}
    for r in sc.rules:
        term = f"(p['rules.{r.id}.weight'] * {to_python(r.driver.tree)})"
        if r.gate is not None:
            term = f"({term} * {to_python(r.gate.tree)})"
        if r.account is not None:
            term = f"({term} if p['structure.{r.account}'] != 0.0 else 0.0)"
        lines.append(f"    c_{r.id} = {term}")
        if r.fades is not None:
            lines.append(
                f"    c_{r.id} = c_{r.id} - p['rules.{r.id}.fades'] * self.impulse[{r.id!r}]"
            )
            lines.append(f"    self.impulse[{r.id!r}] += c_{r.id}")
        totals.setdefault(r.target, []).append(f"c_{r.id}")
    saturating = dict(zip(model.quantities, model.saturating, strict=True))
    for target, terms in totals.items():
        lines.append("    total = " + " + ".join(terms))
        if not saturating[target]:
            lines.append(f"    v[{target!r}] += total")
            continue
        lo, hi = bounds[target]
        lines.append("    if total > 0.0:")
        lines.append(f"        v[{target!r}] += total * ({hi!r} - start[{target!r}]) / {hi - lo!r}")
        lines.append("    else:")
        lines.append(f"        v[{target!r}] += total * (start[{target!r}] - {lo!r}) / {hi - lo!r}")
    # 6. relaxation and clipping
    for s in sc.state:
        baseline = (
            f"p['state.{s.id}.baseline']"
            if s.baseline is not None
            else f"p['state.{s.id}.initial']"
        )
        lines.append(
            f"    v[{s.id!r}] -= p['state.{s.id}.relaxation'] * (start[{s.id!r}] - {baseline})"
        )
    for issue in sc.issues:
        for actor, stance in issue.positions.items():
            name = f"position.{actor}.{issue.id}"
            rate = (
                f"p['issues.{issue.id}.positions.{actor}.relaxation']"
                if stance.relaxation is not None
                else f"p['issues.{issue.id}.relaxation']"
            )
            lines.append(
                f"    v[{name!r}] -= {rate} * (start[{name!r}] - v['preference.{actor}.{issue.id}'])"
            )
    for name, (lo, hi) in bounds.items():
        lines.append(f"    v[{name!r}] = min(max(v[{name!r}], {lo!r}), {hi!r})")
    # 7. indicators
    for ind in sc.indicators:
        lines.append(f"    v[{ind.id!r}] = {to_python(ind.expr.tree)}")
    # 8. decoupling: each sign's streak and whether it has been seen, their combination, the index
    d = sc.decoupling
    for k, (_, when, for_steps) in enumerate(d.sign_conditions):
        lines.append(
            f"    self.streak[{k}] = self.streak[{k}] + 1 if {to_python(when.tree)} != 0.0 else 0"
        )
        lines.append(f"    self.seen[{k}] = self.seen[{k}] or self.streak[{k}] >= {for_steps}")
    lines.append(f"    self.decoupled = self.decoupled or sum(self.seen) >= {d.at_least}")
    if d.index is not None:
        lines.append(
            f"    self.index_streak = self.index_streak + 1 if {to_python(d.index.when.tree)} != 0.0 else 0"
        )
        lines.append(
            f"    self.index_seen = self.index_seen or self.index_streak >= {d.index.for_steps}"
        )
    lines.append("    self.record()")
    return "\n".join(lines)


class AllianceModel(mesa.Model):
    """One plausible world of the alliance, stepped quarter by quarter."""

    def __init__(
        self, compiled: Model, spec: PolicySpec, parameters: dict[str, float], slots: np.ndarray
    ):
        super().__init__()
        self.compiled = compiled
        self.p = parameters
        self.slots = slots.tolist()
        self.t = 0
        sc = compiled.scenario
        self.schedule = [
            s.steps | spec.added.get(k, frozenset()) for k, s in enumerate(compiled.scheduled)
        ]
        self.intensity = [_ppf(e.intensity) for e in sc.events]
        self.done = [False] * len(sc.actions)
        self.impulse = {r.id: 0.0 for r in sc.rules if r.fades is not None}
        self.signs = [ident for ident, _, _ in sc.decoupling.sign_conditions]
        self.streak = [0] * len(self.signs)
        self.seen = [False] * len(self.signs)
        self.index_streak = 0
        self.index_seen = False
        self.decoupled = False
        v: dict[str, float] = {}
        for s in sc.state:
            v[s.id] = parameters[f"state.{s.id}.initial"]
        self.by_issue: dict[str, list[ActorAgent]] = {}
        agents = {
            a.id: ActorAgent(self, a.id, parameters[f"actors.{a.id}.capability"]) for a in sc.actors
        }
        for issue in sc.issues:
            self.by_issue[issue.id] = [agents[a] for a in issue.participants]
            for a in issue.participants:
                v[f"position.{a}.{issue.id}"] = parameters[
                    f"issues.{issue.id}.positions.{a}.position"
                ]
                v[f"salience.{a}.{issue.id}"] = parameters[
                    f"issues.{issue.id}.positions.{a}.salience"
                ]
            v[f"issue.{issue.id}.status_quo"] = parameters[f"issues.{issue.id}.status_quo"]
            v[f"issue.{issue.id}.outcome"] = v[f"issue.{issue.id}.status_quo"]
        for h in compiled.happenings:
            v[f"event.{h}"] = 0.0
            v[f"count.{h}"] = 0.0
        for a in sc.actions:
            v[f"consulted.{a.id}"] = 0.0
        for lever in sc.levers:
            v[f"policy.{lever.id}"] = parameters[f"policy.{lever.id}"]
        for param in sc.parameters:
            v[f"param.{param.id}"] = parameters[f"param.{param.id}"]
        for name, value in parameters.items():
            if name.startswith("structure."):
                v[name] = value
        for a in sc.actors:
            v[f"capability.{a.id}"] = parameters[f"actors.{a.id}.capability"]
        v["step"] = 0.0
        v["year"] = 0.0
        for name in [n for n in v if n.startswith("position.")]:  # standing preferences
            v["preference." + name.removeprefix("position.")] = v[name]
        self.v = v
        for ind in sc.indicators:
            v[ind.id] = eval(
                compile(to_python(ind.expr.tree), "<indicator>", "eval"),
                {"math": math, "_div": _div},
                {"v": v},
            )
        self.history: list[dict[str, float]] = []
        self.record()

    def record(self) -> None:
        """Keep this step's values."""
        row = dict(self.v)
        for ident, seen in zip(self.signs, self.seen, strict=True):
            if ident is not None:
                row[f"decoupled.{ident}"] = 1.0 if seen else 0.0
        if self.compiled.scenario.decoupling.index is not None:
            row["decoupled.index"] = 1.0 if self.index_seen else 0.0
        row["decoupled"] = 1.0 if self.decoupled else 0.0
        self.history.append(row)


def _ppf(dist: Uncertain) -> Any:
    """A scalar inverse CDF, as a modeller would write it with the standard library."""
    from statistics import NormalDist

    from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uniform

    if isinstance(dist, Fixed):
        return lambda u: dist.value
    if isinstance(dist, Uniform):
        return lambda u: dist.low + (dist.high - dist.low) * u
    if isinstance(dist, Triangular):
        a, c, b = dist.low, dist.mode, dist.high
        split = (c - a) / (b - a)
        return lambda u: (
            a + math.sqrt(u * (b - a) * (c - a))
            if u < split
            else b - math.sqrt((1 - u) * (b - a) * (b - c))
        )
    assert isinstance(dist, Normal)
    unit = NormalDist(dist.mean_, dist.sd)
    lo = unit.cdf(dist.low) if math.isfinite(dist.low) else 0.0
    hi = unit.cdf(dist.high) if math.isfinite(dist.high) else 1.0
    return lambda u: min(max(unit.inv_cdf(lo + u * (hi - lo)), dist.low), dist.high)


def build_model_class(compiled: Model) -> type[AllianceModel]:
    """An AllianceModel subclass whose ``step`` is the scenario's generated Python code."""
    namespace: dict[str, Any] = {"math": math, "_div": _div, "_poisson": _poisson}
    exec(generate_step_source(compiled), namespace)  # our own generated source, not user input
    return type("ScenarioModel", (AllianceModel,), {"step": namespace["step"]})


def bargaining_models(compiled: Model) -> set[str]:
    """The bargaining models the scenario's issues use."""
    return {issue.model for issue in compiled.issues}


def run_mesa(
    compiled: Model,
    policy: str,
    members: int,
    seed: int,
    structure: str = "seed",
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, list[list[dict[str, float]]]]:
    """Run ``members`` Mesa models of a policy under a structure; return (seconds of the
    stepping by ``clock``, histories). Draws are the engine's block 0."""
    draws = Draws.block(compiled, seed, Block(0, 0, members))
    spec = compiled.under(policy, structure)
    P = draws.parameters(compiled, spec)
    names = compiled.parameter_names
    cls = build_model_class(compiled)
    worlds = []
    for m in range(members):
        params = {name: float(P[i, m]) for i, name in enumerate(names)}
        worlds.append(cls(compiled, spec, params, draws.slots[:, :, m]))
    start = clock()
    for world in worlds:
        for _ in range(compiled.horizon):
            world.step()
    return clock() - start, [w.history for w in worlds]


def max_difference_from_engine(
    compiled: Model, policy: str, members: int, seed: int, structure: str = "seed"
) -> float:
    """Largest absolute difference between the Mesa and the vectorised trajectories."""
    _, histories = run_mesa(compiled, policy, members, seed, structure)
    draws = Draws.block(compiled, seed, Block(0, 0, members))
    spec = compiled.under(policy, structure)
    P = draws.parameters(compiled, spec)
    out = simulate(compiled, spec, P, draws.slots)
    worst = 0.0
    for j, name in enumerate(compiled.record_names):
        for m in range(members):
            for t in range(compiled.horizon + 1):
                worst = max(worst, abs(out[t, j, m] - histories[m][t][name]))
    return worst


def main(argv: list[str] | None = None) -> None:
    """Print the Mesa model's member-steps per second and its agreement with the engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="us-rok-2025")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policy", default="baseline")
    parser.add_argument("--structure", default="seed")
    args = parser.parse_args(argv)
    compiled = compile_model(_compromise_only(load_scenario(args.scenario)))
    seconds, _ = run_mesa(compiled, args.policy, args.members, args.seed, args.structure)
    rate = args.members * compiled.horizon / seconds
    diff = max_difference_from_engine(
        compiled, args.policy, min(args.members, 20), args.seed, args.structure
    )
    print(
        f"mesa reference ({args.policy}, structure {args.structure}): "
        f"{args.members} members × {compiled.horizon} steps in {seconds:.2f} s "
        f"= {rate:,.0f} member-steps/s; max |Mesa − engine| = {diff:.2e}"
    )


def _compromise_only(scenario: Any) -> Any:
    """The scenario with every issue decided by the compromise model (all Mesa supports here)."""
    issues = [i.model_copy(update={"model": "compromise"}) for i in scenario.issues]
    copy = scenario.model_copy(update={"issues": issues})
    return copy


if __name__ == "__main__":
    sys.exit(main())
