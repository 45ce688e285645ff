"""The analysis commands end to end: JSON output, plots, and bad input (exit code 2)."""

from __future__ import annotations

import re

import pytest


def test_claims_json(cli_json, claims_path):
    out = cli_json("claims", str(claims_path), "--members", "400", "--seed", "2", "--json")
    verdicts = {c["claim_id"]: c["statistical_verdict"] for c in out["claims"]}
    assert verdicts["always"] == "supported" and verdicts["never"] == "rejected"
    assert verdicts["idle_ties"] == "contested"
    # the always-true and never-true claims have one path each: their verdicts are not evidence
    read = {c["claim_id"]: (c["class"], c["verdict"]) for c in out["claims"]}
    assert read["always"] == ("structural", "holds by construction")
    assert read["never"] == ("structural", "fails by construction")
    assert read["idle_ties"][0] == "structural"  # idle changes nothing the claim reads
    box = next(c for c in out["claims"] if c["claim_id"] == "above_05")["failure_box"]
    assert box["restrictions"][0]["parameter"] == "param.theta"
    assert out["thresholds"]["member"]["supported_if_lower_bound_above"] == pytest.approx(0.6)
    assert out["policies"] == ["baseline", "push", "idle", "push+idle"]


def test_claims_table_names_the_failure_box(cli, claims_path):
    code, out, err = cli("claims", str(claims_path), "--members", "400")
    assert code == 0, err
    assert "rejected" in out
    assert re.search(r"fails mostly where: param\.theta ≤ 0\.(6[89]|70)", out)
    assert "lower bound of the share > 0.6" in out


def test_compare_with_a_combination(cli, cli_json, ranking_path):
    out = cli_json(
        "compare",
        str(ranking_path),
        "-n",
        "500",
        "--policy",
        "safer+other",
        "--policy",
        "riskier",
        "--json",
    )
    assert [r["policy"] for r in out["ranking"]] == ["safer+other", "baseline", "riskier"]
    code, table, _ = cli("compare", str(ranking_path), "-n", "300")
    assert code == 0 and "safest" in table
    # default indicators, by the largest paired difference over the baseline 5–95 % range:
    # other_level (+1 under `other`, range ≈ 0.9) before margin (−0.4 under safest, ≈ 0.9)
    assert table.index("Δ other_level") < table.index("Δ margin")


def test_sensitivity_json_and_plot(cli_json, sensitivity_path, tmp_path):
    plot = tmp_path / "sobol.html"
    out = cli_json(
        "sensitivity",
        str(sensitivity_path),
        "--indicator",
        "linear",
        "--n",
        "128",
        "--replicates",
        "1",
        "--plot",
        str(plot),
        "--json",
    )
    assert out["factors"][0]["name"] == "param.a"
    assert plot.exists() and "plotly" in plot.read_text()[:5000].lower()
    morris = cli_json(
        "sensitivity",
        str(sensitivity_path),
        "--method",
        "morris",
        "--indicator",
        "linear",
        "--json",
    )
    assert morris["factors"][0]["mu_star"] == pytest.approx(2.0)
    # both results are kept in the store for this scenario, newest first, for reports to show
    from alliancesim.ensemble import scenario_hash
    from alliancesim.scenario import load_scenario
    from alliancesim.store import Store

    kept = Store().analyses(
        scenario_hash=scenario_hash(load_scenario(sensitivity_path)), kind="sensitivity"
    )
    assert [a["payload"]["method"] for a in kept] == ["morris", "sobol"]


def test_discover_json_and_table(cli, cli_json, claims_path, tmp_path):
    out = cli_json("discover", str(claims_path), "-n", "600", "--json")
    assert out["boxes"][0]["restrictions"][0]["parameter"] == "param.theta"
    plot = tmp_path / "prim.html"
    code, table, err = cli("discover", str(claims_path), "-n", "600", "--plot", str(plot))
    assert code == 0, err
    assert "◀ chosen" in table and plot.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sensitivity", "{s}", "--method", "fast"], "--method"),
        (["sensitivity", "{s}", "--indicator", "cohesoin"], "unknown measure"),
        (["sensitivity", "{s}", "--n", "100"], "power of two"),
        (["sensitivity", "{s}", "--indicator", "linear", "--plot", "x.png"], ".html"),
        (["discover", "{s}", "--outcome", "linear", "-n", "50"], "--threshold"),
        (["compare", "{s}", "--policy", "nobody", "-n", "50"], "unknown policy"),
        (["claims", "{s}", "--members", "0"], "members"),
        (["claims", "no/such/file.toml"], "no/such/file.toml"),
    ],
)
def test_bad_input_exits_with_code_2(cli, sensitivity_path, args, message):
    code, _, err = cli(*(a.format(s=sensitivity_path) for a in args))
    assert code == 2
    assert message in err.replace("\n", " ")


def test_compare_rejects_an_unknown_indicator(cli, ranking_path):
    code, _, err = cli("compare", str(ranking_path), "--indicator", "margn")
    assert code == 2
    assert "did you mean 'margin'" in err
