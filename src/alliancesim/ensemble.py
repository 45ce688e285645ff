"""The ensemble stage: simulate draws under policies, and a run's blocks chunk by chunk.

:func:`evaluate` is the one place where members are simulated on their draws
(:class:`alliancesim.draws.Draws`) under each policy; runs, experiments at chosen points,
calibration, back-tests and turn mode all come through it, on models compiled once per process
(:func:`compiled`). A run's members are split into blocks (the unit of randomness, see
:mod:`alliancesim.draws`); a task simulates ``CHUNK_BLOCKS`` consecutive blocks as one array
and returns each block's files and partial sums. Every policy of the run, under every structure
of the run (:mod:`alliancesim.structures`), is simulated on the same draws (common random
numbers), and every operation of a step is elementwise over members,
so results do not depend on how blocks are grouped or spread over workers: one process, a pool
or a Dask cluster give bit-identical results.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from alliancesim.draws import BLOCK_SIZE, Block, Draws, blocks_of
from alliancesim.engine import simulate
from alliancesim.errors import SimulationError
from alliancesim.executors import InlineExecutor, in_order
from alliancesim.model import Model, compile_model
from alliancesim.runfiles import TrajectoryWriter, parameters_file
from alliancesim.scenario.schema import Scenario
from alliancesim.sums import PartialSums, WeightedSums

__all__ = [
    "BLOCK_SIZE",
    "CHUNK_BLOCKS",
    "MEMBERS_PER_TASK",
    "BlockOutput",
    "blocks_of",
    "chunks_of",
    "compiled",
    "evaluate",
    "recorded_names",
    "run_blocks",
    "scenario_hash",
    "simulate_members",
    "summary_names",
]

CHUNK_BLOCKS = 2
"""Blocks simulated together as one array by a task (speed only; results do not depend on it)."""
MEMBERS_PER_TASK = CHUNK_BLOCKS * BLOCK_SIZE
"""Members a task simulates as one array (runs, and experiments' points × replicates)."""
MODELS_KEPT = 8
"""Compiled models a process keeps (by scenario hash)."""


def scenario_hash(scenario: Scenario) -> str:
    """A content hash of the scenario (its canonical JSON), for caching and the store."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


_MODELS: dict[str, Model] = {}


def compiled(scenario: Scenario, key: str | None = None) -> Model:
    """The scenario's model, compiled once per process (``key``: its :func:`scenario_hash`,
    when known)."""
    key = key or scenario_hash(scenario)
    model = _MODELS.get(key)
    if model is None:
        model = compile_model(scenario)
        if len(_MODELS) >= MODELS_KEPT:
            _MODELS.clear()
        _MODELS[key] = model
    return model


def evaluate(
    model: Model,
    policies: Sequence[str],
    draws: Draws,
    record: str | Sequence[str] = "all",
    *,
    structure: str = "seed",
) -> Iterator[tuple[str, np.ndarray]]:
    """Each policy's simulation of the members on ``draws`` under ``structure``, one policy at
    a time: (policy, record (steps + 1, recorded names, members)); ``record`` as
    :func:`alliancesim.engine.simulate`."""
    for name in policies:
        spec = model.under(name, structure)
        try:
            rec = simulate(model, spec, draws.parameters(model, spec), draws.slots, record=record)
        except SimulationError as exc:
            raise exc.located(policy=name, structure=structure) from None
        yield name, rec


def recorded_names(model: Model, record: str) -> list[str]:
    """Names of the stored columns for a record level: everything, or the indicators and the
    scenario's key indicators (with the decoupling flags: each sign's, the index's, and
    ``decoupled`` last)."""
    if record == "all":
        return model.record_names
    flags = [*model.decoupling_names, "decoupled"]
    extra = [k for k in model.key_indicators if k not in model.indicator_names and k not in flags]
    return [*model.indicator_names, *extra, *flags]


def summary_names(model: Model, record: str = "all") -> list[str]:
    """Measures summarised at the horizon: indicators, state variables (when recorded), the
    scenario's key indicators, and the decoupled flag."""
    names = [*model.indicator_names]
    if record == "all":
        names += model.quantities[: model.n_states]
    names += [k for k in model.key_indicators if k not in names and k != "decoupled"]
    return [*names, "decoupled"]


def chunks_of(members: int) -> list[tuple[Block, ...]]:
    """Consecutive blocks grouped ``CHUNK_BLOCKS`` at a time: the unit of work of a task.

    Fixed by member index only, never by the number of workers. Every operation of a step is
    elementwise over members (tests check that members computed together or apart agree bit
    for bit), so grouping blocks changes speed, not results.
    """
    blocks = blocks_of(members)
    return [tuple(blocks[k : k + CHUNK_BLOCKS]) for k in range(0, len(blocks), CHUNK_BLOCKS)]


def simulate_members(
    model: Model, policy: str, members: int, seed: int, structure: str = "seed"
) -> np.ndarray:
    """A run's ensemble under one policy (and structure), in this process: (steps + 1, names,
    members). The members draw exactly what ``alliancesim run`` draws for the same seed (same
    blocks)."""

    def task(chunk: tuple[Block, ...]) -> np.ndarray:
        draws = Draws.join([Draws.block(model, seed, block) for block in chunk])
        try:
            return next(evaluate(model, [policy], draws, structure=structure))[1]
        except SimulationError as exc:
            raise exc.located(first_member=chunk[0].start) from None

    parts = list(in_order(InlineExecutor(), task, chunks_of(members), window=1))
    return np.concatenate(parts, axis=2)


# --------------------------------------------------------------------------------------------
# a run's tasks


@dataclass
class BlockOutput:
    """One block's results: its Parquet files (trajectories, parameters), partial sums per
    structure, and the sums of the structures' weighted combination (None for one structure)."""

    index: int
    start: int
    size: int
    trajectories: bytes
    parameters: bytes
    sums: dict[str, PartialSums]
    weighted: WeightedSums | None = None


@dataclass(frozen=True)
class _Chunk:
    """A task of a run: consecutive blocks simulated as one array under every policy and
    structure (``weights``: the structures' weights, for their combination)."""

    scenario: Scenario
    key: str
    policies: tuple[str, ...]
    seed: int
    blocks: tuple[Block, ...]
    record: str
    structures: tuple[str, ...] = ("seed",)
    weights: tuple[float, ...] = (1.0,)


def _simulate_chunk(task: _Chunk) -> list[BlockOutput]:
    """Simulate the task's blocks as one array and return each block's own output; a value
    that is not finite stops it with a SimulationError naming the run's member."""
    try:
        return _simulate_blocks(task)
    except SimulationError as exc:
        raise exc.located(first_member=task.blocks[0].start) from None


def _simulate_blocks(task: _Chunk) -> list[BlockOutput]:
    """Simulate the task's blocks as one array and return each block's own output."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = compiled(task.scenario, task.key)
    draws = Draws.join([Draws.block(model, task.seed, block) for block in task.blocks])
    names = recorded_names(model, task.record)
    measures = summary_names(model, task.record)
    measure_rows = [names.index(n) for n in measures]
    H = model.horizon
    first = task.blocks[0].start
    spans = [(b.start - first, b.start - first + b.size) for b in task.blocks]  # in the chunk
    members = [np.arange(b.start, b.start + b.size, dtype=np.int64) for b in task.blocks]
    structured = bool(task.scenario.mechanisms)
    writers = [TrajectoryWriter(m, names, structured=structured) for m in members]
    sums = [{s: PartialSums(measures) for s in task.structures} for _ in task.blocks]
    several = len(task.structures) > 1
    combined: list[dict[str, list[np.ndarray]]] = [{} for _ in task.blocks]
    record = "all" if task.record == "all" else names
    for structure, weight in zip(task.structures, task.weights, strict=True):
        baseline: list[np.ndarray | None] = [None] * len(task.blocks)
        for policy, rec in evaluate(model, task.policies, draws, record, structure=structure):
            for b, (lo, hi) in enumerate(spans):
                part = rec[:, :, lo:hi]
                writers[b].add(policy, part, structure)
                horizon = part[H, measure_rows, :]
                if policy == "baseline":
                    baseline[b] = horizon
                sums[b][structure].add_members(policy, part[:, -1, :], horizon, baseline[b])
                if several:
                    assert baseline[b] is not None
                    _combine(combined[b], policy, weight, part[:, -1, :], horizon, baseline[b])
            del rec, part
    drawn = draws.parameters(model, model.policy("baseline"))
    outputs = []
    for b, (block, (lo, hi)) in enumerate(zip(task.blocks, spans, strict=True)):
        values = {model.parameters[row].name: drawn[row, lo:hi] for row in draws.unit_rows}
        weighted = None
        if several:
            weighted = WeightedSums(measures, dict(zip(task.structures, task.weights, strict=True)))
            for policy, (decoupled, horizon, diff) in combined[b].items():
                weighted.add_members(policy, decoupled, horizon, diff)
        outputs.append(
            BlockOutput(
                block.index,
                block.start,
                block.size,
                writers[b].close(),
                parameters_file(members[b], values),
                sums[b],
                weighted,
            )
        )
    return outputs


def _combine(
    into: dict[str, list[np.ndarray]],
    policy: str,
    weight: float,
    decoupled: np.ndarray,
    horizon: np.ndarray,
    baseline: np.ndarray,
) -> None:
    """Add one structure's members, times its weight, to their combination under ``policy``:
    the decoupled flags by step, the measures at the horizon and their paired differences."""
    terms = [weight * decoupled, weight * horizon, weight * (horizon - baseline)]
    if policy not in into:
        into[policy] = terms
    else:
        for total, term in zip(into[policy], terms, strict=True):
            total += term


def run_blocks(
    scenario: Scenario,
    policies: Sequence[str],
    members: int,
    seed: int,
    executor: Executor,
    *,
    record: str = "all",
    window: int = 4,
    structures: dict[str, float] | None = None,
) -> Iterator[BlockOutput]:
    """Simulate every block under every policy and structure (``structures``: name → weight;
    None: the seed alone); yield outputs in block order, keeping at most ``window`` tasks in
    flight."""
    key = scenario_hash(scenario)
    chosen = structures or {"seed": 1.0}
    tasks = [
        _Chunk(
            scenario,
            key,
            tuple(policies),
            seed,
            chunk,
            record,
            tuple(chosen),
            tuple(chosen.values()),
        )
        for chunk in chunks_of(members)
    ]
    for outputs in in_order(executor, _simulate_chunk, tasks, window=window):
        yield from outputs
