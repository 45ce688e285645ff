"""Run the model at chosen parameter points (for SALib, EMA Workbench and other designs).

An ensemble run draws its parameters itself (a Latin hypercube per block). Sensitivity analysis
and external workbenches instead *choose* the points: Saltelli's design for Sobol indices,
Morris trajectories, an EMA experiment. This module evaluates the model at such points.

A point is given in the *unit space* of the uncertain parameters: one number in [0, 1] per
parameter, mapped through the parameter's inverse distribution function exactly as the engine
maps its Latin-hypercube draws (``engine.parameter_values``), so a point sees the parameter's
real distribution (uniform, triangular or truncated normal) and a policy's replacement is
evaluated at the same draw (common random numbers).

Stochastic events are the other source of variation. Each point is simulated on ``replicates``
event streams (the per-step uniform slots of ``docs/semantics.md``) drawn once from ``seed`` and
*shared by every point* (common random numbers across points). The function analysed is then
deterministic, ``f(x) = mean over the R fixed streams of g(x, stream_r)``, so Saltelli's and
Morris' estimators see no sampling noise from the events; for the decoupled flag ``f`` is the
probability of decoupling estimated on the R streams. More replicates make ``f`` closer to the
expectation over all event histories; they do not change what the indices mean.

Evaluation is split into chunks of points at fixed boundaries (by point index), each simulated
as one vectorised block, possibly in worker processes; a point's value does not depend on the
chunking or the number of workers (bit-identical).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from alliancesim.draws import Draws, check_seed, event_streams, spans
from alliancesim.ensemble import MEMBERS_PER_TASK, compiled, evaluate, scenario_hash
from alliancesim.errors import InputError
from alliancesim.executors import in_order, using_executor
from alliancesim.model import Model
from alliancesim.scenario.names import suggest
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.uncertain import Uncertain

__all__ = [
    "DEFAULT_REPLICATES",
    "MEMBERS_PER_CHUNK",
    "Experiments",
    "ParameterSpace",
    "measure_step",
    "parameter_space",
]

DEFAULT_REPLICATES = 8
"""Event streams each point is simulated on (shared by all points)."""
MEMBERS_PER_CHUNK = MEMBERS_PER_TASK
"""Simulated members (points × replicates) per vectorised chunk."""
_EDGE = 1e-9  # an unbounded normal's quantile 0 or 1 is read at 1e-9 or 1 − 1e-9


@dataclass(frozen=True)
class ParameterSpace:
    """The uncertain parameters of a scenario under a policy: the variables of an experiment.

    ``rows`` are rows of the model's parameter matrix; ``distributions`` their distributions
    under the policy (a policy's replacement if it has one).
    """

    names: tuple[str, ...]
    rows: tuple[int, ...]
    distributions: tuple[Uncertain, ...]

    def __len__(self) -> int:
        return len(self.names)

    def values(self, unit: np.ndarray) -> np.ndarray:
        """Parameter values (points, parameters) at unit-space points (points, parameters)."""
        unit = np.asarray(unit, dtype=np.float64)
        out = np.empty(unit.shape)
        for k, dist in enumerate(self.distributions):
            column = dist.ppf(unit[:, k])
            infinite = ~np.isfinite(column)  # an unbounded normal at quantile 0 or 1
            if infinite.any():
                column[infinite] = dist.ppf(np.clip(unit[infinite, k], _EDGE, 1.0 - _EDGE))
            out[:, k] = column
        return out

    def describe(self) -> list[str]:
        """Each parameter's distribution in short form, e.g. ``U(0.1, 0.3)``."""
        return [dist.describe() for dist in self.distributions]


def parameter_space(model: Model, policy: str = "baseline") -> ParameterSpace:
    """The parameters a member draws under ``policy`` (those not fixed under it), in model order."""
    spec = model.policy(policy)
    names, rows, dists = [], [], []
    for row, parameter in enumerate(model.parameters):
        dist = spec.overrides.get(row, parameter.value)
        if not dist.is_fixed:
            names.append(parameter.name)
            rows.append(row)
            dists.append(dist)
    return ParameterSpace(tuple(names), tuple(rows), tuple(dists))


def measure_step(model: Model, at: str | int) -> int:
    """The step a measure is read at: ``"horizon"``, a period such as ``2027Q4``, or a step."""
    if isinstance(at, int) or (isinstance(at, str) and at.isdigit()):
        step = int(at)
        if not 0 <= step <= model.horizon:
            raise InputError.single("--at", f"step {step} lies outside 0..{model.horizon}")
        return step
    if at == "horizon":
        return model.horizon
    try:
        return model.clock.check(at)
    except ValueError as exc:
        raise InputError.single("--at", f"{exc} (or write 'horizon' or a step number)") from None


def _check_measures(model: Model, measures: Sequence[str]) -> None:
    known = set(model.record_names)
    for name in measures:
        if name not in known:
            raise InputError.single(
                "--indicator",
                f"unknown measure {name!r}{suggest(name, known)}; use an indicator, a state "
                "variable, decoupled, issue.<I>.outcome, event.<id> or count.<id>",
            )


@dataclass(frozen=True)
class Experiments:
    """Evaluates measures of a scenario under one policy at chosen parameter points.

    Each point's value of a measure is its mean at step ``at`` over ``replicates`` event streams
    drawn from ``seed`` and shared by all points; for ``decoupled`` this is P(decoupling by
    ``at``).
    """

    scenario: Scenario
    measures: tuple[str, ...]
    policy: str = "baseline"
    at: str | int = "horizon"
    replicates: int = DEFAULT_REPLICATES
    seed: int = 0
    key: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", scenario_hash(self.scenario))
        if self.replicates < 1:
            raise InputError.single(
                "--replicates", f"replicates must be at least 1, got {self.replicates}"
            )
        check_seed(self.seed)
        model = self.model
        model.policy(self.policy)  # InputError if unknown
        _check_measures(model, self.measures)
        measure_step(model, self.at)

    @property
    def model(self) -> Model:
        """The compiled scenario (compiled once per process)."""
        return compiled(self.scenario, self.key)

    @property
    def space(self) -> ParameterSpace:
        """The variables: the scenario's uncertain parameters under the policy."""
        return parameter_space(self.model, self.policy)

    def evaluate_unit(
        self,
        unit: np.ndarray,
        *,
        workers: int = 1,
        executor: Executor | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """The measures (points, measures) at unit-space points (points, parameters)."""
        unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
        space = self.space
        if unit.shape[1] != len(space):
            raise ValueError(
                f"points have {unit.shape[1]} coordinates, the scenario {len(space)} "
                "uncertain parameters"
            )
        return self.evaluate(
            space.values(unit), workers=workers, executor=executor, on_progress=on_progress
        )

    def evaluate(
        self,
        values: np.ndarray,
        *,
        workers: int = 1,
        executor: Executor | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """The measures (points, measures) at parameter values (points, parameters of
        ``space``); ``on_progress(points done, points)`` is told as chunks finish."""
        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        per_chunk = max(1, MEMBERS_PER_CHUNK // self.replicates)
        chunks = [values[lo:hi] for lo, hi in spans(values.shape[0], per_chunk)]
        if not chunks:
            return np.empty((0, len(self.measures)))
        task = partial(_evaluate_chunk, self)
        parts = []
        with using_executor(executor, min(workers, len(chunks))) as pool:
            for part in in_order(pool, task, chunks, window=2 * max(workers, 1)):
                parts.append(part)
                if on_progress is not None:
                    on_progress(sum(len(p) for p in parts), values.shape[0])
        return np.concatenate(parts, axis=0)


def _evaluate_chunk(experiments: Experiments, values: np.ndarray) -> np.ndarray:
    """Simulate one chunk of points × replicates and average each measure over replicates."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    model = experiments.model
    R = experiments.replicates
    K = values.shape[0]
    streams = event_streams(model, R, experiments.seed)
    draws = Draws.at_points(model, experiments.policy, experiments.space.rows, values, streams)
    summary = {*model.indicator_names, "decoupled"}
    if set(experiments.measures) <= summary:
        names = [*model.indicator_names, "decoupled"]
        record = "indicators"
    else:
        names = model.record_names
        record = "all"
    step = measure_step(model, experiments.at)
    _, out = next(evaluate(model, [experiments.policy], draws, record))
    index = [names.index(m) for m in experiments.measures]
    at_step = out[step][index]  # (measures, members)
    return at_step.reshape(len(index), K, R).mean(axis=2).T
