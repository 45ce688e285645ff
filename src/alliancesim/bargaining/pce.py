"""The probabilistic Condorcet election (PCE) of KTAB's spatial model of politics.

Source: the KTAB code (KAPSARC, MIT licence), ``kmodel`` ``Model::coalitions``,
``Model::vProb``, ``Model::condPCE``, ``Model::markovUniformPCE`` and
``Model::markovIncentivePCE``; Efird, Lester & Wise (2016). Written anew here, in
the same order of floating-point operations as KTAB so that histories agree to the
last printed digit.

Every option a is pitted against every option b: each voter k gives the vote
w_k (u_ka − u_kb) (proportional voting) to the option it prefers; the coalition
strength c(a, b) = 1e-8 + Σ_k max(0, v_k(a, b)); a wins the pairwise contest with
probability pv(a, b) = c(a, b) / (c(a, b) + c(b, a)) (linear victory); and the
chance that a is the Condorcet winner is combined from the pairwise chances
(conditional: p_a ∝ Π_b pv(a, b); or as the limit of a Markov chain of challenges).

All functions take arrays with any number of leading batch axes ("members") and
never combine numbers across them; sums over voters and options run in index order.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "PCEModel",
    "VictoryModel",
    "coalition_strengths",
    "election",
    "unique_positions",
    "victory_probabilities",
]

PCEModel = Literal["conditional", "markov_uniform", "markov_incentive"]
VictoryModel = Literal["linear", "square", "quartic", "octic"]

MIN_COALITION = 1e-8  # KTAB's minC: every coalition has at least this strength


def coalition_strengths(util: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """c[..., a, b]: strength of the coalition for option a against option b.

    ``util[..., k, a]`` is voter k's utility of option a, ``weight[..., k]`` its voting
    weight. Proportional voting; the diagonal holds the minimum strength 1e-8.
    """
    n_voters = util.shape[-2]
    n_options = util.shape[-1]
    c = np.full((*util.shape[:-2], n_options, n_options), MIN_COALITION)
    for k in range(n_voters):
        u = util[..., k, :]
        vote = weight[..., k, None, None] * (u[..., :, None] - u[..., None, :])
        c += np.where(vote > 0.0, vote, 0.0)
    # the diagonal was only ever given zero votes, so it still holds MIN_COALITION
    return c


def victory_probabilities(c: np.ndarray, model: VictoryModel = "linear") -> np.ndarray:
    """pv[..., a, b]: probability that a beats b given coalition strengths c (diagonal 0.5)."""
    if model == "linear":
        x = c
    elif model == "square":
        x = c * c
    elif model == "quartic":
        x = (c * c) * (c * c)
    elif model == "octic":
        c4 = (c * c) * (c * c)
        x = c4 * c4
    else:
        raise ValueError(f"unknown victory model {model!r}; valid: linear, square, quartic, octic")
    xt = np.swapaxes(x, -1, -2)
    pv = x / (x + xt)
    n = c.shape[-1]
    diag = np.arange(n)
    pv[..., diag, diag] = 0.5
    return pv


def election(
    util: np.ndarray,
    weight: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    pce: PCEModel = "conditional",
    victory: VictoryModel = "linear",
) -> np.ndarray:
    """p[..., a]: probability that option a wins the probabilistic Condorcet election.

    ``valid[..., a]`` marks the options that exist (others get probability 0 and do
    not affect the rest): a member's options can then be padded to a common count.
    """
    c = coalition_strengths(util, weight)
    pv = victory_probabilities(c, victory)
    if valid is None:
        valid = np.ones(c.shape[:-1], dtype=bool)
    if pce == "conditional":
        return _conditional(pv, valid)
    if pce == "markov_uniform":
        return _markov_uniform(pv, valid)
    if pce == "markov_incentive":
        return _markov_incentive(c, pv, valid)
    raise ValueError(
        f"unknown PCE model {pce!r}; valid: conditional, markov_uniform, markov_incentive"
    )


def _conditional(pv: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """KTAB condPCE: p_a = Π_b pv(a, b) (over existing b), normalised to sum to one."""
    n = pv.shape[-1]
    p = np.ones(valid.shape)
    for b in range(n):
        p = p * np.where(valid[..., b, None], pv[..., :, b], 1.0)
    p = np.where(valid, p, 0.0)
    total = np.zeros(valid.shape[:-1])
    for a in range(n):
        total = total + p[..., a]
    return p / total[..., None]


def _markov_uniform(pv: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """KTAB markovUniformPCE: challenges arrive uniformly; iterate to the stationary p."""
    n_valid = valid.sum(axis=-1).astype(np.float64)
    pvm = np.where(valid[..., :, None] & valid[..., None, :], pv, 0.0)
    p = np.where(valid, 1.0 / n_valid[..., None], 0.0)
    active = np.ones(valid.shape[:-1], dtype=bool)
    for _ in range(1000):
        if not active.any():
            break
        q = np.zeros_like(p)
        for b in range(pv.shape[-1]):
            q = q + pvm[..., :, b] * (p + p[..., b, None])
        q = q / n_valid[..., None]
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > 1e-6)
    return p


def _markov_incentive(c: np.ndarray, pv: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """KTAB markovIncentivePCE: challenges in proportion to the incentive c(a, b) pv(a, b)."""
    n = c.shape[-1]
    both = valid[..., :, None] & valid[..., None, :]
    incentive = np.where(both, c * pv, 0.0)
    diag = np.arange(n)
    incentive[..., diag, diag] += np.where(valid, 1e-10, 0.0)
    column = np.zeros((*c.shape[:-2], n))
    for a in range(n):
        column = column + incentive[..., a, :]
    chance = (
        incentive / np.where(column > 0, column, 1.0)[..., None, :]
    )  # chance[a, b]: a challenges b
    pvm = np.where(both, pv, 0.0)
    n_valid = valid.sum(axis=-1).astype(np.float64)
    p = np.where(valid, 1.0 / n_valid[..., None], 0.0)
    active = np.ones(valid.shape[:-1], dtype=bool)
    for _ in range(1000):
        if not active.any():
            break
        ct = p[..., :, None] * np.swapaxes(chance, -1, -2)  # ct[a, b] = p_a chance(b, a)
        q = np.zeros_like(p)
        for b in range(n):
            q = q + pvm[..., :, b] * (ct[..., :, b] + ct[..., b, :])
        change = np.abs(q - p).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > 1e-8)
    return p


def unique_positions(positions: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Group equivalent positions as KTAB's ``ueIndices`` does, member by member.

    ``positions[..., i, :]`` is actor i's position; two positions are equivalent when
    their Euclidean distance is below ``tolerance``. Scanning actors in order, an
    actor joins the first earlier *unique* position it is equivalent to, or founds a
    new one. Returns ``unique[..., i]`` (actor i founds a unique position) and
    ``last_match[..., i]``, the index of the last unique position actor i is
    equivalent to — the one whose probability KTAB reports for the actor.
    """
    n = positions.shape[-2]
    diff = positions[..., :, None, :] - positions[..., None, :, :]
    sq = np.zeros(diff.shape[:-1])
    for dim in range(diff.shape[-1]):
        sq = sq + diff[..., dim] * diff[..., dim]
    close = np.sqrt(sq) < tolerance
    unique = np.zeros(positions.shape[:-1], dtype=bool)
    for i in range(n):
        matched = (close[..., i, :i] & unique[..., :i]).any(axis=-1)
        unique[..., i] = ~matched
    idx = np.broadcast_to(np.arange(n), close.shape)
    last_match = np.where(close & unique[..., None, :], idx, -1).max(axis=-1)
    return unique, last_match
