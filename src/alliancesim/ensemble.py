"""Ensembles: seeds, Latin-hypercube draws of the uncertain parameters, blocks, executors.

Members are split into fixed-size *blocks* (``BLOCK_SIZE`` members, by member index only).
Block ``b`` draws everything it needs from ``SeedSequence(seed, spawn_key=(b,))``: first a
Latin hypercube over the scenario's uncertain parameters, then the uniform slots of every
step. Every policy of the run is simulated on the same draws (common random numbers), and a
block is always simulated as one array, so the results do not depend on how blocks are spread
over workers: one process, a pool or a Dask cluster give bit-identical results.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.stats import qmc

from alliancesim.engine import parameter_values, simulate
from alliancesim.model import Model, compile_model
from alliancesim.scenario.schema import Scenario

__all__ = [
    "BLOCK_SIZE",
    "BlockDraws",
    "BlockOutput",
    "InlineExecutor",
    "blocks_of",
    "draw_block",
    "make_executor",
    "run_blocks",
    "scenario_hash",
    "simulate_block",
]

BLOCK_SIZE = 2048
"""Members per random-number block. Changing it changes every result: it is part of a seed."""


def blocks_of(members: int) -> list[tuple[int, int, int]]:
    """(block index, first member, size) of each block of an ensemble of ``members``."""
    return [
        (b, start, min(BLOCK_SIZE, members - start))
        for b, start in enumerate(range(0, members, BLOCK_SIZE))
    ]


@dataclass(frozen=True)
class BlockDraws:
    """The random draws of one block: parameter uniforms (LHS) and per-step event slots."""

    index: int
    start: int
    unit: np.ndarray  # (uncertain parameters, members) in [0, 1)
    unit_rows: list[int]  # parameter rows of the LHS columns
    slots: np.ndarray  # (steps, slots, members) in [0, 1)

    @property
    def size(self) -> int:
        """Members in the block."""
        return self.slots.shape[2] if self.slots.ndim == 3 else self.unit.shape[1]


def draw_block(model: Model, seed: int, index: int, start: int, size: int) -> BlockDraws:
    """Draw block ``index``'s parameters (Latin hypercube) and event slots from the run's seed."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))
    unit_rows = model.uncertain_rows(model.scenario.policy_ids)
    if unit_rows:
        unit = qmc.LatinHypercube(d=len(unit_rows), rng=rng).random(size).T.copy()
    else:
        unit = np.empty((0, size))
    slots = rng.random((model.horizon, model.n_slots, size))
    return BlockDraws(index, start, unit, unit_rows, slots)


@dataclass
class BlockOutput:
    """One block's results: a Parquet file of trajectories, one of parameters, and summaries."""

    index: int
    start: int
    size: int
    trajectories: bytes  # Parquet: policy, member, step, recorded names…
    parameters: bytes  # Parquet: member, parameter names… (as drawn, before policy changes)
    decoupled_by_step: dict[str, np.ndarray]  # policy -> members decoupled at each step
    horizon_sum: dict[str, np.ndarray]  # policy -> Σ value at the horizon, per recorded measure
    horizon_sq: dict[str, np.ndarray]  # policy -> Σ value²
    diff_sum: dict[str, np.ndarray]  # policy -> Σ (value − baseline value)
    diff_sq: dict[str, np.ndarray]  # policy -> Σ (value − baseline value)²


def simulate_block(
    model: Model, policies: Sequence[str], draws: BlockDraws, *, record: str = "all"
) -> dict[str, np.ndarray]:
    """Simulate one block under each policy; record arrays (steps + 1, names, members) by policy."""
    out = {}
    for name in policies:
        spec = model.policy(name)
        P = parameter_values(model, spec, draws.unit, draws.unit_rows)
        out[name] = simulate(model, spec, P, draws.slots, record=record)
    return out


def recorded_names(model: Model, record: str) -> list[str]:
    """Names of the stored columns for a record level: everything, or the indicators and the
    scenario's key indicators (with the decoupled flag)."""
    if record == "all":
        return model.record_names
    extra = [k for k in model.key_indicators if k not in model.indicator_names and k != "decoupled"]
    return [*model.indicator_names, *extra, "decoupled"]


def summary_names(model: Model, record: str = "all") -> list[str]:
    """Measures summarised at the horizon: indicators, state variables (when recorded), the
    scenario's key indicators, and the decoupled flag."""
    names = [*model.indicator_names]
    if record == "all":
        names += model.quantities[: model.n_states]
    names += [k for k in model.key_indicators if k not in names and k != "decoupled"]
    return [*names, "decoupled"]


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", compression_level=1)
    return sink.getvalue()


def _block_output(
    model: Model, policies: Sequence[str], draws: BlockDraws, record: str
) -> BlockOutput:
    arrays = simulate_block(model, policies, draws)
    names = recorded_names(model, record)
    if record != "all":
        keep = [model.record_names.index(n) for n in names]
        arrays = {policy: rec[:, keep, :] for policy, rec in arrays.items()}
    H = model.horizon
    B = draws.size
    members = np.arange(draws.start, draws.start + B, dtype=np.int64)
    measure_idx = [names.index(n) for n in summary_names(model, record)]
    tables = []
    decoupled_by_step, h_sum, h_sq, d_sum, d_sq = {}, {}, {}, {}, {}
    base = arrays.get("baseline")
    for name in policies:
        rec = arrays[name]  # (H+1, n, B)
        columns: dict[str, Any] = {
            "policy": pa.array([name] * ((H + 1) * B)).dictionary_encode(),
            "member": np.tile(members, H + 1),
            "step": np.repeat(np.arange(H + 1, dtype=np.int16), B),
        }
        for j, col in enumerate(names):
            values = rec[:, j, :].reshape(-1)
            columns[col] = values.astype(bool) if col == "decoupled" else values
        tables.append(pa.table(columns))
        decoupled_by_step[name] = rec[:, -1, :].sum(axis=1).astype(np.int64)
        horizon = rec[H, measure_idx, :]
        h_sum[name] = horizon.sum(axis=1)
        h_sq[name] = np.square(horizon).sum(axis=1)
        if base is not None:
            diff = horizon - base[H, measure_idx, :]
            d_sum[name] = diff.sum(axis=1)
            d_sq[name] = np.square(diff).sum(axis=1)
    param_columns: dict[str, Any] = {"member": members}
    values = parameter_values(model, model.policy("baseline"), draws.unit, draws.unit_rows)
    for row in draws.unit_rows:
        param_columns[model.parameters[row].name] = values[row]
    return BlockOutput(
        index=draws.index,
        start=draws.start,
        size=B,
        trajectories=_parquet(pa.concat_tables(tables)),
        parameters=_parquet(pa.table(param_columns)),
        decoupled_by_step=decoupled_by_step,
        horizon_sum=h_sum,
        horizon_sq=h_sq,
        diff_sum=d_sum,
        diff_sq=d_sq,
    )


# --------------------------------------------------------------------------------------------
# tasks and executors

_MODEL_CACHE: dict[str, Model] = {}


def scenario_hash(scenario: Scenario) -> str:
    """A content hash of the scenario (its canonical JSON), for caching and the store."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def _model_for(scenario: Scenario, key: str) -> Model:
    model = _MODEL_CACHE.get(key)
    if model is None:
        model = compile_model(scenario)
        _MODEL_CACHE.clear()
        _MODEL_CACHE[key] = model
    return model


@dataclass(frozen=True)
class _Task:
    scenario: Scenario
    key: str
    policies: tuple[str, ...]
    seed: int
    block: tuple[int, int, int]
    record: str


def _run_task(task: _Task) -> BlockOutput:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = _model_for(task.scenario, task.key)
    index, start, size = task.block
    draws = draw_block(model, task.seed, index, start, size)
    return _block_output(model, task.policies, draws, task.record)


class InlineExecutor(Executor):
    """Runs each task at once in this process (the in-process executor)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        """Run ``fn`` now and return a finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def make_executor(
    workers: int = 1, scheduler: str | None = None, dask_local: bool = False
) -> Executor:
    """The executor for a run: in-process, a process pool of ``workers``, or Dask."""
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        executor = client.get_executor()
        executor._alliancesim_client = client  # type: ignore[attr-defined]
        return executor
    if workers <= 1:
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=workers, mp_context=_process_context())


def run_blocks(
    scenario: Scenario,
    policies: Sequence[str],
    members: int,
    seed: int,
    executor: Executor,
    *,
    record: str = "all",
    window: int = 4,
) -> Iterator[BlockOutput]:
    """Simulate every block; yield outputs in block order, keeping at most ``window`` in flight."""
    key = scenario_hash(scenario)
    tasks = [
        _Task(scenario, key, tuple(policies), seed, block, record) for block in blocks_of(members)
    ]
    pending: dict[int, Future] = {}
    next_submit = 0
    for k in range(len(tasks)):
        while next_submit < len(tasks) and next_submit < k + window:
            pending[next_submit] = executor.submit(_run_task, tasks[next_submit])
            next_submit += 1
        yield pending.pop(k).result()


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (fast start, no main-module guard needed), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
