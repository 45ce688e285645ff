"""The seeds' causal claims, tested on paired ensemble results.

A claim (scenario ``[[claims]]``) compares two policies on one recorded quantity at one step:
"``indicator`` under ``policy`` is ``greater`` (or ``less``) than under ``against``". Every
member of a run sees the same parameters and event streams under both policies, so the
comparison is made *member by member* (paired).

In each member the claim

- **holds** if the difference goes the expected way (strictly),
- **fails** if it goes the other way (strictly),
- **ties** if the two values are equal (to 1e-12, relative): the policies made no difference in
  that world, typically because the mechanism the claim is about never fired (no troop cut, so
  consulting about it changed nothing).

Ties say nothing for or against a causal claim, so they are *left out* of its share: the share
is holds / (holds + fails), the share of the members where the policies differ in which they
differ the expected way, with a Wilson 95 % interval. The share of ties and the share over all
members (holds / n) are reported beside it, so a claim that holds whenever its mechanism fires
but fires in 3 % of worlds is visible as such.

Verdicts (``statistic = "member"``), with margin m = 0.1 by default:

- **supported** if the interval's lower bound exceeds 0.5 + m (it holds in clearly more than
  60 % of the members where it is tested),
- **rejected** if the upper bound is below 0.5 − m (it holds in clearly fewer than 40 %),
- **contested** otherwise (including when no member separates the policies).

With ``statistic = "mean"`` the claim is about the paired mean difference d = policy − against
(t 95 % interval over all members, ties included as zeros): supported if the interval lies
entirely on the expected side of 0, rejected if entirely on the other side, else contested.

Where the claim fails, and not only whether: for each contested or rejected claim (and any
other with at least ``MIN_FAILURES`` failing members) PRIM searches the sampled parameters of
the members where the policies differ for the box in which the claim fails
(:func:`alliancesim.analysis.discovery.find_boxes`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from alliancesim.claim_classes import ClaimClass, classify_claim
from alliancesim.errors import InputError
from alliancesim.intervals import mean_interval, wilson_interval
from alliancesim.jsonable import plain
from alliancesim.results import Results
from alliancesim.scenario.schema import Claim, SeedQuote

__all__ = [
    "DEFAULT_MARGIN",
    "MIN_FAILURES",
    "TIE_TOLERANCE",
    "ClaimVerdict",
    "ClaimsOutcome",
    "check_claims",
    "claim_policies",
    "claim_values",
    "claims_outcome",
    "classify",
    "paired_values",
    "verdict_rule",
]

DEFAULT_MARGIN = 0.1
TIE_TOLERANCE = 1e-12
MIN_FAILURES = 10
"""A supported claim with at least this many failing members also gets its failure box."""

Verdict = Literal["supported", "contested", "rejected"]


def verdict_rule(statistic: str, margin: float = DEFAULT_MARGIN) -> dict[str, Any]:
    """The thresholds a verdict is read against, in words and numbers (shown with every verdict)."""
    if statistic == "mean":
        return {
            "statistic": "mean",
            "confidence": 0.95,
            "supported": "95 % interval of the paired mean difference entirely on the expected side of 0",
            "rejected": "95 % interval entirely on the other side of 0",
            "contested": "otherwise",
            "ties": "counted as zero differences",
        }
    return {
        "statistic": "member",
        "confidence": 0.95,
        "margin": margin,
        "supported_if_lower_bound_above": 0.5 + margin,
        "rejected_if_upper_bound_below": 0.5 - margin,
        "supported": f"Wilson 95 % lower bound of the share > {0.5 + margin:g}",
        "rejected": f"Wilson 95 % upper bound of the share < {0.5 - margin:g}",
        "contested": "otherwise, or no member where the policies differ",
        "ties": "members where both policies give equal values: left out of the share, "
        "reported as tie_share",
    }


@dataclass
class ClaimVerdict:
    """What the run says about one claim: how often it holds, the verdict, and where it fails."""

    claim_id: str
    statement: str
    seed: str | None
    quote: str | None
    source: str | None
    policy: str
    against: str
    indicator: str
    at: str
    step: int
    expect: str
    statistic: str
    n: int
    holds: int
    fails: int
    ties: int
    share: float
    share_ci: tuple[float, float]
    mean_difference: float
    mean_difference_ci: tuple[float, float]
    verdict: Verdict
    thresholds: dict[str, Any]
    failure_box: dict[str, Any] | None = None
    failure_note: str = ""
    claim_class: ClaimClass | None = None

    @property
    def reading(self) -> str:
        """How the verdict must be read: a contingent claim's verdict (supported, contested,
        rejected), else what its class says (holds or fails by construction, restates its
        prior) — never "supported" for a claim the model could not have rejected."""
        if self.claim_class is None or self.claim_class.name == "contingent":
            return self.verdict
        return self.claim_class.reading

    @property
    def comparison(self) -> str:
        """The comparison in words, e.g. ``nuclear_hedging.ROK at 2029Q4: baseline > consult_first``."""
        sign = ">" if self.expect == "greater" else "<"
        how = "in each member" if self.statistic == "member" else "on average over members"
        return f"{self.indicator} at {self.at}: {self.policy} {sign} {self.against} ({how})"

    @property
    def tie_share(self) -> float:
        """Share of members in which both policies give the same value."""
        return self.ties / self.n if self.n else math.nan

    @property
    def share_all(self) -> float:
        """Share of all members (ties counted as not holding) in which the claim holds."""
        return self.holds / self.n if self.n else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "claim_id": self.claim_id,
            "statement": self.statement,
            "seed": self.seed,
            "quote": self.quote,
            "source": self.source,
            "comparison": self.comparison,
            "policy": self.policy,
            "against": self.against,
            "indicator": self.indicator,
            "at": self.at,
            "step": self.step,
            "expect": self.expect,
            "statistic": self.statistic,
            "n": self.n,
            "holds": self.holds,
            "fails": self.fails,
            "ties": self.ties,
            "tie_share": self.tie_share,
            "share": _json(self.share),
            "share_ci": [self.share_ci[0], self.share_ci[1]],
            "share_all": self.share_all,
            "mean_difference": _json(self.mean_difference),
            "mean_difference_ci": [_json(v) for v in self.mean_difference_ci],
            "verdict": self.reading,
            "statistical_verdict": self.verdict,
            "class": self.claim_class.name if self.claim_class else None,
            "class_reason": self.claim_class.reason if self.claim_class else "",
            "class_details": self.claim_class.details if self.claim_class else {},
            "thresholds": self.thresholds,
            "failure_box": self.failure_box,
            "failure_note": self.failure_note,
        }


def _json(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def claim_policies(claims: list[Claim]) -> list[str]:
    """The policies (and ``a+b`` combinations) a set of claims compares, in first-use order."""
    out: list[str] = []
    for claim in claims:
        for name in (claim.compare.policy, claim.compare.against):
            if name not in out:
                out.append(name)
    return out


_ClaimValues = dict[int, dict[tuple[str, str], dict[str, np.ndarray]]]
"""Claims' quantities as read once: step → (structure, policy) → name → value per member."""


def claim_values(results: Results, claims: Sequence[Claim]) -> _ClaimValues:
    """The quantities ``claims`` compare, each member's value under every policy of the run at
    each step the claims read them (one read per step: :meth:`RunFiles.values_at`; within
    :meth:`Results.reading` one read for all the run's structures). Claims whose step cannot
    be read are left to :func:`paired_values` to report."""
    from alliancesim.analysis.experiments import measure_step

    wanted: dict[int, set[str]] = {}
    for claim in claims:
        try:
            step = measure_step(results.model, claim.compare.at)
        except InputError:
            continue
        wanted.setdefault(step, set()).add(claim.compare.indicator)
    return {step: results.files.values_at(step, sorted(names)) for step, names in wanted.items()}


def paired_values(
    results: Results, claim: Claim, *, con: Any = None, values: _ClaimValues | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """The claim's quantity per member under its policy and under ``against``, and the step;
    taken from ``values`` (:func:`claim_values`) when they hold it, else read from the run."""
    from alliancesim.analysis.discovery import member_values
    from alliancesim.analysis.experiments import measure_step

    compare = claim.compare
    missing = [p for p in (compare.policy, compare.against) if p not in results.policies]
    if missing:
        file, line = claim.origin
        raise InputError.single(
            file,
            f"claim {claim.id!r} compares {', '.join(repr(p) for p in missing)}, which this run "
            f"did not simulate (run: {', '.join(results.policies)})",
            line=line,
            field="compare",
        )
    step = measure_step(results.model, compare.at)
    if values is not None and not results.several:
        read = {p: found for (_, p), found in values.get(step, {}).items()}
        pair = [read.get(p, {}).get(compare.indicator) for p in (compare.policy, compare.against)]
        if pair[0] is not None and pair[1] is not None:
            return pair[0], pair[1], step
    a = member_values(results, compare.indicator, compare.policy, step, con=con)
    b = member_values(results, compare.indicator, compare.against, step, con=con)
    return a, b, step


def classify(
    a: np.ndarray, b: np.ndarray, expect: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per member: does ``a`` beat ``b`` the expected way (holds), the other way (fails), or
    tie (equal to ``TIE_TOLERANCE``, relative)? Also the oriented difference (positive =
    expected way). Exactly one of holds, fails, tie is true in each member."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a - b if expect == "greater" else b - a
    tie = np.abs(d) <= TIE_TOLERANCE * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return (d > 0) & ~tie, (d < 0) & ~tie, tie, d


def _verdict(
    statistic: str,
    share_ci: tuple[float, float],
    decisive: int,
    mean_ci: tuple[float, float],
    margin: float,
) -> Verdict:
    if statistic == "mean":
        lo, hi = mean_ci
        if lo > 0:
            return "supported"
        if hi < 0:
            return "rejected"
        return "contested"
    if decisive == 0:
        return "contested"
    if share_ci[0] > 0.5 + margin:
        return "supported"
    if share_ci[1] < 0.5 - margin:
        return "rejected"
    return "contested"


def _evaluate(
    results: Results,
    claim: Claim,
    margin: float,
    discover: bool,
    parameters: Any,
    values: _ClaimValues,
    memo: dict[Any, Any],
) -> ClaimVerdict:
    compare = claim.compare
    a, b, step = paired_values(results, claim, values=values)
    holds, fails, tie, d = classify(a, b, compare.expect)
    n_holds, n_fails, n_ties = int(holds.sum()), int(fails.sum()), int(tie.sum())
    decisive = n_holds + n_fails
    share = n_holds / decisive if decisive else math.nan
    share_ci = wilson_interval(n_holds, decisive)
    # d is oriented (positive = the expected way); the report gives policy − against
    oriented_mean, oriented_ci = mean_interval(np.where(tie, 0.0, d))
    verdict = _verdict(compare.statistic, share_ci, decisive, oriented_ci, margin)
    mean, mean_ci = oriented_mean, oriented_ci
    if compare.expect == "less":
        mean, mean_ci = -oriented_mean, (-oriented_ci[1], -oriented_ci[0])
    source = claim.source
    seed = quote = text = None
    if isinstance(source, SeedQuote):
        seed, quote = source.seed, source.quote
    elif isinstance(source, str):
        text = source
    box: dict[str, Any] | None = None
    note = ""
    if discover and (verdict != "supported" or n_fails >= MIN_FAILURES):
        box, note = _failure_box(parameters, holds, fails)
    kind = classify_claim(
        results.model,
        claim,
        parameters=parameters,
        holds=holds,
        fails=fails,
        share=share,
        structure=results.primary_structure,
        memo=memo,
    )
    return ClaimVerdict(
        claim_id=claim.id,
        statement=claim.statement,
        seed=seed,
        quote=quote,
        source=text,
        policy=compare.policy,
        against=compare.against,
        indicator=compare.indicator,
        at=results.model.clock.label(step),
        step=step,
        expect=compare.expect,
        statistic=compare.statistic,
        n=len(d),
        holds=n_holds,
        fails=n_fails,
        ties=n_ties,
        share=share,
        share_ci=share_ci,
        mean_difference=mean,
        mean_difference_ci=mean_ci,
        verdict=verdict,
        thresholds=verdict_rule(compare.statistic, margin),
        failure_box=box,
        failure_note=note,
        claim_class=kind,
    )


def _failure_box(
    parameters: Any, holds: np.ndarray, fails: np.ndarray
) -> tuple[dict[str, Any] | None, str]:
    from alliancesim.analysis.discovery import MIN_CASES, find_boxes

    decisive = holds | fails
    if not decisive.any():
        return None, "no member where the policies differ: nothing to search"
    if int(fails.sum()) < MIN_CASES:
        return None, f"fewer than {MIN_CASES} members where the claim fails: no box searched"
    if parameters is None or parameters.shape[1] == 0:
        return None, "the scenario has no uncertain parameters to search"
    x = parameters.iloc[np.flatnonzero(decisive)]
    boxes = find_boxes(x, fails[decisive])
    if not boxes:
        return None, "no parameter varies among the members where the policies differ"
    out = boxes[0].to_dict()
    out["searched_members"] = int(decisive.sum())
    out["outcome"] = (
        "the claim fails (difference the other way), among members where the policies differ"
    )
    return out, ""


def check_claims(
    results: Results,
    *,
    discover: bool = True,
    claims: list[Claim] | None = None,
    margin: float = DEFAULT_MARGIN,
    memo: dict[Any, Any] | None = None,
) -> list[ClaimVerdict]:
    """Test each claim of the run's scenario (or ``claims``) on the run's paired members.

    The run must include every policy the claims compare (see :func:`claim_policies`). With
    ``discover``, PRIM boxes locate where a contested or rejected claim fails. The claims'
    quantities are read once (:func:`claim_values`); ``memo`` keeps what the claims' classes
    work out from the model alone, for reuse by the next call (another structure of the run).
    A run of several rival structures is checked under each structure and their weighted
    combination by :func:`alliancesim.workflows.claims_of_run` (what ``alliancesim claims``
    does), or under one of them: ``check_claims(results.structure(name))``.
    """
    if results.several:
        raise ValueError(
            f"check_claims tests one structure's members and this run holds "
            f"{len(results.structures)}: alliancesim.workflows.claims_of_run(results) checks "
            "every structure and their weighted combination; check_claims(results.structure("
            f"name)) one of them ({', '.join(results.structures)})"
        )
    if not 0 <= margin < 0.5:
        raise InputError.single("--margin", f"margin must lie in [0, 0.5), got {margin}")
    claims = list(results.model.scenario.claims if claims is None else claims)
    if not claims:
        return []
    parameters = results.parameters()  # the classes read them; the failure boxes too
    values = claim_values(results, claims)
    memo = {} if memo is None else memo
    return [
        _evaluate(results, claim, margin, discover, parameters, values, memo) for claim in claims
    ]


@dataclass
class ClaimsOutcome:
    """The claim verdicts of a run (as plain ``to_dict()`` data), or why there are none.

    ``searched`` says whether the failure regions (PRIM boxes) were searched; verdicts checked
    without the search carry no boxes, and reports say so.
    """

    verdicts: list[dict[str, Any]] | None
    note: str = ""
    searched: bool = False


def claims_outcome(
    results: Results,
    *,
    discover: bool = False,
    margin: float = DEFAULT_MARGIN,
    memo: dict[Any, Any] | None = None,
) -> ClaimsOutcome:
    """The scenario's claims checked on a run, or why they could not be.

    A run that cannot answer its claims (a policy a claim compares was not run) gets the reason;
    a bug in checking them is reported as a warning and never loses the run. With ``discover``
    the regions where claims fail are searched too (PRIM, slower than most runs); ``memo`` as
    for :func:`check_claims`.
    """
    if not results.model.scenario.claims:
        return ClaimsOutcome([], "the scenario makes no claims", searched=discover)
    try:
        verdicts = check_claims(results, discover=discover, margin=margin, memo=memo)
    except InputError as exc:
        return ClaimsOutcome(None, f"claims not evaluated: {exc}")
    except Exception as exc:  # a bug in the claims must not lose the run
        warnings.warn(f"checking the claims failed: {exc!r}", RuntimeWarning, stacklevel=2)
        return ClaimsOutcome(None, f"claims not evaluated: checking them failed ({exc!r})")
    return ClaimsOutcome([plain(v.to_dict()) for v in verdicts], searched=discover)
