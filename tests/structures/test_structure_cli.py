"""The command line with structures: --structure on run, compare, claims and discover, show's
mechanisms, and the command that reproduces a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliancesim.presentation import run_facts
from alliancesim.runner import run

TOY = Path(__file__).parent / "data" / "toy.toml"


def test_run_with_chosen_structures(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path))
    code, out, _ = cli(
        "run", str(TOY), "-n", "300", "--structure", "burden=leverage",
        "--structure", "seed", "--json",
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    block = payload["structures"]
    assert block["names"] == ["burden=leverage", "seed"]
    # priors: burden=leverage 1/2 · 1/4, seed 1/2 · 3/4, normalised over these two
    assert block["weights"] == pytest.approx({"burden=leverage": 0.25, "seed": 0.75})
    assert block["accounts"]["burden=leverage"] == {"consult": "reassure", "burden": "leverage"}
    assert set(block["summaries"]) == {"burden=leverage", "seed"}
    assert [m["id"] for m in block["mechanisms"]] == ["consult", "burden"]
    code, out, _ = cli("run", str(TOY), "-n", "300", "--no-store")
    assert code == 0
    assert "weighted over 3 structures" in out
    assert "under consult=costly (weight 42.9 %)" in out
    assert "The structures disagree:" in out


def test_a_wrong_structure_is_an_input_error(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path))
    code, _, err = cli("run", str(TOY), "-n", "10", "-s", "consult=cheap")
    assert code == 2
    assert "--structure: mechanism 'consult' has no account 'cheap'" in err


def test_compare_and_claims_per_structure(cli):
    code, out, _ = cli("compare", str(TOY), "-n", "300", "-s", "all", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["ranking_under"] == "weighted"
    assert len(payload["structures"]) == 4
    code, out, _ = cli("claims", str(TOY), "-n", "300", "--no-discover")
    assert code == 0
    assert "the claims over 3 structures (weighted)" in out
    assert "split" in out
    code, out, _ = cli("discover", str(TOY), "-n", "300", "-s", "consult=costly", "--json")
    assert code == 0
    assert json.loads(out)["members"] == 300


def test_show_lists_mechanisms_accounts_priors_and_sources(cli):
    code, out, _ = cli("show", str(TOY))
    assert code == 0
    assert "Contested mechanisms" in out
    assert "backfire (seed)" in out and "75 %" in out and "Blankenship 2023" in out
    assert "Structures run by default (3): seed, consult=costly, burden=leverage" in out
    code, out, _ = cli("show", str(TOY), "--json")
    data = json.loads(out)
    assert data["structures"]["default"] == ["seed", "consult=costly", "burden=leverage"]
    assert data["structures"]["accounts"]["burden.leverage"] == {
        "prior": 0.25,
        "rules": ["pressure_raises_fear"],
    }
    assert data["mechanisms"][1]["accounts"][0]["prior"] == 3


def test_the_command_that_reproduces_a_run_names_its_structures():
    default = run(TOY, members=20)
    assert "--structure" not in run_facts(default).command
    chosen = run(TOY, members=20, structures=["seed"])
    assert run_facts(chosen).command.endswith("--structure seed")
    every = run(TOY, members=20, structures="all")
    assert run_facts(every).command.endswith("--structure all")


def test_named_structures_of_a_scenario_with_more_than_all_allows():
    # us-rok-2025 has 128 structures, more than 'all' may run: a run of named structures is
    # reproduced by naming them (this used to raise while writing the command)
    chosen = ["nuclear=assurance", "nuclear=assurance,consult=costly_signal"]
    results = run("us-rok-2025", members=4, structures=chosen, policies=["baseline"])
    command = run_facts(results).command
    assert command.endswith(
        "--structure nuclear=assurance --structure consult=costly_signal,nuclear=assurance"
    )
