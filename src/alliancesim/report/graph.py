"""The rule graph as an analyst reads it: perceptions, the events and levers that move them,
the signed links between them and the feedback loops they form.

The scenario's full causal graph (``alliancesim.scenario.loops.causal_links``) has a node for
every quantity the engine keeps: positions, saliences, issue outcomes, counts, consultation
flags, intermediate indicators… (over a hundred in ``us-rok-2025``). A diagram of all of them
is unreadable, so this module keeps the quantities a reader of the seeds recognises, the
*perceptions* (state variables), the *happenings* that move them (events and actions) and the
policy *levers*, and contracts every path through the other quantities into one link, whose
sign is the product of the signs along the path. Feedback loops are projected the same way:
a loop of the full graph becomes the cycle of kept quantities it passes through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from alliancesim.scenario.schema import Scenario, SeedQuote

__all__ = ["CausalGraph", "GraphEdge", "GraphLoop", "GraphNode", "causal_graph"]

MAX_HOPS = 5
"""Longest chain of hidden quantities contracted into one link."""


@dataclass(frozen=True)
class GraphNode:
    """A quantity in the diagram: a perception, a happening or a policy lever."""

    name: str
    kind: str  # "perception", "happening", "lever"
    label: str


@dataclass
class GraphEdge:
    """``source`` moves ``target``: directly through a rule, or through hidden quantities."""

    source: str
    target: str
    sign: int  # +1 same direction, -1 opposite, 0 mixed or unknown
    via: list[str] = field(default_factory=list)  # rules, actions, indicators… on the way


@dataclass
class GraphLoop:
    """A feedback loop among the diagram's quantities."""

    nodes: list[str]
    sign: int  # +1 reinforcing, -1 balancing, 0 undetermined
    rules: list[str]
    quotes: list[SeedQuote]

    @property
    def polarity(self) -> str:
        """'reinforcing', 'balancing' or 'undetermined'."""
        return {1: "reinforcing", -1: "balancing"}.get(self.sign, "undetermined")

    def describe(self) -> str:
        """The loop as a chain, e.g. ``doubt.USA.ROK → commitment.USA.ROK → doubt.USA.ROK``."""
        return " → ".join([*self.nodes, self.nodes[0]])


@dataclass
class CausalGraph:
    """Nodes, signed edges and feedback loops of the diagram, with a note on how it was made."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    loops: list[GraphLoop]
    note: str = ""


def _kind(name: str, scenario: Scenario) -> str | None:
    states = {s.id for s in scenario.state}
    if name in states:
        return "perception"
    if name.startswith("event."):
        return "happening"
    if name.startswith("policy."):
        return "lever"
    return None


def _label(name: str, scenario: Scenario) -> str:
    """The scenario's label for a perception (shown on hover), else the name."""
    for state in scenario.state:
        if state.id == name and state.label:
            return state.label
    return name


def _links(scenario: Scenario) -> tuple[list[Any], str]:
    """(source, target, sign, via) of every causal link, and a note if signs are unknown."""
    try:
        from alliancesim.scenario.loops import causal_links
    except ImportError:
        links = []
        for rule in scenario.rules:
            names = set(rule.driver.names) | (set(rule.gate.names) if rule.gate else set())
            links.extend((name, rule.target, 0, rule.id) for name in sorted(names))
        return links, "link signs not determined (alliancesim.scenario.loops is not available)"
    return [(k.source, k.target, k.sign, k.via) for k in causal_links(scenario)], ""


def _seed_quotes(entry: Any) -> list[SeedQuote]:
    """The seed quotes an entry cites, its own source first."""
    found = [entry.source, *entry.sources.values()]
    return _unique([q for q in found if isinstance(q, SeedQuote)])


def _rule_quotes(scenario: Scenario) -> dict[str, list[SeedQuote]]:
    out: dict[str, list[SeedQuote]] = {}
    for rule in scenario.rules:
        out[rule.id] = _seed_quotes(rule)
    for action in scenario.actions:
        out[f"action:{action.id}"] = _seed_quotes(action)
    for event in scenario.events:
        out[f"event:{event.id}"] = _seed_quotes(event)
    return out


def causal_graph(scenario: Scenario, *, max_loops: int = 12) -> CausalGraph:
    """The scenario's rule graph at the level of perceptions, happenings and levers.

    Returns the kept quantities, one edge per ordered pair linked directly or through hidden
    quantities (sign: the product along the path; 0 if paths disagree), and up to
    ``max_loops`` feedback loops among the kept quantities, those citing a seed first.
    """
    links, note = _links(scenario)
    successors: dict[str, list[tuple[str, int, str]]] = {}
    for source, target, sign, via in links:
        if source != target:
            successors.setdefault(source, []).append((target, sign, via))
    names = {s for s, *_ in links} | {t for _, t, *_ in links}
    kept = {n: k for n in names if (k := _kind(n, scenario)) is not None}
    edges: dict[tuple[str, str], GraphEdge] = {}
    for start in sorted(kept):
        # depth-first through hidden quantities, carrying the sign and the links used
        stack: list[tuple[str, int, list[str], frozenset[str]]] = [
            (start, 1, [], frozenset([start]))
        ]
        while stack:
            node, sign, via, seen = stack.pop()
            for target, link_sign, link_via in successors.get(node, []):
                path_sign = sign * link_sign
                path = [*via, link_via]
                if target in kept:
                    if target == start:
                        continue
                    edge = edges.get((start, target))
                    if edge is None:
                        edges[(start, target)] = GraphEdge(start, target, path_sign, path)
                    elif edge.sign != path_sign:
                        edge.sign = 0
                elif target not in seen and len(path) <= MAX_HOPS and _passable(start, target):
                    stack.append((target, path_sign, path, seen | {target}))
    used = {e.source for e in edges.values()} | {e.target for e in edges.values()}
    order = _node_order(scenario, used)
    nodes = [GraphNode(n, kept[n], _label(n, scenario)) for n in order]
    loops = _projected_loops(scenario, set(order), edges, max_loops)
    return CausalGraph(
        nodes, sorted(edges.values(), key=lambda e: (e.source, e.target)), loops, note
    )


def _passable(start: str, hidden: str) -> bool:
    """Whether a contracted link from ``start`` may pass through the hidden quantity.

    A consultation flag (``consulted.<action>``) is 1 only when its action happened *and* the
    ally was consulted: it carries a lever's effect (consult more, fear less), but read as a
    path from whatever made the action likelier it would say "more doubt, less fear" (through
    the consultation that sometimes comes with the withdrawal), which misleads. So only links
    from policy levers pass through it.
    """
    return not hidden.startswith("consulted.") or start.startswith("policy.")


def _node_order(scenario: Scenario, used: set[str]) -> list[str]:
    """Perceptions grouped by the actor who holds them (scenario order), then the rest."""
    actors = [a.id for a in scenario.actors]
    states = [s.id for s in scenario.state if s.id in used]

    def holder(name: str) -> int:
        parts = name.split(".")
        return actors.index(parts[1]) if len(parts) > 1 and parts[1] in actors else len(actors)

    perceptions = sorted(states, key=lambda n: (holder(n), states.index(n)))
    others = sorted(n for n in used if n not in perceptions)
    return perceptions + others


def _projected_loops(
    scenario: Scenario, kept: set[str], edges: dict[tuple[str, str], GraphEdge], limit: int
) -> list[GraphLoop]:
    try:
        from alliancesim.scenario.loops import feedback_loops
    except ImportError:
        return []
    quotes = _rule_quotes(scenario)
    found: dict[tuple[str, ...], GraphLoop] = {}
    for loop in feedback_loops(scenario):
        cycle = [n for n in loop.nodes if n in kept]
        if len(cycle) < 2 or len(set(cycle)) != len(cycle):
            continue
        pairs = list(zip(cycle, [*cycle[1:], cycle[0]], strict=True))
        if any(pair not in edges for pair in pairs):
            continue
        k = cycle.index(min(cycle))
        key = tuple(cycle[k:] + cycle[:k])
        # the rules' own quotes (the propositions) before those of actions and events
        ordered = sorted(loop.rules, key=lambda r: r.startswith(("action:", "event:")))
        cited = [q for r in ordered for q in quotes.get(r, [])]
        previous = found.get(key)
        if previous is None:
            found[key] = GraphLoop(list(key), loop.sign, list(loop.rules), _unique(cited))
        else:
            if previous.sign != loop.sign:
                previous.sign = 0
            previous.quotes = _unique(previous.quotes + cited)
            previous.rules = _unique_str(previous.rules + list(loop.rules))
    perceptions = {s.id for s in scenario.state}
    ranked = sorted(
        found.values(),
        key=lambda lp: (
            not all(n in perceptions for n in lp.nodes),  # loops of perceptions first
            not lp.quotes,
            lp.sign == 0,
            len(lp.nodes),
            lp.nodes,
        ),
    )
    return ranked[:limit]


def _unique(quotes: list[SeedQuote]) -> list[SeedQuote]:
    out: list[SeedQuote] = []
    for q in quotes:
        if q not in out:
            out.append(q)
    return out


def _unique_str(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _spectral_order(graph: CausalGraph, names: list[str]) -> list[str]:
    """``names`` ordered around a circle so that linked quantities sit close together: by the
    angle of each node in the plane of the Laplacian's second and third eigenvectors
    (spectral circular ordering) of the undirected graph."""
    import numpy as np

    everyone = [n.name for n in graph.nodes]
    if len(names) < 4:
        return names
    index = {n: k for k, n in enumerate(everyone)}
    adjacency = np.zeros((len(everyone), len(everyone)))
    for e in graph.edges:
        a, b = index[e.source], index[e.target]
        adjacency[a, b] = adjacency[b, a] = 1.0
    laplacian = np.diag(adjacency.sum(axis=1)) - adjacency
    _, vectors = np.linalg.eigh(laplacian)
    v2, v3 = vectors[:, 1], vectors[:, 2]
    angle = {n: math.atan2(v3[index[n]], v2[index[n]]) for n in names}
    return sorted(names, key=lambda n: (round(angle[n], 9), names.index(n)))


def circle_layout(graph: CausalGraph) -> dict[str, tuple[float, float]]:
    """Positions: perceptions on the unit circle in spectral order, happenings and levers
    evenly on an outer ring, each near the perceptions it moves."""
    inner = _spectral_order(graph, [n.name for n in graph.nodes if n.kind == "perception"])
    outer = [n.name for n in graph.nodes if n.kind != "perception"]
    pos: dict[str, tuple[float, float]] = {}
    for k, name in enumerate(inner):
        angle = math.pi / 2 - 2 * math.pi * k / max(1, len(inner))
        pos[name] = (math.cos(angle), math.sin(angle))
    if not outer:
        return pos
    wanted: list[tuple[float, str]] = []
    for name in outer:
        near = [pos[e.target] for e in graph.edges if e.source == name and e.target in pos]
        near += [pos[e.source] for e in graph.edges if e.target == name and e.source in pos]
        angle = math.atan2(sum(y for _, y in near), sum(x for x, _ in near)) if near else 0.0
        wanted.append((angle % (2 * math.pi), name))
    wanted.sort()
    # evenly spaced in that order, turned to sit as close as possible to where each wants to be
    step = 2 * math.pi / max(len(wanted), 6)
    offsets = [a - k * step for k, (a, _) in enumerate(wanted)]
    turn = math.atan2(sum(math.sin(o) for o in offsets), sum(math.cos(o) for o in offsets))
    for k, (_, name) in enumerate(wanted):
        angle = turn + k * step
        pos[name] = (1.75 * math.cos(angle), 1.75 * math.sin(angle))
    return pos


__all__ += ["circle_layout"]
