"""alliancesim: an exploratory ensemble model of the U.S.–South Korea alliance.

The Python API mirrors the command line::

    import alliancesim as asim
    scenario = asim.load_scenario("us-rok-2025")
    results = asim.run(scenario, members=2000, seed=0)
    results.summary()            # P(decoupling) per policy, indicator quantiles, paired differences
    results.dataset()            # xarray Dataset: policy × member × step (× actor × issue)

The names below are imported when first used, so ``import alliancesim`` (and the command line's
start-up) does not pay for NumPy, DuckDB and the engine until they are needed.
"""

import importlib as _importlib
import typing as _typing

__version__ = "0.1.0"

_WHERE = {
    "InputError": "alliancesim.errors",
    "Problem": "alliancesim.errors",
    "Model": "alliancesim.model",
    "compile_model": "alliancesim.model",
    "Results": "alliancesim.results",
    "Summary": "alliancesim.results",
    "run": "alliancesim.runner",
    "Scenario": "alliancesim.scenario",
    "builtin_scenarios": "alliancesim.scenario",
    "load_scenario": "alliancesim.scenario",
}

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

if _typing.TYPE_CHECKING:
    from alliancesim.errors import InputError, Problem
    from alliancesim.model import Model, compile_model
    from alliancesim.results import Results, Summary
    from alliancesim.runner import run
    from alliancesim.scenario import Scenario, builtin_scenarios, load_scenario


def __getattr__(name: str) -> _typing.Any:
    if name in _WHERE:
        value = getattr(_importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alliancesim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
