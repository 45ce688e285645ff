"""The back-test report: observed points on the model's forecast, in the observations' units."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from alliancesim.analysis.backtest import backtest, overall_skill
from alliancesim.cli import app
from alliancesim.errors import InputError
from alliancesim.report.figures import history_chart
from alliancesim.report.html import render_backtest_report
from alliancesim.scenario import load_scenario

runner = CliRunner()


def test_level_chart_anchors_the_fan_on_the_base_and_shows_every_observation(scored_episode_path):
    result = backtest(load_scenario(scored_episode_path), members=16)
    charts = {(c.indicator, c.kind): c for c in result.charts}
    assert set(charts) == {
        ("level.A", "level"),
        ("other.A", "level"),
        ("count.launch", "count"),
        ("launches", "count"),
    }
    level = charts[("level.A", "level")].to_dict()
    # the fan runs from the initial state (2019Q4, step 0) to the horizon, in years
    assert level["fan_labels"][0] == "2019Q4" and level["fan_labels"][-1] == "2020Q4"
    assert level["fan_times"][0] == pytest.approx(2020.0)
    # anchored on the base (0.0): 0 until the shock in 2020Q2, then 1
    assert level["fan"]["q50"] == pytest.approx([0.0, 0.0, 1.0, 1.0, 1.0])
    assert level["persistence"] == pytest.approx([0.0] * 5)
    roles = [(p["at"], p["role"]) for p in level["points"]]
    assert roles == [
        ("1990Q1", "history"),
        ("2019Q2", "history"),
        ("2019Q4", "base"),
        ("2020Q4", "target"),
    ]
    figure = history_chart(level)
    observed = [t for t in figure.data if t.name and t.name.startswith("observed")]
    assert [t.name for t in observed] == [
        "observed (history)",
        "observed (base)",
        "observed (target)",
    ]
    target = observed[-1]
    assert list(target.y) == [1.2]
    assert list(target.error_y.array) == pytest.approx([1.645 * 0.1])


def test_count_chart_gives_each_window_the_model_and_the_references(scored_episode_path):
    result = backtest(load_scenario(scored_episode_path), members=16)
    chart = next(c for c in result.charts if c.indicator == "count.launch").to_dict()
    (window,) = chart["windows"]
    assert window["from"] == "2020Q1" and window["at"] == "2020Q4"
    assert window["q50"] == 2.0 and window["persistence"] == pytest.approx(4.0)
    names = {t.name for t in history_chart(chart).data}
    assert {"model median", "persistence", "trend", "observed (target)"} <= names


def test_backtest_report_file(scored_episode_path, toy_episode_path, tmp_path):
    out = tmp_path / "history.html"
    args = ["backtest", str(scored_episode_path), str(toy_episode_path), "-n", "40"]
    result = runner.invoke(app, [*args, "--report", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert '<meta name="generator" content="alliancesim' in text
    assert "The model against history" in text
    assert 'id="ep-scored-episode"' in text and 'id="ep-toy-episode"' in text
    assert len(re.findall(r'data-chart="chart-history-', text)) == 4 + 2
    # the observed values are in the charts' data, in their own units
    assert "1.2" in text and "observed (target)" in text
    # a file alliancesim did not write is not replaced
    foreign = tmp_path / "mine.html"
    foreign.write_text("not a report")
    refused = runner.invoke(app, [*args, "--report", str(foreign)])
    assert isinstance(refused.exception, InputError) and "--force" in str(refused.exception)
    assert foreign.read_text() == "not a report"


def test_render_is_self_contained(toy_episode_path):
    results = [backtest(load_scenario(toy_episode_path), members=20)]
    text = render_backtest_report(results, overall_skill(results), members=20, seed=0)
    assert "default-src 'none'" in text and "https://" not in text.split("<script>")[0]
    json.dumps(results[0].to_dict())  # the JSON of a back-test does not carry the charts
    assert "charts" not in results[0].to_dict()
