"""Build the labelled xarray Dataset of a run from its Parquet trajectories.

Dimensions: ``policy``, ``member``, ``step`` (labelled by period), and for positions and
saliences ``actor`` × ``issue`` (NaN where an actor does not take part in an issue); issue
outcomes and status quos have an ``issue`` dimension, events and counts a ``happening``
dimension. Every other recorded quantity (state variables, indicators, ``decoupled``) is its
own variable named as in the scenario; sampled parameters are ``parameter_values`` (member ×
parameter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from alliancesim.model import Model
    from alliancesim.runfiles import RunFiles

__all__ = ["build_dataset"]


def build_dataset(
    model: Model, files: RunFiles, policies: list[str], members: int, attrs: dict[str, Any]
) -> xr.Dataset:
    """A run's trajectories under ``policies`` and its sampled parameters as an xarray Dataset
    (``attrs``: the run's provenance)."""
    H = model.horizon
    n = members
    frame = files.trajectory_frame(policies)
    params = files.parameter_frame()
    order = {p: i for i, p in enumerate(policies)}
    frame = frame.sort_values(
        ["policy", "member", "step"], key=lambda s: s.map(order) if s.name == "policy" else s
    )
    shape = (len(policies), n, H + 1)

    def cube(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=np.float64).reshape(shape)

    coords = {
        "policy": policies,
        "member": np.arange(n),
        "step": np.arange(H + 1),
        "period": ("step", model.clock.labels),
    }
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    columns = set(frame.columns)
    issues = [i.id for i in model.issues]
    if any(c.startswith("position.") for c in columns):
        actors = model.actors
        for kind in ("position", "salience"):
            array = np.full((*shape, len(actors), len(issues)), np.nan)
            for a, actor in enumerate(actors):
                for k, issue in enumerate(issues):
                    name = f"{kind}.{actor}.{issue}"
                    if name in columns:
                        array[..., a, k] = cube(name)
            data[kind] = (("policy", "member", "step", "actor", "issue"), array)
        coords["actor"] = actors
        coords["issue"] = issues
        for kind in ("outcome", "status_quo"):
            array = (
                np.stack([cube(f"issue.{i}.{kind}") for i in issues], axis=-1)
                if issues
                else np.zeros((*shape, 0))
            )
            data[kind] = (("policy", "member", "step", "issue"), array)
        happenings = model.happenings
        coords["happening"] = happenings
        for kind in ("event", "count"):
            array = (
                np.stack([cube(f"{kind}.{h}") for h in happenings], axis=-1)
                if happenings
                else np.zeros((*shape, 0))
            )
            data[kind] = (("policy", "member", "step", "happening"), array)
        for action in model.actions:
            data[f"consulted.{action.id}"] = (
                ("policy", "member", "step"),
                cube(f"consulted.{action.id}"),
            )
        for state in model.quantities[: model.n_states]:
            data[state] = (("policy", "member", "step"), cube(state))
    for indicator in model.indicator_names:
        data[indicator] = (("policy", "member", "step"), cube(indicator))
    data["decoupled"] = (("policy", "member", "step"), frame["decoupled"].to_numpy().reshape(shape))
    parameter_names = [c for c in params.columns if c != "member"]
    coords["parameter"] = parameter_names
    data["parameter_values"] = (
        ("member", "parameter"),
        params[parameter_names].to_numpy(dtype=np.float64) if parameter_names else np.zeros((n, 0)),
    )
    return xr.Dataset(
        data,
        coords=coords,
        attrs=attrs,
    )
