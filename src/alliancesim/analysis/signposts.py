"""Signposts: what to watch early to know whether a recommendation is working.

For a leading policy, the worlds of a run split into those where it **works** — every stated
threshold's condition holds in the world at the horizon (:mod:`alliancesim.analysis.robust`;
without thresholds: the alliance does not decouple by the horizon) — and those where it
**fails**. A signpost is a range of early values of quantities one can watch (the indicators and
state variables the run recorded, at a few early periods: by default a sixth and a third of the
way to the horizon) that holds most of the failures and few of the successes: a PRIM box (as in
scenario discovery, :func:`alliancesim.analysis.discovery.find_boxes`) over those early values,
with "the policy fails here" as the case of interest, searched over the worlds of every
structure of the run (each structure's members count once: PRIM takes no weights). Its
**coverage** is the share of all failures inside the box, its **density** the share of worlds
inside that fail (against the failure rate overall).

Worded as a policymaker would watch it: "if Seoul's nuclear debate (nuclear_hedging.ROK) is at
or above 0.62 in 2026Q4, consult_first fails in 48 % of such worlds (9 % overall); they hold
61 % of its failures". The adaptive-pathways literature calls these signposts (Haasnoot et al.
2013): observable values that say, in time, that a plan must change. They describe the model's
worlds, and one run of them: a signpost with few failures inside, or a box PRIM could not
tell from noise, is reported with its note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from alliancesim.errors import InputError

if TYPE_CHECKING:
    from alliancesim.analysis.discovery import PrimBox
    from alliancesim.analysis.robust import Threshold
    from alliancesim.results import Results

__all__ = [
    "Signpost",
    "Signposts",
    "Watch",
    "checkpoints",
    "signposts_of_policy",
    "signposts_of_run",
]

LEADING = 2
"""How many leading recommendations signposts are searched for by default."""
MIN_COVERAGE = 0.4
"""A signpost holds at least this share of the policy's failures."""
MAX_WATCHED = 3
"""A signpost watches at most this many values (a policymaker watches a few, not a dashboard).
On PRIM's peeling trajectory the densest box with at least :data:`MIN_COVERAGE` coverage and at
most this many restricted values is chosen (ties: fewer values, then the earlier box), so that
a signpost that flags says failure is likely, and flags a good part of the failures."""


def _densest(trajectory: Any) -> int:
    """The index of the densest box with coverage ≥ :data:`MIN_COVERAGE` and at most
    :data:`MAX_WATCHED` restricted values (ties: fewer, then the earlier box)."""
    coverage = trajectory["coverage"].to_numpy(dtype=float)
    dims = trajectory["res_dim"].to_numpy(dtype=float)
    allowed = (coverage >= MIN_COVERAGE) & (dims <= MAX_WATCHED)
    density = np.where(allowed, trajectory["density"].to_numpy(dtype=float), -1)
    order = np.lexsort((np.arange(len(density)), dims, -np.round(density, 12)))
    return int(order[0])


def checkpoints(horizon: int) -> list[int]:
    """The early steps watched by default: a sixth and a third of the way to the horizon."""
    steps = sorted({max(1, math.ceil(horizon / 6)), max(1, math.ceil(horizon / 3))})
    return [s for s in steps if s < horizon] or [max(1, horizon - 1)]


@dataclass(frozen=True)
class Watch:
    """One observed range of a signpost: a quantity at a period, above, below or between."""

    quantity: str
    label: str
    period: str
    low: float | None  # None: not bounded below
    high: float | None  # None: not bounded above

    def text(self) -> str:
        """The range in words: ``Seoul's nuclear debate (nuclear_hedging.ROK) is at or above
        0.62 in 2026Q4``."""
        name = f"{self.label} ({self.quantity})" if self.label else self.quantity
        if self.low is not None and self.high is not None:
            where = f"is between {_number(self.low)} and {_number(self.high)}"
        elif self.low is not None:
            where = f"is at or above {_number(self.low)}"
        else:
            where = f"is at or below {_number(self.high)}"
        return f"{name} {where} in {self.period}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "quantity": self.quantity,
            "label": self.label,
            "period": self.period,
            "low": self.low,
            "high": self.high,
            "text": self.text(),
        }


def _number(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}"


@dataclass(frozen=True)
class Signpost:
    """A PRIM box over early values, in words: what to watch, and how often the policy fails
    inside (density) and how many of its failures it holds (coverage)."""

    watches: tuple[Watch, ...]
    coverage: float
    density: float
    base_rate: float  # the failure rate over all worlds searched
    worlds: int  # worlds inside
    failures: int  # failures inside
    note: str = ""

    @property
    def lift(self) -> float:
        """How many times more often the policy fails inside than overall."""
        return self.density / self.base_rate if self.base_rate > 0 else math.nan

    def text(self, policy: str) -> str:
        """The signpost as a policymaker would watch it."""
        if not self.watches:
            return (
                f"No early value tells the worlds where {policy} fails from those where it works "
                f"(it fails in {100 * self.base_rate:.0f} % of them)."
            )
        watch = " and ".join(w.text() for w in self.watches)
        return (
            f"If {watch}, {policy} fails in {100 * self.density:.0f} % of such worlds "
            f"({100 * self.base_rate:.0f} % overall); they hold {100 * self.coverage:.0f} % of "
            "its failures."
        )

    def to_dict(self, policy: str = "") -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "watch": [w.to_dict() for w in self.watches],
            "coverage": self.coverage,
            "density": self.density,
            "base_rate": self.base_rate,
            "lift": self.lift if math.isfinite(self.lift) else None,
            "worlds": self.worlds,
            "failures": self.failures,
            "note": self.note,
            "text": self.text(policy) if policy else "",
        }


@dataclass(frozen=True)
class Signposts:
    """The signposts of one policy: what failing means, how often it fails, the boxes."""

    policy: str
    label: str
    failure: str  # what "fails" means, in words
    worlds: int
    failures: int
    watched: tuple[str, ...]  # the periods watched
    signposts: tuple[Signpost, ...] = ()
    note: str = ""
    boxes: tuple[Any, ...] = field(default=(), repr=False)  # the PRIM boxes, as found

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "failure": self.failure,
            "worlds": self.worlds,
            "failures": self.failures,
            "watched": list(self.watched),
            "signposts": [s.to_dict(self.policy) for s in self.signposts],
            "note": self.note,
        }


def _watched_names(results: Results) -> list[str]:
    """The quantities a policymaker can watch that the run recorded: indicators, then state
    variables (never the decoupled flags)."""
    model = results.model
    recorded = results.files.columns()
    names = [*model.indicator_names, *model.quantities[: model.n_states]]
    return [n for n in dict.fromkeys(names) if n in recorded and not n.startswith("decoupled")]


def _labels(results: Results) -> dict[str, str]:
    scenario = results.model.scenario
    labels = {s.id: s.label for s in scenario.state if s.label}
    labels.update({i.id: i.label for i in scenario.indicators if i.label})
    return labels


def _signpost(
    box: PrimBox, features: Mapping[str, tuple[str, int]], labels: Mapping[str, str], periods: Any
) -> Signpost:
    watches = []
    for r in box.restrictions:
        quantity, step = features[r["parameter"]]
        low = float(r["low"]) if r["low"] > r["full_low"] else None
        high = float(r["high"]) if r["high"] < r["full_high"] else None
        watches.append(Watch(quantity, labels.get(quantity, ""), periods(step), low, high))
    return Signpost(
        watches=tuple(watches),
        coverage=box.coverage,
        density=box.density,
        base_rate=box.base_density,
        worlds=box.members,
        failures=box.cases,
        note=box.note,
    )


def signposts_of_policy(
    results: Results,
    policy: str,
    *,
    thresholds: Sequence[Threshold] = (),
    steps: Sequence[int] | None = None,
    boxes: int = 1,
) -> Signposts:
    """Signposts of one policy over a run's worlds: PRIM boxes over the early values of the
    watched quantities (at ``steps``; default :func:`checkpoints`) where the policy fails."""
    import pandas as pd

    from alliancesim.analysis.discovery import find_boxes
    from alliancesim.analysis.robust import _evaluate

    model = results.model
    H = model.horizon
    if policy not in results.policies:
        raise InputError.single("--policy", f"the run did not simulate {policy!r}")
    steps = sorted(set(steps or checkpoints(H)))
    if any(not 0 <= s < H for s in steps):
        raise InputError.single("--by", f"signposts are watched before the horizon (step {H})")
    watched = _watched_names(results)
    needed = sorted({*watched, "decoupled", *(n for t in thresholds for n in t.holds.names)})
    columns: dict[str, list[np.ndarray]] = {}
    fails: list[np.ndarray] = []
    for name in results.structures:
        part = results.structure(name) if results.several else results
        values = part.files.member_steps(needed, policy)
        for q in watched:
            for s in steps:
                columns.setdefault(f"{q}@{model.clock.label(s)}", []).append(values[q][:, s])
        at_horizon = {n: v[:, H] for n, v in values.items()}
        if thresholds:
            works = np.ones(results.members, dtype=bool)
            for threshold in thresholds:
                works &= _evaluate(threshold, at_horizon)
        else:
            works = at_horizon["decoupled"] == 0
        fails.append(~works)
    y = np.concatenate(fails)
    x = pd.DataFrame({k: np.concatenate(v) for k, v in columns.items()})
    features = {f"{q}@{model.clock.label(s)}": (q, s) for q in watched for s in steps}
    failure = (
        "not every threshold holds at the horizon (" + "; ".join(t.text for t in thresholds) + ")"
        if thresholds
        else f"the alliance decouples by {model.clock.label(H)}"
    )
    own = {p.id: p.label for p in model.scenario.policies}
    label = " + ".join(own.get(part, part) for part in policy.split("+"))
    periods = [model.clock.label(s) for s in steps]
    found = find_boxes(x, y, boxes=boxes, choose=_densest) if 0 < y.sum() < len(y) else []
    note = ""
    if not found:
        note = (
            f"the policy fails in {int(y.sum())} of {len(y)} worlds: too few to search"
            if y.sum() < len(y)
            else "the policy fails in every world"
        )
    labels = _labels(results)
    return Signposts(
        policy=policy,
        label=label,
        failure=failure,
        worlds=len(y),
        failures=int(y.sum()),
        watched=tuple(periods),
        signposts=tuple(_signpost(b, features, labels, model.clock.label) for b in found),
        note=note,
        boxes=tuple(found),
    )


def signposts_of_run(
    results: Results,
    policies: Sequence[str],
    *,
    thresholds: Sequence[Threshold] = (),
    steps: Sequence[int] | None = None,
    boxes: int = 1,
) -> list[Signposts]:
    """The signposts of each of ``policies`` (e.g. the leading recommendations)."""
    return [
        signposts_of_policy(results, p, thresholds=thresholds, steps=steps, boxes=boxes)
        for p in policies
    ]
