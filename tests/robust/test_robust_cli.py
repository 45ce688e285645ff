"""`alliancesim compare --robust`: the tables and the JSON carry the numbers the analyses give,
on a fresh run and on a stored one; misuse is an input error (exit code 2) before simulating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

TOY = str(Path(__file__).parent / "data" / "toy.toml")


def test_compare_robust_json_has_the_hand_computed_numbers(cli):
    code, out, _ = cli("compare", TOY, "--robust", "--pathways", "-n", "2000", "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["schema_version"] == 1 and payload["stored"] is False
    robustness = payload["robustness"]
    assert robustness["worlds"] == 4000 and robustness["headline"] == "prior"
    rows = {r["policy"]: r for r in robustness["rows"]}
    assert [r["policy"] for r in robustness["rows"]] == ["consult_first", "talk_only", "baseline"]
    assert rows["consult_first"]["regret_mean"] == pytest.approx(0.025, abs=1e-12)
    assert rows["baseline"]["regret_p90"] == pytest.approx(0.32, abs=1e-12)
    assert rows["consult_first"]["satisficing"] == pytest.approx(0.5775, abs=1e-3)
    assert rows["consult_first"]["ranks_by_structure"] == {"seed": 1, "consult=costly": 3}
    assert len(robustness["thresholds"]) == 2  # the scenario's own
    bars = {p["policy"]: p for p in payload["pathways"] if p["outcome"] == "decoupled"}
    assert [b["pathway"] for b in bars["talk_only"]["bars"]] == ["talk_only:schedule.talks@2025Q3"]
    assert payload["signposts"] == []


def test_compare_robust_tables_say_where_rankings_disagree(cli):
    code, out, _ = cli(
        "compare", TOY, "--robust", "-n", "500",
        "--threshold", "decoupled == 0", "--threshold", "trust.ROK.USA >= 0.4 @ 0.6",
    )  # fmt: skip
    assert code == 0
    assert "robustness of the options over 2 structures × 500 members (1,000 worlds)" in out
    assert "regret in trust.ROK.USA" in out and "rank under each structure" in out
    assert "trust.ROK.USA >= 0.4 in at least 60 % of each structure's worlds" in out
    assert "The structures rank a different option first" in out


def test_compare_robust_of_a_stored_run_is_kept_with_it(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path))
    code, _, _ = cli("run", TOY, "-n", "400", "--json")
    assert code == 0
    code, out, _ = cli("compare", "--run", "latest", "--robust", "--json")
    assert code == 0
    stored = json.loads(out)
    assert stored["stored"] is True
    code, out, _ = cli("compare", TOY, "-n", "400", "--robust", "--json")
    fresh = json.loads(out)
    assert stored["robustness"]["rows"] == fresh["robustness"]["rows"]
    from alliancesim.store import Store

    store = Store()
    record = store.get("latest")
    assert store.analyses(run_id=record.run_id, kind="robust")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pathways"], "--pathways goes with --robust"),
        (["--robust", "--threshold", "count.nothing == 0"], "which a run does not record"),
        (["--robust", "--threshold", "decoupled == 0 @ 2"], "at most 1"),
        (["--robust", "--measure", "trust"], "unknown measure 'trust'"),
        (["--robust", "--measure", "trust.ROK.USA", "--better", "up"], "'higher' or 'lower'"),
    ],
)
def test_misuse_is_an_input_error(cli, args, message):
    code, _, err = cli("compare", TOY, "-n", "50", *args)
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err
