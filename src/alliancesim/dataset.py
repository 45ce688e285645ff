"""Build the labelled xarray Dataset of a run from its Parquet trajectories.

Dimensions: ``structure`` (for a run of several structures), ``policy``, ``member``, ``step``
(labelled by period), and for positions and
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
    model: Model,
    files: RunFiles,
    policies: list[str],
    members: int,
    attrs: dict[str, Any],
    *,
    structures: list[str] | None = None,
) -> xr.Dataset:
    """A run's trajectories under ``policies`` (and ``structures``, a leading dimension, when
    the files hold several) and its sampled parameters as an xarray Dataset (``attrs``: the
    run's provenance)."""
    H = model.horizon
    n = members
    frame = files.trajectory_frame(policies)
    params = files.parameter_frame()
    order = {"policy": {p: i for i, p in enumerate(policies)}}
    keys = ["policy", "member", "step"]
    lead: tuple[str, ...] = ("policy",)
    shape: tuple[int, ...] = (len(policies), n, H + 1)
    coords: dict[str, Any] = {}
    if structures is not None:
        order["structure"] = {s: i for i, s in enumerate(structures)}
        keys = ["structure", *keys]
        lead = ("structure", "policy")
        shape = (len(structures), *shape)
        coords["structure"] = structures
    frame = frame.sort_values(keys, key=lambda s: s.map(order[s.name]) if s.name in order else s)
    dims = (*lead, "member", "step")

    def cube(column: str) -> np.ndarray:
        return frame[column].to_numpy(dtype=np.float64).reshape(shape)

    coords |= {
        "policy": policies,
        "member": np.arange(n),
        "step": np.arange(H + 1),
        "period": ("step", model.clock.labels),
    }
    data: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    columns = set(frame.columns)
    issues = [i.id for i in model.issues]
    if any(name in columns for name in model.quantities):  # everything was recorded
        actors = model.actors
        for kind in ("position", "salience"):
            array = np.full((*shape, len(actors), len(issues)), np.nan)
            for a, actor in enumerate(actors):
                for k, issue in enumerate(issues):
                    name = f"{kind}.{actor}.{issue}"
                    if name in columns:
                        array[..., a, k] = cube(name)
            data[kind] = ((*dims, "actor", "issue"), array)
        coords["actor"] = actors
        coords["issue"] = issues
        for kind in ("outcome", "status_quo"):
            array = (
                np.stack([cube(f"issue.{i}.{kind}") for i in issues], axis=-1)
                if issues
                else np.zeros((*shape, 0))
            )
            data[kind] = ((*dims, "issue"), array)
        happenings = model.happenings
        coords["happening"] = happenings
        for kind in ("event", "count"):
            array = (
                np.stack([cube(f"{kind}.{h}") for h in happenings], axis=-1)
                if happenings
                else np.zeros((*shape, 0))
            )
            data[kind] = ((*dims, "happening"), array)
        for action in model.actions:
            data[f"consulted.{action.id}"] = (
                dims,
                cube(f"consulted.{action.id}"),
            )
        for state in model.quantities[: model.n_states]:
            data[state] = (dims, cube(state))
    for indicator in model.indicator_names:
        data[indicator] = (dims, cube(indicator))
    data["decoupled"] = (dims, frame["decoupled"].to_numpy().reshape(shape))
    for flag in model.decoupling_names:  # each observable sign's, the cohesion index's
        if flag in columns:
            data[flag] = (dims, frame[flag].to_numpy().astype(bool).reshape(shape))
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
