"""How calibration moves a scenario's answer: P(decoupling) under prior and calibrated ranges.

The scenario is simulated twice on the same draws (same seed, so every member keeps its
uniforms and only the ranges they map to change): once with each calibrated parameter at its
prior range (the episodes' prior, which is the shared module's own), once at its calibrated
range. Each policy's P(decoupling by the horizon) both ways, and the paired change member by
member (calibrated − prior, with a 95 % t interval), say how far history moves the headline;
the scenario's key indicators and the quantities the calibrated rules act on (their means at
the horizon, paired the same way) say how far it moves the world behind it.
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

__all__ = ["CalibrationEffect", "PolicyShift", "QuantityShift", "calibration_effect"]


@dataclass(frozen=True)
class QuantityShift:
    """One quantity's mean at the horizon under the prior and the calibrated ranges, and the
    paired change (calibrated − prior, 95 % t interval)."""

    name: str
    prior: float
    calibrated: float
    change: float
    change_ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "prior": self.prior,
            "calibrated": self.calibrated,
            "change": self.change,
            "change_ci": list(self.change_ci),
        }


@dataclass(frozen=True)
class PolicyShift:
    """One policy's P(decoupling) under the prior and the calibrated ranges, the paired change
    (calibrated − prior), and the same for the scenario's key indicators and the quantities the
    calibrated rules act on (means at the horizon)."""

    policy: str
    prior: float
    prior_ci: tuple[float, float]
    calibrated: float
    calibrated_ci: tuple[float, float]
    change: float
    change_ci: tuple[float, float]
    quantities: tuple[QuantityShift, ...] = ()

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
            "quantities": {q.name: q.to_dict() for q in self.quantities},
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


def _outcomes(
    scenario: Scenario,
    policies: Sequence[str],
    quantities: Sequence[str],
    members: int,
    seed: int,
) -> dict[str, dict[str, np.ndarray]]:
    """Per policy, each member's decoupled-by-the-horizon flag and each quantity at the
    horizon, weighted over the structures as a run weighs them (member by member)."""
    model = compile_model(scenario)
    accounts, _, _ = account_weights(scenario)
    weights = structure_weights(structures_to_run(scenario), accounts)
    names = model.record_names
    index = names.index("decoupled")
    out: dict[str, dict[str, np.ndarray]] = {}
    for policy in policies:
        totals = {k: np.zeros(members) for k in ["decoupled", *quantities]}
        for structure, w in weights.items():
            records = simulate_members(model, policy, members, seed, structure=structure)
            totals["decoupled"] += w * (records[:, index, :].max(axis=0) > 0)
            for q in quantities:
                totals[q] += w * records[-1, names.index(q), :]
        out[policy] = totals
    return out


def _quantities(scenario: Scenario, ranges: Sequence[ParameterRange]) -> list[str]:
    """The scenario's key indicators and the quantities the calibrated rules act on."""
    model = compile_model(scenario)
    names = [k for k in model.key_indicators if k in model.record_names and k != "decoupled"]
    targets = {f"rules.{r.id}.weight": r.target for r in scenario.rules}
    for r in ranges:
        target = targets.get(r.dimension.name)
        if target is not None and target in model.record_names and target not in names:
            names.append(target)
    return names


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
    quantities = _quantities(scenario, ranges)
    before = _outcomes(prior, names, quantities, members, seed)
    after = _outcomes(calibrated, names, quantities, members, seed)
    rows = []
    for name in names:
        b, a = before[name]["decoupled"], after[name]["decoupled"]
        change, change_ci = mean_interval(a - b)
        shifts = []
        for q in quantities:
            qb, qa = before[name][q], after[name][q]
            d, d_ci = mean_interval(qa - qb)
            shifts.append(
                QuantityShift(
                    q,
                    float(qb.mean()),
                    float(qa.mean()),
                    float(d),
                    (float(d_ci[0]), float(d_ci[1])),
                )
            )
        rows.append(
            PolicyShift(
                name,
                float(b.mean()),
                wilson_interval(round(float(b.sum())), members),
                float(a.mean()),
                wilson_interval(round(float(a.sum())), members),
                float(change),
                (float(change_ci[0]), float(change_ci[1])),
                tuple(shifts),
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
