"""Shared fixtures for the bargaining tests: paths to the reference data kept in tests/bargaining/data."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    """tests/bargaining/data: the EC case (BDM 1994) and KTAB's example inputs and reference histories."""
    return DATA
