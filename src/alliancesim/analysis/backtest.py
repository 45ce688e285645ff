"""Back-tests: the model's forecasts of past episodes, scored against two naive forecasters.

An *episode* is a scenario (``kind = "episode"``) that starts from the state before a past
episode of alliance politics and carries ``[[observations]]`` (see docs/scenario-format.md):
*levels* (a poll share, troops, an amount, at a date or averaged over a window), *counts* (a
total over a window: launches a year) and *events* (whether something happened by a date).
Observations dated before the scenario's start are history: never simulated, they are what
the forecasters know when the episode begins.

**The protocol** (docs/backtests.md). Every forecaster forecasts every scored observation from
the same information: the episode's origin and the series' values known there.

- A series' *base* is its last observation dated at or before the initial state (step 0), or,
  if it has none, its first observation (which is then a base, not a target). The observations
  after the base are the *targets*; earlier ones are the series' history.
- **Levels** are forecast as a change from the base: the observed change is ``value − base``
  with error ``√(sd² + sd_base²)``; the model's forecast is each member's simulated change from
  the base's steps (from the initial state when the base is history) to the target's steps,
  plus that error. The model starts from a *range* of states its author set from the same
  base, so the change is what it forecasts; scoring the change also scores the anchored level
  ``base + Δ`` (CRPS and interval score are shift invariant).
- **Counts** are forecast directly: the model's simulated total over the window (``count.<id>``
  differenced, any other quantity summed), plus the counting error.
- **Events** are forecast by the share of members in which the quantity is above 0 at some step
  up to the date (Brier score, which is the CRPS of a 0/1 outcome).
- **Persistence** says nothing changes: a level stays at its base (± the errors of base and
  target), a count keeps its base's rate per year (with Poisson noise), an event does not
  happen. **Trend** fits a straight line through the series' observations up to the base
  (history before the episode included) and extrapolates it; with fewer than two points it is
  persistence and says so (:func:`~alliancesim.analysis.scores.trend_forecast`).

Every forecast is scored by :mod:`alliancesim.analysis.scores`: CRPS and the 90 % interval
score of the predictive distribution with the observation error added, the log score, and for
levels and counts the direction of the observed change, scored only where it exceeds twice its
error (else "not scored", never agreement). Skill (``1 − S_model / S_reference``, averages first)
is given per episode and overall, with every observation's scores divided by its *footing*: the
standard deviation of the persistence forecast (the observation error of a level's change, the
Poisson and counting noise of a count; 0.5, the largest of a 0/1 outcome, for an event). That
scale is fixed before the outcome is known and is the same for all three forecasters, so it
cannot favour one; it says how noisy the quantity is as measured, so a point of a poll with
a 2-point error weighs as much as a thousand troops counted to 500.

Calibration (:mod:`alliancesim.analysis.calibrate`) matches the observed *changes between
consecutive observations* of simulated levels (:func:`observed_changes`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np

from alliancesim.analysis.scores import (
    ObservationScore,
    ReferenceForecast,
    SkillTable,
    direction_check,
    persistence_forecast,
    score_observation,
    score_reference,
    skill_table,
    trend_forecast,
)
from alliancesim.draws import check_seed
from alliancesim.ensemble import simulate_members
from alliancesim.errors import InputError, Problem
from alliancesim.model import Model, compile_model
from alliancesim.scenario.clock import Clock, parse_period
from alliancesim.scenario.schema import Observation, Scenario

__all__ = [
    "BAND",
    "EVENT_FOOTING",
    "FAN_QUANTILES",
    "Backtest",
    "ObservedChange",
    "SeriesChart",
    "Target",
    "TargetScore",
    "backtest",
    "backtest_records",
    "bare_target",
    "history_targets",
    "observed_changes",
    "overall_skill",
    "score_target",
    "series_charts",
    "simulate_history",
    "simulated_values",
    "target_members",
]

BAND = (0.05, 0.95)
"""The central 90 % of the model's forecast, as shown in tables (the interval score's α = 0.1)."""

EVENT_FOOTING = 0.5
"""The footing of an event's scores: the largest standard deviation a 0/1 outcome can have."""

FORECASTERS = ("model", "persistence", "trend")

_ROUNDING = 1e-9
"""Simulated changes smaller than this share of the level are rounding, counted as no change."""


# --------------------------------------------------------------------------------------------
# dates and windows


def _clock(scenario: Scenario) -> Clock:
    meta = scenario.scenario
    return Clock(meta.start, meta.step, meta.horizon)


def _first(observation: Observation) -> str | None:
    return observation.total_from if observation.kind == "count" else observation.average_from


def _steps(clock: Clock, observation: Observation) -> tuple[int, ...]:
    """The steps an observation covers (negative before the initial state: history)."""
    file, line = observation.origin
    end = clock.step_of(observation.at)
    first_period = _first(observation)
    if first_period is None:
        return (end,)
    field_name = "total_from" if observation.kind == "count" else "average_from"
    try:
        first = clock.step_of(first_period)
    except ValueError as exc:
        raise InputError([Problem(file, line, field_name, str(exc))]) from None
    if first > end:
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    field_name,
                    f"{field_name} ({first_period}) must not come after at ({observation.at})",
                )
            ]
        )
    return tuple(range(first, end + 1))


def _years(clock: Clock, period: str) -> float:
    """The end of a period in years (2017Q4 → 2018.0)."""
    year, index, _ = parse_period(period)
    return year + (index + 1) / clock.per_year


def _time(clock: Clock, observation: Observation) -> float:
    """When an observation was taken, in years: the middle of its window's period ends."""
    end = _years(clock, observation.at)
    first = _first(observation)
    start = end if first is None else _years(clock, first)
    return 0.5 * (start + end)


def _length_years(clock: Clock, steps: Sequence[int]) -> float:
    """A window's length in years."""
    return len(steps) / clock.per_year


# --------------------------------------------------------------------------------------------
# what is scored


@dataclass(frozen=True)
class Target:
    """One observation the forecasters forecast, the base they start from and the history known.

    ``steps`` is the observation's window in steps; ``base`` the series' value the forecasts
    start from, ``base_steps`` where the model reads it (the initial state when the base is
    history); ``history`` every observation of the series up to the base (the base included),
    which the trend is fitted to. An event has no base and no history.
    """

    episode: str
    observation: Observation
    steps: tuple[int, ...]
    time: float
    years: float
    base: Observation | None
    base_steps: tuple[int, ...]
    history: tuple[Observation, ...]
    history_times: tuple[float, ...]
    history_years: tuple[float, ...]

    @property
    def kind(self) -> str:
        """``level``, ``count`` or ``event``."""
        return self.observation.kind

    @property
    def indicator(self) -> str:
        """The recorded quantity observed."""
        return self.observation.indicator

    @property
    def observed(self) -> float:
        """What is scored: a level's change from its base, a count's total, an event's 0/1."""
        if self.kind == "level":
            assert self.base is not None
            return self.observation.value - self.base.value
        return self.observation.value

    @property
    def sd(self) -> float:
        """The error of what is scored: √(sd² + sd_base²) for a level's change, else its own."""
        own = self.observation.sd or 0.0
        if self.kind == "level" and self.base is not None:
            return math.hypot(own, self.base.sd or 0.0)
        return own

    @property
    def horizon(self) -> int:
        """Steps from the base (or the initial state) to the end of the target's window."""
        start = max(self.base_steps[-1], 0) if self.base_steps else 0
        return self.steps[-1] - start

    def describe(self) -> dict[str, Any]:
        """The observation, its base and its window as JSON-ready values."""
        o = self.observation
        return {
            "indicator": o.indicator,
            "kind": o.kind,
            "scale": o.scale,
            "at": o.at,
            "from": _first(o),
            "value": o.value,
            "sd": o.sd,
            "base": None
            if self.base is None
            else {"at": self.base.at, "from": _first(self.base), "value": self.base.value},
            "history": [h.at for h in self.history],
            "horizon_steps": self.horizon,
            "observed": self.observed,
            "observed_sd": self.sd,
            "source": _source_text(o.source),
        }


@dataclass(frozen=True)
class Unscored:
    """An observation that is not a target, and why (a base, history, or a lone value)."""

    observation: Observation
    role: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        o = self.observation
        return {
            "indicator": o.indicator,
            "kind": o.kind,
            "at": o.at,
            "value": o.value,
            "role": self.role,
        }


def history_targets(scenario: Scenario) -> tuple[list[Target], list[Unscored]]:
    """The episode's targets (in file order of their series, then by date) and the rest.

    Levels and counts are grouped into series by indicator and kind; each series' base is its
    last observation at or before the initial state, else its first one. Events are targets
    on their own.
    """
    clock = _clock(scenario)
    series: dict[tuple[str, str], list[Observation]] = {}
    targets: list[Target] = []
    unscored: list[Unscored] = []
    for observation in scenario.observations:
        if observation.kind == "event":
            steps = _steps(clock, observation)
            targets.append(
                Target(
                    scenario.id,
                    observation,
                    tuple(range(1, steps[-1] + 1)),
                    _time(clock, observation),
                    _length_years(clock, range(1, steps[-1] + 1)),
                    None,
                    (),
                    (),
                    (),
                    (),
                )
            )
            continue
        series.setdefault((observation.indicator, observation.kind), []).append(observation)
    for (_, kind), observations in series.items():
        dated = sorted(
            ((_steps(clock, o), o) for o in observations), key=lambda e: (e[0][-1], e[0][0])
        )
        known = [k for k, (steps, _) in enumerate(dated) if steps[-1] <= 0]
        base_index = known[-1] if known else 0
        base_steps_raw, base = dated[base_index]
        history = [o for _, o in dated[: base_index + 1]]
        for _, o in dated[:base_index]:
            unscored.append(Unscored(o, "history (before the base)"))
        if len(dated) == base_index + 1:
            unscored.append(Unscored(base, "nothing later in the series to forecast"))
            continue
        unscored.append(
            Unscored(base, "base" if known else "base (the series' first value, not a target)")
        )
        base_steps = base_steps_raw if base_steps_raw[-1] >= 0 else (0,)
        for steps, o in dated[base_index + 1 :]:
            targets.append(
                Target(
                    scenario.id,
                    o,
                    steps,
                    _time(clock, o),
                    _length_years(clock, steps),
                    base,
                    base_steps if kind == "level" else (),
                    tuple(history),
                    tuple(_time(clock, h) for h in history),
                    tuple(_length_years(clock, _steps(clock, h)) for h in history),
                )
            )
    position = {id(o): k for k, o in enumerate(scenario.observations)}
    first_of: dict[tuple[str, str], int] = {}
    for o in scenario.observations:
        first_of.setdefault((o.indicator, o.kind), position[id(o)])

    def order(target: Target) -> tuple[int, int, int]:
        o = target.observation
        series = position[id(o)] if o.kind == "event" else first_of[(o.indicator, o.kind)]
        return (series, target.steps[-1], position[id(o)])

    targets.sort(key=order)
    unscored.sort(key=lambda u: position[id(u.observation)])
    return targets, unscored


def bare_target(scenario: Scenario, observation: Observation) -> Target:
    """An observation as a target with no base and no history: only its window (what
    :func:`target_members` reads for a count or an event). For simulating an observation."""
    clock = _clock(scenario)
    steps = _steps(clock, observation)
    if observation.kind == "event":
        steps = tuple(range(1, steps[-1] + 1))
    return Target(
        scenario.id,
        observation,
        steps,
        _time(clock, observation),
        _length_years(clock, steps),
        None,
        (),
        (),
        (),
        (),
    )


# --------------------------------------------------------------------------------------------
# the simulated values of a target


def simulate_history(model: Model, members: int, seed: int, structure: str = "seed") -> np.ndarray:
    """The episode as it happened (its baseline) over an ensemble: (steps + 1, names, members).

    Members draw exactly what ``alliancesim run`` draws for the same seed (same blocks), under
    ``structure`` (one account of each contested mechanism; every structure sees the same draws).
    """
    return simulate_members(model, "baseline", members, seed, structure=structure)


def simulated_values(
    records: np.ndarray, names: Sequence[str], indicator: str, steps: Sequence[int]
) -> np.ndarray:
    """Per member, the indicator at a step (or its mean over several steps) from the records."""
    index = list(names).index(indicator)
    return records[list(steps), index, :].mean(axis=0)


def target_members(target: Target, records: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Per member, the simulated value of what the target scores.

    A level's change from its base's steps, a count's total over the window (``count.<id>``
    is cumulative, so it is differenced; any other quantity is summed), an event's 1/0:
    whether the quantity was above 0 at some step from the first to the date.
    """
    index = list(names).index(target.indicator)
    series = records[:, index, :]
    if target.kind == "level":
        after = series[list(target.steps)].mean(axis=0)
        before = series[list(target.base_steps)].mean(axis=0)
        change = after - before
        # a quantity nothing moves can come back from relaxing toward itself a rounding error
        # away: that is no change (and no direction), not a change of 1e-16
        change[np.abs(change) <= _ROUNDING * np.maximum(1.0, np.abs(before))] = 0.0
        return change
    if target.kind == "count":
        first, last = target.steps[0], target.steps[-1]
        if target.indicator.startswith("count."):
            return series[last] - series[first - 1]
        return series[first : last + 1].sum(axis=0)
    return (series[1 : target.steps[-1] + 1] > 0).any(axis=0).astype(float)


def _level_members(target: Target, records: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Per member, the simulated level of the target's quantity (not anchored on its base)."""
    return simulated_values(records, names, target.indicator, target.steps)


# --------------------------------------------------------------------------------------------
# the reference forecasts


def _poisson(forecast: ReferenceForecast, extra_sd: float, note: str) -> ReferenceForecast:
    """A count forecast with Poisson noise around its mean and a counting error added."""
    sd = math.sqrt(forecast.sd**2 + max(forecast.mean, 0.0) + extra_sd**2)
    return replace(forecast, mean=max(forecast.mean, 0.0), sd=sd, note=f"{forecast.note}; {note}")


def reference_forecasts(target: Target) -> dict[str, ReferenceForecast]:
    """Persistence and trend forecasts of what the target scores (a change, a total, a 0/1)."""
    o = target.observation
    if target.kind == "event":
        persistence = ReferenceForecast(
            "persistence", 0.0, 0.0, prior_points=0, note="nothing happens that had not"
        )
        trend = ReferenceForecast(
            "trend",
            0.0,
            0.0,
            fell_back=True,
            note="an event has no series to fit a line to: persistence instead of a trend",
        )
        return {"persistence": persistence, "trend": trend}
    assert target.base is not None
    history = target.history
    if target.kind == "level":
        base = target.base
        persistence = persistence_forecast([base.value], [base.sd], o.sd).for_change(base.value)
        trend = trend_forecast(
            target.history_times,
            [h.value for h in history],
            target.time,
            [h.sd for h in history],
            o.sd,
        ).for_change(base.value)
        return {"persistence": persistence, "trend": trend}
    # counts: rates per year, carried to the target's window, with Poisson noise
    rates = [h.value / y for h, y in zip(history, target.history_years, strict=True)]
    rate_sds = [(h.sd or 0.0) / y for h, y in zip(history, target.history_years, strict=True)]
    scale = target.years
    persistence_rate = persistence_forecast(rates, rate_sds, 0.0)
    trend_rate = trend_forecast(target.history_times, rates, target.time, rate_sds, 0.0)
    out = {}
    for name, rate in (("persistence", persistence_rate), ("trend", trend_rate)):
        carried = replace(rate, mean=rate.mean * scale, sd=rate.sd * scale)
        out[name] = _poisson(carried, o.sd or 0.0, "Poisson noise at that rate")
    return out


def footing(target: Target, persistence: ReferenceForecast) -> tuple[float, str]:
    """The scale the target's scores are divided by for skill across units, and what it is."""
    if target.kind == "event":
        return EVENT_FOOTING, "0.5: the largest sd of a 0/1 outcome"
    if target.kind == "count":
        return max(persistence.sd, 1.0), "sd of the persistence forecast (at least one count)"
    if persistence.sd > 0:
        return persistence.sd, "sd of the persistence forecast"
    return 1.0, "no observation error given: scores in the observation's own units"


# --------------------------------------------------------------------------------------------
# scoring one target


@dataclass(frozen=True)
class TargetScore:
    """One target scored: the model's forecast and the two references, on one footing.

    ``forecast`` holds the model's mean and 5/50/95 % quantiles of what is scored (for an event,
    the probability); ``level`` the same for the unanchored simulated level (levels only) and
    whether the observed value lies in its 90 % band (the old back-test's column).
    """

    target: Target
    scores: dict[str, ObservationScore]
    references: dict[str, ReferenceForecast]
    footing: float
    footing_note: str
    forecast: dict[str, float]
    level: dict[str, float] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def model(self) -> ObservationScore:
        """The model's scores."""
        return self.scores["model"]

    def scaled(self, forecaster: str, score: str = "crps") -> float | None:
        """A forecaster's score divided by the footing (None where the score does not apply)."""
        value = getattr(self.scores[forecaster], score)
        return None if value is None else value / self.footing

    @property
    def direction(self) -> str:
        """``agrees``, ``disagrees``, ``not scored`` (change within 2 × its error) or ``—``."""
        check = self.model.direction
        if check is None:
            return "—"
        if not check.scored:
            return "not scored"
        return "agrees" if check.agrees else "disagrees"

    @property
    def level_in_band(self) -> bool | None:
        """Whether the observed level lies in the model's 90 % band of levels (levels only)."""
        if self.level is None:
            return None
        return self.level["q05"] <= self.target.observation.value <= self.level["q95"]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            **self.target.describe(),
            "forecast": self.forecast,
            "level": self.level,
            "level_in_band": self.level_in_band,
            "direction": self.direction,
            "footing": self.footing,
            "footing_note": self.footing_note,
            "scores": {name: s.to_dict() for name, s in self.scores.items()},
            "references": {name: f.to_dict() for name, f in self.references.items()},
            "notes": list(self.notes),
        }


def _quantiles(values: np.ndarray) -> dict[str, float]:
    q05, q25, q50, q75, q95 = np.quantile(values, [BAND[0], 0.25, 0.5, 0.75, BAND[1]])
    return {
        "mean": float(values.mean()),
        "q05": float(q05),
        "q25": float(q25),
        "q50": float(q50),
        "q75": float(q75),
        "q95": float(q95),
    }


def score_target(
    target: Target, members: np.ndarray, levels: np.ndarray | None = None
) -> TargetScore:
    """Score the model's member values of a target (:func:`target_members`) and the references.

    ``levels`` (optional) are the members' unanchored simulated levels, for the level band.
    """
    references = reference_forecasts(target)
    scale, scale_note = footing(target, references["persistence"])
    notes: list[str] = []
    kind = "change" if target.kind == "level" else target.kind
    model = score_observation(members, target.observed, kind=kind, sd=target.sd)
    if target.kind == "count":
        model = replace(model, direction=_count_direction(target, members, references))
    scores = {"model": model}
    for name, forecast in references.items():
        scored = score_reference(forecast, target.observed, kind=kind, sd=target.sd)
        if target.kind == "count":
            scored = replace(scored, direction=_count_direction(target, None, references, forecast))
        scores[name] = scored
        if forecast.fell_back and forecast.note not in notes:
            notes.append(f"{name}: {forecast.note}")
    forecast_summary = (
        {"probability": float(members.mean())} if target.kind == "event" else _quantiles(members)
    )
    level = None if levels is None or target.kind != "level" else _quantiles(levels)
    return TargetScore(
        target, scores, references, scale, scale_note, forecast_summary, level, tuple(notes)
    )


def _count_direction(
    target: Target,
    members: np.ndarray | None,
    references: dict[str, ReferenceForecast],
    forecast: ReferenceForecast | None = None,
) -> Any:
    """A count's direction: up or down from the base's rate carried to the window.

    The observed change counts as a direction only beyond twice its error: the Poisson noise of
    both counts (√(base + value)) and their counting errors.
    """
    base = references["persistence"].mean
    assert target.base is not None
    error = math.sqrt(
        max(base, 0.0)
        + max(target.observation.value, 0.0)
        + (target.observation.sd or 0.0) ** 2
        + (target.base.sd or 0.0) ** 2
    )
    observed = target.observation.value - base
    values = np.array([forecast.mean]) if forecast is not None else np.asarray(members)
    return direction_check(values - base, observed, error)


# --------------------------------------------------------------------------------------------
# what a report draws: each series in its own units


FAN_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The quantiles of the model's forecast drawn as a fan (5-95 % and 25-75 % bands, median)."""


@dataclass(frozen=True)
class SeriesChart:
    """One observed series as a report draws it, in the observations' own units.

    ``points`` are every observation of the series (history, base, targets) with its time in
    years, value and error. For a level, ``fan`` holds the model's forecast anchored on the base
    (base value + each member's simulated change since the base's steps) at each step from the
    base on, as quantiles ``FAN_QUANTILES`` per time; ``persistence`` and ``trend`` the two
    references along the same times. For a count, ``windows`` holds the model's quantiles of the
    total and the references' means for each target window.
    """

    indicator: str
    kind: str
    scale: str
    points: tuple[dict[str, Any], ...]
    fan_times: tuple[float, ...] = ()
    fan_labels: tuple[str, ...] = ()
    fan: dict[str, tuple[float, ...]] = field(default_factory=dict)
    persistence: tuple[float, ...] = ()
    trend: tuple[float, ...] = ()
    windows: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "indicator": self.indicator,
            "kind": self.kind,
            "scale": self.scale,
            "points": list(self.points),
            "fan_times": list(self.fan_times),
            "fan_labels": list(self.fan_labels),
            "fan": {k: list(v) for k, v in self.fan.items()},
            "persistence": list(self.persistence),
            "trend": list(self.trend),
            "windows": list(self.windows),
        }


def _point(clock: Clock, observation: Observation, role: str) -> dict[str, Any]:
    return {
        "time": _time(clock, observation),
        "at": observation.at,
        "from": _first(observation),
        "value": observation.value,
        "sd": observation.sd,
        "role": role,
    }


def series_charts(
    scenario: Scenario, scored: Sequence[TargetScore], records: np.ndarray, names: Sequence[str]
) -> list[SeriesChart]:
    """The charts of an episode's level and count series (events are tabled, not drawn)."""
    clock = _clock(scenario)
    by_series: dict[tuple[str, str], list[TargetScore]] = {}
    for row in scored:
        if row.target.kind != "event":
            by_series.setdefault((row.target.indicator, row.target.kind), []).append(row)
    out = []
    for (indicator, kind), rows in by_series.items():
        first = rows[0].target
        assert first.base is not None
        points = [
            _point(clock, o, "base" if o is first.base else "history") for o in first.history
        ] + [_point(clock, r.target.observation, "target") for r in rows]
        scale = first.observation.scale or first.base.scale
        if kind == "count":
            windows = tuple(
                {
                    "time": r.target.time,
                    "at": r.target.observation.at,
                    "from": r.target.observation.total_from,
                    **{
                        f"q{round(100 * q):02d}": v
                        for q, v in zip(FAN_QUANTILES, _fan_of(r), strict=True)
                    },
                    "persistence": r.references["persistence"].mean,
                    "trend": r.references["trend"].mean,
                }
                for r in rows
            )
            out.append(SeriesChart(indicator, kind, scale, tuple(points), windows=windows))
            continue
        index = list(names).index(indicator)
        series = records[:, index, :]
        start = max(first.base_steps[-1], 0)
        before = series[list(first.base_steps)].mean(axis=0)
        steps = list(range(start, clock.horizon + 1))
        anchored = first.base.value + (series[steps] - before[None, :])
        quantiles = np.quantile(anchored, FAN_QUANTILES, axis=1)
        times = tuple(_years(clock, clock.label(t)) for t in steps)
        base_value = first.base.value
        history = first.history
        trend = tuple(
            trend_forecast(
                first.history_times, [h.value for h in history], t, [h.sd for h in history]
            ).mean
            for t in times
        )
        out.append(
            SeriesChart(
                indicator,
                kind,
                scale,
                tuple(points),
                fan_times=times,
                fan_labels=tuple(clock.label(t) for t in steps),
                fan={
                    f"q{round(100 * q):02d}": tuple(float(v) for v in quantiles[k])
                    for k, q in enumerate(FAN_QUANTILES)
                },
                persistence=tuple(base_value for _ in times),
                trend=trend,
            )
        )
    return out


def _fan_of(row: TargetScore) -> tuple[float, ...]:
    """The model's forecast quantiles (``FAN_QUANTILES``) of a count target's total."""
    return tuple(row.forecast[f"q{round(100 * q):02d}"] for q in FAN_QUANTILES)


# --------------------------------------------------------------------------------------------
# an episode's back-test


@dataclass(frozen=True)
class Backtest:
    """An episode's back-test: every target scored, and the observations that are not targets."""

    episode: str
    title: str
    members: int
    seed: int
    scored: list[TargetScore]
    unscored: list[Unscored]
    structure: str | None = None
    charts: list[SeriesChart] = field(default_factory=list)
    """The level and count series in their own units, for the report (not in ``to_dict``)."""

    def mean_scaled(self, forecaster: str, score: str = "crps") -> float | None:
        """The mean of a forecaster's scaled scores over the targets it applies to."""
        values = [v for t in self.scored if (v := t.scaled(forecaster, score)) is not None]
        return float(np.mean(values)) if values else None

    def directions(self) -> dict[str, int]:
        """How many targets' directions agree, disagree and are not scored."""
        words = [t.direction for t in self.scored]
        return {
            "agrees": words.count("agrees"),
            "disagrees": words.count("disagrees"),
            "not_scored": words.count("not scored"),
        }

    def skill(self) -> dict[str, dict[str, Any]]:
        """Skill of the model against persistence and trend (CRPS, interval score) here."""
        return _skill([self])["per_group"].get(self.episode, {})

    def counts(self) -> dict[str, int]:
        """Targets, direction agreements, and observed levels in the model's 90 % band."""
        directions = self.directions()
        return {
            "targets": len(self.scored),
            "direction_agrees": directions["agrees"],
            "direction_disagrees": directions["disagrees"],
            "direction_not_scored": directions["not_scored"],
            "level_in_band": sum(1 for t in self.scored if t.level_in_band),
            "levels": sum(1 for t in self.scored if t.level is not None),
        }

    def summary(self) -> dict[str, Any]:
        """Mean scaled scores per forecaster, skill, the counts, and target-by-target wins."""
        return {
            "against": {ref: _against(self.scored, ref) for ref in ("persistence", "trend")},
            "mean_scaled_crps": {f: self.mean_scaled(f) for f in FORECASTERS},
            "mean_scaled_interval_score": {
                f: self.mean_scaled(f, "interval_score") for f in FORECASTERS
            },
            "skill": self.skill(),
            **self.counts(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "episode": self.episode,
            "title": self.title,
            "members": self.members,
            "seed": self.seed,
            "structure": self.structure,
            "band": list(BAND),
            "summary": self.summary(),
            "targets": [t.to_dict() for t in self.scored],
            "not_scored": [u.to_dict() for u in self.unscored],
        }


def _against(rows: Sequence[TargetScore], reference: str) -> dict[str, int]:
    """How many targets the model scores better, equal (to rounding) or worse (CRPS) than a
    reference: equal within a relative 1e-9, so a quantity nobody moves is a tie, not a win."""
    out = {"better": 0, "tied": 0, "worse": 0}
    for row in rows:
        m, r = row.model.crps, row.scores[reference].crps
        if abs(m - r) <= 1e-9 * max(abs(m), abs(r), 1e-12):
            out["tied"] += 1
        elif m < r:
            out["better"] += 1
        else:
            out["worse"] += 1
    return out


def _skill(results: Iterable[Backtest]) -> dict[str, Any]:
    """Skill tables (CRPS over every target, interval score over levels and counts)."""
    rows = [t for r in results for t in r.scored]
    out: dict[str, Any] = {"per_group": {}, "overall": {}}
    if not rows:
        return out
    tables: dict[str, SkillTable] = {}
    for score in ("crps", "interval_score"):
        usable = [
            t for t in rows if t.scores["model"].interval_score is not None or score == "crps"
        ]
        if not usable:
            continue
        for reference in ("persistence", "trend"):
            tables[f"{score}/{reference}"] = skill_table(
                [getattr(t.scores["model"], score) for t in usable],
                [getattr(t.scores[reference], score) for t in usable],
                [t.target.episode for t in usable],
                scales=[t.footing for t in usable],
                score=score,
                reference=reference,
            )
    for key, table in tables.items():
        out["overall"][key] = table.overall.to_dict()
        for group, skill in table.per_group.items():
            out["per_group"].setdefault(group, {})[key] = skill.to_dict()
    return out


def overall_skill(results: Sequence[Backtest]) -> dict[str, Any]:
    """Skill against persistence and trend over all episodes' targets, each counted once.

    Keys ``"crps/persistence"``, ``"crps/trend"``, ``"interval_score/persistence"``,
    ``"interval_score/trend"``; each a :class:`~alliancesim.analysis.scores.SkillScore` as a dict.
    Also the CRPS skill against persistence for each kind of observation (``skill_by_kind``: levels,
    counts and events apart, since an event the episode encodes as an action is an easy win over
    "nothing happens"), the direction counts and the mean scaled scores over all targets.
    """
    skill = _skill(results)["overall"]
    rows = [t for r in results for t in r.scored]
    words = [t.direction for t in rows]
    means = {}
    for score in ("crps", "interval_score"):
        means[score] = {}
        for f in FORECASTERS:
            values = [v for t in rows if (v := t.scaled(f, score)) is not None]
            means[score][f] = float(np.mean(values)) if values else None
    by_kind = {}
    for kind in ("level", "count", "event"):
        chosen = [t for t in rows if t.target.kind == kind]
        if chosen:
            table = skill_table(
                [t.model.crps for t in chosen],
                [t.scores["persistence"].crps for t in chosen],
                [kind] * len(chosen),
                scales=[t.footing for t in chosen],
            )
            by_kind[kind] = table.overall.to_dict()
    return {
        "episodes": len(results),
        "targets": len(rows),
        "skill": skill,
        "skill_by_kind": by_kind,
        "against": {ref: _against(rows, ref) for ref in ("persistence", "trend")},
        "mean_scaled": means,
        "direction": {
            "agrees": words.count("agrees"),
            "disagrees": words.count("disagrees"),
            "not_scored": words.count("not scored"),
        },
    }


def _check_members(members: int, seed: int) -> None:
    if members < 2:
        raise InputError.single("--members", f"members must be at least 2, got {members}")
    check_seed(seed)


def _no_targets(scenario: Scenario) -> InputError:
    file, line = scenario.observations[0].origin if scenario.observations else (scenario.id, None)
    return InputError.single(
        file,
        f"{scenario.id} has nothing to forecast: give each observed series a value at or before "
        "the start (its base) and a later one, or an event observation",
        line=line,
        field="observations",
    )


def backtest_records(
    scenario: Scenario,
    records: np.ndarray,
    names: Sequence[str],
    *,
    members: int,
    seed: int,
    structure: str | None = None,
) -> Backtest:
    """Score an episode's targets on simulated records (steps + 1, names, members)."""
    targets, unscored = history_targets(scenario)
    if not targets:
        raise _no_targets(scenario)
    scored = [
        score_target(
            t,
            target_members(t, records, names),
            _level_members(t, records, names) if t.kind == "level" else None,
        )
        for t in targets
    ]
    return Backtest(
        scenario.id,
        scenario.scenario.title,
        members,
        seed,
        scored,
        unscored,
        structure,
        series_charts(scenario, scored, records, names),
    )


def backtest(
    scenario: Scenario, members: int = 2000, seed: int = 0, structure: str | None = None
) -> Backtest:
    """Simulate the episode over ``members`` worlds and score every target against history.

    ``structure`` (``seed``, ``mechanism=account``…) chooses the accounts of the episode's
    contested mechanisms (default: the seed's). Raises
    :class:`~alliancesim.errors.InputError` if the episode has nothing to forecast or the
    structure is not one of the episode's.
    """
    _check_members(members, seed)
    if not history_targets(scenario)[0]:
        raise _no_targets(scenario)
    name = None
    if structure is not None:
        from alliancesim.structures import parse_structure

        name = parse_structure(scenario, structure).name
    model = compile_model(scenario)
    records = simulate_history(model, members, seed, name or "seed")
    return backtest_records(
        scenario, records, model.record_names, members=members, seed=seed, structure=name
    )


def _source_text(source: object) -> str | None:
    if source is None:
        return None
    if isinstance(source, str):
        return source
    return f"{getattr(source, 'seed', '')}: \u201c{getattr(source, 'quote', '')}\u201d"


# --------------------------------------------------------------------------------------------
# consecutive changes (history matching)


@dataclass(frozen=True)
class ObservedChange:
    """An observed change of a simulated level between two observations, and their steps."""

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


def observed_changes(scenario: Scenario) -> list[ObservedChange]:
    """Each simulated level observation paired with the previous one of the same indicator.

    Only levels dated from the initial state on (history before it is not simulated); indicators
    come in the order they first appear, observations by date. What calibration matches.
    """
    clock = _clock(scenario)
    by_indicator: dict[str, list[tuple[tuple[int, ...], Observation]]] = {}
    for observation in scenario.observations:
        if observation.kind != "level":
            continue
        steps = _steps(clock, observation)
        if steps[0] < 0:
            continue
        by_indicator.setdefault(observation.indicator, []).append((steps, observation))
    out = []
    for indicator, entries in by_indicator.items():
        entries.sort(key=lambda e: (e[0][-1], e[0][0]))
        for (steps_a, a), (steps_b, b) in pairwise(entries):
            out.append(ObservedChange(indicator, a, b, steps_a, steps_b))
    return out
