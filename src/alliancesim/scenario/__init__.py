"""Scenarios of the alliance: schema, TOML loading with precise errors, the built-in library.

The names below are imported when first used, so that a module of this package (the built-in
library's listing, say) can be read without building the whole schema.
"""

import importlib as _importlib
import typing as _typing

_WHERE = {
    "Clock": "alliancesim.scenario.clock",
    "Namespace": "alliancesim.scenario.names",
    "ParameterSpec": "alliancesim.scenario.parameters",
    "Scenario": "alliancesim.scenario.schema",
    "builtin_modules": "alliancesim.scenario.loader",
    "builtin_scenarios": "alliancesim.scenario.loader",
    "load_scenario": "alliancesim.scenario.loader",
    "resolve": "alliancesim.scenario.loader",
    "scenario_parameters": "alliancesim.scenario.parameters",
}

__all__ = [
    "Clock",
    "Namespace",
    "ParameterSpec",
    "Scenario",
    "builtin_modules",
    "builtin_scenarios",
    "load_scenario",
    "resolve",
    "scenario_parameters",
]

if _typing.TYPE_CHECKING:
    from alliancesim.scenario.clock import Clock
    from alliancesim.scenario.loader import (
        builtin_modules,
        builtin_scenarios,
        load_scenario,
        resolve,
    )
    from alliancesim.scenario.names import Namespace
    from alliancesim.scenario.parameters import ParameterSpec, scenario_parameters
    from alliancesim.scenario.schema import Scenario


def __getattr__(name: str) -> _typing.Any:
    if name in _WHERE:
        value = getattr(_importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'alliancesim.scenario' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
