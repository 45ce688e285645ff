"""Checking and preparing the (members, actors) arrays every bargaining model takes.

Every model here works member by member: nothing is ever reduced across the member
axis, and sums over actors are taken in a fixed actor order (``sequential_sum``) so
that the result for member *m* is bit-identical whatever else is in the batch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["IssueArrays", "as_issue_arrays", "sequential_sum", "weighted_mean"]


class IssueArrays(NamedTuple):
    """One issue for M members and A actors, as float64 arrays (copies, never views)."""

    positions: np.ndarray  # (M, A)
    capability: np.ndarray  # (M, A)
    salience: np.ndarray  # (M, A)
    status_quo: np.ndarray  # (M,)


def as_issue_arrays(positions, capability, salience, status_quo) -> IssueArrays:
    """Validate the engine's inputs and return float64 copies shaped (M, A) and (M,).

    Raises ValueError naming the argument when a shape is wrong or a value is not
    finite, when a capability is not positive or a salience is outside [0, 1].
    """
    x = np.array(positions, dtype=np.float64, copy=True)
    c = np.array(capability, dtype=np.float64, copy=True)
    s = np.array(salience, dtype=np.float64, copy=True)
    q = np.array(status_quo, dtype=np.float64, copy=True)
    if x.ndim != 2:
        raise ValueError(f"positions must be shaped (members, actors), got shape {x.shape}")
    if x.shape[1] < 1:
        raise ValueError("positions must have at least one actor")
    for name, arr in (("capability", c), ("salience", s)):
        if arr.shape != x.shape:
            raise ValueError(f"{name} must have the shape of positions {x.shape}, got {arr.shape}")
    if q.shape != (x.shape[0],):
        raise ValueError(f"status_quo must be shaped (members,) = ({x.shape[0]},), got {q.shape}")
    for name, arr in (("positions", x), ("capability", c), ("salience", s), ("status_quo", q)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite (no NaN or infinity)")
    if np.any(c <= 0):
        raise ValueError("capability must be > 0 for every actor")
    if np.any(s < 0) or np.any(s > 1):
        raise ValueError("salience must lie in [0, 1]")
    return IssueArrays(x, c, s, q)


def sequential_sum(a: np.ndarray, axis: int) -> np.ndarray:
    """Sum along ``axis`` adding one slice at a time, first index first.

    NumPy's own reductions may regroup additions (pairwise summation, SIMD lanes)
    depending on array sizes and layout; adding slices in order keeps every
    member's result independent of how many members are computed together.
    """
    a = np.moveaxis(a, axis, 0)
    total = a[0].copy()
    for k in range(1, a.shape[0]):
        total += a[k]
    return total


def weighted_mean(x: np.ndarray, w: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Mean of positions ``x`` (M, A) weighted by ``w`` (M, A), per member.

    Where all weights of a member are zero, returns ``fallback`` (M,) for it.
    """
    total = sequential_sum(w, axis=1)
    num = sequential_sum(w * x, axis=1)
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, num / safe, fallback)
