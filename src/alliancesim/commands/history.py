"""`alliancesim backtest` and `alliancesim calibrate`: the model against history.

``backtest [EPISODE]`` simulates an episode (all built-in episodes without an argument) and
checks each observed change; ``calibrate SCENARIO --episodes …`` narrows the uncertain ranges by
history matching on the episodes and writes them as a module of ``[[overrides]]`` that the
scenario can include.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alliancesim.analysis.backtest import Backtest
from alliancesim.analysis.backtest import backtest as run_backtest
from alliancesim.analysis.calibrate import (
    CUTOFF,
    Calibration,
    ParameterRange,
    Wave,
    calibration_module,
    history_match,
    module_parameters,
    shared_ranges,
)
from alliancesim.commands.progress import task_progress
from alliancesim.errors import InputError
from alliancesim.jsonable import dumps
from alliancesim.presentation import SCHEMA_VERSION
from alliancesim.scenario.loader import LIBRARY, builtin_scenarios, load_scenario
from alliancesim.scenario.schema import Scenario

__all__ = [
    "backtest",
    "backtest_table",
    "builtin_episodes",
    "calibrate",
    "calibration_table",
]


def builtin_episodes() -> list[str]:
    """Ids of the built-in scenarios that are episodes (``kind = "episode"``), sorted."""
    out = []
    for ident in builtin_scenarios():
        try:
            meta = tomllib.loads((LIBRARY / f"{ident}.toml").read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # loading it reports the problem; it is not listed as an episode here
        if isinstance(meta.get("scenario"), dict) and meta["scenario"].get("kind") == "episode":
            out.append(ident)
    return out


def _console() -> Console:
    """Standard output; wide when it is not a terminal, so piped tables keep their columns."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _number(x: float) -> str:
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 10_000:
        return f"{x:+.3g}" if abs(x) < 1 else f"{x:+.2f}"
    return f"{x:+.2e}"


def _tick(ok: bool) -> str:
    return "[green]yes[/green]" if ok else "[red]no[/red]"


def backtest_table(result: Backtest) -> Table:
    """A Rich table: each observed change against the ensemble's simulated changes."""
    counts = result.counts()
    table = Table(
        title=f"{result.episode}: {result.title} ({result.members:,} members, seed {result.seed})",
        title_justify="left",
        caption=(
            f"direction agrees {counts['direction_agrees']}/{counts['changes']}, observed change "
            f"in the 90 % band {counts['change_in_band']}/{counts['changes']}, observed level in "
            f"the 90 % band {counts['level_in_band']}/{counts['changes']}"
        ),
        caption_justify="left",
    )
    table.add_column("indicator")
    table.add_column("from → to")
    table.add_column("observed", justify="right")
    table.add_column("observed Δ", justify="right")
    table.add_column("simulated Δ\nmedian [5–95 %]", justify="right")
    table.add_column("error", justify="right")
    table.add_column("direction\nobs / sim (share)", justify="center")
    table.add_column("Δ in\nband", justify="center")
    table.add_column("level in\nband", justify="center")
    for check in result.checks:
        c = check.change
        s = check.simulated
        arrows = {1: "up", -1: "down", 0: "flat"}
        direction = (
            f"{arrows[check.observed_direction]} / {arrows[check.simulated_direction]} "
            f"({100 * check.share_same_direction:.0f} %)"
        )
        if not check.direction_agrees:
            direction = f"[red]{direction}[/red]"
        table.add_row(
            c.indicator,
            f"{c.start.at} → {c.end.at}",
            f"{c.start.value:g} → {c.end.value:g}",
            _number(check.observed),
            f"{_number(s['q50'])} [{_number(s['q05'])}, {_number(s['q95'])}]",
            _number(check.error),
            direction,
            _tick(check.change_in_band),
            _tick(check.level_in_band),
        )
    return table


def backtest(
    episode: Annotated[
        str | None,
        typer.Argument(help="Episode id or TOML file. Default: every built-in episode."),
    ] = None,
    members: Annotated[int, typer.Option("--members", "-n", help="Ensemble members.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
) -> None:
    """Run historical episodes and compare simulated with observed changes, indicator by indicator."""
    names = [episode] if episode is not None else builtin_episodes()
    if not names:
        raise InputError.single("EPISODE", "there are no built-in episodes; name an episode file")
    results = []
    with task_progress(Console(stderr=True), "back-testing", "episodes", quiet=as_json) as (
        _,
        advance,
    ):
        advance(0, len(names))
        for k, name in enumerate(names, 1):
            results.append(run_backtest(load_scenario(name), members=members, seed=seed))
            advance(k, len(names))
    if as_json:
        typer.echo(
            dumps({"schema_version": SCHEMA_VERSION, "episodes": [r.to_dict() for r in results]})
        )
        return
    console = _console()
    for result in results:
        console.print(backtest_table(result))


def calibration_table(
    calibration: Calibration,
    written: Sequence[ParameterRange] = (),
    *,
    min_narrowing: float = 0.01,
) -> Table:
    """A Rich table: prior range, calibrated range and narrowing of each parameter it narrowed."""
    waves = ", ".join(f"{w.non_implausible}/{w.points}" for w in calibration.waves)
    rows = sorted(calibration.ranges, key=lambda r: -(r.narrowing or 0.0))
    shown = [
        r
        for r in rows
        if r.narrowing is None or r.narrowing >= min_narrowing or any(r is w for w in written)
    ]
    hidden = len(rows) - len(shown)
    table = Table(
        title=(
            f"history matching on {', '.join(calibration.episodes)} (cut-off "
            f"{calibration.cutoff:g}, discrepancy {calibration.discrepancy:g}); "
            f"not ruled out per wave: {waves}"
        ),
        title_justify="left",
        caption=(
            f"{hidden} more parameter{'s' if hidden != 1 else ''} narrowed by less than "
            f"{100 * min_narrowing:g} % (see --json)"
            if hidden
            else None
        ),
        caption_justify="left",
    )
    table.add_column("parameter")
    table.add_column("prior range", justify="right")
    table.add_column("calibrated range", justify="right")
    table.add_column("narrowed", justify="right")
    table.add_column("written", justify="center")
    for r in shown:
        lo, hi = r.dimension.prior_range
        cal = (
            "ruled out"
            if r.calibrated is None
            else f"{r.calibrated[0]:.4g} – {r.calibrated[1]:.4g}"
        )
        narrowed = "—" if r.narrowing is None else f"{100 * r.narrowing:.0f} %"
        table.add_row(
            calibration.label(r.dimension),
            f"{lo:.4g} – {hi:.4g}",
            cal,
            narrowed,
            "yes" if any(r is w for w in written) else "",
        )
    return table


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def _episodes_for(target: Scenario, names: list[str]) -> list[Scenario]:
    if names:
        return [load_scenario(name) for name in names]
    if target.scenario.kind == "episode":
        return [target]
    found = builtin_episodes()
    if not found:
        raise InputError.single("--episodes", "no built-in episodes; name episode files")
    return [load_scenario(name) for name in found]


def calibrate(
    scenario: Annotated[
        str,
        typer.Argument(help="The scenario whose ranges to narrow (built-in id or TOML file)."),
    ],
    episodes: Annotated[
        list[str] | None,
        typer.Option(
            "--episodes",
            "-e",
            help="Episodes to match (repeatable or comma-separated). Default: SCENARIO itself "
            "if it is an episode, else every built-in episode.",
        ),
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter",
            help="Glob pattern of parameters to calibrate, e.g. 'rules.p7_*' (repeatable). "
            "Default: every uncertain parameter of the episodes.",
        ),
    ] = None,
    points: Annotated[int, typer.Option(help="Parameter points per wave.")] = 2000,
    replicates: Annotated[
        int, typer.Option(help="Simulated worlds per point (events and other parameters vary).")
    ] = 8,
    waves: Annotated[
        int, typer.Option(help="Waves of history matching (each samples the previous NROY box).")
    ] = 4,
    cutoff: Annotated[
        float, typer.Option(help="Implausibility above which a point is ruled out.")
    ] = CUTOFF,
    discrepancy: Annotated[
        float,
        typer.Option(help="Model discrepancy, as a share of each observed change (sd)."),
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(help="Calibrated ranges file to write. Default: calibrated-<scenario>.toml."),
    ] = None,
    module: Annotated[
        str | None,
        typer.Option(
            "--module",
            help="Write only the parameters this rule module declares (e.g. dilemma).",
        ),
    ] = None,
    module_id: Annotated[
        str | None, typer.Option("--module-id", help="Module id in the written file.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Narrow SCENARIO's uncertain ranges by history matching on episodes; write them as a module."""
    target = load_scenario(scenario)
    chosen = _episodes_for(target, _split(episodes))
    path = out if out is not None else Path(f"calibrated-{target.id}.toml")
    if path.exists() and not force:
        raise InputError.single(str(path), "the output file exists; use --force to overwrite it")
    ident = module_id or "calibrated_" + "".join(
        ch if ch.isalnum() else "_" for ch in target.id.lower()
    )
    if not re.match(r"^[a-z][a-z0-9_]*$", ident):
        raise InputError.single(
            "--module-id",
            f"expected lower-case letters, digits and _ (e.g. calibrated_dilemma), got {ident!r}",
        )
    only = module_parameters(module) if module else None
    progress = Console(stderr=True)
    with task_progress(progress, "history matching", "waves", quiet=as_json) as (bar, advance):
        advance(0, waves)

        def on_wave(wave: Wave) -> None:
            advance(wave.index, waves)
            if not as_json:
                bar.console.print(
                    f"wave {wave.index}: {wave.non_implausible:,} of {wave.points:,} points not "
                    f"ruled out ({wave.pooled:,} in the next box's evidence)",
                    highlight=False,
                )

        calibration = history_match(
            chosen,
            points=points,
            replicates=replicates,
            waves=waves,
            cutoff=cutoff,
            discrepancy=discrepancy,
            seed=seed,
            parameters=_split(parameter) or None,
            on_wave=on_wave,
        )
    shared: list[ParameterRange] = []
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "scenario": target.id,
        **calibration.to_dict(),
        "written": None,
    }
    if not calibration.ruled_out_everywhere:
        shared = shared_ranges(calibration, target, only=only)
        date = dt.datetime.now(dt.UTC).date().isoformat()
        path.write_text(
            calibration_module(calibration, target, module_id=ident, date=date, only=only),
            encoding="utf-8",
        )
        payload["written"] = {
            "file": str(path),
            "module": ident,
            "parameters": [r.dimension.name for r in shared],
        }
    if as_json:
        typer.echo(dumps(payload))
        return
    console = _console()
    console.print(calibration_table(calibration, shared))
    if calibration.ruled_out_everywhere:
        hardest = calibration.worst_changes[0] if calibration.worst_changes else None
        detail = (
            f" (hardest: {hardest['episode']} {hardest['indicator']} {hardest['from']}→"
            f"{hardest['to']}, implausibility {hardest['implausibility']:.2f})"
            if hardest
            else ""
        )
        console.print(
            f"[red]every sampled point is ruled out[/red]: the model cannot reproduce the "
            f"episodes within the cut-off{detail}; nothing written"
        )
        return
    console.print(
        f"wrote {len(shared)} calibrated range{'s' if len(shared) != 1 else ''} to {path} "
        f"(module {ident}); include it after the modules it calibrates"
    )
