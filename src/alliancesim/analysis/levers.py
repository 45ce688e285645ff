"""Levers to tune: the scenario's ``[[tuning]]`` entries, and the outcomes of many settings at
once on the same worlds.

A tuned lever (docs/scenario-format.md, "Levers to tune") has a continuous or whole-number
setting within bounds:

- ``set``: a parameter's value (a lever such as ``policy.consultation``, an action's effect
  size or probability…), replaced by the setting in every world;
- ``schedule`` with ``timing = "first"``: the step a scheduled event is first held (once, or
  from then on every k steps when its ``every`` is tuned too);
- ``schedule`` with ``timing = "every"``: the event is held every k steps from its first step
  (the scenario's first step unless its ``first`` is tuned too).

A **setting** gives each tuned lever a value; its cost is the sum of the levers' costs, each
linear between the cost at the lower bound and at the upper bound. :class:`SettingsEvaluator`
simulates many settings on the same worlds (a run's first blocks of members, under every
structure: common random numbers, so two settings differ only by what they set) and returns
each setting's objectives (:mod:`alliancesim.analysis.optimize`). Settings that hold their
scheduled events at the same steps are simulated as one array, each setting's parameter values
in its own columns, so a whole generation of an optimisation costs a few vectorised runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from alliancesim.errors import InputError

if TYPE_CHECKING:
    from alliancesim.analysis.robust import RegretMeasure, Threshold
    from alliancesim.draws import Draws
    from alliancesim.model import Model, PolicySpec
    from alliancesim.scenario.schema import Scenario

__all__ = [
    "BUILT_IN",
    "Objective",
    "SettingsEvaluator",
    "TunedLever",
    "default_objectives",
    "scenario_objectives",
    "tuned_levers",
]

BUILT_IN = ("p_decoupling", "cost", "satisficing", "regret_p90", "worst_structure")
"""The built-in measures of a setting (besides a recorded quantity's mean at the horizon)."""
MAX_COLUMNS = 16384
"""Members simulated as one array at most (settings × structures × worlds), to bound memory
(about 100 MB for ``us-rok-2025``)."""


@dataclass(frozen=True)
class TunedLever:
    """One lever to tune: what it sets, its bounds (steps for ``first``), whether its setting is
    a whole number, and its cost at the lower and the upper bound."""

    id: str
    label: str
    kind: Literal["set", "first", "every"]
    target: str  # the parameter set, or the scheduled event
    low: float
    high: float
    cost_low: float = 0.0
    cost_high: float = 0.0

    @property
    def integer(self) -> bool:
        """Whether the setting is a whole number (a step or a number of steps)."""
        return self.kind != "set"

    def cost(self, value: float) -> float:
        """The cost of a setting: linear between the costs at the bounds."""
        if self.high == self.low:
            return self.cost_low
        t = (float(value) - self.low) / (self.high - self.low)
        return self.cost_low + t * (self.cost_high - self.cost_low)

    def describe(self, value: float, model: Model | None = None) -> str:
        """A setting in words."""
        if self.kind == "set":
            return f"{self.target} = {float(value):.3g}"
        if self.kind == "every":
            return f"{self.target} every {round(value)} step(s)"
        when = model.clock.label(round(value)) if model is not None else f"step {value}"
        return f"{self.target} first held in {when}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "label": self.label,
            "kind": self.kind,
            "target": self.target,
            "low": self.low,
            "high": self.high,
            "cost": [self.cost_low, self.cost_high],
        }


def tuned_levers(scenario: Scenario) -> list[TunedLever]:
    """The scenario's levers to tune (``[[tuning]]``), in file order; InputError when it
    declares none."""
    from alliancesim.scenario.clock import Clock

    entries = list(getattr(scenario, "tuning", None) or [])
    if not entries:
        raise InputError.single(
            scenario.id,
            "the scenario declares no levers to tune ([[tuning]] with set or schedule, bounds and "
            "cost; docs/scenario-format.md, 'Levers to tune')",
        )
    meta = scenario.scenario
    clock = Clock(meta.start, meta.step, meta.horizon)
    out = []
    for entry in entries:
        if entry.set is not None:
            kind, target = "set", entry.set
            low, high = float(entry.bounds[0]), float(entry.bounds[1])
        else:
            kind, target = str(entry.timing), str(entry.schedule)
            if kind == "first":
                low, high = (float(clock.step_of(str(b))) for b in entry.bounds)
            else:
                low, high = float(entry.bounds[0]), float(entry.bounds[1])
        out.append(
            TunedLever(
                entry.id,
                entry.label or entry.id,
                kind,  # type: ignore[arg-type]
                target,
                low,
                high,
                float(entry.cost[0]),
                float(entry.cost[1]),
            )
        )
    return out


@dataclass(frozen=True)
class Objective:
    """What an optimisation minimises or maximises: a built-in measure or a recorded quantity's
    weighted mean at the horizon."""

    id: str
    measure: str
    direction: Literal["minimize", "maximize"]
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "measure": self.measure,
            "direction": self.direction,
            "label": self.label,
        }


def scenario_objectives(scenario: Scenario) -> list[Objective]:
    """The objectives the scenario declares (``[[objectives]]``), in file order."""
    return [
        Objective(o.id, o.name, o.direction, o.label)
        for o in getattr(scenario, "objectives", None) or []
    ]


def default_objectives(scenario: Scenario, thresholds: Sequence[Threshold]) -> list[Objective]:
    """The scenario's objectives, or by default: P(decoupling) and the cost (minimised), and
    robustness — the satisficing share of the thresholds (maximised) when there are any, else
    the 90th-percentile regret against the scenario's options (minimised)."""
    declared = scenario_objectives(scenario)
    if declared:
        return declared
    robust = (
        Objective(
            "satisficing", "satisficing", "maximize", "share of worlds meeting every threshold"
        )
        if thresholds
        else Objective("regret_p90", "regret_p90", "minimize", "90th-percentile regret")
    )
    return [
        Objective("p_decoupling", "p_decoupling", "minimize", "P(decoupling by the horizon)"),
        Objective("cost", "cost", "minimize", "cost of the settings"),
        robust,
    ]


# --------------------------------------------------------------------------------------------
# many settings on the same worlds


def _schedule(levers: Sequence[TunedLever], values: Mapping[str, float], horizon: int) -> Any:
    """Per scheduled event a tuned setting holds, the steps it is held at."""
    first: dict[str, int] = {}
    every: dict[str, int] = {}
    for lever in levers:
        if lever.kind == "first":
            first[lever.target] = round(values[lever.id])
        elif lever.kind == "every":
            every[lever.target] = round(values[lever.id])
    out = {}
    for event in {*first, *every}:
        start = first.get(event, 1)
        step = every.get(event)
        if step is None:
            out[event] = frozenset({start})
        else:
            out[event] = frozenset(range(start, horizon + 1, max(1, step)))
    return tuple(sorted(out.items()))


@dataclass
class SettingsEvaluator:
    """Simulates settings of the tuned levers on fixed worlds and measures each setting.

    ``structures``: name → weight; ``members``: worlds per structure (the first members of a run
    with ``seed``); ``options``: the scenario's policies regret is measured against (simulated
    once on the same worlds).
    """

    scenario: Scenario
    levers: Sequence[TunedLever]
    objectives: Sequence[Objective]
    members: int
    seed: int
    structures: Mapping[str, float]
    thresholds: Sequence[Threshold] = ()
    measure: RegretMeasure | None = None
    options: Sequence[str] = ()
    best: np.ndarray | None = None
    """The best option's regret measure per world (structures, members), signed so that higher
    is better: set by :meth:`prepare` when an objective is regret."""
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def prepare(self) -> None:
        """Simulate what every setting is compared with, once (the options, for regret)."""
        if any(o.measure == "regret_p90" for o in self.objectives):
            self.best = self._options()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    @property
    def model(self) -> Model:
        """The compiled scenario (once per process)."""
        if "model" not in self._cache:
            from alliancesim.ensemble import compiled

            self._cache["model"] = compiled(self.scenario)
        return self._cache["model"]

    @property
    def draws(self) -> Draws:
        """The worlds: the first ``members`` of a run with this seed."""
        if "draws" not in self._cache:
            from alliancesim.draws import Draws, blocks_of

            model = self.model
            parts = [Draws.block(model, self.seed, b) for b in blocks_of(self.members)]
            self._cache["draws"] = Draws.join(parts)
        return self._cache["draws"]

    def _recorded(self) -> list[str]:
        names = {"decoupled"}
        for o in self.objectives:
            if o.measure not in BUILT_IN:
                names.add(o.measure)
        regret = any(o.measure == "regret_p90" for o in self.objectives)
        if regret and self.measure is not None and self.measure.name != "decoupling_time":
            names.add(self.measure.name)
        if any(o.measure == "satisficing" for o in self.objectives):
            for t in self.thresholds:
                names |= set(t.holds.names)
        return sorted(names)

    def _weights(self) -> np.ndarray:
        total = sum(self.structures.values())
        return np.array([w / total for w in self.structures.values()])

    def _spec(self, schedule: Any, rows: Sequence[int]) -> PolicySpec:
        from alliancesim.model import PolicySpec
        from alliancesim.scenario.uncertain import Fixed

        model = self.model
        index = {s.id: k for k, s in enumerate(model.scheduled)}
        added = {index[event]: steps for event, steps in schedule}
        return PolicySpec("setting", {row: Fixed(0.0) for row in rows}, added)

    def _simulate(
        self, schedule: Any, values: np.ndarray, rows: Sequence[int]
    ) -> list[dict[str, np.ndarray]]:
        """Settings sharing a schedule (``values``: settings × set-levers), under every
        structure at once (a structure is values of its ``structure.*`` rows of P, so settings ×
        structures × members are one array): per structure, recorded name → (settings, steps +
        1, members)."""
        from alliancesim.engine import simulate

        model, draws = self.model, self.draws
        names = self._recorded()
        spec = self._spec(schedule, rows)
        P0 = draws.parameters(model, spec)
        N = P0.shape[1]
        structures = list(self.structures)
        S = len(structures)
        base = np.tile(P0, (1, S))
        for k, structure in enumerate(structures):
            for row, value in model.under("baseline", structure).overrides.items():
                base[row, k * N : (k + 1) * N] = value.mean
        width = S * N
        per = max(1, MAX_COLUMNS // width)
        H = model.horizon
        out = [{n: np.empty((len(values), H + 1, N)) for n in names} for _ in structures]
        worlds = np.tile(draws.slots, (1, 1, S))
        for start in range(0, len(values), per):
            chunk = values[start : start + per]
            K = len(chunk)
            P = np.tile(base, (1, K))
            for j, row in enumerate(rows):
                P[row] = np.repeat(chunk[:, j], width)
            record = simulate(model, spec, P, np.tile(worlds, (1, 1, K)), record=names)
            for i, name in enumerate(names):
                shaped = record[:, i, :].reshape(H + 1, K, S, N)
                for k in range(S):
                    out[k][name][start : start + K] = shaped[:, :, k, :].transpose(1, 0, 2)
        return out

    def _options(self) -> np.ndarray | None:
        """The regret measure under each option, per world: (structures, members), the best."""
        if self.best is not None:
            return self.best
        if self.measure is None or not self.options:
            return None
        from alliancesim.analysis.pathways import pathway_off, simulate_switched

        model, draws = self.model, self.draws
        H = model.horizon
        best = None
        for policy in self.options:
            per_structure = []
            for structure in self.structures:
                name = "decoupled" if self.measure.name == "decoupling_time" else self.measure.name
                rec = simulate_switched(pathway_off(model, policy, None), draws, structure, [name])
                per_structure.append(_measure_values(rec[:, 0, :], self.measure.name, H))
            value = self.measure.sign * np.stack(per_structure)
            best = value if best is None else np.maximum(best, value)
        return best

    def group_of(self, setting: Mapping[str, float]) -> str:
        """What settings simulated as one array share: the steps their events are held at."""
        return repr(_schedule(self.levers, setting, self.scenario.scenario.horizon))

    def evaluate(self, settings: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        """Each setting's objectives (objective id → value), in the order given."""
        model = self.model
        H = model.horizon
        set_levers = [lever for lever in self.levers if lever.kind == "set"]
        rows = [model.parameter_names.index(lever.target) for lever in set_levers]
        groups: dict[Any, list[int]] = {}
        for k, values in enumerate(settings):
            groups.setdefault(_schedule(self.levers, values, H), []).append(k)
        weights = self._weights()
        results: list[dict[str, float]] = [{} for _ in settings]
        best = self._options() if any(o.measure == "regret_p90" for o in self.objectives) else None
        for schedule, members in groups.items():
            values = np.array(
                [[float(settings[k][lever.id]) for lever in set_levers] for k in members]
            ).reshape(len(members), len(set_levers))
            per_structure = self._simulate(schedule, values, rows)
            for i, k in enumerate(members):
                results[k] = self._measures(settings[k], per_structure, i, weights, best)
        return results

    def _measures(
        self,
        setting: Mapping[str, float],
        per_structure: Sequence[Mapping[str, np.ndarray]],
        i: int,
        weights: np.ndarray,
        best: np.ndarray | None,
    ) -> dict[str, float]:
        from alliancesim.analysis.robust import _evaluate, weighted_percentile

        H = self.model.horizon
        p = np.array([r["decoupled"][i, H].mean() for r in per_structure])
        out: dict[str, float] = {}
        for objective in self.objectives:
            m = objective.measure
            if m == "p_decoupling":
                value = float(weights @ p)
            elif m == "worst_structure":
                value = float(p.max())
            elif m == "cost":
                value = float(sum(lever.cost(setting[lever.id]) for lever in self.levers))
            elif m == "satisficing":
                value = 0.0
                for w, r in zip(weights, per_structure, strict=True):
                    at_h = {n: v[i, H] for n, v in r.items()}
                    ok = np.ones(self.members, dtype=bool)
                    for t in self.thresholds:
                        holds = _evaluate(t, at_h)
                        ok &= holds if t.share is None else bool(holds.mean() >= t.share - 1e-12)
                    value += float(w * ok.mean())
            elif m == "regret_p90":
                assert self.measure is not None and best is not None
                name = "decoupled" if self.measure.name == "decoupling_time" else self.measure.name
                own = self.measure.sign * np.stack(
                    [_measure_values(r[name][i], self.measure.name, H) for r in per_structure]
                )
                regret = np.maximum(best, own) - own
                world = np.repeat(weights / self.members, self.members)
                value = weighted_percentile(regret.ravel(), world, 0.9)
            else:
                value = float(
                    sum(w * r[m][i, H].mean() for w, r in zip(weights, per_structure, strict=True))
                )
            out[objective.id] = value
        return out


def _measure_values(trajectory: np.ndarray, name: str, H: int) -> np.ndarray:
    """The regret measure per member from a recorded trajectory (steps + 1, members)."""
    if name != "decoupling_time":
        return trajectory[H]
    decoupled = trajectory[1 : H + 1] != 0
    first = np.argmax(decoupled, axis=0) + 1.0
    return np.where(decoupled.any(axis=0), first, H + 1.0)
