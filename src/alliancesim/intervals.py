"""95 % intervals: for a proportion (Wilson) and for a mean (Student's t, from sums or values).

The summary's P(decoupling) and the claims' shares are proportions of members; the summary's
means and paired differences come from exact partial sums, the claims' mean differences from
the members' values.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["Z95", "mean_interval", "mean_interval_from_sums", "wilson_interval"]

Z95 = 1.959963984540054
"""The standard normal's 97.5 % quantile."""


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for the share ``successes / n`` (95 % by default; [0, 1] if n = 0)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_interval_from_sums(
    total: float, total_sq: float, n: int
) -> tuple[float, tuple[float, float]]:
    """Mean of n values and its t-based 95 % interval, from their sum and sum of squares."""
    if n == 0:
        return (math.nan, (math.nan, math.nan))
    mean = total / n
    if n == 1:
        return (mean, (mean, mean))
    variance = max(0.0, (total_sq - total * total / n) / (n - 1))
    half = _t975(n - 1) * math.sqrt(variance / n)
    return (mean, (mean - half, mean + half))


def mean_interval(values: np.ndarray) -> tuple[float, tuple[float, float]]:
    """Mean of the values (e.g. members' paired differences) and its t-based 95 % interval."""
    n = len(values)
    if n == 0:
        return math.nan, (math.nan, math.nan)
    mean = float(values.mean())
    if n == 1:
        return mean, (mean, mean)
    half = _t975(n - 1) * float(values.std(ddof=1)) / math.sqrt(n)
    return mean, (mean - half, mean + half)


@functools.lru_cache(maxsize=64)
def _t975(dof: int) -> float:
    """Student's t 97.5 % quantile with ``dof`` degrees of freedom (kept: a summary asks for
    the same one hundreds of times)."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))
