from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def toy_episode_path() -> Path:
    """A stochastic episode: a cut raises fear and lowers favourability, random noise on fear."""
    return DATA / "toy-episode.toml"


@pytest.fixture
def linear_episode_path() -> Path:
    """A deterministic episode: a shock moves level.A by exactly the rule's weight."""
    return DATA / "linear-episode.toml"


@pytest.fixture
def plain_scenario_path() -> Path:
    """A scenario without observations, including a module of overrides."""
    return DATA / "plain.toml"


@pytest.fixture
def scored_episode_path() -> Path:
    """A deterministic episode with history, levels, counts and events, scored by hand."""
    return DATA / "scored-episode.toml"
