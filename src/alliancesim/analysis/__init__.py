"""Analysis of paired ensembles: policy ranking, sensitivity (SALib), scenario discovery (PRIM).

- :func:`~alliancesim.analysis.compare.rank_policies`: which recommendation lowers
  P(decoupling) the most (paired differences from baseline), and in what share of worlds each
  harms (:func:`~alliancesim.analysis.harm.harm_by_policy`);
- :func:`~alliancesim.analysis.sensitivity.sobol_indices`,
  :func:`~alliancesim.analysis.sensitivity.morris_screening`: what drives an outcome;
- :func:`~alliancesim.analysis.discovery.discover`: where in parameter space it happens;
- :class:`~alliancesim.analysis.experiments.Experiments`: the model at chosen parameter points.

Claims are tested in :mod:`alliancesim.claims`.
"""

from alliancesim.analysis.compare import rank_policies
from alliancesim.analysis.discovery import DiscoveryResult, PrimBox, discover, find_boxes
from alliancesim.analysis.experiments import Experiments, ParameterSpace, parameter_space
from alliancesim.analysis.harm import Harm, harm_by_policy
from alliancesim.analysis.sensitivity import SensitivityResult, morris_screening, sobol_indices

__all__ = [
    "DiscoveryResult",
    "Experiments",
    "Harm",
    "ParameterSpace",
    "PrimBox",
    "SensitivityResult",
    "discover",
    "find_boxes",
    "harm_by_policy",
    "morris_screening",
    "parameter_space",
    "rank_policies",
    "sobol_indices",
]
