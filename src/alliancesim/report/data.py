"""What the report and the dashboard show, computed from a run as plain data.

Figure functions (figures.py) take these plain structures, so a figure can be drawn from a
live run, a stored run or data sent to a browser alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from alliancesim.results import Results
from alliancesim.scenario.schema import Scenario, SeedQuote

__all__ = [
    "BAND_QUANTILES",
    "Bands",
    "BestRecommendation",
    "best_recommendation",
    "indicator_bands",
    "key_indicators",
    "policy_label",
    "policy_ranking",
    "recommendation_policies",
    "seed_quotes",
]

BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
MAX_KEY_INDICATORS = 6


def policy_label(scenario: Scenario, name: str) -> str:
    """A policy's label from the scenario (combinations joined with ' + ')."""
    if name == "baseline":
        return "Baseline: no change"
    labels = {p.id: p.label for p in scenario.policies}
    return " + ".join(labels.get(part, part) for part in name.split("+"))


def recommendation_policies(scenario: Scenario, policies: list[str]) -> list[str]:
    """The run's policies made only of recommendations (not counterfactuals, not baseline)."""
    kinds = {p.id: p.kind for p in scenario.policies}
    return [
        name
        for name in policies
        if name != "baseline"
        and all(kinds.get(part) == "recommendation" for part in name.split("+"))
    ]


@dataclass(frozen=True)
class BestRecommendation:
    """The recommendation (or combination of recommendations) that lowers P(decoupling) most."""

    policy: str
    label: str
    reduction: float
    reduction_ci: tuple[float, float]
    p_decoupling: float

    @property
    def significant(self) -> bool:
        """Whether the paired reduction's 95 % interval lies above zero."""
        return self.reduction_ci[0] > 0

    def change(self) -> str:
        """The reduction in words: 'X percentage points [lo, hi], to P'."""
        lo, hi = self.reduction_ci
        return (
            f"{100 * self.reduction:.1f} percentage points [{100 * lo:.1f}, {100 * hi:.1f}], "
            f"to {100 * self.p_decoupling:.1f} %"
        )


def best_recommendation(results: Results, ranking: list[dict[str, Any]]) -> BestRecommendation | None:
    """The ranked recommendation with the largest paired reduction of P(decoupling), if any."""
    candidates = set(recommendation_policies(results.model.scenario, results.policies))
    rows = [r for r in ranking if r["policy"] in candidates and math.isfinite(r["reduction"])]
    if not rows:
        return None
    best = max(rows, key=lambda r: r["reduction"])
    lo, hi = best["reduction_ci"]
    return BestRecommendation(
        policy=best["policy"],
        label=policy_label(results.model.scenario, best["policy"]),
        reduction=float(best["reduction"]),
        reduction_ci=(float(lo), float(hi)),
        p_decoupling=float(best["p_decoupling"]),
    )


def key_indicators(results: Results, limit: int = MAX_KEY_INDICATORS) -> list[str]:
    """The quantities worth a fan chart: the scenario's key indicators, those the decoupling
    condition reads, those the claims compare, then the other indicators; only recorded ones,
    at most ``limit``."""
    scenario = results.model.scenario
    with results.connect() as con:
        recorded = {row[0] for row in con.execute("DESCRIBE trajectories").fetchall()} - {
            "policy",
            "member",
            "step",
            "decoupled",
        }
    wanted: list[str] = list(scenario.scenario.key_indicators)
    wanted += sorted(scenario.decoupling.when.names)
    wanted += [c.compare.indicator for c in scenario.claims]
    wanted += [i for i in results.model.indicator_names if not i.startswith("signal_")]
    wanted += results.model.indicator_names
    out: list[str] = []
    for name in wanted:
        if name in recorded and name not in out:
            out.append(name)
    return out[:limit]


@dataclass
class Bands:
    """Quantiles of quantities over members, per policy and step."""

    steps: list[str]  # period labels of steps 0..H
    quantiles: tuple[float, ...]
    values: dict[str, dict[str, list[list[float]]]]  # name -> policy -> [quantile][step]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {"steps": self.steps, "quantiles": list(self.quantiles), "values": self.values}


def indicator_bands(
    results: Results, names: list[str], quantiles: tuple[float, ...] = BAND_QUANTILES
) -> Bands:
    """Per policy and step, the ``quantiles`` of each named quantity over members (DuckDB)."""
    steps = results.model.horizon + 1
    values = results.files.quantiles_by_step(names, quantiles, results.policies, steps)
    return Bands(results.steps, tuple(quantiles), values)


def policy_ranking(results: Results) -> list[dict[str, Any]]:
    """The run's policies ranked by how much they lower P(decoupling) (paired, vs baseline),
    counterfactuals after them unranked (``alliancesim.analysis.compare.rank_policies``)."""
    from alliancesim.analysis.compare import rank_policies

    return rank_policies(results)


def seed_quotes(scenario: Scenario) -> dict[str, list[tuple[str, SeedQuote]]]:
    """Every verbatim seed quote the scenario cites, by seed file: (what cites it, quote)."""
    out: dict[str, list[tuple[str, SeedQuote]]] = {}
    seen: set[tuple[str, str]] = set()
    groups = (
        ("actor", scenario.actors),
        ("lever", scenario.levers),
        ("parameter", scenario.parameters),
        ("issue", scenario.issues),
        ("state", scenario.state),
        ("rule", scenario.rules),
        ("event", scenario.events),
        ("scheduled event", scenario.schedule),
        ("action", scenario.actions),
        ("policy", scenario.policies),
        ("claim", scenario.claims),
        ("indicator", scenario.indicators),
    )
    for kind, entries in groups:
        for entry in entries:
            sources = [entry.source, *entry.sources.values()]
            if kind == "issue":
                for stance in entry.positions.values():
                    sources += [stance.source, *stance.sources.values()]
            for source in sources:
                if not isinstance(source, SeedQuote):
                    continue
                key = (source.seed, source.quote)
                if key in seen:
                    continue
                seen.add(key)
                out.setdefault(source.seed, []).append((f"{kind} {entry.id}", source))
    decoupling = scenario.decoupling.source
    if isinstance(decoupling, SeedQuote) and (decoupling.seed, decoupling.quote) not in seen:
        out.setdefault(decoupling.seed, []).append(("decoupling", decoupling))
    return out
