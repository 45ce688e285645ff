"""Running the engine and the scalar oracle on the same members, and comparing them.

The engine is used only through its public API (``compile_model``, ``parameter_values``,
``simulate``); the oracle is :func:`alliancesim.testing.simulate_member`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim.engine import parameter_values, simulate
from alliancesim.errors import SimulationError
from alliancesim.scenario.schema import Scenario
from alliancesim.testing import NotFiniteError, simulate_member

__all__ = [
    "ABS_TOL",
    "Draws",
    "assert_matches_oracle",
    "assert_same_failure",
    "draw_members",
    "engine_run",
    "n_slots",
    "oracle_failure",
    "oracle_run",
    "policies_to_check",
    "structures_to_check",
]

ABS_TOL = 1e-12
"""Engine and oracle agree when |a − b| ≤ 1e-12 · max(1, |a|, |b|)."""

# Uniform numbers on the edges of [0, 1): exactly 0, a half, and the largest double below 1.
# Parameter draws avoid exactly 0, where an untruncated normal is −∞ (a sampler never gives 0).
EDGE_SLOTS = (0.0, 0.5, float(np.nextafter(1.0, 0.0)))
EDGE_UNIT = (2.0**-53, 0.5, float(np.nextafter(1.0, 0.0)))


@dataclass(frozen=True)
class Draws:
    """The random numbers of M members: parameter draws and per-step slots."""

    rows: list[int]  # rows of P that have a uniform draw
    unit: np.ndarray  # (len(rows), M)
    slots: np.ndarray  # (H, n_slots, M)

    @property
    def members(self) -> int:
        """How many members."""
        return self.unit.shape[1]

    def take(self, members: list[int]) -> Draws:
        """The draws of some members only, in the given order."""
        return Draws(self.rows, self.unit[:, members], self.slots[:, :, members])


def n_slots(scenario: Scenario) -> int:
    """Uniform numbers per step: two per stochastic event, two per action, one per election."""
    return 2 * len(scenario.events) + 2 * len(scenario.actions) + len(scenario.elections)


def draw_members(model: Any, seed: int, members: int, edge_share: float = 0.0) -> Draws:
    """Random draws for ``members`` members; ``edge_share`` of them replaced by edge values."""
    rng = np.random.default_rng(seed)
    scenario = model.scenario
    rows = [int(r) for r in model.uncertain_rows(scenario.policy_ids)]
    unit = rng.random((len(rows), members))
    slots = rng.random((scenario.scenario.horizon, n_slots(scenario), members))
    for array, edges in ((unit, EDGE_UNIT), (slots, EDGE_SLOTS)):
        mask = rng.random(array.shape) < edge_share
        array[mask] = rng.choice(edges, size=int(mask.sum()))
    return Draws(rows, unit, slots)


def engine_run(model: Any, policy: str, draws: Draws, structure: str = "seed") -> np.ndarray:
    """The engine's records (H+1, records, M) for the members of ``draws`` under ``policy``
    and ``structure``."""
    spec = model.under(policy, structure)
    P = parameter_values(model, spec, draws.unit, draws.rows)
    return np.asarray(simulate(model, spec, P, draws.slots))


def oracle_run(
    model: Any, policy: str, draws: Draws, member: int, structure: str = "seed"
) -> dict[str, list[float]]:
    """The oracle's records for one member of ``draws`` under ``policy`` and ``structure``."""
    names = model.parameter_names
    unit = {names[row]: float(draws.unit[i, member]) for i, row in enumerate(draws.rows)}
    slots = [[float(x) for x in draws.slots[t, :, member]] for t in range(draws.slots.shape[0])]
    return simulate_member(model.scenario, policy, unit, slots, structure)


def policies_to_check(scenario: Scenario) -> list[str]:
    """Every policy of the scenario, and the combination of the first two when there are two."""
    ids = list(scenario.policy_ids)
    if len(scenario.policies) >= 2:
        ids.append(f"{scenario.policies[0].id}+{scenario.policies[1].id}")
    return ids


def structures_to_check(scenario: Scenario) -> list[str]:
    """Every structure when there are at most four, else the seed and each rival alone (the
    default design) plus the structure of every mechanism's last account."""
    from alliancesim.structures import all_structures, default_structures, parse_structure

    if not scenario.mechanisms:
        return ["seed"]
    structures = default_structures(scenario)
    if len(all_structures(scenario)) <= 4:
        structures = all_structures(scenario)
    else:
        last = ",".join(f"{m.id}={m.accounts[-1].id}" for m in scenario.mechanisms)
        structures.append(parse_structure(scenario, last))
    return [s.name for s in structures]


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    return abs(a - b) <= ABS_TOL * max(1.0, abs(a), abs(b))


def oracle_failure(
    model: Any, policy: str, draws: Draws, member: int, structure: str = "seed"
) -> NotFiniteError | None:
    """Where the oracle stops one member on a value that is not finite, or None."""
    try:
        oracle_run(model, policy, draws, member, structure)
    except NotFiniteError as exc:
        return exc
    return None


def assert_same_failure(
    model: Any, policy: str, draws: Draws, error: SimulationError, text: str, structure: str
) -> None:
    """The engine stopped on a value that is not finite: the oracle stops the member the
    engine names at the same step, entry and field, and no member earlier."""
    d = error.detail
    where = f"policy {policy!r}, structure {structure!r}: engine {d}\n--- scenario ---\n{text}"
    failures = [oracle_failure(model, policy, draws, m, structure) for m in range(draws.members)]
    mine = failures[d.member]
    assert mine is not None, f"the oracle finishes member {d.member}; {where}"
    assert (mine.step, mine.section, mine.ident, mine.field) == (
        d.step,
        d.section,
        d.ident,
        d.attribute,
    ), f"oracle {mine}; {where}"
    earliest = min(f.step for f in failures if f is not None)
    assert earliest == d.step, f"the oracle stops a member at step {earliest}; {where}"


def assert_matches_oracle(
    model: Any, policy: str, draws: Draws, text: str = "", structure: str = "seed"
) -> None:
    """Engine and oracle agree on every recorded name, step and member (to 1e-12), or stop on
    the same value that is not finite."""
    try:
        out = engine_run(model, policy, draws, structure)
    except SimulationError as error:
        assert_same_failure(model, policy, draws, error, text, structure)
        return
    records = list(model.record_names)
    horizon = model.scenario.scenario.horizon
    assert out.shape == (horizon + 1, len(records), draws.members)
    for m in range(draws.members):
        try:
            expected = oracle_run(model, policy, draws, m, structure)
        except NotFiniteError as failure:
            message = f"the engine finishes, the oracle stops: {failure}\n{text}"
            raise AssertionError(message) from failure
        missing = sorted(set(records) - set(expected))
        assert not missing, f"the oracle does not know the engine's records {missing}"
        extra = sorted(set(expected) - set(records))
        assert not extra, f"the engine does not record {extra}"
        for i, name in enumerate(records):
            for t in range(horizon + 1):
                a, b = float(out[t, i, m]), float(expected[name][t])
                if not _close(a, b):
                    raise AssertionError(
                        f"{name} at step {t}, member {m}, policy {policy!r}, structure "
                        f"{structure!r}: engine {a!r}, "
                        f"oracle {b!r}\nengine:  {[float(x) for x in out[:, i, m]]}\n"
                        f"oracle:  {expected[name]}\n--- scenario ---\n{text}"
                    )
