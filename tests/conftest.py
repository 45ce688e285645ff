"""Suite-wide: no test touches the user's experiment store."""

import pytest


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Point $ALLIANCESIM_HOME at a fresh directory for every test (subprocesses inherit it)."""
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path_factory.mktemp("alliancesim-home")))
