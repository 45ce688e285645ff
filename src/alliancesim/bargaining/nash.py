"""Asymmetric Nash bargaining over the status quo (Nash 1950; Kalai 1977 for the weights).

The outcome x maximises the weighted Nash product Σ_i w_i log(u_i(x) − u_i(q) + ε) with
weights w_i = c_i s_i, disagreement point the status quo q and utilities
u_i(x) = −|x − x_i| (linear, default) or −(x − x_i)² (quadratic). The log product is
concave on the interval where every actor gains (weakly) over q, so the maximiser is
found by bisection on the sign of the derivative, member by member.

ε = 1e-9 × (span of the positions and q) (squared for quadratic utilities) keeps the logarithm finite; it is relative
so that rescaling the issue rescales the outcome. As in any Nash bargaining solution,
an actor that sits exactly at the status quo gains nothing from any move and so holds
a veto: the outcome is then (within ε) the status quo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from alliancesim.bargaining.arrays import sequential_sum
from alliancesim.bargaining.options import options_of

try:  # the compiled bisection is used when Numba is installed
    import numba
except ImportError:  # pragma: no cover
    numba = None

__all__ = ["NashOptions", "nash_options", "nash_outcome"]

_EPSILON = 1e-9
_BISECTIONS = 64


@dataclass(frozen=True)
class NashOptions:
    """utility: ``"linear"`` −|x − x_i| (default) or ``"quadratic"`` −(x − x_i)²."""

    utility: Literal["linear", "quadratic"] = "linear"

    def __post_init__(self) -> None:
        if self.utility not in ("linear", "quadratic"):
            raise ValueError(
                f"nash option utility must be 'linear' or 'quadratic', got {self.utility!r}"
            )


def nash_options(options: object = None) -> NashOptions:
    """NashOptions from None, a NashOptions, or a mapping of option names to values."""
    return options_of(NashOptions, "nash", options)


def nash_outcome(
    positions: np.ndarray,
    capability: np.ndarray,
    salience: np.ndarray,
    status_quo: np.ndarray,
    options: NashOptions | None = None,
    *,
    backend: str = "auto",
) -> np.ndarray:
    """The asymmetric Nash bargaining solution for each member (M,), weights c·s.

    Members in which nobody attaches salience to the issue keep their status quo, as
    do members whose actors and status quo all coincide. ``backend="numpy"`` forces the
    NumPy bisection (otherwise the same bisection compiled with Numba, when installed).
    """
    opts = options or NashOptions()
    if numba is not None and backend != "numpy":
        return _nash_compiled(
            np.ascontiguousarray(positions, dtype=np.float64),
            np.ascontiguousarray(capability * salience, dtype=np.float64),
            np.ascontiguousarray(status_quo, dtype=np.float64),
            opts.utility == "quadratic",
        )
    x = positions
    q = status_quo[:, None]
    w = capability * salience
    involved = w > 0
    span = np.maximum(x.max(axis=1), status_quo) - np.minimum(x.min(axis=1), status_quo)
    quadratic = opts.utility == "quadratic"
    eps = ((_EPSILON * span) ** 2 if quadratic else _EPSILON * span)[:, None]
    # |x − x_i| < reach keeps i's gain over the status quo positive
    reach = np.sqrt((q - x) * (q - x) + eps) if quadratic else np.abs(q - x) + eps
    anyone = involved.any(axis=1)
    # The maximiser lies where every involved actor gains and within their positions' hull.
    lo = np.maximum(
        np.where(involved, x - reach, -np.inf).max(axis=1),
        np.where(involved, x, np.inf).min(axis=1),
    )
    hi = np.minimum(
        np.where(involved, x + reach, np.inf).min(axis=1),
        np.where(involved, x, -np.inf).max(axis=1),
    )
    lo = np.where(anyone, lo, status_quo)
    hi = np.where(anyone, hi, status_quo)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        diff = mid[:, None] - x
        if quadratic:
            gain = (q - x) * (q - x) - diff * diff + eps
            slope = np.where(involved, w * (-2.0 * diff) / np.where(gain > 0, gain, 1.0), 0.0)
        else:
            gain = np.abs(q - x) - np.abs(diff) + eps
            slope = np.where(involved, -w * np.sign(diff) / np.where(gain > 0, gain, 1.0), 0.0)
        rising = sequential_sum(slope, axis=1) > 0
        lo = np.where(rising, mid, lo)
        hi = np.where(rising, hi, mid)
    outcome = 0.5 * (lo + hi)
    return np.where(anyone & (span > 0), outcome, status_quo)


def _nash_member(x, w, q, quadratic):
    """The bisection of ``nash_outcome`` for one member, in the same order of operations."""
    n = x.shape[0]
    lo_x = min(q, x.min())
    hi_x = max(q, x.max())
    span = hi_x - lo_x
    eps = (_EPSILON * span) ** 2 if quadratic else _EPSILON * span
    anyone = False
    lo = -np.inf
    hi = np.inf
    lo_in = np.inf
    hi_in = -np.inf
    for i in range(n):
        if w[i] > 0:
            anyone = True
            reach = math.sqrt((q - x[i]) * (q - x[i]) + eps) if quadratic else abs(q - x[i]) + eps
            lo = max(lo, x[i] - reach)
            hi = min(hi, x[i] + reach)
            lo_in = min(lo_in, x[i])
            hi_in = max(hi_in, x[i])
    if not (anyone and span > 0):
        return q
    lo = max(lo, lo_in)
    hi = min(hi, hi_in)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        total = 0.0
        for i in range(n):
            diff = mid - x[i]
            slope = 0.0
            if w[i] > 0:
                if quadratic:
                    gain = (q - x[i]) * (q - x[i]) - diff * diff + eps
                    slope = w[i] * (-2.0 * diff) / (gain if gain > 0 else 1.0)
                else:
                    gain = abs(q - x[i]) - abs(diff) + eps
                    sign = 1.0 if diff > 0 else (-1.0 if diff < 0 else 0.0)
                    slope = -w[i] * sign / (gain if gain > 0 else 1.0)
            total = slope if i == 0 else total + slope
        if total > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _nash_all(x, w, q, quadratic, out):
    for m in range(x.shape[0]):
        out[m] = _nash_member(x[m], w[m], q[m], quadratic)


if numba is not None:
    _nash_member = numba.njit(cache=True, nogil=True)(_nash_member)
    _nash_all = numba.njit(cache=True, nogil=True)(_nash_all)


def _nash_compiled(x: np.ndarray, w: np.ndarray, q: np.ndarray, quadratic: bool) -> np.ndarray:
    out = np.empty(x.shape[0])
    _nash_all(x, w, q, quadratic, out)
    return out
