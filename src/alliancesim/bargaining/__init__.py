"""Collective-decision models on one issue (see ``shared/BARGAINING.md`` and ``docs/bargaining.md``).

Five models, each validated against published results or a reference implementation:
``compromise`` (weighted mean), ``median`` (weighted median, the Condorcet winner),
``eum`` (Bueno de Mesquita's expected-utility model, Scholz et al. 2011 reading),
``smp`` (KAPSARC KTAB's spatial model of politics) and ``nash`` (asymmetric Nash
bargaining). The engine calls ``bargaining_round`` once per issue and step; users
forecast a stakeholder table with ``read_stakeholders`` and ``forecast`` (or
``alliancesim bargain FILE``).
"""

from alliancesim.bargaining.eum import EUMOptions
from alliancesim.bargaining.forecast import DEFAULT_ROUNDS, History, forecast
from alliancesim.bargaining.nash import NashOptions
from alliancesim.bargaining.rounds import MODELS, Round, bargaining_round
from alliancesim.bargaining.smp import SMPOptions
from alliancesim.bargaining.stakeholders import (
    Stakeholders,
    read_ktab_csv,
    read_stakeholder_csv,
    read_stakeholders,
)

__all__ = [
    "DEFAULT_ROUNDS",
    "MODELS",
    "EUMOptions",
    "History",
    "NashOptions",
    "Round",
    "SMPOptions",
    "Stakeholders",
    "bargaining_round",
    "forecast",
    "read_ktab_csv",
    "read_stakeholder_csv",
    "read_stakeholders",
]
