"""Which recommendation buys the most: the policies of a run ranked by how much they lower
P(decoupling), with every indicator's paired difference from ``baseline``.

Every member sees the same parameters and event streams under each policy, so a policy's
effect is estimated member by member: the paired difference (policy − baseline) of the
decoupled flag at the horizon, averaged over members, with a t 95 % interval: the policy's
*change* vs baseline (in probability; negative = fewer decouplings, the one sign convention of
the CLI, the report and the dashboard). Pairing removes the
between-world variance that dominates an unpaired comparison of two P(decoupling) estimates,
which is why policies can be told apart with a few thousand members.

Recommendations (and combinations of them) are ranked by the change (most negative first);
``baseline`` is ranked too (change 0), so a policy that makes decoupling *more* likely ranks
below it. Counterfactuals (a driver removed to test a claim, e.g. "no withdrawal") are not
courses of action anyone recommends: they are listed after the ranking, unranked, with the same
numbers. ``significant`` says whether the change's interval excludes 0.

Beside the change, each row carries the policy's *harmful share*
(:mod:`alliancesim.analysis.harm`): the share of worlds in which it decouples an alliance that
baseline keeps or leaves cohesion lower, paired against baseline. A policy can lower P(decoupling)
on average and still harm a fifth of the worlds; both numbers belong in the ranking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from alliancesim.results import Results

__all__ = ["rank_policies"]


def rank_policies(
    results: Results, policies: Sequence[str] | None = None, *, where: bool = False
) -> list[dict[str, Any]]:
    """The run's policies ranked by the paired change of P(decoupling by the horizon);
    ``policies``: only those (and baseline), ranked among themselves.

    Each entry: ``policy``, ``label``, ``kind``, ``rank`` (1 = lowers decoupling the most;
    None for counterfactuals),
    ``p_decoupling`` and ``p_decoupling_ci`` (Wilson 95 %), ``change`` and ``change_ci``
    (paired, policy − baseline, t 95 %), ``significant``, ``indicators``: per indicator its
    mean at the horizon and the paired ``mean_difference`` from baseline with its ``ci``, and
    ``harm``: the policy's :class:`~alliancesim.analysis.harm.Harm` as a dict (share of worlds
    it harms, its interval, each structure's share and, with ``where``, the parameters harm
    comes with), None for baseline.
    """
    from alliancesim.analysis.harm import harm_by_policy

    summary = results.summary()
    labels = {p.id: p.label for p in results.model.scenario.policies}
    kinds = {p.id: p.kind for p in results.model.scenario.policies}
    rows: list[dict[str, Any]] = []
    chosen = None if not policies else {"baseline", *policies}
    harms = harm_by_policy(
        results, [n for n in summary.policies if chosen is None or n in chosen], where=where
    )
    for name, p in summary.policies.items():
        if chosen is not None and name not in chosen:
            continue
        if name == "baseline":
            change, change_ci = 0.0, (0.0, 0.0)
        elif "decoupled" in p.vs_baseline:
            diff = p.vs_baseline["decoupled"]
            change = float(diff["mean_difference"])
            change_ci = (float(diff["ci"][0]), float(diff["ci"][1]))
        else:
            change, change_ci = math.nan, (math.nan, math.nan)
        indicators: dict[str, dict[str, Any]] = {}
        for ind in p.indicators:
            entry: dict[str, Any] = {"mean": p.indicators[ind]["mean"]}
            if name == "baseline":
                entry.update(mean_difference=0.0, ci=[0.0, 0.0])
            elif ind in p.vs_baseline:
                entry.update(
                    mean_difference=p.vs_baseline[ind]["mean_difference"],
                    ci=list(p.vs_baseline[ind]["ci"]),
                )
            indicators[ind] = entry
        rows.append(
            {
                "policy": name,
                "label": labels.get(
                    name, " + ".join(labels.get(part, part) for part in name.split("+"))
                )
                if name != "baseline"
                else "no change",
                "kind": _kind(name, kinds),
                "p_decoupling": p.p_decoupling,
                "p_decoupling_ci": list(p.p_decoupling_ci),
                "change": change,
                "change_ci": list(change_ci),
                "significant": name != "baseline" and (change_ci[0] > 0 or change_ci[1] < 0),
                "indicators": indicators,
                "harm": harms[name].to_dict() if name in harms else None,
            }
        )
    order = sorted(
        range(len(rows)),
        key=lambda k: (
            rows[k]["kind"] == "counterfactual",
            rows[k]["change"] if math.isfinite(rows[k]["change"]) else math.inf,
            k,
        ),
    )
    ranked = [rows[k] for k in order]
    rank = 0
    for row in ranked:
        if row["kind"] == "counterfactual":
            row["rank"] = None
        else:
            rank += 1
            row["rank"] = rank
    return ranked


def _kind(name: str, kinds: dict[str, str]) -> str:
    """baseline, recommendation, counterfactual, or (for a+b) counterfactual if any part is one."""
    if name == "baseline":
        return "baseline"
    parts = [kinds.get(part, "recommendation") for part in name.split("+")]
    return "counterfactual" if "counterfactual" in parts else "recommendation"
