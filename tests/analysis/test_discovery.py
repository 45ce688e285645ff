"""Scenario discovery: PRIM must find the threshold of a known decoupling condition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from alliancesim.analysis.discovery import (
    discover,
    discovery_figure,
    find_boxes,
    screen_parameters,
)
from alliancesim.errors import InputError


def test_prim_finds_the_decoupling_threshold(claims_run):
    # data/claims.toml: decoupled exactly where param.theta > 0.7
    result = discover(claims_run, "decoupled")
    theta = claims_run.parameters()["param.theta"].to_numpy()
    assert result.cases == int((theta > 0.7).sum())
    assert result.base_density == pytest.approx((theta > 0.7).mean())
    assert result.condition == "decoupled by 2026Q2"
    (box,) = result.boxes
    (limit,) = box.restrictions
    assert limit["parameter"] == "param.theta"
    assert limit["low"] == pytest.approx(0.7, abs=0.02)
    assert limit["high"] == limit["full_high"]
    assert limit["qp_low"] < 1e-10
    assert box.density > 0.97 and box.coverage > 0.97
    assert box.describe() == f"param.theta ≥ {limit['low']:.4g}"
    json.dumps(result.to_dict())  # JSON-ready


def test_threshold_outcome_and_below(claims_run):
    # tilt.ROK under push = 0.5 + 0.4 (theta − 0.7): below 0.5 exactly where theta < 0.7
    result = discover(claims_run, "tilt.ROK", policy="push", threshold=0.5, below=True)
    theta = claims_run.parameters()["param.theta"].to_numpy()
    assert result.cases == int((theta < 0.7).sum())
    assert result.condition == "tilt.ROK < 0.5 at 2026Q2"
    (limit,) = result.boxes[0].restrictions
    assert limit["high"] == pytest.approx(0.7, abs=0.02)


def test_several_boxes_cover_two_separate_regions():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((3000, 3)), columns=["a", "b", "c"])
    y = ((x.a > 0.8) | (x.b < 0.15)).to_numpy()
    boxes = find_boxes(x, y, boxes=2)
    found = {r["parameter"] for b in boxes for r in b.restrictions}
    assert found == {"a", "b"}
    first = boxes[0].restrictions[0]
    if first["parameter"] == "a":
        assert first["low"] == pytest.approx(0.8, abs=0.03)
    else:
        assert first["high"] == pytest.approx(0.15, abs=0.03)


def test_no_box_without_cases_of_interest():
    x = pd.DataFrame({"a": np.linspace(0, 1, 100)})
    assert find_boxes(x, np.zeros(100, dtype=bool)) == []
    assert find_boxes(x.assign(a=1.0), np.ones(100, dtype=bool)) == []  # nothing varies


def test_continuous_outcome_needs_a_threshold(claims_run):
    with pytest.raises(InputError, match="--threshold"):
        discover(claims_run, "tilt.ROK", policy="push")
    with pytest.raises(InputError, match="not recorded"):
        discover(claims_run, "nonsense")
    with pytest.raises(InputError, match="was not run"):
        discover(claims_run, policy="nobody")


def test_figure_shows_trajectory_and_box(claims_run):
    box = discover(claims_run).boxes[0]
    fig = discovery_figure(box)
    trajectory, chosen, bars = fig.data
    assert list(trajectory.x) == [t["coverage"] for t in box.trajectory]
    assert chosen.x[0] == box.coverage
    assert list(bars.y) == ["param.theta"]
    assert bars.base[0] == pytest.approx(0.7, abs=0.02)


def test_screening_keeps_the_parameters_that_separate_the_cases():
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.random((2000, 40)), columns=[f"p{i:02d}" for i in range(40)])
    y = ((x.p07 > 0.75) & (x.p31 < 0.5)).to_numpy()
    kept = screen_parameters(x, y, 4)
    assert {"p07", "p31"} <= set(kept) and len(kept) == 4
    assert kept == sorted(kept)  # in the columns' order
    (box,) = find_boxes(x, y)
    assert len(box.searched) == 16 and {"p07", "p31"} <= set(box.searched)
    limits = {r["parameter"]: r for r in box.restrictions}
    assert limits["p07"]["low"] == pytest.approx(0.75, abs=0.03)
    assert limits["p31"]["high"] == pytest.approx(0.5, abs=0.05)
