"""Plain JSON data: the one way results become JSON (for ``--json``, the store and downloads).

NumPy numbers and arrays are unwrapped, NaN and infinity become ``null`` (JSON has neither), and
values with a ``to_dict()`` are converted through it, so every JSON the project writes is valid
JSON that any reader accepts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["dumps", "plain"]


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: NumPy numbers and arrays unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return plain(value.to_dict())
    return value


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as a JSON text (strict: never ``NaN`` or ``Infinity`` tokens)."""
    return json.dumps(plain(value), indent=indent, allow_nan=False)
