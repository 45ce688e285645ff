"""What the fields of a scenario's entries refer to, as one table, and the checker that reads it.

Each row of :data:`REFERENCES` says that a field of a section's entries names something that
must exist: an actor, a quantity a rule can move, a name an expression may read, a period of
the scenario, a scheduled event, a policy, a parameter, a recorded quantity…
:func:`check_references` reads every row against every entry of its section (the scenario's and
its modules') and reports each name that is not there, with the file, the line and the field
path, in the words of what it should have named.

A row's field is a path into an entry: ``parent``; ``at[]`` (each element of an array);
``positions.<key>`` (each key of a table); ``schedule[].event``; ``compare.policy``. It is read
from the entry as validated: only what passed the schema is checked (the schema reports the
rest). A row marked ``as_written`` reads the file's value instead, so that a reference is
checked even where a neighbouring field is malformed (a claim's policies when its ``expect`` is
misspelt), and checks only what has the shape of the name it expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from pydantic import BaseModel

from alliancesim.expr import ExpressionError, ParsedExpression, parse_expression
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.entries import (
    ACTOR_PATTERN,
    OBJECTIVE_MEASURES,
    PERIOD_PATTERN,
    Account,
)
from alliancesim.scenario.files import Problems
from alliancesim.scenario.merge import Merged
from alliancesim.scenario.names import TIME_NAMES, suggest
from alliancesim.scenario.parameters import (
    ParameterSpec,
    expression_numbers,
    parameter_prefix,
    scenario_parameters,
    target_ranges,
)
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.sections import sections
from alliancesim.scenario.uncertain import Uncertain, parse_uncertain
from alliancesim.scenario.validation import Item

__all__ = ["REFERENCES", "Reference", "check_references"]

Loc = tuple[Any, ...]

# First parts of dotted names that a state variable's kind may not take.
RESERVED_KINDS = (
    "position",
    "preference",
    "salience",
    "capability",
    "issue",
    "event",
    "count",
    "consulted",
    "policy",
    "param",
    "structure",
)
RESERVED_INDICATORS = (*TIME_NAMES, "decoupled")


# --------------------------------------------------------------------------------------------
# what a scenario declares, as the checks read it


class Scope:
    """What the references of one scenario (with its modules) may name."""

    def __init__(self, merged: Merged, clock: Clock | None):
        self.merged = merged
        self.clock = clock
        self.namespace = merged.namespace()

    @cached_property
    def actors(self) -> set[str]:
        return set(self.namespace.actors)

    @cached_property
    def actor_kinds(self) -> dict[str, Any]:
        return {ident: item.get("kind") for item, ident in self.merged.declared.get("actors", [])}

    @cached_property
    def readable(self) -> set[str]:
        return self.namespace.readable()

    @cached_property
    def targets(self) -> set[str]:
        return set(self.namespace.targets())

    @cached_property
    def settable(self) -> set[str]:
        return set(self.namespace.settable())

    @cached_property
    def preferences(self) -> set[str]:
        return set(self.namespace.preferences())

    @cached_property
    def params(self) -> set[str]:
        return {f"param.{p}" for p in self.namespace.params}

    @cached_property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """The range of each quantity a set-effect may set (of the complete entries)."""
        return target_ranges(self._complete)

    @cached_property
    def recorded(self) -> set[str]:
        return self.namespace.recordable()

    @cached_property
    def accounts(self) -> set[str]:
        return set(self.namespace.accounts)

    @cached_property
    def scheduled(self) -> set[str]:
        return set(self.namespace.scheduled)

    @cached_property
    def policies(self) -> set[str]:
        return {"baseline", *self.merged.ids("policies")}

    @cached_property
    def indicators_above(self) -> dict[int, list[str]]:
        """Per indicator entry (by ``id()``), the indicator ids declared above it."""
        above: dict[int, list[str]] = {}
        declared: list[str] = []
        for item in self.merged.of("indicators"):
            above[id(item)] = list(declared)
            if isinstance(item.raw.get("id"), str):
                declared.append(item.raw["id"])
        return above

    @cached_property
    def _complete(self) -> Any:
        """The scenario made of its complete entries only."""
        parts = {
            s.key: [item.value for item in self.merged.of(s.key) if item.complete]
            for s in sections("scenario", single=False)
        }
        return Scenario.model_construct(**parts)

    @cached_property
    def parameters(self) -> dict[str, ParameterSpec]:
        """The parameters of the complete entries."""
        return scenario_parameters(self._complete)

    @cached_property
    def expression_numbers(self) -> set[str]:
        """Would-be parameters written as expressions (of the complete entries)."""
        return expression_numbers(self._complete)

    @cached_property
    def blurred(self) -> list[str]:
        """Parameter-name prefixes of the incomplete entries: names under them are not known to
        be wrong (the entry has problems of its own)."""
        return [
            parameter_prefix(s.key, item.raw["id"])
            for s in sections("scenario", single=False)
            if s.parameters is not None
            for item in self.merged.of(s.key)
            if not item.complete and isinstance(item.raw.get("id"), str)
        ]


@dataclass(frozen=True)
class Site:
    """Where a referring value stands: its entry, its path in the file and the scope."""

    item: Item
    loc: Loc
    scope: Scope

    def written(self) -> Any:
        """The value at this place as the file writes it."""
        value = self.item.raw
        for part in self.loc[len(self.item.loc) :]:
            value = value[part]
        return value


Check = Callable[[Any, Site], Iterable[str]]
"""What a referring value must name: the problems with one value at its site (none if fine)."""


# --------------------------------------------------------------------------------------------
# what a field may name


@dataclass(frozen=True)
class OneOf:
    """A name that must be one of those the scenario declares of a kind (an actor, a target…)."""

    noun: str
    known: Callable[[Scope], Collection[str]]
    explain: str = ""  # between the name and the suggestion
    tail: str = ""  # after the suggestion
    shape: re.Pattern[str] | None = None  # only names of this shape (others are the schema's)
    skip: Callable[[Scope], Collection[str]] | None = None  # names another check words better

    def __call__(self, value: Any, site: Site) -> Iterator[str]:
        if not isinstance(value, str) or (self.shape is not None and not self.shape.match(value)):
            return
        if self.skip is not None and value in self.skip(site.scope):
            return
        known = self.known(site.scope)
        if value not in known:
            yield f"unknown {self.noun} {value!r}{self.explain}{suggest(value, known)}{self.tail}"


actor = OneOf("actor", lambda s: s.actors, shape=ACTOR_PATTERN)
rule_target = OneOf(
    "target",
    lambda s: s.targets,
    explain=": a rule moves a state variable, position.<actor>.<issue>, "
    "salience.<actor>.<issue> or issue.<issue>.status_quo",
    skip=lambda s: s.preferences,
)
effect_target = OneOf(
    "effect target",
    lambda s: s.targets,
    explain=": an effect moves a state variable, position, salience or status quo",
    skip=lambda s: s.preferences,
)


def not_a_preference(name: Any, site: Site) -> Iterator[str]:
    """A standing preference is only ever set (a rule or an added effect cannot move it)."""
    if isinstance(name, str) and name in site.scope.preferences:
        yield f"{name} is a standing preference: only a set-effect (sets) changes it"


set_target = OneOf(
    "set target",
    lambda s: s.settable,
    explain=": a set-effect sets a state variable, position, salience, status quo, "
    "preference.<actor>.<issue>, param.<id> or policy.<lever>",
    skip=lambda s: {f"structure.{a}" for a in s.accounts},
)


def not_a_structure(name: Any, site: Site) -> Iterator[str]:
    """Which account holds is the run's structure, the same for a whole run: nothing sets it."""
    if isinstance(name, str) and name in {f"structure.{a}" for a in site.scope.accounts}:
        yield (
            f"{name} says which account the run's structure chooses (run --structure), the "
            "same all run long: a set-effect cannot change it"
        )


scheduled_event = OneOf(
    "scheduled event",
    lambda s: s.scheduled,
    tail=" (declare it under [[schedule]], with at = [] if it only happens under policies)",
)
recorded = OneOf("indicator", lambda s: s.recorded)
rule_account = OneOf(
    "account",
    lambda s: s.accounts,
    explain=": a rule's account is <mechanism>.<account> of a declared [[mechanisms]]",
)


def state_actor(parent: Any, site: Site) -> Iterator[str]:
    """A faction's or public's parent is an actor that is a state."""
    kinds = site.scope.actor_kinds
    if parent in kinds and kinds[parent] != "state":
        yield f"parent {parent!r} must be a state, not a {kinds[parent] or 'faction'}"


def state_country(country: Any, site: Site) -> Iterator[str]:
    """An election's country is an actor that is a state."""
    kinds = site.scope.actor_kinds
    if country in kinds and kinds[country] != "state":
        yield f"an election is held in a state; {country!r} is a {kinds[country] or 'faction'}"


def set_value(target: Any, site: Site) -> Iterator[str]:
    """A set-effect's value lies in its target's range (a set never leaves a bound behind)."""
    bounds = site.scope.ranges.get(target)
    if bounds is None:
        return  # a parameter or lever (any value), or a target reported as unknown
    try:
        value = parse_uncertain(site.written())
    except ValueError:
        return  # the schema reports it
    low, high = bounds
    v_low, v_high = value.support
    if v_low < low or v_high > high:
        yield (
            f"{target} lies in [{low:g}, {high:g}], so the value it is set to must too, "
            f"got {_shown(value)}"
        )


def _shown(value: Uncertain) -> str:
    low, high = value.support
    return f"{low:g}" if low == high else f"values from {low:g} to {high:g}"


def sourced_choice(expected: Any) -> Check:
    """A field that departs from its default (``response = "linear"``, ``at_bound = true``)
    only with a source of its own in ``sources``."""

    def check(value: Any, site: Site) -> Iterator[str]:
        field = site.loc[-1]
        if value != expected:
            return
        sources = site.item.raw.get("sources")
        if not isinstance(sources, dict) or field not in sources:
            shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
            yield (
                f"{field} = {shown} needs a source saying why, in sources.{field} "
                f'(e.g. sources = {{ {field} = "public: …" }})'
            )

    return check


def one_decoupling_form(signs: Any, site: Site) -> Iterator[str]:
    """Observable signs, or the older single condition: not both."""
    raw = site.item.raw
    if signs and ("when" in raw or "for_steps" in raw):
        yield (
            "write either when (and for_steps) for one condition or [[decoupling.signs]], not both"
        )


def sign_id(ident: Any, site: Site) -> Iterator[str]:
    """A sign's id names its recorded flag, decoupled.<id>: unique, and not the index's."""
    if not isinstance(ident, str):
        return
    if ident == "index":
        yield "'index' names the cohesion index (decoupled.index); choose another id"
    signs = site.item.raw.get("signs")
    k = site.loc[-2]
    earlier = [s.get("id") for s in signs[:k] if isinstance(s, dict)]
    if ident in earlier:
        first = site.item.file.line((*site.item.loc, "signs", earlier.index(ident), "id"))
        yield f"duplicate sign id {ident!r} (first declared at line {first})"


def readable_as_written(text: Any, site: Site) -> Iterator[str]:
    """As :func:`readable`, for an expression read from the file (its entry may have problems
    elsewhere, e.g. another sign's)."""
    if not isinstance(text, str):
        return
    try:
        expression = parse_expression(text)
    except ExpressionError:
        return  # the schema reports it
    yield from readable(expression, site)


def rest_is_last(probability: Any, site: Site) -> Iterator[str]:
    """Only an election's last outcome may take the probability the others leave."""
    outcomes = site.item.raw.get("outcomes")
    k = site.loc[-2]
    if probability == "rest" and isinstance(outcomes, list) and k != len(outcomes) - 1:
        yield 'only the last outcome may say probability = "rest"'


def threshold(name: Any, site: Site) -> Iterator[str]:
    """The cohesion index's threshold is a declared parameter that its condition reads."""
    if not isinstance(name, str) or not name.startswith("param."):
        return  # the schema reports it
    known = site.scope.params
    if name not in known:
        yield f"unknown parameter {name!r}{suggest(name, known)}; declare it under [[parameters]]"
        return
    when = site.item.get("index")
    when = getattr(when, "when", None)
    if isinstance(when, ParsedExpression) and name not in when.names:
        yield f"the index's condition {when.text!r} does not read {name}"


def state_variable_id(ident: Any, site: Site) -> Iterator[str]:
    """A state variable's id: its actors are declared, its kind names no other quantity."""
    kind, *owners = ident.split(".")
    for owner in owners:
        yield from actor(owner, site)
    if kind in RESERVED_KINDS:
        yield (
            f"{kind!r} cannot be a state variable's kind: {kind}.… already names another "
            "quantity (see the names usable in expressions)"
        )
    elif kind in site.scope.namespace.indicators:
        yield f"state kind {kind!r} is also an indicator id"


def readable(expression: Any, site: Site) -> Iterator[str]:
    """Every name an expression reads is one the scenario defines."""
    if not isinstance(expression, ParsedExpression):
        return
    known = site.scope.readable
    for used in sorted(expression.names):
        if used not in known:
            yield _unknown_name(used, expression, known)


def readable_above(expression: Any, site: Site) -> Iterator[str]:
    """As :func:`readable`, but an indicator reads only the indicators defined above it."""
    if not isinstance(expression, ParsedExpression):
        return
    above = site.scope.indicators_above[id(site.item)]
    later = set(site.scope.namespace.indicators) - set(above)
    known = site.scope.namespace.readable(indicators=above)
    for used in sorted(expression.names):
        if used in later:
            yield (
                f"indicator {used!r} is used before it is defined (indicators are computed in "
                "file order)"
            )
        elif used not in known:
            yield _unknown_name(used, expression, known)


def _unknown_name(used: str, expression: ParsedExpression, known: set[str]) -> str:
    return f"unknown name {used!r} in expression {expression.text!r}{suggest(used, known)}"


def indicator_id(ident: Any, site: Site) -> Iterator[str]:
    """An indicator's id is not a built-in name."""
    if ident in RESERVED_INDICATORS:
        yield f"{ident!r} is a built-in name (step, year, decoupled); choose another id"


def period(value: Any, site: Site) -> Iterator[str]:
    """A period within the scenario's steps."""
    clock = site.scope.clock
    if clock is None or not isinstance(value, str) or not PERIOD_PATTERN.match(value):
        return
    try:
        clock.check(value)
    except ValueError as exc:
        yield str(exc)


def step_or_period(at: Any, site: Site) -> Iterator[str]:
    """``horizon``, a step number in 0..horizon or a period within the scenario."""
    clock = site.scope.clock
    if clock is None:
        return
    if isinstance(at, int) and not 0 <= at <= clock.horizon:
        yield f"step {at} lies outside 0..{clock.horizon}"
    elif isinstance(at, str) and at != "horizon":
        yield from period(at, site)


def _observed_step(clock: Clock, period: str) -> int:
    """The step of an observed period: any period up to the horizon (before step 0: history)."""
    t = clock.step_of(period)
    if t > clock.horizon:
        raise ValueError(f"{period} lies after the scenario's end ({clock.label(clock.horizon)})")
    return t


def observed_period(value: Any, site: Site) -> Iterator[str]:
    """A period up to the horizon; an event's (when it is observed) one of the scenario's steps.

    A level or count dated before the scenario's start is history (never simulated); an event
    is whether something happened by its date in the simulated world, so it lies in 1..horizon.
    """
    clock = site.scope.clock
    if clock is None:
        return
    try:
        t = _observed_step(clock, value)
    except ValueError as exc:
        yield str(exc)
        return
    if site.item.get("kind") == "event" and site.loc[-1] == "at" and t < 1:
        yield (
            f"an event observation says whether something happened by {value} in the "
            f"simulated world: at lies from {clock.label(1)} to {clock.label(clock.horizon)}"
        )


def _window(site: Site, first_field: str) -> tuple[Clock, int, int] | None:
    """The steps of an observation's window (its first period and at), if both are valid."""
    clock, first, last = site.scope.clock, site.item.get(first_field), site.item.get("at")
    if clock is None or first is None or last is None:
        return None
    try:
        return clock, _observed_step(clock, first), _observed_step(clock, last)
    except ValueError:
        return None  # observed_period reports it


def averaging_start(first: Any, site: Site) -> Iterator[str]:
    """An observation's averaging starts no later than its date, on the same side of the start."""
    yield from _window_start(
        site,
        "average_from",
        0,
        lambda clock: (
            f"an average lies wholly in history (up to {clock.label(-1)}) or wholly from "
            f"{clock.label(0)} (the initial state) on"
        ),
    )


def totalling_start(first: Any, site: Site) -> Iterator[str]:
    """A count's total starts no later than its date, wholly in history or wholly simulated."""
    yield from _window_start(
        site,
        "total_from",
        1,
        lambda clock: (
            f"a simulated count totals periods from {clock.label(1)} on; a count observed "
            f"before the start ends by {clock.label(0)}"
        ),
    )


def _window_start(
    site: Site, first_field: str, simulated_from: int, sides: Callable[[Clock], str]
) -> Iterator[str]:
    """An observation's window (from ``first_field`` to at) runs forward and lies wholly before
    step ``simulated_from`` or wholly from it (``sides`` says why, in the scenario's periods)."""
    window = _window(site, first_field)
    if window is None:
        return
    clock, a, b = window
    raw = site.item.raw
    first = f"{first_field} ({raw.get(first_field)})"
    if a > b:
        yield f"{first} must not come after at ({raw.get('at')})"
    elif a < simulated_from <= b:
        yield f"{first} and at ({raw.get('at')}) straddle the scenario's start: {sides(clock)}"


def policies(name: Any, site: Site) -> Iterator[str]:
    """A policy, or policies combined with ``+``, each declared (or ``baseline``)."""
    if not isinstance(name, str):
        return
    known = site.scope.policies
    for part in name.split("+"):
        if part not in known:
            yield (
                f"unknown policy {part!r}{suggest(part, known)}; known: " + ", ".join(sorted(known))
            )


def other_policy(against: Any, site: Site) -> Iterator[str]:
    """A claim compares two different policies."""
    policy = site.item.raw["compare"].get("policy")
    if isinstance(policy, str) and policy == against:
        yield "a claim compares two different policies; policy and against are the same"


def parameter_setting(name: Any, site: Site) -> Iterator[str]:
    """A parameter of the scenario that a policy may set, to a value in its range."""
    scope = site.scope
    if isinstance(name, str) and name.startswith("structure."):
        yield (
            f"a policy cannot choose a structure ({name}): every policy runs under every "
            "structure of the run; choose structures with --structure (or run(structures=…))"
        )
        return
    spec = scope.parameters.get(name)
    if spec is None:
        if any(name.startswith(prefix) or name == prefix for prefix in scope.blurred):
            return  # its entry has problems of its own
        if name in scope.expression_numbers:
            yield (
                f"{name} is an expression, not a number; a policy cannot set it "
                "(read a lever, policy.<id>, in the expression instead)"
            )
            return
        yield (
            f"unknown parameter {name!r}{suggest(name, scope.parameters)}; a policy sets "
            "policy.<lever>, param.<id>, rules.<id>.weight, actions.<id>.probability, …"
        )
        return
    try:
        message = spec.problem(parse_uncertain(site.written()))
    except ValueError:
        return  # the schema reports it
    if message:
        yield message


def recorded_expression(expression: Any, site: Site) -> Iterator[str]:
    """Every name a threshold reads is recorded each step (it is read at the horizon)."""
    if not isinstance(expression, ParsedExpression):
        return
    known = site.scope.recorded
    for used in sorted(expression.names):
        if used not in known:
            yield (
                f"unknown name {used!r} in expression {expression.text!r}{suggest(used, known)}: "
                "a threshold reads what a world records (indicators, state variables, "
                "count.<event>, decoupled…) at the horizon"
            )


def tuned_parameter(name: Any, site: Site) -> Iterator[str]:
    """A tuned parameter is one of the scenario's."""
    scope = site.scope
    if not isinstance(name, str):
        return
    if name.startswith("structure."):
        yield f"a structure ({name}) is not a lever to tune; choose structures with --structure"
        return
    if name in scope.parameters:
        return
    if any(name.startswith(prefix) or name == prefix for prefix in scope.blurred):
        return
    yield (
        f"unknown parameter {name!r}{suggest(name, scope.parameters)}; a tuned lever sets "
        "policy.<lever>, param.<id>, actions.<id>.probability, actions.<id>.effects.<target>, …"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def tuned_bounds(bounds: Any, site: Site) -> Iterator[str]:
    """A tuned lever's bounds are values its parameter may take; a tuned event's are two
    periods of the scenario, the first not later."""
    raw = site.item.raw.get("bounds")
    name = site.item.raw.get("set")
    spec = site.scope.parameters.get(name) if isinstance(name, str) else None
    if spec is not None and isinstance(raw, list) and len(raw) == 2:
        if all(_is_number(b) for b in raw):
            try:
                message = spec.problem(parse_uncertain({"low": raw[0], "high": raw[1]}))
            except ValueError:
                return  # the schema reports it
            if message:
                yield f"bounds {raw!r}: {name} {message}"
        return
    yield from tuned_periods(bounds, site)


def tuned_periods(bounds: Any, site: Site) -> Iterator[str]:
    """When a tuned event is first held: two periods of the scenario, the first not later."""
    clock = site.scope.clock
    if clock is None or site.item.raw.get("timing") != "first" or not isinstance(bounds, tuple):
        return
    try:
        first, last = (clock.check(b) for b in bounds)
    except ValueError as exc:
        yield str(exc)
        return
    if first > last:
        yield f"bounds {list(bounds)!r}: the first period must not come after the second"


def objective_measure(name: Any, site: Site) -> Iterator[str]:
    """An objective measures a built-in outcome or a recorded quantity."""
    if not isinstance(name, str):
        return
    known = {*OBJECTIVE_MEASURES, *site.scope.recorded}
    if name not in known:
        yield (
            f"unknown measure {name!r}{suggest(name, known)}: one of "
            f"{', '.join(OBJECTIVE_MEASURES)} or a recorded quantity (its mean at the horizon)"
        )


def objective_named(ident: Any, site: Site) -> Iterator[str]:
    """An objective without a measure is named by its measure."""
    if site.item.raw.get("measure") is None:
        yield from objective_measure(ident, site)


def entry_field(name: Any, site: Site) -> Iterator[str]:
    """A key of ``sources`` is a field of the entry."""
    yield from _field_of(name, site.item.section.model)


def account_field(name: Any, site: Site) -> Iterator[str]:
    """A key of an account's ``sources`` is a field of the account."""
    yield from _field_of(name, Account)


def _field_of(name: Any, model: type[BaseModel]) -> Iterator[str]:
    fields = [f for f in model.model_fields if f not in ("source", "sources")]
    if name not in fields:
        yield f"sources names a field of this entry; {name!r} is not one" + (
            suggest(name, fields) or f" (fields: {', '.join(fields)})"
        )


# --------------------------------------------------------------------------------------------
# the table


@dataclass(frozen=True)
class Reference:
    """The ``field`` of each entry of ``section`` must name what ``names`` accepts."""

    section: str
    field: str
    names: Check
    as_written: bool = False


def added_effects(section: str, field: str) -> tuple[Reference, ...]:
    """The rows of added effects (each key of ``field`` in ``section``): each moves a quantity an
    effect may move, never a standing preference."""
    return (
        Reference(section, field, effect_target, as_written=True),
        Reference(section, field, not_a_preference, as_written=True),
    )


def set_effects(section: str, field: str) -> tuple[Reference, ...]:
    """The rows of set-effects (each key of ``field`` in ``section``): each sets a quantity a
    set-effect may set, never the run's structure, to a value within the quantity's range."""
    return (
        Reference(section, field, set_target, as_written=True),
        Reference(section, field, not_a_structure, as_written=True),
        Reference(section, field, set_value, as_written=True),
    )


REFERENCES: tuple[Reference, ...] = (
    *(
        Reference(s.key, "sources.<key>", entry_field, as_written=True)
        for s in sections("scenario", single=False)
    ),
    Reference("actors", "parent", actor),
    Reference("actors", "parent", state_actor),
    Reference("issues", "positions.<key>", actor, as_written=True),
    Reference("state", "id", state_variable_id),
    Reference("state", "response", sourced_choice("linear"), as_written=True),
    Reference("state", "at_bound", sourced_choice(True), as_written=True),
    Reference("rules", "target", rule_target),
    Reference("rules", "target", not_a_preference),
    Reference("rules", "driver", readable),
    Reference("rules", "gate", readable),
    Reference("rules", "account", rule_account),
    Reference("mechanisms", "accounts[].sources.<key>", account_field, as_written=True),
    Reference("events", "actor", actor),
    Reference("events", "target", actor),
    Reference("events", "rate", readable),
    Reference("schedule", "at[]", period),
    *added_effects("schedule", "effects.<key>"),
    *set_effects("schedule", "sets.<key>"),
    Reference("actions", "actor", actor),
    Reference("actions", "target", actor),
    Reference("actions", "when", readable),
    Reference("actions", "consulted", readable),
    *added_effects("actions", "effects.<key>"),
    *set_effects("actions", "sets.<key>"),
    Reference("elections", "country", actor),
    Reference("elections", "country", state_country),
    Reference("elections", "at", period),
    Reference("elections", "outcomes[].probability", rest_is_last, as_written=True),
    *set_effects("elections", "outcomes[].sets.<key>"),
    Reference("indicators", "id", indicator_id),
    Reference("indicators", "expr", readable_above),
    Reference("policies", "set.<key>", parameter_setting, as_written=True),
    Reference("policies", "schedule[].event", scheduled_event, as_written=True),
    Reference("policies", "schedule[].at", period, as_written=True),
    Reference("scenario", "key_indicators[]", recorded, as_written=True),
    Reference("scenario", "history_until", period),
    Reference("claims", "compare.policy", policies, as_written=True),
    Reference("claims", "compare.against", policies, as_written=True),
    Reference("claims", "compare.against", other_policy, as_written=True),
    Reference("claims", "compare.indicator", recorded, as_written=True),
    Reference("claims", "compare.at", step_or_period),
    Reference("observations", "indicator", recorded),
    Reference("observations", "average_from", observed_period),
    Reference("observations", "at", observed_period),
    Reference("observations", "average_from", averaging_start),
    Reference("observations", "total_from", observed_period),
    Reference("observations", "total_from", totalling_start),
    Reference("decoupling", "when", readable),
    Reference("decoupling", "signs", one_decoupling_form, as_written=True),
    Reference("decoupling", "signs[].id", sign_id, as_written=True),
    Reference("decoupling", "signs[].when", readable_as_written, as_written=True),
    Reference("decoupling", "index.when", readable_as_written, as_written=True),
    Reference("decoupling", "index.threshold", threshold, as_written=True),
    Reference("thresholds", "holds", recorded_expression),
    Reference("tuning", "set", tuned_parameter),
    Reference("tuning", "schedule", scheduled_event),
    Reference("tuning", "bounds", tuned_bounds),
    Reference("objectives", "measure", objective_measure),
    Reference("objectives", "id", objective_named),
)
"""Every reference between entries: which field of which section names what."""


# --------------------------------------------------------------------------------------------
# the checker


def check_references(merged: Merged, clock: Clock | None, problems: Problems) -> None:
    """Every name that a field of :data:`REFERENCES` gives and the scenario does not declare."""
    scope = Scope(merged, clock)
    for reference in REFERENCES:
        steps = _steps(reference.field)
        for item in merged.of(reference.section):
            start = item.raw if reference.as_written else item.partial
            for loc, value in _walk(start, steps, item.loc):
                for message in reference.names(value, Site(item, loc, scope)):
                    problems.add(item.file, loc, message)


@cache
def _steps(field: str) -> tuple[str, ...]:
    """A field path as steps: a field name, ``[]`` (each element) or ``<key>`` (each key)."""
    steps: list[str] = []
    for part in field.split("."):
        name, each = (part[:-2], True) if part.endswith("[]") else (part, False)
        steps.append(name)
        if each:
            steps.append("[]")
    return tuple(steps)


def _walk(value: Any, steps: tuple[str, ...], loc: Loc) -> Iterator[tuple[Loc, Any]]:
    """The values at the end of ``steps`` from ``value`` (at ``loc``), with their paths."""
    if not steps:
        yield loc, value
        return
    step, rest = steps[0], steps[1:]
    if step == "[]":
        for k, element in enumerate(value) if isinstance(value, list) else ():
            yield from _walk(element, rest, (*loc, k))
    elif step == "<key>":
        for key in value if isinstance(value, dict) else ():
            yield (*loc, key), key
    elif isinstance(value, dict | BaseModel):
        child = value.get(step) if isinstance(value, dict) else getattr(value, step, None)
        if child is not None:
            yield from _walk(child, rest, (*loc, step))
