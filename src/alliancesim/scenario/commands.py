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
from rich.table import Table
from rich.text import Text

from alliancesim.errors import InputError, Problem

if TYPE_CHECKING:  # the schema is imported by the commands that load a scenario, not by `scenarios`
    from alliancesim.scenario.loops import Loop
    from alliancesim.scenario.schema import Entry, Scenario
    from alliancesim.scenario.shown import Line, Listing

__all__ = ["scenarios", "show", "validate"]

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
# counts


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


def show(
    reference: str = typer.Argument(..., metavar="ID|FILE", help="A built-in id or a file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a scenario: actors, issues, perceptions, rules, events, policies and claims, each
    with its source, and the feedback loops of its rule graph."""
    from alliancesim.scenario.shown import keep_shown, kept_shown, scenario_shown

    shown = None if as_json else kept_shown(reference)
    if shown is None:
        from alliancesim.scenario.loops import feedback_loops

        scenario = _load(reference, as_json)
        loops = feedback_loops(scenario)
        if as_json:
            _emit_json(scenario_json(scenario, loops))
            return
        shown = scenario_shown(scenario, loops)
        keep_shown(reference, shown)
    _print_shown(shown)


def _print_shown(shown: list[Line | Listing]) -> None:
    """Lay out what ``show`` lists with Rich: each line as written (no markup), each listing a
    table whose cells fold."""
    from alliancesim.scenario.shown import Line

    console = _console()
    for block in shown:
        if isinstance(block, Line):
            console.print(Text(block.text, style="bold" if block.bold else ""))
            continue
        table = Table(title=block.title, title_justify="left", show_lines=False, expand=False)
        for column in block.columns:
            table.add_column(column, overflow="fold")
        for row in block.rows:
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
