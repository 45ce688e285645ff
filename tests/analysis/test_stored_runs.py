"""Analyses of a stored run (`--run RUN_ID`): the same answers as a fresh run with the same
seed, computed from the run's Parquet without simulating a single member-step."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from typer.testing import CliRunner

import alliancesim.ensemble
from alliancesim.cli import app
from alliancesim.errors import InputError
from alliancesim.scenario.loader import load_scenario
from alliancesim.store import Store
from alliancesim.workflows import default_policies, run_and_store

runner = CliRunner()


@pytest.fixture
def simulated(monkeypatch) -> list[int]:
    """Member-steps simulated from now on (every simulation goes through the engine's
    ``simulate`` in :func:`alliancesim.ensemble.evaluate`)."""
    counted = [0]
    real = alliancesim.ensemble.simulate

    def counting(model, spec, parameters, slots, **options):
        record = real(model, spec, parameters, slots, **options)
        counted[0] += (record.shape[0] - 1) * record.shape[-1]
        return record

    monkeypatch.setattr(alliancesim.ensemble, "simulate", counting)
    return counted


@pytest.fixture
def stored_claims_run(claims_path) -> str:
    """A stored run of the claims toy with every policy its claims compare (1,200 members)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scenario = load_scenario(claims_path)
        stored = run_and_store(
            Store(), scenario, policies=default_policies(scenario), members=1200, seed=4
        )
    return stored.record.run_id


def test_compare_and_claims_of_a_stored_run_equal_a_fresh_run_without_simulating(
    cli_json, claims_path, stored_claims_run, simulated
) -> None:
    fresh_compare = cli_json("compare", str(claims_path), "-n", "1200", "--seed", "4", "--json")
    fresh_claims = cli_json("claims", str(claims_path), "-n", "1200", "--seed", "4", "--json")
    assert simulated[0] > 0  # the counter sees fresh runs
    simulated[0] = 0
    stored_compare = cli_json("compare", "--run", stored_claims_run[:15], "--json")
    stored_claims = cli_json("claims", "--run", "latest", "--json")
    assert simulated[0] == 0, "a stored run's analysis simulated members"
    assert stored_compare["ranking"] == fresh_compare["ranking"]
    assert stored_compare["run_id"] == stored_claims_run and stored_compare["stored"] is True
    assert stored_claims["claims"] == fresh_claims["claims"]
    assert [c["verdict"] for c in stored_claims["claims"]] == [
        c["verdict"] for c in fresh_claims["claims"]
    ]
    # the failure regions were searched once and kept: asking again reads them back
    again = cli_json("claims", "--run", "latest", "--json")
    assert again["claims"] == stored_claims["claims"] and simulated[0] == 0


def test_discover_on_a_stored_run_equals_a_fresh_run(
    cli_json, claims_path, stored_claims_run
) -> None:
    args = ["--outcome", "lean.ROK", "--threshold", "0.5", "--policy", "push", "--json"]
    fresh = cli_json("discover", str(claims_path), "-n", "1200", "--seed", "4", *args)
    stored = cli_json("discover", "--run", "latest", *args)
    assert {k: v for k, v in stored.items() if k not in ("run_id", "stored")} == {
        k: v for k, v in fresh.items() if k not in ("run_id", "stored")
    }


def _refused(args: list[str]) -> str:
    """The input error a command raises (exit code 2 on the command line)."""
    result = runner.invoke(app, args)
    assert isinstance(result.exception, InputError), result.output
    return str(result.exception)


def test_a_stored_run_says_what_it_lacks_and_what_to_run(claims_path, stored_claims_run) -> None:
    message = _refused(["compare", "--run", "latest", "--policy", "nowhere"])
    assert "did not simulate 'nowhere'" in message
    assert "--members 1200 --seed 4" in message and "alliancesim run " in message
    assert "--policy nowhere" in message
    assert "its own --members" in _refused(["claims", "--run", "latest", "--members", "10"])
    assert "pawn or delta" in _refused(["sensitivity", "--run", "latest", "--method", "sobol"])
    assert "--run" in _refused(["sensitivity", "--method", "pawn"])


def test_pawn_on_a_stored_run_ranks_the_parameter_that_matters_and_is_stored(
    cli_json, stored_claims_run, simulated
) -> None:
    pawn = ["--method", "pawn", "--indicator", "lean.ROK", "--policy", "push"]
    out = cli_json("sensitivity", "--run", "latest", *pawn, "--json")
    assert simulated[0] == 0
    assert out["method"] == "pawn" and out["n"] == 1200
    assert out["factors"][0]["name"] == "param.theta"
    assert out["factors"][0]["median"] > 0.3
    kept = Store().analyses(run_id=stored_claims_run, kind="sensitivity")
    assert kept and kept[0]["payload"]["method"] == "pawn"


def test_export_in_ema_workbench_form_loads_with_load_results(
    cli_json, stored_claims_run, tmp_path
) -> None:
    out = cli_json("export", "latest", "--format", "ema", "--out", str(tmp_path / "ema"), "--json")
    (archive,) = out["files"]
    code = (
        "import sys, json, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from ema_workbench import load_results\n"
        "experiments, outcomes = load_results(sys.argv[1])\n"
        "print(json.dumps({'rows': len(experiments), 'columns': list(experiments.columns),\n"
        "  'policies': sorted(map(str, experiments['policy'].unique())),\n"
        "  'shapes': {k: list(v.shape) for k, v in outcomes.items()},\n"
        "  'x_push_last': float(outcomes['lean__ROK'][experiments['policy'] == 'push'][5, -1])}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, archive], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    store = Store()
    results = store.open_run(stored_claims_run)
    steps = results.model.horizon + 1
    assert loaded["rows"] == 1200 * len(results.policies)
    assert loaded["policies"] == sorted(results.policies)
    assert {"scenario", "policy", "model", "param__theta"} <= set(loaded["columns"])
    assert loaded["shapes"]["lean__ROK"] == [loaded["rows"], steps]
    assert loaded["shapes"]["decoupled"] == [loaded["rows"], steps]
    expected = results.files.member_values("lean.ROK", "push", results.model.horizon)[5]
    assert loaded["x_push_last"] == pytest.approx(expected, rel=1e-12)
