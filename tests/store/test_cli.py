"""`run` stores by default; `runs`, `show-run`, `export`, `report`, `delete` on the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliancesim.cli import app
from alliancesim.errors import InputError


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path / "home"))
    runner = CliRunner()

    def invoke(*args: str) -> dict | str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    return invoke


def test_run_stores_and_reports_then_the_store_commands_find_it(cli, tmp_path, mini_path) -> None:
    report = tmp_path / "out" / "report.html"
    payload = cli(
        "run", str(mini_path), "-n", "300", "--seed", "3", "--report", str(report), "--json"
    )
    assert payload["stored"] is True
    assert payload["report"] == str(report.resolve())
    # the report's sections, robust recommendations among them (its robustness from the run)
    document = report.read_text(encoding="utf-8")
    assert document.count("<section") == 9
    assert "<section id='robustness'>" in document
    run_id = payload["run_id"]
    listed = cli("runs", "--json")
    assert [r["run_id"] for r in listed["runs"]] == [run_id]
    assert listed["runs"][0]["p_decoupling"] == payload["policies"]["baseline"]["p_decoupling"]
    shown = cli("show-run", run_id[:12], "--json")
    assert shown["summary"] == payload["policies"]
    assert [c["statistical_verdict"] for c in shown["claims"]] == ["supported"]
    assert "run " + run_id in cli("show-run", "latest")
    exported = cli("export", run_id, "--format", "csv", "--out", str(tmp_path / "csv"), "--json")
    assert sorted(os.path.basename(f) for f in exported["files"])[-1] == "trajectories.csv"
    again = cli("report", "latest", "--out", str(tmp_path / "again.html"), "--json")
    assert again == {
        "schema_version": 1,
        "run_id": run_id,
        "report": str((tmp_path / "again.html").resolve()),
    }
    assert cli("delete", run_id, "--json")["deleted"] == run_id
    assert cli("runs", "--json")["runs"] == []
    assert "no stored runs" in cli("runs")


def test_no_store_leaves_the_store_alone(cli, tmp_path, mini_path) -> None:
    payload = cli("run", str(mini_path), "-n", "50", "--no-store", "--json")
    assert payload["stored"] is False and payload["run_directory"] is None
    assert not (tmp_path / "home").exists()


def test_runs_default_policies_include_what_the_claims_compare() -> None:
    from alliancesim.scenario import load_scenario
    from alliancesim.workflows import default_policies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = load_scenario("us-rok-2025")
    names = default_policies(scenario)
    assert names[: len(scenario.policy_ids)] == scenario.policy_ids
    for claim in scenario.claims:
        assert {claim.compare.policy, claim.compare.against} <= set(names)
    assert len(names) == len(set(names))


def test_unknown_run_is_an_input_error(cli) -> None:
    runner = CliRunner()
    with pytest.raises(InputError, match="no stored run 'nope'"):
        runner.invoke(app, ["show-run", "nope"], catch_exceptions=False)


def test_exit_code_2_and_a_message_for_an_unknown_run(tmp_path) -> None:
    env = {**os.environ, "ALLIANCESIM_HOME": str(tmp_path), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "alliancesim"), "report", "nope"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "no stored run 'nope'" in done.stderr
    assert "Traceback" not in done.stderr
