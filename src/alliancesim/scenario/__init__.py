"""Scenarios of the alliance: schema, TOML loading with precise errors, the built-in library."""

from alliancesim.scenario.clock import Clock
from alliancesim.scenario.loader import builtin_modules, builtin_scenarios, load_scenario, resolve
from alliancesim.scenario.names import Namespace
from alliancesim.scenario.parameters import ParameterSpec, scenario_parameters
from alliancesim.scenario.schema import Scenario

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
