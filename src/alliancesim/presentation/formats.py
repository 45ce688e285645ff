"""How numbers are written for people: one set of formatters for the CLI, the report and the
dashboard, so the same number always reads the same way.

Conventions:

- probabilities and shares as percent with one decimal (``18.4 %``), intervals in brackets
  (``[16.7–20.1 %]``);
- a policy's effect as its **paired change vs baseline** in percentage points, policy minus
  baseline: negative lowers the risk (``−16.1 pp [−17.7, −14.5]``), written with a true minus;
- a missing or non-finite number as an em dash.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "MISSING",
    "percent",
    "percent_interval",
    "pp_change",
    "signed",
    "signed_interval",
]

MISSING = "—"
MINUS = "−"


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def percent(x: float | None, digits: int = 1) -> str:
    """A probability or share as percent: ``0.184`` → ``18.4 %``."""
    return f"{100 * x:.{digits}f} %" if _finite(x) else MISSING


def percent_interval(ci: Sequence[float | None] | None, digits: int = 1) -> str:
    """A 95 % interval of a probability as percent: ``[16.7–20.1 %]`` (empty if unknown)."""
    if not ci or not _finite(ci[0]) or not _finite(ci[1]):
        return ""
    return f"[{100 * ci[0]:.{digits}f}–{100 * ci[1]:.{digits}f} %]"  # type: ignore[operator]


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def pp_change(change: float | None, ci: Sequence[float | None] | None = None) -> str:
    """A change in probability in percentage points with its interval, policy minus baseline:
    ``−16.1 pp [−17.7, −14.5]``."""
    if not _finite(change):
        return MISSING
    text = f"{100 * change:+.1f} pp"  # type: ignore[operator]
    if ci and _finite(ci[0]) and _finite(ci[1]):
        text += f" [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"  # type: ignore[operator]
    return _minus(text)


def signed(x: float | None, digits: int = 3) -> str:
    """A signed difference in an indicator's own units: ``+0.042``, ``−0.130``."""
    return _minus(f"{x:+.{digits}f}") if _finite(x) else MISSING


def signed_interval(ci: Sequence[float | None] | None, digits: int = 3) -> str:
    """The 95 % interval of a signed difference: ``[−0.150, −0.110]`` (empty if unknown)."""
    if not ci or not _finite(ci[0]) or not _finite(ci[1]):
        return ""
    return _minus(f"[{ci[0]:+.{digits}f}, {ci[1]:+.{digits}f}]")
