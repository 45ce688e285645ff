"""The scenario commands: `alliancesim scenarios`, `show ID|FILE`, `validate FILE`, with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.scenario import builtin_scenarios, load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my-first-scenario.toml"
CORPUS = Path(__file__).parent / "malformed"


# --------------------------------------------------------------------------------------------
# validate


def test_validate_a_good_file_prints_one_summary_line(cli):
    code, out, err = cli("validate", str(EXAMPLE))
    assert code == 0
    assert out == (
        "ok: my-first-scenario (4 actors, 1 issue, 5 rules, 29 parameters of which 14 uncertain)\n"
    )
    assert err == ""


def test_validate_json_counts(cli):
    code, out, _ = cli("validate", str(EXAMPLE), "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "schema_version": 1,
        "ok": True,
        "id": "my-first-scenario",
        "file": str(EXAMPLE),
        "actors": 4,
        "issues": 1,
        "rules": 5,
        "parameters": 29,
        "uncertain": 14,
    }


def test_validate_a_bad_file_prints_every_problem_and_exits_2(cli, monkeypatch):
    monkeypatch.chdir(CORPUS)
    code, out, err = cli("validate", "45_several_in_one_entry.toml")
    assert code == 2
    assert out == ""
    expected = (CORPUS / "45_several_in_one_entry.expected").read_text(encoding="utf-8")
    assert err == "".join(f"error {line}\n" for line in expected.splitlines())
    assert "Traceback" not in err


def test_validate_json_lists_problems(cli, monkeypatch):
    monkeypatch.chdir(CORPUS)
    code, out, _ = cli("validate", "29_period_outside.toml", "--json")
    assert code == 2
    data = json.loads(out)
    assert data["ok"] is False
    assert data["problems"] == [
        {
            "file": "29_period_outside.toml",
            "line": 23,
            "field": "schedule[0].at[1]",
            "message": "2030Q1 lies outside the scenario (2025Q3 to 2026Q2)",
        },
        {
            "file": "29_period_outside.toml",
            "line": 28,
            "field": "policies[0].schedule[0].at",
            "message": "2024Q4 lies outside the scenario (2025Q3 to 2026Q2)",
        },
        {
            "file": "29_period_outside.toml",
            "line": 32,
            "field": "observations[0].at",
            "message": "2027Q1 lies after the scenario's end (2026Q2)",
        },
    ]


def test_messages_keep_their_brackets(cli, monkeypatch):
    """Problems mention [scenario], [[actors]], [0, 1]…: they must not be eaten as markup."""
    monkeypatch.chdir(CORPUS)
    code, _, err = cli("validate", "03_empty.toml")
    assert code == 2
    assert err == (
        "error 03_empty.toml:1: the file is empty: a scenario has at least [scenario], "
        "[[actors]] and [decoupling]\n"
    )


def test_validate_in_a_real_process_exits_2_without_traceback():
    """The installed script, end to end: exit code 2, every problem, no traceback."""
    script = Path(sys.executable).parent / "alliancesim"
    if not script.exists():  # pragma: no cover - `make install` puts it in the venv
        pytest.skip("the alliancesim script is not installed")
    env = {**os.environ, "COLUMNS": "200"}
    bad = subprocess.run(
        [str(script), "validate", "26_include_cycle.toml"],
        cwd=CORPUS,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "include cycle: 26_include_cycle.toml -> modules/cycle_a.toml" in bad.stderr


# --------------------------------------------------------------------------------------------
# show


def test_show_prints_every_section_with_sources_and_loops(cli):
    code, out, _ = cli("show", str(EXAMPLE))
    assert code == 0
    for text in (
        "A Stryker brigade withdrawal, consulted or not",
        "2025Q3 to 2027Q2 (8 quarters)",
        "Actors",
        "ROK_progressives",
        "U(25, 40)",
        "Issue cost_sharing",
        "N(10, 5) in [0, 30]",
        "State variables",
        "fear_abandonment.ROK",
        "Rules: target ← driver × gate",
        "abandonment_from_cut",
        "(1 - consulted.stryker_withdrawal)",
        "Events and actions",
        "stryker_withdrawal",
        "Policies",
        "consult_first",
        "Claims",
        "consultation_limits_hedging",
        "Indicators",
        "Decoupling: any sign seen",
        "sign withdrawal_amid_distrust: count.stryker_withdrawal > 0 and trust.ROK.USA < 0.3",
        "Cohesion index (reported apart, not part of decoupling)",
        "assumption: reference scale",
        '000: "Reports have circulated',
        "public: the SCM is held each autumn",
        "Feedback loops (1)",
        "reinforcing",
        "distrust_from_fear, fear_from_distrust",
    ):
        assert text in out, text


def test_show_json_has_every_entry_with_its_origin_and_the_loops(cli):
    code, out, _ = cli("show", str(EXAMPLE), "--json")
    assert code == 0
    data = json.loads(out)
    scenario = load_scenario(EXAMPLE)
    assert data["schema_version"] == 1
    assert data["id"] == "my-first-scenario"
    assert [a["id"] for a in data["actors"]] == [a.id for a in scenario.actors]
    assert [r["id"] for r in data["rules"]] == [r.id for r in scenario.rules]
    rule = data["rules"][0]
    assert rule["driver"] == "event.stryker_withdrawal"
    assert rule["weight"] == {"low": 0.1, "high": 0.3}
    assert rule["source"]["seed"] == "000_ea92047b3d6a092b.txt"
    assert rule["origin"]["line"] == scenario.rules[0].origin[1]
    assert data["events"][0]["rate"] == "0.5 + 0.5 * fear_abandonment.ROK"
    assert data["claims"][0]["compare"]["against"] == "consult_first"
    assert data["decoupling"]["signs"][0]["for_steps"] == 2
    assert data["decoupling"]["index"]["threshold"] == "param.cohesion_threshold"
    assert data["loops"] == [
        {
            "nodes": ["fear_abandonment.ROK", "trust.ROK.USA"],
            "rules": ["distrust_from_fear", "fear_from_distrust"],
            "sign": 1,
            "polarity": "reinforcing",
        }
    ]
    uncertain = [p["name"] for p in data["parameter_values"] if p["uncertain"]]
    assert "rules.abandonment_from_cut.weight" in uncertain
    assert len(data["parameter_values"]) == 29


def test_show_a_bad_file_exits_2(cli, monkeypatch):
    monkeypatch.chdir(CORPUS)
    code, out, err = cli("show", "24_duplicate_ids.toml")
    assert code == 2
    assert "duplicate id 'USA'" in err
    code, out, _ = cli("show", "24_duplicate_ids.toml", "--json")
    assert code == 2
    assert len(json.loads(out)["problems"]) == 3


def test_show_of_a_built_in_is_kept_and_the_kept_listing_prints_the_same(cli, monkeypatch):
    """The first ``show ID`` loads the scenario and keeps its listing; the second prints the
    same text without loading anything (the loader is made to fail to prove it)."""
    from alliancesim.scenario import listing, loader

    cache = Path(os.environ["ALLIANCESIM_CACHE"])
    code, first, _ = cli("show", "us-rok-2025")
    assert code == 0
    kept = list(cache.glob("show-us-rok-2025-*.json"))
    assert len(kept) == 1

    def no_loading(*_args, **_kwargs):
        raise AssertionError("the kept listing should have been used")

    monkeypatch.setattr(loader, "load_scenario", no_loading)
    code, second, _ = cli("show", "us-rok-2025")
    assert (code, second) == (0, first)

    # history's weights from a file of the user's: the listing shows them, so it is not kept
    from alliancesim.history_file import ENVIRONMENT, PACKAGED

    monkeypatch.setenv(ENVIRONMENT, str(PACKAGED))
    with pytest.raises(AssertionError, match="kept listing"):
        cli("show", "us-rok-2025")
    monkeypatch.delenv(ENVIRONMENT)

    # another state of the package (an edited module, file or data) is another listing
    monkeypatch.setattr(listing, "package_fingerprint", lambda: "another-package")
    with pytest.raises(AssertionError, match="kept listing"):
        cli("show", "us-rok-2025")


def test_show_ignores_a_damaged_kept_listing_and_never_keeps_a_file(cli):
    cache = Path(os.environ["ALLIANCESIM_CACHE"])
    code, first, _ = cli("show", "us-rok-2025")
    (kept,) = cache.glob("show-us-rok-2025-*.json")
    for damage in ("not json", '[{"title": "Actors", "columns": ["id"], "rows": [["a", "b"]]}]'):
        kept.write_text(damage, encoding="utf-8")
        code, again, _ = cli("show", "us-rok-2025")
        assert (code, again) == (0, first)
    code, _, _ = cli("show", str(EXAMPLE))
    assert code == 0
    assert [p.name.startswith("show-us-rok-2025-") for p in cache.glob("show-*.json")] == [True]
    # a scenario whose id begins with another's keeps its own listing beside the other's
    assert cli("show", "us-rok-2019-history")[0] == 0
    assert cli("show", "us-rok-2019")[0] == 0
    assert len(list(cache.glob("show-us-rok-2019*.json"))) == 2


# --------------------------------------------------------------------------------------------
# scenarios


def test_scenarios_json_lists_the_built_in_library(cli):
    code, out, _ = cli("scenarios", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["schema_version"] == 1
    rows = data["scenarios"]
    assert [row["id"] for row in rows] == builtin_scenarios()
    for row in rows:
        try:
            scenario = load_scenario(row["id"])
        except InputError as exc:
            assert row == {
                "id": row["id"],
                "file": row["file"],
                "ok": False,
                "problems": len(exc.problems),
            }
            continue
        assert row["ok"] is True
        assert row["title"] == scenario.scenario.title
        assert row["horizon"] == scenario.scenario.horizon
        assert row["rules"] == len(scenario.rules)


def test_scenarios_table(cli):
    code, out, _ = cli("scenarios")
    assert code == 0
    if not builtin_scenarios():  # pragma: no cover - the library ships scenarios
        assert "no built-in scenarios" in out
        return
    assert "Built-in scenarios" in out
    for ident in builtin_scenarios():
        assert ident in out


def test_show_gives_historys_weights_with_intervals_and_what_history_separates(cli):
    from alliancesim.history_file import history_weights

    evidence = history_weights(load_scenario("us-rok-2025")).evidence()
    code, out, _ = cli("show", "us-rok-2025")
    assert code == 0
    for mechanism, known in evidence.items():
        for account, kept in known["accounts"].items():
            low, high = kept["interval"]
            assert f"[{100 * low:.0f}–{100 * high:.0f} %]" in out, (mechanism, account)
    separated = sorted(
        m
        for m, known in evidence.items()
        if any(a["verdict"] == "separated" for a in known["accounts"].values())
    )
    said = (
        f"History separates accounts of {', '.join(separated)} only"
        if separated
        else "History separates no account of any mechanism it weighs"
    )
    assert said in " ".join(out.split())
