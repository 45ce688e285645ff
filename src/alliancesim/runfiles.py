"""A run's files: the Parquet layout of its trajectories and parameters, and every query over them.

Each block of members is two Parquet files::

    trajectories/block-NNNNNN.parquet   policy, member, step, the recorded names…; per policy
                                        steps 0..H−1 in one row group and the horizon in its
                                        own, so summaries read the horizon alone
    parameters/block-NNNNNN.parquet     member, each uncertain parameter as drawn (before any
                                        policy's changes)

kept in memory for small runs or in a directory for stored or large ones. Queries go through
DuckDB views ``trajectories`` and ``parameters`` built from an explicit list of files, so a
directory whose name holds ``'``, ``[``, ``*`` or ``?`` is read as it is named. The only SQL
over a run's files is in this module.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
from collections.abc import Sequence
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
]

TRAJECTORIES = "trajectories"
PARAMETERS = "parameters"
QUANTILE_BATCH = 16
"""Measures whose quantiles one query computes (one query each was most of a summary's time)."""
DUCKDB_MEMORY = "1GB"
"""DuckDB's memory limit for queries over a run (it spills to a temporary directory beyond it)."""


def block_name(index: int) -> str:
    """The file name of block ``index`` (the same under trajectories/ and parameters/)."""
    return f"block-{index:06d}.parquet"


# --------------------------------------------------------------------------------------------
# writing a block


def _parquet_options() -> dict[str, Any]:
    """Fast Parquet: LZ4, a dictionary only for the policy column, statistics only for the
    columns queries filter on (measured in benchmarks/RESULTS.md: 4× faster than the defaults,
    whose dictionary attempts on every float column dominate)."""
    return {
        "compression": "lz4",
        "use_dictionary": ["policy"],
        "write_statistics": ["policy", "member", "step"],
    }


def _trajectory_table(
    policy: str, members: np.ndarray, record: np.ndarray, names: Sequence[str]
) -> pa.Table:
    """One policy's record (steps + 1, names, members) as a long table: one row per member-step."""
    steps, _, size = record.shape
    columns: dict[str, Any] = {
        "policy": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(steps * size, dtype=np.int32)), pa.array([policy])
        ),
        "member": np.tile(members, steps),
        "step": np.repeat(np.arange(steps, dtype=np.int16), size),
    }
    for j, col in enumerate(names):
        values = record[:, j, :].reshape(-1)
        columns[col] = values.astype(bool) if col == "decoupled" else values
    return pa.table(columns)


class TrajectoryWriter:
    """One block's trajectories file, written policy after policy (in memory)."""

    def __init__(self, members: np.ndarray, names: Sequence[str]):
        self.members = members
        self.names = list(names)
        self._sink = io.BytesIO()
        self._writer: pq.ParquetWriter | None = None

    def add(self, policy: str, record: np.ndarray) -> None:
        """Append the block's record under ``policy`` (steps + 1, names, members)."""
        table = _trajectory_table(policy, self.members, record, self.names)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._sink, table.schema, **_parquet_options())
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


@dataclass
class RunFiles:
    """The files of one run: in ``directory`` (None: nowhere on disk), and, for small runs, the
    trajectories (decoded) and parameter files kept in memory as well."""

    directory: Path | None = None
    tables: list[pa.Table] = field(default_factory=list)
    parameter_blobs: list[bytes] = field(default_factory=list, repr=False)
    _parameters: pa.Table | None = field(default=None, repr=False)

    # -- writing ----------------------------------------------------------------------------
    def add_block(self, index: int, trajectories: bytes, parameters: bytes, *, keep: bool) -> None:
        """Add block ``index``'s two files: into the directory (if any), and into memory if ``keep``."""
        if self.directory is not None:
            for kind, data in ((TRAJECTORIES, trajectories), (PARAMETERS, parameters)):
                (self.directory / kind).mkdir(parents=True, exist_ok=True)
                (self.directory / kind / block_name(index)).write_bytes(data)
        if keep:
            self.tables.append(pq.read_table(io.BytesIO(trajectories)))
            self.parameter_blobs.append(parameters)  # decoded when first asked for

    def moved_to(self, directory: Path) -> RunFiles:
        """The same files after their directory was renamed to ``directory``."""
        return replace(self, directory=directory)

    # -- reading ------------------------------------------------------------------------------
    def paths(self, kind: str) -> list[Path]:
        """The run's files of one kind (``trajectories`` or ``parameters``) in block order."""
        if self.directory is None:
            return []
        return sorted((self.directory / kind).glob("block-*.parquet"))

    def connect(self, *, parameters: bool = True) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``trajectories`` and ``parameters`` over this run
        (``parameters=False``: trajectories only, which spares decoding the parameters)."""
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute(f"SET memory_limit = {_text(DUCKDB_MEMORY)}")
        temp = Path(tempfile.gettempdir()) / "alliancesim-duckdb"
        con.execute(f"SET temp_directory = {_text(temp.as_posix())}")
        try:
            if self.tables:
                con.register(TRAJECTORIES, pa.concat_tables(self.tables, promote_options="default"))
                if parameters:
                    con.register(PARAMETERS, self._parameter_table())
            elif self.directory is not None and self.paths(TRAJECTORIES):
                for kind in (TRAJECTORIES, PARAMETERS) if parameters else (TRAJECTORIES,):
                    con.read_parquet([_glob_free(p) for p in self.paths(kind)]).create_view(kind)
            else:
                raise ValueError("this run kept no trajectories (stored nowhere)")
        except BaseException:
            con.close()
            raise
        return con

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
            if self.tables:
                return {name for table in self.tables for name in table.schema.names}
            if self.directory is not None and (paths := self.paths(TRAJECTORIES)):
                return set(pq.read_schema(paths[0]).names)
            with self.connect(parameters=False) as own:
                return self.columns(own)
        return {row[0] for row in con.execute(f"DESCRIBE {TRAJECTORIES}").fetchall()}

    def quantiles_at(
        self, step: int, names: Sequence[str], levels: Sequence[float]
    ) -> dict[tuple[str, str], list[float]]:
        """Per (policy, name), the ``levels`` quantiles over members at ``step`` (DuckDB's exact
        ``quantile_cont``); names the run did not record are left out. ``QUANTILE_BATCH``
        measures per query, so memory holds a few columns of the step, not all."""
        out: dict[tuple[str, str], list[float]] = {}
        if not names:
            return out
        with self.connect(parameters=False) as con:
            present = self.columns(con)
            wanted = [n for n in names if n in present]
            for start in range(0, len(wanted), QUANTILE_BATCH):
                batch = wanted[start : start + QUANTILE_BATCH]
                parts = ", ".join(
                    f"quantile_cont({_column(name)}, {_levels(levels)})" for name in batch
                )
                rows = con.execute(
                    f"SELECT policy::VARCHAR, {parts} "
                    f"FROM {TRAJECTORIES} WHERE step = {int(step)} GROUP BY 1"
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
        values = {n: {p: [[math.nan] * steps for _ in levels] for p in policies} for n in names}
        if not names:
            return values
        parts = ", ".join(f"quantile_cont({_column(n)}, {_levels(levels)})" for n in names)
        with self.connect(parameters=False) as con:
            rows = con.execute(
                f"SELECT policy::VARCHAR, step, {parts} FROM {TRAJECTORIES} GROUP BY ALL"
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
        if con is None:
            with self.connect() as own:
                return self.member_values(name, policy, step, own)
        values = con.execute(
            f"SELECT {_column(name)}::DOUBLE AS v FROM {TRAJECTORIES} "
            "WHERE policy::VARCHAR = ? AND step = ? ORDER BY member",
            [policy, step],
        ).fetchnumpy()["v"]
        return np.asarray(values, dtype=np.float64)

    def trajectory_frame(self, policies: Sequence[str]) -> Any:
        """The trajectories of ``policies`` as a pandas DataFrame (policy as text), ordered by
        policy, member and step."""
        with self.connect() as con:
            return con.execute(
                "SELECT * EXCLUDE (policy), policy::VARCHAR AS policy FROM "
                f"{TRAJECTORIES} WHERE list_contains(?, policy::VARCHAR) "
                "ORDER BY policy, member, step",
                [list(policies)],
            ).df()

    def parameter_frame(self) -> Any:
        """The sampled uncertain parameters, one row per member in member order (a DataFrame)."""
        with self.connect() as con:
            return con.execute(f"SELECT * FROM {PARAMETERS} ORDER BY member").df()

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
        if self.tables:
            table = self.tables[block].select(columns)
        else:
            table = pq.read_table(self.paths(TRAJECTORIES)[block], columns=columns)
        policy_column = table.column("policy").cast(pa.string()).to_numpy(zero_copy_only=False)
        chosen = np.flatnonzero(policy_column == policy)
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
        """(name, smallest, mean, largest value drawn) of each sampled parameter."""
        with self.connect() as con:
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
        out = {}
        with self.connect() as con:
            present = [m for m in measures if m in self.columns(con)]

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
                    f"SELECT step, count_if(decoupled) FROM {TRAJECTORIES} "
                    "WHERE policy::VARCHAR = ? GROUP BY step ORDER BY step",
                    [policy],
                ).fetchall()
                decoupled = np.zeros(horizon + 1, dtype=np.int64)
                for step, n in counts:
                    decoupled[int(step)] = int(n)
                row = con.execute(
                    f"SELECT {', '.join(parts)} FROM {TRAJECTORIES} a JOIN {TRAJECTORIES} b "
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
            for kind, order in ((TRAJECTORIES, "policy, member, step"), (PARAMETERS, "member")):
                target = out / f"{kind}.{fmt}"
                con.execute(
                    f"COPY (SELECT * FROM {kind} ORDER BY {order}) "
                    f"TO {_text(target.as_posix())} ({options})"
                )
                written.append(target)
        return written


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
