"""Quantile bands of quantities over ensemble members, per policy and step (for fan charts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliancesim.results import Results

__all__ = ["BAND_QUANTILES", "Bands", "indicator_bands"]

BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


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
    H = results.model.horizon
    values: dict[str, dict[str, list[list[float]]]] = {
        n: {p: [[math.nan] * (H + 1) for _ in quantiles] for p in results.policies} for n in names
    }
    if names:
        q = ", ".join(str(x) for x in quantiles)
        parts = ", ".join(f'quantile_cont("{n}", [{q}])' for n in names)
        with results.connect(parameters=False) as con:
            rows = con.execute(
                f"SELECT policy::VARCHAR, step, {parts} FROM trajectories GROUP BY ALL"
            ).fetchall()
        for policy, step, *per_name in rows:
            if policy not in results.policies:
                continue
            for name, qs in zip(names, per_name, strict=True):
                for k, v in enumerate(qs):
                    values[name][policy][k][int(step)] = float(v)
    return Bands(results.steps, tuple(quantiles), values)
