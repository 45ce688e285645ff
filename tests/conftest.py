"""Suite-wide: no test touches the user's experiment store or cache; the command line run in this
process (``cli``, ``cli_json``)."""

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Point $ALLIANCESIM_HOME and $ALLIANCESIM_CACHE at fresh directories for every test
    (subprocesses inherit them)."""
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path_factory.mktemp("alliancesim-home")))
    monkeypatch.setenv("ALLIANCESIM_CACHE", str(tmp_path_factory.mktemp("alliancesim-cache")))


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the command line in this process: ``cli(*args)`` gives (exit code, stdout,
    stderr), with wide output so messages are not wrapped mid-phrase."""
    import sys

    from alliancesim.cli import main

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["alliancesim", *args])
        monkeypatch.setenv("COLUMNS", "400")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def cli_json(cli):
    """Run a command that must succeed and print JSON: ``cli_json(*args)`` gives what it
    printed, parsed."""
    import json

    def invoke(*args: str) -> Any:
        code, out, err = cli(*args)
        assert code == 0, err
        return json.loads(out)

    return invoke
