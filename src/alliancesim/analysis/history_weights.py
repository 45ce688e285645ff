"""Rival structures weighed by history: each account's out-of-sample score on the episodes.

For a contested mechanism (a scenario's ``[[mechanisms]]``, RIVALS.md) each *account* is a
structure: the seed's account, or one rival account with every other mechanism at the seed's.
Every episode that declares the mechanism is simulated under each of them on the same draws
(common random numbers: a structure changes no random number), and every target of the episode
(:mod:`alliancesim.analysis.backtest`) gets one predictive distribution per account. From those:

- **log densities** ``log p_k(y_i)`` of what was observed: the members ± the observation error
  (levels, counts) smoothed by Silverman's bandwidth where the error is small against the gaps
  between members, and for an event the share of members in which it happened, shrunk toward
  one half by half a member (``(n_happened + ½) / (n + 1)``) so that an account that never
  saw it happen is penalised heavily but not infinitely;
- **CRPS terms** of the mixture of accounts (:func:`~alliancesim.analysis.weights.mixture_crps_terms`),
  divided by each target's footing so that targets in different units count alike.

:func:`weigh_accounts` then runs :func:`~alliancesim.analysis.weights.leave_one_episode_out`
on *folds*: episodes whose simulated months overlap are held out together
(:func:`fold_groups`), so no account is scored on a target with weights fitted on that target
or on another model of the same months. The default weights are **pseudo-BMA+** (Yao, Vehtari,
Simpson & Gelman 2018): BMA on the out-of-sample log scores, averaged over Bayesian-bootstrap
re-weightings of the folds, so that the accounts keep weights near their priors where history
cannot tell them apart and move to a corner only where every re-weighting of the episodes
agrees; each weight comes with its 90 % bootstrap interval. The folds are the resampled units:
the targets of one episode share its story, and overlapping episodes share targets. Beside the
weights: plain Bayesian model averaging (it assumes one account is true and piles weight on the
best), and per account whether history separates it from the best (:func:`~alliancesim.analysis.weights.separation`).
Stacking, Bayesian-bootstrap stacking and CRPS stacking are available.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from alliancesim.analysis.backtest import Target, footing, reference_forecasts
from alliancesim.analysis.scores import _json_ready, log_predictive_density, silverman_bandwidth
from alliancesim.analysis.weights import (
    LooResult,
    Separation,
    StructureWeights,
    bma_weights,
    leave_one_episode_out,
    mixture_crps_terms,
    separation,
)
from alliancesim.scenario.clock import Clock, parse_period
from alliancesim.scenario.schema import Scenario

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "AccountScores",
    "Forecasts",
    "crps_terms",
    "fold_groups",
    "forecasts_of",
    "log_density",
    "weigh_accounts",
]

Method = Literal["pseudo-bma+", "stacking", "bb-stacking", "bma", "crps-stacking"]

DEFAULT_METHOD: Method = "pseudo-bma+"
"""How history weighs accounts unless told otherwise."""
METHODS: tuple[str, ...] = ("pseudo-bma+", "bb-stacking", "stacking", "bma", "crps-stacking")
"""The methods history can weigh accounts with, the default first."""

_MIN_KERNEL = 1e-6
"""The smallest kernel (relative to the target's footing) a density is computed with."""


def fold_groups(episodes: Sequence[Scenario]) -> dict[str, str]:
    """Each episode's fold: episodes whose simulated months overlap are one fold.

    Two episodes overlap when their steps 1..horizon share a period (in years, so quarters and
    months compare). Overlap is transitive here (a chain of overlapping episodes is one fold);
    a fold is named by its episodes' ids in their given order, joined by ``+``.
    """
    spans = []
    for scenario in episodes:
        meta = scenario.scenario
        clock = Clock(meta.start, meta.step, meta.horizon)
        start = _origin(clock)
        spans.append((start, start + clock.years(meta.horizon)))
    parent = list(range(len(episodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(episodes)):
        for j in range(i + 1, len(episodes)):
            (a0, a1), (b0, b1) = spans[i], spans[j]
            if a0 < b1 and b0 < a1:
                parent[root(i)] = root(j)
    members: dict[int, list[str]] = {}
    for i, scenario in enumerate(episodes):
        members.setdefault(root(i), []).append(scenario.id)
    return {scenario.id: "+".join(members[root(i)]) for i, scenario in enumerate(episodes)}


def _origin(clock: Clock) -> float:
    """The end of the period before the start, in years (the initial state's time)."""
    year, index, _ = parse_period(clock.start)
    return year + index / clock.per_year


@dataclass(frozen=True)
class Forecasts:
    """One target and each account's member values of what it scores (same draws)."""

    target: Target
    fold: str
    footing: float
    members: Mapping[str, np.ndarray]


def forecasts_of(target: Target, fold: str, members: Mapping[str, np.ndarray]) -> Forecasts:
    """The forecasts of one target under each account, with the target's footing."""
    scale, _ = footing(target, reference_forecasts(target)["persistence"])
    return Forecasts(target, fold, scale, members)


def log_density(target: Target, members: np.ndarray) -> float:
    """log p(y) of what was observed under one account's forecast (natural log).

    Events: log of the smoothed share ``(happened + ½)/(n + 1)`` of members agreeing with the
    outcome. Levels and counts: the mixture of the members ± the observation error, the kernel
    widened to Silverman's bandwidth where that is larger (and to a millionth of the footing at
    least), so a sharp but slightly wrong forecast has a small density, never zero.
    """
    x = np.asarray(members, dtype=float)
    if target.kind == "event":
        hits = float((x == target.observed).sum()) if target.observed in (0.0, 1.0) else 0.0
        return math.log((hits + 0.5) / (x.size + 1.0))
    scale, _ = footing(target, reference_forecasts(target)["persistence"])
    bandwidth = max(silverman_bandwidth(x), _MIN_KERNEL * scale)
    kernel = max(target.sd, bandwidth)
    extra = math.sqrt(max(kernel**2 - target.sd**2, 0.0))
    return float(log_predictive_density(x, target.observed, target.sd, bandwidth=extra))


def crps_terms(forecast: Forecasts, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The CRPS terms ``(a, B)`` of the accounts' mixture at one target, on the target's footing."""
    a, b = mixture_crps_terms(
        [forecast.members[name] for name in names], forecast.target.observed, forecast.target.sd
    )
    return a / forecast.footing, b / forecast.footing


@dataclass(frozen=True)
class AccountScores:
    """History's verdict on one mechanism's accounts.

    ``loo`` is the leave-one-fold-out result of the chosen method (out-of-sample scores per
    account and of the weighted mixture, the weights fitted without each fold, and the weights
    on every fold); ``bma`` the Bayesian-model-averaging weights on every target (with the
    accounts' priors); ``crps`` each account's mean CRPS on one footing and ``log`` its mean log
    score (−log p), both over every target (no weights are fitted for them: they are each
    account's out-of-sample score as it stands); ``separation`` per account whether history
    separates it from the best-scoring account (summed log scores over the folds).
    """

    mechanism: str
    accounts: tuple[str, ...]
    structures: tuple[str, ...]
    priors: tuple[float, ...]
    method: str
    episodes: tuple[str, ...]
    targets: int
    loo: LooResult
    bma: StructureWeights
    crps: dict[str, float]
    log: dict[str, float]
    separation: tuple[Separation, ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        """History's weight of each account (the chosen method, fitted on every fold)."""
        return dict(zip(self.accounts, self.loo.weights.weights, strict=True))

    @property
    def intervals(self) -> dict[str, tuple[float, float]]:
        """Each account's 90 % bootstrap interval of its weight (empty: the method does not
        resample)."""
        if not self.loo.weights.intervals:
            return {}
        return dict(zip(self.accounts, self.loo.weights.intervals, strict=True))

    def separates(self) -> bool:
        """Whether history separates any account from the best one."""
        return any(s.separated for s in self.separation)

    def favoured(self) -> tuple[str, float]:
        """The account history favours and its weight."""
        name = max(self.weights, key=lambda k: self.weights[k])
        return name, self.weights[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return _json_ready(
            {
                "mechanism": self.mechanism,
                "accounts": list(self.accounts),
                "structures": list(self.structures),
                "priors": dict(zip(self.accounts, self.priors, strict=True)),
                "method": self.method,
                "episodes": list(self.episodes),
                "targets": self.targets,
                "weights": self.weights,
                "intervals": {k: list(v) for k, v in self.intervals.items()},
                "bma_weights": dict(zip(self.accounts, self.bma.weights, strict=True)),
                "separation": [s.to_dict() for s in self.separation],
                "out_of_sample": {
                    "score": self.loo.score,
                    "by_account": dict(
                        zip(self.accounts, self.loo.by_structure.values(), strict=True)
                    ),
                    "weighted": self.loo.combined,
                },
                "crps": self.crps,
                "log_score": self.log,
                "folds": [f.to_dict() for f in self.loo.folds],
            }
        )


def weigh_accounts(
    mechanism: str,
    accounts: Sequence[str],
    forecasts: Sequence[Forecasts],
    *,
    structures: Sequence[str] | None = None,
    priors: Sequence[float] | None = None,
    method: Method = DEFAULT_METHOD,
    seed: int = 0,
) -> AccountScores:
    """Weigh one mechanism's accounts by their out-of-sample forecasts of history.

    ``forecasts`` hold, for every target of every episode declaring the mechanism, the members
    under each account (keys: ``accounts``). Folds come from the forecasts (:func:`fold_groups`)
    and are the units the bootstrap methods resample (with ``seed``).
    """
    names = list(accounts)
    if len(names) < 2:
        raise ValueError("a mechanism needs two or more accounts to weigh")
    if not forecasts:
        raise ValueError(f"no episode declares mechanism {mechanism!r}: nothing to weigh")
    prior = np.ones(len(names)) if priors is None else np.asarray(priors, dtype=float)
    prior = prior / prior.sum()
    folds = [f.fold for f in forecasts]
    log_densities = np.array(
        [[log_density(f.target, f.members[k]) for f in forecasts] for k in names]
    )
    terms = [crps_terms(f, names) for f in forecasts]
    if method == "crps-stacking":
        loo = leave_one_episode_out(
            folds, method=method, crps_terms=terms, prior=prior, names=names
        )
    else:
        loo = leave_one_episode_out(
            folds, method=method, log_densities=log_densities, prior=prior, names=names, seed=seed
        )
    bma = bma_weights(log_densities, prior, names)
    own_crps = np.array([[a[k] - 0.5 * b[k, k] for a, b in terms] for k in range(len(names))])
    episodes = tuple(dict.fromkeys(f.target.episode for f in forecasts))
    return AccountScores(
        mechanism=mechanism,
        accounts=tuple(names),
        structures=tuple(structures or names),
        priors=tuple(float(p) for p in prior),
        method=method,
        episodes=episodes,
        targets=len(forecasts),
        loo=loo,
        bma=bma,
        crps={k: float(own_crps[j].mean()) for j, k in enumerate(names)},
        log={k: float(-log_densities[j].mean()) for j, k in enumerate(names)},
        separation=separation(log_densities, folds, names),
    )
