"""Uncertain numbers: a fixed value or a distribution that each ensemble member draws from.

In a scenario file any number may be written as
``0.3`` (fixed), ``{low = 0.1, high = 0.3}`` (uniform),
``{dist = "triangular", low = 0.1, mode = 0.2, high = 0.4}`` or
``{dist = "normal", mean = 0.5, sd = 0.1, low = 0, high = 1}`` (normal, truncated to [low, high]
when given). Each draws one value per member from a uniform number in [0, 1) through its inverse
cumulative distribution function, which is what Latin hypercube sampling needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NumPy and SciPy are imported where numbers are drawn, not to read a scenario
    import numpy as np

__all__ = [
    "UNCERTAIN_FORMS",
    "Fixed",
    "Normal",
    "Triangular",
    "Uncertain",
    "Uniform",
    "parse_uncertain",
    "uncertain_data",
]

UNCERTAIN_FORMS = (
    'a number, {low, high} (uniform), {dist = "triangular", low, mode, high} '
    'or {dist = "normal", mean, sd, low?, high?}'
)


@dataclass(frozen=True)
class Fixed:
    """A number known exactly."""

    value: float

    is_fixed = True

    @property
    def mean(self) -> float:
        """The expected value."""
        return self.value

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values."""
        return (self.value, self.value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The value for each uniform draw (always the same)."""
        import numpy as np

        return np.full(np.shape(u), self.value, dtype=np.float64)

    def describe(self) -> str:
        """Short human-readable form."""
        return f"{self.value:g}"


@dataclass(frozen=True)
class Uniform:
    """Equally likely anywhere between low and high."""

    low: float
    high: float

    is_fixed = False

    @property
    def mean(self) -> float:
        """The expected value."""
        return 0.5 * (self.low + self.high)

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values."""
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse cumulative distribution at the uniform draws."""
        import numpy as np

        return self.low + (self.high - self.low) * np.asarray(u, dtype=np.float64)

    def describe(self) -> str:
        """Short human-readable form."""
        return f"U({self.low:g}, {self.high:g})"


@dataclass(frozen=True)
class Triangular:
    """Most likely at mode, falling linearly to zero at low and high."""

    low: float
    mode: float
    high: float

    is_fixed = False

    @property
    def mean(self) -> float:
        """The expected value."""
        return (self.low + self.mode + self.high) / 3.0

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values."""
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse cumulative distribution at the uniform draws."""
        import numpy as np

        u = np.asarray(u, dtype=np.float64)
        a, c, b = self.low, self.mode, self.high
        width = b - a
        if width == 0.0:
            return np.full(u.shape, a)
        split = (c - a) / width
        left = a + np.sqrt(u * width * (c - a))
        right = b - np.sqrt((1.0 - u) * width * (b - c))
        return np.where(u < split, left, right)

    def describe(self) -> str:
        """Short human-readable form."""
        return f"Tri({self.low:g}, {self.mode:g}, {self.high:g})"


@dataclass(frozen=True)
class Normal:
    """Normal with the given mean and standard deviation, truncated to [low, high]."""

    mean_: float
    sd: float
    low: float = -math.inf
    high: float = math.inf

    is_fixed = False

    @property
    def mean(self) -> float:
        """The expected value of the truncated distribution."""
        a, b = (self.low - self.mean_) / self.sd, (self.high - self.mean_) / self.sd
        from scipy import stats

        return float(stats.truncnorm.mean(a, b, loc=self.mean_, scale=self.sd))

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest possible values."""
        return (self.low, self.high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse cumulative distribution at the uniform draws."""
        import numpy as np
        from scipy import special

        u = np.asarray(u, dtype=np.float64)
        a, b = (self.low - self.mean_) / self.sd, (self.high - self.mean_) / self.sd
        pa, pb = special.ndtr(a), special.ndtr(b)  # P(Z <= a), P(Z <= b)
        sa, sb = special.ndtr(-a), special.ndtr(-b)  # P(Z > a), P(Z > b)
        mass = sa - sb if a > 0.0 else pb - pa  # P(a < Z <= b), from the accurate tail
        # the lower half from the CDF, the upper half from the survival function: both keep
        # their precision in their tail (u = 1 - 2**-53 must not round to P = 1 and give inf)
        p = pa + u * mass
        q = sb + (1.0 - u) * mass
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(
                p <= 0.5, special.ndtri(np.minimum(p, 0.5)), -special.ndtri(np.minimum(q, 0.5))
            )
        return np.clip(self.mean_ + self.sd * z, self.low, self.high)

    def describe(self) -> str:
        """Short human-readable form."""
        bounds = ""
        if math.isfinite(self.low) or math.isfinite(self.high):
            bounds = f" in [{self.low:g}, {self.high:g}]"
        return f"N({self.mean_:g}, {self.sd:g}){bounds}"


Uncertain = Fixed | Uniform | Triangular | Normal


_FORMS = {
    # dist: (required keys, optional keys)
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
}


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{key} too large (at most about 1e308)") from None
    if not math.isfinite(number):
        raise ValueError(f"{key} must be finite, got {value!r}")
    return number


def _width(low: float, high: float) -> None:
    if not math.isfinite(high - low):
        raise ValueError(f"the range [{low:g}, {high:g}] is too wide to sample")


def parse_uncertain(value: Any) -> Uncertain:
    """Read an uncertain number as written in a scenario; ValueError says what was expected.

    A plain number is known exactly; a table is a distribution each ensemble member draws from:
    uniform (``{low, high}``), triangular or normal (truncated to ``[low, high]`` when given).
    """
    if isinstance(value, Fixed | Uniform | Triangular | Normal):
        return value
    if isinstance(value, bool):
        raise ValueError(f"expected {UNCERTAIN_FORMS}, got {value!r}")
    if isinstance(value, int | float):
        return Fixed(_number(value, "a number"))
    if not isinstance(value, dict):
        raise ValueError(f"expected {UNCERTAIN_FORMS}, got {value!r}")
    dist = value.get("dist", "uniform")
    if not isinstance(dist, str) or dist not in _FORMS:
        raise ValueError(f'dist must be "uniform", "triangular" or "normal", got {dist!r}')
    required, optional = _FORMS[dist]
    keys = set(value) - {"dist"}
    missing = [k for k in required if k not in keys]
    unknown = sorted(str(k) for k in keys - set(required) - set(optional))
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if unknown:
            parts.append("unknown " + ", ".join(unknown))
        if "dist" not in value:
            raise ValueError(f"expected {UNCERTAIN_FORMS}: {'; '.join(parts)}")
        expected = ", ".join(required) + (f" (optional {', '.join(optional)})" if optional else "")
        raise ValueError(f"a {dist} distribution takes {expected}: {'; '.join(parts)}")
    numbers = {k: _number(v, k) for k, v in value.items() if k != "dist"}
    if dist == "uniform":
        low, high = numbers["low"], numbers["high"]
        if low > high:
            raise ValueError(f"low ({low:g}) must not exceed high ({high:g})")
        if low == high:
            return Fixed(low)
        _width(low, high)
        return Uniform(low, high)
    if dist == "triangular":
        low, mode, high = numbers["low"], numbers["mode"], numbers["high"]
        if not low <= mode <= high:
            raise ValueError(
                "a triangular distribution needs low <= mode <= high, "
                f"got {low:g}, {mode:g}, {high:g}"
            )
        if low == high:
            return Fixed(low)
        _width(low, high)
        return Triangular(low, mode, high)
    mean, sd = numbers["mean"], numbers["sd"]
    if sd <= 0:
        raise ValueError(f"sd must be positive, got {sd:g}")
    low, high = numbers.get("low", -math.inf), numbers.get("high", math.inf)
    if low >= high:
        raise ValueError(f"low ({low:g}) must be below high ({high:g})")
    if (low - mean) / sd > 8 or (mean - high) / sd > 8:
        raise ValueError(
            f"the truncation [{low:g}, {high:g}] lies more than 8 sd from the mean {mean:g}"
        )
    return Normal(mean, sd, low, high)


def uncertain_data(value: Uncertain) -> float | dict[str, Any]:
    """An uncertain number as an author writes it (a number or a table): the inverse of
    :func:`parse_uncertain`."""
    if isinstance(value, Fixed):
        return value.value
    if isinstance(value, Uniform):
        return {"low": value.low, "high": value.high}
    if isinstance(value, Triangular):
        return {"dist": "triangular", "low": value.low, "mode": value.mode, "high": value.high}
    out: dict[str, Any] = {"dist": "normal", "mean": value.mean_, "sd": value.sd}
    if value.low != -math.inf:
        out["low"] = value.low
    if value.high != math.inf:
        out["high"] = value.high
    return out
