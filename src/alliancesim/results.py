"""The results of a run: a read-only handle on its files and partial sums, and its summary.

Trajectories of every member under every policy live in the run's Parquet files
(:mod:`alliancesim.runfiles`), read through DuckDB or as an xarray Dataset with dimensions
policy × member × step (× actor × issue for positions and saliences). The summary gives, per
policy, P(decoupling by each step) with a Wilson 95 % interval, quantiles of each indicator at
the horizon, and paired differences from ``baseline`` (same members, same random numbers),
from the run's exact partial sums (:mod:`alliancesim.sums`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from alliancesim.intervals import mean_interval_from_sums, wilson_interval
from alliancesim.model import Model
from alliancesim.runfiles import RunFiles
from alliancesim.sums import PartialSums

__all__ = ["QUANTILES", "PolicySummary", "Results", "Summary"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


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

    def to_frame(self) -> Any:
        """The summary as a tidy pandas DataFrame: one row per policy × measure × statistic
        (× period for P(decoupling)); see :func:`alliancesim.notebook.summary_frame`."""
        from alliancesim.notebook import summary_frame

        return summary_frame(self)

    def _repr_html_(self) -> str:
        from alliancesim.notebook import summary_html

        return summary_html(self)

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
    """Everything a run produced, with its provenance (scenario, seed, members, policies):
    its files and its partial sums."""

    run_id: str
    model: Model
    policies: list[str]
    members: int
    seed: int
    record: str
    scenario_hash: str
    files: RunFiles
    sums: PartialSums
    elapsed: float = 0.0
    _summary: Summary | None = field(default=None, init=False, repr=False)

    @property
    def directory(self) -> Path | None:
        """Where the run's Parquet files are (None: in memory only)."""
        return self.files.directory

    @property
    def steps(self) -> list[str]:
        """Period labels of steps 0..horizon."""
        return self.model.clock.labels

    def connect(self, *, parameters: bool = True) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views ``trajectories`` and ``parameters`` over this run
        (``parameters=False``: trajectories only, which spares decoding the parameters)."""
        return self.files.connect(parameters=parameters)

    def parameters(self) -> Any:
        """The sampled uncertain parameters, one row per member (a pandas DataFrame)."""
        return self.files.parameter_frame().set_index("member")

    def dataset(self, policies: list[str] | None = None) -> Any:
        """The trajectories as an xarray Dataset (policy, member, step[, actor, issue]), read
        from the run's files only when values are asked for, with CF-style attributes and a
        ``time`` coordinate (:mod:`alliancesim.lazydata`)."""
        from alliancesim.lazydata import run_dataset

        return run_dataset(self, policies)

    @property
    def plot(self) -> Any:
        """The run's figures, as its report draws them: ``decoupling()``, ``fan(name)``,
        ``ranking()`` (:class:`alliancesim.plotting.RunPlots`)."""
        from alliancesim.plotting import RunPlots

        return RunPlots(self)

    def __repr__(self) -> str:
        where = str(self.directory) if self.directory is not None else "in memory"
        return (
            f"<Results {self.run_id}: {self.model.scenario.id}, {self.members:,} members × "
            f"{len(self.policies)} policies ({', '.join(self.policies)}), seed {self.seed}, "
            f"record {self.record}, {where}>"
        )

    def _repr_html_(self) -> str:
        from alliancesim.notebook import results_html

        return results_html(self)

    def summary(self) -> Summary:
        """P(decoupling) by step with Wilson intervals, indicator quantiles, paired differences."""
        if self._summary is None:
            self._summary = _summarise(self)
        return self._summary


def _summarise(results: Results) -> Summary:
    """The summary of a run from its partial sums and its horizon quantiles."""
    model, sums, n = results.model, results.sums, results.members
    H = model.horizon
    measures = sums.measures
    quantiles = results.files.quantiles_at(H, measures[:-1], QUANTILES)
    out: dict[str, PolicySummary] = {}
    for policy in results.policies:
        counts = sums.decoupled_by_step[policy]
        by_step = [int(c) / n for c in counts]
        cis = [wilson_interval(int(c), n) for c in counts]
        indicators: dict[str, dict[str, float]] = {}
        for k, name in enumerate(measures[:-1]):
            mean, ci = mean_interval_from_sums(
                float(sums.horizon_sum[policy][k]), float(sums.horizon_sq[policy][k]), n
            )
            entry = {"mean": mean, "mean_ci": list(ci)}
            levels = quantiles.get((policy, name))
            if levels is not None:
                entry.update(
                    {f"q{round(q * 100):02d}": v for q, v in zip(QUANTILES, levels, strict=True)}
                )
            indicators[name] = entry
        vs: dict[str, dict[str, Any]] = {}
        if policy in sums.diff_sum and policy != "baseline":
            for k, name in enumerate(measures):
                mean, ci = mean_interval_from_sums(
                    float(sums.diff_sum[policy][k]), float(sums.diff_sq[policy][k]), n
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
    return Summary(
        scenario=model.scenario.id,
        members=n,
        seed=results.seed,
        horizon=model.clock.label(H),
        steps=results.steps,
        policies=out,
    )
