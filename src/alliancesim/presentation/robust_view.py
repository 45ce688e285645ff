"""What the robustness analyses say, as typed rows the CLI, the report and the dashboard lay out.

Built from the analyses' JSON forms (:meth:`alliancesim.analysis.robust.Robustness.to_dict`,
:meth:`alliancesim.analysis.pathways.Decomposition.to_dict`,
:meth:`alliancesim.analysis.signposts.Signposts.to_dict`), so an analysis made now and one kept
with a stored run give the same rows; every number is written by :mod:`.formats`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alliancesim.presentation.formats import MISSING, percent, pp_change, signed, signed_interval

__all__ = [
    "OptimisationView",
    "ParetoRow",
    "PathwayBar",
    "PathwayView",
    "RobustRow",
    "RobustView",
    "RobustnessView",
    "SignpostRow",
    "amount",
    "present_optimisation",
    "present_robust",
]


def _share(x: float | None) -> str:
    return percent(x, 0).replace("-", "−") if x is not None else MISSING


def amount(x: float | None, measure: str = "") -> str:
    """A regret in the measure's own units: ``0.042`` (``2.5 steps`` for the steps the alliance
    lasts without decoupling)."""
    if x is None or not math.isfinite(x):
        return MISSING
    if measure == "decoupling_time":
        return f"{x:.1f} steps"
    return f"{x:.3f}"


@dataclass(frozen=True)
class RobustRow:
    """One option's robustness under the headline weighting, with its rank under each structure
    and each weighting."""

    policy: str
    label: str
    kind: str
    rank: int
    p_decoupling: float
    regret_mean: float
    regret_p90: float
    regret_max: float
    satisficing: float | None
    ranks_by_structure: tuple[tuple[str, int], ...]
    ranks_by_weighting: tuple[tuple[str, int], ...]
    satisficing_by_structure: tuple[tuple[str, float | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "kind": self.kind,
            "rank": self.rank,
            "p_decoupling": self.p_decoupling,
            "regret_mean": self.regret_mean,
            "regret_p90": self.regret_p90,
            "regret_max": self.regret_max,
            "satisficing": self.satisficing,
            "ranks_by_structure": dict(self.ranks_by_structure),
            "ranks_by_weighting": dict(self.ranks_by_weighting),
            "satisficing_by_structure": dict(self.satisficing_by_structure),
        }


@dataclass(frozen=True)
class RobustnessView:
    """Regret, satisficing and ranks of a run's options, as rows, with what they measure."""

    measure: str
    measure_text: str
    reason: str
    thresholds: tuple[str, ...]  # each threshold in words
    structures: tuple[str, ...]
    weightings: Mapping[str, Mapping[str, float]]
    headline: str
    rows: tuple[RobustRow, ...]  # ranked under the headline weighting
    disagreements: tuple[str, ...]
    members: int

    @property
    def worlds(self) -> int:
        """Worlds compared: structures × members."""
        return len(self.structures) * self.members

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "measure": self.measure,
            "measure_text": self.measure_text,
            "reason": self.reason,
            "thresholds": list(self.thresholds),
            "structures": list(self.structures),
            "weightings": {k: dict(v) for k, v in self.weightings.items()},
            "headline": self.headline,
            "members": self.members,
            "worlds": self.worlds,
            "rows": [r.to_dict() for r in self.rows],
            "disagreements": list(self.disagreements),
        }


@dataclass(frozen=True)
class PathwayBar:
    """One bar of a pathway waterfall: what a pathway carries of a policy's effect."""

    pathway: str
    label: str
    kind: str
    short: str
    carried: float
    ci: tuple[float, float]
    share: float | None

    @property
    def share_text(self) -> str:
        """Its share of the policy's change as percent (a true minus where it works against)."""
        return _share(self.share)

    def text(self, outcome: str) -> str:
        """The carried change in words (percentage points for P(decoupling))."""
        if outcome == "decoupled":
            return pp_change(self.carried, self.ci)
        return f"{signed(self.carried)} {signed_interval(self.ci)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "pathway": self.pathway,
            "label": self.label,
            "kind": self.kind,
            "short": self.short,
            "carried": self.carried,
            "ci": list(self.ci),
            "share": self.share,
        }


@dataclass(frozen=True)
class PathwayView:
    """A policy's effect on one outcome and the pathways that carry it, for a waterfall."""

    policy: str
    label: str
    outcome: str
    baseline: float
    total: float
    total_ci: tuple[float, float]
    bars: tuple[PathwayBar, ...]
    interaction: float
    interaction_ci: tuple[float, float]
    members: int

    @property
    def policy_value(self) -> float:
        """The outcome under the policy."""
        return self.baseline + self.total

    def total_text(self) -> str:
        """The policy's whole effect in words."""
        if self.outcome == "decoupled":
            return pp_change(self.total, self.total_ci)
        return f"{signed(self.total)} {signed_interval(self.total_ci)}"

    @property
    def interaction_share_text(self) -> str:
        """The interaction's share of the policy's change as percent."""
        return _share(self.interaction / self.total if self.total else None)

    def interaction_text(self) -> str:
        """What the pathways' sum leaves out, in words."""
        if self.outcome == "decoupled":
            return pp_change(self.interaction, self.interaction_ci)
        return f"{signed(self.interaction)} {signed_interval(self.interaction_ci)}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "outcome": self.outcome,
            "baseline": self.baseline,
            "policy_value": self.policy_value,
            "total": self.total,
            "total_ci": list(self.total_ci),
            "bars": [b.to_dict() for b in self.bars],
            "interaction": self.interaction,
            "interaction_ci": list(self.interaction_ci),
            "members": self.members,
        }


@dataclass(frozen=True)
class SignpostRow:
    """One signpost of a leading policy, in words, with its coverage and density."""

    policy: str
    text: str
    coverage: float | None
    density: float | None
    base_rate: float | None
    failure: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "text": self.text,
            "coverage": self.coverage,
            "density": self.density,
            "base_rate": self.base_rate,
            "failure": self.failure,
            "note": self.note,
        }

    @property
    def coverage_text(self) -> str:
        """Coverage as percent."""
        return percent(self.coverage, 0)

    @property
    def density_text(self) -> str:
        """Density as percent, with the failure rate overall."""
        if self.density is None:
            return MISSING
        return f"{percent(self.density, 0)} (overall {percent(self.base_rate, 0)})"


@dataclass(frozen=True)
class RobustView:
    """Everything the front ends show of a run's robustness: the regret table, the pathway
    decomposition of each recommendation and the signposts of the leading ones (each None or
    empty when not computed)."""

    robustness: RobustnessView | None
    pathways: tuple[PathwayView, ...] = ()
    signposts: tuple[SignpostRow, ...] = ()
    note: str = ""

    def shown_pathways(self) -> tuple[PathwayView, ...]:
        """One decomposition per recommendation, as the front ends show it: of P(decoupling),
        or of the regret measure where the recommendation changes no world's decoupling (its
        change and every pathway's are 0, so their shares say nothing)."""
        out = []
        for policy in dict.fromkeys(p.policy for p in self.pathways):
            found = [p for p in self.pathways if p.policy == policy]
            chosen = next((p for p in found if p.outcome == "decoupled"), found[0])
            moves = chosen.total != 0 or any(b.carried != 0 for b in chosen.bars)
            if not moves:
                chosen = next((p for p in found if p.outcome != "decoupled"), chosen)
            out.append(chosen)
        return tuple(out)

    def pathway(self, policy: str, outcome: str = "decoupled") -> PathwayView | None:
        """The decomposition of one policy's effect on one outcome, if computed."""
        return next((p for p in self.pathways if p.policy == policy and p.outcome == outcome), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "robustness": self.robustness.to_dict() if self.robustness else None,
            "pathways": [p.to_dict() for p in self.pathways],
            "signposts": [s.to_dict() for s in self.signposts],
            "note": self.note,
        }


# --------------------------------------------------------------------------------------------
# building the rows


def _robustness_view(data: Mapping[str, Any]) -> RobustnessView:
    head = str(data["headline"])
    structures = tuple(data["structures"])
    rows = []
    for p in data["policies"]:
        scores = p["weighted"][head]
        rows.append(
            RobustRow(
                policy=p["policy"],
                label=p["label"],
                kind=p["kind"],
                rank=int(scores["rank"]),
                p_decoupling=float(scores["p_decoupling"]),
                regret_mean=float(scores["regret_mean"]),
                regret_p90=float(scores["regret_p90"]),
                regret_max=float(scores["regret_max"]),
                satisficing=scores.get("satisficing"),
                ranks_by_structure=tuple((s, int(p["structures"][s]["rank"])) for s in structures),
                ranks_by_weighting=tuple((w, int(v["rank"])) for w, v in p["weighted"].items()),
                satisficing_by_structure=tuple(
                    (s, p["structures"][s].get("satisficing")) for s in structures
                ),
            )
        )
    rows.sort(key=lambda r: r.rank)
    measure = data["measure"]
    name = str(measure["name"])
    text = (
        "steps the alliance lasts without decoupling"
        if name == "decoupling_time"
        else f"{name} at the horizon ({measure['better']} is better)"
    )
    return RobustnessView(
        measure=name,
        measure_text=text,
        reason=str(measure.get("reason", "")),
        thresholds=tuple(t["description"] for t in data.get("thresholds", [])),
        structures=structures,
        weightings=data["weightings"],
        headline=head,
        rows=tuple(rows),
        disagreements=tuple(data.get("disagreements", [])),
        members=int(data["members"]),
    )


def _pathway_views(data: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[PathwayView, ...]:
    out = []
    for decompositions in data.values():
        for d in decompositions:
            out.append(
                PathwayView(
                    policy=d["policy"],
                    label=d["label"],
                    outcome=d["outcome"],
                    baseline=float(d["baseline"]),
                    total=float(d["total"]),
                    total_ci=(float(d["total_ci"][0]), float(d["total_ci"][1])),
                    bars=tuple(
                        PathwayBar(
                            pathway=b["id"],
                            label=b["label"],
                            kind=b["kind"],
                            short=b.get("short") or b["label"],
                            carried=float(b["carried"]),
                            ci=(float(b["ci"][0]), float(b["ci"][1])),
                            share=b.get("share"),
                        )
                        for b in d["pathways"]
                    ),
                    interaction=float(d["interaction"]),
                    interaction_ci=(float(d["interaction_ci"][0]), float(d["interaction_ci"][1])),
                    members=int(d["members"]),
                )
            )
    return tuple(out)


def _signpost_rows(data: Sequence[Mapping[str, Any]]) -> tuple[SignpostRow, ...]:
    out = []
    for policy in data:
        if not policy.get("signposts"):
            out.append(
                SignpostRow(
                    policy=policy["policy"],
                    text=policy.get("note") or "no signpost found",
                    coverage=None,
                    density=None,
                    base_rate=policy["failures"] / policy["worlds"] if policy["worlds"] else None,
                    failure=policy["failure"],
                    note=policy.get("note", ""),
                )
            )
        for s in policy.get("signposts", []):
            out.append(
                SignpostRow(
                    policy=policy["policy"],
                    text=s["text"],
                    coverage=s["coverage"] if s["watch"] else None,
                    density=s["density"] if s["watch"] else None,
                    base_rate=s["base_rate"],
                    failure=policy["failure"],
                    note=s.get("note", ""),
                )
            )
    return tuple(out)


def present_robust(payload: Mapping[str, Any]) -> RobustView:
    """The rows of a robustness analysis from its JSON form: ``robustness`` (regret,
    satisficing, ranks), ``pathways`` (policy → decompositions) and ``signposts`` (per leading
    policy), each optional."""
    robustness = payload.get("robustness")
    return RobustView(
        robustness=_robustness_view(robustness) if robustness else None,
        pathways=_pathway_views(payload.get("pathways") or {}),
        signposts=_signpost_rows(payload.get("signposts") or []),
        note=str(payload.get("note", "")),
    )


# --------------------------------------------------------------------------------------------
# the Pareto set of lever settings


@dataclass(frozen=True)
class ParetoRow:
    """One setting of the Pareto set: each lever's value in words, and its objectives."""

    settings: tuple[tuple[str, float], ...]
    described: tuple[str, ...]
    objectives: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "settings": dict(self.settings),
            "described": list(self.described),
            "objectives": dict(self.objectives),
        }


@dataclass(frozen=True)
class OptimisationView:
    """The Pareto set of an optimisation as rows, with what was searched and how."""

    scenario: str
    levers: tuple[tuple[str, str], ...]  # (id, label)
    objectives: tuple[tuple[str, str, str], ...]  # (id, measure, direction)
    rows: tuple[ParetoRow, ...]
    members: int
    worlds: int
    nfe: int
    evaluations: int
    elapsed: float
    thresholds: tuple[str, ...] = ()

    def cell(self, objective: str, value: float) -> str:
        """An objective's value as written: probabilities and shares in percent."""
        measure = next(m for i, m, _ in self.objectives if i == objective)
        if measure in ("p_decoupling", "satisficing", "worst_structure"):
            return percent(value)
        return f"{value:.3g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario,
            "levers": [{"id": i, "label": label} for i, label in self.levers],
            "objectives": [{"id": i, "measure": m, "direction": d} for i, m, d in self.objectives],
            "pareto": [r.to_dict() for r in self.rows],
            "members": self.members,
            "worlds": self.worlds,
            "nfe": self.nfe,
            "evaluations": self.evaluations,
            "elapsed": self.elapsed,
            "thresholds": list(self.thresholds),
        }


def present_optimisation(payload: Mapping[str, Any]) -> OptimisationView:
    """The rows of an optimisation from its JSON form
    (:meth:`alliancesim.analysis.optimize.Optimisation.to_dict`)."""
    objectives = tuple((o["id"], o["measure"], o["direction"]) for o in payload["objectives"])
    return OptimisationView(
        scenario=payload["scenario"],
        levers=tuple((lever["id"], lever["label"]) for lever in payload["levers"]),
        objectives=objectives,
        rows=tuple(
            ParetoRow(
                settings=tuple(p["settings"].items()),
                described=tuple(p["described"]),
                objectives=tuple((i, float(p["objectives"][i])) for i, _, _ in objectives),
            )
            for p in payload["pareto"]
        ),
        members=int(payload["members"]),
        worlds=int(payload["members"]) * len(payload["structures"]),
        nfe=int(payload["nfe"]),
        evaluations=int(payload["evaluations"]),
        elapsed=float(payload["elapsed"]),
        thresholds=tuple(payload.get("thresholds", [])),
    )
