from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from alliancesim.store import Store
from alliancesim.workflows import run_and_store

DATA = Path(__file__).parent / "data"
CHILD = Path(__file__).parent / "child.py"


@pytest.fixture(scope="session")
def mini_path() -> Path:
    """A toy scenario: two allies, one action, one claim that holds in every member."""
    return DATA / "mini.toml"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, mini_path: Path):
    """A store holding one run of the toy scenario (2 blocks of members), and that run."""
    store = Store(tmp_path_factory.mktemp("home"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_and_store(store, mini_path, members=2500, seed=7).results
    return store, results


@pytest.fixture
def start_child():
    """``start_child(home, scenario, members, seed, *extra)``: a process storing one run."""
    return _start_child


def _start_child(
    home: Path, scenario: Path, members: int, seed: int, *extra: str
) -> subprocess.Popen:
    """Start a process that stores one run into ``home`` (see child.py)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, str(CHILD), str(home), str(scenario), str(members), str(seed), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
