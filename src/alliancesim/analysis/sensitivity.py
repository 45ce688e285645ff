"""What drives an outcome: variance-based (Sobol) and elementary-effects (Morris) sensitivity.

Both use SALib on the scenario's uncertain parameters in their *unit space* (each parameter's
quantile in [0, 1]; see :mod:`alliancesim.analysis.experiments`): SALib samples points in the
unit cube, the model is run at each (every point on the same replicate event streams), and
SALib estimates the indices.

- **Sobol** (Saltelli 2010 design, Jansen estimators in SALib): the first-order index S1 of a
  parameter is the share of the outcome's variance it explains alone; the total index ST the
  share it explains including all its interactions. Intervals are SALib's bootstrap 95 %
  intervals. Cost: ``n · (d + 2)`` points for d parameters (or groups).
- **Morris** (elementary effects, Campolongo's μ*): a cheap screening; μ* is the mean absolute
  change of the outcome per unit step of a parameter's quantile, σ the spread of the effects
  (high σ: nonlinear or interacting). Cost: ``n · (d + 1)`` points.
- **PAWN** and **delta** (moment-independent, :func:`moment_independent`) need no design of
  their own: they read a stored run's members, each a parameter draw with its outcome. PAWN
  (Pianosi & Wagener 2015) slices each parameter's range into 10 and measures how far the
  outcome's distribution in a slice lies from its distribution over all members
  (Kolmogorov–Smirnov distance; the median over slices ranks). Borgonovo's δ (2007, as
  estimated by Plischke et al. 2013) is the expected shift of the outcome's density when the
  parameter is known, with a bootstrap interval; it costs seconds per parameter, so it is
  estimated for the ``DELTA_TOP`` parameters PAWN ranks highest. For a yes/no outcome
  (``decoupled``) read PAWN: δ's density estimate of a 0/1 outcome is rough. Both describe the
  run's sample as drawn (each block a Latin hypercube), event randomness included.

Parameters may be grouped (``groups="entry"``: all numbers of one scenario entry, such as one
rule or one actor's stance, form one group), which makes the cost depend on the number of
entries rather than of numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from alliancesim.analysis.experiments import DEFAULT_REPLICATES, Experiments
from alliancesim.errors import InputError
from alliancesim.scenario.schema import Scenario

__all__ = [
    "DEFAULT_MORRIS_TRAJECTORIES",
    "DEFAULT_SOBOL_N",
    "DELTA_TOP",
    "GROUPING_THRESHOLD",
    "RANKED_BY",
    "SensitivityResult",
    "group_of",
    "moment_independent",
    "morris_screening",
    "sensitivity_figure",
    "sobol_indices",
]

DEFAULT_SOBOL_N = 256
"""Saltelli base sample size (a power of two, as Sobol' sequences need)."""
DEFAULT_MORRIS_TRAJECTORIES = 20
RANKED_BY = {"sobol": "ST", "morris": "mu_star", "pawn": "median", "delta": "delta"}
"""The index each method ranks factors by."""
MOMENT_INDEPENDENT_AXES = {
    "pawn": "PAWN: median KS distance of the outcome's distribution in a slice from the whole",
    "delta": "δ: expected shift of the outcome's density when the parameter is known",
}
DELTA_TOP = 15
"""Delta is estimated for this many parameters, those PAWN ranks highest (it costs seconds each)."""
GROUPING_THRESHOLD = 24
"""With ``groups="auto"``, parameters are grouped by entry when there are more than this many."""
Grouping = Literal["auto", "none", "entry"]


def group_of(parameter: str) -> str:
    """The scenario entry a parameter belongs to (``rules.fear_from_cut.weight`` → ``rules.fear_from_cut``)."""
    kind, _, rest = parameter.partition(".")
    if kind in ("policy", "param"):
        return parameter
    if kind == "issues":
        parts = rest.split(".")
        # issues.<I>.positions.<A>.position → issues.<I>.positions.<A>; issues.<I>.status_quo → itself
        return ".".join(["issues", *parts[:3]]) if len(parts) >= 4 else parameter
    if kind == "actions":
        return "actions." + rest.split(".")[0]
    head, _, _ = parameter.rpartition(".")
    return head or parameter


@dataclass
class SensitivityResult:
    """Sensitivity indices of one outcome to the scenario's uncertain parameters (or groups)."""

    method: Literal["sobol", "morris", "pawn", "delta"]
    scenario: str
    policy: str
    measure: str
    at: str
    n: int
    replicates: int
    seed: int
    evaluations: int
    names: list[str]
    members: dict[str, list[str]]  # factor -> parameters in it
    indices: dict[str, dict[str, float]]  # factor -> S1, S1_conf, ST, ST_conf | mu_star, …
    outcome_mean: float
    outcome_sd: float
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ranking(self) -> list[str]:
        """Factors from most to least influential (by ST for Sobol, μ* for Morris, the median
        KS distance for PAWN, δ for delta)."""
        key = RANKED_BY[self.method]
        return sorted(
            self.names,
            key=lambda n: -(v if math.isfinite(v := self.indices[n][key]) else -math.inf),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; ``factors`` are sorted from most to least influential."""
        return {
            "method": self.method,
            "scenario": self.scenario,
            "policy": self.policy,
            "measure": self.measure,
            "at": self.at,
            "n": self.n,
            "replicates": self.replicates,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "outcome_mean": _finite(self.outcome_mean),
            "outcome_sd": _finite(self.outcome_sd),
            "elapsed_seconds": round(self.elapsed, 3),
            "notes": self.notes,
            "factors": [
                {
                    "name": name,
                    "parameters": self.members[name],
                    **{k: _finite(v) for k, v in self.indices[name].items()},
                }
                for name in self.ranking
            ],
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _problem(names: list[str], grouping: Grouping) -> tuple[dict[str, Any], dict[str, list[str]]]:
    use_groups = grouping == "entry" or (grouping == "auto" and len(names) > GROUPING_THRESHOLD)
    problem: dict[str, Any] = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[0.0, 1.0]] * len(names),
    }
    if not use_groups:
        return problem, {n: [n] for n in names}
    groups = [group_of(n) for n in names]
    problem["groups"] = groups
    members: dict[str, list[str]] = {}
    for name, group in zip(names, groups, strict=True):
        members.setdefault(group, []).append(name)
    return problem, members


@dataclass
class _Design:
    """One Sobol or Morris design under way: the scenario's experiments measuring ``measure``,
    SALib's problem over their unit space, its factors (parameters or groups) and the time it
    started."""

    scenario: Scenario
    measure: str
    policy: str
    replicates: int
    seed: int
    experiments: Experiments
    problem: dict[str, Any]
    members: dict[str, list[str]]  # factor -> parameters in it
    started: float

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        measure: str,
        policy: str,
        at: str | int,
        replicates: int,
        seed: int,
        groups: Grouping,
    ) -> _Design:
        """The experiments of ``measure`` at ``at`` under ``policy`` and SALib's problem over
        their uncertain parameters (grouped as ``groups`` says)."""
        started = time.perf_counter()
        experiments = Experiments(
            scenario, (measure,), policy=policy, at=at, replicates=replicates, seed=seed
        )
        if len(experiments.space) == 0:
            raise InputError.single(
                "--indicator",
                f"scenario {scenario.id!r} has no uncertain parameters under {policy!r}",
            )
        problem, members = _problem(list(experiments.space.names), groups)
        return cls(
            scenario, measure, policy, replicates, seed, experiments, problem, members, started
        )

    @property
    def factors(self) -> list[str]:
        """The factors the indices are of, in SALib's order."""
        return list(self.members)

    def evaluate(
        self, X: np.ndarray, workers: int, on_progress: Callable[[int, int], None] | None
    ) -> np.ndarray:
        """The outcome at each point of the unit cube SALib sampled."""
        return self.experiments.evaluate_unit(X, workers=workers, on_progress=on_progress)[:, 0]

    def result(
        self,
        method: str,
        n: int,
        Y: np.ndarray,
        indices: dict[str, dict[str, float]],
        notes: list[str],
    ) -> SensitivityResult:
        """The result of either method, with the design's size and the outcome's spread."""
        return SensitivityResult(
            method=method,
            scenario=self.scenario.id,
            policy=self.policy,
            measure=self.measure,
            at=_at_label(self.experiments),
            n=n,
            replicates=self.replicates,
            seed=self.seed,
            evaluations=int(Y.shape[0]),
            names=self.factors,
            members=self.members,
            indices=indices,
            outcome_mean=float(np.mean(Y)),
            outcome_sd=float(np.std(Y)),
            elapsed=time.perf_counter() - self.started,
            notes=notes,
        )


def _indices(res: Any, factors: list[str], keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """SALib's indices ``keys`` (arrays in factor order) as factor -> key -> value."""
    return {f: {key: float(res[key][k]) for key in keys} for k, f in enumerate(factors)}


def _at_label(experiments: Experiments) -> str:
    from alliancesim.analysis.experiments import measure_step

    return experiments.model.clock.label(measure_step(experiments.model, experiments.at))


def sobol_indices(
    scenario: Scenario,
    measure: str = "decoupled",
    *,
    n: int = DEFAULT_SOBOL_N,
    policy: str = "baseline",
    at: str | int = "horizon",
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    groups: Grouping = "auto",
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """First-order and total Sobol indices of ``measure`` at ``at`` under ``policy``.

    For ``decoupled`` the outcome is P(decoupling by ``at``) over the replicate event streams.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    if n < 2 or n & (n - 1):
        raise InputError.single("--n", f"the Sobol base sample must be a power of two ≥ 2, got {n}")
    design = _Design.start(scenario, measure, policy, at, replicates, seed, groups)
    X = sobol_sample.sample(design.problem, n, calc_second_order=False, scramble=True, seed=seed)
    Y = design.evaluate(X, workers, on_progress)
    factors = design.factors
    notes: list[str] = []
    if float(np.var(Y)) == 0.0:
        notes.append(f"{measure} does not vary over the sample (always {Y[0]:g}): no indices")
        indices = {f: dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), math.nan) for f in factors}
    else:
        res = sobol_analyze.analyze(
            design.problem,
            Y,
            calc_second_order=False,
            num_resamples=200,
            conf_level=0.95,
            seed=seed,
        )
        indices = _indices(res, factors, ("S1", "S1_conf", "ST", "ST_conf"))
    return design.result("sobol", n, Y, indices, notes)


def morris_screening(
    scenario: Scenario,
    measure: str = "decoupled",
    *,
    n: int = DEFAULT_MORRIS_TRAJECTORIES,
    policy: str = "baseline",
    at: str | int = "horizon",
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    groups: Grouping = "auto",
    levels: int = 4,
    workers: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> SensitivityResult:
    """Morris elementary effects (μ*, σ, μ) of ``measure`` over ``n`` trajectories."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    if n < 2:
        raise InputError.single("--n", f"Morris needs at least 2 trajectories, got {n}")
    design = _Design.start(scenario, measure, policy, at, replicates, seed, groups)
    X = morris_sample.sample(design.problem, n, num_levels=levels, seed=seed)
    Y = design.evaluate(X, workers, on_progress)
    res = morris_analyze.analyze(
        design.problem, X, Y, num_resamples=200, conf_level=0.95, num_levels=levels, seed=seed
    )
    indices = _indices(res, design.factors, ("mu_star", "mu_star_conf", "mu", "sigma"))
    notes = []
    if float(np.var(Y)) == 0.0:
        notes.append(f"{measure} does not vary over the sample (always {Y[0]:g})")
    return design.result("morris", n, Y, indices, notes)


def sensitivity_figure(result: SensitivityResult, *, top: int = 20) -> Any:
    """A Plotly figure: Sobol S1 and ST bars with intervals, or Morris μ* against σ."""
    import plotly.graph_objects as go

    names = result.ranking[:top][::-1]  # largest at the top of a horizontal bar chart
    title = (
        f"{result.scenario}: what drives {result.measure} at {result.at} "
        f"({result.policy}, {result.method}, {result.evaluations:,} runs × {result.replicates})"
    )
    if result.method == "sobol":
        fig = go.Figure()
        for key, label in (("S1", "first order S1"), ("ST", "total ST")):
            fig.add_bar(
                y=names,
                x=[result.indices[n][key] for n in names],
                error_x={
                    "type": "data",
                    "array": [result.indices[n][f"{key}_conf"] for n in names],
                },
                orientation="h",
                name=label,
            )
        fig.update_layout(barmode="group", xaxis_title="share of variance", title=title)
    elif result.method in ("pawn", "delta"):
        key = RANKED_BY[result.method]
        spread = (
            {"type": "data", "array": [result.indices[n]["delta_conf"] for n in names]}
            if result.method == "delta"
            else None
        )
        fig = go.Figure(
            go.Bar(
                y=names, x=[result.indices[n][key] for n in names], error_x=spread, orientation="h"
            )
        )
        fig.update_layout(xaxis_title=MOMENT_INDEPENDENT_AXES[result.method], title=title)
    else:
        fig = go.Figure(
            go.Scatter(
                x=[result.indices[n]["mu_star"] for n in names],
                y=[result.indices[n]["sigma"] for n in names],
                error_x={
                    "type": "data",
                    "array": [result.indices[n]["mu_star_conf"] for n in names],
                },
                mode="markers+text",
                text=names,
                textposition="top center",
            )
        )
        fig.update_layout(
            xaxis_title="μ* (mean |elementary effect| per unit quantile step)",
            yaxis_title="σ (nonlinearity / interactions)",
            title=title,
        )
    fig.update_layout(height=max(400, 28 * len(names) + 150), template="plotly_white")
    return fig


def moment_independent(
    results: Any,
    measure: str = "decoupled",
    *,
    method: str = "pawn",
    policy: str = "baseline",
    at: str | int = "horizon",
    top: int = DELTA_TOP,
    seed: int = 0,
) -> SensitivityResult:
    """PAWN or delta indices of ``measure`` at ``at`` under ``policy`` from a run's own
    members (:class:`alliancesim.results.Results`): its parameter draws and outcomes, nothing
    simulated."""
    import warnings

    from alliancesim.analysis.discovery import member_values
    from alliancesim.analysis.experiments import measure_step

    started = time.perf_counter()
    step = measure_step(results.model, at)
    y = member_values(results, measure, policy, step)
    draws = results.parameters()
    names = [c for c in draws.columns if draws[c].nunique() > 1]
    if not names:
        raise InputError.single("--run", "the run sampled no uncertain parameter")
    x = draws[names].to_numpy(dtype=np.float64)
    notes = [f"from run {results.run_id}: {len(y):,} members as drawn, nothing simulated"]
    if float(np.var(y)) == 0.0:
        notes.append(f"{measure} does not vary over the run (always {y[0]:g}): no indices")
    pawn_indices = _pawn(names, x, y, seed)
    if method == "pawn":
        indices = pawn_indices
    else:
        ranked = sorted(names, key=lambda n: -_finite_or(pawn_indices[n]["median"]))[:top]
        columns = [names.index(n) for n in ranked]
        problem = {
            "num_vars": len(ranked),
            "names": ranked,
            "bounds": [[float(x[:, c].min()), float(x[:, c].max())] for c in columns],
        }
        from SALib.analyze import delta as delta_analyze

        state = np.random.get_state()  # SALib seeds NumPy's global generator
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = delta_analyze.analyze(
                    problem, x[:, columns], y, num_resamples=20, seed=seed + 1
                )
        finally:
            np.random.set_state(state)
        indices = {
            n: {
                "delta": float(res["delta_raw"][k]),
                "delta_conf": float(res["delta_raw_conf"][k]),
                "S1": float(res["S1"][k]),
                "S1_conf": float(res["S1_conf"][k]),
            }
            for k, n in enumerate(ranked)
        }
        names = ranked
        notes.append(
            f"δ estimated for the {len(ranked)} parameters PAWN ranks highest "
            f"(of {len(pawn_indices)})"
        )
    return SensitivityResult(
        method=method,  # type: ignore[arg-type]
        scenario=results.model.scenario.id,
        policy=policy,
        measure=measure,
        at=results.model.clock.label(step),
        n=len(y),
        replicates=1,
        seed=results.seed,
        evaluations=len(y),
        names=names,
        members={n: [n] for n in names},
        indices=indices,
        outcome_mean=float(np.mean(y)),
        outcome_sd=float(np.std(y)),
        elapsed=time.perf_counter() - started,
        notes=notes,
    )


def _finite_or(value: float, default: float = -math.inf) -> float:
    return value if math.isfinite(value) else default


def _pawn(names: list[str], x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, dict[str, float]]:
    """SALib's PAWN indices (10 slices) per parameter: minimum, mean, median, maximum, CV."""
    import warnings

    from SALib.analyze import pawn as pawn_analyze

    problem = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(x[:, k].min()), float(x[:, k].max())] for k in range(len(names))],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pawn_analyze.analyze(problem, x, y, S=10, seed=seed + 1)
    return _indices(res, names, ("minimum", "mean", "median", "maximum", "CV"))
