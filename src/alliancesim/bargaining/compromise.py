"""The compromise model (Achen 2006): the outcome is the capability×salience-weighted mean.

Achen (2006) and Thomson et al. (2006, *The European Union Decides*) found this
simple model as accurate as any procedural or game-theoretic model on EU
legislation; it is the baseline every other model here has to beat.
"""

from __future__ import annotations

import numpy as np

from alliancesim import kernels
from alliancesim.bargaining.arrays import weighted_mean

__all__ = ["compromise_outcome"]


def compromise_outcome(
    positions: np.ndarray, capability: np.ndarray, salience: np.ndarray, status_quo: np.ndarray
) -> np.ndarray:
    """The weighted mean Σ c·s·x / Σ c·s of the actors' positions, per member (M,).

    A member where nobody attaches any salience to the issue keeps its status quo.
    """
    if kernels.AVAILABLE:
        return kernels.weighted_mean(positions, capability, salience, status_quo)
    return weighted_mean(positions, capability * salience, status_quo)
