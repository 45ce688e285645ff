"""What a run says, as typed rows: the presentation model every front end lays out.

:func:`present_run` turns a run (its summary, its policy ranking and its claim verdicts) into a
:class:`RunView`: the headline, one :class:`PolicyRow` per policy with its paired
:class:`Effect`, the claims as :class:`ClaimRow` s, the key indicators and the decoupling
curves. A run of several structures (rival accounts of contested mechanisms) is shown by the
structures' weighted combination (the headline, the ranking and the curves say so), with one
:class:`StructureView` per structure (its own ranking) and, in words, where the structures'
rankings disagree. The CLI's tables and ``--json``, the HTML report and the dashboard only lay these rows
out, with the formatters of :mod:`alliancesim.presentation.formats`, so they cannot disagree on a
number or on a sign.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alliancesim.presentation.formats import (
    percent,
    percent_interval,
    pp_change,
    signed,
    signed_interval,
)

if TYPE_CHECKING:
    from alliancesim.claims import ClaimsOutcome
    from alliancesim.results import Results
    from alliancesim.scenario.schema import Scenario
    from alliancesim.store import RunRecord

__all__ = [
    "SCHEMA_VERSION",
    "ClaimRow",
    "ClaimsView",
    "DecouplingCurve",
    "Effect",
    "HarmCell",
    "Headline",
    "IndicatorCell",
    "ObservableView",
    "PolicyRow",
    "RunFacts",
    "RunView",
    "SignRow",
    "StructureView",
    "claims_view",
    "decoupling_text",
    "history_favours",
    "key_indicators",
    "policy_label",
    "present_run",
    "projection_text",
    "quantity_labels",
    "run_facts",
    "scenario_reference",
    "structure_label",
]

SCHEMA_VERSION = 1
"""Version of the ``--json`` shapes (docs/json.md); raised when a field changes meaning."""
MAX_KEY_INDICATORS = 6

DIRECTIONS = {"lowers": "lowers it", "raises": "raises it", "unclear": "no clear change"}
"""A policy's effect on P(decoupling) in words, by the sign of its whole 95 % interval."""


# --------------------------------------------------------------------------------------------
# labels


def policy_label(scenario: Scenario, name: str) -> str:
    """A policy's label from the scenario (combinations joined with ' + ')."""
    if name == "baseline":
        return "Baseline: no change"
    labels = {p.id: p.label for p in scenario.policies}
    return " + ".join(labels.get(part, part) for part in name.split("+"))


def quantity_labels(scenario: Scenario) -> dict[str, str]:
    """The scenario's label of each state variable and indicator."""
    labels = {s.id: s.label for s in scenario.state if s.label}
    labels.update({i.id: i.label for i in scenario.indicators if i.label})
    return labels


def key_indicators(results: Results, limit: int = MAX_KEY_INDICATORS) -> list[str]:
    """The quantities worth showing: the scenario's key indicators, those the decoupling
    condition reads, those the claims compare, then the other indicators; only recorded ones,
    at most ``limit``."""
    scenario = results.model.scenario
    recorded = set(results.files.columns()) - {"policy", "member", "step", "decoupled"}
    wanted: list[str] = list(scenario.scenario.key_indicators)
    wanted += sorted(_decoupling_names(scenario.decoupling))
    wanted += [c.compare.indicator for c in scenario.claims]
    wanted += [i for i in results.model.indicator_names if not i.startswith("signal_")]
    wanted += results.model.indicator_names
    out: list[str] = []
    for name in wanted:
        if name in recorded and name not in out:
            out.append(name)
    return out[:limit]


def _decoupling_names(decoupling: Any) -> frozenset[str]:
    """The names the definition of decoupling reads (its signs' and index's, or its one
    condition's)."""
    names = getattr(decoupling, "names", None)
    if isinstance(names, frozenset | set):
        return frozenset(names)
    return frozenset(decoupling.when.names) if decoupling.when is not None else frozenset()


def decoupling_text(scenario: Scenario, observable: ObservableView | None = None) -> str:
    """The definition of decoupling in one line."""
    definition = scenario.decoupling
    if observable is not None and observable.signs:
        return f"{observable.combination} of: " + "; ".join(
            f"{s.label} ({s.condition})" for s in observable.signs
        )
    conditions = definition.sign_conditions
    if len(conditions) == 1:
        _, when, steps = conditions[0]
        return f"{when.text} for {steps} consecutive step(s)"
    n = definition.at_least
    return f"at least {n} of: " + "; ".join(
        f"{when.text} for {steps} step(s)" for _, when, steps in conditions
    )


# --------------------------------------------------------------------------------------------
# rows


@dataclass(frozen=True)
class Effect:
    """A policy's paired change in P(decoupling by the horizon) against baseline, policy minus
    baseline (negative lowers the risk), with its 95 % interval."""

    change: float
    low: float
    high: float

    @property
    def direction(self) -> str:
        """``lowers`` or ``raises`` if the whole interval lies on one side of 0, else ``unclear``."""
        if self.high < 0:
            return "lowers"
        if self.low > 0:
            return "raises"
        return "unclear"

    @property
    def badge(self) -> str:
        """The effect in words: lowers it / raises it / no clear change."""
        return DIRECTIONS[self.direction]

    @property
    def text(self) -> str:
        """``−16.1 pp [−17.7, −14.5]``."""
        return pp_change(self.change, (self.low, self.high))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "change": self.change,
            "change_ci": [self.low, self.high],
            "direction": self.direction,
            "badge": self.badge,
            "text": self.text,
        }


@dataclass(frozen=True)
class IndicatorCell:
    """One quantity under one policy at the horizon: its spread over members and its paired
    change from baseline."""

    name: str
    mean: float
    median: float
    q05: float
    q95: float
    change: float | None  # paired mean difference from baseline (None for baseline)
    change_ci: tuple[float, float] | None

    @property
    def text(self) -> str:
        """``0.52 (0.31–0.74)``: median (5–95 % of members)."""
        if not all(math.isfinite(x) for x in (self.median, self.q05, self.q95)):
            return "—"
        return f"{self.median:.2f} ({self.q05:.2f}–{self.q95:.2f})"

    @property
    def change_text(self) -> str:
        """``−0.130 [−0.150, −0.110]``: paired mean change from baseline."""
        if self.change is None:
            return "—"
        return f"{signed(self.change)} {signed_interval(self.change_ci)}".strip()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "name": self.name,
            "mean": self.mean,
            "median": self.median,
            "q05": self.q05,
            "q95": self.q95,
            "change": self.change,
            "change_ci": list(self.change_ci) if self.change_ci else None,
        }


@dataclass(frozen=True)
class HarmCell:
    """The share of worlds in which a policy harms the alliance against baseline (decouples an
    alliance that baseline keeps or leaves cohesion lower, paired;
    :mod:`alliancesim.analysis.harm`), with its 95 % interval, each structure's share and the
    parameters harm comes with."""

    share: float
    low: float
    high: float
    by_structure: tuple[tuple[str, float], ...] = ()
    where: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """``12.3 %``."""
        return percent(self.share)

    @property
    def interval_text(self) -> str:
        """``[10.9–13.8 %]``."""
        return percent_interval((self.low, self.high))

    @property
    def worst_structures(self) -> tuple[tuple[str, float], ...]:
        """The structures in which it harms most, most first (those where it harms at all)."""
        harmful = [(name, share) for name, share in self.by_structure if share > 0]
        return tuple(sorted(harmful, key=lambda x: (-x[1], x[0])))

    @property
    def where_text(self) -> str:
        """Where it harms, in words: the structures where it harms most and the parameters harm
        comes with (``""`` when it harms nowhere)."""
        if self.share <= 0:
            return "harms in no world"
        parts = []
        worst = self.worst_structures[:3]
        if worst:
            parts.append(
                "most under " + ", ".join(f"{name} ({percent(share)})" for name, share in worst)
            )
        if self.where:
            parts.append("with " + "; ".join(self.where))
        return "; ".join(parts)

    @classmethod
    def of(cls, harm: Mapping[str, Any]) -> HarmCell:
        """From a ranking row's ``harm`` dict (:meth:`alliancesim.analysis.harm.Harm.to_dict`)."""
        return cls(
            share=float(harm["share"]),
            low=float(harm["ci"][0]),
            high=float(harm["ci"][1]),
            by_structure=tuple((str(k), float(v)) for k, v in harm["by_structure"].items()),
            where=tuple(str(w["text"]) for w in harm.get("where", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "share": self.share,
            "ci": [self.low, self.high],
            "text": self.text,
            "by_structure": dict(self.by_structure),
            "where": list(self.where),
            "where_text": self.where_text,
        }


@dataclass(frozen=True)
class PolicyRow:
    """One policy of a run: its rank, P(decoupling) and its effect against baseline."""

    policy: str
    label: str
    kind: str  # baseline, recommendation or counterfactual
    rank: int | None  # None for counterfactuals (not courses of action)
    p_decoupling: float
    p_decoupling_ci: tuple[float, float]
    effect: Effect | None  # None for baseline
    indicators: tuple[IndicatorCell, ...] = ()
    harm: HarmCell | None = None  # None for baseline

    @property
    def harm_text(self) -> str:
        """The share of worlds it harms (``—`` for baseline)."""
        return self.harm.text if self.harm is not None else "—"

    @property
    def p_text(self) -> str:
        """``18.4 %``."""
        return percent(self.p_decoupling)

    @property
    def p_interval_text(self) -> str:
        """``[16.7–20.1 %]``."""
        return percent_interval(self.p_decoupling_ci)

    @property
    def effect_text(self) -> str:
        """The effect, or ``reference`` for baseline."""
        return self.effect.text if self.effect is not None else "reference"

    def indicator(self, name: str) -> IndicatorCell | None:
        """This policy's cell for one quantity, if shown."""
        return next((c for c in self.indicators if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "policy": self.policy,
            "label": self.label,
            "kind": self.kind,
            "rank": self.rank,
            "p_decoupling": self.p_decoupling,
            "p_decoupling_ci": list(self.p_decoupling_ci),
            "effect": self.effect.to_dict() if self.effect is not None else None,
            "harm": self.harm.to_dict() if self.harm is not None else None,
            "indicators": {c.name: c.to_dict() for c in self.indicators},
        }


@dataclass(frozen=True)
class Headline:
    """The run's answer in one sentence or two: the baseline risk and the recommendation that
    lowers it most."""

    scenario_id: str
    title: str
    horizon: str
    baseline: PolicyRow
    best: PolicyRow | None  # the ranked recommendation with the most negative change
    weighted_over: int = 0  # structures the answer is the weighted combination of (0: one)

    @property
    def over_text(self) -> str:
        """``, weighted over 3 structures`` when the answer combines structures, else ``""``."""
        return f", weighted over {self.weighted_over} structures" if self.weighted_over else ""

    @property
    def risk_text(self) -> str:
        """``P(decoupling by 2029Q4) under baseline: 18.4 % [16.7–20.1 %]`` (with ``weighted over
        n structures`` when the answer combines several)."""
        return (
            f"P(decoupling by {self.horizon}) under baseline{self.over_text}: "
            f"{self.baseline.p_text} {self.baseline.p_interval_text}"
        ).strip()

    @property
    def best_text(self) -> str:
        """What the best recommendation does, or that none lowers the risk beyond chance."""
        best = self.best
        if best is None or best.effect is None:
            return ""
        if best.effect.direction == "lowers":
            return (
                f"The recommendation that lowers it most: {best.label} ({best.policy}), "
                f"{best.effect.text}, to {best.p_text}."
            )
        return (
            "No recommendation lowers it by more than chance: the largest estimate is "
            f"{best.policy}, {best.effect.text}."
        )

    @property
    def text(self) -> str:
        """The headline as plain text."""
        return f"{self.risk_text}. {self.best_text}".strip()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "scenario": self.scenario_id,
            "title": self.title,
            "horizon": self.horizon,
            "baseline_p_decoupling": self.baseline.p_decoupling,
            "baseline_p_decoupling_ci": list(self.baseline.p_decoupling_ci),
            "best_recommendation": self.best.policy if self.best else None,
            "weighted_over_structures": self.weighted_over,
            "text": self.text,
        }


@dataclass(frozen=True)
class ClaimRow:
    """One claim's verdict on a run, ready to lay out."""

    claim_id: str
    statement: str
    seed: str | None
    quote: str | None
    source: str | None
    comparison: str
    statistic: str
    verdict: str  # how it must be read: supported / contested / rejected for a contingent claim,
    # else holds (fails) by construction / restates its prior
    claim_class: str  # structural, prior-driven, contingent ("" from runs made before classes)
    class_reason: str
    n: int | None
    share: float | None
    share_ci: tuple[float | None, float | None]
    tie_share: float | None
    mean_difference: float | None
    mean_difference_ci: tuple[float | None, float | None]
    failure: str  # where it fails (a PRIM box in words), or why no box, or ""
    failure_box: Mapping[str, Any] | None
    by_structure: tuple[tuple[str, str, float | None], ...] = ()
    """Under a run of several structures: (structure, its verdict, its share) for each."""
    verdict_weights: Mapping[str, float] | None = None
    """Under a run of several structures: the structures' weight behind each verdict."""

    @property
    def structures_text(self) -> str:
        """``seed: supported · consult=costly: rejected`` (empty for one structure)."""
        return " · ".join(f"{name}: {verdict}" for name, verdict, _ in self.by_structure)

    @property
    def holds_text(self) -> str:
        """``78 % [74–81 %]`` (member statistic) or ``+0.042 [+0.03, +0.05]`` (mean)."""
        if self.statistic == "mean" and self.mean_difference is not None:
            return f"{signed(self.mean_difference)} {signed_interval(self.mean_difference_ci)}"
        if self.share is None:
            return "not tested (no member differs)"
        return f"{percent(self.share, 0)} {percent_interval(self.share_ci, 0)}".strip()

    @classmethod
    def of(cls, verdict: Mapping[str, Any]) -> ClaimRow:
        """From a verdict's plain ``to_dict()`` form (fresh or stored)."""
        box = verdict.get("failure_box")
        failure = ""
        if isinstance(box, Mapping) and box.get("description"):
            failure = str(box["description"])
        elif verdict.get("failure_note"):
            failure = str(verdict["failure_note"])
        share_ci = verdict.get("share_ci") or [None, None]
        md_ci = verdict.get("mean_difference_ci") or [None, None]
        return cls(
            claim_id=str(verdict.get("claim_id", "")),
            statement=str(verdict.get("statement", "")),
            seed=verdict.get("seed"),
            quote=verdict.get("quote"),
            source=verdict.get("source"),
            comparison=str(verdict.get("comparison", "")),
            statistic=str(verdict.get("statistic", "member")),
            verdict=str(verdict.get("verdict", "")),
            claim_class=str(verdict.get("class") or ""),
            class_reason=str(verdict.get("class_reason") or ""),
            n=verdict.get("n"),
            share=verdict.get("share"),
            share_ci=(share_ci[0], share_ci[1]),
            tie_share=verdict.get("tie_share"),
            mean_difference=verdict.get("mean_difference"),
            mean_difference_ci=(md_ci[0], md_ci[1]),
            failure=failure,
            failure_box=box if isinstance(box, Mapping) else None,
            by_structure=tuple(
                (str(name), str(v.get("verdict", "")), v.get("share"))
                for name, v in (verdict.get("structures") or {}).items()
            ),
            verdict_weights=verdict.get("verdict_weights"),
        )


@dataclass(frozen=True)
class ClaimsView:
    """The claims of a run: rows (None when not evaluated), why not, and how verdicts are read."""

    rows: tuple[ClaimRow, ...] | None
    note: str
    rules: tuple[str, ...]
    searched: bool  # whether the regions where claims fail were searched
    verdicts: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """How many claims got each verdict."""
        out: dict[str, int] = {}
        for row in self.rows or ():
            out[row.verdict] = out.get(row.verdict, 0) + 1
        return out

    @property
    def summary_text(self) -> str:
        """What the claims say, counting only contingent claims as evidence: ``contingent 5 of
        9: supported 3, contested 2; 3 hold by construction; 1 restates its prior`` (``split``:
        verdicts that differ between the structures of a run of several)."""
        if self.rows is None:
            return "not evaluated"
        if not self.rows:
            return "none"
        contingent = [r for r in self.rows if r.claim_class in ("contingent", "")]
        parts = [f"contingent {len(contingent)} of {len(self.rows)}"]
        verdicts = [
            f"{v} {sum(r.verdict == v for r in contingent)}"
            for v in ("supported", "contested", "rejected", "split")
            if any(r.verdict == v for r in contingent)
        ]
        text = parts[0] + (": " + ", ".join(verdicts) if verdicts else "")
        by_construction = sum(r.claim_class == "structural" for r in self.rows)
        prior = sum(r.claim_class == "prior-driven" for r in self.rows)
        if by_construction:
            text += f"; {by_construction} by construction"
        if prior:
            text += f"; {prior} restate{'s' if prior == 1 else ''} {'its' if prior == 1 else 'their'} prior"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: the verdicts as the claims module gives them."""
        return {
            "evaluated": self.rows is not None,
            "note": self.note,
            "failure_regions_searched": self.searched,
            "verdicts": [dict(v) for v in self.verdicts] if self.rows is not None else None,
        }


def _rules(verdicts: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """How verdicts are read, once per statistic used."""
    out: list[str] = []
    seen: set[str] = set()
    how = {"member": "Claims tested member by member", "mean": "Claims about the mean"}
    for v in verdicts:
        thresholds = v.get("thresholds") or {}
        statistic = str(thresholds.get("statistic", v.get("statistic", "")))
        if not thresholds or statistic in seen:
            continue
        seen.add(statistic)
        parts = [
            f"{k}: {thresholds[k]}"
            for k in ("supported", "rejected", "contested", "ties")
            if k in thresholds
        ]
        out.append(f"{how.get(statistic, 'Claims')}: {'; '.join(parts)}.")
    return tuple(out)


@dataclass(frozen=True)
class DecouplingCurve:
    """P(decoupling by each step) under one policy, with Wilson 95 % intervals."""

    policy: str
    label: str
    p_by_step: tuple[float, ...]
    ci_by_step: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class SignRow:
    """One observable sign of decoupling: what it is, where it comes from, and P(it has been
    seen by the horizon) and by each step, per policy."""

    id: str
    label: str
    condition: str
    for_steps: int
    source: Any
    p_by_policy: Mapping[str, float]
    p_by_step: Mapping[str, tuple[float, ...]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        source = self.source
        return {
            "id": self.id,
            "label": self.label,
            "condition": self.condition,
            "for_steps": self.for_steps,
            "source": source.model_dump() if hasattr(source, "model_dump") else source,
            "p_by_horizon": dict(self.p_by_policy),
            "p_by_step": {k: list(v) for k, v in self.p_by_step.items()},
        }


@dataclass(frozen=True)
class ObservableView:
    """Decoupling as a historian could code it: each sign with its source and its probability,
    their combination, and the cohesion index beside them (not part of the definition) with its
    threshold's sensitivity."""

    signs: tuple[SignRow, ...]
    combination: str  # "any one sign", "at least 2 of the 4 signs"
    combined: Mapping[str, float]  # P(the combination by the horizon), per policy
    index: SignRow | None
    threshold: str | None
    sensitivity: Any | None  # alliancesim.observable.Sensitivity
    weighted: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "signs": [s.to_dict() for s in self.signs],
            "combination": self.combination,
            "p_combination_by_horizon": dict(self.combined),
            "index": self.index.to_dict() if self.index else None,
            "threshold": self.threshold,
            "threshold_sensitivity": self.sensitivity.to_dict() if self.sensitivity else None,
            "weighted_over_structures": self.weighted,
        }


def _observable_view(results: Results) -> ObservableView | None:
    """The observable definition of decoupling with P(each sign), when the model defines it."""
    from alliancesim.observable import definition, index_sensitivity

    found = definition(results.model)
    if found is None:
        return None
    summary = results.summary()
    policies = summary.policies
    signs = tuple(
        SignRow(
            id=sign.id,
            label=sign.label,
            condition=sign.condition,
            for_steps=sign.for_steps,
            source=sign.source,
            p_by_policy={
                p: v.p_signs_by_step[sign.id][-1]
                for p, v in policies.items()
                if sign.id in v.p_signs_by_step
            },
            p_by_step={
                p: tuple(v.p_signs_by_step[sign.id])
                for p, v in policies.items()
                if sign.id in v.p_signs_by_step
            },
        )
        for sign in found.signs
    )
    index = None
    if found.index is not None:
        index = SignRow(
            id="index",
            label=found.index.label,
            condition=getattr(found.index.condition, "text", str(found.index.condition)),
            for_steps=found.index.for_steps,
            source=found.index.source,
            p_by_policy={
                p: v.p_index_by_step[-1] for p, v in policies.items() if v.p_index_by_step
            },
            p_by_step={
                p: tuple(v.p_index_by_step) for p, v in policies.items() if v.p_index_by_step
            },
        )
    return ObservableView(
        signs=signs,
        combination=found.combination_text,
        combined={p: v.p_decoupling for p, v in policies.items()},
        index=index,
        threshold=found.index.threshold if found.index is not None else None,
        sensitivity=index_sensitivity(results) if found.index is not None else None,
        weighted=results.several,
    )


@dataclass(frozen=True)
class RunFacts:
    """How a run was made, as reports state it, with the command that reproduces it."""

    run_id: str
    started: datetime
    version: str
    elapsed: float
    scenario_hash: str
    policies: tuple[str, ...]
    record: str
    command: str  # the command line that makes the same run
    stored_at: str | None = None  # the run's directory in the store, if stored


def scenario_reference(scenario: Scenario) -> str:
    """How to name the scenario on the command line: its id if built in, else its file."""
    from alliancesim.scenario import builtin_scenarios

    if scenario.id in builtin_scenarios():
        return scenario.id
    file, _ = scenario.actors[0].origin
    return file if file != "<memory>" else f"{scenario.id}.toml"


def _is_all(scenario: Any, names: list[str]) -> bool:
    """Whether ``names`` are every structure of the scenario ('all'; never true for a scenario
    with more structures than 'all' may run: such a run named its structures)."""
    from alliancesim.errors import InputError
    from alliancesim.structures import all_structures

    try:
        return names == [s.name for s in all_structures(scenario)]
    except InputError:
        return False


def _structure_options(results: Results) -> str:
    """The ``--structure`` options that make the same run (none for the default design)."""
    from alliancesim.structures import default_structures

    if not results.structured:
        return ""
    scenario = results.model.scenario
    if results.structures == [s.name for s in default_structures(scenario)]:
        return ""
    if len(results.structures) > 1 and _is_all(scenario, results.structures):
        return " --structure all"
    return "".join(f" --structure {name}" for name in results.structures)


def run_facts(results: Results, record: RunRecord | None = None) -> RunFacts:
    """How a run was made: from its catalogue record when stored, else from the run itself."""
    from alliancesim import __version__

    scenario = results.model.scenario
    command = (
        f"alliancesim run {scenario_reference(scenario)} --members {results.members} "
        f"--seed {results.seed}"
    )
    command += "".join(f" --policy {p}" for p in results.policies if p != "baseline")
    command += _structure_options(results)
    if results.record != "all":
        command += f" --record {results.record}"
    common = {
        "scenario_hash": results.scenario_hash,
        "policies": tuple(results.policies),
        "record": results.record,
        "command": command,
    }
    if record is not None:
        return RunFacts(
            record.run_id,
            record.started,
            record.version,
            record.elapsed_seconds,
            stored_at=str(record.directory),
            **common,
        )
    return RunFacts(results.run_id, datetime.now(UTC), __version__, results.elapsed, **common)


def structure_label(scenario: Scenario, name: str) -> str:
    """A structure in words: ``the seed's accounts`` or the rival accounts' labels."""
    from alliancesim.structures import parse_structure

    if name == "seed":
        return "the seed's account of every mechanism"
    labels = {(m.id, a.id): a.label for m in scenario.mechanisms for a in m.accounts}
    firsts = {m.id: m.accounts[0].id for m in scenario.mechanisms}
    structure = parse_structure(scenario, name)
    return "; ".join(
        f"{mechanism}: {labels[(mechanism, account)]}"
        for mechanism, account in structure.accounts
        if account != firsts[mechanism]
    )


@dataclass(frozen=True)
class StructureView:
    """One structure of a run: which account of each mechanism it assumes, its weight in the
    combination, and its own ranking of the policies."""

    name: str
    label: str
    weight: float
    accounts: tuple[tuple[str, str], ...]  # (mechanism, account) for every mechanism
    ranking: tuple[PolicyRow, ...]

    @property
    def weight_text(self) -> str:
        """``42.9 %``."""
        return percent(self.weight)

    @property
    def baseline(self) -> PolicyRow:
        """This structure's baseline row."""
        return next(r for r in self.ranking if r.policy == "baseline")

    @property
    def best(self) -> PolicyRow | None:
        """The ranked recommendation with the most negative change under this structure."""
        return _best(self.ranking)

    def row(self, policy: str) -> PolicyRow:
        """The row of one policy under this structure."""
        return next(r for r in self.ranking if r.policy == policy)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "structure": self.name,
            "label": self.label,
            "weight": self.weight,
            "accounts": {m: a for m, a in self.accounts},
            "ranking": [r.to_dict() for r in self.ranking],
        }


@dataclass(frozen=True)
class RunView:
    """Everything the front ends show of a run, as typed rows."""

    scenario_id: str
    title: str
    headline: Headline
    ranking: tuple[PolicyRow, ...]  # ranked policies and baseline, then counterfactuals
    claims: ClaimsView
    key_indicators: tuple[str, ...]
    quantity_labels: Mapping[str, str]
    curves: tuple[DecouplingCurve, ...]
    steps: tuple[str, ...]
    decoupling: str  # the decoupling definition in words
    members: int
    seed: int
    facts: RunFacts
    structures: tuple[StructureView, ...] = ()
    """Each structure of the run (empty for a scenario without contested mechanisms)."""
    disagreements: tuple[str, ...] = ()
    """Where the structures' rankings disagree, in words."""
    observable: ObservableView | None = None
    """Decoupling's observable signs with P(each), when the scenario defines them."""
    weights_source: str = ""
    """Where the structures' weights come from, in words (history's weights or the priors)."""
    history: tuple[str, ...] = ()
    """Per mechanism with history's weights: which account history favours and how strongly."""
    projection: str = ""
    """Which steps replay recorded history and which are projection, in words ("" when the
    whole run is projection)."""

    @property
    def weighted(self) -> bool:
        """Whether the headline, ranking and curves are the weighted combination of structures."""
        return len(self.structures) > 1

    @property
    def horizon(self) -> str:
        """The horizon's period label."""
        return self.headline.horizon

    @property
    def policy_labels(self) -> dict[str, str]:
        """Each policy's label."""
        return {row.policy: row.label for row in self.ranking}

    @property
    def counterfactuals(self) -> set[str]:
        """The policies that are counterfactuals, not recommendations."""
        return {row.policy for row in self.ranking if row.kind == "counterfactual"}

    def decoupling_data(self) -> dict[str, Any]:
        """P(decoupling by each step) per policy, shaped as the decoupling chart draws it."""
        return {
            "steps": list(self.steps),
            "policies": {
                c.policy: {
                    "p_decoupling_by_step": list(c.p_by_step),
                    "p_decoupling_ci_by_step": [list(ci) for ci in c.ci_by_step],
                }
                for c in self.curves
            },
        }

    def row(self, policy: str) -> PolicyRow:
        """The row of one policy."""
        return next(r for r in self.ranking if r.policy == policy)

    def with_claims(self, claims: ClaimsOutcome | None, facts: RunFacts) -> RunView:
        """The same run's view with its claims and how it was made replaced (what the run says
        about its policies does not depend on either, so it is not computed again)."""
        return replace(self, claims=claims_view(claims), facts=facts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape every ``--json`` output embeds for a run (docs/json.md); a run of a
        scenario with contested mechanisms adds ``structures`` (each structure's accounts,
        weight and ranking) and ``structure_disagreements``, and its ``ranking`` is the
        structures' weighted combination when there are several."""
        out = {
            "schema_version": SCHEMA_VERSION,
            "headline": self.headline.to_dict(),
            "ranking": [r.to_dict() for r in self.ranking],
            "claims": self.claims.to_dict(),
            "key_indicators": list(self.key_indicators),
        }
        if self.observable is not None:
            out["observable"] = self.observable.to_dict()
        if self.projection:
            out["projection"] = self.projection
        if self.structures:
            out["ranking_under"] = "weighted" if self.weighted else self.structures[0].name
            out["structures"] = [s.to_dict() for s in self.structures]
            out["structure_disagreements"] = list(self.disagreements)
            out["weights_source"] = self.weights_source
            out["history_favours"] = list(self.history)
        return out


# --------------------------------------------------------------------------------------------
# building the view


def projection_text(scenario: Scenario) -> str:
    """Which of a scenario's steps replay recorded history (``[scenario] history_until``) and
    which are projection, with the dated events the history replays; ``""`` when the whole run
    is projection."""
    from alliancesim.scenario.clock import Clock

    meta = scenario.scenario
    if meta.history_until is None:
        return ""
    clock = Clock(meta.start, meta.step, meta.horizon)
    last = clock.step_of(meta.history_until)
    events = [
        s.label or s.id
        for s in scenario.schedule
        if any(1 <= clock.step_of(at) <= last for at in s.at)
    ]
    replayed = f" (the record's dated events: {'; '.join(events)})" if events else ""
    text = f"{clock.label(1)}–{clock.label(last)} replays recorded history{replayed}"
    if last < meta.horizon:
        text += f"; {clock.label(last + 1)}–{clock.label(meta.horizon)} is projection"
    return text + "."


def _cells(summary_policy: Any, names: Sequence[str], baseline: bool) -> tuple[IndicatorCell, ...]:
    out = []
    for name in names:
        q = summary_policy.indicators.get(name)
        if q is None:
            continue
        diff = None if baseline else summary_policy.vs_baseline.get(name)
        out.append(
            IndicatorCell(
                name=name,
                mean=float(q.get("mean", math.nan)),
                median=float(q.get("q50", math.nan)),
                q05=float(q.get("q05", math.nan)),
                q95=float(q.get("q95", math.nan)),
                change=float(diff["mean_difference"]) if diff else None,
                change_ci=(float(diff["ci"][0]), float(diff["ci"][1])) if diff else None,
            )
        )
    return tuple(out)


def claims_view(claims: ClaimsOutcome | None) -> ClaimsView:
    """A run's claims as rows (``claims`` None: not evaluated)."""
    verdicts = claims.verdicts if claims is not None else None
    return ClaimsView(
        rows=tuple(ClaimRow.of(v) for v in verdicts) if verdicts is not None else None,
        note=(claims.note if claims is not None else "claims were not evaluated for this run"),
        rules=_rules(verdicts or []),
        searched=bool(claims is not None and claims.searched),
        verdicts=tuple(verdicts or ()),
    )


def _best(rows: Sequence[PolicyRow]) -> PolicyRow | None:
    candidates = [
        r
        for r in rows
        if r.kind == "recommendation" and r.effect is not None and math.isfinite(r.effect.change)
    ]
    return min(candidates, key=lambda r: r.effect.change) if candidates else None  # type: ignore[union-attr]


def _policy_rows(results: Results, shown: Sequence[str], *, where: bool = False) -> list[PolicyRow]:
    """The ranked rows of a run's policies (of its one structure or their combination);
    ``where``: name the parameters each policy's harm comes with."""
    from alliancesim.analysis.compare import rank_policies

    scenario = results.model.scenario
    summary = results.summary()
    rows = []
    for r in rank_policies(results, where=where):
        name = r["policy"]
        effect = None
        if name != "baseline":
            lo, hi = r["change_ci"]
            effect = Effect(float(r["change"]), float(lo), float(hi))
        rows.append(
            PolicyRow(
                policy=name,
                label=policy_label(scenario, name),
                kind=r["kind"],
                rank=r["rank"],
                p_decoupling=float(r["p_decoupling"]),
                p_decoupling_ci=(float(r["p_decoupling_ci"][0]), float(r["p_decoupling_ci"][1])),
                effect=effect,
                indicators=_cells(summary.policies[name], shown, name == "baseline"),
                harm=HarmCell.of(r["harm"]) if r.get("harm") else None,
            )
        )
    return rows


def _structure_views(results: Results, shown: Sequence[str]) -> tuple[StructureView, ...]:
    """One view per structure of a run of a scenario with contested mechanisms."""
    if not results.structured:
        return ()
    scenario = results.model.scenario
    from alliancesim.structures import parse_structure

    return tuple(
        StructureView(
            name=name,
            label=structure_label(scenario, name),
            weight=results.weights[name],
            accounts=parse_structure(scenario, name).accounts,
            ranking=tuple(_policy_rows(results.structure(name), shown)),
        )
        for name in results.structures
    )


def _lowering(row: PolicyRow | None) -> str | None:
    """The policy of a row whose effect lowers the risk beyond chance, else None."""
    if row is None or row.effect is None or row.effect.direction != "lowers":
        return None
    return row.policy


def disagreements(structures: Sequence[StructureView]) -> tuple[str, ...]:
    """Where the structures' rankings disagree, in plain words: a different best recommendation,
    and policies whose effect on the risk goes different ways under different structures."""
    if len(structures) < 2:
        return ()
    out = []
    best = {s.name: _lowering(s.best) for s in structures}
    if len(set(best.values())) > 1:
        parts = [f"{p or 'none'} under {name}" for name, p in best.items()]
        out.append(
            "The recommendation that lowers the risk most differs by structure: "
            + "; ".join(parts)
            + "."
        )
    for row in structures[0].ranking:
        if row.effect is None:
            continue
        by_direction: dict[str, list[str]] = {}
        for s in structures:
            effect = s.row(row.policy).effect
            if effect is not None:
                by_direction.setdefault(effect.badge, []).append(s.name)
        if len(by_direction) > 1:
            parts = [f"{badge} under {', '.join(names)}" for badge, names in by_direction.items()]
            out.append(f"{row.policy}: " + "; ".join(parts) + ".")
    return tuple(out)


def present_run(results: Results, claims: ClaimsOutcome | None, facts: RunFacts) -> RunView:
    """The presentation model of a run: headline, ranking rows, claims rows, key indicators,
    decoupling curves (``claims`` None: not evaluated), and each structure's ranking."""
    scenario = results.model.scenario
    summary = results.summary()
    keys = key_indicators(results)
    shown = [k for k in keys if k in next(iter(summary.policies.values())).indicators]
    rows = _policy_rows(results, shown, where=True)
    baseline = next(r for r in rows if r.policy == "baseline")
    best = _best(rows)
    structures = _structure_views(results, shown)
    curves = tuple(
        DecouplingCurve(
            policy=name,
            label=policy_label(scenario, name),
            p_by_step=tuple(p.p_decoupling_by_step),
            ci_by_step=tuple((float(lo), float(hi)) for lo, hi in p.p_decoupling_ci_by_step),
        )
        for name, p in summary.policies.items()
    )
    observable = _observable_view(results)
    return RunView(
        scenario_id=scenario.id,
        title=scenario.scenario.title,
        headline=Headline(
            scenario.id,
            scenario.scenario.title,
            summary.horizon,
            baseline,
            best,
            weighted_over=len(results.structures) if results.several else 0,
        ),
        ranking=tuple(rows),
        claims=claims_view(claims),
        key_indicators=tuple(keys),
        quantity_labels=quantity_labels(scenario),
        curves=curves,
        steps=tuple(summary.steps),
        decoupling=decoupling_text(scenario, observable),
        members=results.members,
        seed=results.seed,
        facts=facts,
        structures=structures,
        disagreements=disagreements(structures),
        observable=observable,
        weights_source=results.weights_source,
        history=history_favours(scenario, results.account_weights, results.account_evidence),
        projection=projection_text(scenario),
    )


def history_favours(
    scenario: Scenario,
    accounts: Mapping[str, Mapping[str, float]],
    evidence: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[str, ...]:
    """One sentence per mechanism that has history's weights: each account's weight (with its
    90 % interval where the run kept what the weights rest on) against its prior, and whether
    history separates the accounts (``evidence``, :meth:`HistoryWeights.evidence
    <alliancesim.history_file.HistoryWeights.evidence>`): the account history favours is named
    only where it separates another from the best; where the summed log scores differ within
    noise it says so; where history leaves every account at its prior, that it cannot tell them
    apart."""
    out = []
    for m in scenario.mechanisms:
        weights = accounts.get(m.id)
        if not weights:
            continue
        priors = dict(zip((a.id for a in m.accounts), m.priors, strict=True))
        if all(abs(weights[a] - priors.get(a, 0.0)) < 1e-9 for a in weights):
            out.append(
                f"History cannot tell the accounts of {m.id} apart ({m.label}): their forecasts "
                "of the episodes are the same, so they keep their priors ("
                + ", ".join(f"{a} {percent(weights[a], 0)}" for a in weights)
                + ")."
            )
            continue
        known = (evidence or {}).get(m.id) or {}
        kept = known.get("accounts") or {}
        best = max(weights, key=lambda a: weights[a])
        ordered = [best, *(a for a in weights if a != best)]
        listed = "; ".join(
            f"{a} {percent(weights[a], 0)}{_interval(kept.get(a))} (prior "
            f"{percent(priors.get(a, 0.0), 0)})"
            for a in ordered
        )
        apart = [a for a in ordered if (kept.get(a) or {}).get("verdict") == "separated"]
        if not kept:
            out.append(f"History's weights for {m.id} ({m.label}): {listed}.")
        elif apart:
            out.append(
                f"History favours {best} for {m.id} ({m.label}): {listed}; it separates "
                f"{', '.join(apart)} from the best-scoring account."
            )
        else:
            episodes = known.get("episodes")
            on = f" on {episodes} episodes" if episodes else ""
            out.append(
                f"History does not separate the accounts of {m.id} ({m.label}): {listed} — "
                f"their forecasts{on} score within noise of one another, so the weights lean "
                "without deciding."
            )
    return tuple(out)


def _interval(kept: Mapping[str, Any] | None) -> str:
    """`` [lo–hi]``: a weight's 90 % interval, where the run kept it."""
    interval = percent_interval((kept or {}).get("interval"), 0)
    return f" {interval}" if interval else ""
