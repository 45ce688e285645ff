"""Calibration by history matching: which parameter values are not ruled out by the episodes?

The uncertain ranges of a scenario are *bounds* on what we believe, not probability
distributions we trust. History matching (Craig et al. 1997; Vernon, Goldstein & Bower 2010;
Andrianakis et al. 2015 for stochastic models) keeps that reading: it rules out the parameter
values whose simulated changes are too far from the observed ones and returns the ranges that
remain, "not ruled out yet" (NROY), rather than a posterior.

For a parameter point x and an observed target z — what the back-test scores
(:mod:`alliancesim.analysis.backtest`): a level's change from its series' base, a count's total
over its window; events are not matched — the *implausibility* is

    I(x) = |z − E[f(x)]| / sqrt(V_obs + V_model + V_sim(x) · (1 + 1/R))

where E[f(x)] and V_sim(x) are the mean and variance of the simulated target over R replicate
worlds at x (the episode's random events and its parameters outside the calibration vary
between replicates), V_obs the observation error of the target (from the observations' ``sd``)
and V_model = (discrepancy · z)² the model discrepancy: how far even the best model may miss
history. A point is ruled out when its largest implausibility over all targets of all episodes
exceeds the cut-off (3, Pukelsheim's three-sigma rule). Matching the back-test's targets means
calibration and the back-test judge the model on the same quantities, and a calibration scored
on held-out episodes is scored exactly as the uncalibrated model.

The search runs in *waves*: wave 1 fills the prior box with a Latin hypercube (in the unit
space of each parameter's distribution); each later wave fills the bounding box of the previous
wave's NROY points (pooled with the earlier waves' NROY points that lie in the box), widened
where the points are too few to show that an edge is empty (:func:`nroy_box`), so samples
concentrate where the answer is. Without an emulator every wave evaluates the same criterion,
so the waves sharpen the estimate of the NROY box rather than add outputs. The calibrated range
of a parameter is the last wave's NROY box.

Episodes and seed scenarios name parameters differently except where they share a module: the
``dilemma`` rule weights and thresholds (``rules.<id>.weight``, ``param.<id>``) are the same
parameters, with the same prior, in every scenario that includes ``dilemma``. Only such shared
parameters (same name, same prior) are written to the calibrated ranges file for a target
scenario; the others are calibrated too (a mismatch anywhere rules a point out) but reported
only.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from alliancesim.analysis.backtest import (
    Target,
    bare_target,
    history_targets,
    simulate_history,
    simulated_values,
    target_members,
)
from alliancesim.draws import GENERATOR_SLICE, Draws, check_seed, generator, latin_hypercube, spans
from alliancesim.ensemble import compiled, evaluate
from alliancesim.errors import InputError
from alliancesim.executors import InlineExecutor, in_order
from alliancesim.model import Model, compile_model
from alliancesim.scenario import toml_writer as toml
from alliancesim.scenario.loader import load_module
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.parameters import module_parameters as parameters_of_module
from alliancesim.scenario.parameters import scenario_parameters
from alliancesim.scenario.schema import Observation, Override, Scenario
from alliancesim.scenario.uncertain import Fixed, Normal, Uncertain, Uniform

__all__ = [
    "CUTOFF",
    "RECALIBRATE",
    "SOURCES_NOTE",
    "Calibration",
    "Dimension",
    "ParameterRange",
    "Wave",
    "calibration_module",
    "calibration_sources",
    "history_match",
    "implausibility",
    "module_parameters",
    "module_priors",
    "nroy_box",
    "shared_ranges",
    "synthetic_episode",
]

CUTOFF = 3.0
"""Implausibility above which a point is ruled out (Pukelsheim's three-sigma rule)."""
RECALIBRATE = (
    "alliancesim calibrate us-rok-2025 --module dilemma --skip-unmatched --rank 2 --points 10000 "
    "--replicates 8 --waves 4 --module-id calibrated_dilemma "
    "--out src/alliancesim/scenario/library/calibrated-dilemma.toml --force --effect -n 8000"
)
"""The command that remakes the packaged ``calibrated-dilemma`` module (from the repository's
root; ``make calibration``): the dilemma module's ranges matched on every built-in episode."""
SOURCES_NOTE = "Episodes as written when calibrated (alliancesim.history_file.source_hash):"
"""What precedes the episodes' source hashes in a written module's description."""
WRITE_NARROWING = 0.05
"""Ranges narrowed by less than this are not written: the episodes did not inform them."""
_EDGE = 1e-9
EMPTY_EDGE = 0.01
"""An edge of the box is cut only where finding no NROY point there had chance below this."""


@dataclass(frozen=True)
class Dimension:
    """One calibrated parameter: its name, prior (the scenario's range) and the episodes using it."""

    name: str
    prior: Uncertain
    episodes: tuple[str, ...]

    def values(self, unit: np.ndarray) -> np.ndarray:
        """Parameter values at unit-space coordinates (through the prior's inverse cdf)."""
        lo, hi = self.prior.support
        bottom = 0.0 if math.isfinite(lo) else _EDGE  # a normal's ppf(0) is −∞
        top = 1.0 if math.isfinite(hi) else 1.0 - _EDGE
        return self.prior.ppf(np.clip(unit, bottom, top))

    @property
    def prior_range(self) -> tuple[float, float]:
        """The prior's support, or its central 99 % where the support is unbounded."""
        lo, hi = self.prior.support
        if not math.isfinite(lo):
            lo = float(self.prior.ppf(np.array([0.005]))[0])
        if not math.isfinite(hi):
            hi = float(self.prior.ppf(np.array([0.995]))[0])
        return (lo, hi)


MATCHED = ("level", "count")
"""The kinds of target history matching compares (an event's 0/1 rules nothing out at 3 sd)."""


def matched_targets(scenario: Scenario) -> list[Target]:
    """The episode's targets that history matching compares: levels and counts."""
    return [t for t in history_targets(scenario)[0] if t.kind in MATCHED]


@dataclass
class _Episode:
    """An episode prepared for matching: its model, targets and error variances."""

    scenario: Scenario
    model: Model
    changes: list[Target]
    observed: np.ndarray  # (targets,)
    variance: np.ndarray  # V_obs + V_model per target
    dimension_rows: list[tuple[int, int]]  # (dimension index, parameter row)


def _prepare(scenario: Scenario, dims: list[Dimension], discrepancy: float) -> _Episode:
    model = compiled(scenario)
    changes = matched_targets(scenario)
    observed = np.array([c.observed for c in changes], dtype=np.float64)
    v_obs = np.array([c.sd**2 for c in changes])
    variance = v_obs + (discrepancy * observed) ** 2
    rows = {name: k for k, name in enumerate(model.parameter_names)}
    dimension_rows = [
        (d, rows[dim.name]) for d, dim in enumerate(dims) if scenario.id in dim.episodes
    ]
    return _Episode(scenario, model, changes, observed, variance, dimension_rows)


def _simulate_points(
    episode: _Episode, values: np.ndarray, replicates: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance over replicates of each simulated change at each point: (points, changes)."""
    model = episode.model
    columns = [d for d, _ in episode.dimension_rows]
    rows = [row for _, row in episode.dimension_rows]
    per_chunk = max(1, GENERATOR_SLICE // replicates)
    draws = (  # drawn one chunk at a time, in order, from the running generator
        Draws.from_generator(model, rng, rows, values[lo:hi, columns], replicates)
        for lo, hi in spans(values.shape[0], per_chunk)
    )
    task = partial(_simulated_changes, episode, replicates)
    parts = list(in_order(InlineExecutor(), task, draws, window=1))
    return np.concatenate([m for m, _ in parts]), np.concatenate([v for _, v in parts])


def _simulated_changes(
    episode: _Episode, replicates: int, draws: Draws
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance over replicates of each simulated target, for points drawn by
    :meth:`Draws.from_generator`: (points, targets) each."""
    model = episode.model
    names = model.record_names
    _, records = next(evaluate(model, ["baseline"], draws))
    deltas = np.empty((len(episode.changes), draws.size))
    for k, target in enumerate(episode.changes):
        deltas[k] = target_members(target, records, names)
    deltas = deltas.reshape(len(episode.changes), draws.size // replicates, replicates)
    means = deltas.mean(axis=2).T
    variances = (deltas.var(axis=2, ddof=1) if replicates > 1 else np.zeros(deltas.shape[:2])).T
    return means, variances


def _implausibility(
    episodes: Sequence[_Episode], values: np.ndarray, replicates: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Largest implausibility per point, and per point the implausibility of every change."""
    parts = []
    for episode in episodes:
        mean, var = _simulate_points(episode, values, replicates, rng)
        total = episode.variance[None, :] + var * (1.0 + 1.0 / replicates)
        diff = np.abs(episode.observed[None, :] - mean)
        with np.errstate(divide="ignore", invalid="ignore"):
            each = np.where(total > 0, diff / np.sqrt(total), np.where(diff > 0, np.inf, 0.0))
        parts.append(each)
    every = np.concatenate(parts, axis=1)
    return every.max(axis=1), every


@dataclass(frozen=True)
class Wave:
    """One wave: the box it sampled (unit space), its points and how many were not ruled out."""

    index: int
    points: int
    non_implausible: int
    box: tuple[tuple[float, float], ...]  # per dimension, unit-space [low, high]
    pooled: int = 0  # NROY points so far inside this wave's box (the next box's evidence)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "wave": self.index,
            "points": self.points,
            "non_implausible": self.non_implausible,
            "share": self.non_implausible / self.points if self.points else 0.0,
            "pooled": self.pooled,
        }


@dataclass(frozen=True)
class ParameterRange:
    """What calibration did to one parameter's range."""

    dimension: Dimension
    calibrated: tuple[float, float] | None  # the last NROY box; None if all ruled out

    @property
    def narrowing(self) -> float | None:
        """1 − calibrated width / prior width (0: no narrowing, 1: pinned to a value)."""
        if self.calibrated is None:
            return None
        lo, hi = self.dimension.prior_range
        width = hi - lo
        if width <= 0:
            return 0.0
        return 1.0 - (self.calibrated[1] - self.calibrated[0]) / width

    def contains(self, value: float) -> bool:
        """Whether a value lies in the calibrated range."""
        return self.calibrated is not None and self.calibrated[0] <= value <= self.calibrated[1]

    def override_value(self) -> Uncertain | None:
        """The calibrated range as a distribution of the prior's family where the format allows.

        A uniform prior gives a uniform range, a normal one the same normal truncated to the
        range; a triangular prior restricted to a sub-range is not triangular, so it gives a
        uniform range.
        """
        if self.calibrated is None:
            return None
        lo, hi = self.calibrated
        prior = self.dimension.prior
        if hi <= lo:
            return Fixed(lo)
        far = isinstance(prior, Normal) and max(lo - prior.mean_, prior.mean_ - hi) > 8 * prior.sd
        if isinstance(prior, Normal) and not far:
            return Normal(prior.mean_, prior.sd, lo, hi)
        return Uniform(lo, hi)  # a normal truncated beyond 8 sd cannot be written as one

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "parameter": self.dimension.name,
            "prior": self.dimension.prior.describe(),
            "prior_range": list(self.dimension.prior_range),
            "calibrated_range": list(self.calibrated) if self.calibrated else None,
            "narrowing": self.narrowing,
            "episodes": list(self.dimension.episodes),
        }


@dataclass
class Calibration:
    """The outcome of history matching on some episodes."""

    episodes: list[str]
    dimensions: list[Dimension]
    waves: list[Wave]
    ranges: list[ParameterRange]
    cutoff: float
    discrepancy: float
    replicates: int
    seed: int
    best: dict[str, float] = field(default_factory=dict)  # the least implausible point
    best_implausibility: float = math.inf
    worst_changes: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    """Targets left out of the cut as structural misses (``skip_unmatched``)."""
    rank: int = 1
    """Which largest implausibility judged a point (1: the largest)."""

    @property
    def ruled_out_everywhere(self) -> bool:
        """True if no sampled point was consistent with the episodes."""
        return not self.waves or self.waves[-1].pooled == 0

    def label(self, dimension: Dimension) -> str:
        """The parameter's name, with its episodes where other episodes give it another range."""
        same = sum(d.name == dimension.name for d in self.dimensions)
        return (
            dimension.name if same == 1 else f"{dimension.name} ({', '.join(dimension.episodes)})"
        )

    def range_of(self, name: str) -> ParameterRange:
        """The calibration result for one parameter (the first, if its range differs by episode)."""
        for r in self.ranges:
            if r.dimension.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "method": "history matching",
            "episodes": self.episodes,
            "cutoff": self.cutoff,
            "rank": self.rank,
            "discrepancy": self.discrepancy,
            "replicates": self.replicates,
            "seed": self.seed,
            "status": "all_implausible" if self.ruled_out_everywhere else "ok",
            "waves": [w.to_dict() for w in self.waves],
            "best_implausibility": self.best_implausibility,
            "best": self.best,
            "hardest_changes": self.worst_changes,
            "unmatched": self.unmatched,
            "parameters": [r.to_dict() for r in self.ranges],
        }


def _dimensions(episodes: Sequence[Scenario], patterns: Sequence[str] | None) -> list[Dimension]:
    """The uncertain parameters of the episodes (matching ``patterns``).

    Episodes that give a parameter the same range share one dimension (a shared module's
    parameters); a parameter whose range differs between episodes (``state.<id>.initial`` of
    different years) is a separate dimension for each range.
    """
    found: dict[tuple[str, Uncertain], list[str]] = {}
    for scenario in episodes:
        for name, spec in scenario_parameters(scenario).items():
            if spec.value.is_fixed:
                continue
            if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                continue
            found.setdefault((name, spec.value), []).append(scenario.id)
    if patterns and not found:
        raise InputError.single(
            "--parameter",
            f"no uncertain parameter of the episodes matches {', '.join(patterns)}",
        )
    return [Dimension(name, prior, tuple(users)) for (name, prior), users in found.items()]


def _check_episodes(episodes: Sequence[Scenario]) -> None:
    if not episodes:
        raise InputError.single("--episodes", "name at least one episode to calibrate on")
    for scenario in episodes:
        if not matched_targets(scenario):
            raise InputError.single(
                "--episodes",
                f"{scenario.id} has no level or count to forecast from a base, so nothing to match",
            )


def nroy_box(
    unit: np.ndarray, low: np.ndarray, high: np.ndarray, empty_edge: float = EMPTY_EDGE
) -> tuple[np.ndarray, np.ndarray]:
    """The box (unit space) that the not-ruled-out points of a wave leave, within its box.

    With n points spread uniformly over the box, a slice of a fraction g at one edge holds none
    of them with chance (1 − g)^n. The box is cut at an edge only beyond the slice where that
    chance stays above ``empty_edge``: the span of the points, widened on each side by
    (1 − empty_edge^(1/n)) of the box, clipped to the box. Few points cut little; many cut
    close to their span.
    """
    n = unit.shape[0]
    width = high - low
    margin = (1.0 - empty_edge ** (1.0 / n)) * width
    return (
        np.maximum(low, unit.min(axis=0) - margin),
        np.minimum(high, unit.max(axis=0) + margin),
    )


def history_match(
    episodes: Sequence[Scenario],
    *,
    points: int = 1000,
    replicates: int = 8,
    waves: int = 3,
    cutoff: float = CUTOFF,
    discrepancy: float = 0.1,
    seed: int = 0,
    parameters: Sequence[str] | None = None,
    on_wave: Callable[[Wave], None] | None = None,
    skip_unmatched: bool = False,
    rank: int = 1,
) -> Calibration:
    """Rule out the parameter values whose simulated targets miss the episodes' observed ones.

    ``points`` per wave, each simulated on ``replicates`` worlds; ``parameters`` are glob
    patterns (``rules.p7_*.weight``) restricting which uncertain parameters are calibrated
    (default: all of every episode's). ``on_wave`` is told about each finished wave.
    ``skip_unmatched``: a target that no point of the first wave (the prior box) brings within
    the cut-off is a *structural* miss — the model lacks the mechanism, no parameter value
    mends it — and is left out of the cut from then on (listed in ``unmatched``), instead of
    ruling every point out. ``rank``: a point is judged by its ``rank``-th largest
    implausibility over the targets (1: the largest; 2 or 3 leave one or two badly fitted
    targets to model discrepancy, Vernon, Goldstein & Bower 2010). Deterministic for a given
    seed.
    """
    for name, value, least in (
        ("--points", points, 2),
        ("--replicates", replicates, 2),
        ("--waves", waves, 1),
    ):
        if value < least:
            raise InputError.single(name, f"expected at least {least}, got {value}")
    if not cutoff > 0:
        raise InputError.single("--cutoff", f"expected a positive cut-off, got {cutoff}")
    if not discrepancy >= 0:
        raise InputError.single("--discrepancy", f"expected a share >= 0, got {discrepancy}")
    check_seed(seed)
    if rank < 1:
        raise InputError.single("--rank", f"expected 1 (the largest) or more, got {rank}")
    _check_episodes(episodes)
    dims = _dimensions(episodes, parameters)
    prepared = [_prepare(s, dims, discrepancy) for s in episodes]
    D = len(dims)
    low, high = np.zeros(D), np.ones(D)
    done: list[Wave] = []
    last_box: tuple[np.ndarray, np.ndarray] | None = None
    pool = np.empty((0, D))  # NROY points (unit space) of every wave, inside the current box
    best_i, best_x, best_each = math.inf, np.empty(0), np.empty(0)
    labels = [(e.scenario.id, c) for e in prepared for c in e.changes]
    counted = np.ones(len(labels), dtype=bool)
    unmatched: list[dict[str, Any]] = []
    for w in range(waves):
        rng = generator(seed, w)  # the wave's points, then its members' other draws
        unit = low + (high - low) * latin_hypercube(rng, D, points)
        values = np.column_stack([d.values(unit[:, k]) for k, d in enumerate(dims)]) if D else unit
        _, each = _implausibility(prepared, values, replicates, rng)
        if skip_unmatched and w == 0:
            closest = each.min(axis=0)
            counted = closest <= cutoff
            unmatched = [
                {**_describe(*labels[j]), "least_implausibility": float(closest[j])}
                for j in np.flatnonzero(~counted)
            ]
        largest = _ranked(each[:, counted], rank)
        keep = largest <= cutoff
        k = int(np.argmin(largest))
        if largest[k] < best_i:
            best_i, best_x, best_each = float(largest[k]), values[k], each[k]
        # points of earlier waves inside this wave's box are uniform in it too: pool them
        pool = np.concatenate([pool, unit[keep]])
        done.append(
            Wave(w + 1, points, int(keep.sum()), tuple(zip(low, high, strict=True)), len(pool))
        )
        if on_wave is not None:
            on_wave(done[-1])
        if not len(pool):
            last_box = None
            break
        last_box = nroy_box(pool, low, high)
        if D == 0:
            break
        low, high = last_box
    ranges = []
    for k, dim in enumerate(dims):
        span = None
        if last_box is not None:
            ends = dim.values(np.array([last_box[0][k], last_box[1][k]]))
            span = (float(ends[0]), float(ends[1]))
        ranges.append(ParameterRange(dim, span))
    hardest = []
    if best_each.size:
        shown = np.where(counted, best_each, -np.inf)
        for j in np.argsort(-shown)[:3]:
            if counted[j]:
                hardest.append({**_describe(*labels[j]), "implausibility": float(best_each[j])})
    return Calibration(
        episodes=[s.id for s in episodes],
        dimensions=dims,
        waves=done,
        ranges=ranges,
        cutoff=cutoff,
        discrepancy=discrepancy,
        replicates=replicates,
        seed=seed,
        best={d.name: float(v) for d, v in zip(dims, best_x, strict=True)} if best_x.size else {},
        best_implausibility=best_i,
        worst_changes=hardest,
        unmatched=unmatched,
        rank=rank,
    )


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _ranked(each: np.ndarray, rank: int) -> np.ndarray:
    """Per point, the ``rank``-th largest implausibility (0 with no targets; the smallest if
    there are fewer targets than ``rank``)."""
    if each.shape[1] == 0:
        return np.zeros(each.shape[0])
    k = min(rank, each.shape[1])
    return -np.partition(-each, k - 1, axis=1)[:, k - 1]


def _describe(episode: str, target: Target) -> dict[str, Any]:
    """A target as a short JSON-ready record (episode, indicator, window)."""
    start = target.observation.total_from if target.kind == "count" else None
    return {
        "episode": episode,
        "indicator": target.indicator,
        "from": start or (target.base.at if target.base is not None else None),
        "to": target.observation.at,
        "observed": target.observed,
    }


def implausibility(
    episodes: Sequence[Scenario],
    values: dict[str, float],
    *,
    replicates: int = 64,
    discrepancy: float = 0.1,
    seed: int = 0,
) -> float:
    """The largest implausibility of one parameter point over the episodes' observed changes.

    Parameters not named in ``values`` vary between replicates as their ranges say.
    """
    _check_episodes(episodes)
    dims = _dimensions(episodes, None)
    dims = [d for d in dims if d.name in values]
    prepared = [_prepare(s, dims, discrepancy) for s in episodes]
    point = np.array([[values[d.name] for d in dims]])
    largest, _ = _implausibility(prepared, point, replicates, generator(seed))
    return float(largest[0])


# --------------------------------------------------------------------------------------------
# writing the calibrated ranges as an includable module


def module_parameters(reference: str) -> set[str]:
    """Names of the parameters a rule module declares (``rules.<id>.weight``, ``param.<id>``)."""
    return set(parameters_of_module(load_module(reference)))


def module_priors(reference: str) -> dict[str, Uncertain]:
    """The ranges a rule module itself gives its parameters (before any scenario's overrides)."""
    return {name: spec.value for name, spec in parameters_of_module(load_module(reference)).items()}


def shared_ranges(
    calibration: Calibration,
    target: Scenario,
    *,
    only: set[str] | None = None,
    min_narrowing: float = WRITE_NARROWING,
    priors: dict[str, Uncertain] | None = None,
) -> list[ParameterRange]:
    """The calibrated ranges worth writing for ``target``.

    Same parameter name and same prior in the target as in the episodes (a shared module's
    parameter), narrowed by at least ``min_narrowing``, and among ``only`` when given. With
    ``priors`` (a module's own ranges, :func:`module_priors`), a parameter whose prior in the
    episodes is the module's also counts when the target's differs: a target that already
    includes an earlier calibration of the module is recalibrated from the module's priors.
    """
    specs = scenario_parameters(target)
    out = []
    for r in calibration.ranges:
        spec = specs.get(r.dimension.name)
        if spec is None or r.calibrated is None:
            continue
        module_prior = None if priors is None else priors.get(r.dimension.name)
        if r.dimension.prior not in (spec.value, module_prior):
            continue
        if only is not None and r.dimension.name not in only:
            continue
        if (r.narrowing or 0.0) < min_narrowing:
            continue
        out.append(r)
    return out


def calibration_module(
    calibration: Calibration,
    target: Scenario,
    *,
    module_id: str,
    date: str,
    only: set[str] | None = None,
    priors: dict[str, Uncertain] | None = None,
    sources: Mapping[str, str] | None = None,
) -> str:
    """A rule module of ``[[overrides]]`` with the calibrated ranges that apply to ``target``
    (``only``, ``priors``: as :func:`shared_ranges`).

    A scenario that includes the module (after the module whose parameters it overrides, e.g.
    ``include = ["dilemma", "calibrated-dilemma"]``) samples the calibrated ranges instead.
    ``sources`` (each episode's :func:`~alliancesim.history_file.source_hash`, by episode id)
    is recorded in the module's description, so that :func:`calibration_sources` can tell
    later whether the episodes have changed since.
    """
    episodes = ", ".join(calibration.episodes)
    waves = len(calibration.waves)
    method = (
        f"history matching, cut-off {calibration.cutoff:g}, discrepancy "
        f"{calibration.discrepancy:g}, {waves} wave{'s' if waves != 1 else ''} of "
        f"{calibration.waves[0].points if calibration.waves else 0} points x "
        f"{calibration.replicates} replicates, seed {calibration.seed}"
        + (
            f", judged by the {_ordinal(calibration.rank)} largest implausibility"
            if calibration.rank > 1
            else ""
        )
        + (
            f", {len(calibration.unmatched)} structural misses left out"
            if calibration.unmatched
            else ""
        )
    )
    head = toml.comments(
        [
            f"Calibrated ranges for {target.id}, written by `alliancesim calibrate` on {date}.",
            f"Episodes: {episodes}. Method: {method}.",
            'Include it after the module it calibrates, e.g. include = ["dilemma", "<this file>"].',
            "narrowing = 1 - calibrated width / prior width.",
        ]
    )
    module = {
        "id": module_id,
        "title": f"Ranges calibrated on {episodes}",
        "description": f"Parameter ranges of {target.id} narrowed by {method}."
        + (
            f" {SOURCES_NOTE} " + "; ".join(f"{k} {v}" for k, v in sources.items()) + "."
            if sources
            else ""
        ),
    }
    overrides = []
    for r in shared_ranges(calibration, target, only=only, priors=priors):
        lo, hi = r.dimension.prior_range
        note = (
            f"prior {r.dimension.prior.describe()} [{lo:.4g}, {hi:.4g}], narrowed by "
            f"{100 * (r.narrowing or 0.0):.0f} %"
        )
        fields = {
            "parameter": r.dimension.name,
            "value": r.override_value(),
            "source": f"public: calibrated by alliancesim calibrate on {episodes}, {date}",
        }
        overrides.append(toml.table("overrides", fields, array=True, comment=note, significant=6))
    return toml.document(head, toml.table("module", module), *overrides)


_HASHED = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*) ([0-9a-f]{64})\b")


def calibration_sources(reference: str | Path) -> dict[str, str]:
    """The episodes a calibrated module (a built-in name such as ``calibrated-dilemma``, or a
    path) was calibrated on, each with its source hash as it was then
    (:func:`~alliancesim.history_file.source_hash`, as :func:`calibration_module` records them
    in the description); empty if the module records none. An episode whose hash today differs
    has changed since the calibration, which should then be remade."""
    description = load_module(reference).module.description
    _, found, recorded = description.partition(SOURCES_NOTE)
    return dict(_HASHED.findall(recorded)) if found else {}


# --------------------------------------------------------------------------------------------
# synthetic episodes: observations generated from known parameters


def synthetic_episode(
    scenario: Scenario,
    truth: dict[str, float],
    observe: Sequence[tuple[str, str]] | None = None,
    *,
    seed: int = 0,
    sd: float | None = None,
) -> Scenario:
    """The scenario as an episode whose observations are one simulated history at ``truth``.

    The named parameters are fixed at their true values, the rest drawn as their ranges say;
    one world is simulated and its values become the observations: at the ``(indicator,
    period)`` pairs of ``observe`` (with observation error ``sd``), or, without ``observe``, at
    the scenario's own observations (same indicators, dates, averaging and sd), as if history
    had been made by ``truth``. Calibrating on the result should recover ``truth``. History
    dated before the initial state cannot be simulated: those observations are left out (a
    series' first simulated observation is then its base).
    """
    fixed = apply_overrides(
        scenario,
        [
            Override(parameter=name, value=float(v), source="assumption: synthetic truth")
            for name, v in truth.items()
        ],
    )
    model = compile_model(fixed)
    names = model.record_names
    records = simulate_history(model, 2, seed)
    source = f"assumption: simulated at known parameters (seed {seed})"
    if observe is None:
        templates = [
            o
            for o in scenario.observations
            if model.clock.step_of(o.total_from or o.average_from or o.at) >= 0
        ]
    else:
        templates = [
            Observation(indicator=i, at=at, value=0.0, sd=sd, scale="model units", source=source)
            for i, at in observe
        ]
    observations = []
    for template in templates:
        if template.kind in ("count", "event"):
            target = bare_target(scenario, template)
            value = float(target_members(target, records, names)[0])
        else:
            last = model.clock.step_of(template.at)
            first = (
                last
                if template.average_from is None
                else model.clock.step_of(template.average_from)
            )
            steps = list(range(first, last + 1))
            value = float(simulated_values(records, names, template.indicator, steps)[0])
        observations.append(template.model_copy(update={"value": value, "source": source}))
    meta = scenario.scenario.model_copy(update={"kind": "episode"})
    return scenario.model_copy(update={"observations": observations, "scenario": meta})
