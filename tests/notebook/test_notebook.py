"""In a notebook: short reprs and small escaped HTML, the summary as a tidy DataFrame, the
report's figures from ``results.plot``, and a lazily read, CF-described Dataset."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from alliancesim.bands import indicator_bands
from alliancesim.dataset import build_dataset
from alliancesim.report import figures
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario
from alliancesim.workflows import view_of_run

ALLIANCE = Path(__file__).parents[1] / "report" / "data" / "alliance.toml"


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(ALLIANCE, members=300, seed=2)


def test_reprs_are_short_and_html_is_escaped(results, tmp_path) -> None:
    assert len(repr(results)) < 300 and results.run_id in repr(results)
    scenario = results.model.scenario
    assert len(repr(scenario)) < 300 and scenario.id in repr(scenario)
    for html in (results._repr_html_(), results.summary()._repr_html_(), scenario._repr_html_()):
        assert html.startswith("<div>") and len(html) < 5000
    text = ALLIANCE.read_text(encoding="utf-8")
    title = scenario.scenario.title
    tricky = tmp_path / "tricky.toml"
    tricky.write_text(text.replace(title, "A <script>alert(1)</script> & co"), encoding="utf-8")
    html = load_scenario(tricky)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_summary_frame_is_tidy_and_holds_the_summary(results) -> None:
    summary = results.summary()
    frame = summary.to_frame()
    assert list(frame.columns) == ["policy", "measure", "statistic", "at", "value"]
    assert not frame.duplicated(["policy", "measure", "statistic", "at"]).any()
    for name, p in summary.policies.items():
        row = frame[(frame.policy == name) & (frame.measure == "decoupled")]
        row = row[row.statistic == "p"]
        assert list(row["value"]) == p.p_decoupling_by_step
        assert list(row["at"]) == summary.steps
        cohesion = p.indicators["cohesion"]
        got = frame[(frame.policy == name) & (frame.measure == "cohesion")]
        got = got[got.statistic == "q50"]["value"]
        assert list(got) == [cohesion["q50"]]
    assert frame.query("policy == 'baseline' and statistic == 'change'").empty


def test_plots_are_the_reports_figures(results) -> None:
    view = view_of_run(results, None)
    report = figures.decoupling_figure(view.decoupling_data(), labels=view.policy_labels)
    assert results.plot.decoupling().to_plotly_json() == report
    bands = indicator_bands(results, ["cohesion"])
    fan = figures.fan_figure(bands, "cohesion", labels=view.policy_labels)
    assert results.plot.fan("cohesion").to_plotly_json() == fan
    ranking = figures.ranking_chart(
        view.ranking, horizon=view.horizon, counterfactuals=view.counterfactuals
    )
    assert results.plot.ranking().to_plotly_json() == ranking.to_plotly_json()


def test_dataset_is_lazy_described_and_equal_to_the_eager_one(results, tmp_path) -> None:
    from alliancesim.store import Store
    from alliancesim.workflows import run_and_store

    assert results.dataset()["cohesion"].chunks is None  # kept in memory: built at once
    store = Store(tmp_path / "store")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        made = run_and_store(store, ALLIANCE, members=300, seed=2)
    results = store.open_run(made.record.run_id)
    data = results.dataset()
    assert data["cohesion"].chunks is not None  # on disk: backed by Dask, read when asked
    eager = build_dataset(results.model, results.files, results.policies, results.members, {})
    for name in eager.data_vars:
        xr.testing.assert_equal(
            data[name].reset_coords(drop=True).load(), eager[name].reset_coords(drop=True)
        )
    for name, variable in data.data_vars.items():
        assert {"long_name", "units", "source"} <= set(variable.attrs), name
        assert variable.attrs["source"], name
    assert data.attrs["run_id"] == results.run_id
    assert data.attrs["alliancesim_version"] and data.attrs["Conventions"].startswith("CF")
    assert data["time"].dims == ("step",) and data["period"].values[0] == results.steps[0]
    first = pd.Period(results.steps[0], freq="Q").start_time
    assert pd.Timestamp(data["time"].values[0]) == first
    one = data["cohesion"].sel(policy="baseline").values
    np.testing.assert_array_equal(one, eager["cohesion"].sel(policy="baseline").values)
