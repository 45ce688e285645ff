"""Which claims can fail in the model: every claim is *structural*, *prior-driven* or
*contingent*, and only a contingent claim's verdict is evidence.

- **Structural.** The model as built fixes the claim's sign. Either the signed rule graph does
  (basis "graph"): no simple path from what the claim's two policies change (the parameters
  and levers they set, the scheduled events they add) to the claim's indicator carries the sign
  opposite to the claim's, and links whose direction depends on the state never turn it in the
  run; or the scenario's ranges do (basis "ranges"): opposing paths exist, but in every world of
  the ensemble where the policies differ the claimed side wins (or, for "fails by
  construction", loses). Where the two policies cannot differ on the indicator at all (no path),
  the claim is structural too: it is tested nowhere. With rival structures, this must hold in
  every structure.
- **Prior-driven.** The claim's outcome in each world is decided by one uncertain parameter's
  sign: it holds in (nearly) every world where that parameter is on one side of zero and in
  (nearly) none where it is on the other, so the share of worlds in which it holds merely
  restates the prior mass the parameter's range puts on that side. (PRIM's failure box for such
  a claim is that one parameter's sign.)
- **Contingent.** Everything else: the claim's sign depends on how mechanisms that pull in
  different directions weigh against each other, so the model could have said no.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from alliancesim.model import Model
    from alliancesim.scenario.loops import Link
    from alliancesim.scenario.schema import Claim, Scenario

__all__ = [
    "CLASSES",
    "DIRECTION_MARGIN",
    "MAX_PATHS",
    "PRIOR_MARGIN",
    "ClaimClass",
    "classify_claim",
    "policy_difference",
    "prior_driven",
    "structural_signs",
]

CLASSES = ("structural", "prior-driven", "contingent")
PRIOR_MARGIN = 0.05
"""A claim restates its prior when its share is within this margin of one parameter's mass."""
DIRECTION_MARGIN = 0.1
"""... and it holds in at least 1 − this share of worlds on one side of zero, at most this share
on the other."""
MIN_SIDE = 20
"""Worlds needed on each side of zero before a parameter's sign can be said to decide a claim."""
MAX_PATHS = 20_000
"""Simple paths explored before a claim's structure is declared undetermined."""
_GRID = np.linspace(0.0005, 0.9995, 401)


@dataclass(frozen=True)
class ClaimClass:
    """Why a claim can or cannot fail in the model, and how its verdict must be read."""

    name: str  # structural, prior-driven, contingent
    reading: str  # holds by construction / fails by construction / restates its prior / ""
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "class": self.name,
            "reading": self.reading,
            "reason": self.reason,
            **dict(self.details),
        }


# --------------------------------------------------------------------------------------------
# what two policies change


def _direction(a: Any, b: Any) -> int | None:
    """How parameter draws under policy a differ from those under b at the same uniform draw:
    +1 never lower and sometimes higher, −1 the reverse, 0 equal, None either way."""
    if a == b:
        return 0
    diff = np.asarray(a.ppf(_GRID), dtype=float) - np.asarray(b.ppf(_GRID), dtype=float)
    diff = diff[np.isfinite(diff)]
    if diff.size == 0 or np.all(diff == 0):
        return 0
    if np.all(diff >= 0):
        return 1
    if np.all(diff <= 0):
        return -1
    return None


def policy_difference(model: Model, policy: str, against: str) -> dict[str, int | None]:
    """What ``policy`` changes relative to ``against``, as graph nodes and the direction of the
    change: parameters and levers set (+1 higher, −1 lower, None either way) and scheduled
    events added (+1 where ``policy`` holds more of them)."""
    a, b = model.policy(policy), model.policy(against)
    out: dict[str, int | None] = {}
    for row in sorted(set(a.overrides) | set(b.overrides)):
        parameter = model.parameters[row]
        d = _direction(a.overrides.get(row, parameter.value), b.overrides.get(row, parameter.value))
        if d != 0:
            out[parameter.name] = d
    for index in sorted(set(a.added) | set(b.added)):
        extra_a, extra_b = a.added.get(index, frozenset()), b.added.get(index, frozenset())
        if extra_a == extra_b:
            continue
        name = model.scheduled[index].id
        out[f"added.{name}"] = 1 if extra_a > extra_b else (-1 if extra_b > extra_a else None)
    return out


# --------------------------------------------------------------------------------------------
# the signed graph of a claim


def _parameter_links(
    model: Model, scenario: Scenario, links: Sequence[Link]
) -> list[tuple[str, str, int]]:
    """Links from parameters that are not themselves quantities (a rule's weight, an action's
    probability or effect, a scheduled event's intensity, an initial value…) to the quantities
    they move, with the direction of that move (0 when it cannot be told)."""
    from alliancesim.scenario.loops import rule_value_signs

    out: list[tuple[str, str, int]] = []
    for rule_id, (target, sign) in rule_value_signs(scenario).items():
        out.append((f"rules.{rule_id}.weight", target, sign))
    for action in scenario.actions:
        # a likelier action happens in more worlds; what it does follows from its happening
        # (so its effects hang on event.<id>, and consulted.<id> moves only with the chance of
        # consultation, which is a link of its own in the causal graph)
        for quantity in (f"event.{action.id}", f"count.{action.id}"):
            out.append((f"actions.{action.id}.probability", quantity, 1))
        out.append((f"actions.{action.id}.intensity", f"event.{action.id}", 1))
        for target, value in action.effects.items():
            mean = value.mean
            sign = 0 if not math.isfinite(mean) or mean == 0 else (1 if mean > 0 else -1)
            out.append((f"event.{action.id}", target, sign))
            out.append((f"actions.{action.id}.effects.{target}", target, 1))
    for scheduled in scenario.schedule:
        for quantity in (f"event.{scheduled.id}", f"count.{scheduled.id}"):
            out.append((f"added.{scheduled.id}", quantity, 1))
        out.append((f"schedule.{scheduled.id}.intensity", f"event.{scheduled.id}", 1))
    for event in scenario.events:
        for quantity in (f"event.{event.id}", f"count.{event.id}"):
            out.append((f"events.{event.id}.rate", quantity, 1))
        out.append((f"events.{event.id}.intensity", f"event.{event.id}", 1))
    for state in scenario.state:
        out.append((f"state.{state.id}.initial", state.id, 1))
        out.append((f"state.{state.id}.baseline", state.id, 1))
        out.append((f"state.{state.id}.relaxation", state.id, 0))
    for issue in scenario.issues:
        outcome = f"issue.{issue.id}.outcome"
        out.append((f"issues.{issue.id}.status_quo", f"issue.{issue.id}.status_quo", 1))
        out.append((f"issue.{issue.id}.status_quo", outcome, 0))
        for actor in issue.positions:
            position = f"position.{actor}.{issue.id}"
            salience = f"salience.{actor}.{issue.id}"
            out.append((f"issues.{issue.id}.positions.{actor}.position", position, 1))
            out.append((f"issues.{issue.id}.positions.{actor}.salience", salience, 1))
            out.append((salience, outcome, 0))  # weight in the forecast: either direction
            out.append((f"capability.{actor}", outcome, 0))
    for actor in scenario.actors:
        out.append((f"actors.{actor.id}.capability", f"capability.{actor.id}", 1))
    return out


def _graph(model: Model, structure: str | None = None) -> dict[str, list[tuple[str, int]]]:
    """The claim graph under ``structure`` (None: every rule): the causal links of the rules
    that act under it, the links from parameters to what they move, and the decoupling
    condition's links to the decoupled flag."""
    from alliancesim.scenario.loops import causal_links, condition_links

    scenario = model.scenario
    if structure is not None and scenario.mechanisms:
        from alliancesim.structures import active_rules

        scenario = scenario.model_copy(update={"rules": active_rules(scenario, structure)})
    links = causal_links(scenario)
    graph: dict[str, list[tuple[str, int]]] = {}
    for link in links:
        graph.setdefault(link.source, []).append((link.target, link.sign))
    for source, target, sign in _parameter_links(model, scenario, links):
        graph.setdefault(source, []).append((target, sign))
    for flag in ["decoupled", *model.decoupling_names]:
        for source, sign in condition_links(scenario, flag):
            graph.setdefault(source, []).append((flag, sign))
    return graph


def _reaching(graph: Mapping[str, Iterable[tuple[str, int]]], target: str) -> set[str]:
    """The nodes from which ``target`` can be reached."""
    back: dict[str, set[str]] = {}
    for source, edges in graph.items():
        for node, _ in edges:
            back.setdefault(node, set()).add(source)
    seen, pending = {target}, [target]
    while pending:
        node = pending.pop()
        for source in back.get(node, ()):
            if source not in seen:
                seen.add(source)
                pending.append(source)
    return seen


@dataclass
class PathSigns:
    """The signs of the simple paths from a claim's changes to its indicator."""

    positive: int = 0
    negative: int = 0
    unknown: int = 0
    truncated: bool = False

    @property
    def total(self) -> int:
        """How many simple paths were counted."""
        return self.positive + self.negative + self.unknown


def structural_signs(
    model: Model,
    claim: Claim,
    structure: str | None = None,
    *,
    memo: dict[Any, Any] | None = None,
) -> tuple[PathSigns, dict[str, int | None]]:
    """Count the simple paths, by the sign of the change they carry, from what the claim's
    policies change to its indicator (the sign includes the direction of each change: +1 means
    the indicator is pushed up under ``policy`` relative to ``against``), in the rule graph of
    ``structure`` (None: every rule). ``memo`` keeps the graphs, the policies' changes and the
    counts worked out, for the next call on the same model (a structure whose graph leading to
    the indicator is the same gets the same counts without counting again)."""
    memo = {} if memo is None else memo
    key = ("changes", claim.compare.policy, claim.compare.against)
    if key not in memo:
        memo[key] = policy_difference(model, claim.compare.policy, claim.compare.against)
    changes: dict[str, int | None] = dict(memo[key])
    if ("graph", structure) not in memo:
        memo[("graph", structure)] = _graph(model, structure)
    graph = memo[("graph", structure)]
    target = claim.compare.indicator
    useful = _reaching(graph, target)
    edges = {
        node: tuple((nxt, sign) for nxt, sign in graph.get(node, ()) if nxt in useful)
        for node in sorted(useful)
    }
    starts = tuple((source, direction) for source, direction in changes.items() if source in useful)
    counted = ("signs", target, starts, tuple(edges.items()))
    if counted not in memo:
        memo[counted] = _count_paths(edges, starts, target)
    found: PathSigns = memo[counted]
    return replace(found), changes


def _count_paths(
    edges: Mapping[str, Sequence[tuple[str, int]]],
    starts: Sequence[tuple[str, int | None]],
    target: str,
) -> PathSigns:
    """The signs of the simple paths from each start (a node and the direction of its change)
    to ``target``, counted depth first, a node's links taken last to first, until
    ``MAX_PATHS`` (the order decides which paths a truncated count holds; compiled:
    :func:`alliancesim.paths.count_signed_paths`)."""
    from alliancesim.paths import count_signed_paths

    index = {node: k for k, node in enumerate(edges)}
    offsets = np.zeros(len(index) + 1, dtype=np.int64)
    linked: list[int] = []
    linked_signs: list[int] = []
    for k, links in enumerate(edges.values()):
        linked.extend(index[nxt] for nxt, _ in links)
        linked_signs.extend(int(sign) for _, sign in links)
        offsets[k + 1] = len(linked)
    positive, negative, unknown, truncated = count_signed_paths(
        offsets,
        np.asarray(linked, dtype=np.int64),
        np.asarray(linked_signs, dtype=np.int64),
        np.asarray([index[source] for source, _ in starts], dtype=np.int64),
        np.asarray([0 if d is None else int(d) for _, d in starts], dtype=np.int64),
        index[target],
        MAX_PATHS,
    )
    return PathSigns(positive, negative, unknown, truncated)


def _structural(
    model: Model,
    claim: Claim,
    signs: PathSigns,
    changes: Mapping[str, int | None],
    n_holds: int,
    n_fails: int,
) -> ClaimClass | None:
    """The claim's structural class, or None when the graph does not fix its sign.

    The sign is fixed when no path opposes the claim's side: every path carries that sign or
    (through a link whose direction depends on the state, such as a gap written with ``abs``)
    an undetermined one, and in the latter case the run confirms it (no world goes the other
    way). No path at all means the policies cannot differ on the indicator."""
    details = {
        "paths": {"positive": signs.positive, "negative": signs.negative, "unknown": signs.unknown},
        "changes": dict(changes),
        "basis": "graph",
    }
    if not changes or signs.total == 0:
        return ClaimClass(
            "structural",
            "fails by construction",
            "no causal path leads from what the two policies change to "
            f"{claim.compare.indicator}: they cannot differ on it",
            details,
        )
    if signs.truncated:
        return None
    expected = 1 if claim.compare.expect == "greater" else -1
    agreeing = signs.positive if expected > 0 else signs.negative
    opposing = signs.negative if expected > 0 else signs.positive
    indicator = claim.compare.indicator
    if opposing == 0 and agreeing + signs.unknown > 0 and (signs.unknown == 0 or n_fails == 0):
        hedge = (
            f"; {signs.unknown} more go either way with the state and never turned it in the run"
            if signs.unknown
            else ""
        )
        return ClaimClass(
            "structural",
            "holds by construction",
            f"no causal path from what the policies change to {indicator} opposes the claim "
            f"({agreeing} go the claimed way{hedge}): nothing in the model can make it fail",
            details,
        )
    if agreeing == 0 and opposing + signs.unknown > 0 and (signs.unknown == 0 or n_holds == 0):
        return ClaimClass(
            "structural",
            "fails by construction",
            f"every causal path from what the policies change to {indicator} goes against the "
            f"claim ({opposing + signs.unknown} path(s)); nothing in the model supports it",
            details,
        )
    decisive = n_holds + n_fails
    if decisive and (n_fails == 0 or n_holds == 0):
        holds = n_fails == 0
        return ClaimClass(
            "structural",
            "holds by construction" if holds else "fails by construction",
            f"mechanisms pull {indicator} both ways ({signs.positive} path(s) raise it, "
            f"{signs.negative} lower it, {signs.unknown} either way), but within the scenario's "
            f"ranges the {'claimed' if holds else 'opposing'} side always wins: "
            f"{'all' if holds else 'none'} of the {decisive:,} worlds where the policies differ "
            f"{'go' if holds else 'goes'} the claimed way",
            {**details, "basis": "ranges"},
        )
    return None


# --------------------------------------------------------------------------------------------
# a parameter's sign deciding the claim


def _mass_above_zero(distribution: Any) -> float:
    """P(value > 0) under a parameter's distribution (the quantile function inverted)."""
    lo, hi = 0.0, 1.0
    if float(distribution.ppf(np.array([0.5]))[0]) > 0:
        lo, hi = 0.0, 0.5
    else:
        lo, hi = 0.5, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(distribution.ppf(np.array([mid]))[0]) > 0:
            hi = mid
        else:
            lo = mid
    return 1.0 - (lo + hi) / 2


def prior_driven(
    model: Model,
    parameters: pd.DataFrame,
    holds: np.ndarray,
    fails: np.ndarray,
    share: float,
    *,
    margin: float = PRIOR_MARGIN,
) -> ClaimClass | None:
    """The claim's prior-driven class, or None: one uncertain parameter straddling zero whose
    sign decides the claim in (nearly) every world where the policies differ, and whose prior
    mass on the claim's side is within ``margin`` of the share in which the claim holds."""
    decisive = holds | fails
    if not decisive.any() or not math.isfinite(share):
        return None
    specs = {p.name: p for p in model.parameters}
    best: ClaimClass | None = None
    for name in parameters.columns:
        spec = specs.get(name)
        if spec is None:
            continue
        low, high = spec.value.support
        if not (low < 0 < high):
            continue
        values = parameters[name].to_numpy()[decisive]
        above, below = values > 0, values < 0
        if above.sum() < MIN_SIDE or below.sum() < MIN_SIDE:
            continue
        h = holds[decisive]
        share_above, share_below = h[above].mean(), h[below].mean()
        mass_above = _mass_above_zero(spec.value)
        if share_above >= 1 - DIRECTION_MARGIN and share_below <= DIRECTION_MARGIN:
            side, mass = "above", mass_above
        elif share_below >= 1 - DIRECTION_MARGIN and share_above <= DIRECTION_MARGIN:
            side, mass = "below", 1.0 - mass_above
        else:
            continue
        if abs(share - mass) > margin:
            continue
        where = "> 0" if side == "above" else "< 0"
        candidate = ClaimClass(
            "prior-driven",
            "restates its prior",
            f"it holds in {100 * max(share_above, share_below):.0f} % of worlds where {name} "
            f"{where} and {100 * min(share_above, share_below):.0f} % elsewhere: its share "
            f"({100 * share:.0f} %) restates the {100 * mass:.0f} % prior mass that {name}'s "
            f"range {spec.value.describe()} puts {side} zero",
            {"parameter": name, "prior_mass": mass, "side": side},
        )
        if best is None or abs(share - mass) < abs(share - best.details["prior_mass"]):
            best = candidate
    return best


def classify_claim(
    model: Model,
    claim: Claim,
    *,
    parameters: pd.DataFrame | None,
    holds: np.ndarray,
    fails: np.ndarray,
    share: float,
    structure: str | None = None,
    memo: dict[Any, Any] | None = None,
) -> ClaimClass:
    """The claim's class under ``structure`` (its rule graph: the rules without an account and
    those of the accounts it chooses; None: every rule): structural if the signed graph fixes
    its sign, else prior-driven if one parameter's sign decides it and its share restates that
    parameter's prior mass, else contingent. ``memo``: as for :func:`structural_signs`."""
    signs, changes = structural_signs(model, claim, structure, memo=memo)
    structural = _structural(model, claim, signs, changes, int(holds.sum()), int(fails.sum()))
    if structural is not None:
        return structural
    if parameters is not None:
        prior = prior_driven(model, parameters, holds, fails, share)
        if prior is not None:
            return prior
    expected = 1 if claim.compare.expect == "greater" else -1
    opposing = signs.negative if expected > 0 else signs.positive
    counts = (
        f"{signs.positive} path(s) raise it, {signs.negative} lower it"
        + (f", {signs.unknown} go either way with the state" if signs.unknown else "")
        + ("; more not counted" if signs.truncated else "")
    )
    if opposing:
        why = (
            f"mechanisms pull {claim.compare.indicator} both ways ({counts}): the answer "
            "depends on how they weigh against each other"
        )
    else:
        why = (
            f"no path opposes it, but some go either way with the state ({counts}), and in "
            "some worlds the claim fails"
        )
    if not (holds | fails).any():
        why = "the two policies never differ on it in these worlds: it is not tested here"
    return ClaimClass(
        "contingent",
        "",
        why,
        {
            "paths": {
                "positive": signs.positive,
                "negative": signs.negative,
                "unknown": signs.unknown,
            }
        },
    )
