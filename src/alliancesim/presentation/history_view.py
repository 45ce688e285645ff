"""What history says about rival accounts, as typed rows (``alliancesim structures``).

One :class:`MechanismVerdict` per contested mechanism: each account's prior, its out-of-sample
scores on the episodes that declare the mechanism, history's weight (pseudo-BMA+ by default)
with its 90 % bootstrap interval and the BMA weight beside it, whether history separates it
from the best account, where they come from (the weights file or a computation just made), and
notes (a stale file, an episode left out). Built from a weights file's entry
(:func:`verdict_from_file`) or from a fresh weighing (:func:`verdict_from_weighing`), so both
read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alliancesim.presentation.formats import percent, percent_interval

__all__ = [
    "AccountVerdict",
    "MechanismVerdict",
    "verdict_from_file",
    "verdict_from_weighing",
    "verdict_without_history",
]


@dataclass(frozen=True)
class AccountVerdict:
    """One account: its modules and prior, its scores on history (mean CRPS on one footing and
    mean log score −log p over every target of the episodes, out of sample: nothing is fitted)
    and the weights history gives it (None: no history)."""

    id: str
    label: str
    modules: tuple[str, ...]
    prior: float
    weight: float | None
    bma_weight: float | None
    crps: float | None
    log_score: float | None
    interval: tuple[float, float] | None = None
    """The weight's 90 % bootstrap interval (None: the method does not resample)."""
    behind: float | None = None
    """How far its summed log score lies behind the best account's (nats)."""
    se: float | None = None
    """The standard error of ``behind`` across the episodes (folds)."""
    verdict: str = ""
    """best, identical, small, within noise or separated (from the best account)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "label": self.label,
            "modules": list(self.modules),
            "prior": self.prior,
            "weight": self.weight,
            "interval": None if self.interval is None else list(self.interval),
            "bma_weight": self.bma_weight,
            "crps": self.crps,
            "log_score": self.log_score,
            "log_score_behind_best": self.behind,
            "se": self.se,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class MechanismVerdict:
    """One mechanism: its accounts as history judged them, the episodes and targets behind the
    verdict, the leave-one-episode-out log score of the weighted mixture of accounts (each
    fold scored with weights fitted on the other folds), and where the verdict comes from."""

    id: str
    label: str
    question: str
    accounts: tuple[AccountVerdict, ...]
    episodes: tuple[str, ...]
    targets: int
    method: str
    weighted_loo_log_score: float | None
    source: str  # "file: <provenance>", "computed: <members, seed>", or "" (no history)
    notes: tuple[str, ...] = ()
    folds: tuple[dict[str, Any], ...] = ()

    @property
    def has_history(self) -> bool:
        """Whether any episode weighed the accounts."""
        return any(a.weight is not None for a in self.accounts)

    def favoured(self) -> tuple[str, float] | None:
        """The account history favours and its weight (None: no history)."""
        weighed = [a for a in self.accounts if a.weight is not None]
        if not weighed:
            return None
        best = max(weighed, key=lambda a: a.weight or 0.0)
        return best.id, float(best.weight or 0.0)

    def separated(self) -> tuple[AccountVerdict, ...]:
        """The accounts history separates from the best one."""
        return tuple(a for a in self.accounts if a.verdict == "separated")

    def sentence(self) -> str:
        """Which account history favours and how strongly, and whether history tells the
        accounts apart at all, in one or two sentences."""
        favoured = self.favoured()
        if favoured is None:
            return f"{self.id}: no episode declares it — its accounts keep their priors."
        name, weight = favoured
        chosen = next(a for a in self.accounts if a.id == name)
        best_single = min(
            (a.log_score for a in self.accounts if a.log_score is not None), default=None
        )
        score = ""
        if self.weighted_loo_log_score is not None and best_single is not None:
            score = (
                f"; out of sample the weighted accounts score {self.weighted_loo_log_score:.3g} "
                f"(log score per target) against {best_single:.3g} for the best account alone"
            )
        interval = percent_interval(chosen.interval, 0) if chosen.interval is not None else ""
        weighed = f"{percent(weight, 0)}{' ' + interval if interval else ''}"
        behind = [a for a in self.accounts if a.verdict and a.verdict != "best"]
        prior = f"against a prior of {percent(chosen.prior, 0)}"
        if self.separated() or not behind:
            lead = f"history favours {name} with weight {weighed} {prior}"
        elif all(a.verdict == "identical" for a in behind):
            lead = "the accounts keep their priors"
        else:  # nothing separated: the weights lean, history does not decide (see below)
            lead = f"the weights lean to {name}, {weighed} {prior}"
        text = (
            f"{self.id}: {lead} ({self.method} on "
            f"{len(self.episodes)} episode{'s' if len(self.episodes) != 1 else ''}, "
            f"{self.targets} targets{score})."
        )
        return text + self._separation()

    def _separation(self) -> str:
        behind = [a for a in self.accounts if a.verdict and a.verdict != "best"]
        if not behind:
            return ""
        apart = self.separated()
        if apart:
            return (
                " History separates "
                + ", ".join(
                    f"{a.id} (its summed log score {a.behind:.3g}"
                    + (f" ± {a.se:.2g}" if a.se is not None else "")
                    + " nats behind the best)"
                    for a in apart
                    if a.behind is not None
                )
                + " from the best account; "
                + ("not the others." if len(apart) < len(behind) else "the weights follow.")
            )
        if all(a.verdict == "identical" for a in behind):
            return " The accounts forecast every target alike: history cannot weigh them."
        worst = max((a for a in behind if a.behind is not None), key=lambda a: a.behind or 0.0)
        se = f" ± {worst.se:.2g}" if worst.se is not None else ""
        return (
            " History does not separate the accounts: their summed log scores differ by at most "
            f"{worst.behind:.2g}{se} nats (small below 4, or within twice the standard error)."
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "id": self.id,
            "label": self.label,
            "question": self.question,
            "accounts": [a.to_dict() for a in self.accounts],
            "episodes": list(self.episodes),
            "targets": self.targets,
            "method": self.method,
            "weighted_loo_log_score": self.weighted_loo_log_score,
            "favoured": self.favoured(),
            "sentence": self.sentence(),
            "source": self.source,
            "notes": list(self.notes),
            "folds": list(self.folds),
        }


def _labels(mechanism: Any) -> dict[str, str]:
    return {a.id: a.label for a in mechanism.accounts}


def verdict_without_history(mechanism: Any, notes: Sequence[str] = ()) -> MechanismVerdict:
    """A mechanism no episode weighs: its accounts with their priors only."""
    return MechanismVerdict(
        id=mechanism.id,
        label=mechanism.label,
        question=mechanism.question,
        accounts=tuple(
            AccountVerdict(a.id, a.label, tuple(a.include), float(p), None, None, None, None)
            for a, p in zip(mechanism.accounts, mechanism.priors, strict=True)
        ),
        episodes=(),
        targets=0,
        method="",
        weighted_loo_log_score=None,
        source="",
        notes=tuple(notes),
    )


def verdict_from_file(mechanism: Any, entry: Any, provenance: str) -> MechanismVerdict:
    """A mechanism's verdict from a weights file's entry
    (:class:`~alliancesim.history_file.MechanismWeights`), with the scenario's priors."""
    labels = _labels(mechanism)
    by_id = {a.id: a for a in entry.accounts}
    return MechanismVerdict(
        id=mechanism.id,
        label=mechanism.label,
        question=mechanism.question,
        accounts=tuple(
            AccountVerdict(
                a.id,
                labels.get(a.id, a.id),
                tuple(a.include),
                float(p),
                by_id[a.id].weight,
                by_id[a.id].bma_weight,
                by_id[a.id].crps,
                by_id[a.id].log_score,
                by_id[a.id].interval,
                by_id[a.id].difference,
                by_id[a.id].se,
                by_id[a.id].verdict,
            )
            for a, p in zip(mechanism.accounts, mechanism.priors, strict=True)
        ),
        episodes=tuple(entry.episodes),
        targets=entry.targets,
        method=provenance.split(" ", 1)[0],
        weighted_loo_log_score=entry.weighted_loo_score,
        source=f"file: {provenance}",
    )


def verdict_from_weighing(
    mechanism: Any, history: Any, members: int, seed: int
) -> MechanismVerdict:
    """A mechanism's verdict from a weighing just computed
    (:class:`~alliancesim.analysis.rivals.MechanismHistory`)."""
    scores = history.scores
    if scores is None:
        return verdict_without_history(mechanism, history.notes)
    bma = scores.bma.as_dict()
    intervals = scores.intervals
    apart = {x.name: x for x in scores.separation}
    return MechanismVerdict(
        id=mechanism.id,
        label=mechanism.label,
        question=mechanism.question,
        accounts=tuple(
            AccountVerdict(
                a.id,
                a.label,
                tuple(a.include),
                float(p),
                scores.weights[a.id],
                bma[a.id],
                scores.crps[a.id],
                scores.log[a.id],
                intervals.get(a.id),
                apart[a.id].difference if a.id in apart else None,
                apart[a.id].se if a.id in apart else None,
                apart[a.id].verdict if a.id in apart else "",
            )
            for a, p in zip(mechanism.accounts, mechanism.priors, strict=True)
        ),
        episodes=tuple(history.episodes),
        targets=scores.targets,
        method=scores.method,
        weighted_loo_log_score=scores.loo.combined if scores.loo.score == "log" else None,
        source=f"computed: {members:,} members, seed {seed}",
        notes=tuple(history.notes),
        folds=tuple(f.to_dict() for f in scores.loo.folds),
    )
