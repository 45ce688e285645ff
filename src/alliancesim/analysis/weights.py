"""Weighing rival structures by how well each predicted what history then showed.

A *structure* is one account of a contested mechanism (a rule module, RIVALS.md); each is run
over the same episodes and gives, for every held-out observation ``i``, a predictive
distribution ``p_k`` (its ensemble ± the observation error). Three ways to turn those into
weights (RIVALS.md "Weighing rivals"):

- :func:`bma_weights` — Bayesian model averaging: ``w_k ∝ prior_k · Π_i p_k(y_i)``, i.e. the
  softmax of summed log predictive densities plus log prior weights. It assumes one of the
  structures is true (M-closed) and so piles all weight on the best one as observations
  accumulate (Montgomery & Nyhan 2010, Political Analysis 18(2)).
- :func:`stacking_weights` — stacking of predictive distributions (Yao, Vehtari, Simpson &
  Gelman 2018, Bayesian Analysis 13(3)): the weights of the mixture ``Σ_k w_k p_k`` that
  predicts the held-out observations best, ``max_w Σ_i log Σ_k w_k p_k(y_i)`` over the
  simplex. Structures that each get part of history right share the weight; a structure that
  duplicates another splits its weight with it instead of doubling it.
- :func:`crps_stacking_weights` — the same with the CRPS of the mixture as the loss: for a
  mixture the CRPS is ``Σ_k w_k E|X_k − y| − ½ Σ_k Σ_l w_k w_l E|X_k − X_l'|``, a convex
  quadratic in ``w`` whose terms :func:`mixture_crps_terms` computes from the members. It needs
  no densities, so it works where the observation error is 0 and the log score does not.

Stacking and BMA both ignore how uncertain the scores themselves are: on a few dozen
observations, two structures whose log scores differ in the third decimal get weights 0 and 1.
Two methods of Yao et al. (2018, section 3.4) account for that uncertainty with the *Bayesian
bootstrap* (Rubin 1981): the data are re-weighted by Dirichlet(1, …, 1) draws, the weights are
found for each draw, and averaged. Here the draws weigh **units** — an episode, or overlapping
episodes together — not single observations, since the targets of one episode share its story
and are not independent evidence:

- :func:`pseudo_bma_plus_weights` — pseudo-BMA+: for each draw ``α`` over the U units,
  ``z_k = U Σ_u α_u S_ku`` with ``S_ku`` structure k's summed log density on unit u, and the
  weights ``prior_k e^{z_k} / Σ_l prior_l e^{z_l}``; the reported weight is their mean over the
  draws, with the 5th–95th percentiles as its interval. Where history cannot tell the structures
  apart the weights stay near the prior; they reach a corner only when every re-weighting of the
  units agrees. (With equal priors this is exactly the ``loo`` package's ``pseudobma_weights``,
  ``BB = TRUE``, on unit sums.)
- :func:`bootstrap_stacking_weights` — Bayesian-bootstrap stacking: stacking of each re-weighted
  history (each observation of unit u weighs ``U α_u``), averaged.
- :func:`separation` says, per structure, whether history separates it from the best one: the
  paired difference of summed log scores against its standard error across the units (Vehtari,
  Gelman & Gabry 2017, eq. 24), read with the rule of Sivula, Magnusson, Matamoros & Vehtari
  (2020, arXiv:2008.10296): a difference below 4 is small whatever its standard error.

:func:`leave_one_episode_out` does the out-of-sample bookkeeping: each episode is scored with
weights fitted on the other episodes only, and the per-episode and overall out-of-sample scores
of the weighted set and of each structure alone are returned, with the weights fitted on all
episodes (what the default scenarios would run under).

Conventions: log densities are natural logs; the reported log scores are ``−log p`` (lower is
better, like the CRPS); all optimisation starts from equal weights and is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize, special

from alliancesim.analysis.scores import (
    _abs_normal_mean,
    _as_members,
    _as_sd,
    _as_weights,
    _centre,
    _json_ready,
    _merge_ties,
    _pair_mean,
)

__all__ = [
    "DRAWS",
    "SMALL_DIFFERENCE",
    "STACKING_DRAWS",
    "LooFold",
    "LooResult",
    "Separation",
    "StructureWeights",
    "bma_weights",
    "bootstrap_stacking_weights",
    "crps_stacking_weights",
    "leave_one_episode_out",
    "mixture_crps_terms",
    "pseudo_bma_plus_weights",
    "separation",
    "stacking_weights",
    "unit_log_scores",
]

Method = Literal["bma", "stacking", "crps-stacking", "pseudo-bma+", "bb-stacking"]

DRAWS = 4000
"""Bayesian-bootstrap draws for pseudo-BMA+ (the ``loo`` package uses 1,000; each draw costs a
softmax, so more are cheap and keep the Monte Carlo error of a weight below 0.01)."""
STACKING_DRAWS = 400
"""Bayesian-bootstrap draws for bootstrap stacking (each is a small optimisation)."""
SMALL_DIFFERENCE = 4.0
"""A summed log-score difference below this is small whatever its standard error (Sivula et al.
2020; Vehtari's cross-validation FAQ: "differences smaller than 4 are small")."""


@dataclass(frozen=True)
class StructureWeights:
    """Weights of the rival structures, how they were found, and the objective reached.

    ``objective`` is the mean loss per observation at the weights: ``−mean_i log Σ_k w_k
    p_k(y_i)`` for stacking, the mean CRPS of the mixture for CRPS stacking, and for BMA
    ``−(1/n) log Σ_k prior_k Π_i p_k(y_i)``, the negative log evidence of the averaged model
    per observation.
    """

    method: str
    names: tuple[str, ...]
    weights: tuple[float, ...]
    observations: int
    objective: float
    converged: bool
    note: str = ""
    intervals: tuple[tuple[float, float], ...] = ()
    """Each weight's 90 % Bayesian-bootstrap interval (the 5th and 95th percentiles of the
    weights over the draws); empty for a method that does not resample."""
    units: int = 0
    """How many units (episodes, or overlapping episodes together) the bootstrap resampled."""

    def as_dict(self) -> dict[str, float]:
        """Weight by structure name."""
        return dict(zip(self.names, self.weights, strict=True))

    def interval_dict(self) -> dict[str, tuple[float, float]]:
        """Each structure's 90 % bootstrap interval (empty without resampling)."""
        return dict(zip(self.names, self.intervals, strict=True)) if self.intervals else {}

    def to_dict(self) -> dict[str, Any]:
        """The weights as JSON-ready values."""
        out = {
            "method": self.method,
            "observations": self.observations,
            "weights": self.as_dict(),
            "objective": self.objective,
            "converged": self.converged,
            "note": self.note,
        }
        if self.intervals:
            out["intervals"] = {k: list(v) for k, v in self.interval_dict().items()}
            out["units"] = self.units
        return _json_ready(out)


def _names(names: Sequence[str] | None, k: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"structure_{i}" for i in range(k))
    out = tuple(str(n) for n in names)
    if len(out) != k:
        raise ValueError(f"expected {k} structure names, got {len(out)}")
    if len(set(out)) != k:
        raise ValueError("structure names must be distinct")
    return out


def _log_densities(log_densities: Any) -> np.ndarray:
    lp = np.asarray(log_densities, dtype=float)
    if lp.ndim == 1:
        lp = lp[:, None]
    if lp.ndim != 2 or lp.shape[0] == 0:
        raise ValueError("log densities must be an array (structures × observations)")
    if np.any(np.isnan(lp)) or np.any(lp == np.inf):
        raise ValueError("log densities must be finite or −inf (no NaN, no +inf)")
    return lp


def _prior(prior: Any, k: int) -> np.ndarray:
    if prior is None:
        return np.full(k, 1.0 / k)
    p = np.asarray(prior, dtype=float).ravel()
    if p.shape != (k,) or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError(f"prior weights must be {k} non-negative numbers, not all zero")
    return p / p.sum()


def bma_weights(
    log_densities: Any, prior: Any = None, names: Sequence[str] | None = None
) -> StructureWeights:
    """Bayesian-model-averaging weights: posterior probability of each structure given history.

    ``log_densities[k, i]`` is log p_k(y_i), structure k's log predictive density of held-out
    observation i. The weight is ``prior_k · exp(Σ_i log p_k(y_i))`` normalised: the softmax of
    summed log densities plus log prior weights (equal priors unless given). Treats the
    observations as independent given the structure.
    """
    lp = _log_densities(log_densities)
    k, n = lp.shape
    p = _prior(prior, k)
    with np.errstate(divide="ignore"):
        total = lp.sum(axis=1) + np.log(p)
    if not np.any(np.isfinite(total)):
        raise ValueError("every structure gives some observation zero density: BMA is undefined")
    weights = np.exp(total - special.logsumexp(total))
    evidence = float(special.logsumexp(total))
    return StructureWeights(
        method="bma",
        names=_names(names, k),
        weights=tuple(float(w) for w in weights),
        observations=int(n),
        objective=-evidence / n if n else 0.0,
        converged=True,
    )


def _stacking_objective(scaled: np.ndarray) -> Any:
    n = scaled.shape[1]

    def value_and_gradient(w: np.ndarray) -> tuple[float, np.ndarray]:
        mix = np.maximum(w @ scaled, 1e-300)
        return -float(np.log(mix).sum()) / n, -(scaled @ (1.0 / mix)) / n

    return value_and_gradient


def _simplex_minimise(
    fun: Any, k: int, start: np.ndarray | None = None
) -> tuple[np.ndarray, bool, str]:
    w0 = np.full(k, 1.0 / k) if start is None else start
    result = optimize.minimize(
        fun,
        w0,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[
            {"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones_like(w)}
        ],
        options={"ftol": 1e-13, "maxiter": 1000},
    )
    w = np.clip(result.x, 0.0, None)
    w = w / w.sum()
    return w, bool(result.success), str(result.message)


def stacking_weights(log_densities: Any, names: Sequence[str] | None = None) -> StructureWeights:
    """Stacking weights: the mixture of structures that best predicts the held-out observations.

    Maximises ``Σ_i log Σ_k w_k p_k(y_i)`` over weights ``w ≥ 0`` summing to 1 (Yao et al.
    2018), with ``log_densities[k, i] = log p_k(y_i)`` computed out of sample. The problem is
    concave; it is solved by SLSQP from equal weights with the analytic gradient (densities
    rescaled per observation, which does not move the optimum), and polished by the
    fixed-point (EM) update ``w_k ← w_k · mean_i p_k(y_i) / Σ_l w_l p_l(y_i)``, which keeps the
    optimum fixed. Deterministic. A structure whose densities dominate on every observation gets
    weight → 1; two identical structures split the weight one of them would get.
    """
    lp = _log_densities(log_densities)
    k, n = lp.shape
    labels = _names(names, k)
    if n == 0:
        return StructureWeights("stacking", labels, tuple([1.0 / k] * k), 0, 0.0, True, "no data")
    best = lp.max(axis=0)
    if not np.all(np.isfinite(best)):
        raise ValueError("an observation has zero density under every structure: cannot stack")
    scaled = np.exp(lp - best[None, :])
    fun = _stacking_objective(scaled)
    note = ""
    if k == 1:
        w, converged = np.ones(1), True
    else:
        w, converged, message = _simplex_minimise(fun, k)
        w = _em_polish(w, scaled)
        if not converged:
            note = f"SLSQP: {message}; EM fixed-point iterations used"
            w = _em_polish(np.full(k, 1.0 / k), scaled, iterations=20_000)
            converged = True
    value = fun(w)[0] - float(best.mean())
    return StructureWeights(
        "stacking", labels, tuple(float(x) for x in w), int(n), value, converged, note
    )


def _em_polish(w: np.ndarray, scaled: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Fixed-point updates of mixture weights (each step raises the stacking objective)."""
    w = w.copy()
    for _ in range(iterations):
        mix = np.maximum(w @ scaled, 1e-300)
        step = w * (scaled @ (1.0 / mix)) / scaled.shape[1]
        step /= step.sum()
        if np.max(np.abs(step - w)) < 1e-15:
            return step
        w = step
    return w


# --- CRPS stacking ----------------------------------------------------------------------------


def mixture_crps_terms(
    members_by_structure: Sequence[Any],
    observed: float,
    sd: float | None = 0.0,
    weights_by_structure: Sequence[Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the CRPS of a weighted set of structures at one observation: ``(a, B)``.

    ``a[k] = E|X_k − y|`` and ``B[k, l] = E|X_k − X_l'|`` for X_k drawn from structure k's
    forecast (members ± observation error ``sd``), independently. The CRPS of the mixture with
    weights ``w`` is then ``w·a − ½ wᵀBw``, and of structure k alone ``a[k] − ½ B[k, k]``.
    """
    s = _as_sd(sd)
    y = float(observed)
    k = len(members_by_structure)
    if k == 0:
        raise ValueError("need at least one structure")
    if weights_by_structure is not None and len(weights_by_structure) != k:
        raise ValueError(f"expected {k} weight arrays (one per structure)")
    prepared = []
    for index, members in enumerate(members_by_structure):
        x = _as_members(members)
        u = _as_weights(
            None if weights_by_structure is None else weights_by_structure[index], x.size
        )
        prepared.append((x, u))
    location = _centre(np.concatenate([x for x, _ in prepared]))
    merged = [_merge_ties(x - location, u) for x, u in prepared]
    a = np.array([float(u @ _abs_normal_mean(y - location - x, s)) for x, u in merged])
    b = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            xi, ui = merged[i]
            xj, uj = merged[j]
            b[i, j] = b[j, i] = _pair_mean(xi, ui, xj, uj, s)
    return a, b


def _crps_terms(terms: Sequence[tuple[Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
    if len(terms) == 0:
        raise ValueError("need the CRPS terms of at least one observation")
    a = np.array([np.asarray(t[0], dtype=float) for t in terms])
    b = np.array([np.asarray(t[1], dtype=float) for t in terms])
    k = a.shape[1]
    if b.shape[1:] != (k, k):
        raise ValueError("each observation's terms must be a (K,) vector and a (K, K) matrix")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("CRPS terms must be finite")
    return a, b


def crps_stacking_weights(
    terms: Sequence[tuple[Any, Any]], names: Sequence[str] | None = None
) -> StructureWeights:
    """CRPS-stacking weights: the mixture of structures with the lowest mean CRPS on history.

    ``terms`` holds, per held-out observation, the ``(a, B)`` of :func:`mixture_crps_terms`;
    the weights minimise ``mean_i (w·a_i − ½ wᵀB_i w)`` over the simplex, a convex quadratic
    (E|X − X'| is a negative-definite kernel), solved by SLSQP from equal weights.
    """
    a, b = _crps_terms(terms)
    n, k = a.shape
    labels = _names(names, k)
    a_mean = a.mean(axis=0)
    b_mean = b.mean(axis=0)
    b_mean = 0.5 * (b_mean + b_mean.T)

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        return float(w @ a_mean - 0.5 * w @ b_mean @ w), a_mean - b_mean @ w

    if k == 1:
        w, converged, note = np.ones(1), True, ""
    else:
        w, converged, message = _simplex_minimise(fun, k)
        note = "" if converged else f"SLSQP: {message}"
    return StructureWeights(
        "crps-stacking", labels, tuple(float(x) for x in w), int(n), fun(w)[0], converged, note
    )


# --- the Bayesian bootstrap over units: pseudo-BMA+ and bootstrap stacking ---------------------


def unit_log_scores(log_densities: Any, units: Sequence[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Each unit's summed log density under each structure: ``S[k, u] = Σ_{i in u} log p_k(y_i)``.

    ``units[i]`` names observation i's unit (an episode, or overlapping episodes together);
    units come in the order they first appear.
    """
    lp = _log_densities(log_densities)
    labels = [str(u) for u in units]
    if len(labels) != lp.shape[1]:
        raise ValueError(f"expected one unit per observation ({lp.shape[1]}), got {len(labels)}")
    names = tuple(dict.fromkeys(labels))
    index = {name: j for j, name in enumerate(names)}
    members = np.array([index[u] for u in labels], dtype=int)
    sums = np.zeros((lp.shape[0], len(names)))
    for j in range(len(names)):
        sums[:, j] = lp[:, members == j].sum(axis=1)
    return names, sums


def _dirichlet(units: int, draws: int, seed: int) -> np.ndarray:
    """``draws`` Bayesian-bootstrap weightings of ``units`` units (rows of Dirichlet(1, …, 1))."""
    if draws < 1:
        raise ValueError(f"need at least one bootstrap draw, got {draws}")
    return np.random.default_rng(seed).dirichlet(np.ones(units), size=draws)


def _mixture_objective(w: np.ndarray, lp: np.ndarray) -> float:
    """The mean log score ``−mean_i log Σ_k w_k p_k(y_i)`` of the weighted structures."""
    return float(_mixture_log_score(w, lp).mean())


def _percentiles(draws: np.ndarray) -> tuple[tuple[float, float], ...]:
    low, high = np.percentile(draws, [5.0, 95.0], axis=0)
    return tuple((float(a), float(b)) for a, b in zip(low, high, strict=True))


def _indistinguishable(lp: np.ndarray) -> bool:
    """Whether every structure gives every observation the same density."""
    return bool(np.all(lp == lp[0]))


def _prior_weights(
    method: str, labels: tuple[str, ...], p: np.ndarray, lp: np.ndarray, size: int
) -> StructureWeights:
    """The prior weights, exactly, when history cannot weigh: no observations, one structure,
    or structures that give every observation the same density."""
    k, n = lp.shape
    note = "no data" if n == 0 else "" if k == 1 else "identical scores: the prior weights"
    return StructureWeights(
        method,
        labels,
        tuple(float(x) for x in p),
        int(n),
        _mixture_objective(p, lp) if n else 0.0,
        True,
        note,
        tuple((float(x), float(x)) for x in p),
        size,
    )


def pseudo_bma_plus_weights(
    log_densities: Any,
    units: Sequence[str],
    prior: Any = None,
    names: Sequence[str] | None = None,
    *,
    draws: int = DRAWS,
    seed: int = 0,
) -> StructureWeights:
    """Pseudo-BMA+ weights: BMA on the log scores, averaged over Bayesian-bootstrap re-weightings
    of the units, so a structure takes the weight only if history favours it whichever units
    weigh most (Yao, Vehtari, Simpson & Gelman 2018, Bayesian Analysis 13(3), section 3.4).

    ``log_densities[k, i]`` is log p_k(y_i) out of sample; ``units[i]`` names observation i's
    unit. For each of ``draws`` Dirichlet(1, …, 1) draws ``α`` over the U units (seeded:
    deterministic), ``z_k = U Σ_u α_u S_ku`` (:func:`unit_log_scores`) and the draw's weights are
    ``prior_k e^{z_k} / Σ_l prior_l e^{z_l}``; the weight is their mean, the interval their 5th
    and 95th percentiles. Structures that give every observation the same density keep their
    prior weights exactly; with one unit there is nothing to resample and the weights are
    pseudo-BMA (BMA on the out-of-sample scores), said in ``note``.
    """
    lp = _log_densities(log_densities)
    k, n = lp.shape
    labels = _names(names, k)
    p = _prior(prior, k)
    unit_names, sums = unit_log_scores(lp, units)
    size = len(unit_names)
    method = "pseudo-bma+"
    if n == 0 or k == 1 or _indistinguishable(lp):
        return _prior_weights(method, labels, p, lp, size)
    if not np.all(np.isfinite(lp.max(axis=0))):
        raise ValueError("an observation has zero density under every structure: cannot weigh")
    alpha = np.ones((1, 1)) if size == 1 else _dirichlet(size, draws, seed)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = size * np.where(alpha[:, None, :] > 0, alpha[:, None, :] * sums[None, :, :], 0.0)
        z = z.sum(axis=2) + np.log(p)[None, :]
    top = z.max(axis=1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError("every structure gives some observation zero density: cannot weigh")
    raw = np.exp(z - top)
    per_draw = raw / raw.sum(axis=1, keepdims=True)
    w = per_draw.mean(axis=0)
    w = w / w.sum()
    note = "one unit: nothing to resample (pseudo-BMA)" if size == 1 else ""
    return StructureWeights(
        method,
        labels,
        tuple(float(x) for x in w),
        int(n),
        _mixture_objective(w, lp),
        True,
        note,
        _percentiles(per_draw),
        size,
    )


def _weighted_stacking(
    scaled: np.ndarray, weights: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, bool]:
    """The stacking weights of one re-weighted history: maximise ``Σ_i v_i log Σ_k w_k p_k(y_i)``
    (densities rescaled per observation), SLSQP from ``start`` then fixed-point polish."""
    v = weights / weights.sum()

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        mix = np.maximum(w @ scaled, 1e-300)
        return -float(v @ np.log(mix)), -(scaled @ (v / mix))

    w, converged, _ = _simplex_minimise(fun, scaled.shape[0], start)
    for _ in range(200):
        mix = np.maximum(w @ scaled, 1e-300)
        step = w * (scaled @ (v / mix))
        step /= step.sum()
        if np.max(np.abs(step - w)) < 1e-15:
            w = step
            break
        w = step
    return w, converged


def bootstrap_stacking_weights(
    log_densities: Any,
    units: Sequence[str],
    prior: Any = None,
    names: Sequence[str] | None = None,
    *,
    draws: int = STACKING_DRAWS,
    seed: int = 0,
) -> StructureWeights:
    """Bayesian-bootstrap stacking: the stacking weights of each re-weighted history, averaged
    (Yao et al. 2018, section 3.4), so a corner that only some re-weightings of the units reach
    is averaged with the others.

    For each Dirichlet(1, …, 1) draw ``α`` over the units, every observation of unit u weighs
    ``α_u`` in the stacking objective ``Σ_i v_i log Σ_k w_k p_k(y_i)``, which is maximised from
    the prior weights. The weight is the mean over draws, the interval their 5th and 95th
    percentiles. Structures that give every observation the same density keep the prior.
    """
    lp = _log_densities(log_densities)
    k, n = lp.shape
    labels = _names(names, k)
    p = _prior(prior, k)
    unit_names, _ = unit_log_scores(lp, units)
    size = len(unit_names)
    method = "bb-stacking"
    if n == 0 or k == 1 or _indistinguishable(lp):
        return _prior_weights(method, labels, p, lp, size)
    best = lp.max(axis=0)
    if not np.all(np.isfinite(best)):
        raise ValueError("an observation has zero density under every structure: cannot stack")
    scaled = np.exp(lp - best[None, :])
    index = {u: j for j, u in enumerate(unit_names)}
    member = np.array([index[str(u)] for u in units], dtype=int)
    alpha = np.ones((1, 1)) if size == 1 else _dirichlet(size, draws, seed)
    per_draw = np.empty((alpha.shape[0], k))
    converged = True
    for b, row in enumerate(alpha):
        per_draw[b], ok = _weighted_stacking(scaled, row[member], p)
        converged = converged and ok
    w = per_draw.mean(axis=0)
    w = w / w.sum()
    note = "one unit: nothing to resample (stacking)" if size == 1 else ""
    return StructureWeights(
        method,
        labels,
        tuple(float(x) for x in w),
        int(n),
        _mixture_objective(w, lp),
        converged,
        note,
        _percentiles(per_draw),
        size,
    )


@dataclass(frozen=True)
class Separation:
    """Whether history separates one structure from the best-scoring one.

    ``difference`` is the best structure's summed log density minus this one's (nats, ≥ 0);
    ``se`` its standard error, ``√U`` times the standard deviation of the per-unit differences
    (None with fewer than two units); ``verdict``: ``"best"``, ``"identical"`` (the same
    density everywhere), ``"small"`` (difference below :data:`SMALL_DIFFERENCE`), ``"within
    noise"`` (below twice its standard error, or no standard error) or ``"separated"``.
    """

    name: str
    best: str
    difference: float
    se: float | None
    units: int
    verdict: str

    @property
    def separated(self) -> bool:
        """Whether history tells this structure from the best one."""
        return self.verdict == "separated"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return _json_ready(
            {
                "name": self.name,
                "best": self.best,
                "difference": self.difference,
                "se": self.se,
                "units": self.units,
                "verdict": self.verdict,
            }
        )


def separation(
    log_densities: Any, units: Sequence[str], names: Sequence[str] | None = None
) -> tuple[Separation, ...]:
    """For each structure, whether history separates it from the best-scoring one.

    The paired difference of summed log densities ``Δ = Σ_u (S_best,u − S_k,u)`` and its
    standard error ``√U · sd_u(S_best,u − S_k,u)`` across the U units (Vehtari, Gelman & Gabry
    2017, Statistics and Computing 27, eq. 24, with units in place of observations). A
    difference below :data:`SMALL_DIFFERENCE` (4 nats) is small whatever its standard error
    (Sivula et al. 2020); a larger one is separated when it exceeds twice its standard error.
    """
    lp = _log_densities(log_densities)
    k = lp.shape[0]
    labels = _names(names, k)
    _, sums = unit_log_scores(lp, units)
    size = sums.shape[1]
    totals = sums.sum(axis=1)
    best = int(np.argmax(totals))
    out = []
    for j in range(k):
        d = sums[best] - sums[j]
        difference = float(d.sum())
        se = None
        if size >= 2 and np.all(np.isfinite(d)):
            se = float(math.sqrt(size) * np.std(d, ddof=1))
        if j == best:
            verdict = "best"
        elif np.all(lp[j] == lp[best]):
            verdict = "identical"
        elif not math.isfinite(difference):
            verdict = "separated"  # zero density where the best has some
        elif difference < SMALL_DIFFERENCE:
            verdict = "small"
        elif se is None or difference <= 2.0 * se:
            verdict = "within noise"
        else:
            verdict = "separated"
        out.append(Separation(labels[j], labels[best], difference, se, size, verdict))
    return tuple(out)


# --- leave one episode out --------------------------------------------------------------------


@dataclass(frozen=True)
class LooFold:
    """One held-out episode: the weights fitted without it, and the scores on it.

    ``combined`` is the mean score per observation of the weighted set on the episode
    (``−log Σ w_k p_k`` for BMA and stacking, the mixture's CRPS for CRPS stacking); ``by_structure``
    the same for each structure alone. Lower is better.
    """

    episode: str
    observations: int
    weights: StructureWeights
    combined: float
    by_structure: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The fold as JSON-ready values."""
        return _json_ready(
            {
                "episode": self.episode,
                "observations": self.observations,
                "weights": self.weights.to_dict(),
                "combined": self.combined,
                "by_structure": self.by_structure,
            }
        )


@dataclass(frozen=True)
class LooResult:
    """Leave-one-episode-out weighing: per-episode folds, overall scores, weights on everything.

    ``combined`` and ``by_structure`` are the mean out-of-sample scores over all observations
    (each observation counts once, scored with weights fitted on the other episodes);
    ``weights`` are fitted on all episodes — what a scenario would run under.
    """

    method: str
    score: str
    folds: tuple[LooFold, ...]
    combined: float
    by_structure: dict[str, float]
    weights: StructureWeights

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values."""
        return _json_ready(
            {
                "method": self.method,
                "score": self.score,
                "combined": self.combined,
                "by_structure": self.by_structure,
                "weights": self.weights.to_dict(),
                "folds": [f.to_dict() for f in self.folds],
            }
        )


def _mixture_log_score(w: np.ndarray, lp: np.ndarray) -> np.ndarray:
    """−log Σ_k w_k p_k(y_i) for each observation i."""
    with np.errstate(divide="ignore"):
        return -special.logsumexp(lp + np.log(w)[:, None], axis=0)


def leave_one_episode_out(
    episodes: Sequence[str],
    *,
    method: Method = "stacking",
    log_densities: Any = None,
    crps_terms: Sequence[tuple[Any, Any]] | None = None,
    prior: Any = None,
    names: Sequence[str] | None = None,
    seed: int = 0,
) -> LooResult:
    """Out-of-sample weights and scores: each episode scored with weights fitted on the others.

    ``episodes[i]`` names observation i's episode (or fold). For ``method="bma"``,
    ``"stacking"``, ``"pseudo-bma+"`` or ``"bb-stacking"`` give ``log_densities`` (structures ×
    observations, log p_k(y_i)); for ``"crps-stacking"`` give ``crps_terms`` (one ``(a, B)`` per
    observation, :func:`mixture_crps_terms`). For every episode the weights are fitted on the
    observations of all other episodes (prior weights, or equal ones, if there are none) and the
    weighted set is scored on the episode; the bootstrap methods resample those episodes (with
    ``seed``). Fitting each structure's own parameters only on other episodes is the caller's
    part.
    """
    labels = [str(e) for e in episodes]
    if method in ("bma", "stacking", "pseudo-bma+", "bb-stacking"):
        if log_densities is None:
            raise ValueError(f"method {method!r} needs log_densities")
        lp = _log_densities(log_densities)
        k, n = lp.shape
        score = "log"
    elif method == "crps-stacking":
        if crps_terms is None:
            raise ValueError("method 'crps-stacking' needs crps_terms")
        a, b = _crps_terms(crps_terms)
        n, k = a.shape
        score = "crps"
    else:
        raise ValueError(
            "method must be 'bma', 'stacking', 'crps-stacking', 'pseudo-bma+' or 'bb-stacking', "
            f"got {method!r}"
        )
    if len(labels) != n:
        raise ValueError(f"expected one episode label per observation ({n}), got {len(labels)}")
    structure_names = _names(names, k)
    prior_w = _prior(prior, k)

    def fit(mask: np.ndarray) -> StructureWeights:
        if not mask.any():
            return StructureWeights(
                method,
                structure_names,
                tuple(float(x) for x in prior_w),
                0,
                math.nan,
                True,
                "no other episode: prior weights",
            )
        if method == "bma":
            return bma_weights(lp[:, mask], prior_w, structure_names)
        if method == "stacking":
            return stacking_weights(lp[:, mask], structure_names)
        if method in ("pseudo-bma+", "bb-stacking"):
            weigh = (
                pseudo_bma_plus_weights if method == "pseudo-bma+" else bootstrap_stacking_weights
            )
            kept = [label for label, keep in zip(labels, mask, strict=True) if keep]
            return weigh(lp[:, mask], kept, prior_w, structure_names, seed=seed)
        return crps_stacking_weights([(a[i], b[i]) for i in np.flatnonzero(mask)], structure_names)

    def losses(w: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per observation: the weighted set's loss and each structure's (K × n) loss."""
        if score == "log":
            return _mixture_log_score(w, lp[:, mask]), -lp[:, mask]
        am, bm = a[mask], b[mask]
        own = am - 0.5 * np.diagonal(bm, axis1=1, axis2=2)
        mixed = am @ w - 0.5 * np.einsum("k,ikl,l->i", w, bm, w)
        return mixed, own.T

    combined_all = np.empty(n)
    own_all = np.empty((k, n))
    folds = []
    for episode in dict.fromkeys(labels):
        held = np.array([e == episode for e in labels])
        weights = fit(~held)
        w = np.asarray(weights.weights)
        mixed, own = losses(w, held)
        combined_all[held] = mixed
        own_all[:, held] = own
        folds.append(
            LooFold(
                episode=episode,
                observations=int(held.sum()),
                weights=weights,
                combined=float(mixed.mean()),
                by_structure={name: float(own[j].mean()) for j, name in enumerate(structure_names)},
            )
        )
    return LooResult(
        method=method,
        score=score,
        folds=tuple(folds),
        combined=float(combined_all.mean()),
        by_structure={name: float(own_all[j].mean()) for j, name in enumerate(structure_names)},
        weights=fit(np.ones(n, dtype=bool)),
    )
