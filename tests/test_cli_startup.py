"""The command line starts without importing the engine: `--help` lists commands from a table
whose one-line help must stay equal to each command's own docstring."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from alliancesim.cli import COMMANDS, load_command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_help_is_the_commands_own_first_paragraph(name: str) -> None:
    doc = inspect.getdoc(load_command(name)) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    assert COMMANDS[name].summary == first


def test_help_imports_no_heavy_package() -> None:
    code = (
        "import sys\n"
        "from alliancesim.cli import main\n"
        "sys.argv = ['alliancesim', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'numpy', 'numba', 'duckdb', 'dash', 'ema_workbench', 'SALib', 'plotly', "
        "'scipy', 'pandas', 'pyarrow', 'xarray'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "run" in done.stdout and "serve" in done.stdout
