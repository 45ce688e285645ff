"""A run's files: the Parquet layout of its trajectories and parameters, and every query over them.

Each block of members is two Parquet files::

    trajectories/block-NNNNNN.parquet   [structure,] policy, member, step, the recorded names…;
                                        per (structure and) policy steps 0..H−1 in one row
                                        group and the horizon in its own, so summaries read
                                        the horizon alone
    parameters/block-NNNNNN.parquet     member, each uncertain parameter as drawn (before any
                                        policy's changes)

The ``structure`` column exists only for scenarios that declare contested mechanisms (a
scenario without them writes exactly the files it always did). A :class:`RunFiles` may show one
structure of a run (:meth:`RunFiles.only`): its ``trajectories`` view then holds that
structure's rows without the column, so every query below reads one structure as if the run had
no other.

kept in memory for small runs or in a directory for stored or large ones. Queries go through
DuckDB views ``trajectories`` and ``parameters`` built from an explicit list of files, so a
directory whose name holds ``'``, ``[``, ``*`` or ``?`` is read as it is named. The only SQL
over a run's files is in this module.

A run read by many steps in turn (its table, its claims under each structure, its report) is
read inside :meth:`RunFiles.reading`: every query of the block, over the run and over each of its
structures, then shares one DuckDB connection (opening one and binding the Parquet files costs
more than most queries), and what several steps read alike (each structure's values at a step,
the sampled parameters) is read once. Outside such a block each query opens its own connection.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "DUCKDB_MEMORY",
    "PARAMETERS",
    "TRAJECTORIES",
    "RunFiles",
    "TrajectoryWriter",
    "block_name",
    "parameters_file",
    "weighted_quantiles",
]

TRAJECTORIES = "trajectories"
PARAMETERS = "parameters"
QUANTILE_BATCH = 16
"""Measures whose quantiles one query computes (one query each was most of a summary's time)."""
_ALL_STRUCTURES = "trajectories_of_every_structure"
MIXTURE_VALUES = 20_000_000
"""Values read at once for the quantiles of a mixture of structures (about 160 MB)."""
DUCKDB_MEMORY = "1GB"
"""DuckDB's memory limit for queries over a run (it spills to a temporary directory beyond it)."""
READ_ONCE_VALUES = 2**24
"""Values (about 130 MB) a reading block keeps of the whole run's rows at one step, so that each
structure's queries at that step are answered from one read; beyond it each reads its own."""


def block_name(index: int) -> str:
    """The file name of block ``index`` (the same under trajectories/ and parameters/)."""
    return f"block-{index:06d}.parquet"


# --------------------------------------------------------------------------------------------
# writing a block


def _parquet_options(structured: bool = False) -> dict[str, Any]:
    """Fast Parquet: LZ4, a dictionary only for the policy (and structure) column, statistics
    only for the columns queries filter on (measured in benchmarks/RESULTS.md: 4× faster than
    the defaults, whose dictionary attempts on every float column dominate)."""
    keys = ["structure", "policy"] if structured else ["policy"]
    return {
        "compression": "lz4",
        "use_dictionary": keys,
        "write_statistics": [*keys, "member", "step"],
    }


def _label_column(label: str, rows: int) -> pa.DictionaryArray:
    """A column holding one label in every row, dictionary-encoded."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, dtype=np.int32)), pa.array([label])
    )


def _trajectory_table(
    policy: str,
    members: np.ndarray,
    record: np.ndarray,
    names: Sequence[str],
    structure: str | None = None,
) -> pa.Table:
    """One policy's record (steps + 1, names, members) as a long table: one row per member-step
    (with the structure's name first when given)."""
    steps, _, size = record.shape
    columns: dict[str, Any] = (
        {} if structure is None else {"structure": _label_column(structure, steps * size)}
    )
    columns |= {
        "policy": _label_column(policy, steps * size),
        "member": np.tile(members, steps),
        "step": np.repeat(np.arange(steps, dtype=np.int16), size),
    }
    for j, col in enumerate(names):
        values = record[:, j, :].reshape(-1)
        columns[col] = values.astype(bool) if col == "decoupled" else values
    return pa.table(columns)


class TrajectoryWriter:
    """One block's trajectories file, written policy after policy (in memory); ``structured``:
    with the structure column (a scenario with contested mechanisms)."""

    def __init__(self, members: np.ndarray, names: Sequence[str], *, structured: bool = False):
        self.members = members
        self.names = list(names)
        self.structured = structured
        self._sink = io.BytesIO()
        self._writer: pq.ParquetWriter | None = None

    def add(self, policy: str, record: np.ndarray, structure: str = "seed") -> None:
        """Append the block's record under ``policy`` (and ``structure``): (steps + 1, names,
        members)."""
        label = structure if self.structured else None
        table = _trajectory_table(policy, self.members, record, self.names, label)
        if self._writer is None:
            options = _parquet_options(self.structured)
            self._writer = pq.ParquetWriter(self._sink, table.schema, **options)
        before_horizon = (record.shape[0] - 1) * len(self.members)
        self._writer.write_table(table.slice(0, before_horizon))
        self._writer.write_table(table.slice(before_horizon))  # the horizon in its own row group

    def close(self) -> bytes:
        """The finished Parquet file."""
        assert self._writer is not None, "no policy was added"
        self._writer.close()
        return self._sink.getvalue()


def parameters_file(members: np.ndarray, values: dict[str, np.ndarray]) -> bytes:
    """A block's parameters file: the member column, then each parameter's drawn values."""
    sink = io.BytesIO()
    pq.write_table(  # random draws: nothing to compress, nothing to filter on
        pa.table({"member": members, **values}),
        sink,
        compression="none",
        use_dictionary=False,
        write_statistics=["member"],
    )
    return sink.getvalue()


# --------------------------------------------------------------------------------------------
# a run's files


class _Reading:
    """One thread's open connection over a run while the run is read (:meth:`RunFiles.reading`):
    the views made on it (the run's rows, each structure's) and what was read once for all."""

    def __init__(self, key: tuple[str, int]) -> None:
        self.key = key
        self.depth = 1
        self.con: duckdb.DuckDBPyConnection | None = None
        self.parameters = False
        self.views: dict[str | None, str] = {}
        self.cache: dict[Any, Any] = {}

    def connection(self, files: RunFiles, parameters: bool) -> duckdb.DuckDBPyConnection:
        """The block's connection (opened on first use; the parameters view added when needed)."""
        if self.con is None:
            self.con = files._connection(_base_view(files), parameters=parameters)
            self.parameters = parameters
        elif parameters and not self.parameters:
            files._add_parameters(self.con)
            self.parameters = True
        return self.con

    def view(self, files: RunFiles) -> str:
        """The view of the rows ``files`` show (the run's, or one structure's) on the block's
        connection, made on first use."""
        name = self.views.get(files.structure)
        if name is None:
            base = _base_view(files)
            if files.structure is None:
                name = base
            else:
                name = f"{TRAJECTORIES}_{len(self.views) + 1}"
                assert self.con is not None
                self.con.execute(_structure_view(name, base, files.structure))
            self.views[files.structure] = name
        return name

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
        self.con = None
        self.cache.clear()


class _Readers:
    """The reading blocks open over one run's files, one per thread (shared by every view of
    the run's structures; a run's files moved elsewhere get their own)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def current(self) -> _Reading | None:
        return getattr(self._local, "reading", None)

    def set(self, reading: _Reading | None) -> None:
        self._local.reading = reading

    def __reduce__(self) -> tuple[Any, tuple[()]]:  # a copy sent elsewhere starts with none open
        return (_Readers, ())


def _base_view(files: RunFiles) -> str:
    """The view holding every row of the run (with its structure column, if any)."""
    return _ALL_STRUCTURES if files.structured else TRAJECTORIES


def _structure_view(name: str, base: str, structure: str) -> str:
    """SQL making view ``name``: one structure's rows of ``base``, without the structure column."""
    return (
        f"CREATE VIEW {name} AS SELECT * EXCLUDE (structure) FROM {base} "
        f"WHERE structure::VARCHAR = {_text(structure)}"
    )


@dataclass
class RunFiles:
    """The files of one run: in ``directory`` (None: nowhere on disk), and, for small runs, the
    trajectories (decoded) and parameter files kept in memory as well. ``structured``: the
    trajectories have a structure column; ``structure``: only that structure's rows are shown
    (None: all of them)."""

    directory: Path | None = None
    tables: list[pa.Table] = field(default_factory=list)
    parameter_blobs: list[bytes] = field(default_factory=list, repr=False)
    _parameters: pa.Table | None = field(default=None, repr=False)
    structured: bool = False
    structure: str | None = None
    hashed: bool = field(default=False, repr=False, compare=False)
    """Whether each file is hashed as it is written (a run written for the store)."""
    scratch: Any = field(default=None, repr=False, compare=False)
    _columns: dict[tuple[str, int, bool], frozenset[str]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _known: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    """The run's :class:`alliancesim.scratch.ScratchFolder` when its directory is temporary:
    kept by every copy of these files, so the folder lives as long as anyone can read it."""
    _readers: _Readers = field(default_factory=_Readers, repr=False, compare=False)

    def only(self, structure: str) -> RunFiles:
        """The same files showing one structure's rows only (as a run without structures)."""
        if not self.structured:
            return self
        return replace(self, structure=structure)

    @property
    def several(self) -> bool:
        """Whether the trajectories shown hold several structures' rows (a structure column)."""
        return self.structured and self.structure is None

    # -- writing ----------------------------------------------------------------------------
    def add_block(self, index: int, trajectories: bytes, parameters: bytes, *, keep: bool) -> None:
        """Add block ``index``'s two files: into the directory (if any), and into memory if ``keep``."""
        if self.directory is not None:
            from alliancesim.store.checksums import write_hashed

            for kind, data in ((TRAJECTORIES, trajectories), (PARAMETERS, parameters)):
                (self.directory / kind).mkdir(parents=True, exist_ok=True)
                path = self.directory / kind / block_name(index)
                if self.hashed:  # for the store's manifest, beside the write
                    write_hashed(path, data)
                else:
                    path.write_bytes(data)
        if keep:
            self.tables.append(pq.read_table(io.BytesIO(trajectories)))
            self.parameter_blobs.append(parameters)  # decoded when first asked for

    def moved_to(self, directory: Path) -> RunFiles:
        """The same files after their directory was renamed to ``directory``."""
        return replace(self, directory=directory, _readers=_Readers())

    # -- reading ------------------------------------------------------------------------------
    def paths(self, kind: str) -> list[Path]:
        """The run's files of one kind (``trajectories`` or ``parameters``) in block order."""
        if self.directory is None:
            return []
        return sorted((self.directory / kind).glob("block-*.parquet"))

    def connect(self, *, parameters: bool = True) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``trajectories`` and ``parameters`` over this run
        (``parameters=False``: trajectories only, which spares decoding the parameters)."""
        rows = TRAJECTORIES if self.structure is None else _ALL_STRUCTURES
        con = self._connection(rows, parameters=parameters)
        try:
            if self.structure is not None:
                con.execute(_structure_view(TRAJECTORIES, rows, self.structure))
        except BaseException:
            con.close()
            raise
        return con

    def _connection(self, rows: str, *, parameters: bool) -> duckdb.DuckDBPyConnection:
        """A new DuckDB connection with every row of the run as view ``rows`` (and the
        parameters as view ``parameters``)."""
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute(f"SET memory_limit = {_text(DUCKDB_MEMORY)}")
        temp = Path(tempfile.gettempdir()) / "alliancesim-duckdb"
        con.execute(f"SET temp_directory = {_text(temp.as_posix())}")
        try:
            if self.tables:
                con.register(rows, pa.concat_tables(self.tables, promote_options="default"))
            elif self.directory is not None and self.paths(TRAJECTORIES):
                paths = [_glob_free(p) for p in self.paths(TRAJECTORIES)]
                con.read_parquet(paths).create_view(rows)
            else:
                raise ValueError("this run kept no trajectories (stored nowhere)")
            if parameters:
                self._add_parameters(con)
        except BaseException:
            con.close()
            raise
        return con

    def _add_parameters(self, con: duckdb.DuckDBPyConnection) -> None:
        """Add the view ``parameters`` (the sampled parameters) to a connection over the run."""
        if self.tables:
            con.register(PARAMETERS, self._parameter_table())
        else:
            paths = [_glob_free(p) for p in self.paths(PARAMETERS)]
            con.read_parquet(paths).create_view(PARAMETERS)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read the run many times over within the block: on this thread, every query over the
        run and over each of its structures then shares one DuckDB connection, and reads that
        several steps make alike are made once (blocks nest; the connection is closed at the
        end of the outermost)."""
        readers = self._readers
        current = readers.current()
        if current is not None:
            current.depth += 1
            try:
                yield
            finally:
                current.depth -= 1
            return
        reading = _Reading(self._key())
        readers.set(reading)
        try:
            yield
        finally:
            readers.set(None)
            reading.close()

    def _key(self) -> tuple[str, int]:
        """What a reading block's views were made from: the directory and the blocks in memory."""
        return (str(self.directory), len(self.tables))

    def _reading(self) -> _Reading | None:
        """The reading block open over these files on this thread, if it still fits them."""
        reading = self._readers.current()
        if reading is None or reading.key != self._key():
            return None
        return reading

    @contextmanager
    def _query(
        self, *, parameters: bool = False
    ) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
        """A connection over the run and the name of the view of the rows shown: the reading
        block's if one is open, else one opened for this query alone."""
        reading = self._reading()
        if reading is not None:
            con = reading.connection(self, parameters)
            yield con, reading.view(self)
            return
        with self.connect(parameters=parameters) as con:
            yield con, TRAJECTORIES

    def _parameter_table(self) -> pa.Table:
        """The sampled parameters of an in-memory run as one Arrow table (decoded once)."""
        if self._parameters is None:
            self._parameters = pa.concat_tables(
                [pq.read_table(io.BytesIO(data)) for data in self.parameter_blobs]
            )
        return self._parameters

    def columns(self, con: duckdb.DuckDBPyConnection | None = None) -> set[str]:
        """The columns of the trajectories: policy, member, step and the recorded names."""
        if con is None:  # from the files' schemas, without a DuckDB connection
            key = (str(self.directory), len(self.tables), self.structured)
            known = self._columns.get(key)
            if known is None:  # a run's files never change once written: read once
                known = self._read_columns()
                self._columns[key] = known
            return set(known)
        return {row[0] for row in con.execute(f"DESCRIBE {TRAJECTORIES}").fetchall()}

    def _read_columns(self) -> frozenset[str]:
        own_view = {"structure"} if self.structured else set()  # not a recorded name
        if self.tables:
            return frozenset(
                {name for table in self.tables for name in table.schema.names} - own_view
            )
        if self.directory is not None and (paths := self.paths(TRAJECTORIES)):
            return frozenset(set(pq.read_schema(paths[0]).names) - own_view)
        with self.connect(parameters=False) as own:
            return frozenset(self.columns(own))

    def quantiles_at(
        self, step: int, names: Sequence[str], levels: Sequence[float]
    ) -> dict[tuple[str, str], list[float]]:
        """Per (policy, name), the ``levels`` quantiles over members at ``step`` (DuckDB's exact
        ``quantile_cont``); names the run did not record are left out. ``QUANTILE_BATCH``
        measures per query, so memory holds a few columns of the step, not all."""
        self._one_structure("quantiles by policy")
        out: dict[tuple[str, str], list[float]] = {}
        if not names:
            return out
        with self._query() as (con, view):
            present = self.columns()
            wanted = [n for n in names if n in present]
            for start in range(0, len(wanted), QUANTILE_BATCH):
                batch = wanted[start : start + QUANTILE_BATCH]
                parts = ", ".join(
                    f"quantile_cont({_column(name)}, {_levels(levels)})" for name in batch
                )
                rows = con.execute(
                    f"SELECT policy::VARCHAR, {parts} "
                    f"FROM {view} WHERE step = {int(step)} GROUP BY 1"
                ).fetchall()
                for policy, *per_name in rows:
                    for name, values in zip(batch, per_name, strict=True):
                        out[(policy, name)] = [float(v) for v in values]
        return out

    def quantiles_by_step(
        self,
        names: Sequence[str],
        levels: Sequence[float],
        policies: Sequence[str],
        steps: int,
    ) -> dict[str, dict[str, list[list[float]]]]:
        """Per name and policy, the ``levels`` quantiles over members at each of ``steps``
        steps: values[name][policy][level][step] (NaN where nothing was recorded)."""
        self._one_structure("quantiles by step")
        values = {n: {p: [[math.nan] * steps for _ in levels] for p in policies} for n in names}
        if not names:
            return values
        parts = ", ".join(f"quantile_cont({_column(n)}, {_levels(levels)})" for n in names)
        with self._query() as (con, view):
            rows = con.execute(
                f"SELECT policy::VARCHAR, step, {parts} FROM {view} GROUP BY ALL"
            ).fetchall()
        for policy, step, *per_name in rows:
            if policy not in policies:
                continue
            for name, qs in zip(names, per_name, strict=True):
                for k, v in enumerate(qs):
                    values[name][policy][k][int(step)] = float(v)
        return values

    def member_values(
        self, name: str, policy: str, step: int, con: duckdb.DuckDBPyConnection | None = None
    ) -> np.ndarray:
        """One recorded quantity's value per member (in member order) under a policy at a step."""
        self._one_structure("a member's values")
        if con is None:
            with self._query() as (own, view):
                return self._member_values(own, view, name, policy, step)
        return self._member_values(con, TRAJECTORIES, name, policy, step)

    @staticmethod
    def _member_values(
        con: duckdb.DuckDBPyConnection, view: str, name: str, policy: str, step: int
    ) -> np.ndarray:
        values = con.execute(
            f"SELECT {_column(name)}::DOUBLE AS v FROM {view} "
            "WHERE policy::VARCHAR = ? AND step = ? ORDER BY member",
            [policy, step],
        ).fetchnumpy()["v"]
        return np.asarray(values, dtype=np.float64)

    def values_at(
        self, step: int, names: Sequence[str]
    ) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """Per (structure, policy), each recorded name's value per member (in member order) at
        ``step``, in one query; the structure is ``seed`` for a run without structures (or the
        one structure shown). Names the run did not record are left out. Within
        :meth:`reading`, the whole run's values are read once and each structure's taken from
        them (unless they are more than ``READ_ONCE_VALUES``)."""
        present = [n for n in names if n in self.columns()]
        reading = self._reading()
        if reading is not None:
            whole = self._values_of_run(reading, step, present)
            if whole is not None:
                if self.structure is None:
                    return dict(whole)
                return {key: v for key, v in whole.items() if key[0] == self.structure}
        with self._query() as (con, view):
            label = "structure::VARCHAR" if self.several else _text(self.structure or "seed")
            return _values_by_group(con, view, label, step, present)

    def _values_of_run(
        self, reading: _Reading, step: int, present: list[str]
    ) -> dict[tuple[str, str], dict[str, np.ndarray]] | None:
        """:meth:`values_at` of every row of the run (every structure), read once per reading
        block; None when they would be more than ``READ_ONCE_VALUES``."""
        key = ("values_at", int(step), tuple(present))
        if key in reading.cache:
            return reading.cache[key]
        for known, found in list(reading.cache.items()):  # these names read already, and more
            if (
                isinstance(known, tuple)
                and known[:2] == key[:2]
                and found is not None
                and set(present) <= set(known[2])
            ):
                return {pair: {n: arrays[n] for n in present} for pair, arrays in found.items()}
        con = reading.connection(self, parameters=False)
        base = _base_view(self)
        label = "structure::VARCHAR" if self.structured else _text("seed")
        groups = con.execute(
            f"SELECT {label}, policy::VARCHAR, count(*) FROM {base} WHERE step = {int(step)} "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        rows = sum(int(count) for _, _, count in groups)
        whole = None
        if rows * max(1, len(present)) <= READ_ONCE_VALUES:
            pairs = [(str(s), str(p)) for s, p, _ in groups]
            whole = _values_placed(con, base, label, step, present, pairs)
            if whole is None:  # not every member once in every pair: sorted by DuckDB
                whole = _values_by_group(con, base, label, step, present)
            for arrays in whole.values():
                for array in arrays.values():
                    array.flags.writeable = False  # shared by every reader of the block
        reading.cache[key] = whole
        return whole

    def _sorted_values_of_run(
        self, reading: _Reading, step: int, names: list[str]
    ) -> dict[tuple[str, str], dict[str, np.ndarray]] | None:
        """Per (structure, policy) of the whole run, each of ``names``'s values at ``step`` in
        increasing order, as a stable sort of the members in member order orders them
        (:func:`_sorted_stably`); sorted once per reading block, from :meth:`_values_of_run`
        (which reads the decoupled flag too, for the other readers of the step). None when
        they would be more than ``READ_ONCE_VALUES``."""
        key = ("sorted_at", int(step))
        known = reading.cache.get(key)
        if known is not None and all(n in arrays for arrays in known.values() for n in names):
            return known
        wanted = [*names, "decoupled"] if "decoupled" in self.columns() else list(names)
        whole = self._values_of_run(reading, step, list(dict.fromkeys(wanted)))
        if whole is None:
            return None
        ordered = {
            pair: {n: _sorted_stably(arrays[n]) for n in names} for pair, arrays in whole.items()
        }
        reading.cache[key] = ordered
        return ordered

    def trajectory_frame(self, policies: Sequence[str]) -> Any:
        """The trajectories of ``policies`` as a pandas DataFrame (policy, and structure when the
        rows hold several, as text), ordered by (structure,) policy, member and step."""
        with self._query() as (con, view):
            if self.several:
                return con.execute(
                    "SELECT * EXCLUDE (structure, policy), structure::VARCHAR AS structure, "
                    f"policy::VARCHAR AS policy FROM {view} "
                    "WHERE list_contains(?, policy::VARCHAR) ORDER BY structure, policy, member, step",
                    [list(policies)],
                ).df()
            return con.execute(
                "SELECT * EXCLUDE (policy), policy::VARCHAR AS policy FROM "
                f"{view} WHERE list_contains(?, policy::VARCHAR) "
                "ORDER BY policy, member, step",
                [list(policies)],
            ).df()

    def flag_counts_by_step(
        self, names: Sequence[str], horizon: int
    ) -> dict[str, dict[str, np.ndarray]]:
        """Per recorded 0/1 flag (``decoupled.<sign>``…) and policy, the members whose flag is
        set at each step 0..horizon (one structure); flags the run did not record are left out."""
        self._one_structure("flags by policy")
        out: dict[str, dict[str, np.ndarray]] = {}
        present = [n for n in names if n in self.columns()]
        if not present:
            return out
        parts = ", ".join(f"count_if({_column(n)}::DOUBLE <> 0)" for n in present)
        reading = self._reading()
        if reading is not None:  # every structure's counts in one query, once per block
            key = ("flag_counts", tuple(present))
            if key not in reading.cache:
                con = reading.connection(self, parameters=False)
                label = "structure::VARCHAR" if self.structured else _text("seed")
                reading.cache[key] = con.execute(
                    f"SELECT {label}, policy::VARCHAR, step, {parts} FROM {_base_view(self)} "
                    "GROUP BY 1, 2, 3"
                ).fetchall()
            shown = self.structure or "seed"
            rows = [row[1:] for row in reading.cache[key] if row[0] == shown]
        else:
            with self._query() as (con, view):
                rows = con.execute(
                    f"SELECT policy::VARCHAR, step, {parts} FROM {view} GROUP BY 1, 2"
                ).fetchall()
        for policy, step, *counts in rows:
            for name, count in zip(present, counts, strict=True):
                by_policy = out.setdefault(name, {})
                if policy not in by_policy:
                    by_policy[policy] = np.zeros(horizon + 1, dtype=np.int64)
                by_policy[policy][int(step)] = int(count)
        return out

    def member_steps(self, names: Sequence[str], policy: str) -> dict[str, np.ndarray]:
        """Recorded quantities of every member at every step under a policy (one structure):
        name → (members, steps + 1), members in member order; names not recorded are left out."""
        self._one_structure("trajectories by policy")
        with self._query() as (con, view):
            present = [n for n in names if n in self.columns()]
            if not present:
                return {}
            columns = ", ".join(f"{_column(n)}::DOUBLE AS {_column(n)}" for n in present)
            table = con.execute(
                f"SELECT member, step, {columns} FROM {view} "
                "WHERE policy::VARCHAR = ? ORDER BY member, step",
                [policy],
            ).fetchnumpy()
        steps = int(np.max(table["step"])) + 1 if len(table["step"]) else 0
        return {n: np.asarray(table[n], dtype=np.float64).reshape(-1, steps) for n in present}

    def member_steps_by_policy(
        self, names: Sequence[str], policies: Sequence[str]
    ) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
        """:meth:`member_steps` of each of ``policies`` in turn (policy, name → (members,
        steps + 1)), read in as few queries as ``READ_ONCE_VALUES`` values allow (one policy
        at least per query); names not recorded are left out."""
        self._one_structure("trajectories by policy")
        shown = self.structure or "seed"
        for _, policy, arrays in self._member_steps([shown], names, policies):
            yield policy, arrays

    def member_steps_by_structure(
        self, names: Sequence[str], structures: Sequence[str], policies: Sequence[str]
    ) -> Iterator[tuple[str, str, dict[str, np.ndarray]]]:
        """:meth:`member_steps` of each of ``structures`` (of a run of several) under each of
        ``policies``, structure by structure: (structure, policy, name → (members, steps + 1)),
        read in as few queries as ``READ_ONCE_VALUES`` values allow."""
        if not self.several:
            raise ValueError("member steps by structure: these files show one structure")
        return self._member_steps(list(structures), names, policies)

    def _member_steps(
        self, structures: list[str], names: Sequence[str], policies: Sequence[str]
    ) -> Iterator[tuple[str, str, dict[str, np.ndarray]]]:
        """The member steps of each (structure, policy), structure by structure, policy by
        policy, as many pairs per query as ``READ_ONCE_VALUES`` allow (at least one)."""
        present = [n for n in names if n in self.columns()]
        chosen = list(policies)
        if not present or not chosen:
            for pair in [(s, p) for s in structures for p in chosen]:
                yield (*pair, {})
            return
        with self._query() as (con, view):
            where, args = "policy::VARCHAR = ?", [chosen[0]]
            if self.several:
                where, args = where + " AND structure::VARCHAR = ?", [*args, structures[0]]
            found = con.execute(f"SELECT count(*) FROM {view} WHERE {where}", args).fetchone()
            rows = max(1, int(found[0]) if found else 0)
            per_query = max(1, READ_ONCE_VALUES // (rows * (len(present) + 4)))
            columns = ", ".join(f"{_column(n)}::DOUBLE AS {_column(n)}" for n in present)
            structure = "list_position(?, structure::VARCHAR)" if self.several else "1"
            if per_query >= len(chosen):  # whole structures per query
                per_group = per_query // len(chosen)
                groups = [
                    (structures[k : k + per_group], chosen)
                    for k in range(0, len(structures), per_group)
                ]
            else:  # a structure's policies over several queries
                groups = [
                    ([name], chosen[k : k + per_query])
                    for name in structures
                    for k in range(0, len(chosen), per_query)
                ]
            for names_s, names_p in groups:
                group = [(s, p) for s in names_s for p in names_p]
                args = [names_p, names_p]
                where = "list_contains(?, policy::VARCHAR)"
                if self.several:
                    args = [names_s, *args, names_s]
                    where += " AND list_contains(?, structure::VARCHAR)"
                select = (
                    f"SELECT {structure} AS s, list_position(?, policy::VARCHAR) AS p, member, "
                    f"step, {columns} FROM {view} WHERE {where}"
                )
                table = con.execute(select, args).fetchnumpy()  # in file order: placed below
                arrays = _by_member_and_step(table, len(group), len(names_p), present)
                if arrays is None:  # not every member at every step once: sorted by DuckDB
                    table = con.execute(f"{select} ORDER BY s, p, member, step", args).fetchnumpy()
                    arrays = _sorted_by_member_and_step(table, len(group), len(names_p), present)
                for (s, p), found in zip(group, arrays, strict=True):
                    yield s, p, found

    def _one_structure(self, what: str) -> None:
        if self.several:
            raise ValueError(
                f"{what}: this run's trajectories hold several structures; read one of them "
                "with results.structure(name)"
            )

    def structure_quantiles_at(
        self, step: int, names: Sequence[str], levels: Sequence[float]
    ) -> dict[tuple[str, str, str], list[float]]:
        """Per (structure, policy, name), the ``levels`` quantiles over members at ``step``, as
        :meth:`quantiles_at` gives them for one structure (``QUANTILE_BATCH`` measures per
        query)."""
        out: dict[tuple[str, str, str], list[float]] = {}
        if not names:
            return out
        present = self.columns()
        wanted = [n for n in names if n in present]
        reading = self._reading()
        if reading is not None and self.several:  # from the run's values at the step, read once
            ordered = self._sorted_values_of_run(reading, step, wanted)
            if ordered is not None:
                con = reading.connection(self, parameters=False)
                found = _quantiles_of_sorted(con, ordered, wanted, levels)
                if found is not None:
                    return found
        with self._query() as (con, view):
            for start in range(0, len(wanted), QUANTILE_BATCH):
                batch = wanted[start : start + QUANTILE_BATCH]
                parts = ", ".join(
                    f"quantile_cont({_column(name)}, {_levels(levels)})" for name in batch
                )
                rows = con.execute(
                    f"SELECT structure::VARCHAR, policy::VARCHAR, {parts} "
                    f"FROM {view} WHERE step = {int(step)} GROUP BY 1, 2"
                ).fetchall()
                for structure, policy, *per_name in rows:
                    for name, values in zip(batch, per_name, strict=True):
                        out[(structure, policy, name)] = [float(v) for v in values]
        return out

    def mixture_quantiles_at(
        self, step: int, names: Sequence[str], levels: Sequence[float], weights: dict[str, float]
    ) -> dict[tuple[str, str], list[float]]:
        """Per (policy, name), the ``levels`` quantiles at ``step`` of the mixture of the
        structures' members, each structure's members weighing its weight (see
        :func:`weighted_quantiles`); names the run did not record are left out. Read a few
        measures at a time (at most about ``MIXTURE_VALUES`` values in memory)."""
        out: dict[tuple[str, str], list[float]] = {}
        structures = list(weights)
        cases = " ".join(f"WHEN {_text(n)} THEN {float(weights[n])!r}" for n in structures)
        reading = self._reading()
        if reading is not None and self.several:  # from the run's values at the step, read once
            shown = [n for n in names if n in self.columns()]
            ordered = self._sorted_values_of_run(reading, step, shown)
            if ordered is not None:
                con = reading.connection(self, parameters=False)
                read = con.execute(  # each structure's weight as the query below reads it
                    f"SELECT s, CASE s {cases} END AS w FROM (SELECT unnest(?::VARCHAR[]) AS s)",
                    [structures],
                ).fetchnumpy()
                as_read = dict(zip(map(str, read["s"]), np.asarray(read["w"]), strict=True))
                return _mixture_quantiles(ordered, shown, levels, as_read)
        with self._query() as (con, view):
            present = self.columns()
            shown = [n for n in names if n in present]
            found = con.execute(
                f"SELECT policy::VARCHAR, count(*) FROM {view} WHERE step = {int(step)} "
                "AND list_contains(?, structure::VARCHAR) GROUP BY 1 ORDER BY 1",
                [structures],
            ).fetchall()
            policies = [policy for policy, _ in found]
            rows = sum(count for _, count in found)
            per_query = max(1, MIXTURE_VALUES // max(rows, 1))
            for start in range(0, len(shown), per_query):
                group = shown[start : start + per_query]
                columns = ", ".join(f"{_column(n)}::DOUBLE" for n in group)
                table = con.execute(
                    "SELECT list_position(?, policy::VARCHAR) AS p, "
                    f"CASE structure::VARCHAR {cases} END AS w, {columns} "
                    f"FROM {view} WHERE step = {int(step)} "
                    "AND list_contains(?, structure::VARCHAR) ORDER BY p, structure, member",
                    [policies, structures],
                ).fetchnumpy()
                p, w = np.asarray(table["p"]), np.asarray(table["w"])
                bounds = np.searchsorted(p, np.arange(1, len(policies) + 2))
                values = [np.asarray(table[k]) for k in list(table)[2:]]
                for k, policy in enumerate(policies):
                    lo, hi = bounds[k], bounds[k + 1]
                    for name, v in zip(group, values, strict=True):
                        out[(policy, name)] = weighted_quantiles(v[lo:hi], w[lo:hi], levels)
        return out

    def weighted_horizon_sums(
        self,
        weights: dict[str, float],
        policies: Sequence[str],
        measures: Sequence[str],
        horizon: int,
    ) -> dict[str, dict[str, np.ndarray]]:
        """Per policy, the sums over members of the structures' weighted combination, computed
        from the stored rows: with x_i = Σ_s w_s · v_is, the sum and sum of squares of x by step
        for the decoupled flag (``decoupled_sum``, ``decoupled_sq``) and at the horizon for each
        measure (``horizon_sum``, ``horizon_sq``) and for its paired difference from baseline
        (``diff_sum``, ``diff_sq``); NaN for a measure the run did not record."""
        names = list(weights)
        cases = " ".join(f"WHEN {_text(n)} THEN {float(weights[n])!r}" for n in names)
        w = f"CASE structure::VARCHAR {cases} END"
        wa = f"CASE a.structure::VARCHAR {cases} END"
        out: dict[str, dict[str, np.ndarray]] = {}
        with self._query() as (con, view):
            present = [m for m in measures if m in self.columns()]
            for policy in policies:
                by_step = con.execute(
                    "SELECT step, sum(x), sum(x * x) FROM (SELECT member, step, "
                    f"sum({w} * decoupled::DOUBLE) AS x FROM {view} "
                    "WHERE policy::VARCHAR = ? AND list_contains(?, structure::VARCHAR) "
                    "GROUP BY member, step) GROUP BY step ORDER BY step",
                    [policy, names],
                ).fetchall()
                decoupled = np.zeros((2, horizon + 1))
                for step, total, squares in by_step:
                    decoupled[:, int(step)] = (total, squares)
                parts = [
                    f"sum({wa} * a.{_column(m)}::DOUBLE) AS v{k}, "
                    f"sum({wa} * (a.{_column(m)}::DOUBLE - b.{_column(m)}::DOUBLE)) AS d{k}"
                    for k, m in enumerate(present)
                ]
                sums = [
                    f"sum(v{k}), sum(v{k} * v{k}), sum(d{k}), sum(d{k} * d{k})"
                    for k in range(len(present))
                ]
                row = None
                if present:
                    row = con.execute(
                        f"SELECT {', '.join(sums)} FROM (SELECT a.member, {', '.join(parts)} "
                        f"FROM {view} a JOIN {view} b ON a.member = b.member "
                        "AND a.step = b.step AND a.structure = b.structure "
                        f"WHERE a.step = {int(horizon)} AND a.policy::VARCHAR = ? "
                        "AND b.policy::VARCHAR = 'baseline' "
                        "AND list_contains(?, a.structure::VARCHAR) GROUP BY a.member)",
                        [policy, names],
                    ).fetchone()
                table = np.full((len(measures), 4), np.nan)
                for k, m in enumerate(present):
                    assert row is not None
                    table[measures.index(m)] = [float(v) for v in row[4 * k : 4 * k + 4]]
                out[policy] = {
                    "decoupled_sum": decoupled[0],
                    "decoupled_sq": decoupled[1],
                    "horizon_sum": table[:, 0],
                    "horizon_sq": table[:, 1],
                    "diff_sum": table[:, 2],
                    "diff_sq": table[:, 3],
                }
        return out

    def parameter_frame(self) -> Any:
        """The sampled uncertain parameters, one row per member in member order (a DataFrame;
        read once within :meth:`reading`, each caller given its own copy)."""
        reading = self._reading()
        if reading is not None and "parameters" in reading.cache:
            return reading.cache["parameters"].copy()
        with self._query(parameters=True) as (con, _):
            frame = con.execute(f"SELECT * FROM {PARAMETERS} ORDER BY member").df()
        if reading is not None:
            reading.cache["parameters"] = frame
            return frame.copy()
        return frame

    # -- one block at a time (lazy reading) ------------------------------------------------
    def block_sizes(self) -> list[int]:
        """Members of each block, in block order (read from the Parquet metadata only)."""
        if self.tables:
            return [t.num_rows for t in self._parameter_tables()]
        return [pq.ParquetFile(p).metadata.num_rows for p in self.paths(PARAMETERS)]

    def block_values(
        self, block: int, names: Sequence[str], policy: str, steps: int
    ) -> dict[str, np.ndarray]:
        """Block ``block``'s values of ``names`` under ``policy``: per name an array (members
        of the block in member order, ``steps`` steps). Reads only those columns of that
        block's file."""
        columns = ["policy", "member", "step", *names]
        if self.structure is not None:  # a view of one structure of a run of several
            columns.append("structure")
        if self.tables:
            table = self.tables[block].select(columns)
        else:
            table = pq.read_table(self.paths(TRAJECTORIES)[block], columns=columns)
        policy_column = table.column("policy").cast(pa.string()).to_numpy(zero_copy_only=False)
        wanted = policy_column == policy
        if self.structure is not None:
            structure_column = table.column("structure").cast(pa.string())
            wanted &= structure_column.to_numpy(zero_copy_only=False) == self.structure
        chosen = np.flatnonzero(wanted)
        member = table.column("member").to_numpy()[chosen]
        step = table.column("step").to_numpy()[chosen]
        order = chosen[np.lexsort((step, member))]
        size = len(order) // steps
        return {
            name: table.column(name).to_numpy(zero_copy_only=False)[order].reshape(size, steps)
            for name in names
        }

    def block_parameters(self, block: int, names: Sequence[str]) -> np.ndarray:
        """Block ``block``'s drawn values of the parameters ``names``: (members, parameters)."""
        if self.tables:
            table = self._parameter_tables()[block]
        else:
            table = pq.read_table(self.paths(PARAMETERS)[block], columns=["member", *names])
        order = np.argsort(table.column("member").to_numpy(), kind="stable")
        if not names:
            return np.zeros((len(order), 0))
        return np.column_stack(
            [table.column(n).to_numpy(zero_copy_only=False)[order] for n in names]
        ).astype(np.float64)

    def parameter_names(self) -> list[str]:
        """The sampled parameters' names, as the parameter files hold them."""
        if self.tables:
            schema = pq.read_schema(io.BytesIO(self.parameter_blobs[0]))
        else:
            schema = pq.read_schema(self.paths(PARAMETERS)[0])
        return [n for n in schema.names if n != "member"]

    def _parameter_tables(self) -> list[pa.Table]:
        return [pq.read_table(io.BytesIO(data)) for data in self.parameter_blobs]

    def parameter_ranges(self) -> list[tuple[str, float, float, float]]:
        """(name, smallest, mean, largest value drawn) of each sampled parameter (computed once
        for these files: a run's files never change once written)."""
        key = ("parameter_ranges", str(self.directory), len(self.parameter_blobs))
        known = self._known.get(key)
        if known is None:
            known = self._parameter_ranges()
            self._known[key] = known
        return list(known)

    def _parameter_ranges(self) -> list[tuple[str, float, float, float]]:
        with self._query(parameters=True) as (con, _):
            columns = [r[0] for r in con.execute(f"DESCRIBE {PARAMETERS}").fetchall()]
            names = [c for c in columns if c != "member"]
            if not names:
                return []
            parts = ", ".join(f"min({c}), avg({c}), max({c})" for c in (_column(n) for n in names))
            row = con.execute(f"SELECT {parts} FROM {PARAMETERS}").fetchone()
        assert row is not None
        return [
            (name, *(float(v) for v in row[3 * k : 3 * k + 3]))  # type: ignore[misc]
            for k, name in enumerate(names)
        ]

    def horizon_sums(
        self, policies: Sequence[str], measures: Sequence[str], horizon: int
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per policy, members decoupled at each step (steps,) and, per measure, the sum and sum
        of squares at the horizon of the values and of the paired differences from baseline
        (measures, 4); NaN for a measure the run did not record."""
        self._one_structure("sums by policy")
        out = {}
        with self._query() as (con, view):
            present = [m for m in measures if m in self.columns()]

            def value(name: str, alias: str) -> str:
                return f"{alias}.{_column(name)}::DOUBLE"

            parts = [f"sum({value(m, 'a')}), sum(({value(m, 'a')})^2)" for m in present]
            parts += [
                f"sum({value(m, 'a')} - {value(m, 'b')}), "
                f"sum(({value(m, 'a')} - {value(m, 'b')})^2)"
                for m in present
            ]
            for policy in policies:
                counts = con.execute(
                    f"SELECT step, count_if(decoupled) FROM {view} "
                    "WHERE policy::VARCHAR = ? GROUP BY step ORDER BY step",
                    [policy],
                ).fetchall()
                decoupled = np.zeros(horizon + 1, dtype=np.int64)
                for step, n in counts:
                    decoupled[int(step)] = int(n)
                row = con.execute(
                    f"SELECT {', '.join(parts)} FROM {view} a JOIN {view} b "
                    "ON a.member = b.member AND a.step = b.step "
                    f"WHERE a.step = {int(horizon)} AND a.policy::VARCHAR = ? "
                    "AND b.policy::VARCHAR = 'baseline'",
                    [policy],
                ).fetchone()
                sums = {m: [np.nan] * 4 for m in measures}
                k = len(present)
                for j, m in enumerate(present):
                    assert row is not None
                    sums[m] = [
                        row[2 * j],
                        row[2 * j + 1],
                        row[2 * k + 2 * j],
                        row[2 * k + 2 * j + 1],
                    ]
                table = np.array(
                    [[float(v) if v is not None else np.nan for v in sums[m]] for m in measures]
                )
                out[policy] = (decoupled, table)
        return out

    def export(self, out: Path, fmt: str) -> list[Path]:
        """Copy the trajectories (by policy, member, step) and parameters (by member) into
        ``out`` as ``trajectories.<fmt>`` and ``parameters.<fmt>`` (Parquet or CSV)."""
        options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
        written = []
        with self.connect() as con:
            rows = "policy, member, step"
            if "structure" in self.columns(con):
                rows = "structure, " + rows
            for kind, order in ((TRAJECTORIES, rows), (PARAMETERS, "member")):
                target = out / f"{kind}.{fmt}"
                con.execute(
                    f"COPY (SELECT * FROM {kind} ORDER BY {order}) "
                    f"TO {_text(target.as_posix())} ({options})"
                )
                written.append(target)
        return written


def _by_member_and_step(
    table: dict[str, Any], pairs: int, policies: int, names: Sequence[str]
) -> list[dict[str, np.ndarray]] | None:
    """Rows of (structure code ``s``, policy code ``p``, member, step, names…) in any order as
    each pair's name → (members, steps) array, members in member order — when every member of
    a contiguous range is there at every step exactly once under every pair (as a run writes
    them), else None."""
    member = np.asarray(table["member"], dtype=np.int64)
    step = np.asarray(table["step"], dtype=np.int64)
    if len(member) == 0:
        return None
    first = int(member.min())
    members = int(member.max()) - first + 1
    steps = int(step.max()) + 1
    if len(member) != pairs * members * steps or int(step.min()) < 0:
        return None
    pair = (np.asarray(table["s"], dtype=np.int64) - 1) * policies + (
        np.asarray(table["p"], dtype=np.int64) - 1
    )
    cell = (pair * members + (member - first)) * steps + step
    if np.bincount(cell, minlength=len(member)).max() != 1:
        return None
    out = []
    for name in names:
        placed = np.empty(len(member), dtype=np.float64)
        placed[cell] = np.asarray(table[name], dtype=np.float64)
        out.append(placed.reshape(pairs, members, steps))
    return [{n: out[j][k] for j, n in enumerate(names)} for k in range(pairs)]


def _sorted_by_member_and_step(
    table: dict[str, Any], pairs: int, policies: int, names: Sequence[str]
) -> list[dict[str, np.ndarray]]:
    """Rows ordered by (structure code ``s``, policy code ``p``, member, step) as each pair's
    name → (members, steps + 1) array (steps: the pair's own)."""
    codes = np.asarray(table["s"], dtype=np.int64) * (policies + 1) + np.asarray(
        table["p"], dtype=np.int64
    )
    out = []
    for k in range(pairs):
        code = (k // policies + 1) * (policies + 1) + k % policies + 1
        lo, hi = np.searchsorted(codes, [code, code + 1])
        step = np.asarray(table["step"][lo:hi])
        steps = int(np.max(step)) + 1 if len(step) else 0
        out.append(
            {n: np.asarray(table[n][lo:hi], dtype=np.float64).reshape(-1, steps) for n in names}
        )
    return out


def _values_placed(
    con: duckdb.DuckDBPyConnection,
    view: str,
    label: str,
    step: int,
    present: Sequence[str],
    pairs: list[tuple[str, str]],
) -> dict[tuple[str, str], dict[str, np.ndarray]] | None:
    """:func:`_values_by_group` of the (structure, policy) ``pairs`` (in order), the rows read
    in file order and placed by member (:func:`_by_member_and_step`) rather than sorted by
    DuckDB; None unless the pairs are every structure under every policy and each holds every
    member of one range once."""
    structures = list(dict.fromkeys(s for s, _ in pairs))
    policies = list(dict.fromkeys(p for _, p in pairs))
    if not pairs or pairs != [(s, p) for s in structures for p in policies]:
        return None
    columns = "".join(f", {_column(n)}::DOUBLE AS v{k}" for k, n in enumerate(present))
    table = con.execute(
        f"SELECT list_position(?, {label}) AS s, list_position(?, policy::VARCHAR) AS p, "
        f"member, 0 AS step{columns} FROM {view} WHERE step = {int(step)}",
        [structures, policies],
    ).fetchnumpy()
    aliases = [f"v{k}" for k in range(len(present))]
    arrays = _by_member_and_step(table, len(pairs), len(policies), aliases)
    if arrays is None:
        return None
    return {
        pair: {n: found[v][:, 0] for n, v in zip(present, aliases, strict=True)}
        for pair, found in zip(pairs, arrays, strict=True)
    }


def _values_by_group(
    con: duckdb.DuckDBPyConnection, view: str, label: str, step: int, present: Sequence[str]
) -> dict[tuple[str, str], dict[str, np.ndarray]]:
    """Per (structure, policy) of ``view`` (the structure read as the SQL ``label``), each of
    ``present``'s value per member (in member order) at ``step``, in one query."""
    columns = "".join(f", {_column(n)}::DOUBLE AS v{k}" for k, n in enumerate(present))
    table = con.execute(
        f"SELECT {label} AS s, policy::VARCHAR AS p{columns} FROM {view} "
        f"WHERE step = {int(step)} ORDER BY s, p, member"
    ).fetchnumpy()
    s, p = np.asarray(table["s"], dtype=object), np.asarray(table["p"], dtype=object)
    cuts = np.flatnonzero((s[1:] != s[:-1]) | (p[1:] != p[:-1])) + 1
    bounds = [0, *cuts.tolist(), len(s)] if len(s) else []
    out: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for lo, hi in itertools.pairwise(bounds):
        out[(str(s[lo]), str(p[lo]))] = {
            n: np.asarray(table[f"v{k}"][lo:hi], dtype=np.float64) for k, n in enumerate(present)
        }
    return out


def _quantiles_of_sorted(
    con: duckdb.DuckDBPyConnection,
    ordered: dict[tuple[str, str], dict[str, np.ndarray]],
    names: Sequence[str],
    levels: Sequence[float],
) -> dict[tuple[str, str, str], list[float]] | None:
    """:meth:`RunFiles.structure_quantiles_at` from each (structure, policy)'s values in order
    (``ordered``), bit for bit as DuckDB's ``quantile_cont`` computes them: at level q over n
    values it reads the order statistics lo and hi at positions ⌊(n − 1)q⌋ and ⌈(n − 1)q⌉ and
    interpolates between them by d = (n − 1)q − ⌊(n − 1)q⌋. The order statistics are taken
    here from the sorted values; the interpolation is left to DuckDB, as ``quantile_cont`` of
    the two values lo and hi at level d, which reads the same lo, hi and d and so gives the
    same number (however DuckDB's build rounds the interpolation). None (ask DuckDB for the
    quantiles) when a value is NaN, or when a zero sits at an order statistic of values that
    hold both 0 and -0 (which of the two a sort puts there is not fixed)."""
    as_read = con.execute(f"SELECT {_levels(levels)}::DOUBLE[]").fetchall()
    qs = [float(q) for q in as_read[0][0]]  # the levels as DuckDB reads them
    by_size: dict[int, list[tuple[tuple[str, str, str], np.ndarray]]] = {}
    for (structure, policy), arrays in ordered.items():
        for name in names:
            x = arrays[name]
            if len(x):
                by_size.setdefault(len(x), []).append(((structure, policy, name), x))
    out: dict[tuple[str, str, str], list[float]] = {}
    for n, cases in by_size.items():
        keys = [key for key, _ in cases]
        x = np.stack([values for _, values in cases])
        if np.isnan(x[:, -1]).any():  # sorted last: any NaN is there
            return None
        found = np.empty((len(keys), len(qs)))
        for k, q in enumerate(qs):
            rn = float(n - 1) * q
            lo, hi = x[:, math.floor(rn)], x[:, math.ceil(rn)]
            zero = np.flatnonzero((lo == 0) | (hi == 0))
            if any(_both_zeros(x[row]) for row in zero):
                return None
            if math.floor(rn) == math.ceil(rn):
                found[:, k] = lo
                continue
            d = rn - math.floor(rn)
            found[:, k] = con.execute(
                f"SELECT g, quantile_cont(v, '{d!r}'::DOUBLE) AS q FROM (SELECT "
                "unnest(?::BIGINT[]) AS g, unnest(?::DOUBLE[]) AS v) GROUP BY g ORDER BY g",
                [
                    np.repeat(np.arange(len(keys)), 2).tolist(),
                    np.column_stack([lo, hi]).ravel().tolist(),
                ],
            ).fetchnumpy()["q"]
        for key, row in zip(keys, found.tolist(), strict=True):
            out[key] = row
    return out


def _both_zeros(x: np.ndarray) -> bool:
    """Whether ``x`` holds 0 and -0 (equal in a sort, told apart by their sign)."""
    zeros = x[x == 0]
    signs = np.signbit(zeros)
    return bool(signs.any() and not signs.all())


def _mixture_quantiles(
    whole: dict[tuple[str, str], dict[str, np.ndarray]],
    names: Sequence[str],
    levels: Sequence[float],
    weights: dict[str, float],
) -> dict[tuple[str, str], list[float]]:
    """:meth:`RunFiles.mixture_quantiles_at` from the run's values at the step, each
    structure's sorted on their own (``whole``: per (structure, policy), each name's values as
    :func:`_sorted_stably` orders them), in the order the query gives them: policies in order,
    then names. The sorted runs laid end to end in the structures' order and merged by a
    stable sort order the values, and their weights, exactly as :func:`weighted_quantiles`
    orders the structures' values laid end to end (structures in order, members in order)."""
    structures = sorted(weights)
    out: dict[tuple[str, str], list[float]] = {}
    for policy in sorted({p for s, p in whole if s in weights}):
        chosen = [s for s in structures if (s, policy) in whole]
        if not chosen or not names:
            continue
        w = np.concatenate([np.full(len(whole[(s, policy)][names[0]]), weights[s]) for s in chosen])
        for name in names:
            laid = np.concatenate([whole[(s, policy)][name] for s in chosen])
            order = np.argsort(laid, kind="stable")  # merges the sorted runs
            out[(policy, name)] = _sorted_weighted_quantiles(laid[order], w[order], levels)
    return out


def _sorted_stably(values: np.ndarray) -> np.ndarray:
    """``values`` in increasing order, as a stable sort orders them: sorted by the faster
    unstable sort when that cannot differ (every value smaller than the next: no ties, no
    NaN, no 0 beside -0), else by the stable one."""
    ordered = np.sort(values)
    if len(ordered) > 1 and not np.all(ordered[1:] > ordered[:-1]):
        ordered = values[np.argsort(values, kind="stable")]
    return ordered


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, levels: Sequence[float]
) -> list[float]:
    """Quantiles of values that carry weights: the values sorted, each placed at the midpoint of
    its share of the total weight, linearly interpolated between them (and the smallest or
    largest value beyond the first or last midpoint). With equal weights, the ``levels``
    quantile of n values is read at position n·q − ½ (Hazen's definition)."""
    order = np.argsort(values, kind="stable")
    return _sorted_weighted_quantiles(values[order], weights[order], levels)


def _sorted_weighted_quantiles(
    x: np.ndarray, w: np.ndarray, levels: Sequence[float]
) -> list[float]:
    """:func:`weighted_quantiles` of values already in increasing order."""
    if len(x) == 0:
        return [math.nan] * len(levels)
    cumulative = np.cumsum(w)
    midpoints = (cumulative - w / 2) / cumulative[-1]
    return [float(np.interp(q, midpoints, x)) for q in levels]


def _text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _column(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _levels(levels: Sequence[float]) -> str:
    """Quantile levels as a SQL list literal (``quantile_cont`` takes them only as constants)."""
    return "[" + ", ".join(str(float(q)) for q in levels) + "]"


_GLOB = re.compile(r"([\[\]*?])")


def _glob_free(path: Path) -> str:
    """The path as DuckDB's file readers take it literally: each glob character in a class of
    its own (``[`` → ``[[]``), since they expand ``*``, ``?`` and ``[…]`` in every name."""
    return _GLOB.sub(r"[\1]", path.as_posix())
