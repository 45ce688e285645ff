"""Load a scenario from TOML: parse, validate every entry, resolve includes, check every reference.

All problems are collected and raised together as one :class:`~alliancesim.errors.InputError`,
each naming the file, the line, the field path and what was expected. Entries that fail the
schema are left out of the cross-reference checks (their ids still count as declared), so one
mistake does not cascade into many.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from alliancesim.errors import InputError, Problem
from alliancesim.expr import ParsedExpression
from alliancesim.scenario import schema as S
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.names import Namespace, suggest
from alliancesim.scenario.parameters import scenario_parameters
from alliancesim.scenario.toml_lines import LineMap, map_lines

__all__ = ["LIBRARY", "builtin_modules", "builtin_scenarios", "load_scenario", "resolve"]

LIBRARY = Path(__file__).parent / "library"

_SCENARIO_SECTIONS: dict[str, type[BaseModel]] = {
    "actors": S.Actor,
    "levers": S.Lever,
    "parameters": S.Parameter,
    "issues": S.Issue,
    "state": S.StateVariable,
    "rules": S.Rule,
    "events": S.Event,
    "schedule": S.Scheduled,
    "actions": S.Action,
    "policies": S.Policy,
    "claims": S.Claim,
    "indicators": S.Indicator,
    "observations": S.Observation,
}
_SCENARIO_SINGLES: dict[str, type[BaseModel]] = {"scenario": S.Meta, "decoupling": S.Decoupling}
_MODULE_SECTIONS: dict[str, type[BaseModel]] = {
    "parameters": S.Parameter,
    "rules": S.Rule,
    "indicators": S.Indicator,
}
_MODULE_SINGLES: dict[str, type[BaseModel]] = {"module": S.ModuleMeta}


def _library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.toml"))


def builtin_scenarios() -> list[str]:
    """Ids of the built-in scenarios and episodes (not rule modules), sorted."""
    out = []
    for path in _library_files():
        head = path.read_text(encoding="utf-8")[:4000]
        if "[scenario]" in head:
            out.append(path.stem)
    return out


def builtin_modules() -> list[str]:
    """Names of the built-in rule modules (e.g. ``dilemma``)."""
    return [p.stem for p in _library_files() if p.stem not in builtin_scenarios()]


def resolve(reference: str | Path, *, relative_to: Path | None = None) -> Path:
    """The file a scenario reference names: a built-in id, or a path (relative to a file)."""
    text = str(reference)
    candidate = Path(text)
    if not text.endswith(".toml") and "/" not in text and (LIBRARY / f"{text}.toml").exists():
        return LIBRARY / f"{text}.toml"
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to.parent / candidate
    return candidate


@dataclass
class _File:
    path: Path
    display: str
    raw: dict[str, Any]
    lines: LineMap
    parts: dict[str, Any] = field(default_factory=dict)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: _File | str, path: tuple[Any, ...], message: str, line: int | None = None) -> None:
        if isinstance(file, _File):
            display = file.display
            if line is None:
                line = file.lines.line(path)
        else:
            display = file
        self.problems.append(Problem(display, line, _dotted(path), message))


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        if path.resolve().is_relative_to(LIBRARY.resolve()):
            return f"<library>/{path.name}"
        return str(path)


def _read(path: Path, problems: _Collector) -> _File | None:
    display = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(display, (), "no such file (and not a built-in scenario: "
                     + ", ".join(builtin_scenarios()) + ")")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(display, (), f"cannot read the file as UTF-8 text ({exc.__class__.__name__})")
        return None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "msg", str(exc))
        problems.add(display, (), f"TOML syntax error: {message}", line=line)
        return None
    return _File(path, display, raw, map_lines(text))


def _message(error: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        hint = suggest(str(loc[-1]), allowed) if allowed else ""
        listing = f"; expected one of: {', '.join(allowed)}" if allowed and not hint else ""
        return f"unknown field {loc[-1]!r}{hint}{listing}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("value_error", "assertion_error"):
        return message
    shown = repr(error.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{message[0].lower()}{message[1:]}, got {shown}"


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model at ``loc``, for 'unknown field' hints."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            if isinstance(part, int):
                continue
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        annotation = info.annotation
        # unwrap list[...] / dict[str, ...] / Optional[...]
        for _ in range(3):
            args = typing.get_args(annotation)
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                annotation = models[0]
                break
            if args:
                annotation = args[-1]
        current = annotation
        if isinstance(current, type) and issubclass(current, BaseModel) and typing.get_origin(
            info.annotation
        ) is dict:
            # a dict of models: the next loc part is the key, skip it
            loc_rest = loc[loc.index(part) + 1 :]
            if loc_rest:
                return _allowed_fields(current, loc_rest[1:])
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _validate_one(
    file: _File, model: type[BaseModel], data: Any, loc: tuple[Any, ...], problems: _Collector
) -> Any:
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            full = (*loc, *error["loc"])
            problems.add(file, full, _message(error, model, tuple(error["loc"])))
        return None
    _set_origins(value, file, loc)
    return value


def _set_origins(value: Any, file: _File, loc: tuple[Any, ...]) -> None:
    if isinstance(value, S.Entry):
        value._origin = (file.display, file.lines.line(loc))
    if isinstance(value, S.Issue):
        for actor, stance in value.positions.items():
            _set_origins(stance, file, (*loc, "positions", actor))


def _validate_file(file: _File, problems: _Collector) -> str:
    """Validate each entry of a scenario or module file into ``file.parts``; return its kind."""
    raw = file.raw
    is_module = "module" in raw and "scenario" not in raw
    sections = _MODULE_SECTIONS if is_module else _SCENARIO_SECTIONS
    singles = _MODULE_SINGLES if is_module else _SCENARIO_SINGLES
    for key in raw:
        if key not in sections and key not in singles:
            allowed = [*singles, *sections]
            problems.add(
                file, (key,), f"unknown section {key!r}{suggest(key, allowed)}; a "
                + ("module" if is_module else "scenario")
                + " has: "
                + ", ".join(allowed),
            )
    for key, model in singles.items():
        if key not in raw:
            if key == "scenario" and not is_module:
                problems.add(file, (), "missing [scenario] table (id, title, start, horizon…)", line=1)
            elif key == "decoupling":
                problems.add(file, (), "missing [decoupling] table (when, for_steps)", line=None)
            continue
        if not isinstance(raw[key], dict):
            problems.add(file, (key,), f"[{key}] must be a table")
            continue
        file.parts[key] = _validate_one(file, model, raw[key], (key,), problems)
    for key, model in sections.items():
        items = raw.get(key, [])
        if not isinstance(items, list):
            problems.add(file, (key,), f"{key} must be an array of tables ([[{key}]])")
            continue
        valid = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.add(file, (key, i), f"each [[{key}]] entry must be a table")
                continue
            value = _validate_one(file, model, item, (key, i), problems)
            valid.append((i, item, value))
        file.parts[key] = valid
    return "module" if is_module else "scenario"


# --------------------------------------------------------------------------------------------
# includes


def _load_includes(
    file: _File, names: list[str], stack: list[Path], problems: _Collector, out: list[_File]
) -> None:
    include_loc = ("module" if "module" in file.raw else "scenario", "include")
    for k, name in enumerate(names):
        path = resolve(name, relative_to=file.path)
        loc = (*include_loc, k)
        if not path.exists():
            known = builtin_modules()
            problems.add(file, loc, f"cannot include {name!r}: no such module or file"
                         + (suggest(name, known) or f" (built-in modules: {', '.join(known)})"))
            continue
        resolved = path.resolve()
        if resolved in stack:
            chain = " -> ".join(_display(p) for p in [*stack, resolved])
            problems.add(file, loc, f"include cycle: {chain}")
            continue
        if any(f.path.resolve() == resolved for f in out):
            continue  # already included through another path
        child = _read(path, problems)
        if child is None:
            continue
        kind = _validate_file(child, problems)
        if kind != "module":
            problems.add(file, loc, f"{name!r} is a scenario, not a rule module; only modules can be included")
            continue
        out.append(child)
        meta = child.parts.get("module")
        if meta is not None:
            _load_includes(child, list(meta.include), [*stack, resolved], problems, out)


# --------------------------------------------------------------------------------------------
# cross-reference checks


@dataclass
class _Merged:
    """Valid entries of every section, from the scenario and its modules, with where they are."""

    entries: dict[str, list[tuple[_File, tuple[Any, ...], Any]]]
    declared: dict[str, list[tuple[_File, tuple[Any, ...], str]]]


def _merge(main: _File, modules: list[_File]) -> _Merged:
    entries: dict[str, list[tuple[_File, tuple[Any, ...], Any]]] = {}
    declared: dict[str, list[tuple[_File, tuple[Any, ...], str]]] = {}
    for file in [main, *modules]:
        for key in _SCENARIO_SECTIONS:
            for i, raw, value in file.parts.get(key, []):
                loc = (key, i)
                if value is not None:
                    entries.setdefault(key, []).append((file, loc, value))
                ident = raw.get("id") if isinstance(raw, dict) else None
                if isinstance(ident, str):
                    declared.setdefault(key, []).append((file, loc, ident))
    return _Merged(entries, declared)


def _namespace(merged: _Merged) -> Namespace:
    ids = {key: [ident for _, _, ident in merged.declared.get(key, [])] for key in _SCENARIO_SECTIONS}
    issues: dict[str, list[str]] = {}
    for _, _, issue in merged.entries.get("issues", []):
        issues[issue.id] = issue.participants
    for ident in ids["issues"]:
        issues.setdefault(ident, [])
    return Namespace(
        actors=ids["actors"],
        issues=issues,
        states=ids["state"],
        events=ids["events"],
        scheduled=ids["schedule"],
        actions=ids["actions"],
        levers=ids["levers"],
        params=ids["parameters"],
        indicators=ids["indicators"],
    )


def _check_duplicates(merged: _Merged, problems: _Collector) -> None:
    groups = [("actors",), ("levers",), ("parameters",), ("issues",), ("state",), ("rules",),
              ("events", "schedule", "actions"), ("policies",), ("claims",), ("indicators",)]
    for group in groups:
        seen: dict[str, tuple[_File, tuple[Any, ...]]] = {}
        for key in group:
            for file, loc, ident in merged.declared.get(key, []):
                if ident in seen:
                    first_file, first_loc = seen[ident]
                    where = f"{first_file.display}:{first_file.lines.line((*first_loc, 'id'))}"
                    problems.add(file, (*loc, "id"), f"duplicate id {ident!r} (first declared at {where})")
                else:
                    seen[ident] = (file, loc)


def _check_names(
    problems: _Collector,
    file: _File,
    loc: tuple[Any, ...],
    expression: ParsedExpression | None,
    allowed: set[str],
) -> None:
    if expression is None:
        return
    for name in sorted(expression.names):
        if name not in allowed:
            problems.add(
                file, loc,
                f"unknown name {name!r} in expression {expression.text!r}{suggest(name, allowed)}",
            )


def _check_references(merged: _Merged, ns: Namespace, clock: Clock | None, problems: _Collector) -> None:
    actors = set(ns.actors)
    states_of = {a.id: a for _, _, a in merged.entries.get("actors", [])}
    readable = ns.readable()
    targets = set(ns.targets())

    def check_actor(file: _File, loc: tuple[Any, ...], actor: str | None) -> None:
        if actor is not None and actor not in actors:
            problems.add(file, loc, f"unknown actor {actor!r}{suggest(actor, actors)}")

    def check_period(file: _File, loc: tuple[Any, ...], period: str) -> None:
        if clock is None:
            return
        try:
            clock.check(period)
        except ValueError as exc:
            problems.add(file, loc, str(exc))

    for file, loc, actor in merged.entries.get("actors", []):
        if actor.parent is not None:
            check_actor(file, (*loc, "parent"), actor.parent)
            parent = states_of.get(actor.parent)
            if parent is not None and parent.kind != "state":
                problems.add(file, (*loc, "parent"), f"parent {actor.parent!r} must be a state, not a {parent.kind}")
    for file, loc, issue in merged.entries.get("issues", []):
        for actor in issue.positions:
            check_actor(file, (*loc, "positions", actor), actor)
    for file, loc, state in merged.entries.get("state", []):
        for actor in state.id.split(".")[1:]:
            check_actor(file, (*loc, "id"), actor)
        if state.id.split(".")[0] in ns.indicators:
            problems.add(file, (*loc, "id"), f"state kind {state.id.split('.')[0]!r} is also an indicator id")
    for file, loc, rule in merged.entries.get("rules", []):
        if rule.target not in targets:
            problems.add(
                file, (*loc, "target"),
                f"unknown target {rule.target!r}: a rule moves a state variable, "
                f"position.<actor>.<issue>, salience.<actor>.<issue> or issue.<issue>.status_quo"
                f"{suggest(rule.target, targets)}",
            )
        _check_names(problems, file, (*loc, "driver"), rule.driver, readable)
        _check_names(problems, file, (*loc, "gate"), rule.gate, readable)
    for file, loc, event in merged.entries.get("events", []):
        check_actor(file, (*loc, "actor"), event.actor)
        check_actor(file, (*loc, "target"), event.target)
        if isinstance(event.rate, ParsedExpression):
            _check_names(problems, file, (*loc, "rate"), event.rate, readable)
        elif event.rate.support[0] < 0:
            problems.add(file, (*loc, "rate"), "a rate (expected occurrences per step) must not be negative")
    for file, loc, scheduled in merged.entries.get("schedule", []):
        for k, period in enumerate(scheduled.at):
            check_period(file, (*loc, "at", k), period)
    for file, loc, action in merged.entries.get("actions", []):
        check_actor(file, (*loc, "actor"), action.actor)
        check_actor(file, (*loc, "target"), action.target)
        _check_names(problems, file, (*loc, "when"), action.when, readable)
        _check_names(problems, file, (*loc, "consulted"), action.consulted, readable)
        for target in action.effects:
            if target not in targets:
                problems.add(file, (*loc, "effects", target),
                             f"unknown effect target {target!r}{suggest(target, targets)}")
    seen_indicators: list[str] = []
    for file, loc, indicator in merged.entries.get("indicators", []):
        allowed = ns.readable(indicators=seen_indicators)
        for name in sorted(indicator.expr.names):
            if name in ns.indicators and name not in seen_indicators:
                problems.add(file, (*loc, "expr"),
                             f"indicator {name!r} is used before it is defined (indicators are computed in order)")
            elif name not in allowed:
                problems.add(file, (*loc, "expr"),
                             f"unknown name {name!r} in expression {indicator.expr.text!r}{suggest(name, allowed)}")
        seen_indicators.append(indicator.id)


def _check_policies_and_claims(
    merged: _Merged, ns: Namespace, main: _File, clock: Clock | None, problems: _Collector
) -> None:
    scheduled = set(ns.scheduled)
    policies = {"baseline"} | {ident for _, _, ident in merged.declared.get("policies", [])}
    params = set(scenario_parameters(_partial_scenario(merged)))
    for file, loc, policy in merged.entries.get("policies", []):
        for key in policy.set:
            if key not in params:
                problems.add(file, (*loc, "set", key),
                             f"unknown parameter {key!r}{suggest(key, params)}; a policy sets policy.<lever>, "
                             "param.<id>, rules.<id>.weight, actions.<id>.probability, …")
        for k, occurrence in enumerate(policy.schedule):
            if occurrence.event not in scheduled:
                problems.add(file, (*loc, "schedule", k, "event"),
                             f"unknown scheduled event {occurrence.event!r}{suggest(occurrence.event, scheduled)}"
                             " (declare it under [[schedule]], with at = [] if it only happens under policies)")
            if clock is not None:
                try:
                    clock.check(occurrence.at)
                except ValueError as exc:
                    problems.add(file, (*loc, "schedule", k, "at"), str(exc))
    recordable = ns.recordable()
    for file, loc, claim in merged.entries.get("claims", []):
        compare = claim.compare
        for key in ("policy", "against"):
            name = getattr(compare, key)
            for part in name.split("+"):
                if part not in policies:
                    problems.add(file, (*loc, "compare", key),
                                 f"unknown policy {part!r}{suggest(part, policies)}; known: {', '.join(sorted(policies))}")
        if compare.indicator not in recordable:
            problems.add(file, (*loc, "compare", "indicator"),
                         f"unknown indicator {compare.indicator!r}{suggest(compare.indicator, recordable)}")
        at = compare.at
        if clock is None:
            continue
        if isinstance(at, int) and not 0 <= at <= clock.horizon:
            problems.add(file, (*loc, "compare", "at"), f"step {at} lies outside 0..{clock.horizon}")
        elif isinstance(at, str) and at != "horizon":
            try:
                clock.check(at)
            except ValueError as exc:
                problems.add(file, (*loc, "compare", "at"), str(exc))
    for file, loc, observation in merged.entries.get("observations", []):
        if observation.indicator not in recordable:
            problems.add(file, (*loc, "indicator"),
                         f"unknown indicator {observation.indicator!r}{suggest(observation.indicator, recordable)}")
        if clock is None:
            continue
        try:
            t = clock.step_of(observation.at)
            if not 0 <= t <= clock.horizon:
                raise ValueError(f"{observation.at} lies outside the scenario ({clock.label(0)} to "
                                 f"{clock.label(clock.horizon)})")
        except ValueError as exc:
            problems.add(file, (*loc, "at"), str(exc))
    decoupling = main.parts.get("decoupling")
    if decoupling is not None:
        allowed = ns.readable()
        for name in sorted(decoupling.when.names):
            if name not in allowed:
                problems.add(main, ("decoupling", "when"),
                             f"unknown name {name!r} in expression {decoupling.when.text!r}{suggest(name, allowed)}")


def _partial_scenario(merged: _Merged) -> S.Scenario:
    parts = {key: [value for _, _, value in merged.entries.get(key, [])] for key in _SCENARIO_SECTIONS}
    return S.Scenario.model_construct(scenario=None, decoupling=None, **parts)


def _clock(main: _File) -> Clock | None:
    """The scenario's clock, even when other fields of [scenario] are invalid."""
    meta = main.raw.get("scenario")
    if not isinstance(meta, dict):
        return None
    try:
        partial = S.Meta.model_validate({"id": "x", "title": "x", **{
            k: meta[k] for k in ("start", "step", "horizon") if k in meta}})
    except ValidationError:
        return None
    return Clock(partial.start, partial.step, partial.horizon)


def load_scenario(reference: str | Path) -> S.Scenario:
    """Load and fully check a scenario (a built-in id such as ``us-rok-2025`` or a TOML path).

    Raises :class:`~alliancesim.errors.InputError` listing every problem found.
    """
    problems = _Collector()
    path = resolve(reference)
    main = _read(path, problems)
    if main is None:
        raise InputError(problems.problems)
    kind = _validate_file(main, problems)
    if kind == "module":
        problems.add(main, ("module",), "this is a rule module, not a scenario: include it from a scenario "
                     "with include = [\"" + path.stem + "\"]")
        raise InputError(problems.problems)
    meta: S.Meta | None = main.parts.get("scenario")
    modules: list[_File] = []
    include = list(meta.include) if meta else list(main.raw.get("scenario", {}).get("include", []) or [])
    if all(isinstance(x, str) for x in include):
        _load_includes(main, include, [main.path.resolve()], problems, modules)
    merged = _merge(main, modules)
    ns = _namespace(merged)
    _check_duplicates(merged, problems)
    clock = _clock(main)
    _check_references(merged, ns, clock, problems)
    _check_policies_and_claims(merged, ns, main, clock, problems)
    if problems.problems or meta is None or main.parts.get("decoupling") is None:
        raise InputError(problems.problems)
    parts = {key: [value for _, _, value in merged.entries.get(key, [])] for key in _SCENARIO_SECTIONS}
    return S.Scenario.model_construct(scenario=meta, decoupling=main.parts["decoupling"], **parts)
