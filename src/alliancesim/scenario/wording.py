"""Pydantic's validation errors in the author's words: where each error is written, and what was
expected there ("expected a whole number, got '8'", "unknown field 'colour' (did you mean …?)")."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from alliancesim.scenario.names import suggest

__all__ = ["error_messages", "shown"]

Loc = tuple[Any, ...]


def shown(value: Any) -> str:
    """A value as a message quotes it, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def error_messages(
    error: ValidationError, model: type[BaseModel], data: Any
) -> list[tuple[Loc, str]]:
    """Each error of validating ``data`` against ``model``: where it is written (a path into
    ``data``) and the message, without repeats."""
    out: list[tuple[Loc, str]] = []
    for detail in error.errors():
        where = _real_loc(data, tuple(detail["loc"]))
        message = _message(detail, model, where)
        if (where, message) not in out:
            out.append((where, message))
    return out


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


_SIMPLE = {
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
_BOUNDS = {
    "greater_than_equal": ("must be at least", "ge"),
    "greater_than": ("must be greater than", "gt"),
    "less_than_equal": ("must be at most", "le"),
    "less_than": ("must be less than", "lt"),
}


def _message(error: Any, model: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = f", got {shown(error.get('input'))}"
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
    if kind in _SIMPLE:
        return _SIMPLE[kind] + got
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
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        limit = ctx.get(key)
        limit_text = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return f"{words} {limit_text}{got}"
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


def _allowed_fields(model: type[BaseModel], loc: Loc) -> list[str]:
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


def _real_loc(data: Any, loc: Loc) -> Loc:
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
