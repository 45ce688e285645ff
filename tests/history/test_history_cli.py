"""`alliancesim backtest` and `alliancesim calibrate` end to end: tables, JSON, files, exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from alliancesim.analysis.calibrate import calibration_sources
from alliancesim.history_file import source_hash
from alliancesim.scenario import load_scenario, scenario_parameters


def test_backtest_json(cli_json, linear_episode_path):
    out = cli_json("backtest", str(linear_episode_path), "-n", "1000", "--json")
    (episode,) = out["episodes"]
    assert episode["episode"] == "linear-episode" and episode["members"] == 1000
    first = episode["targets"][0]
    assert first["indicator"] == "level.A" and (first["base"]["at"], first["at"]) == (
        "2019Q4",
        "2020Q3",
    )
    assert first["observed"] == pytest.approx(1.0)
    assert first["forecast"]["q50"] == pytest.approx(1.0, abs=0.01)
    assert set(first["scores"]) == {"model", "persistence", "trend"}
    assert first["scores"]["model"]["crps"] < first["scores"]["persistence"]["crps"]
    assert episode["summary"]["direction_agrees"] == 2
    assert out["overall"]["targets"] == 2
    assert out["overall"]["skill"]["crps/persistence"]["skill"] > 0


def test_backtest_table(cli, toy_episode_path, linear_episode_path):
    code, out, err = cli("backtest", str(toy_episode_path), str(linear_episode_path), "-n", "300")
    assert code == 0, err
    assert "toy-episode" in out and "fear_pct" in out
    assert "direction agrees 3" in out
    assert "2 episodes, 5 targets" in out and "overall" in out


def test_calibrate_writes_an_includable_module(cli_json, toy_episode_path, tmp_path):
    out = tmp_path / "cal.toml"
    args = ["calibrate", str(toy_episode_path), "--points", "800", "--replicates", "4"]
    payload = cli_json(*args, "--waves", "2", "--out", str(out), "--json")
    assert payload["method"] == "history matching" and payload["status"] == "ok"
    assert payload["written"]["file"] == str(out)
    assert payload["written"]["module"] == "calibrated_toy_episode"
    assert "rules.fear_from_cut.weight" in payload["written"]["parameters"]
    text = out.read_text()
    assert "[[overrides]]" in text and 'id = "calibrated_toy_episode"' in text
    # a scenario including the file samples the calibrated range
    scenario = toy_episode_path.read_text().replace(
        "horizon = 8\n", f'horizon = 8\ninclude = ["{out}"]\n', 1
    )
    (tmp_path / "toy.toml").write_text(scenario)
    spec = scenario_parameters(load_scenario(tmp_path / "toy.toml"))["rules.fear_from_cut.weight"]
    entry = next(p for p in payload["parameters"] if p["parameter"] == "rules.fear_from_cut.weight")
    assert spec.value.low == pytest.approx(entry["calibrated_range"][0], rel=1e-5)
    assert spec.value.high == pytest.approx(entry["calibrated_range"][1], rel=1e-5)
    # the module records the episode as it was calibrated on, so a changed episode shows
    recorded = calibration_sources(out)
    assert recorded == {"toy-episode": source_hash(toy_episode_path)}
    changed = tmp_path / "changed.toml"
    changed.write_text(toy_episode_path.read_text().replace("sd = 1.0", "sd = 1.5", 1))
    assert source_hash(changed) != recorded["toy-episode"]


def test_calibrate_table_and_module_filter(cli, toy_episode_path, tmp_path):
    module = tmp_path / "rules.toml"
    module.write_text(
        '[module]\nid = "rules"\ntitle = "r"\n\n[[rules]]\nid = "fear_from_cut"\n'
        'target = "fear_abandonment.ROK"\ndriver = "event.cut"\nweight = 0.1\n'
    )
    out = tmp_path / "cal.toml"
    args = [
        "calibrate",
        str(toy_episode_path),
        "--points",
        "800",
        "--replicates",
        "4",
        "--waves",
        "2",
    ]
    code, table, err = cli(*args, "--out", str(out), "--module", str(module))
    assert code == 0, err
    assert "rules.fear_from_cut.weight" in table and "wrote 1 calibrated range" in table
    assert out.read_text().count("[[overrides]]") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "{plain}"], "nothing to forecast"),
        (["backtest", "{toy}", "--members", "1"], "members must be at least 2"),
        (["calibrate", "{toy}", "--points", "1", "--out", "{tmp}/x.toml"], "--points"),
        (["calibrate", "{toy}", "--module-id", "Bad-Id", "--out", "{tmp}/x.toml"], "--module-id"),
        (["calibrate", "{toy}", "--module", "{toy}", "--out", "{tmp}/x.toml"], "no module table"),
        (["calibrate", "{toy}", "-e", "{plain}", "--out", "{tmp}/x.toml"], "nothing to match"),
        (["calibrate", "{toy}", "--out", "{toy}"], "use --force"),
    ],
)
def test_bad_input_exits_2(cli, args, message, toy_episode_path, plain_scenario_path, tmp_path):
    paths = {"toy": toy_episode_path, "plain": plain_scenario_path, "tmp": tmp_path}
    code, _, err = cli(*(a.format(**paths) for a in args))
    assert code == 2
    assert message in err.replace("\n", " ")


def test_calibrate_out_of_sample_json(cli_json, linear_episode_path, tmp_path):
    later = linear_episode_path.read_text().replace("2020", "2022").replace("2019", "2021")
    later = later.replace('id = "linear-episode"', 'id = "linear-later"')
    (tmp_path / "later.toml").write_text(later)
    args = ["calibrate", str(linear_episode_path), "-e", str(linear_episode_path)]
    args += ["-e", str(tmp_path / "later.toml"), "--out-of-sample", "--points", "300"]
    payload = cli_json(*args, "--replicates", "2", "--waves", "1", "-n", "100", "--json")
    assert [f["fold"] for f in payload["folds"]] == ["linear-episode", "linear-later"]
    assert payload["folds"][0]["trained_on"] == ["linear-later"]
    assert payload["folds"][0]["transferred"][0]["parameter"] == "rules.push.weight"
    assert not list(tmp_path.glob("calibrated-*.toml"))  # scoring writes nothing


# --------------------------------------------------------------------------------------------
# alliancesim structures


def _rivals():
    from pathlib import Path

    return Path(__file__).parent / "data" / "rivals"


def test_structures_json_computes_history_weights_and_writes_the_file(cli, cli_json, tmp_path):
    d = _rivals()
    out_file = tmp_path / "w.json"
    args = ["structures", str(d / "toy-rivals.toml"), "-n", "8", "--json", "--write", str(out_file)]
    for e in ("rise-2001", "rise-2003", "fall-2005"):
        args += ["-e", str(d / f"{e}.toml")]
    out = cli_json(*args)
    assert out["source"] == "computed" and out["written"] == str(out_file)
    (drift,) = out["mechanisms"]
    weights = {a["id"]: a["weight"] for a in drift["accounts"]}
    # pseudo-BMA+ by default: rise 1 − (1 − t)², fall t², flat the rest, t = (60 − log 2)/240
    # (tests/history/test_rivals.py works it out), within the bootstrap's Monte Carlo error
    t = (60 - math.log(2)) / 240
    assert weights["rise"] == pytest.approx(1 - (1 - t) ** 2, abs=0.025)
    assert weights["flat"] == pytest.approx((1 - t) ** 2 - t**2, abs=0.025)
    assert drift["favoured"][0] == "flat" and drift["targets"] == 6
    assert drift["method"] == "pseudo-bma+"
    assert all(a["interval"] is not None for a in drift["accounts"])
    assert {a["id"]: a["verdict"] for a in drift["accounts"]} == {
        "rise": "within noise",
        "fall": "within noise",
        "flat": "best",
    }
    assert out["computation"]["simulations"] == 9
    written = json.loads(out_file.read_text())
    assert written["format"] == "alliancesim history weights"
    assert written["episodes"]["fall-2005"]["source"] == str((d / "fall-2005.toml").resolve())
    # read back from the file, and a run weighed by it
    again = cli_json("structures", str(d / "toy-rivals.toml"), "--weights", str(out_file), "--json")
    assert again["source"] == "file"
    assert again["mechanisms"][0]["accounts"][0]["weight"] == pytest.approx(weights["rise"])
    code, table, _ = cli("structures", str(d / "toy-rivals.toml"), "--weights", str(out_file))
    # no account is separated: the weights lean to flat, history does not decide
    assert code == 0 and "drift: the weights lean to flat," in " ".join(table.split())
    assert "History does not separate the accounts" in " ".join(table.split())
    ran = cli_json(
        "run",
        str(d / "toy-rivals.toml"),
        "-n",
        "20",
        "--no-store",
        "--weights",
        str(out_file),
        "--json",
    )
    assert ran["structures"]["weights"]["seed"] == pytest.approx(weights["rise"], abs=1e-9)
    assert ran["weights_source"].startswith("history (drift): pseudo-bma+ on 3 episodes")
    # the run says what the weights rest on, as `structures` does: no account is separated
    (said,) = ran["history_favours"]
    assert said.startswith("History does not separate the accounts of drift")
    flat = next(a for a in again["mechanisms"][0]["accounts"] if a["id"] == "flat")
    low, high = (round(100 * x) for x in flat["interval"])
    assert f"flat {100 * flat['weight']:.0f} % [{low}–{high} %] (prior 50 %)" in said


def test_structures_of_scenarios_without_mechanisms_and_bad_input(cli, cli_json, tmp_path):
    plain = Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml"
    out = cli_json("structures", str(plain), "--json")
    assert out["mechanisms"] == [] and out["scenarios"] == ["mini-alliance"]
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    toy = str(_rivals() / "toy-rivals.toml")
    for args, message in (
        (["structures", toy, "--weights", str(bad)], "not an alliancesim weights file"),
        (["run", toy, "-n", "5", "--no-store", "--weights", "nowhere"], "--weights: expected"),
        (["structures", toy, "--compute", "--method", "vote", "-n", "4"], "--method: expected"),
    ):
        code, _, err = cli(*args)
        assert code == 2
        assert message in err.replace("\n", " ")


def test_calibrate_effect_json(cli_json, linear_episode_path, tmp_path):
    out = cli_json(
        "calibrate",
        str(linear_episode_path),
        "--points",
        "300",
        "--replicates",
        "2",
        "--waves",
        "2",
        "--effect",
        "-n",
        "200",
        "--out",
        str(tmp_path / "cal.toml"),
        "--json",
    )
    effect = out["effect"]
    assert next(p["policy"] for p in effect["policies"]) == "baseline"
    assert [p["parameter"] for p in effect["parameters"]] == out["written"]["parameters"]
    assert effect["members"] == 200
