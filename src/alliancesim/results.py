"""The results of a run: trajectories of every member under every policy, and their summary.

Trajectories live as Parquet (one file per block, in memory for small runs or in a directory
for large or stored ones) and are read through DuckDB or as an xarray Dataset with dimensions
policy × member × step (× actor × issue for positions and saliences). The summary gives, per
policy, P(decoupling by each step) with a Wilson 95 % interval, quantiles of each indicator at
the horizon, and paired differences from ``baseline`` (same members, same random numbers).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from alliancesim.ensemble import summary_names
from alliancesim.intervals import mean_interval_from_sums, wilson_interval
from alliancesim.model import Model

__all__ = ["QUANTILES", "PolicySummary", "Results", "Summary", "wilson_interval"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DUCKDB_MEMORY = "1GB"
"""DuckDB's memory limit for queries over a run (it spills to a temporary directory beyond it)."""


@dataclass
class PolicySummary:
    """What a run says about one policy."""

    policy: str
    p_decoupling: float
    p_decoupling_ci: tuple[float, float]
    p_decoupling_by_step: list[float]
    p_decoupling_ci_by_step: list[tuple[float, float]]
    indicators: dict[str, dict[str, float]]  # name -> mean and quantiles at the horizon
    vs_baseline: dict[str, dict[str, Any]]  # name -> mean paired difference and its interval

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "p_decoupling": self.p_decoupling,
            "p_decoupling_ci": list(self.p_decoupling_ci),
            "p_decoupling_by_step": self.p_decoupling_by_step,
            "p_decoupling_ci_by_step": [list(ci) for ci in self.p_decoupling_ci_by_step],
            "indicators": self.indicators,
            "vs_baseline": self.vs_baseline,
        }


@dataclass
class Summary:
    """Per-policy summary of a run, in the order the policies were run."""

    scenario: str
    members: int
    seed: int
    horizon: str
    steps: list[str]
    policies: dict[str, PolicySummary]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "members": self.members,
            "seed": self.seed,
            "horizon": self.horizon,
            "steps": self.steps,
            "policies": {k: v.to_dict() for k, v in self.policies.items()},
        }


@dataclass
class Results:
    """Everything a run produced, with its provenance (scenario, seed, members, policies)."""

    run_id: str
    model: Model
    policies: list[str]
    members: int
    seed: int
    record: str
    scenario_hash: str
    directory: Path | None = None
    tables: list[pa.Table] = field(default_factory=list)
    _parameter_files: list[bytes] = field(default_factory=list)
    decoupled_by_step: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sum: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sq: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sum: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sq: dict[str, np.ndarray] = field(default_factory=dict)
    elapsed: float = 0.0
    _summary: Summary | None = None
    _parameters: pa.Table | None = None

    # -- accumulation ---------------------------------------------------------------------
    def add_block(self, output: Any, *, keep: bool) -> None:
        """Fold one block's output in (in block order), keeping its tables in memory or on disk."""
        for store, part in (
            (self.decoupled_by_step, output.decoupled_by_step),
            (self.horizon_sum, output.horizon_sum),
            (self.horizon_sq, output.horizon_sq),
            (self.diff_sum, output.diff_sum),
            (self.diff_sq, output.diff_sq),
        ):
            for policy, values in part.items():
                store[policy] = store[policy] + values if policy in store else values.copy()
        if self.directory is not None:
            name = f"block-{output.index:06d}.parquet"
            (self.directory / "trajectories").mkdir(parents=True, exist_ok=True)
            (self.directory / "parameters").mkdir(parents=True, exist_ok=True)
            (self.directory / "trajectories" / name).write_bytes(output.trajectories)
            (self.directory / "parameters" / name).write_bytes(output.parameters)
        if keep:
            self.tables.append(pq.read_table(io.BytesIO(output.trajectories)))
            self._parameter_files.append(output.parameters)  # decoded when first asked for

    # -- access -----------------------------------------------------------------------------
    @property
    def steps(self) -> list[str]:
        """Period labels of steps 0..horizon."""
        return self.model.clock.labels

    def connect(self, *, parameters: bool = True) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``trajectories`` and ``parameters`` over this run
        (``parameters=False``: trajectories only, which spares decoding the parameters)."""
        con = duckdb.connect()
        con.execute("SET threads TO 2")
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.execute(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'alliancesim-duckdb'}'")
        if self.tables:
            con.register("trajectories", pa.concat_tables(self.tables, promote_options="default"))
            if parameters:
                con.register("parameters", self._parameter_table())
        elif self.directory is not None:
            base = self.directory.as_posix()
            con.execute(
                f"CREATE VIEW trajectories AS SELECT * FROM read_parquet('{base}/trajectories/*.parquet')"
            )
            con.execute(
                f"CREATE VIEW parameters AS SELECT * FROM read_parquet('{base}/parameters/*.parquet')"
            )
        else:
            raise ValueError("this run kept no trajectories (stored nowhere)")
        return con

    def _parameter_table(self) -> pa.Table:
        """The sampled parameters of an in-memory run as one Arrow table (decoded once)."""
        if self._parameters is None:
            self._parameters = pa.concat_tables(
                [pq.read_table(io.BytesIO(data)) for data in self._parameter_files]
            )
        return self._parameters

    def parameters(self) -> Any:
        """The sampled uncertain parameters, one row per member (a pandas DataFrame)."""
        with self.connect() as con:
            return con.execute("SELECT * FROM parameters ORDER BY member").df().set_index("member")

    def dataset(self, policies: list[str] | None = None) -> Any:
        """The trajectories as an xarray Dataset (policy, member, step[, actor, issue])."""
        from alliancesim.dataset import build_dataset

        return build_dataset(self, policies or self.policies)

    # -- summary ----------------------------------------------------------------------------
    def summary(self) -> Summary:
        """P(decoupling) by step with Wilson intervals, indicator quantiles, paired differences."""
        if self._summary is not None:
            return self._summary
        model = self.model
        H = model.horizon
        measures = summary_names(model, self.record)
        quantiles = self._quantiles(measures[:-1])
        out: dict[str, PolicySummary] = {}
        n = self.members
        for policy in self.policies:
            counts = self.decoupled_by_step[policy]
            by_step = [int(c) / n for c in counts]
            cis = [wilson_interval(int(c), n) for c in counts]
            indicators: dict[str, dict[str, float]] = {}
            for k, name in enumerate(measures[:-1]):
                mean, ci = mean_interval_from_sums(
                    float(self.horizon_sum[policy][k]), float(self.horizon_sq[policy][k]), n
                )
                entry = {"mean": mean, "mean_ci": list(ci)}
                entry.update(quantiles.get((policy, name), {}))
                indicators[name] = entry
            vs: dict[str, dict[str, Any]] = {}
            if policy in self.diff_sum and policy != "baseline":
                for k, name in enumerate(measures):
                    mean, ci = mean_interval_from_sums(
                        float(self.diff_sum[policy][k]), float(self.diff_sq[policy][k]), n
                    )
                    vs[name] = {"mean_difference": mean, "ci": list(ci)}
            out[policy] = PolicySummary(
                policy=policy,
                p_decoupling=by_step[H],
                p_decoupling_ci=cis[H],
                p_decoupling_by_step=by_step,
                p_decoupling_ci_by_step=cis,
                indicators=indicators,
                vs_baseline=vs,
            )
        self._summary = Summary(
            scenario=model.scenario.id,
            members=n,
            seed=self.seed,
            horizon=model.clock.label(H),
            steps=self.steps,
            policies=out,
        )
        return self._summary

    def _quantiles(self, names: list[str]) -> dict[tuple[str, str], dict[str, float]]:
        if not names:
            return {}
        H = self.model.horizon
        with self.connect(parameters=False) as con:
            present = {row[0] for row in con.execute("DESCRIBE trajectories").fetchall()}
        names = [n for n in names if n in present]  # a run stored by an older version may lack some
        if not names:
            return {}
        out: dict[tuple[str, str], dict[str, float]] = {}
        with self.connect(parameters=False) as con:
            for name in names:  # one measure at a time: memory holds one column, not all
                rows = con.execute(
                    f'SELECT policy::VARCHAR, quantile_cont("{name}", {list(QUANTILES)}) '
                    f"FROM trajectories WHERE step = {H} GROUP BY 1"
                ).fetchall()
                for policy, values in rows:
                    out[(policy, name)] = {
                        f"q{round(q * 100):02d}": float(v)
                        for q, v in zip(QUANTILES, values, strict=True)
                    }
        return out
