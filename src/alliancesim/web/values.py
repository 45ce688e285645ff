"""What the page sends, checked: every value of a callback arrives as arbitrary JSON from the
browser (or from anyone who can post to the server), so callbacks read it through these and
treat anything of the wrong kind as missing or wrong, never as a reason to fail."""

from __future__ import annotations

import math
from typing import Any

from alliancesim.store.staging import RUN_ID

__all__ = ["clicked", "listing", "mapping", "run_id", "shown", "text", "whole"]


def text(value: Any) -> str | None:
    """The value if it is a string, else None."""
    return value if isinstance(value, str) else None


def mapping(value: Any) -> dict[str, Any] | None:
    """The value if it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def listing(value: Any) -> list[Any] | None:
    """The value if it is a JSON array, else None."""
    return value if isinstance(value, list) else None


def whole(value: Any) -> int | None:
    """A whole number (an integer, or a float with no fraction), else None. Booleans are not
    numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def clicked(value: Any) -> bool:
    """True for a button's click count after at least one click."""
    count = whole(value)
    return count is not None and count > 0


def run_id(value: Any) -> str | None:
    """The value if it can be a run id (letters, digits, '-' and '_'), else None."""
    return value if isinstance(value, str) and RUN_ID.match(value) else None


def shown(value: Any, limit: int = 60) -> str:
    """A value as a message may quote it: its repr, cut to ``limit`` characters."""
    text_ = repr(value)
    return text_ if len(text_) <= limit else text_[: limit - 1] + "…"
