"""Where a policy can hurt: the share of worlds in which it harms the alliance against baseline.

A recommendation that can never hurt is one the model cannot be wrong about. A policy *harms* a
world (an ensemble member) when, at the horizon and paired against baseline in the same world
(same parameters, same random events), it has decoupled an alliance that baseline keeps, or it
leaves the alliance's cohesion lower (``cohesion``, the index every built-in scenario defines
through the dilemma module; a difference within the claims' tie tolerance is no difference).
The *harmful share* is the share of worlds it harms. For a run of several structures (rival
accounts of contested mechanisms) each structure has its own share, and the combined share is
the structures' weighted combination taken member by member (the structures see the same
members), so it reads "the share of the weighted worlds in which it harms".

Where it harms is said two ways: by structure (each structure's share), and by the uncertain
parameters whose distribution differs most between the harmed worlds and the others (the
two-sample Kolmogorov-Smirnov screen that precedes PRIM in scenario discovery), with the median
value in each group so that "harm comes with a high leak rate" can be read off. Only parameters
whose distance is significant after a Bonferroni correction over every parameter screened are
named (a scenario has a few hundred; the largest of that many noisy distances is not a finding).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from alliancesim.results import Results

__all__ = ["HARM_INDICATOR", "Harm", "HarmWhere", "harm_by_policy", "harmed"]

HARM_INDICATOR = "cohesion"
"""The index whose fall counts as harm (beside decoupling a world that baseline keeps)."""
WHERE_PARAMETERS = 2
"""How many parameters a policy's 'where it harms' names (at most)."""
WHERE_ALPHA = 0.05
"""The family-wise significance a named parameter's distance must reach (Bonferroni)."""
MIN_HARMED = 10
"""Fewer harmed worlds than this are too few to say where harm concentrates."""


@dataclass(frozen=True)
class HarmWhere:
    """One uncertain parameter whose values differ between the worlds a policy harms and the
    others: its median in each group and their Kolmogorov-Smirnov distance."""

    parameter: str
    harmed_median: float
    other_median: float
    distance: float

    @property
    def text(self) -> str:
        """``param.leak_rate high (0.29 vs 0.21)``."""
        side = "high" if self.harmed_median > self.other_median else "low"
        return f"{self.parameter} {side} ({self.harmed_median:.3g} vs {self.other_median:.3g})"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "parameter": self.parameter,
            "harmed_median": self.harmed_median,
            "other_median": self.other_median,
            "distance": self.distance,
            "text": self.text,
        }


@dataclass(frozen=True)
class Harm:
    """A policy's harmful share: the (weighted) share of worlds in which it decouples an alliance
    that baseline keeps or leaves cohesion lower, with its 95 % interval (Wilson for one
    structure, t over members for a weighted combination), each structure's own share, and
    where the harm concentrates."""

    share: float
    ci: tuple[float, float]
    members: int
    by_structure: Mapping[str, float] = field(default_factory=dict)
    where: tuple[HarmWhere, ...] = ()

    @property
    def harmful(self) -> bool:
        """Whether the policy harms at least one world."""
        return self.share > 0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "share": self.share,
            "ci": list(self.ci),
            "members": self.members,
            "by_structure": dict(self.by_structure),
            "where": [w.to_dict() for w in self.where],
        }


def harmed(policy: Mapping[str, np.ndarray], baseline: Mapping[str, np.ndarray]) -> np.ndarray:
    """Per member, whether a policy harms the alliance against baseline: decoupled where
    baseline is not, or cohesion lower (beyond the claims' tie tolerance, relative)."""
    from alliancesim.claims import TIE_TOLERANCE

    worse = np.asarray(policy["decoupled"]) > np.asarray(baseline["decoupled"])
    if HARM_INDICATOR in policy and HARM_INDICATOR in baseline:
        a = np.asarray(policy[HARM_INDICATOR], dtype=np.float64)
        b = np.asarray(baseline[HARM_INDICATOR], dtype=np.float64)
        tie = TIE_TOLERANCE * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        worse = worse | (b - a > tie)
    return worse


def harm_by_policy(
    results: Results, policies: Sequence[str] | None = None, *, where: bool = False
) -> dict[str, Harm]:
    """Each policy's :class:`Harm` at the horizon (``baseline`` is not a policy against itself
    and is left out); ``policies``: only those. ``where``: also name the parameters whose values
    differ most between harmed worlds and the others (a Kolmogorov-Smirnov screen over the run's
    sampled parameters; a world counts as harmed if it is harmed under any structure)."""
    from alliancesim.intervals import mean_interval, wilson_interval

    step = results.model.clock.horizon
    values = results.files.values_at(step, ["decoupled", HARM_INDICATOR])
    structures = results.structures
    weights = results.weights if results.several else {structures[0]: 1.0}
    chosen = [p for p in (policies or results.policies) if p != "baseline"]
    out: dict[str, Harm] = {}
    harmed_worlds: dict[str, np.ndarray] = {}
    for policy in chosen:
        per: dict[str, np.ndarray] = {}
        for name in structures:
            key = name if results.several else next(iter({s for s, _ in values}))
            per[name] = harmed(values[(key, policy)], values[(key, "baseline")])
        members = len(next(iter(per.values())))
        if results.several:
            weighted = sum(weights[n] * per[n].astype(np.float64) for n in structures)
            share, ci = mean_interval(np.asarray(weighted))
            ci = (max(0.0, ci[0]), min(1.0, ci[1]))
            any_harm = np.any(np.stack([per[n] for n in structures]), axis=0)
        else:
            count = int(per[structures[0]].sum())
            share, ci = count / members if members else math.nan, wilson_interval(count, members)
            any_harm = per[structures[0]]
        out[policy] = Harm(
            share=float(share),
            ci=(float(ci[0]), float(ci[1])),
            members=members,
            by_structure={n: float(per[n].mean()) for n in structures} if results.several else {},
        )
        harmed_worlds[policy] = any_harm
    if where:
        for policy, found in zip(chosen, _where_each(results, harmed_worlds), strict=True):
            out[policy] = replace(out[policy], where=found)
    return out


def _where_each(results: Results, harms: dict[str, np.ndarray]) -> list[tuple[HarmWhere, ...]]:
    """:func:`_where` of each policy's harmed worlds (in order), the run's parameters read and
    sorted once for every policy's screen (:class:`_Screen`)."""
    if not any(_screened(harm) for harm in harms.values()):
        return [() for _ in harms]
    screen = _Screen(results.parameters())
    return [screen.where(harm) for harm in harms.values()]


def _screened(harm: np.ndarray) -> bool:
    """Whether a policy harms enough worlds, and not all, for a screen of where."""
    return not (harm.sum() < MIN_HARMED or harm.all())


def _where(results: Results, harm: np.ndarray) -> tuple[HarmWhere, ...]:
    """The parameters that separate harmed worlds from the others best, most separating first."""
    if not _screened(harm):
        return ()
    return _Screen(results.parameters()).where(harm)


class _Screen:
    """The Kolmogorov-Smirnov screen of a run's sampled parameters, each parameter's values
    sorted once for every group of worlds screened.

    What it names is what SciPy's two-sample test of every parameter (``ks_2samp``, the exact
    p-value) names, computed with less: each parameter's distance between the groups'
    empirical distribution functions is the one SciPy computes, the same subtraction of the
    same two fractions at every pooled value (:meth:`distances`), found for every parameter in
    one pass over the sorted values; the p-values, SciPy's own (one test per parameter), are
    asked for only in order of decreasing distance, until the named parameters are found or a
    distance is not significant: the exact p-value is the null probability of a distance at
    least as large, so a parameter no farther apart cannot be significant either."""

    def __init__(self, frame: Any) -> None:
        varying = [c for c in frame.columns if np.ptp(frame[c].to_numpy(dtype=np.float64)) > 0]
        self.names = [str(c) for c in varying]
        self.x = np.empty((len(frame), len(varying)))
        for k, column in enumerate(varying):
            self.x[:, k] = frame[column].to_numpy(dtype=np.float64)
        self.order = np.argsort(self.x, axis=0, kind="stable")
        ordered = np.take_along_axis(self.x, self.order, axis=0)
        # the last place of each run of equal values: where SciPy's ECDFs are read
        self.last = np.ones(ordered.shape, dtype=bool)
        self.last[:-1] = ordered[1:] != ordered[:-1]

    def distances(self, harm: np.ndarray) -> np.ndarray:
        """Each parameter's two-sample Kolmogorov-Smirnov distance between the values in the
        harmed worlds and in the others, as ``scipy.stats.ks_2samp`` computes it."""
        n1 = int(harm.sum())
        n2 = len(harm) - n1
        first = np.cumsum(harm[self.order], axis=0)  # harmed values at or below each value
        second = np.arange(1, len(harm) + 1)[:, None] - first
        diffs = np.linspace(0, 1, n1 + 1)[first] - np.linspace(0, 1, n2 + 1)[second]
        highest = np.where(self.last, diffs, -np.inf).max(axis=0, initial=-np.inf)
        lowest = np.clip(-np.where(self.last, diffs, np.inf).min(axis=0, initial=np.inf), 0, 1)
        return np.where(lowest > highest, lowest, highest)

    def where(self, harm: np.ndarray) -> tuple[HarmWhere, ...]:
        """:func:`_where` of one group of harmed worlds."""
        if not _screened(harm) or not self.names:
            return ()
        from scipy import stats

        distances = self.distances(harm)
        found: list[HarmWhere] = []
        for k in sorted(range(len(self.names)), key=lambda k: (-distances[k], self.names[k])):
            x = self.x[:, k]
            test = stats.ks_2samp(x[harm], x[~harm])
            if test.pvalue * len(self.names) >= WHERE_ALPHA:
                break  # the rest are no farther apart: none is significant
            found.append(
                HarmWhere(
                    parameter=self.names[k],
                    harmed_median=float(np.median(x[harm])),
                    other_median=float(np.median(x[~harm])),
                    distance=float(test.statistic),
                )
            )
            if len(found) == WHERE_PARAMETERS:
                break
        return tuple(found)
