"""The progress bars commands show on standard error, all with one look.

A bar names what is being done and counts its units (blocks simulated, points evaluated,
waves, episodes) with the time elapsed and an estimate of the time left; work with no count (a PRIM search, drawing the
report's charts) shows its name with a spinner-like pulsing bar. Bars are transient and
hidden when quiet (``--json``) or when standard error is not a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["simulation_progress", "stage_progress", "task_progress"]


def _progress(console: Console, quiet: bool, *, counted: bool = True) -> Progress:
    counts = (MofNCompleteColumn(), TextColumn("{task.fields[unit]}")) if counted else ()
    remaining = (TextColumn("left"), TimeRemainingColumn()) if counted else ()
    return Progress(
        TextColumn("[bold]{task.description}[/bold]"),
        BarColumn(),
        *counts,
        TimeElapsedColumn(),
        *remaining,
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


@contextmanager
def task_progress(
    console: Console, what: str, unit: str, *, quiet: bool
) -> Iterator[tuple[Progress, Callable[[int, int], None]]]:
    """A bar for ``what`` counted in ``unit`` s, and the ``advance(done, total)`` callback that
    moves it."""
    with _progress(console, quiet) as progress:
        task = progress.add_task(what, total=None, unit=unit)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield progress, advance


@contextmanager
def simulation_progress(
    console: Console, *, quiet: bool
) -> Iterator[tuple[Progress, Callable[[int, int], None]]]:
    """A transient bar of blocks simulated (hidden when quiet or not on a terminal), and the
    ``on_block(done, total)`` callback that moves it."""
    with task_progress(console, "simulating", "blocks", quiet=quiet) as bar:
        yield bar


@contextmanager
def stage_progress(console: Console, *, quiet: bool) -> Iterator[Callable[[str], None]]:
    """A bar for work done in named stages without a count: ``stage(name)`` shows the stage
    now under way."""
    with _progress(console, quiet, counted=False) as progress:
        task = progress.add_task("", total=None, unit="")

        def stage(name: str) -> None:
            progress.update(task, description=name)

        yield stage
