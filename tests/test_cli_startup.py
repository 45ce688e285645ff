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


HEAVY_FOR_SCENARIOS = (
    "'numpy', 'scipy', 'numba', 'pandas', 'duckdb', 'pyarrow', 'xarray', 'plotly', 'SALib', "
    "'ema_workbench', 'dash', 'alliancesim.engine', 'alliancesim.model'"
)


@pytest.mark.parametrize(
    "args",
    [
        ["scenarios"],
        ["scenarios"],  # the second time from the cached listing
        ["show", "us-rok-2025"],
        ["validate", "us-rok-2025", "--json"],
    ],
)
def test_scenario_commands_import_no_numerics(args: list[str]) -> None:
    """`scenarios`, `show` and `validate` read TOML and pydantic only: no NumPy, SciPy, Numba,
    pandas or engine (their import alone took most of a second)."""
    code = (
        "import sys\n"
        "from alliancesim.cli import main\n"
        f"sys.argv = ['alliancesim', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = {{{HEAVY_FOR_SCENARIOS}}}\n"
        "loaded = {m for m in sys.modules} | {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy & loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_cached_listing_equals_a_fresh_one(tmp_path, monkeypatch) -> None:
    from alliancesim.scenario import listing

    monkeypatch.setenv("ALLIANCESIM_CACHE", str(tmp_path))
    fresh = listing.library_rows(use_cache=False)
    first = listing.library_rows()
    assert list(tmp_path.glob("library-*.json"))
    assert listing.library_rows() == first == fresh
    assert [r["id"] for r in fresh] and all(r["ok"] for r in fresh)


def test_an_edited_library_file_changes_the_fingerprint(tmp_path, monkeypatch) -> None:
    import shutil

    from alliancesim.scenario import listing

    copy = tmp_path / "library"
    shutil.copytree(listing.LIBRARY, copy)
    monkeypatch.setattr(listing, "LIBRARY", copy)
    before = listing.library_fingerprint(), listing.package_fingerprint()
    path = copy / "us-rok-2025.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    after = listing.library_fingerprint(), listing.package_fingerprint()
    assert after[0] != before[0] and after[1] != before[1]
