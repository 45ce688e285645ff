"""One stored run, three front ends: the CLI's ``run --json``, the stored report and the
dashboard's results view show the same numbers with the same signs for every policy — and
those numbers are the run's, checked against the trajectories themselves."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alliancesim.presentation import percent, pp_change
from alliancesim.store import Store
from dashboard_support import component_text, find_component, served_results_view

SCENARIO = Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml"


def report_rows(document: str) -> dict[str, tuple[str, str, str]]:
    """policy -> (P(decoupling) text, change text, harmful-share text) from the report's
    ranking table."""
    table = re.search(r"<table id='ranking-table'>(.*?)</table>", document, re.S)
    assert table, "the report has a ranking table"
    rows = {}
    for policy, body in re.findall(r"<tr data-policy='([^']*)'>(.*?)</tr>", table.group(1), re.S):
        p = re.search(r"<td class='num p'>(.*?)<div", body, re.S)
        change = re.search(r"<td class='num change'>(.*?)</td>", body, re.S)
        harm = re.search(r"<td class='num harm'>(.*?)(?:<div|</td>)", body, re.S)
        assert p and change and harm
        rows[html.unescape(policy)] = (
            html.unescape(p.group(1)),
            html.unescape(change.group(1)),
            html.unescape(harm.group(1)),
        )
    return rows


def dashboard_rows(view: Any) -> dict[str, tuple[str, str, str]]:
    """policy -> (P(decoupling) text, change text, harmful-share text) from the dashboard's
    ranking table."""
    table = find_component(view, "id", "ranking-table")
    assert table is not None, "the dashboard shows a ranking table"
    body = table["props"]["children"][1]["props"]["children"]
    rows = {}
    for tr in body:
        cells = tr["props"]["children"]
        p_cell = next(c for c in cells if c["props"].get("className") == "num p")
        change_cell = next(c for c in cells if c["props"].get("className") == "num change")
        harm_cell = next(c for c in cells if c["props"].get("className") == "num harm")
        p_text = p_cell["props"]["children"][0]
        harm_text = harm_cell["props"]["children"][0]
        rows[tr["props"]["data-policy"]] = (p_text, component_text(change_cell), harm_text)
    return rows


def harmed(dataset: Any, policy: str, structure: str | None = None) -> np.ndarray:
    """Per member, whether ``policy`` harms the alliance against baseline at the horizon,
    computed here from the trajectories: decoupled where baseline is not, or cohesion lower."""
    last = dataset.isel(step=-1)
    if structure is not None:
        last = last.sel(structure=structure)
    mine, base = last.sel(policy=policy), last.sel(policy="baseline")
    worse = mine["decoupled"].values.astype(float) > base["decoupled"].values.astype(float)
    if "cohesion" in last:
        a, b = mine["cohesion"].values, base["cohesion"].values
        worse |= (b - a) > 1e-12 * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return worse


def test_the_cli_the_stored_report_and_the_dashboard_agree(cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ALLIANCESIM_HOME", str(home))
    first = tmp_path / "first.html"
    code, out, _ = cli(
        "run", str(SCENARIO), "-n", "3000", "--seed", "4", "--json",
        "--report", str(first),
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["schema_version"] == 1
    run_id = payload["run_id"]
    ranking = {row["policy"]: row for row in payload["ranking"]}
    assert set(ranking) == {"baseline", "consult_first", "no_withdrawal"}

    # the JSON's numbers are the run's: paired differences recomputed from the trajectories
    results = Store(home).open_run(run_id)
    dataset = results.dataset()
    decoupled = dataset["decoupled"].isel(step=-1)
    base = decoupled.sel(policy="baseline").values.astype(float)
    for policy, row in ranking.items():
        values = decoupled.sel(policy=policy).values.astype(float)
        assert row["p_decoupling"] == pytest.approx(values.mean(), abs=1e-12)
        if policy == "baseline":
            assert row["effect"] is None
            continue
        effect = row["effect"]
        assert effect["change"] == pytest.approx(np.mean(values - base), abs=1e-12)
        assert effect["direction"] == (
            "lowers" if effect["change_ci"][1] < 0 else "raises" if effect["change_ci"][0] > 0
            else "unclear"
        )  # fmt: skip
    assert ranking["consult_first"]["effect"]["change"] < 0  # the toy's recommendation works
    assert ranking["no_withdrawal"]["effect"]["change"] < 0
    assert ranking["baseline"]["harm"] is None
    for policy in ("consult_first", "no_withdrawal"):  # the harmful share is the worlds' own
        share = harmed(dataset, policy).mean()
        assert ranking[policy]["harm"]["share"] == pytest.approx(share, abs=1e-12)
        assert ranking[policy]["harm"]["text"] == percent(share)

    expected = {
        policy: (
            percent(row["p_decoupling"]),
            pp_change(row["effect"]["change"], row["effect"]["change_ci"])
            if row["effect"]
            else "reference",
            row["harm"]["text"] if row["harm"] else "—",
        )
        for policy, row in ranking.items()
    }
    for policy, row in ranking.items():  # the JSON's own text is the same text
        if row["effect"]:
            assert row["effect"]["text"] == expected[policy][1]
    assert expected["consult_first"][1].startswith("−")  # one sign convention: negative lowers

    # the report written by `run --report`, and the stored run's report written later
    second = tmp_path / "second.html"
    code, out, _ = cli("report", run_id, "--out", str(second))
    assert code == 0
    assert report_rows(first.read_text(encoding="utf-8")) == expected
    assert report_rows(second.read_text(encoding="utf-8")) == expected

    # the dashboard's results view, as served
    assert dashboard_rows(served_results_view(home, tmp_path / "work", run_id)) == expected

    # and the CLI's own table of the stored run
    code, out, _ = cli("show-run", run_id)
    assert code == 0
    for policy, (p_text, change_text, _) in expected.items():
        line = next(line for line in out.splitlines() if re.match(rf"│ {policy} +│", line))
        assert p_text in line
        if change_text != "reference":
            assert change_text in line


TOY = Path(__file__).resolve().parents[1] / "structures" / "data" / "toy.toml"


def report_structure_cells(document: str) -> dict[tuple[str, int], tuple[str, str]]:
    """(policy, column) -> (P text, change text) from the report's structures table (columns:
    the structures in run order, then the weighted answer)."""
    table = re.search(r"<table id='structures-table'>(.*?)</table>", document, re.S)
    assert table, "the report has a structures table"
    cells = {}
    for policy, body in re.findall(r"<tr data-policy='([^']*)'>(.*?)</tr>", table.group(1), re.S):
        found = re.findall(
            r"<td class='num'>(.*?)<div class='small change'>(.*?)</div>", body, re.S
        )
        for k, (p_text, change) in enumerate(found):
            cells[(html.unescape(policy), k)] = (html.unescape(p_text), html.unescape(change))
    return cells


def dashboard_structure_cells(view: Any) -> dict[tuple[str, int], tuple[str, str]]:
    """The same from the dashboard's structures table."""
    table = find_component(view, "id", "structures-table")
    assert table is not None, "the dashboard shows a structures table"
    body = table["props"]["children"][1]["props"]["children"]
    cells = {}
    for tr in body:
        for k, td in enumerate(tr["props"]["children"][1:]):
            p_text, change = td["props"]["children"][:2]
            cells[(tr["props"]["data-policy"], k)] = (p_text, component_text(change))
    return cells


def test_the_front_ends_agree_on_each_structure_and_their_combination(cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ALLIANCESIM_HOME", str(home))
    report = tmp_path / "toy.html"
    code, out, _ = cli(
        "run", str(TOY), "-n", "1500", "--seed", "2", "--json",
        "--report", str(report),
    )  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["structures"]["names"] == ["seed", "consult=costly", "burden=leverage"]
    assert payload["ranking_under"] == "weighted"
    assert "weighted over 3 structures" in payload["headline"]["text"]
    names = payload["structures"]["names"]

    # the per-structure numbers are the trajectories' own
    results = Store(home).open_run(payload["run_id"])
    dataset = results.dataset()
    decoupled = dataset["decoupled"].isel(step=-1)
    expected: dict[tuple[str, int], tuple[str, str]] = {}
    for k, structure in enumerate(payload["structure_rankings"]):
        assert structure["structure"] == names[k]
        for row in structure["ranking"]:
            values = decoupled.sel(structure=names[k], policy=row["policy"]).values.astype(float)
            assert row["p_decoupling"] == pytest.approx(values.mean(), abs=1e-12)
            text = "reference"
            if row["effect"]:
                base = decoupled.sel(structure=names[k], policy="baseline").values.astype(float)
                assert row["effect"]["change"] == pytest.approx(np.mean(values - base), abs=1e-12)
                text = row["effect"]["text"]
            expected[(row["policy"], k)] = (percent(row["p_decoupling"]), text)
    weights = np.array([payload["structures"]["weights"][n] for n in names])
    harms: dict[str, str] = {}
    for row in payload["ranking"]:  # the weighted answer: member by member over structures
        flags = decoupled.sel(policy=row["policy"]).values.astype(float)  # (structure, member)
        assert row["p_decoupling"] == pytest.approx(float(weights @ flags.mean(axis=1)), abs=1e-12)
        text = row["effect"]["text"] if row["effect"] else "reference"
        expected[(row["policy"], len(names))] = (percent(row["p_decoupling"]), text)
        if row["policy"] == "baseline":
            assert row["harm"] is None
            harms[row["policy"]] = "—"
            continue
        per = [harmed(dataset, row["policy"], n).mean() for n in names]
        assert row["harm"]["by_structure"] == pytest.approx(dict(zip(names, per, strict=True)))
        assert row["harm"]["share"] == pytest.approx(float(weights @ np.array(per)), abs=1e-12)
        harms[row["policy"]] = row["harm"]["text"]

    assert report_structure_cells(report.read_text(encoding="utf-8")) == expected
    document = report.read_text(encoding="utf-8")
    assert "The structures disagree" in document
    assert (
        "consult_first: lowers it under seed, burden=leverage; raises it under consult=costly."
        in (html.unescape(document))
    )
    view = served_results_view(home, tmp_path / "work", payload["run_id"])
    assert dashboard_structure_cells(view) == expected
    disagreements = component_text(find_component(view, "id", "structure-disagreements"))
    assert "raises it under consult=costly" in disagreements
    # the weighted ranking is the same in the report's and the dashboard's ranking tables
    weighted = {p: (*v, harms[p]) for (p, k), v in expected.items() if k == len(names)}
    assert report_rows(document) == weighted
    assert dashboard_rows(view) == weighted
    # and the report says where each policy harms
    harm_list = re.search(r"<ul id='harm-list'>(.*?)</ul>", document, re.S)
    assert harm_list is not None
    for policy, text in harms.items():
        if policy != "baseline":
            assert f"<code>{policy}</code>: harms in <b>{text}</b>" in harm_list.group(1)
