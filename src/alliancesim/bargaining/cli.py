"""`alliancesim bargain FILE`: forecast one negotiation from a stakeholder table, round by round."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from alliancesim.bargaining.forecast import History, forecast
from alliancesim.bargaining.rounds import MODELS
from alliancesim.bargaining.stakeholders import Stakeholders, read_stakeholders
from alliancesim.errors import InputError, Problem
from alliancesim.jsonable import dumps

__all__ = ["bargain", "parse_options"]

_MAX_COLUMNS = 14  # rounds shown in a table before the middle ones are elided


def _bad(flag: str, message: str) -> InputError:
    """A bad command-line value, reported like any other input problem (exit code 2)."""
    return InputError([Problem(flag, None, "", message)])


def parse_options(pairs: list[str]) -> dict[str, object]:
    """Model options from ``KEY=VALUE`` strings: numbers, true/false, comma lists, else text."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise _bad("--option", f"expected KEY=VALUE, got {pair!r}")
        out[key] = _value(raw)
    return out


def _value(raw: str) -> object:
    if "," in raw:
        return tuple(_value(part.strip()) for part in raw.split(","))
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return raw


def bargain(
    file: Annotated[
        Path,
        typer.Argument(
            help="Stakeholder CSV: columns actor, capability, position, salience (0–1 or 0–100) and "
            "optionally issue; or a KTAB scenario CSV (smpc format).",
            show_default=False,
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help=f"Bargaining model: {', '.join(MODELS)}. "
            "Default: smp for KTAB files, eum otherwise.",
            show_default=False,
        ),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            "--rounds",
            "-r",
            help="Rounds to run. Default: eum 8 (as Scholz et al.'s Table 2), smp "
            "until KTAB's stopping rule (at most 100 turns), compromise/median/nash 1.",
            show_default=False,
        ),
    ] = None,
    status_quo: Annotated[
        float | None,
        typer.Option(
            "--status-quo",
            help="Status quo of a single-issue table (the nash model needs one).",
            show_default=False,
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="Model option KEY=VALUE, repeatable, e.g. -o q=0.5 -o "
            "offer_rule=strongest (eum), -o pce=markov_uniform (smp), -o utility=quadratic (nash). "
            "See docs/bargaining.md.",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the whole history as JSON instead of tables.")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Write the position trajectories to this file: HTML only (self-contained "
            "plotly; PNG would need kaleido, which is not installed).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Forecast a negotiation from a stakeholder table: positions and forecast round by round."""
    if plot is not None and plot.suffix.lower() not in (".html", ".htm"):
        raise _bad(
            "--plot", f"{plot.name}: only .html is supported (PNG needs kaleido, not installed)"
        )
    if rounds is not None and rounds < 0:
        raise _bad("--rounds", f"expected a number of rounds >= 0, got {rounds}")
    if model is not None and model not in MODELS:
        raise _bad("--model", f"unknown model {model!r}; valid models: {', '.join(MODELS)}")
    table = read_stakeholders(file)
    if model is None:
        model = "smp" if table.scale is not None else "eum"
    if status_quo is not None:
        table = _with_status_quo(table, status_quo)
    options = parse_options(option or [])
    try:
        history = forecast(model, table, rounds=rounds, options=options or None)
    except ValueError as exc:
        raise _bad("--option", str(exc)) from None
    if plot is not None:
        from alliancesim.bargaining.plot import write_plot

        write_plot(history, plot)
    if json_output:
        from alliancesim.presentation.run_view import SCHEMA_VERSION

        typer.echo(dumps({"schema_version": SCHEMA_VERSION, **history.to_dict()}))
        return
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the table into 80 columns
        console = Console(width=200)
    name_width = min(24, max(len(a) for a in (*history.actors, "weighted mean")))
    fit = max(4, (console.width - name_width - 4) // 8)
    for d, issue in enumerate(history.issues):
        console.print(_issue_table(history, d, issue, fit))
    if history.probabilities is not None:
        console.print(_probability_table(history, fit))
    console.print(f"[bold]{history.model}[/bold]: {history.stopped}.")
    if plot is not None:
        console.print(f"Trajectories written to {plot}")


def _with_status_quo(table: Stakeholders, value: float) -> Stakeholders:
    if len(table.issues) != 1:
        raise _bad(
            "--status-quo", "this table has several issues; give each one a status_quo row instead"
        )
    from dataclasses import replace

    return replace(table, status_quo=np.array([value]))


def _columns(history: History, fit: int) -> list[int | None]:
    """Round numbers to show (None marks elided rounds; --json has them all)."""
    n = history.rounds + 1
    limit = min(_MAX_COLUMNS, fit)
    if n <= limit:
        return list(range(n))
    head = limit // 2
    tail = limit - head - 1
    return [*range(head), None, *range(n - tail, n)]


def _fmt(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.1f}"


def _issue_table(history: History, d: int, issue: str, fit: int) -> Table:
    cols = _columns(history, fit)
    title = f"{issue} — {history.model}: positions and forecast by round"
    table = Table(title=title, title_justify="left")
    table.add_column("actor", style="bold", no_wrap=True, max_width=24)
    for t in cols:
        table.add_column("…" if t is None else str(t), justify="right", no_wrap=True)
    for a, actor in enumerate(history.actors):
        if not np.isfinite(history.positions[0, a, d]):
            continue
        table.add_row(
            actor, *("…" if t is None else _fmt(history.positions[t, a, d]) for t in cols)
        )
    table.add_section()
    table.add_row(
        "forecast",
        *("…" if t is None else _fmt(history.forecasts[t, d]) for t in cols),
        style="bold",
    )
    table.add_row("weighted mean", *("…" if t is None else _fmt(history.means[t, d]) for t in cols))
    return table


def _probability_table(history: History, fit: int) -> Table:
    assert history.probabilities is not None
    cols = _columns(history, fit)
    table = Table(
        title="KTAB's probability of each actor's position, by turn", title_justify="left"
    )
    table.add_column("actor", style="bold", no_wrap=True, max_width=24)
    for t in cols:
        table.add_column("…" if t is None else str(t), justify="right", no_wrap=True)
    for a, actor in enumerate(history.actors):
        table.add_row(
            actor, *("…" if t is None else f"{history.probabilities[t, a]:.4f}" for t in cols)
        )
    return table
