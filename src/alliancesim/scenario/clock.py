"""The scenario's clock: periods (``2025Q3``, ``2025-07``), steps, and their labels.

Step ``t`` (1 ≤ t ≤ horizon) is the period ``start + t − 1``; the state recorded at step ``t`` is
the state at the end of that period. Step 0 is the initial state, at the end of the period
before ``start``. So with ``start = "2025Q3"`` and ``horizon = 18``, a scheduled event at
``2025Q3`` happens in step 1 and the horizon is the end of ``2029Q4``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Clock", "parse_period"]

_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")


def parse_period(text: str) -> tuple[int, int, str]:
    """(year, index within the year from 0, 'quarter' or 'month') of a period label."""
    match = _PERIOD.match(text)
    if not match:
        raise ValueError(f"expected a period like 2025Q3 or 2025-07, got {text!r}")
    year = int(match.group(1))
    if match.group(2):
        return year, int(match.group(2)) - 1, "quarter"
    return year, int(match.group(3)) - 1, "month"


@dataclass(frozen=True)
class Clock:
    """Maps periods to steps for a scenario that starts at ``start`` and runs ``horizon`` steps."""

    start: str
    step: str
    horizon: int

    @property
    def per_year(self) -> int:
        """Steps in a year (4 for quarters, 12 for months)."""
        return 4 if self.step == "quarter" else 12

    def _ordinal(self, period: str) -> int:
        year, index, kind = parse_period(period)
        if kind != self.step:
            raise ValueError(
                f"{period!r} is a {kind} but the scenario steps by {self.step} "
                f"(write e.g. {self.label(1)!r})"
            )
        return year * self.per_year + index

    def step_of(self, period: str) -> int:
        """The step in which ``period`` falls (1 = the start period); may lie outside the run."""
        return self._ordinal(period) - self._ordinal(self.start) + 1

    def check(self, period: str) -> int:
        """The step of ``period``; ValueError if it lies outside steps 1..horizon."""
        t = self.step_of(period)
        if not 1 <= t <= self.horizon:
            raise ValueError(
                f"{period} lies outside the scenario ({self.label(1)} to {self.label(self.horizon)})"
            )
        return t

    def label(self, t: int) -> str:
        """The period of step ``t`` (step 0: the period before the start)."""
        ordinal = self._ordinal(self.start) + t - 1
        year, index = divmod(ordinal, self.per_year)
        return f"{year}Q{index + 1}" if self.step == "quarter" else f"{year}-{index + 1:02d}"

    @property
    def labels(self) -> list[str]:
        """Labels of steps 0..horizon."""
        return [self.label(t) for t in range(self.horizon + 1)]

    def years(self, t: int) -> float:
        """Years elapsed at the end of step ``t``."""
        return t / self.per_year
