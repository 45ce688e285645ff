"""Run ids: UTC start time and a random suffix, e.g. ``20250701T120000-ab12cd``."""

from __future__ import annotations

import time
import uuid

__all__ = ["new_run_id"]


def new_run_id() -> str:
    """A fresh run id: UTC time and a random suffix, sortable by start time."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
