"""The same scenario written as a plain Mesa model: the benchmark anchor for the engine.

What a modeller would otherwise write: one Mesa ``Model`` per ensemble member, the actors as
Mesa ``Agent``s holding their positions and saliences, and the scenario's rules (saturating or
linear), events and actions, and the positions' relaxation toward standing preferences, as
straight-line Python executed each step (what the built-in scenarios use: no fading rules,
set-effects, elections or decoupling signs). To be a fair anchor the step is not an
interpreter: the scenario's expressions are translated once into Python source (the code a
modeller would have typed) and compiled. Only the compromise bargaining model is supported.

``python benchmarks/mesa_reference.py [SCENARIO] --members N`` prints member-steps per second and
checks that the Mesa model's trajectories equal the vectorised engine's.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
import time
from typing import Any

import mesa
import numpy as np

from alliancesim.draws import Block, Draws
from alliancesim.engine import simulate
from alliancesim.model import Model, compile_model
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
    _check_supported(model)
    lines.append("    start = {" + ", ".join(f"{q!r}: v[{q!r}]" for q in model.quantities) + "}")
    for h in model.happenings:
        lines.append(f"    v['event.{h}'] = 0.0")
    for a in sc.actions:
        lines.append(f"    v['consulted.{a.id}'] = 0.0")
    # 1. scheduled events
    for k, s in enumerate(model.scheduled):
        lines.append(f"    if t in self.schedule[{k}]:")
        lines.append(f"        v['event.{s.id}'] = p['schedule.{s.id}.intensity']")
        lines.append(f"        v['count.{s.id}'] += 1.0")
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
    # 4. actions
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
    # 5. rules: contributions from one snapshot, summed per target in rule order
    totals: dict[str, list[str]] = {}
    for r in sc.rules:
        term = f"(p['rules.{r.id}.weight'] * {to_python(r.driver.tree)})"
        if r.gate is not None:
            term = f"({term} * {to_python(r.gate.tree)})"
        lines.append(f"    c_{r.id} = {term}")
        totals.setdefault(r.target, []).append(f"c_{r.id}")
    saturating = dict(zip(model.quantities, model.saturating, strict=True))
    bounds = {
        q: (float(lo), float(hi))
        for q, lo, hi in zip(model.quantities, model.lower, model.upper, strict=True)
    }
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
                f"    v[{name!r}] -= {rate} * (start[{name!r}] - self.preference[{name!r}])"
            )
    for name, lo, hi in zip(model.quantities, model.lower, model.upper, strict=True):
        lines.append(f"    v[{name!r}] = min(max(v[{name!r}], {float(lo)!r}), {float(hi)!r})")
    # 7. indicators, 8. decoupling
    for ind in sc.indicators:
        lines.append(f"    v[{ind.id!r}] = {to_python(ind.expr.tree)}")
    assert sc.decoupling.when is not None
    lines.append(
        f"    self.streak = self.streak + 1 if {to_python(sc.decoupling.when.tree)} != 0.0 else 0"
    )
    lines.append(f"    self.decoupled = self.decoupled or self.streak >= {sc.decoupling.for_steps}")
    lines.append("    self.record()")
    return "\n".join(lines)


class AllianceModel(mesa.Model):
    """One plausible world of the alliance, stepped quarter by quarter."""

    def __init__(
        self, compiled: Model, policy: str, parameters: dict[str, float], slots: np.ndarray
    ):
        super().__init__()
        self.compiled = compiled
        self.p = parameters
        self.slots = slots.tolist()
        self.t = 0
        sc = compiled.scenario
        spec = compiled.policy(policy)
        self.schedule = [
            s.steps | spec.added.get(k, frozenset()) for k, s in enumerate(compiled.scheduled)
        ]
        self.intensity = [_ppf(e.intensity) for e in sc.events]
        self.done = [False] * len(sc.actions)
        self.streak = 0
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
        for a in sc.actors:
            v[f"capability.{a.id}"] = parameters[f"actors.{a.id}.capability"]
        v["step"] = 0.0
        v["year"] = 0.0
        self.v = v
        self.preference = {name: v[name] for name in v if name.startswith("position.")}
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


def _check_supported(model: Model) -> None:
    """The anchor writes what the built-in scenarios use; refuse what it does not write."""
    sc = model.scenario
    unsupported = {
        "fading rules": any(r.fades is not None for r in sc.rules),
        "set-effects": any(x.sets for x in [*sc.schedule, *sc.actions]),
        "scheduled events' effects": any(s.effects for s in sc.schedule),
        "elections": bool(sc.elections),
        "decoupling signs": bool(sc.decoupling.signs),
    }
    used = [name for name, present in unsupported.items() if present]
    if used:
        raise ValueError(f"the Mesa anchor does not write {', '.join(used)}")


def build_model_class(compiled: Model) -> type[AllianceModel]:
    """An AllianceModel subclass whose ``step`` is the scenario's generated Python code."""
    namespace: dict[str, Any] = {"math": math, "_div": _div, "_poisson": _poisson}
    exec(generate_step_source(compiled), namespace)  # our own generated source, not user input
    return type("ScenarioModel", (AllianceModel,), {"step": namespace["step"]})


def bargaining_models(compiled: Model) -> set[str]:
    """The bargaining models the scenario's issues use."""
    return {issue.model for issue in compiled.issues}


def run_mesa(
    compiled: Model, policy: str, members: int, seed: int
) -> tuple[float, list[list[dict[str, float]]]]:
    """Run ``members`` Mesa models; return (seconds, histories). Draws are the engine's block 0."""
    draws = Draws.block(compiled, seed, Block(0, 0, members))
    spec = compiled.policy(policy)
    P = draws.parameters(compiled, spec)
    names = compiled.parameter_names
    cls = build_model_class(compiled)
    worlds = []
    for m in range(members):
        params = {name: float(P[i, m]) for i, name in enumerate(names)}
        worlds.append(cls(compiled, policy, params, draws.slots[:, :, m]))
    start = time.perf_counter()
    for world in worlds:
        for _ in range(compiled.horizon):
            world.step()
    return time.perf_counter() - start, [w.history for w in worlds]


def max_difference_from_engine(compiled: Model, policy: str, members: int, seed: int) -> float:
    """Largest absolute difference between the Mesa and the vectorised trajectories."""
    _, histories = run_mesa(compiled, policy, members, seed)
    draws = Draws.block(compiled, seed, Block(0, 0, members))
    spec = compiled.policy(policy)
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
    args = parser.parse_args(argv)
    compiled = compile_model(_compromise_only(load_scenario(args.scenario)))
    seconds, _ = run_mesa(compiled, "baseline", args.members, args.seed)
    rate = args.members * compiled.horizon / seconds
    diff = max_difference_from_engine(compiled, "baseline", min(args.members, 20), args.seed)
    print(
        f"mesa reference: {args.members} members × {compiled.horizon} steps in {seconds:.2f} s "
        f"= {rate:,.0f} member-steps/s; max |Mesa − engine| = {diff:.2e}"
    )


def _compromise_only(scenario: Any) -> Any:
    """The scenario with every issue decided by the compromise model (all Mesa supports here)."""
    issues = [i.model_copy(update={"model": "compromise"}) for i in scenario.issues]
    copy = scenario.model_copy(update={"issues": issues})
    return copy


if __name__ == "__main__":
    sys.exit(main())
