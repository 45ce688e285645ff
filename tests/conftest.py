"""Suite-wide: no test touches the user's experiment store or cache."""

import pytest


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Point $ALLIANCESIM_HOME and $ALLIANCESIM_CACHE at fresh directories for every test
    (subprocesses inherit them)."""
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path_factory.mktemp("alliancesim-home")))
    monkeypatch.setenv("ALLIANCESIM_CACHE", str(tmp_path_factory.mktemp("alliancesim-cache")))
