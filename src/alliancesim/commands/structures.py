"""`alliancesim structures`: history's verdict on each contested mechanism's rival accounts.

For every mechanism of a scenario (default: every built-in scenario that is not an episode), each
account's prior, its out-of-sample scores on the episodes that declare the mechanism, history's
weight (pseudo-BMA+ with its 90 % bootstrap interval) and the BMA weight beside it, and how far
its summed log score lies behind the best account's — read from the weights file runs use, or
simulated now (``--compute``, ``--episodes``, or when the file is stale). ``--write FILE``
writes the weights as the file runs use (the packaged one is regenerated this way).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alliancesim.errors import InputError
from alliancesim.jsonable import dumps
from alliancesim.presentation import SCHEMA_VERSION
from alliancesim.presentation.formats import percent

__all__ = ["structures", "verdict_table"]


def _plain(x: float | None) -> str:
    return "—" if x is None else f"{x:.3g}"


def verdict_table(verdict: object) -> Table:
    """A Rich table of one mechanism: each account's modules, prior, scores and weights."""
    v = verdict  # a MechanismVerdict
    table = Table(
        title=escape(f"{v.id}: {v.label} — {v.question}"),  # type: ignore[attr-defined]
        title_justify="left",
        caption=escape(v.sentence() + "".join(f"\n{n}" for n in v.notes)),  # type: ignore[attr-defined]
        caption_justify="left",
    )
    table.add_column("account")
    table.add_column("modules")
    table.add_column("prior", justify="right")
    table.add_column("CRPS\n(one footing)", justify="right")
    table.add_column("log score\n(−log p)", justify="right")
    table.add_column(f"history's weight\n({v.method or 'none'})", justify="right")  # type: ignore[attr-defined]
    table.add_column("90 % bootstrap\ninterval", justify="right")
    table.add_column("BMA weight", justify="right")
    table.add_column("behind the best\n(summed log score,\nnats ± se)", justify="right")
    for k, a in enumerate(v.accounts):  # type: ignore[attr-defined]
        table.add_row(
            escape(a.id + (" (seed)" if k == 0 else "")),
            escape(", ".join(a.modules) or "(none)"),
            percent(a.prior, 0),
            _plain(a.crps),
            _plain(a.log_score),
            "—" if a.weight is None else percent(a.weight, 1),
            "—"
            if a.interval is None
            else f"{percent(a.interval[0], 0)}–{percent(a.interval[1], 0)}",
            "—" if a.bma_weight is None else percent(a.bma_weight, 1),
            _behind(a),
        )
    return table


def _behind(account: object) -> str:
    """An account's distance behind the best one, with its standard error and verdict."""
    a = account  # an AccountVerdict
    verdict = a.verdict  # type: ignore[attr-defined]
    if not verdict:
        return "—"
    if verdict in ("best", "identical"):
        return verdict
    se = "" if a.se is None else f" ± {a.se:.2g}"  # type: ignore[attr-defined]
    return f"{a.behind:.3g}{se} ({verdict})"  # type: ignore[attr-defined]


def _default_scenarios() -> list[str]:
    from alliancesim.commands.history import builtin_episodes
    from alliancesim.scenario.library import builtin_scenarios

    episodes = set(builtin_episodes())
    return [s for s in builtin_scenarios() if s not in episodes]


def structures(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Built-in scenario id or TOML file. Default: every built-in scenario that is "
            "not an episode."
        ),
    ] = None,
    episodes: Annotated[
        list[str] | None,
        typer.Option(
            "--episodes",
            "-e",
            help="Episodes to weigh the accounts on (repeatable): simulated now. Default: the "
            "built-in episodes.",
        ),
    ] = None,
    compute: Annotated[
        bool,
        typer.Option(
            "--compute", help="Simulate the episodes now instead of reading the weights file."
        ),
    ] = False,
    members: Annotated[
        int, typer.Option("--members", "-n", help="Members per episode and account.")
    ] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same results.")] = 0,
    workers: Annotated[int, typer.Option(help="Worker processes for the simulations.")] = 1,
    method: Annotated[
        str,
        typer.Option(
            help="History's weights: pseudo-bma+ (default: BMA averaged over Bayesian-bootstrap "
            "re-weightings of the episodes), bb-stacking, stacking, bma or crps-stacking."
        ),
    ] = "pseudo-bma+",
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="Read this weights file instead of the packaged one."),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Simulate now and write the weights as a file runs can use (run --weights FILE)."
            " The packaged file is regenerated this way.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite the --write file.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
) -> None:
    """Weigh each contested mechanism's rival accounts by history: prior, out-of-sample scores, weight."""
    from alliancesim import __version__
    from alliancesim.commands.progress import task_progress
    from alliancesim.scenario import load_scenario
    from alliancesim.workflows import structures_by_history

    if write is not None and write.exists() and not force:
        raise InputError.single(str(write), "the output file exists; use --force to overwrite it")
    names = [scenario] if scenario else _default_scenarios()
    loaded = [load_scenario(n) for n in names]
    chosen = [load_scenario(e) for e in episodes] if episodes else None
    with task_progress(Console(stderr=True), "simulating", "episode runs", quiet=as_json) as (
        _,
        advance,
    ):
        result = structures_by_history(
            loaded,
            episodes=chosen,
            compute=compute or write is not None,
            members=members,
            seed=seed,
            method=method,
            workers=workers,
            weights_file=weights,
            on_simulation=advance,
        )
    written = None
    if write is not None and result.weighing is not None:
        from alliancesim.history_file import weights_document
        from alliancesim.outputs import write_text_file

        command = " ".join(
            [
                "alliancesim structures",
                *([scenario] if scenario else []),
                *(f"--episodes {e}" for e in episodes or []),
                f"--write {write}",
                f"--members {members}",
                f"--seed {seed}",
                *([f"--method {method}"] if method != "pseudo-bma+" else []),
                f"--workers {workers}",
                "--force",
            ]
        )
        from alliancesim.scenario.library import looks_like_path

        sources = {
            e.id: str(Path(ref).resolve()) if looks_like_path(ref) else ref
            for e, ref in zip(chosen or [], episodes or [], strict=True)
        }
        document = weights_document(
            result.weighing,
            command=command,
            date=dt.datetime.now(dt.UTC).date().isoformat(),
            version=__version__,
            sources=sources,
        )
        write_text_file(write, dumps(document) + "\n", what="weights file", force=True)
        written = str(write)
    if as_json:
        typer.echo(
            dumps({"schema_version": SCHEMA_VERSION, **result.to_dict(), "written": written})
        )
        return
    console = Console() if Console().is_terminal else Console(width=160)
    if not result.verdicts:
        console.print(
            escape(
                f"{', '.join(result.scenarios)} declare{'s' if len(names) == 1 else ''} no "
                "contested mechanisms ([[mechanisms]]): nothing to weigh."
            )
        )
    for verdict in result.verdicts:
        console.print(verdict_table(verdict))
    for note in result.notes:
        console.print(escape(note), highlight=False)
    if result.weighing is not None:
        w = result.weighing
        console.print(
            escape(
                f"simulated now: {w.simulations} episode runs of {w.members:,} members "
                f"({w.member_steps:,} member-steps) in {w.seconds:.1f} s"
            ),
            highlight=False,
        )
    if written:
        Console(stderr=True).print(
            f"wrote history's weights to {written}", highlight=False, markup=False
        )
