"""alliancesim: an exploratory ensemble model of the U.S.–South Korea alliance.

The Python API mirrors the command line::

    import alliancesim as asim
    scenario = asim.load_scenario("us-rok-2025")
    results = asim.run(scenario, members=2000, seed=0)
    results.summary()            # P(decoupling) per policy, indicator quantiles, paired differences
    results.dataset()            # xarray Dataset: policy × member × step (× actor × issue)
"""

from alliancesim.errors import InputError, Problem
from alliancesim.model import Model, compile_model
from alliancesim.results import Results, Summary
from alliancesim.runner import run
from alliancesim.scenario import Scenario, builtin_scenarios, load_scenario

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Model",
    "Problem",
    "Results",
    "Scenario",
    "Summary",
    "__version__",
    "builtin_scenarios",
    "compile_model",
    "load_scenario",
    "run",
]
