"""Helpers for the scenario tests: write a small scenario and load it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from alliancesim.scenario import Scenario, load_scenario

HEAD = """\
[scenario]
id = "test"
title = "A test scenario"
start = "2025Q3"
horizon = 4

[[actors]]
id = "USA"
name = "United States"
capability = 100

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 30

[decoupling]
when = "0"
"""


@pytest.fixture
def scenario_from(tmp_path: Path) -> Callable[..., Scenario]:
    """Load a scenario made of a standard head (two actors, decoupling) and ``body``."""

    def load(body: str, *, name: str = "scenario.toml") -> Scenario:
        path = tmp_path / name
        path.write_text(HEAD + body, encoding="utf-8")
        return load_scenario(path)

    return load
