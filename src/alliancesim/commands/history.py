"""`alliancesim backtest` and `alliancesim calibrate`: the model against history.

``backtest [EPISODE …]`` simulates episodes (all built-in episodes without an argument) and
scores the model's forecast of each observation against persistence and trend; ``calibrate SCENARIO --episodes …`` narrows the uncertain ranges by
history matching on the episodes and writes them as a module of ``[[overrides]]`` that the
scenario can include.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.analysis.backtest import Backtest, Target, TargetScore, overall_skill
from alliancesim.analysis.backtest import backtest as run_backtest
from alliancesim.analysis.calibrate import (
    CUTOFF,
    Calibration,
    ParameterRange,
    Wave,
    calibration_module,
    history_match,
    module_parameters,
    module_priors,
    shared_ranges,
)
from alliancesim.commands.progress import task_progress
from alliancesim.errors import InputError
from alliancesim.history_file import source_hash
from alliancesim.jsonable import dumps
from alliancesim.outputs import check_writable, write_text_file
from alliancesim.presentation import SCHEMA_VERSION
from alliancesim.scenario.library import builtin_episodes
from alliancesim.scenario.loader import load_scenario
from alliancesim.scenario.schema import Scenario

__all__ = [
    "backtest",
    "backtest_table",
    "builtin_episodes",
    "calibrate",
    "calibration_table",
    "effect_table",
    "overall_table",
]


def _console() -> Console:
    """Standard output; wide when it is not a terminal, so piped tables keep their columns."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _number(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 10_000:
        return f"{x:+.3g}" if abs(x) < 1 else f"{x:+.2f}"
    return f"{x:+.2e}"


def _plain(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:.{digits}g}"


def _tick(ok: bool) -> str:
    return "[green]yes[/green]" if ok else "[red]no[/red]"


def _skill_text(x: float | None) -> str:
    if x is None:
        return "—"
    colour = "green" if x > 0 else "red" if x < 0 else "white"
    return f"[{colour}]{x:+.2f}[/{colour}]"


def _observed_text(target: Target) -> str:
    o = target.observation
    if target.kind == "event":
        return "happened" if o.value == 1 else "did not happen"
    base = target.base
    assert base is not None
    return f"{base.value:g} → {o.value:g}"


def _what(target: Target) -> str:
    o = target.observation
    if target.kind == "event":
        return f"event by {o.at}"
    base = target.base
    assert base is not None
    if target.kind == "count":
        return f"count {o.total_from}–{o.at}"
    return f"{base.at} → {o.at}"


def _forecast_text(row: TargetScore) -> str:
    if row.target.kind == "event":
        return f"P = {row.forecast['probability']:.2f}"
    f = row.forecast
    if row.target.kind == "level":
        return f"{f['q50']:+.3g} [{f['q05']:+.3g}, {f['q95']:+.3g}]"
    return f"{_plain(f['q50'])} [{_plain(f['q05'])}, {_plain(f['q95'])}]"


def _direction_text(row: TargetScore) -> str:
    word = row.direction
    check = row.model.direction
    if word in ("agrees", "disagrees") and check is not None and check.share is not None:
        text = f"{word} ({100 * check.share:.0f} %)"
        return text if word == "agrees" else f"[red]{text}[/red]"
    return word


def backtest_table(result: Backtest) -> Table:
    """A Rich table: each target's forecasts by the model, persistence and trend, and scores.

    CRPS and interval scores are in the observation's own units (a level's change, a count, an
    event's probability); the caption gives the mean scores on one footing and the skill.
    """
    summary = result.summary()
    skill = summary["skill"]
    means = summary["mean_scaled_crps"]
    counts = result.counts()

    def skill_of(key: str) -> str:
        value = skill.get(key, {}).get("skill")
        return "—" if value is None else f"{value:+.2f}"

    title = f"{result.episode}: {result.title} ({result.members:,} members, seed {result.seed})"
    if result.structure:
        title += f", structure {result.structure}"
    table = Table(
        title=escape(title),
        title_justify="left",
        caption=(
            f"mean CRPS on one footing: model {_plain(means['model'])}, persistence "
            f"{_plain(means['persistence'])}, trend {_plain(means['trend'])}; skill (CRPS) vs "
            f"persistence {skill_of('crps/persistence')}, vs trend {skill_of('crps/trend')}; "
            f"skill (interval score) vs persistence {skill_of('interval_score/persistence')}, vs "
            f"trend {skill_of('interval_score/trend')}; direction agrees {counts['direction_agrees']}, "
            f"disagrees {counts['direction_disagrees']}, not scored "
            f"{counts['direction_not_scored']}; observed level in the model's 90 % band "
            f"{counts['level_in_band']}/{counts['levels']}"
        ),
        caption_justify="left",
    )
    table.add_column("observed", no_wrap=True)
    table.add_column("when")
    table.add_column("value", justify="right")
    table.add_column("scored\n(± error)", justify="right")
    table.add_column("model\nmedian [5–95 %]", justify="right", no_wrap=True)
    table.add_column("CRPS\nmodel / pers. / trend", justify="right")
    table.add_column("interval score\nmodel / pers. / trend", justify="right")
    table.add_column("direction", justify="center")
    table.add_column("level in\nband", justify="center")
    for row in result.scored:
        t = row.target
        s = row.scores
        observed = (
            f"{t.observed:g}"
            if t.kind == "event"
            else f"{_number(t.observed) if t.kind == 'level' else _plain(t.observed)}"
            + (f" ± {_plain(t.sd, 2)}" if t.sd else "")
        )
        crps = " / ".join(_plain(s[f].crps) for f in ("model", "persistence", "trend"))
        interval = " / ".join(
            _plain(s[f].interval_score) for f in ("model", "persistence", "trend")
        )
        in_band = row.level_in_band
        table.add_row(
            escape(t.indicator),
            escape(_what(t)),
            escape(_observed_text(t)),
            observed,
            _forecast_text(row),
            crps,
            interval,
            _direction_text(row),
            "—" if in_band is None else _tick(in_band),
        )
    return table


def overall_table(results: Sequence[Backtest]) -> Table:
    """A Rich table: per episode and overall, mean scores on one footing and skill."""
    overall = overall_skill(results)
    table = Table(
        title=(
            f"{overall['episodes']} episodes, {overall['targets']} targets: the model against "
            "persistence and trend (scores divided by each target's footing; skill = 1 − "
            "model / reference, averages first)"
        ),
        title_justify="left",
    )
    table.add_column("episode")
    table.add_column("targets", justify="right")
    table.add_column("CRPS\nmodel / pers. / trend", justify="right")
    table.add_column("skill (CRPS)\nvs pers. / trend", justify="right")
    table.add_column("skill (interval)\nvs pers. / trend", justify="right")
    table.add_column("direction\nagree / disagree / not scored", justify="center")

    def skills(skill: dict[str, Any], score: str) -> str:
        return " / ".join(
            _skill_text(skill.get(f"{score}/{ref}", {}).get("skill"))
            for ref in ("persistence", "trend")
        )

    for result in results:
        summary = result.summary()
        means = summary["mean_scaled_crps"]
        table.add_row(
            escape(result.episode),
            str(summary["targets"]),
            " / ".join(_plain(means[f]) for f in ("model", "persistence", "trend")),
            skills(summary["skill"], "crps"),
            skills(summary["skill"], "interval_score"),
            f"{summary['direction_agrees']} / {summary['direction_disagrees']} / "
            f"{summary['direction_not_scored']}",
        )
    kinds = ", ".join(
        f"{kind}s {v['skill']:+.2f} ({v['n']})"
        for kind, v in overall["skill_by_kind"].items()
        if v["skill"] is not None
    )
    table.caption = f"skill (CRPS) vs persistence by kind of observation: {kinds}"
    table.caption_justify = "left"
    means = overall["mean_scaled"]["crps"]
    d = overall["direction"]
    table.add_row(
        "[bold]overall[/bold]",
        str(overall["targets"]),
        " / ".join(_plain(means[f]) for f in ("model", "persistence", "trend")),
        skills(overall["skill"], "crps"),
        skills(overall["skill"], "interval_score"),
        f"{d['agrees']} / {d['disagrees']} / {d['not_scored']}",
    )
    return table


def backtest(
    episode: Annotated[
        list[str] | None,
        typer.Argument(help="Episode ids or TOML files. Default: every built-in episode."),
    ] = None,
    members: Annotated[int, typer.Option("--members", "-n", help="Ensemble members.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write an HTML report: each series' observed points on the model's fan.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Replace a report file that alliancesim did not write.")
    ] = False,
) -> None:
    """Score the model's forecasts of historical episodes against persistence and trend."""
    names = list(episode) if episode else builtin_episodes()
    if not names:
        raise InputError.single("EPISODE", "there are no built-in episodes; name an episode file")
    if report is not None:
        check_writable(report, what="report", force=force)
    results = []
    with task_progress(Console(stderr=True), "back-testing", "episodes", quiet=as_json) as (
        _,
        advance,
    ):
        advance(0, len(names))
        for k, name in enumerate(names, 1):
            results.append(run_backtest(load_scenario(name), members=members, seed=seed))
            advance(k, len(names))
    if report is not None:
        from alliancesim.report.html import render_backtest_report

        text = render_backtest_report(results, overall_skill(results), members=members, seed=seed)
        write_text_file(report, text, what="report", force=force)
        if not as_json:
            Console(stderr=True).print(
                f"wrote the back-test report to {report}", highlight=False, markup=False
            )
    if as_json:
        typer.echo(
            dumps(
                {
                    "schema_version": SCHEMA_VERSION,
                    "episodes": [r.to_dict() for r in results],
                    "overall": overall_skill(results),
                }
            )
        )
        return
    console = _console()
    for result in results:
        console.print(backtest_table(result))
    if len(results) > 1:
        console.print(overall_table(results))


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
        title=escape(
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
            escape(calibration.label(r.dimension)),
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


def _episode_references(target: Scenario, reference: str, names: list[str]) -> list[str]:
    """The episodes to match, as given (built-in ids or files): ``names``, else SCENARIO itself
    if it is an episode, else every built-in episode."""
    if names:
        return names
    if target.scenario.kind == "episode":
        return [reference]
    found = builtin_episodes()
    if not found:
        raise InputError.single("--episodes", "no built-in episodes; name episode files")
    return list(found)


def _episodes_for(target: Scenario, names: list[str]) -> list[Scenario]:
    if not names and target.scenario.kind == "episode":
        return [target]
    return [load_scenario(name) for name in _episode_references(target, "", names)]


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
            help="Calibrate (unless --parameter says otherwise) and write only the parameters "
            "this rule module declares (e.g. dilemma), compared with the module's own priors; "
            "the episodes' other parameters vary between replicate worlds.",
        ),
    ] = None,
    module_id: Annotated[
        str | None, typer.Option("--module-id", help="Module id in the written file.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output file.")] = False,
    skip_unmatched: Annotated[
        bool,
        typer.Option(
            "--skip-unmatched",
            help="Leave out (and list) targets that no point of the prior box matches: "
            "structural misses that would rule every point out.",
        ),
    ] = False,
    rank: Annotated[
        int,
        typer.Option(
            help="Judge a point by its RANK-th largest implausibility (2 or 3 forgive one or "
            "two badly fitted targets).",
        ),
    ] = 1,
    out_of_sample: Annotated[
        bool,
        typer.Option(
            "--out-of-sample",
            help="Score calibration out of sample instead of writing it: calibrate without each "
            "episode (overlapping ones together), back-test it with prior and calibrated ranges.",
        ),
    ] = False,
    members: Annotated[
        int,
        typer.Option(
            "--members",
            "-n",
            help="Members of each back-test (--out-of-sample) or of each run (--effect).",
        ),
    ] = 1000,
    effect: Annotated[
        bool,
        typer.Option(
            "--effect",
            help="Then run SCENARIO with the written ranges at their priors and calibrated, on "
            "the same draws: how P(decoupling) of each policy moves.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Narrow SCENARIO's uncertain ranges by history matching on episodes; write them as a module."""
    target = load_scenario(scenario)
    chosen = _episodes_for(target, _split(episodes))
    if out_of_sample:
        _out_of_sample(
            target,
            chosen,
            module=module,
            points=points,
            replicates=replicates,
            waves=waves,
            cutoff=cutoff,
            discrepancy=discrepancy,
            seed=seed,
            members=members,
            skip_unmatched=skip_unmatched,
            rank=rank,
            as_json=as_json,
        )
        return
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
    priors = module_priors(module) if module else None
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
            parameters=_split(parameter) or (sorted(only) if only else None),
            on_wave=on_wave,
            skip_unmatched=skip_unmatched,
            rank=rank,
        )
    shared: list[ParameterRange] = []
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "scenario": target.id,
        **calibration.to_dict(),
        "written": None,
    }
    if not calibration.ruled_out_everywhere:
        shared = shared_ranges(calibration, target, only=only, priors=priors)
        date = dt.datetime.now(dt.UTC).date().isoformat()
        references = _episode_references(target, scenario, _split(episodes))
        sources = {e.id: source_hash(r) for e, r in zip(chosen, references, strict=True)}
        path.write_text(
            calibration_module(
                calibration,
                target,
                module_id=ident,
                date=date,
                only=only,
                priors=priors,
                sources=sources,
            ),
            encoding="utf-8",
        )
        payload["written"] = {
            "file": str(path),
            "module": ident,
            "parameters": [r.dimension.name for r in shared],
        }
    moved = None
    if effect and not calibration.ruled_out_everywhere:
        from alliancesim.analysis.calibration_effect import calibration_effect

        moved = calibration_effect(target, shared, members=members, seed=seed)
        payload["effect"] = moved.to_dict()
    if as_json:
        typer.echo(dumps(payload))
        return
    console = _console()
    console.print(calibration_table(calibration, shared))
    if calibration.unmatched:
        console.print(
            "left out as structural misses (no point of the prior box matches them): "
            + "; ".join(
                f"{u['episode']} {u['indicator']} {u['from']}→{u['to']}"
                for u in calibration.unmatched
            ),
            highlight=False,
            markup=False,
        )
    if moved is not None:
        console.print(effect_table(moved))
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
            f"episodes within the cut-off{escape(detail)}; nothing written"
        )
        return
    console.print(
        f"wrote {len(shared)} calibrated range{'s' if len(shared) != 1 else ''} to {path} "
        f"(module {ident}); include it after the modules it calibrates",
        markup=False,
    )


def effect_table(moved: Any) -> Table:
    """A Rich table: each policy's P(decoupling) with the ranges at their priors and calibrated
    (same draws), and the paired change."""
    from alliancesim.presentation.formats import percent, percent_interval

    names = ", ".join(r.dimension.name for r in moved.ranges) or "none"
    table = Table(
        title=escape(
            f"{moved.scenario}: P(decoupling by {moved.horizon}), prior against calibrated ranges "
            f"({moved.members:,} members, seed {moved.seed}, same draws)"
        ),
        title_justify="left",
        caption=escape(
            f"calibrated parameters: {names}; change = calibrated − prior, paired member by "
            f"member (95 % t); lowest risk: {moved.best('prior')} (prior), "
            f"{moved.best('calibrated')} (calibrated)"
        ),
        caption_justify="left",
    )
    for column in ("policy", "prior", "calibrated", "change"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    quantities = [q.name for q in moved.policies[0].quantities] if moved.policies else []
    for name in quantities:
        table.add_column(f"{name}\nprior → calibrated (change)", justify="right")
    for p in moved.policies:
        table.add_row(
            escape(p.policy),
            f"{percent(p.prior)} {percent_interval(p.prior_ci)}",
            f"{percent(p.calibrated)} {percent_interval(p.calibrated_ci)}",
            f"{100 * p.change:+.2f} pp [{100 * p.change_ci[0]:+.2f}, {100 * p.change_ci[1]:+.2f}]",
            *(f"{q.prior:.3f} → {q.calibrated:.3f} ({q.change:+.4f})" for q in p.quantities),
        )
    return table


def _out_of_sample(
    target: Scenario,
    chosen: list[Scenario],
    *,
    module: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Calibration scored out of sample (``calibrate --out-of-sample``): a table or JSON."""
    from alliancesim.analysis.out_of_sample import FoldCalibration, calibrate_out_of_sample
    from alliancesim.scenario.parameters import scenario_parameters

    transfer = (
        module_parameters(module)
        if module
        else {n for n, spec in scenario_parameters(target).items() if not spec.value.is_fixed}
    )
    progress = Console(stderr=True)

    def on_fold(fold: FoldCalibration) -> None:
        if not as_json:
            progress.print(f"fold {fold.fold}: done", highlight=False, markup=False)

    result = calibrate_out_of_sample(chosen, transfer=transfer, on_fold=on_fold, **options)
    if as_json:
        typer.echo(
            dumps({"schema_version": SCHEMA_VERSION, "scenario": target.id, **result.to_dict()})
        )
        return
    table = Table(
        title=(
            f"calibration scored out of sample: each fold calibrated on the others, back-tested "
            f"with prior and calibrated ranges ({result.members:,} members, seed {result.seed})"
        ),
        title_justify="left",
    )
    table.add_column("held out")
    table.add_column("ranges carried over (narrowed)")
    table.add_column("CRPS prior", justify="right")
    table.add_column("CRPS calibrated", justify="right")
    for fold in result.folds:
        carried = escape(
            ", ".join(
                f"{r.dimension.name} ({100 * (r.narrowing or 0):.0f} %)" for r in fold.transferred
            )
        )
        if fold.ruled_out_everywhere:
            carried = "[red]every point ruled out[/red]"
        table.add_row(
            escape(fold.fold),
            carried or "none",
            _plain(fold.mean_crps("prior")),
            _plain(fold.mean_crps("calibrated")),
        )
    prior, calibrated = result.overall("prior"), result.overall("calibrated")

    def skill(o: dict[str, Any]) -> str:
        value = o["skill"].get("crps/persistence", {}).get("skill")
        return "—" if value is None else f"{value:+.3f}"

    table.caption = (
        f"all held-out targets: mean CRPS on one footing {_plain(prior['mean_scaled']['crps']['model'])}"
        f" (prior) vs {_plain(calibrated['mean_scaled']['crps']['model'])} (calibrated); skill "
        f"against persistence {skill(prior)} vs {skill(calibrated)}"
    )
    table.caption_justify = "left"
    _console().print(table)
