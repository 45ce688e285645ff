"""Robust recommendations on three front ends: `compare --run --robust --json`, the stored
run's report and the dashboard's results view show the same regret, satisficing and ranks for
every option, the same pathways and the same signposts — from one analysis kept with the run."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from alliancesim.presentation import percent
from alliancesim.presentation.robust_view import amount
from dashboard_support import component_text, find_component, served_results_view

TOY = Path(__file__).resolve().parents[1] / "robust" / "data" / "toy.toml"


def report_rows(document: str) -> dict[str, tuple[str, ...]]:
    """policy -> (P, regret mean, p90, max, satisficing) texts from the report's table."""
    table = re.search(r"<table id='robustness-table'>(.*?)</table>", document, re.S)
    assert table, "the report has a robustness table"
    rows = {}
    for policy, body in re.findall(r"<tr data-policy='([^']*)'>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<td class='num[^']*'>(.*?)</td>", body, re.S)
        rows[html.unescape(policy)] = tuple(html.unescape(c) for c in cells[1:6])
    return rows


def dashboard_rows(view: Any) -> dict[str, tuple[str, ...]]:
    table = find_component(view, "id", "robustness-table")
    assert table is not None, "the dashboard shows a robustness table"
    rows = {}
    for tr in table["props"]["children"][1]["props"]["children"]:
        cells = tr["props"]["children"]
        regret = next(c for c in cells if c["props"].get("className") == "num regret")
        sat = next(c for c in cells if c["props"].get("className") == "num satisficing")
        p = cells[2]
        rows[tr["props"]["data-policy"]] = (
            component_text(p),
            *component_text(regret).split(" · "),
            component_text(sat),
        )
    return rows


def test_the_cli_the_report_and_the_dashboard_show_one_robustness(cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ALLIANCESIM_HOME", str(home))
    code, out, _ = cli("run", str(TOY), "-n", "2000", "--seed", "3", "--json")
    assert code == 0
    run_id = json.loads(out)["run_id"]
    code, out, _ = cli(
        "compare", "--run", run_id, "--robust", "--pathways", "--signposts",
        "--json",
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    measure = payload["robustness"]["measure"]
    expected = {
        row["policy"]: (
            percent(row["p_decoupling"]),
            *(amount(row[k], measure) for k in ("regret_mean", "regret_p90", "regret_max")),
            percent(row["satisficing"]),
        )
        for row in payload["robustness"]["rows"]
    }
    # the toy's numbers, worked out by hand (tests/robust/test_robust.py)
    assert expected["consult_first"][1:4] == ("0.025", "0.100", "0.100")
    assert expected["baseline"][4] == "0.0 %"

    report = tmp_path / "report.html"
    code, _, _ = cli("report", run_id, "--out", str(report))
    assert code == 0
    document = report.read_text(encoding="utf-8")
    assert report_rows(document) == expected
    view = served_results_view(home, tmp_path / "work", run_id)
    assert dashboard_rows(view) == expected

    # the same pathways and signposts
    carried = {
        bar["label"]: bar["carried"]
        for p in payload["pathways"]
        if p["policy"] == "consult_first" and p["outcome"] == "decoupled"
        for bar in p["bars"]
    }
    table = re.search(
        r"<table class='pathways' data-policy='consult_first'>(.*?)</table>", document, re.S
    )
    assert table is not None
    for label in carried:
        assert html.escape(label, quote=True) in table.group(1)
    assert find_component(view, "id", "pathways-card") is not None
    texts = [s["text"] for s in payload["signposts"]]
    assert texts
    dashboard_signposts = component_text(find_component(view, "id", "signposts-list"))
    for text in texts:
        assert html.escape(text, quote=True) in document
        assert text in dashboard_signposts
