"""What every part of the dashboard shares: the store, the scenario sources, the games, and the
views of stored runs (a stored run never changes, so its charts are drawn once)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alliancesim.errors import InputError
from alliancesim.store import Store, StoreBusyError
from alliancesim.web.games import GameCache
from alliancesim.web.limits import Limits, RunSlots
from alliancesim.web.sources import ScenarioSources
from alliancesim.web.upload import MAX_UPLOAD_BYTES

__all__ = ["Dashboard", "RunViews"]


class RunViews:
    """Recently drawn views of stored runs, keyed by tuples whose second item is the run id.

    A stored run is immutable, so a view drawn once is right until the run is deleted
    (:meth:`forget`). Concurrent requests for the same view wait for the first to draw it.
    """

    def __init__(self, size: int = 64):
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._making: dict[Hashable, threading.Lock] = {}

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """The view under ``key``, drawn by ``make()`` if it is not kept."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            value = make()
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._making.pop(key, None)
        return value

    def forget(self, run_id: str) -> None:
        """Drop every view of a run (after it is deleted)."""
        with self._lock:
            for key in [k for k in self._items if isinstance(k, tuple) and k[1:2] == (run_id,)]:
                del self._items[key]


@dataclass
class Dashboard:
    """One dashboard server's resources: the experiment store it reads and writes, the
    scenarios it offers, its working directory (uploads, background-job cache, run slots), its
    limits, its games and the views of stored runs."""

    store: Store
    sources: ScenarioSources
    workdir: Path
    games: GameCache
    upload_limit: int = MAX_UPLOAD_BYTES
    limits: Limits = field(default_factory=Limits)
    views: RunViews = field(default_factory=RunViews)

    @classmethod
    def at(
        cls,
        workdir: Path,
        store: Store,
        upload_limit: int = MAX_UPLOAD_BYTES,
        limits: Limits | None = None,
    ) -> Dashboard:
        """A dashboard keeping its uploads, job cache and run slots under ``workdir``."""
        sources = ScenarioSources(workdir / "uploads")
        return cls(store, sources, workdir, GameCache(sources), upload_limit, limits or Limits())

    @property
    def slots(self) -> RunSlots:
        """The run slots shared by every process of this dashboard (one per concurrent run)."""
        return RunSlots(self.workdir / "run-slots", self.limits.max_runs)

    def results(self, run_id: str) -> Any:
        """A stored run as :class:`alliancesim.results.Results` (kept; read only; InputError
        if there is no stored run with exactly this id)."""
        return self.views.get(
            ("results", run_id), lambda: self.store.open_run(self.exact_run_id(run_id))
        )

    def exact_run_id(self, run_id: str) -> str:
        """``run_id`` if a stored run has exactly this id (the store also resolves prefixes and
        ``latest``; the page never means those). InputError otherwise."""
        try:
            resolved = self.store.resolve(run_id)
        except StoreBusyError as exc:
            raise InputError.single("run", str(exc)) from None
        if resolved != run_id:
            raise InputError.single("run", f"no stored run {run_id!r}")
        return run_id
