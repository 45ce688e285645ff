"""CLI commands about scenarios: ``scenarios`` (the built-in library), ``show``, ``validate``.

Each takes ``--json`` for machine-readable output on stdout. Bad input exits with code 2 after
printing every problem, one per line on stderr (``error file:line: field: message``), or with
``--json`` on stdout as ``{"ok": false, "problems": [{file, line, field, message}, …]}``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from alliancesim.errors import InputError, Problem
from alliancesim.expr import ParsedExpression

if TYPE_CHECKING:  # the schema is imported by the commands that load a scenario, not by `scenarios`
    from alliancesim.scenario.loops import Loop
    from alliancesim.scenario.schema import Entry, Scenario, Source

__all__ = ["scenarios", "show", "validate"]

SHOWN_LOOPS = 40
"""Feedback loops listed by ``show`` (the shortest; ``--json`` gives all)."""
JSON_OPTION = typer.Option(False, "--json", help="Machine-readable output (JSON on stdout).")


def _console() -> Console:
    """Rich output on stdout, without markup (scenario text is printed as written); when not a
    terminal (pipes, files): $COLUMNS or 140 columns."""
    width = None
    if not sys.stdout.isatty():
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) >= 40 else 140
    return Console(highlight=False, markup=False, width=width)


def _emit_json(data: dict[str, Any]) -> None:
    """One JSON object on stdout, its first field the version of the shape (docs/json.md)."""
    from alliancesim.presentation.run_view import SCHEMA_VERSION

    data = {"schema_version": SCHEMA_VERSION, **data}
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "field": problem.field,
        "message": problem.message,
    }


def _load(reference: str, as_json: bool) -> Scenario:
    """Load a scenario; on bad input, print every problem (as JSON with ``--json``), exit 2."""
    from alliancesim.scenario.loader import load_scenario

    try:
        return load_scenario(reference)
    except InputError as exc:
        if as_json:
            _emit_json({"ok": False, "problems": [_problem_json(p) for p in exc.problems]})
        else:
            _print_problems(exc.problems)
        raise SystemExit(2) from None


def _print_problems(problems: list[Problem]) -> None:
    """One line per problem on stderr, ``error file:line: field: message`` (no markup parsing:
    messages are full of [brackets])."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in problems:
        console.print(Text.assemble(("error", "red"), " ", str(problem)))


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


def _counts(scenario: Scenario) -> dict[str, int]:
    from alliancesim.scenario.parameters import scenario_parameters
    from alliancesim.scenario.uncertain import Fixed

    params = scenario_parameters(scenario)
    uncertain = sum(1 for p in params.values() if not isinstance(p.value, Fixed))
    return {
        "actors": len(scenario.actors),
        "issues": len(scenario.issues),
        "rules": len(scenario.rules),
        "parameters": len(params),
        "uncertain": uncertain,
    }


# --------------------------------------------------------------------------------------------
# scenarios


def scenarios(as_json: bool = JSON_OPTION) -> None:
    """List the built-in scenarios: id, title, time span and what they contain."""
    from alliancesim.scenario.listing import library_rows

    rows = library_rows()
    if as_json:
        _emit_json({"scenarios": rows})
        return
    console = _console()
    if not rows:
        console.print("no built-in scenarios found")
        return
    table = Table(title="Built-in scenarios", title_justify="left")
    for column in ("id", "title", "kind", "period", "actors", "rules", "policies", "claims"):
        table.add_column(column)
    for row in rows:
        if not row["ok"]:
            table.add_row(row["id"], Text(f"invalid: {row['problems']} problems", style="red"))
            continue
        table.add_row(
            row["id"],
            row["title"],
            row["kind"],
            row["span"],
            str(row["actors"]),
            str(row["rules"]),
            str(row["policies"]),
            str(row["claims"]),
        )
    console.print(table)
    console.print("show one with: alliancesim show ID")


# --------------------------------------------------------------------------------------------
# validate


def validate(
    file: str = typer.Argument(..., metavar="FILE", help="A scenario file (or built-in id)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a scenario file: every problem with its file, line and field, or a one-line summary."""
    from alliancesim.scenario.library import resolve

    scenario = _load(file, as_json)
    counts = _counts(scenario)
    if as_json:
        _emit_json({"ok": True, "id": scenario.id, "file": str(resolve(file)), **counts})
        return
    print(
        f"ok: {scenario.id} ({_plural(counts['actors'], 'actor')}, "
        f"{_plural(counts['issues'], 'issue')}, {_plural(counts['rules'], 'rule')}, "
        f"{_plural(counts['parameters'], 'parameter')} of which {counts['uncertain']} uncertain)"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------------------------
# show


def _entry_json(entry: Entry) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude_none=True)
    file, line = entry.origin
    data["origin"] = {"file": file, "line": line}
    return data


def _loop_json(loop: Loop) -> dict[str, Any]:
    return {
        "nodes": loop.nodes,
        "rules": loop.rules,
        "sign": loop.sign,
        "polarity": loop.polarity,
    }


def scenario_json(scenario: Scenario, loops: list[Loop]) -> dict[str, Any]:
    """The whole scenario as JSON-ready data, each entry with its origin, plus loops and
    parameters."""
    from alliancesim.scenario.parameters import scenario_parameters
    from alliancesim.scenario.schema import ENTRY_SECTIONS
    from alliancesim.scenario.uncertain import Fixed

    sections = ENTRY_SECTIONS
    out: dict[str, Any] = {
        "id": scenario.id,
        "scenario": scenario.scenario.model_dump(mode="json"),
    }
    for section in sections:
        out[section] = [_entry_json(e) for e in getattr(scenario, section)]
    out["decoupling"] = _entry_json(scenario.decoupling)
    if scenario.mechanisms:
        out["structures"] = _structures_json(scenario)
    out["loops"] = [_loop_json(loop) for loop in loops]
    out["parameter_values"] = [
        {
            "name": spec.name,
            "value": spec.value.describe(),
            "uncertain": not isinstance(spec.value, Fixed),
        }
        for spec in scenario_parameters(scenario).values()
    ]
    return out


def _structures_json(scenario: Scenario) -> dict[str, Any]:
    """The structures a run of the scenario simulates by default, how many ``all`` is, and
    each account's prior within its mechanism and the rules it brings."""
    import math

    from alliancesim.history_file import history_weights
    from alliancesim.structures import default_structures

    history = history_weights(scenario)
    return {
        "default": [s.name for s in default_structures(scenario)],
        "all": math.prod(len(m.accounts) for m in scenario.mechanisms),
        "weights_source": history.describe(),
        "history_weights": history.accounts,
        "accounts": {
            f"{m.id}.{a.id}": {
                "prior": prior,
                "rules": [r.id for r in scenario.rules if r.account == f"{m.id}.{a.id}"],
            }
            for m in scenario.mechanisms
            for a, prior in zip(m.accounts, m.priors, strict=True)
        },
    }


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _changes(effects: dict[str, Any], sets: dict[str, Any]) -> str:
    """What a happening changes: ``target += amount`` for each effect, ``target = value`` for
    each set."""
    parts = [f"{k} += {_number(v)}" for k, v in effects.items()]
    parts += [f"{k} = {_number(v)}" for k, v in sets.items()]
    return ", ".join(parts)


def _elections_table(scenario: Scenario) -> Table:
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


def _show_mechanisms(console: Console, scenario: Scenario) -> None:
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
    for m in scenario.mechanisms:
        weights = history.accounts.get(m.id, {})
        for k, (a, prior) in enumerate(zip(m.accounts, m.priors, strict=True)):
            rules = [r.id for r in scenario.rules if r.account == f"{m.id}.{a.id}"]
            table.add_row(
                f"{m.id}\n{_shorten(m.question, 80)}" if k == 0 else "",
                f"{a.id}{' (seed)' if k == 0 else ''}\n{a.label}",
                f"{100 * prior:.0f} %",
                f"{100 * weights[a.id]:.0f} %" if a.id in weights else "—",
                f"{', '.join(a.include) or '(none)'} → {', '.join(rules) or 'no rules'}",
                source_text(a.source_of("prior") if a.prior is not None else a.source),
            )
    console.print(table)
    console.print(
        escape(f"Runs weigh the structures by {history.describe()} (alliancesim structures)."),
        highlight=False,
    )
    names = [s.name for s in default_structures(scenario)]
    total = math.prod(len(m.accounts) for m in scenario.mechanisms)
    console.print(
        f"Structures run by default ({len(names)}): {', '.join(names)}; every combination "
        f"(--structure all): {total}"
    )


def show(
    reference: str = typer.Argument(..., metavar="ID|FILE", help="A built-in id or a file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a scenario: actors, issues, perceptions, rules, events, policies and claims, each
    with its source, and the feedback loops of its rule graph."""
    from alliancesim.scenario.loops import feedback_loops

    scenario = _load(reference, as_json)
    loops = feedback_loops(scenario)
    if as_json:
        _emit_json(scenario_json(scenario, loops))
        return
    console = _console()
    meta = scenario.scenario
    main_file = scenario.decoupling.origin[0]
    console.print(Text(f"{meta.title}", style="bold"))
    console.print(f"id {meta.id} · {meta.kind} · {_period_span(scenario)} · file {main_file}")
    if meta.seed:
        console.print(f"seed {meta.seed}")
    if meta.include:
        console.print(f"includes {', '.join(meta.include)}")
    if meta.description:
        console.print(_shorten(meta.description, 300))

    table = _table("Actors", "id", "name", "kind", "parent", "capability", "source")
    for a in scenario.actors:
        table.add_row(
            a.id, a.name, a.kind, a.parent or "", _number(a.capability), source_text(a.source)
        )
    console.print(table)

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
        console.print(table)

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
        console.print(table)

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
        console.print(table)

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
        console.print(table)

    if scenario.mechanisms:
        _show_mechanisms(console, scenario)

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
        console.print(table)

    if scenario.elections:
        console.print(_elections_table(scenario))

    table = _table("Policies", "id", "label", "changes", "source")
    table.add_row("baseline", "no changes", "", "")
    for p in scenario.policies:
        changes = [f"{k} = {_number(v)}" for k, v in p.set.items()]
        changes += [f"add {o.event} at {o.at}" for o in p.schedule]
        table.add_row(p.id, p.label, "; ".join(changes), source_text(p.source))
    console.print(table)

    if scenario.claims:
        table = _table("Claims", "id", "statement", "test", "source")
        for c in scenario.claims:
            k = c.compare
            test = f"{k.indicator} at {k.at}: {k.policy} {k.expect} than {k.against}"
            table.add_row(c.id, _shorten(c.statement, 120), test, source_text(c.source))
        console.print(table)

    if scenario.indicators:
        table = _table("Indicators", "id", "expression", "source")
        for i in scenario.indicators:
            table.add_row(i.id, i.expr.text, source_text(i.source))
        console.print(table)
    for line in _decoupling_lines(scenario):
        console.print(Text(line))

    table = _table(f"Feedback loops ({len(loops)})", "#", "polarity", "loop", "through")
    for n, loop in enumerate(loops[:SHOWN_LOOPS], 1):
        table.add_row(str(n), loop.polarity, loop.describe(), ", ".join(loop.rules))
    console.print(table)
    if len(loops) > SHOWN_LOOPS:
        console.print(f"… and {len(loops) - SHOWN_LOOPS} longer loops (all of them with --json)")
