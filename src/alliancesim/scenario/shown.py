"""What ``alliancesim show`` lists about a scenario, as plain lines and tables of text.

:func:`scenario_shown` turns a loaded scenario into lines (:class:`Line`) and tables
(:class:`Listing`), which the command lays out with Rich. A built-in scenario's listing depends
only on the package (its code, its library and its data files, history's packaged weights among
them), on the alliancesim version and on how the library's files are named from the working
directory, so :func:`keep_shown` keeps it in ``<cache>/show-<id>-<fingerprint>.json`` and
:func:`kept_shown` reads it back: ``show ID`` then skips loading and validating the scenario's
files. A scenario given as a file is never kept, nor is any listing while history's weights
come from a file of the user's (``$ALLIANCESIM_HISTORY_WEIGHTS``). A cache that cannot be read
or written is simply not used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alliancesim.expr import ParsedExpression

if TYPE_CHECKING:
    from alliancesim.scenario.loops import Loop
    from alliancesim.scenario.schema import Entry, Scenario, Source

__all__ = [
    "SHOWN_LOOPS",
    "Line",
    "Listing",
    "keep_shown",
    "kept_shown",
    "scenario_shown",
    "source_text",
]

SHOWN_LOOPS = 40
"""Feedback loops listed by ``show`` (the shortest; ``--json`` gives all)."""


@dataclass(frozen=True)
class Line:
    """One line of text, printed as written (``bold`` for the scenario's title)."""

    text: str
    bold: bool = False


@dataclass
class Listing:
    """A titled table of text cells, one list of cells per row."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def add_row(self, *cells: str) -> None:
        """Add a row (one cell per column)."""
        self.rows.append(tuple(cells))


# --------------------------------------------------------------------------------------------
# short texts


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return cut + "…"


def source_text(source: Source | None, width: int = 90) -> str:
    """A source in one line: ``000: "quote…"``, ``public: …`` or ``assumption: …``."""
    from alliancesim.scenario.schema import SeedQuote

    if source is None:
        return "(no source)"
    if isinstance(source, SeedQuote):
        seed = source.seed.split("_", 1)[0] if source.seed[:3].isdigit() else source.seed
        return f'{seed}: "{_shorten(source.quote, max(width - len(seed) - 4, 20))}"'
    return _shorten(str(source), width)


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, ParsedExpression):
        return value.text
    describe = getattr(value, "describe", None)
    return describe() if callable(describe) else str(value)


def _origin(entry: Entry, main_file: str) -> str:
    file, line = entry.origin
    if file == main_file:
        return f"line {line}" if line else ""
    return f"{file}:{line}" if line else file


def _period_span(scenario: Scenario) -> str:
    from alliancesim.scenario.clock import Clock

    meta = scenario.scenario
    clock = Clock(meta.start, meta.step, meta.horizon)
    return f"{clock.label(1)} to {clock.label(meta.horizon)} ({meta.horizon} {meta.step}s)"


def _table(title: str, *columns: str) -> Listing:
    return Listing(title, columns)


def _changes(effects: dict[str, Any], sets: dict[str, Any]) -> str:
    """What a happening changes: ``target += amount`` for each effect, ``target = value`` for
    each set."""
    parts = [f"{k} += {_number(v)}" for k, v in effects.items()]
    parts += [f"{k} = {_number(v)}" for k, v in sets.items()]
    return ", ".join(parts)


def _elections_table(scenario: Scenario) -> Listing:
    """Each election's outcomes: who may take office, how likely, and what each sets."""
    table = _table("Elections", "id", "country", "takes office", "outcome", "p", "sets", "source")
    for election in scenario.elections:
        for k, outcome in enumerate(election.outcomes):
            first = k == 0
            probability = "rest" if outcome.is_rest else _number(outcome.probability)
            table.add_row(
                election.id if first else "",
                election.country if first else "",
                election.at if first else "",
                outcome.id,
                probability,
                _changes({}, outcome.sets),
                source_text(outcome.source or election.source),
            )
    return table


def _decoupling_lines(scenario: Scenario) -> list[str]:
    """What counts as decoupling: the signs (or the one condition), their combination, the
    cohesion index and its threshold."""
    d = scenario.decoupling
    if not d.signs:
        assert d.when is not None
        lines = [
            f"Decoupling: {d.when.text} for {d.for_steps} consecutive step(s) — "
            f"{source_text(d.source)}"
        ]
    else:
        n = "any sign" if d.at_least == 1 else f"at least {d.at_least} of the signs"
        lines = [f"Decoupling: {n} seen — {source_text(d.source)}"]
        lines += [
            f"  sign {sign.id}: {sign.when.text} for {sign.for_steps} step(s)"
            f"{' — ' + sign.label if sign.label else ''} — {source_text(sign.source)}"
            for sign in d.signs
        ]
    if d.index is not None:
        lines.append(
            f"Cohesion index (reported apart, not part of decoupling): {d.index.when.text} for "
            f"{d.index.for_steps} step(s); threshold {d.index.threshold} — "
            f"{source_text(d.index.source)}"
        )
    return lines


def _mechanisms(scenario: Scenario) -> list[Line | Listing]:
    """The contested mechanisms: each account with its prior, its modules and rules, its
    source; then the structures a run simulates by default."""
    import math

    from alliancesim.history_file import history_weights
    from alliancesim.structures import default_structures

    history = history_weights(scenario)
    table = _table(
        "Contested mechanisms: rival accounts (the first is the seed's own)",
        "mechanism",
        "account",
        "prior",
        "history",
        "modules → rules",
        "source",
    )
    evidence = history.evidence()
    for m in scenario.mechanisms:
        weights = history.accounts.get(m.id, {})
        kept = evidence.get(m.id, {}).get("accounts", {})
        for k, (a, prior) in enumerate(zip(m.accounts, m.priors, strict=True)):
            rules = [r.id for r in scenario.rules if r.account == f"{m.id}.{a.id}"]
            interval = (kept.get(a.id) or {}).get("interval")
            weighed = "—"
            if a.id in weights:
                weighed = f"{100 * weights[a.id]:.0f} %"
                if interval:
                    weighed += f"\n[{100 * interval[0]:.0f}–{100 * interval[1]:.0f} %]"
            table.add_row(
                f"{m.id}\n{_shorten(m.question, 80)}" if k == 0 else "",
                f"{a.id}{' (seed)' if k == 0 else ''}\n{a.label}",
                f"{100 * prior:.0f} %",
                weighed,
                f"{', '.join(a.include) or '(none)'} → {', '.join(rules) or 'no rules'}",
                source_text(a.source_of("prior") if a.prior is not None else a.source),
            )
    names = [s.name for s in default_structures(scenario)]
    total = math.prod(len(m.accounts) for m in scenario.mechanisms)
    separated = sorted(
        m
        for m, known in evidence.items()
        if any(a.get("verdict") == "separated" for a in known["accounts"].values())
    )
    verdict = (
        f"History separates accounts of {', '.join(separated)} only; the other mechanisms'"
        if separated
        else "History separates no account of any mechanism it weighs: their"
    )
    return [
        table,
        Line(f"Runs weigh the structures by {history.describe()} (alliancesim structures)."),
        *(
            [Line(f"{verdict} weights (90 % intervals beneath) lean without deciding.")]
            if evidence
            else []
        ),
        Line(
            f"Structures run by default ({len(names)}): {', '.join(names)}; every combination "
            f"(--structure all): {total}"
        ),
    ]


def scenario_shown(scenario: Scenario, loops: list[Loop]) -> list[Line | Listing]:
    """The scenario as ``show`` lists it: its title and description; actors, levers and
    parameters, issues, state, rules, contested mechanisms, events and actions, elections,
    policies, claims and indicators, each entry with its source; what counts as decoupling; and
    the shortest feedback loops of its rule graph."""
    out: list[Line | Listing] = []
    meta = scenario.scenario
    main_file = scenario.decoupling.origin[0]
    out.append(Line(meta.title, bold=True))
    out.append(Line(f"id {meta.id} · {meta.kind} · {_period_span(scenario)} · file {main_file}"))
    if meta.seed:
        out.append(Line(f"seed {meta.seed}"))
    if meta.include:
        out.append(Line(f"includes {', '.join(meta.include)}"))
    if meta.description:
        out.append(Line(_shorten(meta.description, 300)))

    table = _table("Actors", "id", "name", "kind", "parent", "capability", "source")
    for a in scenario.actors:
        table.add_row(
            a.id, a.name, a.kind, a.parent or "", _number(a.capability), source_text(a.source)
        )
    out.append(table)

    if scenario.levers or scenario.parameters:
        table = _table("Levers and parameters", "name", "value", "label", "source")
        for lever in scenario.levers:
            table.add_row(
                f"policy.{lever.id}", _number(lever.value), lever.label, source_text(lever.source)
            )
        for param in scenario.parameters:
            table.add_row(
                f"param.{param.id}", _number(param.value), param.label, source_text(param.source)
            )
        out.append(table)

    for issue in scenario.issues:
        title = (
            f"Issue {issue.id}: {issue.label} — 0 = {issue.ends[0]}, 100 = {issue.ends[1]}; "
            f"status quo {_number(issue.status_quo)} ({issue.status_quo_response}); "
            f"model {issue.model}; positions relax {_number(issue.relaxation)} a step toward "
            f"the standing preference; positions and saliences {issue.response}"
        )
        table = _table(title, "actor", "position", "salience", "source")
        for actor, stance in issue.positions.items():
            own = "" if stance.relaxation is None else f" (relaxes {_number(stance.relaxation)})"
            table.add_row(
                actor,
                _number(stance.position) + own,
                _number(stance.salience),
                source_text(stance.source),
            )
        out.append(table)

    if scenario.state:
        table = _table(
            "State variables",
            "id",
            "initial",
            "baseline",
            "relaxation",
            "bounds",
            "response",
            "source",
        )
        for v in scenario.state:
            table.add_row(
                v.id,
                _number(v.initial),
                _number(v.baseline) or "= initial",
                _number(v.relaxation),
                f"[{v.bounds[0]:g}, {v.bounds[1]:g}]",
                v.response + (" (may sit at a bound)" if v.at_bound else ""),
                source_text(v.source),
            )
        out.append(table)

    if scenario.rules:
        table = _table("Rules: target ← driver × gate", "id", "rule", "weight", "prop.", "source")
        for r in scenario.rules:
            gate = f" × ({r.gate.text})" if r.gate is not None else ""
            where = _origin(r, main_file)
            ident = r.id if where.startswith("line") or not where else f"{r.id}\n({where})"
            fades = "" if r.fades is None else f", fades {_number(r.fades)}"
            if r.account is not None:
                ident += f"\nonly under {r.account}"
            table.add_row(
                ident,
                f"{r.target} ← ({r.driver.text}){gate}",
                _number(r.weight) + fades,
                str(r.proposition or ""),
                source_text(r.source),
            )
        out.append(table)

    if scenario.mechanisms:
        out += _mechanisms(scenario)

    if scenario.events or scenario.schedule or scenario.actions:
        table = _table("Events and actions", "id", "kind", "who", "when / rate", "size", "source")
        for e in scenario.events:
            who = e.actor + (f" → {e.target}" if e.target else "")
            table.add_row(
                e.id,
                "stochastic",
                who,
                f"rate {_number(e.rate)}",
                _number(e.intensity),
                source_text(e.source),
            )
        for s in scenario.schedule:
            at = ", ".join(s.at) or "(only under policies)"
            changes = _changes(s.effects, s.sets)
            at += f"; {changes}" if changes else ""
            table.add_row(s.id, "scheduled", "", at, _number(s.intensity), source_text(s.source))
        for act in scenario.actions:
            who = act.actor + (f" → {act.target}" if act.target else "")
            effects = _changes(act.effects, act.sets)
            when = (
                f"when {act.when.text}, p = {_number(act.probability)}"
                f"{' (once)' if act.once else ''}; consulted {act.consulted.text}"
            )
            if effects:
                when += f"; {effects}"
            table.add_row(
                act.id, "action", who, when, _number(act.intensity), source_text(act.source)
            )
        out.append(table)

    if scenario.elections:
        out.append(_elections_table(scenario))

    table = _table("Policies", "id", "label", "changes", "source")
    table.add_row("baseline", "no changes", "", "")
    for p in scenario.policies:
        changes = [f"{k} = {_number(v)}" for k, v in p.set.items()]
        changes += [f"add {o.event} at {o.at}" for o in p.schedule]
        table.add_row(p.id, p.label, "; ".join(changes), source_text(p.source))
    out.append(table)

    if scenario.claims:
        table = _table("Claims", "id", "statement", "test", "source")
        for c in scenario.claims:
            k = c.compare
            test = f"{k.indicator} at {k.at}: {k.policy} {k.expect} than {k.against}"
            table.add_row(c.id, _shorten(c.statement, 120), test, source_text(c.source))
        out.append(table)

    if scenario.indicators:
        table = _table("Indicators", "id", "expression", "source")
        for i in scenario.indicators:
            table.add_row(i.id, i.expr.text, source_text(i.source))
        out.append(table)
    for line in _decoupling_lines(scenario):
        out.append(Line(line))

    table = _table(f"Feedback loops ({len(loops)})", "#", "polarity", "loop", "through")
    for n, loop in enumerate(loops[:SHOWN_LOOPS], 1):
        table.add_row(str(n), loop.polarity, loop.describe(), ", ".join(loop.rules))
    out.append(table)
    if len(loops) > SHOWN_LOOPS:
        out.append(Line(f"… and {len(loops) - SHOWN_LOOPS} longer loops (all of them with --json)"))
    return out


# --------------------------------------------------------------------------------------------
# kept between calls


def _kept_under(reference: str) -> tuple[str, str] | None:
    """The kind and fingerprint a built-in scenario's listing is kept under (None for a file,
    an unknown id, or history's weights read from a file of the user's, ``$ALLIANCESIM_HISTORY_
    WEIGHTS``, which the listing shows): the package's fingerprint and how the library's files
    are named from the working directory."""
    import os

    from alliancesim.history_file import ENVIRONMENT
    from alliancesim.scenario.files import display_path
    from alliancesim.scenario.library import LIBRARY, builtin_scenarios, looks_like_path
    from alliancesim.scenario.listing import package_fingerprint

    if os.environ.get(ENVIRONMENT) or looks_like_path(reference):
        return None
    if reference not in builtin_scenarios():
        return None
    named = display_path(LIBRARY / f"{reference}.toml")
    digest = hashlib.sha256(f"{package_fingerprint()}\0{named}".encode()).hexdigest()[:24]
    return f"show-{reference}", digest


def kept_shown(reference: str) -> list[Line | Listing] | None:
    """A built-in scenario's listing as kept by :func:`keep_shown`, or None (not a built-in,
    not kept yet, or kept by another version of the package or from another directory)."""
    from alliancesim.scenario.listing import read_kept

    where = _kept_under(reference)
    data = None if where is None else read_kept(*where)
    if not isinstance(data, list):
        return None
    try:
        return [_block(item) for item in data]
    except (ValueError, KeyError, TypeError):
        return None


def keep_shown(reference: str, shown: list[Line | Listing]) -> None:
    """Keep a built-in scenario's listing in the user cache (nothing for a file)."""
    from alliancesim.scenario.listing import keep

    where = _kept_under(reference)
    if where is not None:
        keep(
            *where,
            [
                {"line": b.text, "bold": b.bold}
                if isinstance(b, Line)
                else {
                    "title": b.title,
                    "columns": list(b.columns),
                    "rows": [list(r) for r in b.rows],
                }
                for b in shown
            ],
        )


def _block(item: dict[str, Any]) -> Line | Listing:
    """A kept line or listing read back."""
    if "line" in item:
        return Line(str(item["line"]), bool(item["bold"]))
    columns = tuple(str(c) for c in item["columns"])
    rows = [tuple(str(c) for c in row) for row in item["rows"]]
    if any(len(row) != len(columns) for row in rows):
        raise ValueError("a kept row does not match its columns")
    return Listing(str(item["title"]), columns, rows)
