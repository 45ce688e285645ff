"""Reading a bargaining model's options: its options dataclass from what a caller passes.

A caller (the engine's scenario, ``forecast``, ``alliancesim bargain --option``) passes nothing
(the model's defaults), the options dataclass itself, or a mapping of option names to values;
an unknown name is a ValueError naming the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

__all__ = ["options_of"]


def options_of[Options](
    kind: type[Options],
    model: str,
    options: object,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Options:
    """The options ``kind`` of bargaining model ``model`` from None (the defaults), a ``kind``,
    or a mapping of option names to values (passed through ``prepare`` once every name is
    known to be one of ``kind``'s); a ValueError names the valid options when a name is
    unknown or ``options`` is none of these."""
    if options is None:
        return kind()
    if isinstance(options, kind):
        return options
    if isinstance(options, Mapping):
        known = [f.name for f in fields(kind)]  # type: ignore[arg-type]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ValueError(f"unknown {model} option(s) {unknown}; valid options: {known}")
        given = dict(options)
        return kind(**(prepare(given) if prepare is not None else given))
    raise ValueError(
        f"{model} options must be a mapping or {kind.__name__}, got {type(options).__name__}"
    )
