"""Tuning the levers: a many-objective search for the Pareto set of settings (EMA Workbench).

The scenario's levers to tune (``[[tuning]]``, :mod:`alliancesim.analysis.levers`) are EMA
Workbench levers (``RealParameter``, or ``IntegerParameter`` for steps); its objectives
(``[[objectives]]``, or by default P(decoupling), the cost of the settings and robustness) are
EMA ``ScalarOutcome`` s with their direction. EMA's ``optimize`` runs Platypus' ε-NSGA-II
(Kollat & Reed 2006) over them; each generation's settings are evaluated by
:class:`BatchEvaluator`, an EMA evaluator that simulates them together on the same worlds — the
first ``members`` members of a run with the seed, under every structure (common random
numbers), so every setting is measured on the same worlds and the objectives are deterministic
functions of the setting. The result is the ε-non-dominated archive: settings none of which is
better on every objective (within ε) than another.

With ``members`` worlds, P(decoupling) moves in steps of 1/members, so ε for a probability is at
least that; costs get ε = 1 % of their range. A few hundred members keep a search of a few
thousand evaluations within minutes; the Pareto set's settings can then be run on a full
ensemble (``alliancesim run`` with a policy setting them) for intervals.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alliancesim.analysis.levers import (
    BUILT_IN,
    Objective,
    SettingsEvaluator,
    TunedLever,
    default_objectives,
    tuned_levers,
)
from alliancesim.errors import InputError

if TYPE_CHECKING:
    from alliancesim.analysis.robust import Threshold
    from alliancesim.scenario.schema import Scenario

__all__ = [
    "DEFAULT_NFE",
    "DEFAULT_WORLDS",
    "MIN_MEMBERS",
    "Optimisation",
    "ParetoPoint",
    "default_epsilons",
    "default_members",
    "optimize_levers",
]

DEFAULT_WORLDS = 1000
"""Worlds a search measures each setting on by default, shared by the structures: members per
structure = this / structures (at least :data:`MIN_MEMBERS`), so a search costs about the same
whatever the number of structures."""
MIN_MEMBERS = 100
"""The fewest members per structure a default search takes."""


def default_members(structures: int) -> int:
    """Members per structure of a default search over ``structures`` structures."""
    return max(MIN_MEMBERS, math.ceil(DEFAULT_WORLDS / max(1, structures)))


DEFAULT_NFE = 3000
"""Settings evaluated by default."""
DEFAULT_POPULATION = 50


@dataclass(frozen=True)
class ParetoPoint:
    """One setting of the Pareto set: each lever's value, in words, and its objectives."""

    settings: Mapping[str, float]
    described: tuple[str, ...]
    objectives: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "settings": dict(self.settings),
            "described": list(self.described),
            "objectives": dict(self.objectives),
        }


@dataclass(frozen=True)
class Optimisation:
    """The Pareto set of lever settings a search found, and how it was searched."""

    scenario: str
    levers: tuple[TunedLever, ...]
    objectives: tuple[Objective, ...]
    epsilons: tuple[float, ...]
    members: int
    seed: int
    structures: Mapping[str, float]
    nfe: int
    evaluations: int
    elapsed: float
    points: tuple[ParetoPoint, ...]
    thresholds: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "levers": [lever.to_dict() for lever in self.levers],
            "objectives": [o.to_dict() for o in self.objectives],
            "epsilons": list(self.epsilons),
            "members": self.members,
            "seed": self.seed,
            "structures": dict(self.structures),
            "nfe": self.nfe,
            "evaluations": self.evaluations,
            "elapsed": self.elapsed,
            "thresholds": list(self.thresholds),
            "pareto": [p.to_dict() for p in self.points],
        }


def default_epsilons(
    objectives: Sequence[Objective], levers: Sequence[TunedLever], members: int
) -> list[float]:
    """ε per objective: a probability or share at least 1/members (and 0.005), a cost 1 % of its
    range (0.01 if the levers cost nothing), anything else 0.005."""
    out = []
    for objective in objectives:
        if objective.measure in ("p_decoupling", "satisficing", "worst_structure"):
            out.append(max(1.0 / members, 0.005))
        elif objective.measure == "cost":
            span = sum(abs(lever.cost_high - lever.cost_low) for lever in levers)
            out.append(span / 100 if span > 0 else 0.01)
        else:
            out.append(0.005)
    return out


def _ema_parameters(levers: Sequence[TunedLever]) -> list[Any]:
    from ema_workbench import IntegerParameter, RealParameter

    out = []
    for lever in levers:
        if lever.integer:
            out.append(IntegerParameter(lever.id, int(lever.low), int(lever.high)))
        else:
            out.append(RealParameter(lever.id, lever.low, lever.high))
    return out


def _unused(**_: Any) -> dict[str, float]:
    raise RuntimeError("settings are evaluated in batches by BatchEvaluator")


def _evaluate_part(
    job: tuple[SettingsEvaluator, list[dict[str, float]]],
) -> list[dict[str, float]]:
    evaluator, settings = job
    return evaluator.evaluate(settings)


def _batch_evaluator_class() -> Any:
    from ema_workbench.em_framework.evaluators import BaseEvaluator

    class BatchEvaluator(BaseEvaluator):
        """An EMA evaluator that measures a generation's settings together (vectorised over
        settings × worlds), split over ``executor``'s workers in order."""

        def __init__(
            self,
            model: Any,
            settings: SettingsEvaluator,
            executor: Executor,
            workers: int,
            on_batch: Callable[[int], None] | None = None,
        ):
            super().__init__(model)
            self.settings = settings
            self.executor = executor
            self.workers = workers
            self.on_batch = on_batch
            self.evaluations = 0

        def initialize(self) -> None:
            """Nothing to start: the executor is the caller's."""

        def finalize(self) -> None:
            """Nothing to stop."""

        def evaluate_experiments(self, experiments: Any, callback: Any, **kwargs: Any) -> None:
            """Measure every experiment's setting, then hand each its outcomes."""
            from alliancesim.executors import in_order

            batch = list(experiments)
            names = [lever.id for lever in self.settings.levers]
            values = [{n: float(e.policy[n]) for n in names} for e in batch]
            # settings that hold their events at the same steps are simulated as one array:
            # keep them together when the batch is split over the workers
            order = sorted(range(len(values)), key=lambda k: self.settings.group_of(values[k]))
            size = math.ceil(len(values) / max(1, self.workers)) or 1
            parts = [order[k : k + size] for k in range(0, len(order), size)]
            jobs = [(self.settings, [values[k] for k in part]) for part in parts]
            measured: list[dict[str, float]] = [{} for _ in values]
            done = in_order(self.executor, _evaluate_part, jobs, window=len(jobs))
            for part, rows in zip(parts, done, strict=True):
                for k, row in zip(part, rows, strict=True):
                    measured[k] = row
            for experiment, outcomes in zip(batch, measured, strict=True):
                callback(experiment, outcomes)
            self.evaluations += len(batch)
            if self.on_batch is not None:
                self.on_batch(self.evaluations)

    return BatchEvaluator


def optimize_levers(
    scenario: Scenario,
    *,
    members: int | None = None,
    nfe: int = DEFAULT_NFE,
    seed: int = 0,
    structures: Mapping[str, float] | None = None,
    thresholds: Sequence[Threshold] | None = None,
    objectives: Sequence[Objective] | None = None,
    epsilons: Sequence[float] | None = None,
    population: int = DEFAULT_POPULATION,
    workers: int = 1,
    executor: Executor | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> Optimisation:
    """Search the scenario's levers to tune for the Pareto set of settings (EMA Workbench's
    ``optimize`` with ε-NSGA-II), measuring each setting on ``members`` worlds per structure
    (None: :func:`default_members`; ``structures``: name → weight, None: the seed's structure
    alone)."""
    from alliancesim.analysis.robust import regret_measure, scenario_thresholds
    from alliancesim.draws import check_seed
    from alliancesim.ensemble import compiled
    from alliancesim.executors import using_executor

    check_seed(seed)
    weights = dict(structures or {"seed": 1.0})
    members = default_members(len(weights)) if members is None else members
    if members < 1:
        raise InputError.single("--members", f"members must be at least 1, got {members}")
    if nfe < 1:
        raise InputError.single("--nfe", f"expected at least 1 evaluation, got {nfe}")
    if population < 4:
        raise InputError.single("--population", f"expected at least 4, got {population}")
    levers = tuned_levers(scenario)
    chosen_thresholds = list(scenario_thresholds(scenario) if thresholds is None else thresholds)
    chosen = list(objectives or default_objectives(scenario, chosen_thresholds))
    if any(o.measure == "satisficing" for o in chosen) and not chosen_thresholds:
        raise InputError.single(
            "--threshold",
            "the satisficing objective needs thresholds (--threshold or [[thresholds]])",
        )
    model = compiled(scenario)
    unknown = [o.measure for o in chosen if o.measure not in BUILT_IN]
    unknown = [m for m in unknown if m not in model.record_names]
    if unknown:
        raise InputError.single("--objective", f"not a recorded quantity: {', '.join(unknown)}")
    eps = list(epsilons) if epsilons else default_epsilons(chosen, levers, members)
    if len(eps) != len(chosen) or any(not e > 0 for e in eps):
        raise InputError.single(
            "--epsilon", f"one positive ε per objective ({len(chosen)}), got {list(eps)}"
        )
    options = [p for p in scenario.policy_ids if _is_option(scenario, p)]
    evaluator = SettingsEvaluator(
        scenario,
        levers,
        chosen,
        members,
        seed,
        weights,
        chosen_thresholds,
        regret_measure(model) if any(o.measure == "regret_p90" for o in chosen) else None,
        options,
    )
    evaluator.prepare()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("EMA").setLevel(logging.WARNING)
        from ema_workbench import Model, ScalarOutcome
        from platypus import EpsNSGAII

    ema = Model("tuning", function=_unused)
    ema.levers = _ema_parameters(levers)
    ema.outcomes = [
        ScalarOutcome(
            o.id,
            kind=ScalarOutcome.MINIMIZE if o.direction == "minimize" else ScalarOutcome.MAXIMIZE,
        )
        for o in chosen
    ]
    started = time.perf_counter()
    with using_executor(executor, workers) as pool, tempfile.TemporaryDirectory() as scratch:
        batch = _batch_evaluator_class()(ema, evaluator, pool, workers, on_batch)
        with warnings.catch_warnings(), _quiet_progress():
            warnings.simplefilter("ignore")
            found, _ = batch.optimize(
                algorithm=EpsNSGAII,
                nfe=nfe,
                searchover="levers",
                epsilons=eps,
                population_size=population,
                rng=seed % (2**32),
                directory=scratch,
                filename="archives.tar.gz",
                convergence_freq=max(nfe, 1),
            )
    elapsed = time.perf_counter() - started
    points = []
    names = [lever.id for lever in levers]
    order = sorted(range(len(found)), key=lambda k: [float(found.iloc[k][o.id]) for o in chosen])
    for k in order:
        row = found.iloc[k]
        settings = {n: float(row[n]) for n in names}
        points.append(
            ParetoPoint(
                settings=settings,
                described=tuple(lever.describe(settings[lever.id], model) for lever in levers),
                objectives={o.id: float(row[o.id]) for o in chosen},
            )
        )
    return Optimisation(
        scenario=scenario.id,
        levers=tuple(levers),
        objectives=tuple(chosen),
        epsilons=tuple(eps),
        members=members,
        seed=seed,
        structures=weights,
        nfe=nfe,
        evaluations=batch.evaluations,
        elapsed=elapsed,
        points=tuple(points),
        thresholds=tuple(t.describe() for t in chosen_thresholds),
    )


def _is_option(scenario: Scenario, name: str) -> bool:
    kinds = {p.id: p.kind for p in scenario.policies}
    return kinds.get(name, "recommendation") != "counterfactual"


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """EMA's progress bar replaced by a silent one while searching (the caller shows progress;
    EMA's bar writes to the terminal as soon as it is made)."""
    import types

    import platypus
    import tqdm
    from ema_workbench.em_framework import optimization

    saved = optimization.ProgressBarExtension

    class Silent(platypus.extensions.FixedFrequencyExtension):  # type: ignore[misc]
        def __init__(self, total_nfe: int, frequency: int = 100):
            super().__init__(frequency=frequency)
            bar = tqdm.tqdm(total=total_nfe, disable=True)
            self.progress_tracker = types.SimpleNamespace(pbar=bar)

        def do_action(self, algorithm: Any) -> None:
            """Nothing to show."""

    optimization.ProgressBarExtension = Silent
    try:
        yield
    finally:
        optimization.ProgressBarExtension = saved
