"""What one entry of each section may say (pydantic v2), and the field types they share.

An entry is one ``[[actors]]``, ``[[rules]]``, … table of a scenario or rule module: an actor,
an issue the actors bargain over, a perception (state variable) that moves, a rule that moves
it, an event or action that happens, a policy (the seeds' recommendations) to compare, a claim
to test, an indicator to record, what counts as decoupling. Every entry may carry its
``source``: a seed quote, a public source or an assumption with its reason. Which entries a
file holds, and where, is the section registry's (:mod:`alliancesim.scenario.sections`); the
whole documents are :mod:`alliancesim.scenario.schema`'s. See docs/scenario-format.md for the
author's reference.
"""

from __future__ import annotations

import keyword
import math
import re
import typing
from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alliancesim.expr import ExpressionError, ParsedExpression, parse_expression
from alliancesim.scenario.uncertain import (
    UNCERTAIN_FORMS,
    Uncertain,
    parse_uncertain,
    uncertain_data,
)

__all__ = [
    "ACCOUNT_PATTERN",
    "ACTOR_PATTERN",
    "BARGAINING_MODELS",
    "OBJECTIVE_MEASURES",
    "PERIOD_PATTERN",
    "RESPONSES",
    "Account",
    "Action",
    "Actor",
    "AtLeast",
    "Claim",
    "Comparison",
    "Decoupling",
    "DecouplingIndex",
    "DecouplingSign",
    "Election",
    "Entry",
    "Event",
    "Indicator",
    "Issue",
    "Lever",
    "Mechanism",
    "Meta",
    "ModuleMeta",
    "Objective",
    "Observation",
    "Outcome",
    "Override",
    "Parameter",
    "Policy",
    "PolicyOccurrence",
    "Rule",
    "Scheduled",
    "SeedQuote",
    "Source",
    "Stance",
    "StateVariable",
    "Threshold",
    "Tuning",
]

BARGAINING_MODELS = ("compromise", "median", "eum", "smp", "nash")
RESPONSES = ("saturating", "linear")
"""How a movable quantity responds to rules (docs/semantics.md, "Responses")."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SCENARIO_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
ACTOR_PATTERN = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
_STATE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Z][A-Za-z0-9_]*){1,2}$")
PERIOD_PATTERN = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")
ACCOUNT_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def _matched(value: Any, pattern: re.Pattern[str], expected: str) -> str:
    """``value``, a string of ``pattern``'s form; else the error "expected <expected>, got …"."""
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"expected {expected}, got {value!r}")
    return value


def _identifier(value: str) -> str:
    _matched(value, _ID, "an identifier of lower-case letters, digits and _ (e.g. cost_sharing)")
    _not_keyword(value)
    return value


def _not_keyword(value: str) -> None:
    if keyword.iskeyword(value):
        raise ValueError(f"{value!r} is a Python keyword and cannot be read in expressions")


def _actor_id(value: str) -> str:
    _matched(
        value,
        ACTOR_PATTERN,
        "an actor id starting with a capital letter (e.g. USA, ROK_progressives)",
    )
    _not_keyword(value)
    return value


def _state_id(value: str) -> str:
    _matched(
        value,
        _STATE,
        "a state variable id: a kind and one or two actors, e.g. fear_abandonment.ROK or "
        "trust.ROK.USA",
    )
    _not_keyword(value.split(".")[0])
    return value


def _scenario_id(value: str) -> str:
    return _matched(
        value, _SCENARIO_ID, "a scenario id of lower-case letters, digits, '-', '_' or '.'"
    )


def _account_name(value: str | None) -> str | None:
    if value is None:
        return value
    return _matched(
        value,
        ACCOUNT_PATTERN,
        "<mechanism>.<account>, two identifiers joined by a dot (e.g. consult.costly_signal)",
    )


def _period(value: Any) -> str:
    return _matched(value, PERIOD_PATTERN, "a period like 2025Q3 (quarter) or 2025-07 (month)")


def _expression(value: Any) -> ParsedExpression:
    if isinstance(value, ParsedExpression):
        return value
    if isinstance(value, bool):
        value = "1" if value else "0"
    if isinstance(value, int | float):
        try:
            value = repr(float(value))
        except OverflowError:
            raise ValueError("number too large (at most about 1e308)") from None
    if not isinstance(value, str):
        raise ValueError(
            f'expected an expression (a string such as "threat.ROK.DPRK > 0.5"), got {value!r}'
        )
    try:
        return parse_expression(value)
    except ExpressionError as exc:
        raise ValueError(str(exc)) from None


def _rate(value: Any) -> ParsedExpression | Uncertain:
    if isinstance(value, str | ParsedExpression):
        return _expression(value)
    if isinstance(value, bool) or not isinstance(value, int | float | dict):
        raise ValueError(
            'expected an expression (a string such as "0.5 * threat.ROK.DPRK") or '
            f"{UNCERTAIN_FORMS}, got {value!r}"
        )
    rate = parse_uncertain(value)
    if rate.support[0] < 0:
        raise ValueError(
            f"a rate (expected occurrences per step) must not be negative, got {_shown_range(rate)}"
        )
    return rate


def _serialize_rate(value: ParsedExpression | Uncertain) -> Any:
    return value.text if isinstance(value, ParsedExpression) else uncertain_data(value)


def _step_or_period(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value == "horizon" or (isinstance(value, str) and PERIOD_PATTERN.match(value)):
        return value
    raise ValueError(
        f'expected "horizon", a period like 2025Q3 (or 2025-07) or a step number, got {value!r}'
    )


def _two_labels(value: Any) -> tuple[str, str]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise ValueError(
            'expected two labels, what 0 and what 100 mean, e.g. ["28,500 kept", "full '
            f'withdrawal"], got {value!r}'
        )
    return (value[0], value[1])


def _bounds(value: Any) -> tuple[float, float]:
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(-1e300 < float(v) < 1e300 for v in value)
    ):
        raise ValueError(f"expected two finite numbers [low, high], got {value!r}")
    lo, hi = float(value[0]), float(value[1])
    if lo >= hi:
        raise ValueError(f"expected [low, high] with low < high, got [{lo:g}, {hi:g}]")
    return (lo, hi)


Real = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _shown_range(value: Uncertain) -> str:
    lo, hi = value.support
    return f"{lo:g}" if lo == hi else f"values from {lo:g} to {hi:g}"


def _within(lo: float, hi: float, what: str) -> AfterValidator:
    """A check that every possible value of an uncertain number lies in [lo, hi]."""

    def check(value: Uncertain) -> Uncertain:
        v_lo, v_hi = value.support
        if v_lo < lo or v_hi > hi:
            raise ValueError(f"{what}, got {_shown_range(value)}")
        return value

    return AfterValidator(check)


def _positive(value: Uncertain) -> Uncertain:
    if value.support[0] <= 0:
        raise ValueError(f"must be positive, got {_shown_range(value)}")
    return value


def _fading_rate(value: Uncertain) -> Uncertain:
    lo, hi = value.support
    if lo <= 0 or hi > 1:
        raise ValueError(
            "must lie in (0, 1] (the share of the rule's impulse taken back per step), "
            f"got {_shown_range(value)}"
        )
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
ActorId = Annotated[str, AfterValidator(_actor_id)]
StateId = Annotated[str, AfterValidator(_state_id)]
Period = Annotated[str, BeforeValidator(_period)]
Number = Annotated[
    Uncertain,
    BeforeValidator(parse_uncertain),
    PlainSerializer(uncertain_data),
]
# the size of one occurrence of an event or action
Intensity = Annotated[Number, _within(0, math.inf, "must not be negative")]
Expression = Annotated[
    ParsedExpression,
    BeforeValidator(_expression),
    PlainSerializer(lambda e: e.text),
]
# the share of a gap closed per step (state variables toward baselines, positions toward
# standing preferences)
Relaxation = Annotated[
    Number,
    _within(0, 1, "must lie in [0, 1] (the share of the gap closed per step)"),
]
Response = Literal["saturating", "linear"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class SeedQuote(_Strict):
    """A verbatim quote from one of the seed documents."""

    seed: str = Field(min_length=1)
    quote: str = Field(min_length=8)


_SOURCE_FORMS = (
    'a source is {seed = "<file>", quote = "<verbatim quote>"}, "public: <what, year>" '
    'or "assumption: <reason>"'
)


def _source(value: Any) -> SeedQuote | str:
    if isinstance(value, SeedQuote):
        return value
    if isinstance(value, str):
        if not re.match(r"^(public|assumption):\s*\S", value):
            raise ValueError(f"{_SOURCE_FORMS}, got {value!r}")
        return value
    if not isinstance(value, dict):
        raise ValueError(f"{_SOURCE_FORMS}, got {value!r}")
    unknown = sorted(set(value) - {"seed", "quote"})
    missing = [k for k in ("seed", "quote") if k not in value]
    if unknown or missing:
        parts = [f"missing {k}" for k in missing] + [f"unknown field {k!r}" for k in unknown]
        raise ValueError(f"{_SOURCE_FORMS}: {'; '.join(parts)}")
    seed, quote = value["seed"], value["quote"]
    if not isinstance(seed, str) or not seed.strip():
        raise ValueError(f"seed must be the seed document's file name, got {seed!r}")
    if not isinstance(quote, str) or len(quote.strip()) < 8:
        raise ValueError(
            f"quote must be a verbatim passage of at least 8 characters, got {quote!r}"
        )
    return SeedQuote(seed=seed, quote=quote)


def _serialize_source(value: SeedQuote | str) -> Any:
    return value.model_dump() if isinstance(value, SeedQuote) else value


Source = Annotated[SeedQuote | str, PlainValidator(_source), PlainSerializer(_serialize_source)]


class Entry(_Strict):
    """Any scenario entry: where it came from (file and line, set by the loader) and its source."""

    source: Source | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    _origin: tuple[str, int | None] = PrivateAttr(default=("<memory>", None))
    _path: str = PrivateAttr(default="")
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def origin(self) -> tuple[str, int | None]:
        """The file and line where this entry is written."""
        return self._origin

    @property
    def path(self) -> str:
        """The entry's path in its file as its author reads it, e.g. ``rules[3]`` (empty for an
        entry not read from a file)."""
        return self._path

    def line_of(self, field: str) -> int | None:
        """The line where one of the entry's fields is written (the entry's own line when the
        field's is not known)."""
        return self._lines.get(field, self._origin[1])

    def path_of(self, field: str) -> str:
        """A field's path as its author reads it, e.g. ``rules[3].driver`` (the field alone for
        an entry not read from a file)."""
        return f"{self._path}.{field}" if self._path else field

    def source_of(self, field: str) -> Source | None:
        """The source for one field: its own entry in ``sources``, else the entry's source."""
        return self.sources.get(field, self.source)

    def inner_entries(self) -> Iterator[tuple[tuple[str | int, ...], Entry]]:
        """The entries written inside this one (an issue's stances), with their path in it."""
        for name in _inner_fields(type(self)):
            value = getattr(self, name, None)  # a partial entry may lack the field
            if isinstance(value, Entry):
                yield (name,), value
            elif isinstance(value, dict):
                yield from (((name, k), v) for k, v in value.items() if isinstance(v, Entry))
            elif isinstance(value, list):
                yield from (((name, k), v) for k, v in enumerate(value) if isinstance(v, Entry))


@cache
def _inner_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that may hold entries (e.g. an issue's ``positions``)."""
    return tuple(
        name for name, info in model.model_fields.items() if _holds_entries(info.annotation)
    )


def _holds_entries(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Entry):
        return True
    return any(_holds_entries(arg) for arg in typing.get_args(annotation))


class Meta(_Strict):
    """What the scenario is: its id, title, seed document, clock and included rule modules."""

    id: Annotated[str, AfterValidator(_scenario_id)]
    title: str = Field(min_length=1)
    seed: str | None = None
    description: str = ""
    kind: Literal["scenario", "episode"] = "scenario"
    start: Period
    step: Literal["quarter", "month"] = "quarter"
    horizon: int = Field(ge=1, le=400, strict=True)
    include: list[str] = Field(default_factory=list)
    key_indicators: list[str] = Field(default_factory=list)
    """Recorded names to feature in tables, reports and the dashboard (default: the last indicator)."""
    history_until: Period | None = None
    """The last period whose steps replay recorded history (dated events from the record);
    the steps after it are projection. None: the whole run is projection."""


class ModuleMeta(_Strict):
    """A rule module (e.g. ``dilemma``): rules and parameters shared by several scenarios."""

    id: Identifier
    title: str = Field(min_length=1)
    description: str = ""
    include: list[str] = Field(default_factory=list)


class Actor(Entry):
    """A state, faction or public that takes part in the alliance's politics."""

    id: ActorId
    name: str = Field(min_length=1)
    kind: Literal["state", "faction", "public"] = "state"
    parent: ActorId | None = None
    capability: Annotated[Number, AfterValidator(_positive)]

    @model_validator(mode="after")
    def _parent_rules(self) -> Actor:
        if self.kind == "state" and self.parent is not None:
            raise ValueError("a state has no parent (only factions and publics do)")
        if self.kind != "state" and self.parent is None:
            raise ValueError(f"a {self.kind} needs parent = the state it belongs to")
        return self


class Lever(Entry):
    """A policy lever with its value under the baseline (e.g. the probability of consulting)."""

    id: Identifier
    label: str = ""
    value: Number


class Parameter(Entry):
    """A named uncertain number used in expressions as ``param.<id>``."""

    id: Identifier
    label: str = ""
    value: Number


class Stance(Entry):
    """An actor's position on an issue's 0–100 scale and how much the issue matters to it.

    The drawn position is also the actor's standing preference, where the position relaxes to
    (at the stance's ``relaxation`` when written, else the issue's)."""

    position: Annotated[Number, _within(0, 100, "must lie on the issue scale 0–100")]
    salience: Annotated[Number, _within(0, 1, "must lie in [0, 1]")]
    relaxation: Relaxation | None = None


class Issue(Entry):
    """A policy dimension the actors bargain over, scaled 0–100 with labelled ends."""

    id: Identifier
    label: str = Field(min_length=1)
    ends: Annotated[tuple[str, str], PlainValidator(_two_labels), PlainSerializer(list)]
    unit: str = ""
    status_quo: Annotated[Number, _within(0, 100, "must lie on the issue scale 0–100")]
    model: Literal["compromise", "median", "eum", "smp", "nash"] = "compromise"
    relaxation: Relaxation = Field(default_factory=lambda: parse_uncertain(0.0))
    """The share of the gap between a position and its standing preference closed per step."""
    response: Response = "saturating"
    """How the participants' positions and saliences respond to rules."""
    status_quo_response: Response = "linear"
    """How the status quo responds to rules."""
    positions: dict[ActorId, Stance] = Field(min_length=1)

    @property
    def participants(self) -> list[str]:
        """The actors that take part in bargaining on this issue, in file order."""
        return list(self.positions)


class StateVariable(Entry):
    """A perception or relation that moves each step (trust, fears, threat, support…)."""

    id: StateId
    label: str = ""
    # bounds come first: initial and baseline are checked against them
    bounds: Annotated[tuple[float, float], PlainValidator(_bounds), PlainSerializer(list)] = (
        0.0,
        1.0,
    )
    initial: Number
    baseline: Number | None = None
    relaxation: Annotated[
        Number,
        _within(0, 1, "must lie in [0, 1] (the share of the gap to the baseline closed per step)"),
    ] = Field(default_factory=lambda: parse_uncertain(0.0))
    response: Response = "saturating"
    """How it responds to rules; ``linear`` needs ``sources.response`` saying why."""
    at_bound: bool = Field(default=False, strict=True)
    """Whether it may legitimately sit at a bound (``sources.at_bound`` says why)."""

    @field_validator("initial", "baseline")
    @classmethod
    def _within_bounds(cls, value: Uncertain | None, info: ValidationInfo) -> Uncertain | None:
        bounds = info.data.get("bounds")
        if value is None or bounds is None:
            return value
        lo, hi = bounds
        if value.support[0] < lo or value.support[1] > hi:
            raise ValueError(f"must lie within bounds [{lo:g}, {hi:g}], got {_shown_range(value)}")
        return value


class Rule(Entry):
    """One documented causal proposition: ``target += weight · driver · gate`` each step."""

    id: Identifier
    label: str = ""
    proposition: int | None = Field(default=None, ge=1, le=10, strict=True)
    target: str
    driver: Expression
    gate: Expression | None = None
    weight: Number
    fades: Annotated[Number, AfterValidator(_fading_rate)] | None = None
    """When set, the rule's effect is transient: taken back at this rate per step."""
    account: Annotated[str | None, AfterValidator(_account_name)] = None
    """The account (``<mechanism>.<account>``) the rule belongs to: it acts only in structures
    that choose that account. Set by the loader for the rules an account's modules bring; a
    scenario's own rule may name one too."""


class Account(Entry):
    """One account of a contested mechanism: the rule modules that encode it (active only in
    structures that choose it), its prior weight and its source."""

    id: Identifier
    label: str = Field(min_length=1)
    include: list[str] = Field(default_factory=list)
    prior: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = None
    """Relative prior weight within the mechanism (normalised over its accounts); equal for
    every account when no account states one."""

    @model_validator(mode="after")
    def _has_source(self) -> Account:
        if self.source is None:
            raise ValueError(
                "an account needs its source: the seed's quote or the public reference it "
                'comes from, e.g. source = "public: Fearon 1997, Signaling Foreign Policy '
                'Interests"'
            )
        return self


class Mechanism(Entry):
    """A mechanism the seeds or the literature explain in rival ways, with its accounts: the
    first is the seed's own, the others its rivals (RIVALS.md)."""

    id: Identifier
    label: str = Field(min_length=1)
    question: str = Field(min_length=1)
    accounts: list[Account]

    @field_validator("accounts")
    @classmethod
    def _contested(cls, accounts: list[Account]) -> list[Account]:
        if len(accounts) < 2:
            raise ValueError(
                "a contested mechanism needs at least two accounts ([[mechanisms.accounts]]): "
                f"the seed's own first, then its rivals; got {len(accounts)}"
            )
        return accounts

    @model_validator(mode="after")
    def _accounts_and_priors(self) -> Mechanism:
        if self.source is None:
            raise ValueError(
                "a mechanism needs its source: where the seeds or the literature contest it"
            )
        ids = [a.id for a in self.accounts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(
                f"account ids must be unique within a mechanism: {repeated[0]!r} repeats"
            )
        stated = [a.prior is not None for a in self.accounts]
        if any(stated) and not all(stated):
            missing = ", ".join(a.id for a in self.accounts if a.prior is None)
            raise ValueError(
                "priors are relative weights within a mechanism: give every account a prior, "
                f"or none for equal weights (no prior: {missing})"
            )
        return self

    @property
    def priors(self) -> list[float]:
        """The accounts' prior probabilities within the mechanism (summing to 1)."""
        raw = [a.prior if a.prior is not None else 1.0 for a in self.accounts]
        total = sum(raw)
        return [p / total for p in raw]


class Event(Entry):
    """A stochastic event: occurrences per step ~ Poisson(rate), each with a random intensity."""

    id: Identifier
    label: str = ""
    actor: ActorId
    target: ActorId | None = None
    rate: Annotated[
        ParsedExpression | Uncertain, PlainValidator(_rate), PlainSerializer(_serialize_rate)
    ]
    intensity: Intensity = Field(default_factory=lambda: parse_uncertain(1.0))


class Scheduled(Entry):
    """A dated event (election, SMA expiry, summit, Security Consultative Meeting…)."""

    id: Identifier
    label: str = ""
    at: list[Period] = Field(default_factory=list)
    intensity: Intensity = Field(default_factory=lambda: parse_uncertain(1.0))
    effects: dict[str, Number] = Field(default_factory=dict)
    sets: dict[str, Number] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _single_date(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("at"), str):
            data = {**data, "at": [data["at"]]}
        return data


class Action(Entry):
    """An actor's decision rule: when the condition holds, it acts with some probability per step."""

    id: Identifier
    label: str = ""
    actor: ActorId
    target: ActorId | None = None
    when: Expression = Field(default_factory=lambda: _expression("1"))
    probability: Annotated[Number, _within(0, 1, "must lie in [0, 1]")]
    once: bool = Field(default=True, strict=True)
    intensity: Intensity = Field(default_factory=lambda: parse_uncertain(1.0))
    effects: dict[str, Number] = Field(default_factory=dict)
    sets: dict[str, Number] = Field(default_factory=dict)
    consulted: Expression = Field(default_factory=lambda: _expression("0"))


def _probability_or_rest(value: Any) -> Uncertain | str:
    if value == "rest":
        return "rest"
    if isinstance(value, str):
        raise ValueError(
            f'expected a probability (a number or range in [0, 1]) or "rest", got {value!r}'
        )
    probability = parse_uncertain(value)
    lo, hi = probability.support
    if lo < 0 or hi > 1:
        raise ValueError(f"must lie in [0, 1], got {_shown_range(probability)}")
    return probability


def _serialize_probability(value: Uncertain | str) -> Any:
    return value if isinstance(value, str) else uncertain_data(value)


class Outcome(Entry):
    """One possible result of an election: who takes office, and what they bring with them."""

    id: Identifier
    label: str = ""
    probability: Annotated[
        Uncertain | str,
        PlainValidator(_probability_or_rest),
        PlainSerializer(_serialize_probability),
    ]
    sets: dict[str, Number] = Field(default_factory=dict)

    @property
    def is_rest(self) -> bool:
        """Whether it takes whatever probability the other outcomes leave."""
        return self.probability == "rest"


class Election(Entry):
    """A change of government: at a date, one of several outcomes takes office and replaces its
    country's positions, preferences, saliences, parameters and levers with its own."""

    id: Identifier
    label: str = ""
    country: ActorId
    at: Period
    outcomes: list[Outcome] = Field(min_length=1)


class PolicyOccurrence(_Strict):
    """A scheduled event that a policy adds (e.g. an early Security Consultative Meeting)."""

    event: Identifier
    at: Period


class Policy(Entry):
    """A named course of action: parameter and lever changes and added scheduled events."""

    id: Identifier
    label: str = Field(min_length=1)
    kind: Literal["recommendation", "counterfactual"] = "recommendation"
    set: dict[str, Number] = Field(default_factory=dict)
    schedule: list[PolicyOccurrence] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_baseline(self) -> Policy:
        if self.id == "baseline":
            raise ValueError("'baseline' is built in (no changes); choose another id")
        return self


class Comparison(_Strict):
    """A testable comparison: ``indicator`` under ``policy`` is ``expect`` than under ``against``."""

    policy: str
    against: str
    indicator: str
    at: Annotated[str | int, PlainValidator(_step_or_period)] = "horizon"
    expect: Literal["greater", "less"]
    statistic: Literal["member", "mean"] = "member"


class Claim(Entry):
    """A seed's causal statement made testable by a paired comparison of two policies."""

    id: Identifier
    statement: str = Field(min_length=1)
    compare: Comparison


class Indicator(Entry):
    """A quantity recorded each step, written as an expression (e.g. the alliance's cohesion)."""

    id: Identifier
    label: str = ""
    expr: Expression


class DecouplingSign(Entry):
    """An observable sign of decoupling: a dated event a historian could code from the news,
    seen once its condition has held for ``for_steps`` consecutive steps."""

    id: Identifier
    label: str = ""
    when: Expression
    for_steps: int = Field(default=1, ge=1, strict=True)


def _threshold_parameter(value: str) -> str:
    ident = value.removeprefix("param.")
    if not value.startswith("param.") or not _ID.match(ident):
        raise ValueError(
            "expected the parameter the index is compared with, as param.<id> "
            f"(e.g. param.decoupling_threshold), got {value!r}"
        )
    return value


class DecouplingIndex(Entry):
    """The cohesion index: a condition on an index below a threshold, reported on its own (with
    its threshold's sensitivity), never part of the observable definition."""

    label: str = "cohesion index"
    when: Expression
    for_steps: int = Field(default=1, ge=1, strict=True)
    threshold: Annotated[str, AfterValidator(_threshold_parameter)]
    """The parameter (``param.<id>``) the condition compares the index with."""


class AtLeast(_Strict):
    """A combination of decoupling signs: at least this many of them seen."""

    at_least: int = Field(ge=1, strict=True)


def _combination(value: Any) -> AtLeast | str:
    if value == "any" or isinstance(value, AtLeast):
        return value
    if isinstance(value, dict) and set(value) == {"at_least"}:
        n = value["at_least"]
        if isinstance(n, int) and not isinstance(n, bool) and n >= 1:
            return AtLeast(at_least=n)
    raise ValueError(
        f'expected "any" (one sign is enough) or {{ at_least = N }} (N ≥ 1 signs), got {value!r}'
    )


def _serialize_combination(value: AtLeast | str) -> Any:
    return value.model_dump() if isinstance(value, AtLeast) else value


class Decoupling(Entry):
    """What counts as the alliance decoupling: observable signs and how they combine, or (the
    older form) one condition holding for some consecutive steps; optionally the cohesion index.
    """

    when: Expression | None = None
    for_steps: int = Field(default=1, ge=1, strict=True)
    label: str = "decoupling"
    signs: list[DecouplingSign] = Field(default_factory=list)
    combine: Annotated[
        AtLeast | str, PlainValidator(_combination), PlainSerializer(_serialize_combination)
    ] = "any"
    index: DecouplingIndex | None = None
    # Sign ids unique and not "index", and not both forms at once: the reference table's
    # (scenario/references.py), so that they are reported with every other problem.

    @model_validator(mode="after")
    def _some_form(self) -> Decoupling:
        if not self.signs and self.when is None:
            raise ValueError("needs when (one condition) or at least one [[decoupling.signs]]")
        return self

    @field_validator("combine")
    @classmethod
    def _enough_signs(cls, value: Any, info: ValidationInfo) -> Any:
        signs = info.data.get("signs")
        if isinstance(value, AtLeast) and signs is not None:
            count = max(len(signs), 1)
            if value.at_least > count:
                raise ValueError(
                    f"at_least must be at most the number of signs ({count}), got {value.at_least}"
                )
        return value

    @property
    def sign_conditions(self) -> list[tuple[str | None, ParsedExpression, int]]:
        """Each sign as (id, condition, for_steps); the older form is one sign without an id
        (the signs win when an unchecked entry has both)."""
        if not self.signs:
            assert self.when is not None
            return [(None, self.when, self.for_steps)]
        return [(sign.id, sign.when, sign.for_steps) for sign in self.signs]

    @property
    def at_least(self) -> int:
        """How many signs must be seen for the alliance to count as decoupled."""
        return self.combine.at_least if isinstance(self.combine, AtLeast) else 1

    @property
    def names(self) -> frozenset[str]:
        """Every name the signs' and the index's conditions read."""
        names = set().union(*(when.names for _, when, _ in self.sign_conditions))
        if self.index is not None:
            names |= self.index.when.names
        return frozenset(names)


class Observation(Entry):
    """A value observed in history, for back-tests and calibration.

    ``kind`` says what was observed: a ``level`` (a poll share, troops, an amount) at the end of
    ``at``, or its mean over ``average_from``..``at``; a ``count``, the total over the periods
    ``total_from``..``at`` (launches a year from ``count.<event>``, or an annual sum of a
    quantity); an ``event``, whether something happened by ``at`` (1) or not (0). An
    observation dated before the scenario's start is history: it is never simulated, and the
    reference forecasters (persistence, trend) start from it.
    """

    indicator: str
    at: Period
    kind: Literal["level", "count", "event"] = "level"
    value: Real
    scale: str = ""
    sd: Real | None = Field(default=None, gt=0)
    average_from: Period | None = None
    """When set, the observed value is the mean of the indicator over the periods from
    ``average_from`` to ``at`` (e.g. an annual figure recorded as a yearly average)."""
    total_from: Period | None = Field(default=None, validate_default=True)
    """A count's first period: the observed value is the total over ``total_from``..``at``."""

    @field_validator("value")
    @classmethod
    def _value_of_kind(cls, value: float, info: ValidationInfo) -> float:
        kind = info.data.get("kind")
        if kind == "event" and value not in (0.0, 1.0):
            raise ValueError(
                f"an event observation is 1 (it happened by at) or 0 (it did not), got {value:g}"
            )
        if kind == "count" and value < 0:
            raise ValueError(f"a count is not negative, got {value:g}")
        return value

    @field_validator("sd")
    @classmethod
    def _sd_of_kind(cls, sd: float | None, info: ValidationInfo) -> float | None:
        if sd is not None and info.data.get("kind") == "event":
            raise ValueError("an event observation has no sd: it happened or it did not")
        return sd

    @field_validator("average_from")
    @classmethod
    def _average_of_level(cls, first: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if first is not None and kind in ("count", "event"):
            hint = "a count totals from total_from" if kind == "count" else "an event has none"
            raise ValueError(f"average_from is for levels ({hint})")
        return first

    @field_validator("total_from")
    @classmethod
    def _total_of_count(cls, first: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if kind == "count" and first is None:
            raise ValueError(
                "a count observation needs total_from, the first period of the total (e.g. "
                'total_from = "2017Q1", at = "2017Q4" for a year)'
            )
        if kind != "count" and first is not None and "kind" in info.data:
            raise ValueError('total_from is for counts (kind = "count")')
        return first


class Override(Entry):
    """A revised distribution for one parameter of the including scenario (e.g. a calibrated
    range), applied after every include is merged; the entry's source becomes the parameter's."""

    parameter: str = Field(min_length=1)
    value: Number

    @model_validator(mode="after")
    def _has_source(self) -> Override:
        if self.source is None:
            raise ValueError(
                'an override needs its source, e.g. source = "public: calibrated by alliancesim '
                'calibrate on thaad-2017, 2026-11-22"'
            )
        return self


# --------------------------------------------------------------------------------------------
# deciding under deep uncertainty: what counts as working, and what may be tuned


class Threshold(Entry):
    """A condition a world must meet for a course of action to count as working there (a
    satisficing criterion of robust decision making): ``holds`` over what a world records at the
    horizon, or, with ``share``, in at least that share of each structure's worlds."""

    id: Identifier
    label: str = ""
    holds: Expression
    share: Real | None = Field(default=None, gt=0, le=1)


def _setting_bound(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number or a period like 2026Q1, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return value


SettingBound = Annotated[int | float | str, PlainValidator(_setting_bound)]


class Tuning(Entry):
    """A lever with a continuous setting that ``alliancesim optimize`` may tune within bounds:
    a parameter's value (``set``), or when a scheduled event is first held or how often it is
    held (``schedule`` with ``timing = "first"`` or ``"every"``); its cost is linear in the
    setting, ``cost = [at the lower bound, at the upper bound]``."""

    id: Identifier
    label: str = ""
    set: str | None = None
    schedule: Identifier | None = None
    timing: Literal["first", "every"] | None = None
    bounds: tuple[SettingBound, SettingBound]
    cost: tuple[Real, Real] = (0.0, 0.0)

    @field_validator("timing")
    @classmethod
    def _timing_with_schedule(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("set") is not None:
            raise ValueError("timing goes with schedule, not with set (a parameter's value)")
        return value

    @field_validator("bounds")
    @classmethod
    def _bounds_of_setting(cls, value: tuple[Any, Any], info: ValidationInfo) -> tuple[Any, Any]:
        lo, hi = value
        if info.data.get("timing") == "first":
            for bound in value:
                _period(bound)
            return value
        if isinstance(lo, str) or isinstance(hi, str):
            raise ValueError(
                f"expected two numbers [low, high], got {list(value)!r} (periods go with "
                'timing = "first")'
            )
        whole = float(lo).is_integer() and float(hi).is_integer()
        if info.data.get("timing") == "every" and (not whole or lo < 1):
            raise ValueError(
                f"every how many steps: two whole numbers of at least 1, got {list(value)!r}"
            )
        if not lo < hi:
            raise ValueError(f"expected [low, high] with low < high, got {list(value)!r}")
        return value

    @field_validator("cost")
    @classmethod
    def _cost_not_negative(cls, value: tuple[float, float]) -> tuple[float, float]:
        if min(value) < 0:
            raise ValueError(f"a cost is not negative, got {list(value)!r}")
        return value

    @model_validator(mode="after")
    def _one_setting(self) -> Tuning:
        if (self.set is None) == (self.schedule is None):
            raise ValueError(
                "give either set (the parameter it tunes, e.g. policy.consultation) or schedule "
                "(a scheduled event, with timing)"
            )
        if self.schedule is not None and self.timing is None:
            raise ValueError(
                'a tuned schedule needs timing = "first" (when it is first held) or "every" '
                "(every how many steps)"
            )
        return self


OBJECTIVE_MEASURES = ("p_decoupling", "cost", "satisficing", "regret_p90", "worst_structure")
"""The built-in measures an optimisation objective may name (besides a recorded quantity)."""


class Objective(Entry):
    """What ``alliancesim optimize`` minimises or maximises: a built-in measure (P(decoupling),
    the cost of the settings, the satisficing share, the 90th-percentile regret, the worst
    structure's P(decoupling)) or a recorded quantity's mean at the horizon."""

    id: Identifier
    label: str = ""
    measure: str | None = None
    direction: Literal["minimize", "maximize"]

    @property
    def name(self) -> str:
        """The measure it optimises (its id when no measure is given)."""
        return self.measure or self.id
