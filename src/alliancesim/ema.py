"""A scenario as an EMA Workbench 3 model, for analysts who already work in the workbench.

:func:`ema_model` returns an ``ema_workbench.Model`` whose

- **uncertainties** are the scenario's uncertain parameters, each a ``RealParameter`` carrying
  its real distribution (``RealParameter.from_dist`` with the scipy equivalent of the
  scenario's uniform, triangular or truncated normal), so EMA's samplers draw what an ensemble
  run draws;
- **lever** is ``alliance_policy`` (EMA keeps ``policy`` for its own column naming the policy
  sample), a ``CategoricalParameter`` over ``baseline`` and the scenario's
  policies (the seeds' recommendations);
- **outcomes** are the scenario's indicators at the horizon and ``p_decoupling``, each the mean
  over ``replicates`` event streams shared by all experiments (common random numbers, as in
  :mod:`alliancesim.analysis.experiments`).

EMA names must be Python identifiers, so a dotted parameter name is written with ``__`` for
each dot (``rules.fear_from_cut.weight`` → ``rules__fear_from_cut__weight``); see
:func:`ema_name`. The model function (:class:`ScenarioFunction`) is a picklable object, so the
``MultiprocessingEvaluator`` works too. A parameter a policy replaces by another distribution
is evaluated at the same quantile under that policy (the engine's common random numbers).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from alliancesim.analysis.experiments import DEFAULT_REPLICATES, Experiments
from alliancesim.model import Model as CompiledModel
from alliancesim.model import compile_model
from alliancesim.scenario.loader import load_scenario
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.uncertain import Normal, Triangular, Uncertain, Uniform

__all__ = [
    "LEVER",
    "P_DECOUPLING",
    "ScenarioFunction",
    "ema_model",
    "ema_name",
    "run_as_ema_results",
    "save_ema_results",
    "scipy_distribution",
]

P_DECOUPLING = "p_decoupling"
LEVER = "alliance_policy"


def ema_name(name: str) -> str:
    """The EMA Workbench name (a Python identifier) of a dotted alliancesim name."""
    out = re.sub(r"\W", "_", name.replace(".", "__"))
    return out if out.isidentifier() else f"_{out}"


def scipy_distribution(dist: Uncertain) -> Any:
    """The frozen scipy distribution equal to an uncertain number's distribution."""
    if isinstance(dist, Uniform):
        return stats.uniform(loc=dist.low, scale=dist.high - dist.low)
    if isinstance(dist, Triangular):
        width = dist.high - dist.low
        return stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width)
    if isinstance(dist, Normal):
        a, b = (dist.low - dist.mean_) / dist.sd, (dist.high - dist.mean_) / dist.sd
        return stats.truncnorm(a, b, loc=dist.mean_, scale=dist.sd)
    raise ValueError(f"{dist!r} is not uncertain")


def _defining_distributions(model: CompiledModel) -> dict[int, Uncertain]:
    """Per uncertain parameter row, the distribution EMA samples: the baseline's, or (for a
    number only a policy makes uncertain) that policy's."""
    out: dict[int, Uncertain] = {}
    for row in model.uncertain_rows(model.scenario.policy_ids):
        dist = model.parameters[row].value
        if dist.is_fixed:
            for name in model.scenario.policy_ids:
                candidate = model.policy(name).overrides.get(row)
                if candidate is not None and not candidate.is_fixed:
                    dist = candidate
                    break
        out[row] = dist
    return out


class ScenarioFunction:
    """The model function EMA calls: parameter values and a policy in, outcomes out.

    Picklable (it holds the scenario, not the compiled model), so it runs in worker processes.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        replicates: int = DEFAULT_REPLICATES,
        seed: int = 0,
        at: str | int = "horizon",
    ):
        self.scenario = scenario
        self.replicates = replicates
        self.seed = seed
        self.at = at
        self._cache: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    @property
    def model(self) -> CompiledModel:
        """The compiled scenario."""
        if "model" not in self._cache:
            self._cache["model"] = compile_model(self.scenario)
        return self._cache["model"]

    @property
    def measures(self) -> tuple[str, ...]:
        """Recorded names returned as outcomes: the indicators and the decoupled flag."""
        return (*self.model.indicator_names, "decoupled")

    def outcome_names(self) -> list[str]:
        """EMA outcome names, in the order of :attr:`measures`."""
        return [*self.model.indicator_names, P_DECOUPLING]

    def parameters(self) -> dict[str, tuple[int, Uncertain]]:
        """EMA parameter name → (parameter row, the distribution EMA samples)."""
        if "parameters" not in self._cache:
            model = self.model
            self._cache["parameters"] = {
                ema_name(model.parameters[row].name): (row, dist)
                for row, dist in _defining_distributions(model).items()
            }
        return self._cache["parameters"]

    def _experiments(self, policy: str) -> Experiments:
        key = f"experiments:{policy}"
        if key not in self._cache:
            self._cache[key] = Experiments(
                self.scenario,
                self.measures,
                policy=policy,
                at=self.at,
                replicates=self.replicates,
                seed=self.seed,
            )
        return self._cache[key]

    def __call__(self, alliance_policy: str = "baseline", **values: float) -> dict[str, float]:
        """Simulate one experiment: mean outcomes over the replicate event streams."""
        experiments = self._experiments(alliance_policy)
        space = experiments.space
        by_row = {row: (name, dist) for name, (row, dist) in self.parameters().items()}
        point = np.empty((1, len(space)))
        for k, (row, dist) in enumerate(zip(space.rows, space.distributions, strict=True)):
            name, defining = by_row[row]
            if name not in values:
                raise TypeError(f"missing uncertain parameter {name!r}")
            x = float(values[name])
            if dist != defining:  # the policy replaces it: same quantile, its distribution
                u = float(scipy_distribution(defining).cdf(x))
                x = float(dist.ppf(np.array([u]))[0])
            point[0, k] = x
        result = experiments.evaluate(point)[0]
        return dict(zip(self.outcome_names(), (float(v) for v in result), strict=True))


def ema_model(
    scenario: Scenario | str | Path = "us-rok-2025",
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 0,
    at: str | int = "horizon",
    name: str | None = None,
) -> Any:
    """The scenario as an ``ema_workbench.Model`` (uncertainties, a policy lever, outcomes)."""
    with warnings.catch_warnings():  # notices about EMA's optional parallel back-ends
        warnings.simplefilter("ignore")
        from ema_workbench import CategoricalParameter, Model, RealParameter, ScalarOutcome

    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario)
    function = ScenarioFunction(scenario, replicates=replicates, seed=seed, at=at)
    function._experiments("baseline")  # checks the options now, not in the first experiment
    model = Model(name or ema_name(scenario.id.replace("-", "_")), function=function)
    model.uncertainties = [
        RealParameter.from_dist(ema_label, scipy_distribution(dist))
        for ema_label, (_, dist) in function.parameters().items()
    ]
    model.levers = [CategoricalParameter(LEVER, list(scenario.policy_ids))]
    model.outcomes = [ScalarOutcome(outcome) for outcome in function.outcome_names()]
    return model


# --------------------------------------------------------------------------------------------
# a stored run in EMA Workbench's (experiments, outcomes) form


def run_as_ema_results(results: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """A run as EMA Workbench's ``(experiments, outcomes)``: one experiment per member and
    policy; ``experiments`` holds each member's sampled uncertain parameters (EMA names), the
    ``scenario`` (the member), the ``policy`` and the ``model`` (the scenario id), and
    ``outcomes`` each indicator and ``decoupled`` as a time series (experiments × steps) plus
    ``TIME`` (the step of each column)."""
    import pandas as pd

    parameters = results.parameters()  # member-indexed, in member order
    model = results.model
    names = [*model.indicator_names, *model.quantities[: model.n_states], "decoupled"]
    recorded = results.files.columns() - {"policy", "member", "step"}
    names = [n for n in names if n in recorded]
    steps = results.model.horizon + 1
    frames = []
    series: dict[str, list[np.ndarray]] = {ema_name(n): [] for n in names}
    with results.connect(parameters=False) as con:
        for policy in results.policies:
            frame = parameters.rename(columns=ema_name).reset_index(drop=True)
            frame["scenario"] = np.arange(results.members)
            frame["policy"] = policy
            frame["model"] = results.model.scenario.id
            frames.append(frame)
            for name in names:
                values = np.stack(
                    [results.files.member_values(name, policy, step, con) for step in range(steps)],
                    axis=1,
                )
                series[ema_name(name)].append(values)
    experiments = pd.concat(frames, ignore_index=True)
    for column in ("scenario", "policy", "model"):
        experiments[column] = experiments[column].astype("category")
    outcomes = {name: np.concatenate(parts, axis=0) for name, parts in series.items()}
    outcomes["TIME"] = np.tile(np.arange(steps, dtype=np.float64), (len(experiments), 1))
    return experiments, outcomes


def save_ema_results(results: Any, path: Path) -> Path:
    """Write a run as an EMA Workbench results archive (``.tar.gz``) that
    ``ema_workbench.load_results`` reads back as ``(experiments, outcomes)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import save_results
        from ema_workbench.em_framework.outcomes import ArrayOutcome, register

    experiments, outcomes = run_as_ema_results(results)
    previous = {name: register.outcomes.get(name) for name in outcomes}
    try:  # every outcome is a time series here, whatever this process registered before
        for name in outcomes:
            register.outcomes[name] = ArrayOutcome
        save_results((experiments, outcomes), str(path))
    finally:
        for name, klass in previous.items():
            if klass is None:
                register.outcomes.pop(name, None)
            else:
                register.outcomes[name] = klass
    return path
