"""The exact partial sums a run's summary is computed from.

Per policy (of one structure, :class:`PartialSums`): members decoupled at each step, and at the
horizon, per measure, the sum and sum of squares of the values and of the paired differences
from ``baseline`` (same member, same random numbers). For a run of several structures, per
policy (:class:`WeightedSums`): the same sums of each member's weighted combination over the
structures, x_i = Σ_s w_s · v_is (the structures see the same members, so the combination is
taken member by member and its interval is a t interval over members). Blocks are summed where
they are simulated and folded in block order, so the sums, and the summary made of them, do
not depend on the executor. The store keeps them as one catalogue row per structure and policy
(and per policy for the weighted combination), so a stored run reopens with the same summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from alliancesim.runfiles import RunFiles

__all__ = ["PartialSums", "WeightedSums"]


@dataclass
class PartialSums:
    """Sums over members, per policy, of what the summary needs (``measures`` name the rows of
    the horizon sums; ``diff_*`` exist for baseline and the policies after it)."""

    measures: list[str]
    decoupled_by_step: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sum: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sq: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sum: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sq: dict[str, np.ndarray] = field(default_factory=dict)

    def add_members(
        self,
        policy: str,
        decoupled: np.ndarray,
        horizon: np.ndarray,
        baseline: np.ndarray | None,
    ) -> None:
        """Sum a group of members under ``policy``: their decoupled flags (steps + 1, members),
        their measures at the horizon (measures, members), and baseline's (None: not yet known)."""
        self.decoupled_by_step[policy] = decoupled.sum(axis=1).astype(np.int64)
        self.horizon_sum[policy] = horizon.sum(axis=1)
        self.horizon_sq[policy] = np.square(horizon).sum(axis=1)
        if baseline is not None:
            diff = horizon - baseline
            self.diff_sum[policy] = diff.sum(axis=1)
            self.diff_sq[policy] = np.square(diff).sum(axis=1)

    def merge(self, other: PartialSums) -> None:
        """Fold the sums of further members in (blocks in block order)."""
        for mine, theirs in zip(self._parts(), other._parts(), strict=True):
            for policy, values in theirs.items():
                mine[policy] = mine[policy] + values if policy in mine else values.copy()

    def _parts(self) -> tuple[dict[str, np.ndarray], ...]:
        return (
            self.decoupled_by_step,
            self.horizon_sum,
            self.horizon_sq,
            self.diff_sum,
            self.diff_sq,
        )

    # -- the catalogue's summaries rows ---------------------------------------------------------
    def row(self, policy: str) -> list[Any]:
        """One policy's sums as the catalogue keeps them: decoupled_by_step, horizon_sum,
        horizon_sq, diff_sum, diff_sq (the last two None where there are none)."""
        diff_sum, diff_sq = self.diff_sum.get(policy), self.diff_sq.get(policy)
        return [
            [int(c) for c in self.decoupled_by_step[policy]],
            [float(x) for x in self.horizon_sum[policy]],
            [float(x) for x in self.horizon_sq[policy]],
            None if diff_sum is None else [float(x) for x in diff_sum],
            None if diff_sq is None else [float(x) for x in diff_sq],
        ]

    @classmethod
    def from_rows(cls, measures: list[str], rows: Iterable[Sequence[Any]]) -> PartialSums:
        """The sums from catalogue rows (policy, decoupled_by_step, horizon_sum, horizon_sq,
        diff_sum, diff_sq)."""
        sums = cls(measures)
        for policy, decoupled, h_sum, h_sq, d_sum, d_sq in rows:
            sums.decoupled_by_step[policy] = np.asarray(decoupled, dtype=np.int64)
            sums.horizon_sum[policy] = np.asarray(h_sum, dtype=np.float64)
            sums.horizon_sq[policy] = np.asarray(h_sq, dtype=np.float64)
            if d_sum is not None:
                sums.diff_sum[policy] = np.asarray(d_sum, dtype=np.float64)
                sums.diff_sq[policy] = np.asarray(d_sq, dtype=np.float64)
        return sums

    @classmethod
    def from_files(
        cls, files: RunFiles, policies: Sequence[str], measures: list[str], horizon: int
    ) -> PartialSums:
        """The sums computed again from a run's trajectories (a run stored by a version that
        summarised other measures); a measure the run did not record is NaN. Equal to the
        engine's sums up to floating-point rounding."""
        sums = cls(measures)
        for policy, (decoupled, table) in files.horizon_sums(policies, measures, horizon).items():
            sums.decoupled_by_step[policy] = decoupled
            sums.horizon_sum[policy] = table[:, 0]
            sums.horizon_sq[policy] = table[:, 1]
            sums.diff_sum[policy] = table[:, 2]
            sums.diff_sq[policy] = table[:, 3]
        return sums


@dataclass
class WeightedSums:
    """Sums over members, per policy, of the members' weighted combination over a run's
    structures (``weights``: each structure's weight, summing to 1): for the decoupled flag by
    step, for each measure at the horizon, and for each measure's paired difference from
    baseline (taken within each structure, then combined)."""

    measures: list[str]
    weights: dict[str, float]
    decoupled_sum: dict[str, np.ndarray] = field(default_factory=dict)
    decoupled_sq: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sum: dict[str, np.ndarray] = field(default_factory=dict)
    horizon_sq: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sum: dict[str, np.ndarray] = field(default_factory=dict)
    diff_sq: dict[str, np.ndarray] = field(default_factory=dict)

    def add_members(
        self, policy: str, decoupled: np.ndarray, horizon: np.ndarray, diff: np.ndarray
    ) -> None:
        """Sum a group of members' combinations under ``policy``: the weighted decoupled flags
        (steps + 1, members), measures at the horizon and paired differences (measures,
        members)."""
        self.decoupled_sum[policy] = decoupled.sum(axis=1)
        self.decoupled_sq[policy] = np.square(decoupled).sum(axis=1)
        self.horizon_sum[policy] = horizon.sum(axis=1)
        self.horizon_sq[policy] = np.square(horizon).sum(axis=1)
        self.diff_sum[policy] = diff.sum(axis=1)
        self.diff_sq[policy] = np.square(diff).sum(axis=1)

    def merge(self, other: WeightedSums) -> None:
        """Fold the sums of further members in (blocks in block order)."""
        for mine, theirs in zip(self._parts(), other._parts(), strict=True):
            for policy, values in theirs.items():
                mine[policy] = mine[policy] + values if policy in mine else values.copy()

    def _parts(self) -> tuple[dict[str, np.ndarray], ...]:
        return (
            self.decoupled_sum,
            self.decoupled_sq,
            self.horizon_sum,
            self.horizon_sq,
            self.diff_sum,
            self.diff_sq,
        )

    def row(self, policy: str) -> list[list[float]]:
        """One policy's sums as the catalogue keeps them: decoupled_sum, decoupled_sq,
        horizon_sum, horizon_sq, diff_sum, diff_sq."""
        return [[float(x) for x in part[policy]] for part in self._parts()]

    @classmethod
    def from_rows(
        cls, measures: list[str], weights: dict[str, float], rows: Iterable[Sequence[Any]]
    ) -> WeightedSums:
        """The sums from catalogue rows (policy, then the six sums of :meth:`row`)."""
        sums = cls(measures, weights)
        for policy, *parts in rows:
            for mine, values in zip(sums._parts(), parts, strict=True):
                mine[policy] = np.asarray(values, dtype=np.float64)
        return sums

    @classmethod
    def from_files(
        cls,
        files: RunFiles,
        weights: dict[str, float],
        policies: Sequence[str],
        measures: list[str],
        horizon: int,
    ) -> WeightedSums:
        """The sums computed from a run's stored rows (other weights than the run's, or a run
        kept without them); equal to the engine's up to floating-point rounding."""
        sums = cls(measures, weights)
        for policy, parts in files.weighted_horizon_sums(
            weights, policies, measures, horizon
        ).items():
            for name in (
                "decoupled_sum",
                "decoupled_sq",
                "horizon_sum",
                "horizon_sq",
                "diff_sum",
                "diff_sq",
            ):
                getattr(sums, name)[policy] = parts[name]
        return sums
