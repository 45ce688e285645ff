"""The random draws members are simulated on, and the recipes that make them from a seed.

A member is simulated on *draws*: one uniform number per uncertain parameter (mapped through the
parameter's inverse distribution function under a policy, so a policy's replacement is read at
the same draw: common random numbers), possibly parameter values given outright (an
experiment's points), and the uniform event slots of every step (``docs/semantics.md``,
"Random numbers"). Three recipes make them, each written here once:

- **a run's blocks**: block *b* (``BLOCK_SIZE`` members, fixed by member index) draws from
  ``SeedSequence(seed, spawn_key=(b,))`` a Latin hypercube over the uncertain parameters of the
  scenario under any of its policies, then the slots of every step (:meth:`Draws.block`);
- **points with shared event streams** (sensitivity, EMA experiments): R event streams drawn
  once from ``SeedSequence(seed)`` and shared by every point; a point is R members with its
  parameter values given (:meth:`Draws.at_points`);
- **points on a running generator** (calibration): a wave's generator,
  ``SeedSequence(seed, spawn_key=(wave,))``, draws the wave's Latin hypercube of points, then
  for each slice of at most ``GENERATOR_SLICE`` members (whole points) plain uniforms of the
  uncertain parameters and the slots, in that order (:meth:`Draws.from_generator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from alliancesim.engine import parameter_values
from alliancesim.errors import InputError
from alliancesim.model import Model, PolicySpec

__all__ = [
    "BLOCK_SIZE",
    "GENERATOR_SLICE",
    "MAX_SEED",
    "Block",
    "Draws",
    "blocks_of",
    "check_seed",
    "event_streams",
    "generator",
    "latin_hypercube",
    "spans",
]

BLOCK_SIZE = 2048
"""Members per random-number block. Changing it changes every result: it is part of a seed."""
GENERATOR_SLICE = 2048
"""Members drawn at a time from a running generator (calibration); part of that recipe."""


MAX_SEED = 2**63 - 1
"""The largest seed: seeds are kept as signed 64-bit integers in the store and in exports."""


def check_seed(seed: int, option: str = "--seed") -> None:
    """Refuse a seed that is not a whole number from 0 to :data:`MAX_SEED` (before any work)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError.single(
            option, f"seed must be a whole number from 0 to {MAX_SEED:,}, got {seed}"
        )


def generator(seed: int, *key: int) -> np.random.Generator:
    """The random generator of a seed and a spawn key: PCG64 over ``SeedSequence(seed,
    spawn_key=key)`` (no key: ``SeedSequence(seed)``)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def latin_hypercube(rng: np.random.Generator, dimensions: int, points: int) -> np.ndarray:
    """A Latin hypercube of ``points`` in the unit cube of ``dimensions``: (points, dimensions)."""
    if not dimensions:
        return np.empty((points, 0))
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=dimensions, rng=rng).random(points)


def spans(total: int, size: int) -> list[tuple[int, int]]:
    """Consecutive [start, stop) ranges of at most ``size`` over ``total`` items: boundaries
    fixed by item index (member or point), never by the number of workers."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


class Block(NamedTuple):
    """A block of a run: its index (its seed's spawn key), first member and number of members."""

    index: int
    start: int
    size: int


def blocks_of(members: int) -> list[Block]:
    """The blocks of an ensemble of ``members``, in member order."""
    return [
        Block(b, start, stop - start) for b, (start, stop) in enumerate(spans(members, BLOCK_SIZE))
    ]


def event_streams(model: Model, replicates: int, seed: int) -> np.ndarray:
    """The event slots (steps, slots, replicates) shared by every point of an experiment."""
    return generator(seed).random((model.horizon, model.n_slots, replicates))


@dataclass(frozen=True)
class Draws:
    """What a group of members is simulated on, whatever the policy.

    ``unit`` (len(unit_rows), members): uniform draws of the parameters in ``unit_rows``;
    ``given`` (len(given_rows), members): values set outright for the parameters in
    ``given_rows`` (under every policy); ``slots`` (steps, slots, members): the event slots.
    """

    unit: np.ndarray
    unit_rows: list[int]
    slots: np.ndarray
    given_rows: tuple[int, ...] = ()
    given: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Members drawn."""
        return int(self.slots.shape[2])

    def parameters(self, model: Model, policy: PolicySpec) -> np.ndarray:
        """Every parameter's value per member under ``policy``: (parameters, members)."""
        values = parameter_values(model, policy, self.unit, self.unit_rows)
        for k, row in enumerate(self.given_rows):
            assert self.given is not None
            values[row] = self.given[k]
        return values

    @classmethod
    def join(cls, parts: Sequence[Draws]) -> Draws:
        """Several groups' draws as one group, members in the order given."""
        first = parts[0]
        if len(parts) == 1:
            return first
        given = None
        if first.given is not None:
            given = np.concatenate([p.given for p in parts if p.given is not None], axis=1)
        return cls(
            np.concatenate([p.unit for p in parts], axis=1),
            first.unit_rows,
            np.concatenate([p.slots for p in parts], axis=2),
            first.given_rows,
            given,
        )

    @classmethod
    def block(cls, model: Model, seed: int, block: Block) -> Draws:
        """A run's block: a Latin hypercube over the parameters uncertain under any of the
        scenario's policies, then the slots, from ``SeedSequence(seed, spawn_key=(index,))``.
        (SciPy's hypercube draws from a child of the generator's seed sequence, so the slots are
        the generator's own first numbers.)"""
        rng = generator(seed, block.index)
        unit_rows = model.uncertain_rows(model.scenario.policy_ids)
        unit = latin_hypercube(rng, len(unit_rows), block.size).T.copy()
        slots = rng.random((model.horizon, model.n_slots, block.size))
        return cls(unit, unit_rows, slots)

    @classmethod
    def at_points(
        cls,
        model: Model,
        policy: str,
        rows: Sequence[int],
        values: np.ndarray,
        streams: np.ndarray,
    ) -> Draws:
        """Points (points, len(rows)) of parameter values, each simulated on every one of the
        shared event ``streams`` (steps, slots, replicates): point k is members k·R … k·R + R − 1.
        Parameters uncertain under ``policy`` but not among ``rows`` sit at their median draw."""
        points = values.shape[0]
        replicates = streams.shape[2]
        members = points * replicates
        unit_rows = model.uncertain_rows([policy])
        return cls(
            np.full((len(unit_rows), members), 0.5),
            unit_rows,
            np.tile(streams, (1, 1, points)),
            tuple(rows),
            _replicated(values, replicates),
        )

    @classmethod
    def from_generator(
        cls,
        model: Model,
        rng: np.random.Generator,
        rows: Sequence[int],
        values: np.ndarray,
        replicates: int,
    ) -> Draws:
        """Points (points, len(rows)) of parameter values, each simulated on ``replicates``
        members whose other baseline-uncertain parameters and slots come next from ``rng``
        (uniforms of the parameters first, then the slots)."""
        members = values.shape[0] * replicates
        unit_rows = model.uncertain_rows(["baseline"])
        unit = rng.random((len(unit_rows), members))
        slots = rng.random((model.horizon, model.n_slots, members))
        return cls(unit, unit_rows, slots, tuple(rows), _replicated(values, replicates))


def _replicated(values: np.ndarray, replicates: int) -> np.ndarray:
    """Each point's values repeated for its replicates: (len(rows), points · replicates)."""
    return np.repeat(values, replicates, axis=0).T
