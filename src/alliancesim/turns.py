"""Turn mode for wargames: play a scenario one step (a quarter) at a time.

Each turn, the players decide what the actors do this quarter, and every member of a small
ensemble (one random-number block) moves one step. What a player can decide comes from the
scenario, never from a list written for one scenario:

- an **action** (``[[actions]]``, grouped by its actor): let the model's decision rule decide
  (its ``when`` and ``probability``), make it happen this quarter (in every plausible world; a
  one-off action only where it has not happened yet), or rule it out this quarter; and, when the
  action has a consultation rule, whether the ally is genuinely consulted first or only informed;
- a **scheduled event** (``[[schedule]]``, e.g. the SCM): hold it this quarter or not, whatever
  the calendar says;
- a **lever** (``[[levers]]``, ``policy.<id>``): set its value from this quarter on.

The session keeps two tracks on the same parameter draws and random numbers: *your moves*
(the players' choices applied) and *the model decides* (no choice applied, the scenario's own
rules under the same policy). Because the tracks share every random number, the difference
between them in each plausible world is the effect of the players' choices (common random
numbers, as between policies in a run).

A session is fully determined by its scenario, seed, members, policy and the list of choices
made so far, so it can be rebuilt by replaying that history (:meth:`TurnSession.replay`); the
dashboard keeps only the history in the browser.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliancesim.bands import BAND_QUANTILES, Bands
from alliancesim.draws import BLOCK_SIZE, Block, Draws, check_seed
from alliancesim.engine import ActionChoice, BlockState, advance, start
from alliancesim.errors import InputError
from alliancesim.intervals import wilson_interval
from alliancesim.model import Model

__all__ = [
    "DEFAULT_TURN_MEMBERS",
    "TRACKS",
    "ActionOption",
    "LeverOption",
    "QuarterReport",
    "ScheduledOption",
    "TurnChoices",
    "TurnOptions",
    "TurnSession",
    "turn_options",
]

DEFAULT_TURN_MEMBERS = 500
"""Plausible worlds in a game: enough for P(decoupled) to ±4.5 points, a turn well under a second."""
PLAYED = "your moves"
AUTOPILOT = "the model decides"
TRACKS = (PLAYED, AUTOPILOT)
"""The two tracks of a session: the players' choices applied, and the scenario's own rules."""


# --------------------------------------------------------------------------------------------
# what a player may decide


@dataclass(frozen=True)
class ActionOption:
    """An action a player may force or rule out this quarter."""

    id: str
    label: str
    actor: str
    once: bool
    consultable: bool  # the action has a consultation rule (its `consulted` is not 0)
    consulted_rule: str
    source: str


@dataclass(frozen=True)
class ScheduledOption:
    """A scheduled event a player may hold or skip this quarter."""

    id: str
    label: str
    steps: frozenset[int]  # steps it is on the calendar (with the session's policy)


@dataclass(frozen=True)
class LeverOption:
    """A lever a player may set from this quarter on."""

    id: str
    label: str
    distribution: str  # as the scenario writes it, e.g. U(0.1, 0.35)
    default: float  # its expected value under the session's policy
    source: str


@dataclass(frozen=True)
class TurnOptions:
    """Everything a player may decide in a quarter, from the scenario."""

    actors: dict[str, str]  # actor id -> name, for the actors that have actions
    actions: list[ActionOption]
    scheduled: list[ScheduledOption]
    levers: list[LeverOption]

    def actions_of(self, actor: str) -> list[ActionOption]:
        """The actions an actor may take."""
        return [a for a in self.actions if a.actor == actor]


def _source_text(entry: Any, field_name: str | None = None) -> str:
    source = entry.source_of(field_name) if field_name else entry.source
    if source is None:
        return ""
    quote = getattr(source, "quote", None)
    if quote:
        return f"“{quote}” ({source.seed})"
    return str(source)


def turn_options(model: Model, policy: str = "baseline") -> TurnOptions:
    """What a player may decide each quarter in this scenario: its actions (by actor), its
    scheduled events and its levers."""
    scenario = model.scenario
    spec = model.policy(policy)
    names = {a.id: a.name for a in scenario.actors}
    actions = [
        ActionOption(
            id=a.id,
            label=a.label or a.id.replace("_", " "),
            actor=a.actor,
            once=a.once,
            consultable=a.consulted.text.strip() not in ("0", "0.0"),
            consulted_rule=a.consulted.text,
            source=_source_text(a),
        )
        for a in scenario.actions
    ]
    actors = {}
    for option in actions:
        actors.setdefault(option.actor, names.get(option.actor, option.actor))
    scheduled = [
        ScheduledOption(
            id=s.id,
            label=s.label or s.id.replace("_", " "),
            steps=model.scheduled[k].steps | spec.added.get(k, frozenset()),
        )
        for k, s in enumerate(scenario.schedule)
    ]
    rows = {p.name: k for k, p in enumerate(model.parameters)}
    levers = []
    for lever in scenario.levers:
        row = rows[f"policy.{lever.id}"]
        value = spec.overrides.get(row, model.parameters[row].value)
        levers.append(
            LeverOption(
                id=lever.id,
                label=lever.label or lever.id.replace("_", " "),
                distribution=value.describe(),
                default=float(value.mean),
                source=_source_text(lever, "value"),
            )
        )
    return TurnOptions(actors, actions, scheduled, levers)


@dataclass(frozen=True)
class TurnChoices:
    """The players' decisions for one quarter; anything not named is left to the model."""

    actions: Mapping[str, ActionChoice] = field(default_factory=dict)  # by action id
    scheduled: Mapping[str, bool] = field(default_factory=dict)  # by scheduled-event id
    levers: Mapping[str, float] = field(default_factory=dict)  # by lever id, from now on

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (what the dashboard keeps in the browser)."""
        return {
            "actions": {
                k: {"happens": c.happens, "consulted": c.consulted} for k, c in self.actions.items()
            },
            "scheduled": dict(self.scheduled),
            "levers": dict(self.levers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, model: Model) -> TurnChoices:
        """Choices from their plain form, checked against the scenario (InputError naming the
        unknown action, event or lever, or the bad value)."""
        data = data or {}
        problems = []
        actions: dict[str, ActionChoice] = {}
        known_actions = {a.id for a in model.actions}
        for key, raw in (data.get("actions") or {}).items():
            if key not in known_actions:
                problems.append(("actions", f"the scenario has no action {key!r}"))
                continue
            raw = raw or {}
            happens, consulted = raw.get("happens"), raw.get("consulted")
            if not all(v is None or isinstance(v, bool) for v in (happens, consulted)):
                problems.append(
                    (f"actions.{key}", "happens and consulted must be true, false or null")
                )
                continue
            if happens is not None or consulted is not None:
                actions[key] = ActionChoice(happens, consulted)
        scheduled: dict[str, bool] = {}
        known_scheduled = {s.id for s in model.scheduled}
        for key, raw in (data.get("scheduled") or {}).items():
            if key not in known_scheduled:
                problems.append(("scheduled", f"the scenario has no scheduled event {key!r}"))
            elif raw is not None:
                if not isinstance(raw, bool):
                    problems.append((f"scheduled.{key}", "expected true, false or null"))
                else:
                    scheduled[key] = raw
        levers: dict[str, float] = {}
        known_levers = {lever.id for lever in model.scenario.levers}
        for key, raw in (data.get("levers") or {}).items():
            if key not in known_levers:
                problems.append(("levers", f"the scenario has no lever {key!r}"))
            elif raw is not None:
                if (
                    isinstance(raw, bool)
                    or not isinstance(raw, int | float)
                    or not math.isfinite(raw)
                ):
                    problems.append((f"levers.{key}", f"expected a finite number, got {raw!r}"))
                else:
                    levers[key] = float(raw)
        if problems:
            from alliancesim.errors import Problem

            raise InputError([Problem("turn choices", None, f, m) for f, m in problems])
        return cls(actions, scheduled, levers)

    def describe(self, model: Model) -> list[str]:
        """The choices in words, one line each (for the game's log)."""
        labels = {a.id: a.label or a.id for a in model.scenario.actions}
        events = {s.id: s.label or s.id for s in model.scenario.schedule}
        lines = []
        for key, choice in self.actions.items():
            what = {True: "happens", False: "does not happen", None: "left to the model"}[
                choice.happens
            ]
            line = f"{labels[key]}: {what}"
            if choice.consulted is not None:
                line += "; the ally is " + (
                    "consulted first" if choice.consulted else "only informed"
                )
            lines.append(line)
        for key, held in self.scheduled.items():
            lines.append(f"{events[key]}: {'held' if held else 'not held'} this quarter")
        for key, value in self.levers.items():
            lines.append(f"lever {key} set to {value:g}")
        return lines


# --------------------------------------------------------------------------------------------
# the session


@dataclass
class QuarterReport:
    """What happened in the last quarter played, on both tracks."""

    step: int
    period: str
    choices: list[str]  # the choices in words
    happenings: list[dict[str, Any]]  # per action/event: id, label, kind, share per track
    p_decoupled: dict[str, float]  # track -> share of worlds decoupled by now
    p_decoupled_ci: dict[str, tuple[float, float]]


class TurnSession:
    """A wargame on a scenario: a block of plausible worlds advanced one quarter per turn.

    State: the compiled model, one block of draws (the same for both tracks), the current step,
    and per track the members' arrays (:class:`alliancesim.engine.BlockState`) plus a record of
    every state variable, indicator and the decoupled flag at each step played.
    """

    def __init__(
        self,
        model: Model,
        *,
        seed: int = 0,
        members: int = DEFAULT_TURN_MEMBERS,
        policy: str = "baseline",
    ):
        if not 1 <= members <= BLOCK_SIZE:
            raise InputError.single(
                "members", f"a game plays 1 to {BLOCK_SIZE} plausible worlds, got {members}"
            )
        check_seed(seed, "seed")
        self.model = model
        self.seed = seed
        self.members = members
        self.policy = policy
        spec = model.policy(policy)
        self.draws = Draws.block(model, seed, Block(0, 0, members))
        P = self.draws.parameters(model, spec)
        self.tracks: dict[str, BlockState] = {
            PLAYED: start(model, spec, P.copy()),
            AUTOPILOT: start(model, spec, P.copy()),
        }
        self.history: list[TurnChoices] = []
        self.names = [*model.quantities[: model.n_states], *model.indicator_names]
        self._rows = {p.name: k for k, p in enumerate(model.parameters)}
        self._index = {
            "actions": {a.id: j for j, a in enumerate(model.actions)},
            "scheduled": {s.id: k for k, s in enumerate(model.scheduled)},
        }
        self.record: dict[str, list[np.ndarray]] = {t: [] for t in TRACKS}
        self.decoupled: dict[str, list[np.ndarray]] = {t: [] for t in TRACKS}
        self.happened: dict[str, list[np.ndarray]] = {t: [] for t in TRACKS}
        for track in TRACKS:
            self._keep(track)

    # -- playing --------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """Quarters played so far (0 before the first turn)."""
        return self.tracks[PLAYED].t

    @property
    def finished(self) -> bool:
        """True once the scenario's horizon is reached."""
        return self.step >= self.model.horizon

    @property
    def next_period(self) -> str:
        """The period the next turn plays (e.g. 2025Q3)."""
        return self.model.clock.label(self.step + 1)

    def play(self, choices: TurnChoices | None = None) -> QuarterReport:
        """Play one quarter: the choices on *your moves*, the scenario's rules on both tracks."""
        if self.finished:
            raise InputError.single(
                "turn",
                f"the game is over: the scenario ends in {self.model.clock.label(self.step)}",
            )
        choices = choices or TurnChoices()
        model = self.model
        played = self.tracks[PLAYED]
        for lever, value in choices.levers.items():
            played.P[self._rows[f"policy.{lever}"]] = value
        u = self.draws.slots[self.step]
        advance(
            model,
            played,
            u,
            actions={self._index["actions"][k]: c for k, c in choices.actions.items()},
            scheduled={self._index["scheduled"][k]: v for k, v in choices.scheduled.items()},
        )
        advance(model, self.tracks[AUTOPILOT], u)
        self.history.append(choices)
        for track in TRACKS:
            self._keep(track)
        return self.last_quarter()

    def _keep(self, track: str) -> None:
        state = self.tracks[track]
        S = self.model.n_states
        self.record[track].append(np.concatenate([state.X[:S], state.indicator]).astype(np.float32))
        self.decoupled[track].append(state.decoupled.copy())
        self.happened[track].append((state.event > 0).mean(axis=1))

    def copy(self) -> TurnSession:
        """An independent copy (the same model; its own arrays), e.g. to branch a game."""
        other = copy.copy(self)
        other.tracks = {k: copy.deepcopy(v) for k, v in self.tracks.items()}
        other.history = list(self.history)
        other.record = {k: list(v) for k, v in self.record.items()}
        other.decoupled = {k: list(v) for k, v in self.decoupled.items()}
        other.happened = {k: list(v) for k, v in self.happened.items()}
        return other

    @classmethod
    def replay(
        cls,
        model: Model,
        history: Sequence[TurnChoices],
        *,
        seed: int = 0,
        members: int = DEFAULT_TURN_MEMBERS,
        policy: str = "baseline",
    ) -> TurnSession:
        """The session after playing ``history`` from the start (same result as playing it)."""
        session = cls(model, seed=seed, members=members, policy=policy)
        for choices in history:
            session.play(choices)
        return session

    # -- what the players see -------------------------------------------------------------------
    def options(self) -> TurnOptions:
        """What the players may decide (from the scenario)."""
        return turn_options(self.model, self.policy)

    def action_status(self) -> dict[str, dict[str, float]]:
        """Per action, on *your moves*: the share of worlds where it has already happened and
        where its condition (``when``) holds at the end of the last quarter."""
        state = self.tracks[PLAYED]
        out = {}
        for j, action in enumerate(self.model.actions):
            when = np.broadcast_to(
                np.asarray(action.when(state.ctx), dtype=np.float64), (self.members,)
            )
            out[action.id] = {
                "done": float(state.done[j].mean()),
                "condition": float((when != 0.0).mean()),
            }
        return out

    def scheduled_next(self) -> list[str]:
        """Scheduled events on the calendar for the next quarter."""
        t = self.step + 1
        state = self.tracks[PLAYED]
        return [s.id for k, s in enumerate(self.model.scheduled) if t in state.sched_steps[k]]

    def last_quarter(self) -> QuarterReport:
        """What happened in the last quarter played (empty before the first turn)."""
        model = self.model
        t = self.step
        labels = {
            **{e.id: e.label or e.id for e in model.scenario.events},
            **{s.id: s.label or s.id for s in model.scenario.schedule},
            **{a.id: a.label or a.id for a in model.scenario.actions},
            **{o.id: o.label or o.id for e in model.scenario.elections for o in e.outcomes},
        }
        kinds = {
            **{e.id: "event" for e in model.scenario.events},
            **{s.id: "scheduled" for s in model.scenario.schedule},
            **{a.id: "action" for a in model.scenario.actions},
            **{o.id: "election" for e in model.scenario.elections for o in e.outcomes},
        }
        happenings = []
        if t > 0:
            for k, name in enumerate(model.happenings):
                shares = {track: float(self.happened[track][t][k]) for track in TRACKS}
                happenings.append(
                    {"id": name, "label": labels[name], "kind": kinds[name], "share": shares}
                )
        p, ci = {}, {}
        for track in TRACKS:
            n = int(self.decoupled[track][t].sum())
            p[track] = n / self.members
            ci[track] = wilson_interval(n, self.members)
        choices = self.history[-1].describe(model) if t > 0 else []
        return QuarterReport(t, model.clock.label(t), choices, happenings, p, ci)

    def values(self, name: str, track: str = PLAYED, step: int | None = None) -> np.ndarray:
        """A state variable's or indicator's value in each world at a step (default: now)."""
        k = self.names.index(name)
        return self.record[track][self.step if step is None else step][k].astype(np.float64)

    def bands(self, names: Sequence[str], quantiles: tuple[float, ...] = BAND_QUANTILES) -> Bands:
        """Quantiles over worlds of each named quantity at every step played, per track, keyed
        ``baseline`` for *the model decides* (so the report's fan chart draws it dashed) and
        *your moves*."""
        steps = self.model.clock.labels[: self.step + 1]
        values: dict[str, dict[str, list[list[float]]]] = {}
        for name in names:
            k = self.names.index(name)
            values[name] = {}
            for track, key in ((AUTOPILOT, "baseline"), (PLAYED, PLAYED)):
                stack = np.stack([r[k] for r in self.record[track]]).astype(np.float64)
                qs = np.quantile(stack, quantiles, axis=1)  # (quantiles, steps)
                values[name][key] = qs.tolist()
        return Bands(steps, tuple(quantiles), values)

    def decoupling_summary(self) -> dict[str, Any]:
        """P(decoupled by each step played) per track with Wilson intervals, shaped like
        ``Summary.to_dict()`` so the report's decoupling chart draws it."""
        policies = {}
        for track in TRACKS:
            counts = [int(d.sum()) for d in self.decoupled[track]]
            policies[track] = {
                "p_decoupling_by_step": [c / self.members for c in counts],
                "p_decoupling_ci_by_step": [list(wilson_interval(c, self.members)) for c in counts],
            }
        return {"steps": self.model.clock.labels[: self.step + 1], "policies": policies}

    def key_quantities(self, limit: int = 6) -> list[str]:
        """The quantities a game shows first: those the decoupling conditions read (its signs
        and its index), those the claims compare, then the state variables in file order."""
        scenario = self.model.scenario
        wanted = [*sorted(scenario.decoupling.names)]
        wanted += [c.compare.indicator for c in scenario.claims]
        wanted += self.model.quantities[: self.model.n_states]
        out: list[str] = []
        for name in wanted:
            if name in self.names and name not in out:
                out.append(name)
        return out[:limit]
