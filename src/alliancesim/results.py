"""The results of a run: a read-only handle on its files and partial sums, and its summary.

Trajectories of every member under every policy (and structure) live in the run's Parquet files
(:mod:`alliancesim.runfiles`), read through DuckDB or as an xarray Dataset with dimensions
policy × member × step (× actor × issue for positions and saliences; structure first when the
run has several). The summary gives, per policy, P(decoupling by each step) with a Wilson 95 %
interval, quantiles of each indicator at the horizon, and paired differences from ``baseline``
(same members, same random numbers), from the run's exact partial sums (:mod:`alliancesim.sums`).

A run of several structures (rival accounts of contested mechanisms, :mod:`alliancesim.structures`)
is summarised per structure (:meth:`Results.structure` gives one structure's results, read as a
run of its own) and as the structures' weighted combination: each member's weighted mean over
the structures, so P(decoupling), means and paired differences are weighted means with t 95 %
intervals over members, and quantiles those of the weighted mixture of the structures' members.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from alliancesim.intervals import mean_interval_from_sums, wilson_interval
from alliancesim.model import Model
from alliancesim.runfiles import RunFiles
from alliancesim.sums import PartialSums, WeightedSums

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
    p_signs_by_step: dict[str, list[float]] = field(default_factory=dict)
    """P(each observable sign by each step), when the scenario defines signs (the combination
    is ``p_decoupling_by_step``)."""
    p_index_by_step: list[float] | None = None
    """P(the cohesion index by each step), when the scenario declares an index."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out = {
            "p_decoupling": self.p_decoupling,
            "p_decoupling_ci": list(self.p_decoupling_ci),
            "p_decoupling_by_step": self.p_decoupling_by_step,
            "p_decoupling_ci_by_step": [list(ci) for ci in self.p_decoupling_ci_by_step],
            "indicators": self.indicators,
            "vs_baseline": self.vs_baseline,
        }
        if self.p_signs_by_step:
            out["p_signs_by_step"] = self.p_signs_by_step
        if self.p_index_by_step is not None:
            out["p_index_by_step"] = self.p_index_by_step
        return out


@dataclass
class Summary:
    """Per-policy summary of a run, in the order the policies were run: of its one structure,
    or the weighted combination of its structures (``structures`` holds each structure's, for a
    scenario with contested mechanisms, with their ``weights``)."""

    scenario: str
    members: int
    seed: int
    horizon: str
    steps: list[str]
    policies: dict[str, PolicySummary]
    structures: dict[str, dict[str, PolicySummary]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)

    @property
    def combined(self) -> bool:
        """Whether ``policies`` is the weighted combination of several structures."""
        return len(self.structures) > 1

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
        out = {
            "scenario": self.scenario,
            "members": self.members,
            "seed": self.seed,
            "horizon": self.horizon,
            "steps": self.steps,
            "policies": {k: v.to_dict() for k, v in self.policies.items()},
        }
        if self.structures:
            out["policies_under"] = "weighted" if self.combined else next(iter(self.structures))
            out["weights"] = dict(self.weights)
            out["structures"] = {
                name: {k: v.to_dict() for k, v in policies.items()}
                for name, policies in self.structures.items()
            }
        return out


@dataclass
class Results:
    """Everything a run produced, with its provenance (scenario, seed, members, policies,
    structures): its files and its partial sums (per structure, and of the structures'
    weighted combination when there are several)."""

    run_id: str
    model: Model
    policies: list[str]
    members: int
    seed: int
    record: str
    scenario_hash: str
    files: RunFiles
    structure_sums: dict[str, PartialSums]
    elapsed: float = 0.0
    weighted_sums: WeightedSums | None = None
    weights: dict[str, float] = field(default_factory=dict)
    """Each structure's weight in the combination (the normalised product of its accounts'
    weights: history's where it has them, else the priors; see :mod:`alliancesim.structures`)."""
    weights_source: str = ""
    """Where the weights come from, in words ("priors", or "history (…): <provenance>")."""
    account_weights: dict[str, dict[str, float]] = field(default_factory=dict)
    """History's weights of the accounts of each mechanism that has them (mechanism → account
    → weight); the other mechanisms' accounts are weighed by their priors."""
    account_evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What history's weights rest on, per mechanism (see
    :meth:`alliancesim.history_file.HistoryWeights.evidence`); empty for runs stored before it
    was kept."""
    _summary: Summary | None = field(default=None, init=False, repr=False)
    _slices: dict[str, Results] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.weights:
            from alliancesim.structures import parse_structure, structure_weights

            scenario = self.model.scenario
            self.weights = structure_weights(
                [parse_structure(scenario, name) for name in self.structure_sums]
            )
        if not self.weights_source and self.model.scenario.mechanisms:
            self.weights_source = "priors"
        if len(self.structure_sums) == 1:  # one structure: read as a run without structures
            self.files = self.files.only(self.structures[0])

    @property
    def structures(self) -> list[str]:
        """The structures run, in run order (``["seed"]`` for a scenario without mechanisms)."""
        return list(self.structure_sums)

    @property
    def several(self) -> bool:
        """Whether the run holds several structures (its summary is then their combination)."""
        return len(self.structure_sums) > 1

    @property
    def structured(self) -> bool:
        """Whether the scenario declares contested mechanisms (its results name structures)."""
        return bool(self.model.scenario.mechanisms)

    @property
    def primary_structure(self) -> str:
        """The structure shown where one is shown alone: the seed's if run, else the first."""
        return "seed" if "seed" in self.structure_sums else self.structures[0]

    @property
    def sums(self) -> PartialSums:
        """The partial sums of the run's one structure (a run of several: see :meth:`structure`)."""
        if self.several:
            raise ValueError(
                "this run has several structures: their sums are results.structure(name).sums "
                "and results.weighted_sums"
            )
        return self.structure_sums[self.structures[0]]

    def structure(self, name: str) -> Results:
        """One structure of the run, as a read-only handle of its own: only that structure's
        trajectories and sums, the same policies, members and draws."""
        if name not in self.structure_sums:
            from alliancesim.errors import InputError

            raise InputError.single(
                "--structure",
                f"this run did not simulate structure {name!r} (run: {', '.join(self.structures)})",
            )
        if not self.several:
            return self
        cached = self._slices.get(name)
        if cached is None or cached.files.directory != self.files.directory:  # moved: stored
            self._slices[name] = Results(
                run_id=self.run_id,
                model=self.model,
                policies=self.policies,
                members=self.members,
                seed=self.seed,
                record=self.record,
                scenario_hash=self.scenario_hash,
                files=self.files.only(name),
                structure_sums={name: self.structure_sums[name]},
                elapsed=self.elapsed,
                weights={name: 1.0},
            )
        return self._slices[name]

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
        (``parameters=False``: trajectories only, which spares decoding the parameters); the
        trajectories have a ``structure`` column when the run holds several structures."""
        return self.files.connect(parameters=parameters)

    def reading(self) -> AbstractContextManager[None]:
        """A block in which the run is read many times over (its table, claims, report): on
        this thread every query over the run and over each of its structures shares one DuckDB
        connection, and reads several steps make alike are made once
        (:meth:`alliancesim.runfiles.RunFiles.reading`). Blocks nest."""
        return self.files.reading()

    def parameters(self) -> Any:
        """The sampled uncertain parameters, one row per member (a pandas DataFrame)."""
        return self.files.parameter_frame().set_index("member")

    def dataset(self, policies: list[str] | None = None) -> Any:
        """The trajectories as an xarray Dataset (policy, member, step[, actor, issue]), read
        from the run's files only when values are asked for, with CF-style attributes and a
        ``time`` coordinate (:mod:`alliancesim.lazydata`); a leading ``structure`` dimension
        when the run holds several structures."""
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
        """P(decoupling) by step with Wilson intervals, indicator quantiles, paired differences
        (for a run of several structures: their weighted combination, and each structure's)."""
        if self._summary is None:
            self._summary = _summarise_run(self)
        return self._summary


def _summarise_run(results: Results) -> Summary:
    """The summary of a run: of its one structure, or of each structure and their combination."""
    H = results.model.horizon
    measures = _measures(results)
    if not results.several:
        quantiles = results.files.quantiles_at(H, measures[:-1], QUANTILES)
        summary = _summarise(results, results.sums, quantiles)
        if results.structured:
            summary.structures = {results.structures[0]: summary.policies}
            summary.weights = dict(results.weights)
        return summary
    by_structure = results.files.structure_quantiles_at(H, measures[:-1], QUANTILES)
    structures: dict[str, dict[str, PolicySummary]] = {}
    for name in results.structures:
        part = results.structure(name)
        quantiles = {(p, m): v for (s, p, m), v in by_structure.items() if s == name}
        part._summary = _summarise(part, part.sums, quantiles)
        structures[name] = part._summary.policies
    mixture = results.files.mixture_quantiles_at(H, measures[:-1], QUANTILES, results.weights)
    assert results.weighted_sums is not None
    policies = _combination(results, results.weighted_sums, mixture)
    _weighted_observable(results, structures, policies)
    summary = _frame(results, policies)
    summary.structures = structures
    summary.weights = dict(results.weights)
    return summary


def _measures(results: Results) -> list[str]:
    sums = results.weighted_sums if results.several else results.sums
    assert sums is not None
    return sums.measures


def _frame(results: Results, policies: dict[str, PolicySummary]) -> Summary:
    model = results.model
    return Summary(
        scenario=model.scenario.id,
        members=results.members,
        seed=results.seed,
        horizon=model.clock.label(model.horizon),
        steps=results.steps,
        policies=policies,
    )


def _quantile_entry(
    quantiles: dict[tuple[str, str], list[float]], policy: str, name: str
) -> dict[str, float]:
    levels = quantiles.get((policy, name))
    if levels is None:
        return {}
    return {f"q{round(q * 100):02d}": v for q, v in zip(QUANTILES, levels, strict=True)}


def _summarise(
    results: Results, sums: PartialSums, quantiles: dict[tuple[str, str], list[float]]
) -> Summary:
    """The summary of one structure from its partial sums and its horizon quantiles."""
    n = results.members
    H = results.model.horizon
    measures = sums.measures
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
            entry.update(_quantile_entry(quantiles, policy, name))
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
    _observable(results, out)
    return _frame(results, out)


def _observable(results: Results, policies: dict[str, PolicySummary]) -> None:
    """P(each observable sign by step) and P(the cohesion index by step) of one structure, from
    the recorded flags, when the model defines them."""
    from alliancesim.observable import INDEX_FLAG, definition

    found = definition(results.model)
    if found is None:
        return
    counts = results.files.flag_counts_by_step(found.flags, results.model.horizon)
    n = results.members
    for policy, summary in policies.items():
        for sign in found.signs:
            if policy in counts.get(sign.flag, {}):
                summary.p_signs_by_step[sign.id] = [int(c) / n for c in counts[sign.flag][policy]]
        if policy in counts.get(INDEX_FLAG, {}):
            summary.p_index_by_step = [int(c) / n for c in counts[INDEX_FLAG][policy]]


def _weighted_observable(
    results: Results,
    structures: dict[str, dict[str, PolicySummary]],
    policies: dict[str, PolicySummary],
) -> None:
    """The structures' weighted P(each sign by step) and P(index by step)."""
    for policy, summary in policies.items():
        parts = [(results.weights[s], structures[s][policy]) for s in structures]
        signs = parts[0][1].p_signs_by_step
        for sign in signs:
            summary.p_signs_by_step[sign] = [
                float(x) for x in sum(w * np.asarray(p.p_signs_by_step[sign]) for w, p in parts)
            ]
        if parts[0][1].p_index_by_step is not None:
            summary.p_index_by_step = [
                float(x) for x in sum(w * np.asarray(p.p_index_by_step) for w, p in parts)
            ]


def _share_interval(total: float, squares: float, n: int) -> tuple[float, tuple[float, float]]:
    """A weighted share's mean over members and its t 95 % interval, kept within [0, 1]."""
    mean, (lo, hi) = mean_interval_from_sums(total, squares, n)
    return mean, (max(0.0, lo), min(1.0, hi))


def _combination(
    results: Results, sums: WeightedSums, quantiles: dict[tuple[str, str], list[float]]
) -> dict[str, PolicySummary]:
    """Per policy, the structures' weighted combination: member by member, so every mean is a
    weighted mean of the structures' and its interval a t interval over members."""
    n = results.members
    H = results.model.horizon
    measures = sums.measures
    out: dict[str, PolicySummary] = {}
    for policy in results.policies:
        shares = [
            _share_interval(float(total), float(squares), n)
            for total, squares in zip(
                sums.decoupled_sum[policy], sums.decoupled_sq[policy], strict=True
            )
        ]
        indicators: dict[str, dict[str, float]] = {}
        for k, name in enumerate(measures[:-1]):
            mean, ci = mean_interval_from_sums(
                float(sums.horizon_sum[policy][k]), float(sums.horizon_sq[policy][k]), n
            )
            entry = {"mean": mean, "mean_ci": list(ci)}
            entry.update(_quantile_entry(quantiles, policy, name))
            indicators[name] = entry
        vs: dict[str, dict[str, Any]] = {}
        if policy != "baseline":
            for k, name in enumerate(measures):
                mean, ci = mean_interval_from_sums(
                    float(sums.diff_sum[policy][k]), float(sums.diff_sq[policy][k]), n
                )
                vs[name] = {"mean_difference": mean, "ci": list(ci)}
        out[policy] = PolicySummary(
            policy=policy,
            p_decoupling=shares[H][0],
            p_decoupling_ci=shares[H][1],
            p_decoupling_by_step=[p for p, _ in shares],
            p_decoupling_ci_by_step=[ci for _, ci in shares],
            indicators=indicators,
            vs_baseline=vs,
        )
    return out
