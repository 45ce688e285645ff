"""Public testing helpers: a scalar reference implementation of the step and random scenarios.

- :func:`simulate_member`: the oracle, one member in plain Python, written from
  ``docs/semantics.md`` independently of the vectorised engine (with its pieces
  :func:`evaluate`, :func:`member_parameters`, :func:`poisson_count`, :func:`compromise`,
  :func:`respond`, :func:`election_outcome`), which raises :class:`NotFiniteError` where a
  value is NaN or ±∞;
- :func:`scenario_texts`, :func:`scenarios`: hypothesis strategies for random valid scenarios
  (with :func:`expressions`, :func:`numbers`, :func:`to_toml`, :func:`load_scenario_text`).

The strategies need ``hypothesis`` (a development dependency); they are imported on first use,
so the oracle works without it.
"""

import typing as _typing

from alliancesim.testing.oracle import (
    NotFiniteError,
    compromise,
    election_outcome,
    evaluate,
    member_parameters,
    poisson_count,
    respond,
    simulate_member,
)

__all__ = [
    "NotFiniteError",
    "compromise",
    "election_outcome",
    "evaluate",
    "expressions",
    "load_scenario_text",
    "member_parameters",
    "numbers",
    "poisson_count",
    "respond",
    "scenario_texts",
    "scenarios",
    "simulate_member",
    "to_toml",
]

_STRATEGIES = {
    "expressions",
    "load_scenario_text",
    "numbers",
    "scenario_texts",
    "scenarios",
    "to_toml",
}


def __getattr__(name: str) -> _typing.Any:
    if name in _STRATEGIES:
        from alliancesim.testing import strategies

        return getattr(strategies, name)
    raise AttributeError(f"module 'alliancesim.testing' has no attribute {name!r}")
