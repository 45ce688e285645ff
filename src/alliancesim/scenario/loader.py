"""Load a scenario from TOML: parse, validate every entry, resolve includes, check every reference.

All problems are collected and raised together as one :class:`~alliancesim.errors.InputError`,
each naming the file, the line, the field path and what was expected.

An entry that fails the schema still takes part in the cross-reference checks with the fields
that did validate on their own (so a rule with a malformed driver *and* an unknown target gets
both problems), and its id still counts as declared (so one mistake does not cascade into
"unknown actor" complaints wherever the actor is named).

Nothing in a scenario file can make the loader raise anything but ``InputError``: every
problem is a message, never a traceback.
"""

from __future__ import annotations

import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from alliancesim.errors import InputError, Problem
from alliancesim.expr import ParsedExpression
from alliancesim.scenario import schema as S  # noqa: N812
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.names import TIME_NAMES, Namespace, suggest
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.parameters import ParameterSpec, scenario_parameters
from alliancesim.scenario.reading import (
    MAX_INCLUDE_DEPTH,
    Includes,
    RefusedFileError,
    read_scenario_bytes,
    text_limits,
)
from alliancesim.scenario.toml_lines import LineMap, map_lines
from alliancesim.scenario.uncertain import parse_uncertain

__all__ = [
    "LIBRARY",
    "Includes",
    "builtin_modules",
    "builtin_scenarios",
    "include_target",
    "load_scenario",
    "resolve",
]

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
    "overrides": S.Override,
}
_MODULE_SINGLES: dict[str, type[BaseModel]] = {"module": S.ModuleMeta}

# Parameter-name prefix of an entry, per section (see parameters.py).
_PARAMETER_PREFIX = {
    "actors": "actors.{}.",
    "levers": "policy.{}",
    "parameters": "param.{}",
    "issues": "issues.{}.",
    "state": "state.{}.",
    "rules": "rules.{}.",
    "events": "events.{}.",
    "schedule": "schedule.{}.",
    "actions": "actions.{}.",
}
# First parts of dotted names that a state variable's kind may not take.
_RESERVED_KINDS = (
    "position",
    "salience",
    "capability",
    "issue",
    "event",
    "count",
    "consulted",
    "policy",
    "param",
)
_RESERVED_INDICATORS = (*TIME_NAMES, "decoupled")


# --------------------------------------------------------------------------------------------
# the built-in library


def _library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.toml"))


def _head(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def builtin_scenarios() -> list[str]:
    """Ids of the built-in scenarios and episodes (not rule modules), sorted."""
    return [p.stem for p in _library_files() if re.search(r"(?m)^\s*\[scenario\]", _head(p))]


def builtin_modules() -> list[str]:
    """Names of the built-in rule modules (e.g. ``dilemma``)."""
    return [p.stem for p in _library_files() if re.search(r"(?m)^\s*\[module\]", _head(p))]


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or "/" in text or "\\" in text


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, an embedded NUL…
        return False


def resolve(reference: str | Path, *, relative_to: Path | None = None) -> Path:
    """The file a scenario reference names: a built-in id, or a path (relative to a file)."""
    text = str(reference)
    candidate = Path(text)
    if not _looks_like_path(text) and _exists(LIBRARY / f"{text}.toml"):
        return LIBRARY / f"{text}.toml"
    if relative_to is not None and not candidate.is_absolute():
        candidate = relative_to.parent / candidate
    return candidate


# --------------------------------------------------------------------------------------------
# reading files


@dataclass
class _Item:
    """One entry of a file: where, as written, validated (or None), and its valid fields."""

    file: _File
    loc: tuple[Any, ...]
    raw: Any
    value: Any  # the validated entry, or None when it failed the schema
    partial: Any  # the entry built from the fields that validated on their own

    @property
    def complete(self) -> bool:
        return self.value is not None


@dataclass
class _File:
    path: Path
    display: str
    raw: dict[str, Any]
    lines: LineMap
    kind: str = "scenario"
    singles: dict[str, _Item] = field(default_factory=dict)
    sections: dict[str, list[_Item]] = field(default_factory=dict)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        file: _File | str,
        path: tuple[Any, ...],
        message: str,
        line: int | None = None,
    ) -> None:
        if isinstance(file, _File):
            display = file.display
            if line is None:
                line = file.lines.line(path)
        else:
            display = file
        self.problems.append(Problem(display, line, _dotted(path), message))


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _dotted(path: tuple[Any, ...]) -> str:
    """A field path as an author reads it: ``rules[2].weight``, ``actions[0].effects."a.B"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = str(part)
        if not _BARE_KEY.match(text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += ("." if out else "") + text
    return out


def _display(path: Path) -> str:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):
        return str(path)
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        if resolved.is_relative_to(LIBRARY.resolve()):
            return f"<library>/{path.name}"
        return str(path)


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _read(path: Path, problems: _Collector, *, missing: str = "no such file") -> _File | None:
    display = _display(path)
    try:
        data = read_scenario_bytes(path)
    except FileNotFoundError:
        problems.add(display, (), missing)
        return None
    except RefusedFileError as refusal:
        problems.add(display, (), refusal.message, line=refusal.line)
        return None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        problems.add(display, (), f"cannot read the file ({reason})")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex()
        problems.add(
            display, (), f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8", line=line
        )
        return None
    text = text.removeprefix("\ufeff")
    refusal = text_limits(text)
    if refusal is not None:
        problems.add(display, (), refusal.message, line=refusal.line)
        return None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        where = _TOML_WHERE.search(message)
        line = None
        if where:
            line = int(where.group(1))
            message = message[: where.start()] + f" (column {where.group(2)})"
        message = message.replace("(at end of document)", "at the end of the file").strip()
        message = message.replace(
            "Illegal character '\\n'", "line ends inside a string (a closing quote missing?)"
        )
        problems.add(display, (), f"TOML syntax error: {message}", line=line)
        return None
    except RecursionError:
        problems.add(display, (), "TOML syntax error: values nested too deeply")
        return None
    return _File(path, display, raw, map_lines(text))


def _kind(raw: dict[str, Any]) -> str:
    """'module' for a rule module, else 'scenario'."""
    return "module" if "module" in raw and "scenario" not in raw else "scenario"


# --------------------------------------------------------------------------------------------
# schema validation, with messages in the author's words


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _message(error: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = f", got {_shown(error.get('input'))}"
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        allowed = _allowed_fields(model, loc[:-1])
        hint = suggest(str(loc[-1]), allowed) if allowed else ""
        listing = f"; expected one of: {', '.join(allowed)}" if allowed and not hint else ""
        return f"unknown field {loc[-1]!r}{hint}{listing}"
    if kind in ("value_error", "assertion_error"):
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    simple = {
        "string_type": "expected text (a string in quotes)",
        "int_type": "expected a whole number",
        "int_parsing": "expected a whole number",
        "int_from_float": "expected a whole number",
        "float_type": "expected a number",
        "float_parsing": "expected a number",
        "finite_number": "expected a finite number",
        "bool_type": "expected true or false",
        "bool_parsing": "expected true or false",
        "list_type": "expected an array [ … ]",
        "tuple_type": "expected an array [ … ]",
        "dict_type": "expected a table { … }",
        "model_type": "expected a table { … }",
        "model_attributes_type": "expected a table { … }",
    }
    if kind in simple:
        return simple[kind] + got
    if kind == "literal_error":
        return f"expected {ctx.get('expected', 'one of the listed values')}{got}"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "must not be empty"
        return f"expected at least {ctx.get('min_length')} characters{got}"
    if kind == "too_short":
        return f"expected at least {_entries(int(ctx.get('min_length', 1)))}{got}"
    if kind == "too_long":
        return f"expected at most {_entries(int(ctx.get('max_length', 1)))}{got}"
    bounds = {
        "greater_than_equal": ("must be at least", "ge"),
        "greater_than": ("must be greater than", "gt"),
        "less_than_equal": ("must be at most", "le"),
        "less_than": ("must be less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        limit = ctx.get(key)
        shown = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return f"{words} {shown}{got}"
    message = str(error["msg"])
    return f"{message[:1].lower()}{message[1:]}{got}"


def _unwrap(annotation: Any) -> Any:
    """The model (or container) an annotation stands for, without Annotated and Optional."""
    for _ in range(8):
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else members[0]
        else:
            return annotation
    return annotation


def _allowed_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model at ``loc``, for 'unknown field' hints."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return []
            current = info.annotation
            continue
        origin, args = typing.get_origin(current), typing.get_args(current)
        if origin in (list, tuple) and args:
            current = args[0]
        elif origin is dict and args:
            current = args[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        names = list(current.model_fields)
        return [n for n in names if n not in ("source", "sources")] + [
            n for n in names if n in ("source", "sources")
        ]
    return []


def _real_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """An error location without pydantic's internal tags (``function-before[…]``, ``[key]``)."""
    out: list[Any] = []
    current: Any = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            current = current[part]
        elif isinstance(part, str) and ("[" in part or "(" in part):
            continue
        else:
            current = None
        out.append(part)
    return tuple(out)


_ONE_FIELD_CONFIG = ConfigDict(arbitrary_types_allowed=True)


@cache
def _field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """A model with just one field of ``model``, to validate that field on its own."""
    info = model.model_fields[name]
    annotation = info.annotation
    if info.metadata:
        annotation = typing.Annotated[(annotation, *info.metadata)]
    return create_model(
        f"{model.__name__}_{name}", __config__=_ONE_FIELD_CONFIG, value=(annotation, ...)
    )


def _partial(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The entry built from those of its fields that are valid on their own (others unset)."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name not in model.model_fields:
            continue
        try:
            fields[name] = _field_model(model, name).model_validate({"value": value}).value
        except (ValidationError, ValueError, TypeError):
            continue
    return model.model_construct(**fields)


def _get(entry: Any, name: str, default: Any = None) -> Any:
    """A field of a (possibly partial) entry, or ``default`` when it did not validate."""
    return getattr(entry, name, default)


def _validate_one(
    file: _File, model: type[BaseModel], data: Any, loc: tuple[Any, ...], problems: _Collector
) -> _Item:
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple[Any, ...]] = set()
        for error in exc.errors():
            where = _real_loc(data, tuple(error["loc"]))
            message = _message(error, model, where)
            if (where, message) in seen:
                continue
            seen.add((where, message))
            problems.add(file, (*loc, *where), message)
        partial = _partial(model, data)
        _set_origins(partial, file, loc)
        return _Item(file, loc, data, None, partial)
    _set_origins(value, file, loc)
    return _Item(file, loc, data, value, value)


def _set_origins(value: Any, file: _File, loc: tuple[Any, ...]) -> None:
    if isinstance(value, S.Entry):
        value._origin = (file.display, file.lines.line(loc))
    if isinstance(value, S.Issue) and isinstance(_get(value, "positions"), dict):
        for actor, stance in value.positions.items():
            _set_origins(stance, file, (*loc, "positions", actor))


def _validate_file(file: _File, problems: _Collector) -> None:
    """Validate each entry of a scenario or module file into ``file.singles``/``sections``."""
    raw = file.raw
    is_module = file.kind == "module"
    sections = _MODULE_SECTIONS if is_module else _SCENARIO_SECTIONS
    singles = _MODULE_SINGLES if is_module else _SCENARIO_SINGLES
    what = "module" if is_module else "scenario"
    for key in raw:
        if key not in sections and key not in singles:
            allowed = [*singles, *sections]
            if is_module and (key in _SCENARIO_SECTIONS or key in _SCENARIO_SINGLES):
                message = f"a rule module cannot have {key!r}: the including scenario declares it"
            elif key == "module":
                message = "a file is a scenario or a rule module, not both: remove [module]"
            else:
                message = f"unknown section {key!r}{suggest(key, allowed)}"
            problems.add(file, (key,), f"{message}; a {what} has: " + ", ".join(allowed))
    for key, model in singles.items():
        if key not in raw:
            fields = {
                "scenario": "id, title, start, horizon…",
                "decoupling": "when, for_steps",
                "module": "id, title",
            }[key]
            line = 1 if key != "decoupling" else None
            problems.add(file, (key,), f"missing [{key}] table ({fields})", line=line)
            continue
        if not isinstance(raw[key], dict):
            problems.add(file, (key,), f"[{key}] must be a table, got {_shown(raw[key])}")
            continue
        file.singles[key] = _validate_one(file, model, raw[key], (key,), problems)
    for key, model in sections.items():
        items = raw.get(key, [])
        if not isinstance(items, list):
            problems.add(
                file,
                (key,),
                f"expected an array of tables ([[{key}]] entries), got {_shown(items)}",
            )
            continue
        valid = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.add(
                    file, (key, i), f"each [[{key}]] entry must be a table, got {_shown(item)}"
                )
                continue
            valid.append(_validate_one(file, model, item, (key, i), problems))
        file.sections[key] = valid


# --------------------------------------------------------------------------------------------
# includes


def include_target(name: str, file: _File | None, includes: Includes) -> Path | str:
    """The file an ``include`` entry names, or why it may not be included (a message).

    The one place that decides what a scenario may include: under ``Includes.BUILTIN`` only a
    built-in module's name (never a path); under ``Includes.FILES`` also a module file, relative
    to the including file. Whether the file may then be opened (a regular file, not too large)
    is decided when it is read (:func:`~alliancesim.scenario.reading.read_scenario_bytes`).
    """
    known = builtin_modules()
    if includes is Includes.BUILTIN:
        if name in known:
            return LIBRARY / f"{name}.toml"
        return (
            "an uploaded scenario may include only built-in rule modules "
            f"({', '.join(known) or 'none'}), got {name!r}"
        )
    path = resolve(name, relative_to=file.path if file is not None else None)
    if not _exists(path) or path.is_dir():
        if _looks_like_path(name):
            return f"cannot include {name!r}: no such file"
        listing = f" (built-in modules: {', '.join(known)})" if known else ""
        return f"cannot include {name!r}: no built-in module or file of that name" + (
            suggest(name, known) or listing
        )
    return path


def _load_includes(
    file: _File,
    names: list[Any],
    stack: list[Path],
    problems: _Collector,
    out: list[_File],
    includes: Includes,
) -> None:
    for k, name in enumerate(names):
        loc = (file.kind, "include", k)
        if not isinstance(name, str):
            continue  # the schema reports it
        if not name.strip():
            problems.add(file, loc, "expected a module name or a path to a .toml file, got ''")
            continue
        path = include_target(name, file, includes)
        if isinstance(path, str):
            problems.add(file, loc, path)
            continue
        resolved = path.resolve()
        if resolved in stack:
            chain = " -> ".join(_display(p) for p in [*stack, resolved])
            problems.add(file, loc, f"include cycle: {chain}")
            continue
        if len(stack) > MAX_INCLUDE_DEPTH:
            problems.add(
                file,
                loc,
                f"includes nested too deeply: more than {MAX_INCLUDE_DEPTH} modules in a chain",
            )
            continue
        if any(f.path.resolve() == resolved for f in out):
            continue  # already included through another path
        child = _read(path, problems)
        if child is None:
            continue
        if "scenario" in child.raw:
            problems.add(
                file,
                loc,
                f"{name!r} is a scenario, not a rule module; only modules can be included",
            )
            continue
        child.kind = "module"
        _validate_file(child, problems)
        out.append(child)
        meta = child.singles.get("module")
        child_includes = meta.raw.get("include", []) if meta else []
        if isinstance(child_includes, list):
            _load_includes(child, child_includes, [*stack, resolved], problems, out, includes)


# --------------------------------------------------------------------------------------------
# cross-reference checks


@dataclass
class _Merged:
    """Every entry of every section, from the scenario and its modules, with its declared id."""

    items: dict[str, list[_Item]]
    declared: dict[str, list[tuple[_Item, str]]]

    def of(self, key: str) -> list[_Item]:
        return self.items.get(key, [])


def _merge(main: _File, modules: list[_File]) -> _Merged:
    items: dict[str, list[_Item]] = {}
    declared: dict[str, list[tuple[_Item, str]]] = {}
    for file in [main, *modules]:
        for key in _SCENARIO_SECTIONS:
            for item in file.sections.get(key, []):
                items.setdefault(key, []).append(item)
                ident = item.raw.get("id")
                if isinstance(ident, str):
                    declared.setdefault(key, []).append((item, ident))
    return _Merged(items, declared)


def _namespace(merged: _Merged) -> Namespace:
    ids = {key: [ident for _, ident in merged.declared.get(key, [])] for key in _SCENARIO_SECTIONS}
    issues: dict[str, list[str]] = {}
    for item, ident in merged.declared.get("issues", []):
        positions = item.raw.get("positions")
        actors = [a for a in positions if isinstance(a, str)] if isinstance(positions, dict) else []
        issues.setdefault(ident, []).extend(actors)
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
    groups = [
        ("actors",),
        ("levers",),
        ("parameters",),
        ("issues",),
        ("state",),
        ("rules",),
        ("events", "schedule", "actions"),
        ("policies",),
        ("claims",),
        ("indicators",),
    ]
    for group in groups:
        seen: dict[str, tuple[_Item, str]] = {}
        for key in group:
            for item, ident in merged.declared.get(key, []):
                if ident in seen:
                    first, first_key = seen[ident]
                    where = f"{first.file.display}:{first.file.lines.line((*first.loc, 'id'))}"
                    also = "" if first_key == key else f" as [[{first_key}]]"
                    problems.add(
                        item.file,
                        (*item.loc, "id"),
                        f"duplicate id {ident!r} (first declared at {where}{also})",
                    )
                else:
                    seen[ident] = (item, key)


def _check_names(
    problems: _Collector,
    item: _Item,
    name: str,
    allowed: set[str],
    *,
    defined_later: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Every name an expression field reads must be known (and, for indicators, defined earlier)."""
    expression = _get(item.partial, name)
    if not isinstance(expression, ParsedExpression):
        return
    for used in sorted(expression.names):
        if used in defined_later:
            problems.add(
                item.file,
                (*item.loc, name),
                f"indicator {used!r} is used before it is defined (indicators are computed in "
                "file order)",
            )
        elif used not in allowed:
            problems.add(
                item.file,
                (*item.loc, name),
                f"unknown name {used!r} in expression {expression.text!r}{suggest(used, allowed)}",
            )


def _check_sources(item: _Item, model: type[BaseModel], problems: _Collector) -> None:
    sources = item.raw.get("sources")
    if not isinstance(sources, dict):
        return
    fields = [f for f in model.model_fields if f not in ("source", "sources")]
    for key in sources:
        if key not in fields:
            problems.add(
                item.file,
                (*item.loc, "sources", key),
                f"sources names a field of this entry; {key!r} is not one"
                + (suggest(key, fields) or f" (fields: {', '.join(fields)})"),
            )


def _check_references(
    merged: _Merged, ns: Namespace, clock: Clock | None, problems: _Collector
) -> None:
    actors = set(ns.actors)
    readable = ns.readable()
    targets = set(ns.targets())

    def check_actor(item: _Item, loc: tuple[Any, ...], actor: Any) -> None:
        if isinstance(actor, str) and actor not in actors:
            problems.add(item.file, loc, f"unknown actor {actor!r}{suggest(actor, actors)}")

    def check_period(item: _Item, loc: tuple[Any, ...], period: Any) -> None:
        if clock is None or not isinstance(period, str):
            return
        try:
            clock.check(period)
        except ValueError as exc:
            problems.add(item.file, loc, str(exc))

    for key, model in _SCENARIO_SECTIONS.items():
        for item in merged.of(key):
            _check_sources(item, model, problems)

    kinds = {ident: _get(item.partial, "kind") for item, ident in merged.declared.get("actors", [])}
    for item in merged.of("actors"):
        parent = _get(item.partial, "parent")
        if parent is None:
            continue
        check_actor(item, (*item.loc, "parent"), parent)
        parent_kind = kinds.get(parent)
        if parent in kinds and parent_kind != "state":
            problems.add(
                item.file,
                (*item.loc, "parent"),
                f"parent {parent!r} must be a state, not a {parent_kind or 'faction'}",
            )
    for item in merged.of("issues"):
        positions = item.raw.get("positions")
        if isinstance(positions, dict):
            for actor in positions:
                if isinstance(actor, str) and S._ACTOR.match(actor):
                    check_actor(item, (*item.loc, "positions", actor), actor)
    for item in merged.of("state"):
        ident = _get(item.partial, "id")
        if ident is None:
            continue
        kind, *owners = ident.split(".")
        for actor in owners:
            check_actor(item, (*item.loc, "id"), actor)
        if kind in _RESERVED_KINDS:
            problems.add(
                item.file,
                (*item.loc, "id"),
                f"{kind!r} cannot be a state variable's kind: {kind}.… already names another "
                "quantity (see the names usable in expressions)",
            )
        elif kind in ns.indicators:
            problems.add(
                item.file, (*item.loc, "id"), f"state kind {kind!r} is also an indicator id"
            )
    for item in merged.of("rules"):
        target = _get(item.partial, "target")
        if isinstance(target, str) and target not in targets:
            problems.add(
                item.file,
                (*item.loc, "target"),
                f"unknown target {target!r}: a rule moves a state variable, "
                "position.<actor>.<issue>, salience.<actor>.<issue> or issue.<issue>.status_quo"
                f"{suggest(target, targets)}",
            )
        _check_names(problems, item, "driver", readable)
        _check_names(problems, item, "gate", readable)
    for item in merged.of("events"):
        check_actor(item, (*item.loc, "actor"), _get(item.partial, "actor"))
        check_actor(item, (*item.loc, "target"), _get(item.partial, "target"))
        _check_names(problems, item, "rate", readable)
    for item in merged.of("schedule"):
        for k, period in enumerate(_get(item.partial, "at", [])):
            check_period(item, (*item.loc, "at", k), period)
    for item in merged.of("actions"):
        check_actor(item, (*item.loc, "actor"), _get(item.partial, "actor"))
        check_actor(item, (*item.loc, "target"), _get(item.partial, "target"))
        _check_names(problems, item, "when", readable)
        _check_names(problems, item, "consulted", readable)
        effects = item.raw.get("effects")
        if isinstance(effects, dict):
            for target in effects:
                if target not in targets:
                    problems.add(
                        item.file,
                        (*item.loc, "effects", target),
                        f"unknown effect target {target!r}: an effect moves a state variable, "
                        "position, salience or status quo"
                        f"{suggest(target, targets)}",
                    )
    defined: list[str] = []
    for item in merged.of("indicators"):
        ident = item.raw.get("id")
        if ident in _RESERVED_INDICATORS:
            problems.add(
                item.file,
                (*item.loc, "id"),
                f"{ident!r} is a built-in name (step, year, decoupled); choose another id",
            )
        later = set(ns.indicators) - set(defined)
        _check_names(problems, item, "expr", ns.readable(indicators=defined), defined_later=later)
        if isinstance(ident, str):
            defined.append(ident)


def _parameter_names(merged: _Merged) -> tuple[dict[str, ParameterSpec], list[str]]:
    """Parameters of the complete entries; prefixes of the parameters of incomplete ones."""
    parts = {key: [i.value for i in merged.of(key) if i.complete] for key in _SCENARIO_SECTIONS}
    partial = S.Scenario.model_construct(scenario=None, decoupling=None, **parts)
    blurred = [
        _PARAMETER_PREFIX[key].format(item.raw["id"])
        for key in _PARAMETER_PREFIX
        for item in merged.of(key)
        if not item.complete and isinstance(item.raw.get("id"), str)
    ]
    return scenario_parameters(partial), blurred


def _check_policies_and_claims(
    merged: _Merged, ns: Namespace, main: _File, clock: Clock | None, problems: _Collector
) -> None:
    scheduled = set(ns.scheduled)
    policies = {"baseline"} | {ident for _, ident in merged.declared.get("policies", [])}
    params, blurred = _parameter_names(merged)
    expressions = {f"events.{e.value.id}.rate" for e in merged.of("events") if e.complete}
    for item in merged.of("policies"):
        settings = item.raw.get("set")
        for key, value in settings.items() if isinstance(settings, dict) else []:
            loc = (*item.loc, "set", key)
            spec = params.get(key)
            if spec is None:
                if any(key.startswith(prefix) or key == prefix for prefix in blurred):
                    continue  # its entry has problems of its own
                if key in expressions:
                    problems.add(
                        item.file,
                        loc,
                        f"{key} is an expression, not a number; a policy cannot set it "
                        "(read a lever, policy.<id>, in the expression instead)",
                    )
                    continue
                problems.add(
                    item.file,
                    loc,
                    f"unknown parameter {key!r}{suggest(key, params)}; a policy sets "
                    "policy.<lever>, param.<id>, rules.<id>.weight, actions.<id>.probability, …",
                )
                continue
            try:
                message = spec.problem(parse_uncertain(value))
            except ValueError:
                continue  # the schema reports it
            if message:
                problems.add(item.file, loc, message)
        schedule = item.raw.get("schedule")
        for k, occurrence in enumerate(schedule if isinstance(schedule, list) else []):
            if not isinstance(occurrence, dict):
                continue
            event = occurrence.get("event")
            if isinstance(event, str) and event not in scheduled:
                problems.add(
                    item.file,
                    (*item.loc, "schedule", k, "event"),
                    f"unknown scheduled event {event!r}{suggest(event, scheduled)}"
                    " (declare it under [[schedule]], with at = [] if it only happens under "
                    "policies)",
                )
            at = occurrence.get("at")
            if clock is not None and isinstance(at, str) and S._PERIOD.match(at):
                try:
                    clock.check(at)
                except ValueError as exc:
                    problems.add(item.file, (*item.loc, "schedule", k, "at"), str(exc))
    recordable = ns.recordable()
    meta = main.raw.get("scenario")
    if isinstance(meta, dict) and isinstance(meta.get("key_indicators"), list):
        for k, name in enumerate(meta["key_indicators"]):
            if isinstance(name, str) and name not in recordable:
                problems.add(
                    main,
                    ("scenario", "key_indicators", k),
                    f"unknown indicator {name!r}{suggest(name, recordable)}",
                )
    for item in merged.of("claims"):
        compare = item.raw.get("compare")
        if not isinstance(compare, dict):
            continue
        for key in ("policy", "against"):
            name = compare.get(key)
            if not isinstance(name, str):
                continue
            for part in name.split("+"):
                if part not in policies:
                    problems.add(
                        item.file,
                        (*item.loc, "compare", key),
                        f"unknown policy {part!r}{suggest(part, policies)}; known: "
                        + ", ".join(sorted(policies)),
                    )
        if isinstance(compare.get("policy"), str) and compare.get("policy") == compare.get(
            "against"
        ):
            problems.add(
                item.file,
                (*item.loc, "compare", "against"),
                "a claim compares two different policies; policy and against are the same",
            )
        indicator = compare.get("indicator")
        if isinstance(indicator, str) and indicator not in recordable:
            problems.add(
                item.file,
                (*item.loc, "compare", "indicator"),
                f"unknown indicator {indicator!r}{suggest(indicator, recordable)}",
            )
        claim = item.partial
        at = _get(_get(claim, "compare"), "at")
        if clock is None or at is None:
            continue
        if isinstance(at, int) and not 0 <= at <= clock.horizon:
            problems.add(
                item.file,
                (*item.loc, "compare", "at"),
                f"step {at} lies outside 0..{clock.horizon}",
            )
        elif isinstance(at, str) and at != "horizon":
            try:
                clock.check(at)
            except ValueError as exc:
                problems.add(item.file, (*item.loc, "compare", "at"), str(exc))
    for item in merged.of("observations"):
        indicator = _get(item.partial, "indicator")
        if isinstance(indicator, str) and indicator not in recordable:
            problems.add(
                item.file,
                (*item.loc, "indicator"),
                f"unknown indicator {indicator!r}{suggest(indicator, recordable)}",
            )
        if clock is None:
            continue
        steps: dict[str, int] = {}
        for name in ("average_from", "at"):
            period = _get(item.partial, name)
            if period is None:
                continue
            try:
                t = clock.step_of(period)
                if not 0 <= t <= clock.horizon:
                    raise ValueError(
                        f"{period} lies outside the scenario ({clock.label(0)} to "
                        f"{clock.label(clock.horizon)})"
                    )
                steps[name] = t
            except ValueError as exc:
                problems.add(item.file, (*item.loc, name), str(exc))
        if steps.get("average_from", -1) > steps.get("at", math.inf):
            problems.add(
                item.file,
                (*item.loc, "average_from"),
                f"average_from ({item.raw.get('average_from')}) must not come after at "
                f"({item.raw.get('at')})",
            )
    decoupling = main.singles.get("decoupling")
    if decoupling is not None:
        _check_names(problems, decoupling, "when", ns.readable())


def _check_scenario_shape(main: _File, merged: _Merged, problems: _Collector) -> None:
    """Sections a scenario cannot do without."""
    if not merged.of("actors") and isinstance(main.raw.get("actors", []), list):
        problems.add(main, ("actors",), "a scenario needs at least one [[actors]] entry", line=None)


def _clock(main: _File, problems: _Collector) -> Clock | None:
    """The scenario's clock, even when other fields of [scenario] are invalid."""
    meta = main.singles.get("scenario")
    if meta is None:
        return None
    start, step, horizon = (_get(meta.partial, k) for k in ("start", "step", "horizon"))
    if start is None or step is None:
        return None
    if ("-" in start) != (step == "month"):
        kind = "month" if "-" in start else "quarter"
        example = "2025-07" if step == "month" else "2025Q3"
        problems.add(
            main,
            ("scenario", "start"),
            f"{start!r} is a {kind} but step is {step!r}: write start like {example!r} "
            "or change step",
        )
        return None
    return None if horizon is None else Clock(start, step, horizon)


def load_scenario(reference: str | Path, *, includes: Includes = Includes.FILES) -> S.Scenario:
    """Load and fully check a scenario (a built-in id such as ``us-rok-2025`` or a TOML path).

    ``includes`` says what the scenario may include: built-in modules and module files (the
    default), or built-in modules only (``Includes.BUILTIN``, for files from untrusted hands).
    Raises :class:`~alliancesim.errors.InputError` listing every problem found: each with the
    file, the line, the field path and what was expected.
    """
    problems = _Collector()
    text = str(reference)
    path = resolve(reference)
    if _looks_like_path(text) or isinstance(reference, Path):
        missing = "no such file"
    else:
        known = builtin_scenarios()
        missing = "no such file, and not a built-in scenario" + (
            suggest(text, known) or (f" (built-in: {', '.join(known)})" if known else "")
        )
    main = _read(path, problems, missing=missing)
    if main is None:
        raise InputError(problems.problems)
    if not main.raw:
        problems.add(
            main,
            (),
            "the file is empty: a scenario has at least [scenario], [[actors]] and [decoupling]",
            line=1,
        )
        raise InputError(problems.problems)
    if _kind(main.raw) == "module":
        problems.add(
            main,
            ("module",),
            "this is a rule module, not a scenario: include it from a scenario with "
            f'include = ["{path.stem}"]',
        )
        raise InputError(problems.problems)
    _validate_file(main, problems)
    meta = main.singles.get("scenario")
    included = meta.raw.get("include", []) if meta else []
    modules: list[_File] = []
    if isinstance(included, list):
        _load_includes(main, included, [main.path.resolve()], problems, modules, includes)
    merged = _merge(main, modules)
    ns = _namespace(merged)
    _check_scenario_shape(main, merged, problems)
    _check_duplicates(merged, problems)
    clock = _clock(main, problems)
    _check_references(merged, ns, clock, problems)
    _check_policies_and_claims(merged, ns, main, clock, problems)
    decoupling = main.singles.get("decoupling")
    if problems.problems or meta is None or decoupling is None:
        if not problems.problems:  # pragma: no cover - every failure above reports a problem
            problems.add(main, (), "the scenario could not be loaded")
        raise InputError(problems.problems)
    parts = {key: [item.value for item in merged.of(key)] for key in _SCENARIO_SECTIONS}
    scenario = S.Scenario.model_construct(scenario=meta.value, decoupling=decoupling.value, **parts)
    overrides = [item.value for module in modules for item in module.sections.get("overrides", [])]
    return apply_overrides(scenario, overrides)  # calibrated ranges: see scenario/overrides.py
