"""Where the dashboard's scenarios come from: the built-in library and checked uploads.

A scenario is named in the browser by a *reference*: ``builtin:<id>`` for a built-in one, or
``upload:<sha256>`` for an uploaded file that passed the validator and was kept, under its
content hash, in the dashboard's working directory. Nothing else is ever loaded, so a browser
cannot make the server read an arbitrary path. Loaded and compiled scenarios are cached by
reference (an upload's reference is its content, so the cache can never be stale for it).

This module also holds the editable ranges of the scenario's main uncertain parameters (its
``[[levers]]`` and ``[[parameters]]``) and applies a user's edits as parameter overrides.
"""

from __future__ import annotations

import re
import threading
import time
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliancesim.errors import InputError, Problem
from alliancesim.model import Model, compile_model
from alliancesim.scenario import builtin_scenarios, load_scenario, resolve, scenario_parameters
from alliancesim.scenario.schema import Override, Scenario
from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uncertain, Uniform

__all__ = [
    "DEFAULT_REFERENCE",
    "ScenarioSources",
    "apply_ranges",
    "builtin_reference",
    "builtin_title",
    "range_rows",
]

DEFAULT_REFERENCE = "builtin:us-rok-2025"
_UPLOAD = re.compile(r"^upload:([0-9a-f]{64})$")
_BUILTIN = re.compile(r"^builtin:([a-z0-9][a-z0-9_-]*)$")
RANGE_SOURCE = "assumption: range set in the dashboard"
OPTIONS_TTL = 30.0


def builtin_reference(scenario_id: str) -> str:
    """The reference of a built-in scenario."""
    return f"builtin:{scenario_id}"


@dataclass
class ScenarioSources:
    """The scenarios a dashboard offers: built-ins plus the uploads kept in ``uploads``."""

    uploads: Path
    cache_size: int = 8

    def __post_init__(self) -> None:
        self.uploads.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._builtin_options: tuple[float, list[dict[str, str]]] | None = None

    def upload_path(self, digest: str) -> Path:
        """Where an upload with this content hash is kept."""
        return self.uploads / f"{digest}.toml"

    def path_of(self, reference: Any) -> str | Path:
        """What :func:`load_scenario` is given for a reference (InputError if unknown)."""
        text = reference if isinstance(reference, str) else ""
        match = _BUILTIN.match(text)
        if match and match.group(1) in builtin_scenarios():
            return match.group(1)
        match = _UPLOAD.match(text)
        if match and self.upload_path(match.group(1)).is_file():
            return self.upload_path(match.group(1))
        shown = repr(reference) if len(repr(reference)) <= 80 else repr(reference)[:79] + "…"
        raise InputError.single(
            "scenario",
            f"unknown scenario {shown}: choose a built-in one or upload the file again",
        )

    @staticmethod
    def uploads_of(value: Any) -> list[dict[str, str]]:
        """The page's list of uploads it has made (dropdown options), keeping only entries of
        the right form: ``{"label": text, "value": "upload:<sha256>"}``."""
        if not isinstance(value, list):
            return []
        return [
            {"label": item["label"], "value": item["value"]}
            for item in value
            if isinstance(item, dict)
            and isinstance(item.get("label"), str)
            and isinstance(item.get("value"), str)
            and _UPLOAD.match(item["value"])
        ]

    def scenario(self, reference: Any) -> Scenario:
        """The loaded scenario a reference names."""
        return self.model(reference).scenario

    def model(self, reference: Any) -> Model:
        """The compiled model of a scenario reference (cached)."""
        if not isinstance(reference, str):
            self.path_of(reference)  # InputError: not a reference
        with self._lock:
            model = self._models.get(reference)
            if model is not None:
                self._models.move_to_end(reference)
                return model
        model = compile_model(load_scenario(self.path_of(reference)))
        with self._lock:
            self._models[reference] = model
            while len(self._models) > self.cache_size:
                self._models.popitem(last=False)
        return model

    def options(self, extra: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
        """Dropdown options: every built-in scenario (with its title), then ``extra``. The
        library is re-read at most every ``OPTIONS_TTL`` seconds (every page load asks)."""
        now = time.monotonic()
        with self._lock:
            cached = self._builtin_options
        if cached is None or now - cached[0] > OPTIONS_TTL:
            out = []
            for scenario_id in builtin_scenarios():
                title = builtin_title(scenario_id)
                label = f"{scenario_id} — {title}" if title else scenario_id
                out.append({"label": label, "value": builtin_reference(scenario_id)})
            cached = (now, out)
            with self._lock:
                self._builtin_options = cached
        return list(cached[1]) + list(extra or [])


def builtin_title(scenario_id: str) -> str:
    """A built-in scenario's title, read from its file without checking the scenario."""
    try:
        with resolve(scenario_id).open("rb") as handle:
            return str(tomllib.load(handle).get("scenario", {}).get("title", ""))
    except (OSError, tomllib.TOMLDecodeError):
        return ""


# --------------------------------------------------------------------------------------------
# ranges of the main uncertain parameters


def _bounds(value: Uncertain) -> tuple[float, float]:
    return value.support


def range_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One editable row per lever and named parameter: its name, meaning, distribution and
    the low and high ends of its range (equal for a fixed number)."""
    specs = scenario_parameters(scenario)
    rows = []
    for kind, entries in (("policy", scenario.levers), ("param", scenario.parameters)):
        for entry in entries:
            name = f"{kind}.{entry.id}"
            spec = specs[name]
            low, high = _bounds(spec.value)
            rows.append(
                {
                    "parameter": name,
                    "label": entry.label or entry.id.replace("_", " "),
                    "distribution": spec.value.describe(),
                    "low": low,
                    "high": high,
                }
            )
    return rows


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _revised(value: Uncertain, low: float, high: float) -> Uncertain:
    """The distribution with its range moved to [low, high], keeping its shape."""
    if low == high:
        return Fixed(low)
    if isinstance(value, Triangular):
        return Triangular(low, min(max(value.mode, low), high), high)
    if isinstance(value, Normal):
        mean = min(max(value.mean_, low), high)
        return Normal(mean, value.sd, low, high)
    return Uniform(low, high)


def apply_ranges(scenario: Scenario, rows: list[dict[str, Any]] | None) -> Scenario:
    """The scenario with the edited ranges as parameter overrides (sourced "range set in the
    dashboard"); InputError naming every row whose range is not a number pair or not allowed."""
    if not rows:
        return scenario
    specs = scenario_parameters(scenario)
    overrides, problems = [], []
    for row in rows:
        name = str(row.get("parameter", ""))
        spec = specs.get(name)
        if spec is None:
            problems.append(Problem("parameter ranges", None, name, "no such parameter"))
            continue
        low, high = _number(row.get("low")), _number(row.get("high"))
        if low is None or high is None:
            problems.append(
                Problem("parameter ranges", None, name, "low and high must both be numbers")
            )
            continue
        if low > high:
            problems.append(
                Problem("parameter ranges", None, name, f"low ({low:g}) exceeds high ({high:g})")
            )
            continue
        if (low, high) == _bounds(spec.value):
            continue
        value = _revised(spec.value, low, high)
        message = spec.problem(value)
        if message:
            problems.append(Problem("parameter ranges", None, name, message))
            continue
        overrides.append(Override(parameter=name, value=value, source=RANGE_SOURCE))
    if problems:
        raise InputError(problems)
    if not overrides:
        return scenario
    from alliancesim.scenario.overrides import apply_overrides

    return apply_overrides(scenario, overrides)
