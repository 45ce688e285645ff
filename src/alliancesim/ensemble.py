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
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim.engine import parameter_values, simulate
from alliancesim.model import Model, compile_model
from alliancesim.runfiles import TrajectoryWriter, parameters_file
from alliancesim.scenario.schema import Scenario
from alliancesim.sums import PartialSums

__all__ = [
    "BLOCK_SIZE",
    "BlockDraws",
    "BlockOutput",
    "InlineExecutor",
    "blocks_of",
    "chunks_of",
    "draw_block",
    "make_executor",
    "run_blocks",
    "scenario_hash",
    "simulate_block",
]

BLOCK_SIZE = 2048
"""Members per random-number block. Changing it changes every result: it is part of a seed."""
CHUNK_BLOCKS = 2
"""Blocks simulated together as one array by a task (speed only; results do not depend on it)."""


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
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(unit_rows), rng=rng).random(size).T.copy()
    else:
        unit = np.empty((0, size))
    slots = rng.random((model.horizon, model.n_slots, size))
    return BlockDraws(index, start, unit, unit_rows, slots)


@dataclass
class BlockOutput:
    """One block's results: its Parquet files (trajectories, parameters) and partial sums."""

    index: int
    start: int
    size: int
    trajectories: bytes
    parameters: bytes
    sums: PartialSums


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


def _chunk_outputs(
    model: Model, policies: Sequence[str], chunk: Sequence[BlockDraws], record: str
) -> list[BlockOutput]:
    """Simulate consecutive blocks as one array (fewer, larger vectorised operations) and
    return each block's own output: its Parquet files and its partial sums."""
    names = recorded_names(model, record)
    measures = summary_names(model, record)
    measure_rows = [names.index(n) for n in measures]
    H = model.horizon
    unit = np.concatenate([d.unit for d in chunk], axis=1)
    slots = np.concatenate([d.slots for d in chunk], axis=2)
    first = chunk[0].start
    spans = [(d.start - first, d.start - first + d.size) for d in chunk]  # in the chunk
    members = [np.arange(d.start, d.start + d.size, dtype=np.int64) for d in chunk]
    writers = [TrajectoryWriter(m, names) for m in members]
    sums = [PartialSums(measures) for _ in chunk]
    baseline: list[np.ndarray | None] = [None] * len(chunk)
    for policy in policies:
        spec = model.policy(policy)
        P = parameter_values(model, spec, unit, chunk[0].unit_rows)
        rec = simulate(model, spec, P, slots, record="all" if record == "all" else names)
        for b, (lo, hi) in enumerate(spans):
            part = rec[:, :, lo:hi]
            writers[b].add(policy, part)
            horizon = part[H, measure_rows, :]
            if policy == "baseline":
                baseline[b] = horizon
            sums[b].add_members(policy, part[:, -1, :], horizon, baseline[b])
        del rec, part
    drawn = parameter_values(model, model.policy("baseline"), unit, chunk[0].unit_rows)
    outputs = []
    for b, (draws, (lo, hi)) in enumerate(zip(chunk, spans, strict=True)):
        values = {model.parameters[row].name: drawn[row, lo:hi] for row in draws.unit_rows}
        outputs.append(
            BlockOutput(
                draws.index,
                draws.start,
                draws.size,
                writers[b].close(),
                parameters_file(members[b], values),
                sums[b],
            )
        )
    return outputs


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
    blocks: tuple[tuple[int, int, int], ...]
    record: str


def _run_task(task: _Task) -> list[BlockOutput]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = _model_for(task.scenario, task.key)
    chunk = [draw_block(model, task.seed, index, start, size) for index, start, size in task.blocks]
    return _chunk_outputs(model, task.policies, chunk, task.record)


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


def chunks_of(members: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Consecutive blocks grouped ``CHUNK_BLOCKS`` at a time: the unit of work of a task.

    Fixed by member index only, never by the number of workers. Every operation of a step is
    elementwise over members (tests check that members computed together or apart agree bit
    for bit), so grouping blocks changes speed, not results.
    """
    blocks = blocks_of(members)
    return [tuple(blocks[k : k + CHUNK_BLOCKS]) for k in range(0, len(blocks), CHUNK_BLOCKS)]


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
    """Simulate every block; yield outputs in block order, keeping at most ``window`` tasks in flight."""
    key = scenario_hash(scenario)
    tasks = [
        _Task(scenario, key, tuple(policies), seed, chunk, record) for chunk in chunks_of(members)
    ]
    pending: dict[int, Future] = {}
    next_submit = 0
    for k in range(len(tasks)):
        while next_submit < len(tasks) and next_submit < k + window:
            pending[next_submit] = executor.submit(_run_task, tasks[next_submit])
            next_submit += 1
        yield from pending.pop(k).result()


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (fast start, no main-module guard needed), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
