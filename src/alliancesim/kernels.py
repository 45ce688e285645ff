"""Compiled inner loops of the engine's step (Numba), each bit-identical to its NumPy form.

Only loops whose NumPy form is slow because it iterates (the Poisson inverse CDF runs until
every member's count is found) or because it makes many passes over large arrays (a rule
group's saturating push, a position's relaxation: several fancy-indexed temporaries in NumPy,
one pass here) are compiled. They use only +, −, ×, ÷ and comparisons, in the
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

__all__ = [
    "AVAILABLE",
    "apply_pushes",
    "apply_pushes_numpy",
    "poisson_counts",
    "relax_positions",
    "relax_positions_numpy",
    "weighted_mean",
]

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


def _apply_pushes(
    X: np.ndarray,
    rows: np.ndarray,
    totals: np.ndarray,
    saturates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    width: np.ndarray,
) -> None:
    members = X.shape[1]
    for g in range(rows.shape[0]):
        r = rows[g]
        if saturates[g]:
            s = start_rows[g]
            lo = low[g]
            hi = high[g]
            w = width[g]
            for m in range(members):
                t = totals[g, m]
                if t > 0.0:
                    X[r, m] += t * (hi - start[s, m]) / w
                else:
                    X[r, m] += t * (start[s, m] - lo) / w
        else:
            for m in range(members):
                X[r, m] += totals[g, m]


def _relax_positions(
    X: np.ndarray,
    rows: np.ndarray,
    rates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    preference: np.ndarray,
) -> None:
    members = X.shape[1]
    for k in range(rows.shape[0]):
        r = rows[k]
        s = start_rows[k]
        for m in range(members):
            x = X[r, m] - rates[k, m] * (start[s, m] - preference[k, m])
            if x < 0.0:
                x = 0.0
            elif x > 100.0:
                x = 100.0
            X[r, m] = x


if numba is not None:
    _poisson_counts = numba.njit(cache=True, nogil=True)(_poisson_counts)
    _weighted_mean = numba.njit(cache=True, nogil=True)(_weighted_mean)
    _apply_pushes = numba.njit(cache=True, nogil=True)(_apply_pushes)
    _relax_positions = numba.njit(cache=True, nogil=True)(_relax_positions)


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


def apply_pushes(
    X: np.ndarray,
    rows: np.ndarray,
    totals: np.ndarray,
    saturates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    width: np.ndarray,
) -> None:
    """Each rule group's summed push ``totals[g]`` moves its target ``X[rows[g]]`` in place:
    as it is (linear), or saturating, ``(T·(hi − v₀))/(hi − lo)`` for T > 0 and
    ``(T·(v₀ − lo))/(hi − lo)`` otherwise, with v₀ = ``start[start_rows[g]]`` (the value at the
    start of the step) and ``low``, ``high``, ``width`` the target's range (per group)."""
    if not AVAILABLE:
        apply_pushes_numpy(X, rows, totals, saturates, start, start_rows, low, high, width)
        return
    _apply_pushes(X, rows, totals, saturates, start, start_rows, low, high, width)


def apply_pushes_numpy(
    X: np.ndarray,
    rows: np.ndarray,
    totals: np.ndarray,
    saturates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    width: np.ndarray,
) -> None:
    """:func:`apply_pushes` in NumPy (the same operations in the same order)."""
    linear = ~saturates
    if linear.any():
        X[rows[linear]] += totals[linear]
    if saturates.any():
        pushes = totals[saturates]
        v0 = start[start_rows[saturates]]
        lo, hi, w = low[saturates, None], high[saturates, None], width[saturates, None]
        room = np.where(pushes > 0.0, pushes * (hi - v0), pushes * (v0 - lo))
        X[rows[saturates]] += room / w


def relax_positions(
    X: np.ndarray,
    rows: np.ndarray,
    rates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    preference: np.ndarray,
) -> None:
    """Each position ``X[rows[k]]`` relaxes in place toward its standing preference
    ``preference[k]`` from its start-of-step value ``start[start_rows[k]]`` at ``rates[k]``,
    ``p ← p − λ·(p₀ − preference)``, and is then clipped to the issue scale [0, 100]."""
    if not AVAILABLE:
        relax_positions_numpy(X, rows, rates, start, start_rows, preference)
        return
    _relax_positions(X, rows, rates, start, start_rows, preference)


def relax_positions_numpy(
    X: np.ndarray,
    rows: np.ndarray,
    rates: np.ndarray,
    start: np.ndarray,
    start_rows: np.ndarray,
    preference: np.ndarray,
) -> None:
    """:func:`relax_positions` in NumPy (the same operations in the same order)."""
    relaxed = X[rows] - rates * (start[start_rows] - preference)
    X[rows] = np.minimum(np.maximum(relaxed, 0.0), 100.0)
