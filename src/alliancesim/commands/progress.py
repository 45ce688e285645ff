"""The progress bar every simulating command shows on standard error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["simulation_progress"]


@contextmanager
def simulation_progress(
    console: Console, *, quiet: bool
) -> Iterator[tuple[Progress, Callable[[int, int], None]]]:
    """A transient bar of blocks simulated (hidden when quiet or not on a terminal), and the
    ``on_block(done, total)`` callback that moves it."""
    with Progress(
        TextColumn("[bold]simulating[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=None)

        def on_block(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield progress, on_block
