"""Where the ensemble's chunks are simulated, and the one loop that hands them out.

An executor is a ``concurrent.futures.Executor``: this process (:class:`InlineExecutor`), a
process pool, or a Dask cluster (``Client.get_executor()``). :func:`in_order` is the only loop
over chunks: results come back in chunk order with a bounded number of chunks in flight, so
memory stays bounded and whatever is folded from the results is deterministic.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from alliancesim.errors import InputError

__all__ = ["InlineExecutor", "in_order", "make_executor", "using_executor"]


class InlineExecutor(Executor):
    """Runs each task at once in this process (the in-process executor)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        """Run ``fn`` now and return a finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


SCHEDULER_TIMEOUT = "10s"
"""How long to try to reach a Dask scheduler before saying it cannot be reached."""


def make_executor(
    workers: int = 1, scheduler: str | None = None, dask_local: bool = False
) -> Executor:
    """The executor for ``workers`` processes: in-process, a process pool, or Dask (a
    scheduler's address, or a local cluster)."""
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        if scheduler:
            try:
                client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError.single(
                    "--scheduler",
                    f"cannot reach a Dask scheduler at {scheduler!r} within "
                    f"{SCHEDULER_TIMEOUT} ({exc.__class__.__name__}: {str(exc).splitlines()[0]})",
                ) from None
        else:
            cluster = LocalCluster(
                n_workers=max(1, workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        executor = client.get_executor()
        executor._alliancesim_client = client  # type: ignore[attr-defined]
        return executor
    if workers <= 1:
        return InlineExecutor()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_process_context(),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )


PARENT_CHECK_SECONDS = 1.0
"""How often a worker process checks that the process that started it is still alive."""


def _die_with_parent(parent: int) -> None:
    """Make this worker process exit as soon as its parent is gone (killed, even by SIGKILL),
    so no worker outlives the run it was simulating for, holding memory."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="alliancesim-parent-watch", daemon=True).start()


@contextmanager
def using_executor(
    executor: Executor | None,
    workers: int = 1,
    scheduler: str | None = None,
    dask_local: bool = False,
) -> Iterator[Executor]:
    """The given executor, or one made by :func:`make_executor` and shut down (with its Dask
    client and cluster) when the block ends; unfinished chunks are cancelled."""
    if executor is not None:
        yield executor
        return
    own = make_executor(workers, scheduler, dask_local)
    try:
        yield own
    finally:
        _shut_down(own)


def in_order[T, R](
    executor: Executor, task: Callable[[T], R], chunks: Iterable[T], *, window: int
) -> Iterator[R]:
    """``task(chunk)`` of every chunk, in chunk order, with at most ``window`` chunks submitted
    and not yet handed back. Chunks are taken from ``chunks`` only as they are submitted, in
    order, so an iterator may make them as they are needed."""
    pending: deque[Future] = deque()
    for chunk in chunks:
        if len(pending) >= max(1, window):
            yield pending.popleft().result()
        pending.append(executor.submit(task, chunk))
    while pending:
        yield pending.popleft().result()


def _shut_down(executor: Executor) -> None:
    try:
        executor.shutdown(wait=True, cancel_futures=True)
    except TypeError:  # Dask's ClientExecutor has no cancel_futures
        executor.shutdown(wait=True)
    client = getattr(executor, "_alliancesim_client", None)
    if client is not None:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork where the platform has it (fast start, no main-module guard needed), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
