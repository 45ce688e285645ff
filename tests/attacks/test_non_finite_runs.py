"""NaN and infinity during a run (hardening issue, item 4): the command line stops with exit
code 2 and a located error (file, line, field, the expression, the period, a member and the
policy), never a traceback, and writes nothing: no stored run, no --out files, no report, no
JSON on standard output; the member named is the same with one worker or two."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = """[scenario]
id = "overflow"
title = "A perception whose indicator overflows late in some worlds"
start = "2025Q1"
horizon = 6

[[actors]]
id = "ROK"
name = "Republic of Korea"
capability = 1

[[state]]
id = "fear.ROK"
initial = { low = 0.3, high = 0.7 }
source = "assumption: a test"

[[indicators]]
id = "blowup"
expr = "(exp(700) * exp(700) - exp(700) * exp(700)) if (step > 3 and fear.ROK > 0.699) else 0"
source = "assumption: issue 17's example, in a few worlds from the fourth quarter on"

[decoupling]
when = "fear.ROK > 2"
source = "assumption: a test"
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line in its own process, with a store of its own."""
    code = (
        "import sys\n"
        "from alliancesim.cli import main\n"
        f"sys.argv = ['alliancesim', *{list(args)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "ALLIANCESIM_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "overflow.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_run_that_breaks_down_stops_with_a_located_error(tmp_path, scenario, workers) -> None:
    done = _cli(
        tmp_path,
        "run",
        str(scenario),
        "--members",
        "3000",
        "--workers",
        workers,
        "--out",
        "trajectories",
        "--report",
        "report.html",
        "--json",
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    message = " ".join(done.stderr.split())
    assert message.startswith("error overflow.toml:19: indicators[0].expr: indicator blowup")
    assert "is nan, not a finite number, at 2025Q4 (step 4) in member" in message
    assert "under baseline" in message
    # nothing written
    assert not (tmp_path / "trajectories").exists() and not (tmp_path / "report.html").exists()
    listed = _cli(tmp_path, "runs", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)["runs"] == []


def test_the_member_named_does_not_depend_on_the_workers(tmp_path, scenario) -> None:
    members = []
    for workers in ("1", "2"):
        done = _cli(tmp_path, "run", str(scenario), "-n", "3000", "--workers", workers)
        assert done.returncode == 2
        message = " ".join(done.stderr.split())
        members.append(message.split(" in member ")[1].split()[0])
    assert members[0] == members[1]


def test_validate_and_show_need_no_simulation(tmp_path, scenario) -> None:
    """The scenario is well-formed: validate says so; only simulating it finds the overflow."""
    done = _cli(tmp_path, "validate", str(scenario))
    assert done.returncode == 0 and "ok" in done.stdout
