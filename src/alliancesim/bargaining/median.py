"""The weighted median: the Condorcet winner among the actors' positions.

With votes c·s and single-peaked preferences on a line, the position that beats every
other actor's position in a pairwise vote is the one that minimises the weighted
distance Σ_i c_i s_i |x_i − x_j| over the actors' positions x_j (Black 1948). This is
also the "median voter position" μ of Bueno de Mesquita's expected-utility model.
"""

from __future__ import annotations

import numpy as np

from alliancesim.bargaining.arrays import sequential_sum

__all__ = ["median_outcome", "weighted_median"]

# Two positions whose weighted distances differ by less than this fraction of the
# total are treated as tied (the sums are rounded differently in different actor
# orders); among tied positions the lowest is chosen.
TIE_TOLERANCE = 1e-12


def weighted_median(positions: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The Condorcet winner among the actor positions of each member (M,), votes ``weight``.

    Ties (an even split of the votes) go to the lowest of the tied positions, so the
    answer does not depend on the order of the actors. With all weights zero every
    position ties and the lowest is returned; callers that need a status quo in that
    case handle it themselves.
    """
    x = positions
    n_actors = x.shape[1]
    # cost[m, j] = Σ_i w_i |x_i − x_j|, summed over i in actor order.
    cost = np.zeros_like(x)
    for i in range(n_actors):
        cost += weight[:, i, None] * np.abs(x[:, i, None] - x)
    best = cost.min(axis=1)
    scale = sequential_sum(weight, axis=1) * (x.max(axis=1) - x.min(axis=1))
    tied = cost <= (best + TIE_TOLERANCE * scale)[:, None]
    return np.where(tied, x, np.inf).min(axis=1)


def median_outcome(
    positions: np.ndarray, capability: np.ndarray, salience: np.ndarray, status_quo: np.ndarray
) -> np.ndarray:
    """The weighted median of the positions with votes c·s, per member (M,).

    A member where nobody attaches any salience to the issue keeps its status quo.
    """
    weight = capability * salience
    anyone = sequential_sum(weight, axis=1) > 0
    return np.where(anyone, weighted_median(positions, weight), status_quo)
