"""How calibration moves a scenario's answer: P(decoupling) under prior and calibrated ranges.

The scenario is simulated twice on the same draws (same seed, so every member keeps its
uniforms and only the ranges they map to change): once with each calibrated parameter at its
prior range (the episodes' prior, which is the shared module's own), once at its calibrated
range. Each policy's P(decoupling by the horizon) both ways, and the paired change member by
member (calibrated − prior, with a 95 % t interval), say how far history moves the headline.
Where the scenario has rival structures, each is simulated and weighed as a run weighs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim.analysis.calibrate import ParameterRange
from alliancesim.ensemble import simulate_members
from alliancesim.intervals import mean_interval, wilson_interval
from alliancesim.model import compile_model
from alliancesim.runner import account_weights
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.schema import Override, Scenario
from alliancesim.structures import structure_weights, structures_to_run

__all__ = ["CalibrationEffect", "PolicyShift", "calibration_effect"]


@dataclass(frozen=True)
class PolicyShift:
    """One policy's P(decoupling) under the prior and the calibrated ranges, and the paired
    change (calibrated − prior)."""

    policy: str
    prior: float
    prior_ci: tuple[float, float]
    calibrated: float
    calibrated_ci: tuple[float, float]
    change: float
    change_ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "p_decoupling_prior": self.prior,
            "p_decoupling_prior_ci": list(self.prior_ci),
            "p_decoupling_calibrated": self.calibrated,
            "p_decoupling_calibrated_ci": list(self.calibrated_ci),
            "change": self.change,
            "change_ci": list(self.change_ci),
        }


@dataclass(frozen=True)
class CalibrationEffect:
    """The scenario's answer before and after calibration, and the ranges that changed."""

    scenario: str
    horizon: str
    members: int
    seed: int
    ranges: tuple[ParameterRange, ...]
    policies: tuple[PolicyShift, ...]
    counterfactuals: tuple[str, ...] = ()

    def best(self, which: str) -> str | None:
        """The recommendation (not baseline, not a counterfactual) with the lowest
        P(decoupling), ``prior`` or ``calibrated``."""
        rows = [
            p
            for p in self.policies
            if p.policy != "baseline" and p.policy not in self.counterfactuals
        ]
        if not rows:
            return None
        return min(rows, key=lambda p: p.prior if which == "prior" else p.calibrated).policy

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "horizon": self.horizon,
            "members": self.members,
            "seed": self.seed,
            "parameters": [
                {
                    "parameter": r.dimension.name,
                    "prior": r.dimension.prior.describe(),
                    "calibrated": _describe(r.override_value()),
                    "narrowing": r.narrowing,
                }
                for r in self.ranges
            ],
            "policies": [p.to_dict() for p in self.policies],
            "best_prior": self.best("prior"),
            "best_calibrated": self.best("calibrated"),
        }


def _describe(value: Any) -> str | None:
    return None if value is None else str(value.describe())


def _with(scenario: Scenario, ranges: Sequence[ParameterRange], calibrated: bool) -> Scenario:
    overrides = []
    for r in ranges:
        value = r.override_value() if calibrated else r.dimension.prior
        if value is None:
            continue
        which = "calibrated" if calibrated else "prior"
        overrides.append(
            Override(
                parameter=r.dimension.name,
                value=value,
                source=f"assumption: the {which} range, to compare the answer before and after",
            )
        )
    return apply_overrides(scenario, overrides)


def _decoupled(
    scenario: Scenario, policies: Sequence[str], members: int, seed: int
) -> dict[str, np.ndarray]:
    """Per policy, each member's decoupled-by-the-horizon flag weighted over the structures
    (a weighted mean of 0/1 flags, member by member)."""
    model = compile_model(scenario)
    accounts, _ = account_weights(scenario)
    weights = structure_weights(structures_to_run(scenario), accounts)
    index = model.record_names.index("decoupled")
    out = {}
    for policy in policies:
        total = np.zeros(members)
        for structure, w in weights.items():
            records = simulate_members(model, policy, members, seed, structure=structure)
            total += w * (records[:, index, :].max(axis=0) > 0)
        out[policy] = total
    return out


def calibration_effect(
    scenario: Scenario,
    ranges: Sequence[ParameterRange],
    *,
    members: int = 4000,
    seed: int = 0,
    policies: Sequence[str] | None = None,
) -> CalibrationEffect:
    """P(decoupling) of each policy with the ``ranges`` at their priors and at their calibrated
    values, on the same draws, and the paired change."""
    prior = _with(scenario, ranges, calibrated=False)
    calibrated = _with(scenario, ranges, calibrated=True)
    names = ["baseline", *(p for p in (policies or scenario.policy_ids) if p != "baseline")]
    before = _decoupled(prior, names, members, seed)
    after = _decoupled(calibrated, names, members, seed)
    rows = []
    for name in names:
        b, a = before[name], after[name]
        change, change_ci = mean_interval(a - b)
        rows.append(
            PolicyShift(
                name,
                float(b.mean()),
                wilson_interval(round(float(b.sum())), members),
                float(a.mean()),
                wilson_interval(round(float(a.sum())), members),
                float(change),
                (float(change_ci[0]), float(change_ci[1])),
            )
        )
    clock = compile_model(scenario).clock
    return CalibrationEffect(
        scenario=scenario.id,
        horizon=clock.label(scenario.scenario.horizon),
        members=members,
        seed=seed,
        ranges=tuple(ranges),
        policies=tuple(rows),
        counterfactuals=tuple(p.id for p in scenario.policies if p.kind == "counterfactual"),
    )
