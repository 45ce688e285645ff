"""The scenario schema (pydantic v2): what a scenario of the alliance may say, field by field.

A scenario names its actors, the issues they bargain over, the perceptions (state variables)
that move, the rules that move them, the events and actions that happen, the policies (the
seeds' recommendations) to compare, the claims to test, the indicators to record and what
counts as decoupling. Every entry may carry its ``source``: a seed quote, a public source or an
assumption with its reason. See docs/scenario-format.md for the author's reference.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    model_validator,
)

from alliancesim.expr import ExpressionError, ParsedExpression, parse_expression
from alliancesim.scenario.uncertain import Uncertain, parse_uncertain

__all__ = [
    "BARGAINING_MODELS",
    "Action",
    "Actor",
    "Claim",
    "Comparison",
    "Decoupling",
    "Entry",
    "Event",
    "Indicator",
    "Issue",
    "Lever",
    "Meta",
    "Module",
    "ModuleMeta",
    "Observation",
    "Parameter",
    "Policy",
    "PolicyOccurrence",
    "Rule",
    "Scenario",
    "Scheduled",
    "SeedQuote",
    "Source",
    "Stance",
    "StateVariable",
]

BARGAINING_MODELS = ("compromise", "median", "eum", "smp", "nash")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SCENARIO_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_ACTOR = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
_STATE = re.compile(r"^[a-z][a-z0-9_]*(\.[A-Z][A-Za-z0-9_]*){1,2}$")
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")


def _identifier(value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(
            f"expected an identifier of lower-case letters, digits and _ (e.g. cost_sharing), "
            f"got {value!r}"
        )
    return value


def _actor_id(value: str) -> str:
    if not isinstance(value, str) or not _ACTOR.match(value):
        raise ValueError(
            f"expected an actor id starting with a capital letter (e.g. USA, ROK_progressives), "
            f"got {value!r}"
        )
    return value


def _state_id(value: str) -> str:
    if not isinstance(value, str) or not _STATE.match(value):
        raise ValueError(
            "expected a state variable id: a kind and one or two actors, e.g. "
            f"fear_abandonment.ROK or trust.ROK.USA, got {value!r}"
        )
    return value


def _scenario_id(value: str) -> str:
    if not isinstance(value, str) or not _SCENARIO_ID.match(value):
        raise ValueError(
            f"expected a scenario id of lower-case letters, digits, '-', '_' or '.', got {value!r}"
        )
    return value


def _period(value: Any) -> str:
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise ValueError(f"expected a period like 2025Q3 (quarter) or 2025-07 (month), got {value!r}")
    return value


def _expression(value: Any) -> ParsedExpression:
    if isinstance(value, ParsedExpression):
        return value
    if isinstance(value, bool):
        value = "1" if value else "0"
    if isinstance(value, int | float):
        value = repr(float(value))
    if not isinstance(value, str):
        raise ValueError(f"expected an expression (a string such as \"threat.ROK.DPRK > 0.5\"), got {value!r}")
    try:
        return parse_expression(value)
    except ExpressionError as exc:
        raise ValueError(str(exc)) from None


def _serialize_uncertain(value: Uncertain) -> Any:
    from alliancesim.scenario.uncertain import Fixed, Normal, Triangular, Uniform

    if isinstance(value, Fixed):
        return value.value
    if isinstance(value, Uniform):
        return {"low": value.low, "high": value.high}
    if isinstance(value, Triangular):
        return {"dist": "triangular", "low": value.low, "mode": value.mode, "high": value.high}
    assert isinstance(value, Normal)
    out: dict[str, Any] = {"dist": "normal", "mean": value.mean_, "sd": value.sd}
    if value.low != float("-inf"):
        out["low"] = value.low
    if value.high != float("inf"):
        out["high"] = value.high
    return out


Identifier = Annotated[str, AfterValidator(_identifier)]
ActorId = Annotated[str, AfterValidator(_actor_id)]
StateId = Annotated[str, AfterValidator(_state_id)]
Period = Annotated[str, BeforeValidator(_period)]
Number = Annotated[
    Uncertain,
    BeforeValidator(parse_uncertain),
    PlainSerializer(_serialize_uncertain),
]
Expression = Annotated[
    ParsedExpression,
    BeforeValidator(_expression),
    PlainSerializer(lambda e: e.text),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class SeedQuote(_Strict):
    """A verbatim quote from one of the seed documents."""

    seed: str = Field(min_length=1)
    quote: str = Field(min_length=8)


def _source(value: Any) -> Any:
    if isinstance(value, str):
        if not re.match(r"^(public|assumption):\s*\S", value):
            raise ValueError(
                'a source is {seed = "<file>", quote = "<verbatim quote>"}, "public: <what, year>" '
                f'or "assumption: <reason>", got {value!r}'
            )
    return value


Source = Annotated[SeedQuote | str, BeforeValidator(_source)]


class Entry(_Strict):
    """Any scenario entry: where it came from (file and line, set by the loader) and its source."""

    source: Source | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    _origin: tuple[str, int | None] = PrivateAttr(default=("<memory>", None))

    @property
    def origin(self) -> tuple[str, int | None]:
        """The file and line where this entry is written."""
        return self._origin

    def source_of(self, field: str) -> Source | None:
        """The source for one field: its own entry in ``sources``, else the entry's source."""
        return self.sources.get(field, self.source)


class Meta(_Strict):
    """What the scenario is: its id, title, seed document, clock and included rule modules."""

    id: Annotated[str, AfterValidator(_scenario_id)]
    title: str = Field(min_length=1)
    seed: str | None = None
    description: str = ""
    kind: Literal["scenario", "episode"] = "scenario"
    start: Period
    step: Literal["quarter", "month"] = "quarter"
    horizon: int = Field(ge=1, le=400)
    include: list[str] = Field(default_factory=list)


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
    capability: Number

    @model_validator(mode="after")
    def _parent_rules(self) -> Actor:
        if self.kind == "state" and self.parent is not None:
            raise ValueError("a state has no parent (only factions and publics do)")
        if self.kind != "state" and self.parent is None:
            raise ValueError(f"a {self.kind} needs parent = the state it belongs to")
        if self.capability.support[0] <= 0:
            raise ValueError("capability must be positive")
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
    """An actor's position on an issue's 0–100 scale and how much the issue matters to it."""

    position: Number
    salience: Number

    @model_validator(mode="after")
    def _ranges(self) -> Stance:
        lo, hi = self.position.support
        if lo < 0 or hi > 100:
            raise ValueError("position must lie on the issue scale 0–100")
        lo, hi = self.salience.support
        if lo < 0 or hi > 1:
            raise ValueError("salience must lie in [0, 1]")
        return self


class Issue(Entry):
    """A policy dimension the actors bargain over, scaled 0–100 with labelled ends."""

    id: Identifier
    label: str = Field(min_length=1)
    ends: tuple[str, str]
    unit: str = ""
    status_quo: Number
    model: Literal["compromise", "median", "eum", "smp", "nash"] = "compromise"
    positions: dict[ActorId, Stance] = Field(min_length=1)

    @property
    def participants(self) -> list[str]:
        """The actors that take part in bargaining on this issue, in file order."""
        return list(self.positions)

    @model_validator(mode="after")
    def _status_quo_on_scale(self) -> Issue:
        lo, hi = self.status_quo.support
        if lo < 0 or hi > 100:
            raise ValueError("status_quo must lie on the issue scale 0–100")
        return self


class StateVariable(Entry):
    """A perception or relation that moves each step (trust, fears, threat, support…)."""

    id: StateId
    label: str = ""
    initial: Number
    bounds: tuple[float, float] = (0.0, 1.0)
    baseline: Number | None = None
    relaxation: Number = Field(default_factory=lambda: parse_uncertain(0.0))

    @model_validator(mode="after")
    def _consistent(self) -> StateVariable:
        lo, hi = self.bounds
        if lo >= hi:
            raise ValueError(f"bounds must be [low, high] with low < high, got {list(self.bounds)}")
        for name in ("initial", "baseline"):
            value = getattr(self, name)
            if value is not None and (value.support[0] < lo or value.support[1] > hi):
                raise ValueError(f"{name} must lie within bounds [{lo:g}, {hi:g}]")
        r_lo, r_hi = self.relaxation.support
        if r_lo < 0 or r_hi > 1:
            raise ValueError("relaxation must lie in [0, 1] (the share of the gap to baseline closed per step)")
        return self


class Rule(Entry):
    """One documented causal proposition: ``target += weight · driver · gate`` each step."""

    id: Identifier
    label: str = ""
    proposition: int | None = Field(default=None, ge=1, le=10)
    target: str
    driver: Expression
    gate: Expression | None = None
    weight: Number


class Event(Entry):
    """A stochastic event: occurrences per step ~ Poisson(rate), each with a random intensity."""

    id: Identifier
    label: str = ""
    actor: ActorId
    target: ActorId | None = None
    rate: Annotated[Expression | Number, BeforeValidator(lambda v: _expression(v) if isinstance(v, str) else v)]
    intensity: Number = Field(default_factory=lambda: parse_uncertain(1.0))


class Scheduled(Entry):
    """A dated event (election, SMA expiry, summit, Security Consultative Meeting…)."""

    id: Identifier
    label: str = ""
    at: list[Period] = Field(default_factory=list)
    intensity: Number = Field(default_factory=lambda: parse_uncertain(1.0))

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
    probability: Number
    once: bool = True
    intensity: Number = Field(default_factory=lambda: parse_uncertain(1.0))
    effects: dict[str, Number] = Field(default_factory=dict)
    consulted: Expression = Field(default_factory=lambda: _expression("0"))

    @model_validator(mode="after")
    def _probability(self) -> Action:
        lo, hi = self.probability.support
        if lo < 0 or hi > 1:
            raise ValueError("probability must lie in [0, 1]")
        return self


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
    at: Literal["horizon"] | Period | int = "horizon"
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


class Decoupling(Entry):
    """What counts as the alliance decoupling: a condition holding for some consecutive steps."""

    when: Expression
    for_steps: int = Field(default=1, ge=1)
    label: str = "decoupling"


class Observation(Entry):
    """An observed value of an indicator at a date, for back-tests and calibration."""

    indicator: str
    at: Period
    value: float
    scale: str = ""
    sd: float | None = Field(default=None, gt=0)


class Scenario(_Strict):
    """A complete scenario: the alliance's actors, issues, perceptions, dynamics and questions."""

    scenario: Meta
    actors: list[Actor] = Field(min_length=1)
    levers: list[Lever] = Field(default_factory=list)
    parameters: list[Parameter] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)
    state: list[StateVariable] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    schedule: list[Scheduled] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    decoupling: Decoupling
    observations: list[Observation] = Field(default_factory=list)

    @property
    def id(self) -> str:
        """The scenario's id."""
        return self.scenario.id

    @property
    def policy_ids(self) -> list[str]:
        """``baseline`` followed by the scenario's policies."""
        return ["baseline", *(p.id for p in self.policies)]


class Module(_Strict):
    """A rule module file: shared rules and parameters, included by scenarios."""

    module: ModuleMeta
    parameters: list[Parameter] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
