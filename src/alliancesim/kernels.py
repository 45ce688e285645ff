"""Compiled inner loops of the engine's step (Numba), each bit-identical to its NumPy form.

Only loops whose NumPy form is slow because it iterates (the Poisson inverse CDF runs until
every member's count is found) are compiled. They use only +, −, ×, ÷ and comparisons, in the
same order as the NumPy form and the reference implementation, so results agree to the bit;
transcendental functions (``exp``) are evaluated by NumPy before the call. Without Numba the
NumPy forms run instead.
"""

from __future__ import annotations

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; kept importable without it
    numba = None

__all__ = ["AVAILABLE", "poisson_counts", "weighted_mean"]

AVAILABLE = numba is not None


def _poisson_counts(
    u: np.ndarray, rate: np.ndarray, p0: np.ndarray, limit: int, out: np.ndarray
) -> None:
    for m in range(u.shape[0]):
        p = p0[m]
        cdf = p
        r = rate[m]
        n = 0
        while u[m] >= cdf and n < limit:
            n += 1
            p = p * r / n
            cdf = cdf + p
        out[m] = n


def _weighted_mean(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, fallback: np.ndarray, out: np.ndarray
) -> None:
    members, actors = x.shape
    for m in range(members):
        w = c[m, 0] * s[m, 0]
        total = w
        num = w * x[m, 0]
        for k in range(1, actors):
            w = c[m, k] * s[m, k]
            total += w
            num += w * x[m, k]
        out[m] = num / total if total > 0 else fallback[m]


if numba is not None:
    _poisson_counts = numba.njit(cache=True, nogil=True)(_poisson_counts)
    _weighted_mean = numba.njit(cache=True, nogil=True)(_weighted_mean)


def poisson_counts(u: np.ndarray, rate: np.ndarray, limit: int) -> np.ndarray:
    """Occurrences n = F⁻¹(u) of Poisson(rate) counts per member (docs/semantics.md recurrence)."""
    u = np.ascontiguousarray(u, dtype=np.float64)
    rate = np.ascontiguousarray(np.broadcast_to(rate, u.shape), dtype=np.float64)
    out = np.empty(u.shape)
    _poisson_counts(u, rate, np.exp(-rate), limit, out)
    return out


def weighted_mean(x: np.ndarray, c: np.ndarray, s: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Σ c·s·x / Σ c·s over actors per member (sums in actor order); ``fallback`` where Σ c·s = 0."""
    out = np.empty(x.shape[0])
    _weighted_mean(x, c, s, np.asarray(fallback, dtype=np.float64), out)
    return out
