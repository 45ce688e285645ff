"""A run's trajectories as a labelled xarray Dataset that reads its Parquet only when asked,
described as CF conventions describe data.

``Results.dataset()`` gives the variables of :func:`alliancesim.dataset.build_dataset`
(policy × member × step, with actor × issue, issue or happening where they have them, and
``parameter_values``). For a run on disk (stored, or too large for memory) each is backed by a
Dask array with one chunk per policy and block of members: selecting one policy and one
variable reads one column of each block's file, so a 100,000-member run is never loaded whole.
A run kept in memory (small by construction), or any run without Dask (an optional extra), is
built at once.

Every variable carries ``long_name`` (the scenario's label, or what the quantity is),
``units`` (``1`` for dimensionless shares and scores, ``scale 0–100`` for positions on an
issue, ``count`` for event counts) and ``source`` (the scenario entry's source: a seed quote,
a public source or an assumption); ``time`` is a coordinate along ``step`` (the first day of
each quarter, or month or year), ``period`` keeps the labels; the Dataset's attributes say
the run id, the scenario, the seed, the members, the alliancesim version and the conventions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from alliancesim.results import Results

__all__ = ["describe", "lazy_dataset", "run_dataset"]

CONVENTIONS = "CF-1.10"


def run_dataset(results: Results, policies: list[str] | None = None) -> xr.Dataset:
    """The run's Dataset under ``policies`` (default: all), with its CF attributes and time
    coordinate: read lazily from a run's files (where Dask is installed), built at once for a
    run small enough to be kept in memory (faster whole, and already in memory) and for a run
    of several structures (a leading ``structure`` dimension)."""
    chosen = list(policies or results.policies)
    lazy = not results.files.tables and not results.several
    if lazy:
        try:
            import dask.array  # noqa: F401
        except ImportError:
            lazy = False
    if lazy:
        data = lazy_dataset(results, chosen)
    else:
        from alliancesim.dataset import build_dataset

        structures = results.structures if results.several else None
        data = build_dataset(
            results.model, results.files, chosen, results.members, {}, structures=structures
        )
    return describe(data, results)


def lazy_dataset(results: Results, policies: list[str]) -> xr.Dataset:
    """The variables of :func:`alliancesim.dataset.build_dataset`, backed by Dask arrays read
    block by block from the run's files."""
    import dask.array as da

    model, files = results.model, results.files
    steps = model.horizon + 1
    sizes = files.block_sizes()
    chunks = ((1,) * len(policies), tuple(sizes), (steps,))
    recorded = files.columns()

    flags = {"decoupled", *model.decoupling_names}

    def cube(name: str) -> Any:
        dtype = np.bool_ if name in flags else np.float64

        def read(block_info: Any = None) -> np.ndarray:
            p, b, _ = block_info[None]["chunk-location"]
            values = files.block_values(b, [name], policies[p], steps)[name]
            return values.astype(dtype, copy=False)[None]

        return da.map_blocks(
            read,
            chunks=chunks,
            dtype=dtype,
            meta=np.empty((0, 0, 0), dtype=dtype),
            name=_key(name),
        )

    shape = (len(policies), results.members, steps)

    def missing() -> Any:
        return da.full(shape, np.nan, chunks=chunks)

    coords: dict[str, Any] = {
        "policy": policies,
        "member": np.arange(results.members),
        "step": np.arange(steps),
        "period": ("step", model.clock.labels),
    }
    data: dict[str, tuple[tuple[str, ...], Any]] = {}
    issues = [i.id for i in model.issues]
    base = ("policy", "member", "step")

    def stacked(names: list[str], fill: Callable[[], Any] = missing) -> Any:
        if not names:
            return da.zeros((*shape, 0), chunks=(*chunks, (0,)))
        return da.stack([cube(n) if n in recorded else fill() for n in names], axis=-1)

    if any(c.startswith("position.") for c in recorded):
        actors = model.actors
        for kind in ("position", "salience"):
            per_actor = [stacked([f"{kind}.{a}.{i}" for i in issues]) for a in actors]
            data[kind] = ((*base, "actor", "issue"), da.stack(per_actor, axis=-2))
        coords["actor"] = actors
        coords["issue"] = issues
        for kind in ("outcome", "status_quo"):
            data[kind] = ((*base, "issue"), stacked([f"issue.{i}.{kind}" for i in issues]))
        coords["happening"] = model.happenings
        for kind in ("event", "count"):
            data[kind] = ((*base, "happening"), stacked([f"{kind}.{h}" for h in model.happenings]))
        for action in model.actions:
            data[f"consulted.{action.id}"] = (base, cube(f"consulted.{action.id}"))
        for state in model.quantities[: model.n_states]:
            data[state] = (base, cube(state))
    for indicator in model.indicator_names:
        data[indicator] = (base, cube(indicator))
    data["decoupled"] = (base, cube("decoupled"))
    for flag in model.decoupling_names:  # each observable sign's, the cohesion index's
        if flag in recorded:
            data[flag] = (base, cube(flag))
    names = files.parameter_names()

    def read_parameters(block_info: Any = None) -> np.ndarray:
        b, _ = block_info[None]["chunk-location"]
        return files.block_parameters(b, names)

    coords["parameter"] = names
    data["parameter_values"] = (
        ("member", "parameter"),
        da.map_blocks(
            read_parameters,
            chunks=(tuple(sizes), (len(names),)),
            dtype=np.float64,
            meta=np.empty((0, 0)),
            name=_key("parameter_values"),
        ),
    )
    return xr.Dataset(data, coords=coords)


def _key(name: str) -> str:
    """A unique key for one variable's reads: given outright, so Dask does not hash the
    reader (and with it the run's files) to name it."""
    return f"alliancesim-{name}-{uuid.uuid4().hex}"


def _quarter_starts(model: Any) -> Any:
    """The first day of each step's period (``2025Q3`` → 2025-07-01) as datetime64."""
    import pandas as pd

    frequency = {"quarter": "Q", "month": "M", "year": "Y"}.get(model.scenario.scenario.step, "Q")
    return pd.PeriodIndex(model.clock.labels, freq=frequency).start_time.to_numpy()


def _source_text(source: Any) -> str:
    from alliancesim.scenario.schema import SeedQuote

    if isinstance(source, SeedQuote):
        return f"{source.seed}: “{source.quote}”"
    return str(source) if source else ""


def describe(data: xr.Dataset, results: Results) -> xr.Dataset:
    """``data`` with CF-style attributes on every variable, a ``time`` coordinate along
    ``step`` and the run's provenance as the Dataset's attributes."""
    from alliancesim import __version__
    from alliancesim.presentation import quantity_labels
    from alliancesim.presentation.run_view import decoupling_text

    model = results.model
    scenario = model.scenario
    decoupling = scenario.decoupling
    labels = quantity_labels(scenario)
    sources = {s.id: _source_text(s.source) for s in scenario.state}
    sources.update({i.id: _source_text(i.source) for i in scenario.indicators})
    sources.update({a.id: _source_text(a.source) for a in scenario.actions})
    default_source = _source_text(scenario.scenario.seed and f"seed {scenario.scenario.seed}")
    described = {
        "position": ("position of each actor on each issue", "scale 0-100"),
        "salience": ("salience of each issue to each actor", "1"),
        "outcome": ("outcome of each issue's bargaining", "scale 0-100"),
        "status_quo": ("status quo of each issue", "scale 0-100"),
        "event": ("whether each event or action happened in the step", "1"),
        "count": ("how many times each event happened in the step", "count"),
        "parameter_values": ("each member's draw of the uncertain parameters", "1"),
        "decoupled": (f"alliance decoupled: {decoupling_text(scenario)}", "1"),
    }
    for sign in decoupling.signs:
        described[f"decoupled.{sign.id}"] = (
            f"decoupling sign seen: {sign.label or sign.id} ({sign.when.text} for "
            f"{sign.for_steps} step(s))",
            "1",
        )
    if decoupling.index is not None:
        described["decoupled.index"] = (
            f"cohesion index crossed: {decoupling.index.when.text} for "
            f"{decoupling.index.for_steps} step(s)",
            "1",
        )
    for name, variable in data.data_vars.items():
        key = str(name)
        if key in described:
            long_name, units = described[key]
        elif key.startswith("consulted."):
            long_name, units = f"whether {key.split('.', 1)[1]} was genuinely consulted", "1"
            sources.setdefault(key, sources.get(key.split(".", 1)[1], ""))
        else:
            long_name, units = labels.get(key) or key, "1"
        source = sources.get(key) or (
            _source_text(scenario.decoupling.source) if key == "decoupled" else ""
        )
        variable.attrs.update(
            long_name=long_name,
            units=units,
            source=source or f"scenario {scenario.id} ({default_source or 'see its file'})",
        )
    data = data.assign_coords(time=("step", _quarter_starts(model)))
    data["time"].attrs.update(standard_name="time", long_name="first day of the period")
    data["period"].attrs.update(long_name="period label")
    data["step"].attrs.update(long_name="step of the simulation (0: the start)")
    data["member"].attrs.update(long_name="ensemble member (one plausible world)")
    data.attrs.update(
        Conventions=CONVENTIONS,
        title=scenario.scenario.title,
        source=f"alliancesim {__version__} ensemble run",
        alliancesim_version=__version__,
        run_id=results.run_id,
        scenario=scenario.id,
        scenario_hash=results.scenario_hash,
        seed=results.seed,
        members=results.members,
        record=results.record,
    )
    if results.structured:
        data.attrs["structures"] = ", ".join(results.structures)
    return data
