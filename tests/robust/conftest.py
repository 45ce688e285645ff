"""The robustness toy (data/toy.toml), run once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim.runner import run

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"
MEMBERS = 2000  # one block: every share is exact to 1/MEMBERS (a Latin hypercube over u)
TOL = 1.5 / MEMBERS


@pytest.fixture(scope="session")
def toy_run():
    return run(TOY, members=MEMBERS, seed=11)
