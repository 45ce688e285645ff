"""Background jobs (runs) forked from a threaded server, safely.

Each run is a Dash background job: Dash forks the server process, and the job reports progress
and its result through a ``diskcache`` SQLite database that the server's request threads poll.
A fork copies only the forking thread; any lock another thread held at that instant stays held
in the child forever. Two such locks were seen to hang runs (about once in 40 runs started five
at a time, with or without the run limits): SQLite's record of its file locks (the job then
waits on the job cache for good), and DuckDB's instance-cache mutex (the job then hangs opening
the store's catalogue while holding the catalogue lock, and every request that reads the store
waits behind it). Both are held only while a request is being served.

So the server forks only between requests: every request holds the :class:`ForkGate` shared
while it is served, and a fork (``os.register_at_fork``) waits until no request other than the
one forking is being served, holding new ones back meanwhile (a Run waits at most as long as
the requests already going; in the load benchmark, well under a second). The child starts with
a fresh gate.

Dash's manager also kills a job once its result is read; when the job has just exited, psutil
raised ``NoSuchProcess`` half-way and the result, already taken from the cache, was lost (about
once in 100 runs started five at a time). :class:`JobManager` lets a job that is gone be gone.
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from typing import Any

import diskcache
import psutil
from dash import DiskcacheManager
from flask import Flask, g

__all__ = ["ForkGate", "JobManager", "gate"]


class ForkGate:
    """Requests hold it shared while they are served; a fork of the process holds it alone
    (waiting for the requests already going, except the forking one, and holding new ones
    back: writer first, so a stream of requests cannot starve a Run)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._serving = 0
        self._forks_waiting = 0
        self._forking = False
        self._mine = threading.local()

    def enter(self) -> None:
        """A request starts being served."""
        with self._cond:
            while self._forking or self._forks_waiting:
                self._cond.wait()
            self._serving += 1
        self._mine.count = getattr(self._mine, "count", 0) + 1

    def leave(self) -> None:
        """A request has been served."""
        self._mine.count -= 1
        with self._cond:
            self._serving -= 1
            self._cond.notify_all()

    def before_fork(self) -> None:
        """Wait until no other request is being served. The forking thread's own request (a
        Run) stands still at a safe point meanwhile, so it does not count, nor do those of
        other threads waiting to fork (two Runs pressed together would otherwise wait for
        each other)."""
        own = getattr(self._mine, "count", 0)
        with self._cond:
            self._serving -= own
            self._forks_waiting += 1
            while self._forking or self._serving > 0:
                self._cond.wait()
            self._forks_waiting -= 1
            self._forking = True
            self._serving += own

    def after_fork(self) -> None:
        """In the parent, once the child exists: let requests and other forks in again."""
        with self._cond:
            self._forking = False
            self._cond.notify_all()

    def install(self, server: Flask) -> None:
        """Hold the gate for every request the server lets through (after the guard)."""

        def enter() -> None:
            self.enter()
            g.alliancesim_gate = True

        def leave(_exc: BaseException | None) -> None:
            if g.pop("alliancesim_gate", False):
                self.leave()

        server.before_request(enter)
        server.teardown_request(leave)


gate = ForkGate()
"""This process's gate (one per process, whatever the number of apps)."""


def _fresh_gate_in_child() -> None:
    global gate
    gate = ForkGate()


os.register_at_fork(
    before=lambda: gate.before_fork(),
    after_in_parent=lambda: gate.after_fork(),
    after_in_child=_fresh_gate_in_child,
)


class JobManager(DiskcacheManager):
    """Dash's disk-cache manager of background jobs (its cache under ``directory``), tolerating
    a job that exits while it is being stopped."""

    def __init__(self, directory: str, **kwargs: Any):
        super().__init__(diskcache.Cache(directory), **kwargs)

    def terminate_job(self, job: Any) -> None:
        """Stop a job's process and its children; nothing to do if it has already exited."""
        with suppress(psutil.NoSuchProcess):
            super().terminate_job(job)
