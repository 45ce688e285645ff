"""What a run will cost before it starts: member-steps to simulate, bytes it will store, memory.

A run simulates every plausible world (member) of an ensemble under every policy, one quarter
(step) at a time, and stores one row per member, policy and step (0 to the horizon) with one
column per recorded quantity, plus one row of sampled parameters per member. All of that is
known from the compiled scenario before anything is simulated, so a front end can refuse a run
the machine cannot hold instead of failing half-way (hardening issue, items 6 and 7).

The stored size is an estimate, deliberately on the high side:

    trajectories = members × policies × (steps + 1) × (recorded columns + 3) × 8 bytes × factor
    parameters   = members × (uncertain parameters + 1) × 8 bytes × 1.05

The three extra columns are the row's policy, member and step, as the runner counts them; 8 bytes
is a float64. ``factor`` is Parquet's compression of the trajectories (LZ4), measured on stored
runs of every built-in scenario with its default policies, 20,000 members, seed 0
(``benchmarks/RESULTS.md``, "Stored size of a run"):

=================  ========  ======  ========  =======================  ==========================
scenario           policies  steps   columns   stored / raw, ``all``     stored / raw, ``indicators``
=================  ========  ======  ========  =======================  ==========================
us-rok-2025        7         18      121       0.266 (701 MB)           0.411 (192 MB, 19 columns)
us-rok-2021        9         5       158       0.323 (449 MB)           0.435 (83 MB, 19 columns)
us-rok-2019        6         8       92        0.269 (221 MB)
carter-1977        1         12      54        0.284 (34 MB)            0.163 (6 MB, 16 columns)
cost-sharing-2019  1         6       69        0.308 (25 MB)
thaad-2017         1         8       61        0.284 (26 MB)
=================  ========  ======  ========  =======================  ==========================

so the factor is 0.35 when everything is recorded (the largest measured, 0.323, plus 8 %) and
0.50 for indicators only (fewer, less compressible columns). Parameters are stored uncompressed
(random draws); measured 1.018 × their raw size. A 100,000-member run of ``us-rok-2025`` under
its nine default policies under one structure is estimated at 7.6 GB (seven policies stored about
3.6 GB before issues 13 and 14); a run of several structures costs as many times that.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alliancesim.model import Model

__all__ = [
    "BLOCK_SIZE",
    "BYTES_PER_VALUE",
    "COMPRESSION",
    "KEPT_IN_MEMORY",
    "MEMBER_STEPS_PER_SECOND",
    "WORKERS_PER_CORE",
    "RunCost",
    "available_memory",
    "check_run_fits",
    "free_bytes",
    "human_bytes",
    "recorded_columns",
    "run_cost",
    "useful_workers",
]

BYTES_PER_VALUE = 8
"""A stored value before compression: a float64 (flags and small integers count the same)."""
ROW_COLUMNS = 3
"""Columns every stored row has besides the recorded quantities: policy, member, step."""
COMPRESSION = {"all": 0.35, "indicators": 0.50}
"""Stored bytes of trajectories per raw byte, by record level (measured; see the module)."""
PARAMETER_FACTOR = 1.05
"""Stored bytes of sampled parameters per raw byte (uncompressed Parquet; measured 1.018)."""
BLOCK_SIZE = 2048
"""Members per random-number block (as in :mod:`alliancesim.ensemble`; a test checks)."""
CHUNK_BLOCKS = 2
"""Blocks simulated together by one task (as in :mod:`alliancesim.ensemble`)."""
TASKS_IN_FLIGHT = 2
"""Tasks whose outputs a one-process run holds at once (the runner's smallest window)."""
KEPT_IN_MEMORY = 512 * 2**20
"""Runs whose raw trajectories are at most this many bytes are also kept in memory (as
:data:`alliancesim.runner.IN_MEMORY_LIMIT`; a test checks)."""
WORKING_COPIES = 6
"""Copies of one policy's record of one task alive while it becomes a table (measured)."""
MEMBER_STEPS_PER_SECOND = 150_000
"""Member-steps one worker simulates per second, for a time estimate only (benchmarks/RESULTS.md:
161,000–196,000 on one worker for us-rok-2025; the default run 252,000 member-steps in 1.6 s)."""
WORKERS_PER_CORE = 4
"""Worker processes allowed per core of the machine (more only share the same cores)."""


def recorded_columns(model: Model, record: str = "all") -> int:
    """Quantities stored per member and step at a record level: ``all`` (every state variable,
    outcome, event, count, consultation, indicator and the decoupled flag) or ``indicators``
    (the indicators, the scenario's key indicators and the decoupling flags: each sign's, the
    index's and ``decoupled``)."""
    if record == "all":
        return len(model.record_names)
    if record != "indicators":
        raise ValueError(f"record must be 'all' or 'indicators', got {record!r}")
    flags = {*model.decoupling_names, "decoupled"}
    extra = {k for k in model.key_indicators if k not in model.indicator_names and k not in flags}
    return len(model.indicator_names) + len(extra) + len(flags)


@dataclass(frozen=True)
class RunCost:
    """What one run of an ensemble will cost: work, disk and memory, before it starts."""

    members: int
    policies: int
    steps: int
    columns: int  # recorded quantities per member and step
    parameters: int  # uncertain parameters drawn per member
    record: str

    @property
    def member_steps(self) -> int:
        """Steps simulated: every member under every policy for every quarter (the work)."""
        return self.members * self.policies * self.steps

    @property
    def rows(self) -> int:
        """Stored trajectory rows: one per member, policy and step, the start included."""
        return self.members * self.policies * (self.steps + 1)

    @property
    def raw_bytes(self) -> int:
        """The trajectories uncompressed (what the runner weighs to keep a run in memory)."""
        return self.rows * (self.columns + ROW_COLUMNS) * BYTES_PER_VALUE

    @property
    def stored_bytes(self) -> int:
        """Bytes the run will write to disk (trajectories and parameters), on the high side."""
        trajectories = self.raw_bytes * COMPRESSION[self.record]
        parameters = self.members * (self.parameters + 1) * BYTES_PER_VALUE * PARAMETER_FACTOR
        return int(trajectories + parameters)

    @property
    def memory_bytes(self) -> int:
        """Memory the run adds to the one process simulating it, rough: the trajectories twice
        when small enough to be kept in memory, the outputs of the tasks in flight, and the
        working copies of one policy's record of a task. Against peak resident memory measured
        on stored runs (default policies): us-rok-2025 with 1,000 / 4,000 / 20,000 members
        260 / 1,173 / 622 MB, estimated 425 / 1,698 / 853 MB; us-rok-2021 with 20,000 members
        427 MB, estimated 403 MB."""
        kept = 2 * self.raw_bytes if self.raw_bytes <= KEPT_IN_MEMORY else 0
        task_members = min(self.members, CHUNK_BLOCKS * BLOCK_SIZE)
        tasks = min(TASKS_IN_FLIGHT, -(-self.members // (CHUNK_BLOCKS * BLOCK_SIZE)))
        per_member = self.stored_bytes / max(self.members, 1)
        in_flight = tasks * task_members * per_member
        row_bytes = (self.columns + ROW_COLUMNS) * BYTES_PER_VALUE
        working = WORKING_COPIES * task_members * (self.steps + 1) * row_bytes
        return int(kept + in_flight + working)

    def seconds(self, workers: int = 1) -> float:
        """A rough time to simulate, at :data:`MEMBER_STEPS_PER_SECOND` per worker."""
        return self.member_steps / (MEMBER_STEPS_PER_SECOND * max(1, workers))

    def describe(self) -> str:
        """One line for people: the size of the run and what it will store."""
        return (
            f"{self.members:,} worlds × {self.policies} policies × {self.steps} quarters "
            f"({self.member_steps:,} member-steps) will store about "
            f"{human_bytes(self.stored_bytes)}"
        )


def run_cost(
    model: Model, policies: int | Sequence[str], members: int, record: str = "all"
) -> RunCost:
    """The cost of simulating ``members`` worlds of a compiled scenario under ``policies``
    (their names, baseline included, or their number) at a record level."""
    return RunCost(
        members=members,
        policies=policies if isinstance(policies, int) else len(policies),
        steps=model.horizon,
        columns=recorded_columns(model, record),
        parameters=len(model.uncertain_rows(model.scenario.policy_ids)),  # as blocks draw them
        record=record,
    )


def free_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def human_bytes(n: float) -> str:
    """Bytes for people: ``1.5 GB``, ``820 MB``, ``12 KB`` (powers of 1000, as disks are sold)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= size:
            value = n / size
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(n)} bytes"


def available_memory() -> int | None:
    """Memory the machine can give a new process now (``MemAvailable`` on Linux, else the
    physical memory), in bytes; None where neither can be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def useful_workers(members: int, workers: int) -> int:
    """Worker processes worth starting for ``members`` worlds: no more than the run has tasks
    (blocks of :data:`BLOCK_SIZE` members, :data:`CHUNK_BLOCKS` per task)."""
    tasks = -(-members // (BLOCK_SIZE * CHUNK_BLOCKS))
    return max(1, min(workers, tasks))


def check_run_fits(cost: RunCost, *, workers: int, directory: Path | None) -> None:
    """Refuse, before anything is simulated, a run this machine cannot hold: more worker
    processes than :data:`WORKERS_PER_CORE` per core, more memory than is available, or more
    bytes than the disk holding ``directory`` (where its files go; None: kept in memory) has
    free. The error names the option to change and the largest value that would fit."""
    from alliancesim.errors import InputError

    cores = os.cpu_count() or 1
    if workers > WORKERS_PER_CORE * cores:
        raise InputError.single(
            "--workers",
            f"{workers:,} worker processes on a machine with {cores} cores: at most "
            f"{WORKERS_PER_CORE * cores} ({WORKERS_PER_CORE} per core); more only share the "
            "same cores",
        )
    per_member = max(cost.memory_bytes / cost.members, 1.0)
    memory = available_memory()
    if memory is not None and cost.memory_bytes > memory:
        raise InputError.single(
            "--members",
            f"{cost.describe()} and needs about {human_bytes(cost.memory_bytes)} of memory; "
            f"this machine has {human_bytes(memory)} available: use at most about "
            f"{int(memory / per_member):,} members",
        )
    if directory is not None:
        free = free_bytes(directory)
        if cost.stored_bytes > free:
            per_stored = max(cost.stored_bytes / cost.members, 1.0)
            raise InputError.single(
                "--members",
                f"{cost.describe()}; {directory} has {human_bytes(free)} free: use at most "
                f"about {int(free / per_stored):,} members, or free disk space",
            )
