"""Robust recommendations: which course of action holds up across rival structures and worlds.

A **world** is one structure of a run (an account of every contested mechanism) and one member
(a parameter draw with its event streams). Every policy is simulated on every world (common
random numbers), so each policy has one outcome per world and policies can be compared world by
world, as robust decision making does (Lempert, Popper & Bankes 2003):

- **regret** of a policy in a world: how far its outcome falls short of the best outcome any
  option (baseline and the recommendations; counterfactuals are not options) reaches in that
  world. The measure is continuous (:func:`regret_measure`): by default the indicator the
  decoupling condition reads (``cohesion``), at the horizon, in the direction the condition
  reads as better; or the quarters the alliance lasts without decoupling. The decoupled flag
  itself is 0/1 in a world, so its regret is 0 or 1 and its percentiles only say whether a
  share exceeds 10 %. Reported: the mean, the 90th percentile and the maximum over worlds;
- **satisficing share**: the share of worlds in which every stated threshold holds
  (:class:`Threshold`): a condition on what a world records at the horizon (``decoupled == 0``,
  ``count.stryker_withdrawal == 0``), or a *chance* threshold, a condition that must hold in at
  least a given share of each structure's worlds (``decoupled == 0`` in 90 %: P(decoupling)
  below 10 % under that structure), which holds or fails for all of a structure's worlds at once;
- **ranks** by P(decoupling by the horizon) under each structure and under each *weighting*
  of the structures (the scenario's priors; history's weights when they are known), and in
  words where they disagree.

Worlds carry weights: a structure's weight under the weighting, shared equally by its members.
Percentiles are those of the weighted distribution of regret over worlds (the smallest regret
r such that worlds of total weight at least p have regret ≤ r), so "p90 = 0.02" reads "in
nine worlds in ten (by weight) the policy falls at most 0.02 short of the best option".
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from alliancesim.errors import InputError
from alliancesim.expr import ExpressionError, ParsedExpression, parse_expression

if TYPE_CHECKING:
    from alliancesim.model import Model
    from alliancesim.results import Results

__all__ = [
    "DECOUPLING_TIME",
    "HISTORY",
    "PRIOR",
    "PolicyRobustness",
    "RegretMeasure",
    "Robustness",
    "Scores",
    "Threshold",
    "WorldOutcomes",
    "parse_threshold",
    "regret_measure",
    "robustness",
    "robustness_of_run",
    "scenario_thresholds",
    "weighted_percentile",
    "world_outcomes",
]

DECOUPLING_TIME = "decoupling_time"
"""The regret measure 'quarters (steps) the alliance lasts without decoupling', horizon + 1 for
a world that does not decouple by the horizon."""
PRIOR = "prior"
"""The weighting of structures by the products of their accounts' priors (the scenario's)."""
HISTORY = "history"
"""The weighting of structures by history's out-of-sample scores of their accounts."""
PERCENTILE = 0.9


# --------------------------------------------------------------------------------------------
# what is measured


@dataclass(frozen=True)
class RegretMeasure:
    """The continuous outcome regret is measured in: a recorded quantity at the horizon (or the
    steps the alliance lasts without decoupling), which way is better, and why it was chosen."""

    name: str
    better: Literal["higher", "lower"]
    reason: str

    @property
    def sign(self) -> float:
        """+1 when higher is better, −1 when lower is."""
        return 1.0 if self.better == "higher" else -1.0

    def describe(self) -> str:
        """The measure in words."""
        if self.name == DECOUPLING_TIME:
            return "steps the alliance lasts without decoupling (horizon + 1 if it never does)"
        return f"{self.name} at the horizon ({self.better} is better)"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"name": self.name, "better": self.better, "reason": self.reason}


_SIDES: dict[type, str] = {ast.Lt: "higher", ast.LtE: "higher", ast.Gt: "lower", ast.GtE: "lower"}
_FLIP = {"higher": "lower", "lower": "higher"}


def _condition_measure(model: Model) -> tuple[str, str, str] | None:
    """The indicator (or state variable) the decoupling definition compares with a threshold —
    the cohesion index's condition if it has one, else its (first such) sign — and which side
    of it keeps the alliance together, when the condition says so plainly."""
    from alliancesim.expr import _dotted

    recordable = {*model.indicator_names, *model.quantities[: model.n_states]}
    decoupling = model.scenario.decoupling
    index = getattr(decoupling, "index", None)
    conditions = [("the cohesion index", index.when)] if index is not None else []
    conditions += [
        ("the decoupling condition" if ident is None else f"the decoupling sign {ident}", when)
        for ident, when, _ in decoupling.sign_conditions
    ]
    for where, condition in conditions:
        for node in ast.walk(condition.tree):
            if not isinstance(node, ast.Compare) or len(node.ops) != 1:
                continue
            side = _SIDES.get(type(node.ops[0]))
            if side is None:
                continue
            left, right = _dotted(node.left), _dotted(node.comparators[0])
            if left in recordable:
                return left, side, where  # cohesion < t: decoupling below, so higher is better
            if right in recordable:
                return right, _FLIP[side], where  # t > cohesion: the same
    return None


def regret_measure(
    model: Model, name: str | None = None, better: str | None = None
) -> RegretMeasure:
    """The measure regret is computed in: ``name`` (a recorded quantity at the horizon, or
    :data:`DECOUPLING_TIME`) with ``better`` (``higher``/``lower``; for a quantity the decoupling
    condition compares, read from it when not given); by default the quantity the decoupling
    condition compares with its threshold (e.g. ``cohesion < …``: higher is better), else the
    steps the alliance lasts without decoupling."""
    if better is not None and better not in ("higher", "lower"):
        raise InputError.single("--better", f"expected 'higher' or 'lower', got {better!r}")
    found = _condition_measure(model)
    if name is None or name == DECOUPLING_TIME:
        if name is None and found is not None:
            chosen, side, where = found
            return RegretMeasure(
                chosen,
                better or side,  # type: ignore[arg-type]
                f"{where} compares {chosen} with its threshold: a continuous outcome whose "
                "shortfall says how close a world comes to decoupling",
            )
        if better not in (None, "higher"):
            raise InputError.single(
                "--better", f"{DECOUPLING_TIME}: a later decoupling is always the better"
            )
        return RegretMeasure(
            DECOUPLING_TIME,
            "higher",
            "the steps before decoupling: the decoupling condition names no quantity to measure"
            if name is None
            else "chosen: the steps the alliance lasts without decoupling",
        )
    recordable = [*model.indicator_names, *model.quantities[: model.n_states]]
    if name not in recordable:
        from alliancesim.scenario.names import suggest

        raise InputError.single(
            "--measure",
            f"unknown measure {name!r}{suggest(name, recordable)}: an indicator or state "
            f"variable, or {DECOUPLING_TIME!r}",
        )
    if better is None:
        if found is None or found[0] != name:
            raise InputError.single(
                "--better",
                f"say whether a higher or a lower {name} is better (--better higher|lower): "
                "the decoupling condition does not compare it with a threshold",
            )
        better = found[1]
    return RegretMeasure(name, better, f"chosen: {name} at the horizon")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# thresholds


@dataclass(frozen=True)
class Threshold:
    """A condition a satisficing world meets: ``holds`` (an expression over what a world
    records at the horizon) in that world, or, with ``share``, in at least that share of each
    structure's worlds (a chance threshold: P(condition) ≥ share under the structure)."""

    id: str
    holds: ParsedExpression
    share: float | None = None
    label: str = ""
    source: Any = None

    @property
    def text(self) -> str:
        """The condition as written."""
        return self.holds.text

    def describe(self) -> str:
        """The threshold in words."""
        if self.share is None:
            return f"{self.text} in the world"
        return f"{self.text} in at least {100 * self.share:g} % of each structure's worlds"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "holds": self.text,
            "share": self.share,
            "label": self.label,
            "description": self.describe(),
        }


def parse_threshold(text: str, index: int = 0) -> Threshold:
    """A threshold from the command line: ``EXPR`` (holds in the world) or ``EXPR @ SHARE``
    (holds in at least SHARE of each structure's worlds, 0 < SHARE ≤ 1); InputError naming what
    is wrong."""
    body, at, share_text = str(text).rpartition("@")
    if not at:
        body, share_text = str(text), ""
    share = None
    if at:
        try:
            share = float(share_text.strip().rstrip("%").strip())
        except ValueError:
            raise InputError.single(
                "--threshold",
                f"expected EXPR or EXPR @ SHARE (a share from 0 to 1), got {text!r}",
            ) from None
        if share_text.strip().endswith("%"):
            share /= 100
        if not 0 < share <= 1:
            raise InputError.single(
                "--threshold", f"the share after @ must be above 0 and at most 1, got {text!r}"
            )
    try:
        parsed = parse_expression(body.strip())
    except ExpressionError as exc:
        raise InputError.single("--threshold", str(exc)) from None
    return Threshold(f"threshold_{index + 1}", parsed, share, label=body.strip())


def scenario_thresholds(scenario: Any) -> list[Threshold]:
    """The thresholds a scenario declares (``[[thresholds]]``), in file order."""
    return [
        Threshold(t.id, t.holds, t.share, t.label or t.holds.text, t.source)
        for t in getattr(scenario, "thresholds", None) or []
    ]


def _check_names(thresholds: Sequence[Threshold], recorded: set[str], run_hint: str) -> None:
    """InputError for every name a threshold reads that the run did not record."""
    from alliancesim.errors import Problem
    from alliancesim.scenario.names import suggest

    problems = []
    for threshold in thresholds:
        for name in sorted(threshold.holds.names - recorded):
            problems.append(
                Problem(
                    "--threshold" if threshold.source is None else "scenario",
                    None,
                    f"thresholds.{threshold.id}" if threshold.source is not None else "",
                    f"{threshold.text!r} reads {name!r}, which the run did not record at the "
                    f"horizon{suggest(name, sorted(recorded))}{run_hint}",
                )
            )
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------------------------
# the worlds' outcomes


@dataclass
class WorldOutcomes:
    """Each policy's outcome in each world: arrays shaped (structures, members), structures in
    run order, members in member order."""

    structures: list[str]
    policies: list[str]
    measure: dict[str, np.ndarray]
    """The regret measure per policy (for :data:`DECOUPLING_TIME`, the steps without decoupling)."""
    decoupled: dict[str, np.ndarray]
    """Decoupled by the horizon (0/1) per policy."""
    holds: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    """Per threshold id and policy, whether the threshold's condition holds in the world."""

    @property
    def members(self) -> int:
        """Members per structure."""
        return next(iter(self.decoupled.values())).shape[1]


def _evaluate(threshold: Threshold, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Whether a threshold's condition holds in each world, from the recorded values."""
    from alliancesim.expr_closures import compile_expression

    compiled = compile_expression(threshold.holds, lambda name: lambda c: c[name])
    size = len(next(iter(values.values())))
    return np.broadcast_to(np.asarray(compiled(values), dtype=float) != 0.0, (size,)).copy()


def world_outcomes(
    results: Results,
    policies: Sequence[str],
    measure: RegretMeasure,
    thresholds: Sequence[Threshold] = (),
) -> WorldOutcomes:
    """Read each policy's outcome in each world of a run (its files; nothing is simulated)."""
    ids = [t.id for t in thresholds]
    if len(set(ids)) != len(ids):
        raise ValueError(f"thresholds need distinct ids, got {ids}")
    H = results.model.horizon
    recorded = results.files.columns()
    hint = (
        ": run with --record all"
        if results.record != "all"
        else " (names at the horizon: indicators, state variables, count.<event>, decoupled…)"
    )
    _check_names(thresholds, recorded, hint)
    needed = {"decoupled"}
    if measure.name != DECOUPLING_TIME:
        if measure.name not in recorded:
            raise InputError.single("--measure", f"the run did not record {measure.name!r}{hint}")
        needed.add(measure.name)
    for threshold in thresholds:
        needed |= set(threshold.holds.names)
    names = sorted(needed)
    structures = list(results.structures)
    S = len(structures)
    out_measure: dict[str, np.ndarray] = {}
    out_decoupled: dict[str, np.ndarray] = {}
    holds: dict[str, dict[str, np.ndarray]] = {t.id: {} for t in thresholds}
    m_all = {p: np.empty((S, results.members)) for p in policies}
    d_all = {p: np.empty((S, results.members)) for p in policies}
    per_all = {
        p: {t.id: np.empty((S, results.members), dtype=bool) for t in thresholds} for p in policies
    }
    if results.several:
        read = results.files.member_steps_by_structure(names, structures, policies)
    else:
        read = (
            (structures[0], policy, steps)
            for policy, steps in results.files.member_steps_by_policy(names, policies)
        )
    for name, policy, steps in read:  # several structures and policies per query
        s = structures.index(name)
        m, d, per_threshold = m_all[policy], d_all[policy], per_all[policy]
        flag = steps["decoupled"]
        d[s] = flag[:, H]
        if measure.name == DECOUPLING_TIME:
            decoupled = flag[:, 1 : H + 1] != 0
            first = np.argmax(decoupled, axis=1) + 1.0
            m[s] = np.where(decoupled.any(axis=1), first, H + 1.0)
        else:
            m[s] = steps[measure.name][:, H]
        at_horizon = {n: v[:, H] for n, v in steps.items()}
        for threshold in thresholds:
            per_threshold[threshold.id][s] = _evaluate(threshold, at_horizon)
    for policy in policies:
        out_measure[policy] = m_all[policy]
        out_decoupled[policy] = d_all[policy]
        for key, value in per_all[policy].items():
            holds[key][policy] = value
    return WorldOutcomes(structures, list(policies), out_measure, out_decoupled, holds)


# --------------------------------------------------------------------------------------------
# the computation


def weighted_percentile(values: np.ndarray, weights: np.ndarray, level: float) -> float:
    """The smallest value v such that the values at most v carry at least ``level`` of the
    total weight (the inverse of the weighted empirical distribution function); values with
    no weight are ignored."""
    keep = weights > 0
    x, w = np.asarray(values, dtype=float)[keep], np.asarray(weights, dtype=float)[keep]
    if not len(x):
        return math.nan
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w) / w.sum()
    k = int(np.searchsorted(cumulative, level - 1e-12, side="left"))
    return float(x[min(k, len(x) - 1)])


@dataclass(frozen=True)
class Scores:
    """A policy's robustness under one weighting of the structures (or under one structure)."""

    p_decoupling: float
    regret_mean: float
    regret_p90: float
    regret_max: float
    satisficing: float | None  # None when no threshold was stated
    rank: int | None  # by P(decoupling) among the options; None for a policy that is not one

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "p_decoupling": self.p_decoupling,
            "regret_mean": self.regret_mean,
            "regret_p90": self.regret_p90,
            "regret_max": self.regret_max,
            "satisficing": self.satisficing,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class PolicyRobustness:
    """One policy's robustness: under each weighting of the structures and under each
    structure alone."""

    policy: str
    label: str
    kind: str
    weighted: Mapping[str, Scores]
    by_structure: Mapping[str, Scores]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "kind": self.kind,
            "weighted": {k: v.to_dict() for k, v in self.weighted.items()},
            "structures": {k: v.to_dict() for k, v in self.by_structure.items()},
        }


@dataclass(frozen=True)
class Robustness:
    """Every option's robustness across a run's worlds, with the disagreements in words."""

    measure: RegretMeasure
    thresholds: tuple[Threshold, ...]
    structures: tuple[str, ...]
    weightings: Mapping[str, Mapping[str, float]]
    policies: tuple[PolicyRobustness, ...]
    members: int
    disagreements: tuple[str, ...] = ()
    headline: str = PRIOR
    """The weighting shown first (history's when known, else the prior)."""

    def policy(self, name: str) -> PolicyRobustness:
        """The robustness of one policy."""
        return next(p for p in self.policies if p.policy == name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "measure": self.measure.to_dict(),
            "percentile": PERCENTILE,
            "thresholds": [t.to_dict() for t in self.thresholds],
            "structures": list(self.structures),
            "weightings": {k: dict(v) for k, v in self.weightings.items()},
            "headline": self.headline,
            "members": self.members,
            "policies": [p.to_dict() for p in self.policies],
            "disagreements": list(self.disagreements),
        }


def _normalised(weights: Mapping[str, float], structures: Sequence[str], name: str) -> np.ndarray:
    values = np.array([max(float(weights.get(s, 0.0)), 0.0) for s in structures])
    total = values.sum()
    if not total > 0:
        raise InputError.single(
            "--weights", f"the weighting {name!r} gives no weight to any structure of the run"
        )
    return values / total


def _satisfied(outcomes: WorldOutcomes, thresholds: Sequence[Threshold], policy: str) -> np.ndarray:
    """Whether each world (structures, members) meets every threshold under ``policy``."""
    ok = np.ones((len(outcomes.structures), outcomes.members), dtype=bool)
    for threshold in thresholds:
        holds = outcomes.holds[threshold.id][policy]
        if threshold.share is None:
            ok &= holds
        else:  # a chance threshold holds or fails for a whole structure
            ok &= (holds.mean(axis=1) >= threshold.share - 1e-12)[:, None]
    return ok


def _ranks(
    values: Mapping[str, float], regrets: Mapping[str, float], options: Sequence[str]
) -> dict[str, int]:
    """Ranks (1 = lowest P(decoupling)) among the options; equal probabilities are ranked by
    mean regret (the continuous measure tells apart what the yes/no outcome cannot), then in
    the options' order."""
    order = sorted(
        options, key=lambda p: (round(values[p], 12), round(regrets[p], 12), options.index(p))
    )
    return {p: k + 1 for k, p in enumerate(order)}


def robustness(
    outcomes: WorldOutcomes,
    measure: RegretMeasure,
    weightings: Mapping[str, Mapping[str, float]],
    *,
    thresholds: Sequence[Threshold] = (),
    options: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    headline: str | None = None,
) -> Robustness:
    """Regret, satisficing share and ranks of each option over the worlds of ``outcomes``.

    ``weightings``: named weights of the structures (e.g. ``{"prior": …, "history": …}``),
    normalised over the structures in ``outcomes``; ``options``: the policies regret is measured
    against and that are ranked (default: every policy of ``outcomes``).
    """
    options = list(options if options is not None else outcomes.policies)
    if not options:
        raise ValueError("no options to compare")
    structures = outcomes.structures
    S, M = len(structures), outcomes.members
    stacked = np.stack([measure.sign * outcomes.measure[p] for p in options])  # (P, S, M)
    best = stacked.max(axis=0)
    regret = {p: best - stacked[k] for k, p in enumerate(options)}
    sat = {p: _satisfied(outcomes, thresholds, p) for p in options} if thresholds else {}
    p_by_structure = {p: outcomes.decoupled[p].mean(axis=1) for p in options}
    by_structure: dict[str, dict[str, Scores]] = {p: {} for p in options}
    for s, name in enumerate(structures):
        ranks = _ranks(
            {p: float(p_by_structure[p][s]) for p in options},
            {p: float(regret[p][s].mean()) for p in options},
            options,
        )
        for p in options:
            r = regret[p][s]
            by_structure[p][name] = Scores(
                p_decoupling=float(p_by_structure[p][s]),
                regret_mean=float(r.mean()),
                regret_p90=weighted_percentile(r, np.ones(M), PERCENTILE),
                regret_max=float(r.max()),
                satisficing=float(sat[p][s].mean()) if thresholds else None,
                rank=ranks[p],
            )
    weighted: dict[str, dict[str, Scores]] = {p: {} for p in options}
    norm: dict[str, dict[str, float]] = {}
    for wname, weights in weightings.items():
        w = _normalised(weights, structures, wname)
        norm[wname] = {s: float(x) for s, x in zip(structures, w, strict=True)}
        world_w = np.repeat(w / M, M).reshape(S, M)
        p_weighted = {p: float(w @ p_by_structure[p]) for p in options}
        mean_regret = {p: float((world_w * regret[p]).sum()) for p in options}
        ranks = _ranks(p_weighted, mean_regret, options)
        for p in options:
            r = regret[p]
            alive = world_w > 0
            weighted[p][wname] = Scores(
                p_decoupling=p_weighted[p],
                regret_mean=float((world_w * r).sum()),
                regret_p90=weighted_percentile(r.ravel(), world_w.ravel(), PERCENTILE),
                regret_max=float(r[alive].max()),
                satisficing=float((world_w * sat[p]).sum()) if thresholds else None,
                rank=ranks[p],
            )
    labels = labels or {}
    kinds = kinds or {}
    rows = tuple(
        PolicyRobustness(
            policy=p,
            label=labels.get(p, p),
            kind=kinds.get(p, "baseline" if p == "baseline" else "recommendation"),
            weighted=weighted[p],
            by_structure=by_structure[p],
        )
        for p in options
    )
    chosen = headline if headline in weightings else next(iter(weightings), PRIOR)
    result = Robustness(
        measure=measure,
        thresholds=tuple(thresholds),
        structures=tuple(structures),
        weightings=norm,
        policies=rows,
        members=M,
        headline=chosen,
    )
    return _with_disagreements(result)


def _first(rows: Sequence[PolicyRobustness], key: Any) -> str:
    return min(rows, key=key).policy


def _with_disagreements(result: Robustness) -> Robustness:
    """The robustness with, in plain words, where its rankings disagree (or that they agree)."""
    rows = result.policies
    out: list[str] = []
    firsts = {
        name: _first(rows, lambda r, n=name: r.by_structure[n].rank) for name in result.structures
    }
    if len(result.structures) > 1:
        if len(set(firsts.values())) > 1:
            out.append(
                "The structures rank a different option first: "
                + "; ".join(f"{p} under {s}" for s, p in firsts.items())
                + "."
            )
        moved = []
        for r in rows:
            ranks = [r.by_structure[s].rank for s in result.structures]
            if min(ranks) != max(ranks):  # type: ignore[type-var]
                moved.append(f"{r.policy} ranks {min(ranks)}–{max(ranks)}")  # type: ignore[type-var]
        if moved:
            out.append("Ranks move between structures: " + "; ".join(moved) + ".")
    by_weighting = {w: _first(rows, lambda r, w=w: r.weighted[w].rank) for w in result.weightings}
    if len(set(by_weighting.values())) > 1:
        out.append(
            "The weightings rank a different option first: "
            + "; ".join(f"{p} under {w}'s weights" for w, p in by_weighting.items())
            + "."
        )
    head = result.headline
    if head in result.weightings:
        values = {r.weighted[head].p_decoupling for r in rows}
        if max(values) - min(values) < 1e-12:
            out.append(
                f"No option changes P(decoupling) (all {100 * min(values):.1f} %): they are ranked "
                f"by mean regret in {result.measure.name}."
            )
        by_p = by_weighting[head]
        by_regret = _first(rows, lambda r: (r.weighted[head].regret_p90, r.weighted[head].rank))
        if by_regret != by_p:
            out.append(
                f"{by_p} ranks first, but {by_regret} has the smallest "
                f"90th-percentile regret in {result.measure.name}: the best on average is not "
                "the one that falls least short in bad worlds."
            )
        if result.thresholds:
            by_sat = _first(
                rows, lambda r: (-(r.weighted[head].satisficing or 0.0), r.weighted[head].rank)
            )
            if by_sat != by_p:
                out.append(
                    f"{by_sat} meets every threshold in the most worlds, though {by_p} ranks first."
                )
    if not out:
        every = "every structure and weighting" if len(result.structures) > 1 else "every view"
        out.append(
            f"The rankings agree: {every} ranks {by_weighting.get(head, next(iter(firsts.values())))} "
            "first, and it also has the smallest regret."
        )
    return Robustness(**{**result.__dict__, "disagreements": tuple(out)})


def robustness_of_run(
    results: Results,
    policies: Sequence[str] | None = None,
    *,
    measure: RegretMeasure | None = None,
    thresholds: Sequence[Threshold] | None = None,
    weightings: Mapping[str, Mapping[str, float]] | None = None,
) -> Robustness:
    """The robustness of a run's options (baseline and its recommendations, or ``policies``),
    from its files: regret in ``measure`` (default :func:`regret_measure`), the satisficing
    share of ``thresholds`` (default: the scenario's), ranks under each structure and under
    each of ``weightings`` (default: the run's prior weights)."""
    model = results.model
    scenario = model.scenario
    kinds = {p.id: p.kind for p in scenario.policies}
    names = list(policies) if policies else list(results.policies)
    options = ["baseline"] + [
        p
        for p in names
        if p != "baseline"
        and p in results.policies
        and all(kinds.get(part, "recommendation") != "counterfactual" for part in p.split("+"))
    ]
    missing = [p for p in names if p not in results.policies]
    if missing:
        raise InputError.single(
            "--policy", f"the run did not simulate {', '.join(repr(p) for p in missing)}"
        )
    measure = measure or regret_measure(model)
    chosen = list(scenario_thresholds(scenario) if thresholds is None else thresholds)
    outcomes = world_outcomes(results, options, measure, chosen)
    own = {p.id: p.label for p in scenario.policies}
    labels = {
        p: "no change"
        if p == "baseline"
        else " + ".join(own.get(part, part) for part in p.split("+"))
        for p in options
    }
    return robustness(
        outcomes,
        measure,
        weightings or {PRIOR: dict(results.weights)},
        thresholds=chosen,
        options=options,
        labels=labels,
        kinds={p: "baseline" if p == "baseline" else "recommendation" for p in options},
        headline=HISTORY if weightings and HISTORY in weightings else PRIOR,
    )
