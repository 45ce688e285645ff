"""Calibration scored out of sample: does narrowing the ranges on some episodes forecast others
better?

For every *fold* (an episode, or episodes whose months overlap, held out together:
:func:`~alliancesim.analysis.history_weights.fold_groups`) the ranges are calibrated by history
matching on the other folds only; the ranges that would reach the seed scenarios — parameters
of the shared module (``dilemma``) with the same prior in the held-out episode, narrowed by at
least 5 % — are applied to the held-out episodes, which are back-tested with the prior ranges
and with the calibrated ones on the same draws (same seed, so each member keeps its uniforms and
only the ranges they map to change). The gain is the held-out episodes' mean CRPS on one footing,
prior against calibrated, and their skill against persistence either way.

Nothing is tuned toward a claim: the targets are what was observed, the same for every fold;
no episode is scored with ranges fitted on itself or on another model of its months.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alliancesim.analysis.backtest import Backtest, backtest, overall_skill
from alliancesim.analysis.calibrate import (
    CUTOFF,
    Calibration,
    ParameterRange,
    history_match,
    shared_ranges,
)
from alliancesim.analysis.history_weights import fold_groups
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.schema import Override, Scenario

__all__ = ["FoldCalibration", "OutOfSample", "calibrate_out_of_sample", "with_ranges"]


def with_ranges(scenario: Scenario, ranges: Sequence[ParameterRange], source: str) -> Scenario:
    """The scenario with calibrated ranges in place of its priors (those it has, same prior)."""
    overrides = [
        Override(parameter=r.dimension.name, value=r.override_value(), source=source)
        for r in shared_ranges(scenario_calibration(ranges), scenario, min_narrowing=0.0)
    ]
    return apply_overrides(scenario, overrides) if overrides else scenario


def scenario_calibration(ranges: Sequence[ParameterRange]) -> Calibration:
    """A calibration holding only ``ranges`` (for :func:`shared_ranges`)."""
    return Calibration(
        episodes=[],
        dimensions=[r.dimension for r in ranges],
        waves=[],
        ranges=list(ranges),
        cutoff=CUTOFF,
        discrepancy=0.0,
        replicates=0,
        seed=0,
    )


@dataclass(frozen=True)
class FoldCalibration:
    """One fold: the ranges calibrated without it and its episodes back-tested both ways."""

    fold: str
    held_out: tuple[str, ...]
    trained_on: tuple[str, ...]
    transferred: tuple[ParameterRange, ...]
    unmatched: int
    ruled_out_everywhere: bool
    prior: tuple[Backtest, ...]
    calibrated: tuple[Backtest, ...]

    def mean_crps(self, which: str) -> float | None:
        """Mean CRPS on one footing over the fold's targets (``prior`` or ``calibrated``)."""
        results = self.prior if which == "prior" else self.calibrated
        values = [t.scaled("model") for r in results for t in r.scored]
        clean = [v for v in values if v is not None]
        return sum(clean) / len(clean) if clean else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "fold": self.fold,
            "held_out": list(self.held_out),
            "trained_on": list(self.trained_on),
            "ruled_out_everywhere": self.ruled_out_everywhere,
            "unmatched_targets": self.unmatched,
            "transferred": [r.to_dict() for r in self.transferred],
            "mean_scaled_crps": {
                "prior": self.mean_crps("prior"),
                "calibrated": self.mean_crps("calibrated"),
            },
        }


@dataclass(frozen=True)
class OutOfSample:
    """Every fold's out-of-sample comparison and the totals over all held-out targets."""

    folds: tuple[FoldCalibration, ...]
    members: int
    seed: int

    def overall(self, which: str) -> dict[str, Any]:
        """The back-test totals (skill, directions…) of every held-out episode, one way."""
        results = [r for f in self.folds for r in (f.prior if which == "prior" else f.calibrated)]
        return overall_skill(results)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "method": "history matching on the other folds, back-tests of the held-out fold",
            "members": self.members,
            "seed": self.seed,
            "folds": [f.to_dict() for f in self.folds],
            "prior": self.overall("prior"),
            "calibrated": self.overall("calibrated"),
        }


def calibrate_out_of_sample(
    episodes: Sequence[Scenario],
    *,
    transfer: set[str],
    points: int = 1000,
    replicates: int = 4,
    waves: int = 3,
    cutoff: float = CUTOFF,
    discrepancy: float = 0.1,
    seed: int = 0,
    members: int = 1000,
    skip_unmatched: bool = True,
    rank: int = 2,
    min_narrowing: float = 0.05,
    on_fold: Callable[[FoldCalibration], None] | None = None,
) -> OutOfSample:
    """Calibrate without each fold, then back-test the fold with prior and calibrated ranges.

    ``transfer`` names the parameters calibrated and carried over (the shared module's, e.g.
    :func:`~alliancesim.analysis.calibrate.module_parameters` of ``dilemma``); each episode's
    own parameters are not calibrated but vary between the replicate worlds as their ranges say
    (they are nuisance parameters: a shared value is kept if the episodes are matched on
    average over them). Only ranges with the same prior in a held-out episode, narrowed by
    ``min_narrowing`` or more, are applied.
    """
    folds = fold_groups(episodes)
    out = []
    for fold in dict.fromkeys(folds[e.id] for e in episodes):
        held = [e for e in episodes if folds[e.id] == fold]
        train = [e for e in episodes if folds[e.id] != fold]
        transferred: list[ParameterRange] = []
        unmatched = 0
        ruled_out = False
        if train:
            calibration = history_match(
                train,
                points=points,
                replicates=replicates,
                waves=waves,
                cutoff=cutoff,
                discrepancy=discrepancy,
                seed=seed,
                parameters=sorted(transfer),
                skip_unmatched=skip_unmatched,
                rank=rank,
            )
            unmatched = len(calibration.unmatched)
            ruled_out = calibration.ruled_out_everywhere
            if not ruled_out:
                seen: set[str] = set()
                for scenario in held:
                    for r in shared_ranges(
                        calibration, scenario, only=transfer, min_narrowing=min_narrowing
                    ):
                        if r.dimension.name not in seen:
                            seen.add(r.dimension.name)
                            transferred.append(r)
        source = f"public: calibrated by history matching without the fold {fold}"
        prior = tuple(backtest(e, members=members, seed=seed) for e in held)
        calibrated = tuple(
            backtest(with_ranges(e, transferred, source), members=members, seed=seed) for e in held
        )
        result = FoldCalibration(
            fold,
            tuple(e.id for e in held),
            tuple(e.id for e in train),
            tuple(transferred),
            unmatched,
            ruled_out,
            prior,
            calibrated,
        )
        if on_fold is not None:
            on_fold(result)
        out.append(result)
    return OutOfSample(tuple(out), members, seed)
