"""Quantile bands of quantities over ensemble members, per policy and step (for fan charts)."""

from __future__ import annotations

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
    """Per policy and step, the ``quantiles`` of each named quantity over members (DuckDB); of
    one structure, the seed's if run (a run of several: :attr:`Results.primary_structure`)."""
    if results.several:
        results = results.structure(results.primary_structure)
    steps = results.model.horizon + 1
    values = results.files.quantiles_by_step(names, quantiles, results.policies, steps)
    return Bands(results.steps, tuple(quantiles), values)
