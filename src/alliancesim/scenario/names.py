"""The names a scenario defines: what expressions may read, what rules may move, what is recorded.

Every quantity of the model has one dotted name, used the same way in expressions, rule targets,
action effects, claims, the results and the store:

=================================  ================================================================
``<kind>.<actor>[.<actor>]``       a state variable, e.g. ``fear_abandonment.ROK``, ``trust.ROK.USA``
``position.<actor>.<issue>``       an actor's position on an issue (0–100)
``preference.<actor>.<issue>``     its standing preference, where the position relaxes to (0–100)
``salience.<actor>.<issue>``       how much the issue matters to the actor (0–1)
``capability.<actor>``             the actor's clout (> 0)
``issue.<issue>.outcome``          the bargaining model's forecast this step (0–100)
``issue.<issue>.status_quo``       the issue's status quo (0–100)
``event.<id>``                     this step's magnitude of an event, scheduled event or action
                                   (1 for an election's outcome the step it takes office)
``count.<id>``                     how many times it has happened so far (this step included)
``consulted.<action>``             1 if the action happened this step after genuine consultation
``policy.<lever>``                 a policy lever (e.g. ``policy.consultation``)
``param.<id>``                     a named uncertain number
``structure.<mechanism>.<account>``  1 in the structures that choose the account, else 0
``<indicator>``                    an indicator (in rules and actions: its value last step)
``step``, ``year``                 steps since the start; years since the start
=================================  ================================================================

Recorded besides (not readable in expressions): ``decoupled``, ``decoupled.<sign>`` for each
observable sign of decoupling and ``decoupled.index`` for the cohesion index.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["DECOUPLED", "TIME_NAMES", "Namespace", "decoupling_names", "suggest"]

TIME_NAMES = ("step", "year")
DECOUPLED = "decoupled"
"""The recorded flag: the alliance has decoupled (its observable signs combined)."""


def decoupling_names(signs: Iterable[str], index: bool) -> list[str]:
    """The recorded decoupling flags besides ``decoupled``: ``decoupled.<sign>`` for each named
    sign, then ``decoupled.index`` when there is a cohesion index."""
    return [*(f"{DECOUPLED}.{s}" for s in signs), *([f"{DECOUPLED}.index"] if index else [])]


@dataclass
class Namespace:
    """The ids a scenario declares, and the dotted names they give rise to."""

    actors: list[str] = field(default_factory=list)
    issues: dict[str, list[str]] = field(default_factory=dict)  # issue -> participants
    states: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    scheduled: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    levers: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    election_outcomes: list[str] = field(default_factory=list)  # their ids are event ids
    signs: list[str] = field(default_factory=list)  # named decoupling signs
    index: bool = False  # whether decoupling declares a cohesion index
    accounts: list[str] = field(default_factory=list)  # <mechanism>.<account>

    def positions(self) -> list[str]:
        """``position.<actor>.<issue>`` for every participant of every issue."""
        return [f"position.{a}.{i}" for i, actors in self.issues.items() for a in actors]

    def preferences(self) -> list[str]:
        """``preference.<actor>.<issue>`` for every participant of every issue."""
        return [f"preference.{a}.{i}" for i, actors in self.issues.items() for a in actors]

    def saliences(self) -> list[str]:
        """``salience.<actor>.<issue>`` for every participant of every issue."""
        return [f"salience.{a}.{i}" for i, actors in self.issues.items() for a in actors]

    def status_quos(self) -> list[str]:
        """``issue.<issue>.status_quo`` for every issue."""
        return [f"issue.{i}.status_quo" for i in self.issues]

    def outcomes(self) -> list[str]:
        """``issue.<issue>.outcome`` for every issue."""
        return [f"issue.{i}.outcome" for i in self.issues]

    def happenings(self) -> list[str]:
        """Ids of everything that happens: stochastic events, scheduled events, actions and
        election outcomes."""
        return [*self.events, *self.scheduled, *self.actions, *self.election_outcomes]

    def targets(self) -> list[str]:
        """Quantities a rule or an action's effect may move."""
        return [*self.states, *self.positions(), *self.saliences(), *self.status_quos()]

    def settable(self) -> list[str]:
        """What a set-effect may set: a movable quantity, a standing preference, a named
        parameter or a lever."""
        return [
            *self.targets(),
            *self.preferences(),
            *(f"param.{p}" for p in self.params),
            *(f"policy.{lever}" for lever in self.levers),
        ]

    def readable(self, *, indicators: Iterable[str] | None = None) -> set[str]:
        """Names an expression may read; ``indicators`` restricts which indicator ids count."""
        names = set(self.targets())
        names.update(self.outcomes())
        names.update(self.preferences())
        names.update(f"capability.{a}" for a in self.actors)
        names.update(f"event.{e}" for e in self.happenings())
        names.update(f"count.{e}" for e in self.happenings())
        names.update(f"consulted.{a}" for a in self.actions)
        names.update(f"policy.{lever}" for lever in self.levers)
        names.update(f"param.{p}" for p in self.params)
        names.update(f"structure.{a}" for a in self.accounts)
        names.update(self.indicators if indicators is None else indicators)
        names.update(TIME_NAMES)
        return names

    def recordable(self) -> set[str]:
        """Names a claim or observation may compare: anything recorded each step."""
        names = set(self.targets())
        names.update(self.outcomes())
        names.update(f"event.{e}" for e in self.happenings())
        names.update(f"count.{e}" for e in self.happenings())
        names.update(self.indicators)
        names.add(DECOUPLED)
        names.update(decoupling_names(self.signs, self.index))
        return names


def suggest(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean …?)' hint naming the closest known names, or ''."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
