"""Wargames served to browsers: each game lives in the browser as its set-up and the list of
choices made so far; the server rebuilds the :class:`~alliancesim.turns.TurnSession` from it.

Replaying a history from the start gives exactly the session that was played (every random
number is fixed by the seed), so a game survives a server restart or a second server process.
A small cache of recent sessions keyed by (set-up, history) makes the usual case, one more turn
on the last position, a single step.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from alliancesim.errors import InputError
from alliancesim.turns import DEFAULT_TURN_MEMBERS, TurnChoices, TurnSession
from alliancesim.web.sources import DEFAULT_REFERENCE, ScenarioSources

__all__ = ["MAX_GAME_MEMBERS", "GameCache", "GameSetup", "game_history"]

MAX_GAME_MEMBERS = 2000


@dataclass(frozen=True)
class GameSetup:
    """How a game was set up: scenario reference, policy in force, plausible worlds, seed."""

    scenario: str = DEFAULT_REFERENCE
    policy: str = "baseline"
    members: int = DEFAULT_TURN_MEMBERS
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> GameSetup:
        """The set-up from its plain form, with the limits checked (InputError)."""
        data = data or {}
        if not isinstance(data, dict):
            raise InputError.single("game", "the game's set-up is not in the form the page keeps")
        try:
            members = int(data.get("members") or DEFAULT_TURN_MEMBERS)
            seed = int(data.get("seed") or 0)
        except (TypeError, ValueError, OverflowError):
            raise InputError.single(
                "game", "plausible worlds and seed must be whole numbers"
            ) from None
        if not 10 <= members <= MAX_GAME_MEMBERS:
            raise InputError.single(
                "game", f"a game plays 10 to {MAX_GAME_MEMBERS} plausible worlds, got {members}"
            )
        if seed < 0:
            raise InputError.single("game", f"the seed must not be negative, got {seed}")
        return cls(
            scenario=str(data.get("scenario") or DEFAULT_REFERENCE),
            policy=str(data.get("policy") or "baseline"),
            members=members,
            seed=seed,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "policy": self.policy,
            "members": self.members,
            "seed": self.seed,
        }


def game_history(game: dict[str, Any]) -> list[dict[str, Any]]:
    """The moves of a game the page keeps, checked for form (InputError): a list of quarters,
    each an object whose ``actions``, ``scheduled`` and ``levers`` are objects (or absent), an
    action's choice an object too. What the moves mean is checked against the scenario later
    (:meth:`TurnChoices.from_dict`)."""
    history = game.get("history")
    if history is None:
        return []
    if not isinstance(history, list):
        raise InputError.single("game", "the game's moves are not a list")
    for turn, moves in enumerate(history, 1):
        bad = not isinstance(moves, dict)
        if not bad:
            parts = [moves.get(key) for key in ("actions", "scheduled", "levers")]
            bad = any(p is not None and not isinstance(p, dict) for p in parts)
            bad = bad or any(
                c is not None and not isinstance(c, dict) for c in (parts[0] or {}).values()
            )
        if bad:
            raise InputError.single("game", f"move {turn} is not in the form the page keeps")
    return history


def _key(setup: GameSetup, history: list[dict[str, Any]]) -> str:
    text = json.dumps([setup.to_dict(), history], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class GameCache:
    """Recent game positions, so one more turn costs one step rather than a replay."""

    def __init__(self, sources: ScenarioSources, size: int = 24):
        self.sources = sources
        self.size = size
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, TurnSession] = OrderedDict()

    def session(self, setup: GameSetup, history: list[dict[str, Any]] | None) -> TurnSession:
        """The game after the choices in ``history`` (plain dicts), from the cache or replayed
        from the longest cached earlier position.

        The session returned is shared with other requests: read it, never play it (branch
        with :meth:`TurnSession.copy`)."""
        history = list(history or [])
        model = self.sources.model(setup.scenario)
        model.policy(setup.policy)  # InputError for an unknown policy
        if len(history) > model.horizon:
            raise InputError.single("game", f"the scenario has only {model.horizon} turns")
        choices = [TurnChoices.from_dict(h, model) for h in history]
        history = [c.to_dict() for c in choices]  # one key per game, however it was written
        keys = [_key(setup, history[:n]) for n in range(len(history) + 1)]
        cached: TurnSession | None = None
        done = 0
        with self._lock:
            for n in range(len(history), -1, -1):
                cached = self._sessions.get(keys[n])
                if cached is not None:
                    self._sessions.move_to_end(keys[n])
                    done = n
                    break
        if cached is not None and done == len(history):
            return cached
        if cached is not None:
            session = cached.copy()  # the cached position stays as it is
        else:
            session = TurnSession(
                model, seed=setup.seed, members=setup.members, policy=setup.policy
            )
        for c in choices[done:]:
            session.play(c)
        self._remember(keys[-1], session)
        return session

    def _remember(self, key: str, session: TurnSession) -> None:
        with self._lock:
            self._sessions[key] = session
            self._sessions.move_to_end(key)
            while len(self._sessions) > self.size:
                self._sessions.popitem(last=False)
