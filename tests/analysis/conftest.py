from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from alliancesim.runner import run

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def claims_path() -> Path:
    return DATA / "claims.toml"


@pytest.fixture(scope="session")
def ranking_path() -> Path:
    return DATA / "ranking.toml"


@pytest.fixture(scope="session")
def sensitivity_path() -> Path:
    return DATA / "sensitivity.toml"


@pytest.fixture(scope="session")
def claims_run(claims_path):
    """One paired run of the claims toy under every policy its claims compare."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(claims_path, ["push", "idle", "push+idle"], members=1500, seed=3)


@pytest.fixture(scope="session")
def ranking_run(ranking_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(
            ranking_path,
            ["safer", "safest", "riskier", "other", "safer+other"],
            members=3000,
            seed=5,
        )
