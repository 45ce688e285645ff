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
    "LooFold",
    "LooResult",
    "StructureWeights",
    "bma_weights",
    "crps_stacking_weights",
    "leave_one_episode_out",
    "mixture_crps_terms",
    "stacking_weights",
]

Method = Literal["bma", "stacking", "crps-stacking"]


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

    def as_dict(self) -> dict[str, float]:
        """Weight by structure name."""
        return dict(zip(self.names, self.weights, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """The weights as JSON-ready values."""
        return _json_ready(
            {
                "method": self.method,
                "observations": self.observations,
                "weights": self.as_dict(),
                "objective": self.objective,
                "converged": self.converged,
                "note": self.note,
            }
        )


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
) -> LooResult:
    """Out-of-sample weights and scores: each episode scored with weights fitted on the others.

    ``episodes[i]`` names observation i's episode. For ``method="bma"`` or ``"stacking"`` give
    ``log_densities`` (structures × observations, log p_k(y_i)); for ``"crps-stacking"`` give
    ``crps_terms`` (one ``(a, B)`` per observation, :func:`mixture_crps_terms`). For every
    episode the weights are fitted on the observations of all other episodes (prior weights,
    or equal ones, if there are none) and the weighted set is scored on the episode. Fitting
    each structure's own parameters only on other episodes is the caller's part.
    """
    labels = [str(e) for e in episodes]
    if method in ("bma", "stacking"):
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
        raise ValueError(f"method must be 'bma', 'stacking' or 'crps-stacking', got {method!r}")
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
