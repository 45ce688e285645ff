"""Fixtures for the dashboard's tests: the toy scenario and its compiled model."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim.model import Model, compile_model
from alliancesim.scenario import load_scenario

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def toy_path() -> Path:
    """The toy scenario file (one action with a consultation rule, an SCM, a lever)."""
    return DATA / "toy.toml"


@pytest.fixture(scope="session")
def toy_model(toy_path: Path) -> Model:
    """The toy scenario compiled."""
    return compile_model(load_scenario(toy_path))
