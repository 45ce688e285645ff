"""Back-tests: does the model reproduce what was observed in a historical episode?

An *episode* is a scenario (``kind = "episode"``) that starts from the state before a past
episode of alliance politics (THAAD coercion 2016–17, Carter's withdrawal plan 1977–79, …) and
carries ``[[observations]]``: observed values of recorded quantities at dates. Observations on
other scales (Asan favourability 0–10, visitors in millions, ₩ trillions) are matched through
indicators the episode defines on the observed scale (``china_favourability_asan = 10 *
favourability.ROK.PRC``); an observation with ``average_from`` is compared with the mean of
the indicator over the periods from ``average_from`` to ``at`` (an annual figure).

The back-test compares *changes*: for each indicator, each observation against the previous
observation of the same indicator. A model that starts from a plausible range of states is
judged on whether it moves the right way by about the right amount, not on its starting level.
For each change it reports the direction (up, down or flat, where flat means within the
change's observation error), the error of the ensemble median, whether the observed change
lies in the ensemble's 90 % band, and whether the observed level does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from alliancesim.draws import check_seed
from alliancesim.ensemble import simulate_members
from alliancesim.errors import InputError, Problem
from alliancesim.model import Model, compile_model
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.schema import Observation, Scenario

__all__ = [
    "BAND",
    "Backtest",
    "ChangeCheck",
    "ObservedChange",
    "backtest",
    "observed_changes",
    "simulate_history",
    "simulated_values",
]

BAND = (0.05, 0.95)
"""The ensemble band an observation is checked against (90 %)."""


@dataclass(frozen=True)
class ObservedChange:
    """An observed change of one indicator between two observations, and the steps they cover."""

    indicator: str
    start: Observation
    end: Observation
    start_steps: tuple[int, ...]
    end_steps: tuple[int, ...]

    @property
    def value(self) -> float:
        """Observed change: the later value minus the earlier one."""
        return self.end.value - self.start.value

    @property
    def sd(self) -> float | None:
        """Observation error of the change (root sum of squares of the two sd), if either has one."""
        if self.start.sd is None and self.end.sd is None:
            return None
        return math.hypot(self.start.sd or 0.0, self.end.sd or 0.0)

    @property
    def flat_tolerance(self) -> float:
        """Changes smaller than this count as no change (the observation error, else ~0)."""
        sd = self.sd
        return sd if sd is not None else 1e-9 * max(1.0, abs(self.start.value), abs(self.end.value))


def _steps(clock: Clock, observation: Observation) -> tuple[int, ...]:
    file, line = observation.origin
    end = clock.step_of(observation.at)
    if observation.average_from is None:
        return (end,)
    try:
        first = clock.step_of(observation.average_from)
    except ValueError as exc:
        raise InputError([Problem(file, line, "average_from", str(exc))]) from None
    if not 0 <= first <= end:
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    "average_from",
                    f"expected a period from {clock.label(0)} to {observation.at} (the observation's "
                    f"at), got {observation.average_from}",
                )
            ]
        )
    return tuple(range(first, end + 1))


def observed_changes(scenario: Scenario) -> list[ObservedChange]:
    """Each observation paired with the previous observation of the same indicator.

    Indicators come in the order they first appear; within one, observations are ordered by
    date. An indicator observed only once gives no change.
    """
    meta = scenario.scenario
    clock = Clock(meta.start, meta.step, meta.horizon)
    by_indicator: dict[str, list[tuple[tuple[int, ...], Observation]]] = {}
    for observation in scenario.observations:
        by_indicator.setdefault(observation.indicator, []).append(
            (_steps(clock, observation), observation)
        )
    out = []
    for indicator, entries in by_indicator.items():
        entries.sort(key=lambda e: (e[0][-1], e[0][0]))
        for (steps_a, a), (steps_b, b) in pairwise(entries):
            out.append(ObservedChange(indicator, a, b, steps_a, steps_b))
    return out


def simulate_history(model: Model, members: int, seed: int) -> np.ndarray:
    """The episode as it happened (its baseline) over an ensemble: (steps + 1, names, members).

    Members draw exactly what ``alliancesim run`` draws for the same seed (same blocks).
    """
    return simulate_members(model, "baseline", members, seed)


def simulated_values(
    records: np.ndarray, names: Sequence[str], indicator: str, steps: Sequence[int]
) -> np.ndarray:
    """Per member, the indicator at a step (or its mean over several steps) from the records."""
    index = list(names).index(indicator)
    return records[list(steps), index, :].mean(axis=0)


def _direction(value: float, tolerance: float) -> int:
    if value > tolerance:
        return 1
    if value < -tolerance:
        return -1
    return 0


_ARROWS = {1: "up", -1: "down", 0: "flat"}


@dataclass(frozen=True)
class ChangeCheck:
    """One observed change against the ensemble's simulated changes."""

    change: ObservedChange
    simulated: dict[str, float]  # mean, q05, q50, q95 of the simulated change
    level: dict[str, float]  # q05, q50, q95 of the simulated level at the later observation
    share_same_direction: float  # members whose change goes the observed way

    @property
    def observed(self) -> float:
        """The observed change."""
        return self.change.value

    @property
    def error(self) -> float:
        """Ensemble median change minus the observed change."""
        return self.simulated["q50"] - self.observed

    @property
    def observed_direction(self) -> int:
        """+1 up, −1 down, 0 flat (within the observation error)."""
        return _direction(self.observed, self.change.flat_tolerance)

    @property
    def simulated_direction(self) -> int:
        """Direction of the ensemble's median change, with the same tolerance."""
        return _direction(self.simulated["q50"], self.change.flat_tolerance)

    @property
    def direction_agrees(self) -> bool:
        """Whether the median simulated change goes the way history went."""
        return self.observed_direction == self.simulated_direction

    @property
    def change_in_band(self) -> bool:
        """Whether the observed change lies in the ensemble's 90 % band of changes."""
        return self.simulated["q05"] <= self.observed <= self.simulated["q95"]

    @property
    def level_in_band(self) -> bool:
        """Whether the later observed value lies in the ensemble's 90 % band of levels."""
        return self.level["q05"] <= self.change.end.value <= self.level["q95"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        c = self.change
        return {
            "indicator": c.indicator,
            "scale": c.end.scale or c.start.scale,
            "from": c.start.at,
            "to": c.end.at,
            "observed_from": c.start.value,
            "observed_to": c.end.value,
            "observed_change": self.observed,
            "observed_change_sd": c.sd,
            "simulated_change": self.simulated,
            "simulated_level": self.level,
            "error": self.error,
            "observed_direction": _ARROWS[self.observed_direction],
            "simulated_direction": _ARROWS[self.simulated_direction],
            "direction_agrees": self.direction_agrees,
            "share_same_direction": self.share_same_direction,
            "change_in_band": self.change_in_band,
            "level_in_band": self.level_in_band,
            "source": _source_text(c.end.source),
        }


def _source_text(source: object) -> str | None:
    if source is None:
        return None
    if isinstance(source, str):
        return source
    return f"{getattr(source, 'seed', '')}: \u201c{getattr(source, 'quote', '')}\u201d"


@dataclass(frozen=True)
class Backtest:
    """An episode's back-test: every observed change against the simulated ones."""

    episode: str
    title: str
    members: int
    seed: int
    checks: list[ChangeCheck]

    def counts(self) -> dict[str, int]:
        """How many changes agree in direction, lie in the band, and in total."""
        return {
            "changes": len(self.checks),
            "direction_agrees": sum(c.direction_agrees for c in self.checks),
            "change_in_band": sum(c.change_in_band for c in self.checks),
            "level_in_band": sum(c.level_in_band for c in self.checks),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "episode": self.episode,
            "title": self.title,
            "members": self.members,
            "seed": self.seed,
            "band": list(BAND),
            "summary": self.counts(),
            "changes": [c.to_dict() for c in self.checks],
        }


def _quantiles(values: np.ndarray) -> dict[str, float]:
    q05, q50, q95 = np.quantile(values, [BAND[0], 0.5, BAND[1]])
    return {"q05": float(q05), "q50": float(q50), "q95": float(q95)}


def backtest(scenario: Scenario, members: int = 2000, seed: int = 0) -> Backtest:
    """Simulate the episode over ``members`` worlds and check each observed change.

    Raises :class:`~alliancesim.errors.InputError` if the scenario has no pair of observations
    of the same indicator to compare.
    """
    if members < 2:
        raise InputError.single("--members", f"members must be at least 2, got {members}")
    check_seed(seed)
    changes = observed_changes(scenario)
    if not changes:
        file, line = (
            scenario.observations[0].origin if scenario.observations else (scenario.id, None)
        )
        raise InputError.single(
            file,
            f"{scenario.id} has no two observations of the same indicator: a back-test "
            "compares observed changes (add the value before the episode and after it)",
            line=line,
            field="observations",
        )
    model = compile_model(scenario)
    records = simulate_history(model, members, seed)
    names = model.record_names
    checks = []
    for change in changes:
        before = simulated_values(records, names, change.indicator, change.start_steps)
        after = simulated_values(records, names, change.indicator, change.end_steps)
        delta = after - before
        simulated = {"mean": float(delta.mean()), **_quantiles(delta)}
        observed_direction = _direction(change.value, change.flat_tolerance)
        member_directions = np.where(
            delta > change.flat_tolerance, 1, np.where(delta < -change.flat_tolerance, -1, 0)
        )
        checks.append(
            ChangeCheck(
                change=change,
                simulated=simulated,
                level=_quantiles(after),
                share_same_direction=float(np.mean(member_directions == observed_direction)),
            )
        )
    return Backtest(scenario.id, scenario.scenario.title, members, seed, checks)
