"""Rival structures weighed by history, end to end: simulate every episode under each account.

For each contested mechanism of a scenario (``[[mechanisms]]``, RIVALS.md), the episodes that
declare the same mechanism — the same id, the same accounts, encoded by the same rule modules
(an episode picks the accounts up by including the same modules) — are simulated once per
account: the structure ``mechanism=account`` with every other mechanism at the seed's account,
all on the same draws (a structure changes no random number). Every target of every such
episode (:mod:`alliancesim.analysis.backtest`) then has one predictive distribution per
account, and :func:`~alliancesim.analysis.history_weights.weigh_accounts` turns them into each
account's out-of-sample scores and history's weights (pseudo-BMA+ by default, with bootstrap
intervals, BMA beside it; overlapping episodes held out together).

Nothing is fitted to the episode an account is scored on: each account runs with its prior
ranges, so an account's own score is out of sample as it stands, and the weights that score
the mixture on a fold are fitted on the other folds only.

The simulations are independent tasks (episode × structure) handed to an executor; each is
bit-identical whatever the number of workers (its members draw what ``alliancesim run`` draws
for the same seed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alliancesim.analysis.backtest import (
    Target,
    history_targets,
    simulate_history,
    target_members,
)
from alliancesim.analysis.history_weights import (
    DEFAULT_METHOD,
    AccountScores,
    Forecasts,
    Method,
    fold_groups,
    forecasts_of,
    weigh_accounts,
)
from alliancesim.draws import check_seed
from alliancesim.ensemble import compiled, scenario_hash
from alliancesim.errors import InputError
from alliancesim.executors import in_order, using_executor
from alliancesim.scenario.schema import Mechanism, Scenario
from alliancesim.structures import SEED, parse_structure

__all__ = [
    "HistoryWeighing",
    "MechanismHistory",
    "account_structure",
    "episodes_declaring",
    "weigh_by_history",
]


def account_structure(scenario: Scenario, mechanism: str, account: str) -> str:
    """The structure that chooses ``account`` for ``mechanism`` and the seed's account for
    every other mechanism (``seed`` for the seed's own account)."""
    return parse_structure(scenario, f"{mechanism}={account}").name


def _signature(mechanism: Mechanism) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What makes two declarations the same mechanism: its accounts and their modules, in no
    particular order (each scenario lists its seed's account first)."""
    return tuple(sorted((a.id, tuple(a.include)) for a in mechanism.accounts))


def episodes_declaring(
    mechanism: Mechanism, episodes: Sequence[Scenario]
) -> tuple[list[Scenario], list[str]]:
    """The episodes that declare ``mechanism`` with the same accounts and modules, and a note
    for each episode that declares a mechanism of that id differently (left out)."""
    chosen, notes = [], []
    for episode in episodes:
        found = next((m for m in episode.mechanisms if m.id == mechanism.id), None)
        if found is None:
            continue
        if _signature(found) != _signature(mechanism):
            notes.append(
                f"{episode.id} declares mechanism {mechanism.id!r} with other accounts or modules "
                f"({', '.join(f'{a}: {list(i)}' for a, i in _signature(found))}); left out"
            )
            continue
        chosen.append(episode)
    return chosen, notes


@dataclass(frozen=True)
class MechanismHistory:
    """History's verdict on one mechanism: the accounts' scores and weights, and how they were
    found (``scores`` is None when no episode declares the mechanism)."""

    mechanism: str
    label: str
    accounts: tuple[str, ...]
    includes: tuple[tuple[str, ...], ...]
    priors: tuple[float, ...]
    structures: tuple[str, ...]
    episodes: tuple[str, ...]
    scores: AccountScores | None
    notes: tuple[str, ...] = ()

    @property
    def weights(self) -> dict[str, float] | None:
        """History's weight of each account (None: no history)."""
        return None if self.scores is None else self.scores.weights

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out: dict[str, Any] = {
            "mechanism": self.mechanism,
            "label": self.label,
            "accounts": list(self.accounts),
            "modules": {a: list(i) for a, i in zip(self.accounts, self.includes, strict=True)},
            "priors": dict(zip(self.accounts, self.priors, strict=True)),
            "structures": dict(zip(self.accounts, self.structures, strict=True)),
            "episodes": list(self.episodes),
            "notes": list(self.notes),
            "history": None,
        }
        if self.scores is not None:
            out["history"] = self.scores.to_dict()
        return out


@dataclass(frozen=True)
class HistoryWeighing:
    """Every mechanism's verdict, with what it was computed from (members, seed, method, the
    episodes' content hashes) and how long the simulations took."""

    mechanisms: tuple[MechanismHistory, ...]
    members: int
    seed: int
    method: str
    episode_hashes: dict[str, str]
    simulations: int
    member_steps: int
    seconds: float
    folds: dict[str, str] = field(default_factory=dict)

    def mechanism(self, name: str) -> MechanismHistory:
        """One mechanism's verdict by id."""
        for m in self.mechanisms:
            if m.mechanism == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "members": self.members,
            "seed": self.seed,
            "method": self.method,
            "episodes": self.episode_hashes,
            "folds": self.folds,
            "simulations": self.simulations,
            "member_steps": self.member_steps,
            "seconds": self.seconds,
            "mechanisms": [m.to_dict() for m in self.mechanisms],
        }


@dataclass(frozen=True)
class _Task:
    """One simulation: an episode under one structure, and the targets to read off it."""

    episode: Scenario
    key: str
    structure: str
    members: int
    seed: int


def _simulate(task: _Task) -> list[np.ndarray]:
    """Per target of the episode, the members' values under the task's structure."""
    model = compiled(task.episode, task.key)
    records = simulate_history(model, task.members, task.seed, task.structure)
    targets, _ = history_targets(task.episode)
    return [target_members(t, records, model.record_names) for t in targets]


def weigh_by_history(
    mechanisms: Sequence[Mechanism],
    episodes: Sequence[Scenario],
    *,
    members: int = 1000,
    seed: int = 0,
    method: Method = DEFAULT_METHOD,
    workers: int = 1,
    executor: Executor | None = None,
    on_simulation: Callable[[int, int], None] | None = None,
) -> HistoryWeighing:
    """Weigh each mechanism's accounts by how well they forecast the episodes that declare it.

    ``mechanisms`` are the scenario's (their accounts and priors are the scenario's);
    ``episodes`` the candidates (only those declaring a mechanism the same way are used). Each
    used episode is simulated once per structure it needs (its seed structure once, shared by
    every mechanism, plus one per rival account), ``members`` members each, on the same draws.
    ``on_simulation(done, total)`` reports progress.
    """
    if members < 2:
        raise InputError.single("--members", f"members must be at least 2, got {members}")
    check_seed(seed)
    plans: list[tuple[Mechanism, list[Scenario], list[str]]] = []
    for mechanism in mechanisms:
        chosen, notes = episodes_declaring(mechanism, episodes)
        plans.append((mechanism, chosen, notes))
    used = list({e.id: e for _, chosen, _ in plans for e in chosen}.values())
    keys = {e.id: scenario_hash(e) for e in used}
    needed: dict[tuple[str, str], _Task] = {}
    for mechanism, chosen, _ in plans:
        for episode in chosen:
            for account in mechanism.accounts:
                name = account_structure(episode, mechanism.id, account.id)
                needed.setdefault(
                    (episode.id, name), _Task(episode, keys[episode.id], name, members, seed)
                )
    tasks = list(needed.values())
    started = time.perf_counter()
    values: dict[tuple[str, str], list[np.ndarray]] = {}
    with using_executor(executor, workers) as pool:
        for done, (task, result) in enumerate(
            zip(tasks, in_order(pool, _simulate, tasks, window=max(2, 2 * workers)), strict=True),
            1,
        ):
            values[(task.episode.id, task.structure)] = result
            if on_simulation is not None:
                on_simulation(done, len(tasks))
    seconds = time.perf_counter() - started
    folds = fold_groups(used) if used else {}
    out = []
    for mechanism, chosen, notes in plans:
        ids = tuple(a.id for a in mechanism.accounts)
        structures = tuple(_plain_name(mechanism, a) for a in ids)
        scores = None
        if chosen:
            forecasts: list[Forecasts] = []
            for episode in chosen:
                targets: list[Target] = history_targets(episode)[0]
                for j, target in enumerate(targets):
                    members_by_account = {
                        a: values[(episode.id, account_structure(episode, mechanism.id, a))][j]
                        for a in ids
                    }
                    forecasts.append(forecasts_of(target, folds[episode.id], members_by_account))
            scores = weigh_accounts(
                mechanism.id,
                ids,
                forecasts,
                structures=structures,
                priors=mechanism.priors,
                method=method,
                seed=seed,
            )
        out.append(
            MechanismHistory(
                mechanism=mechanism.id,
                label=mechanism.label,
                accounts=ids,
                includes=tuple(tuple(a.include) for a in mechanism.accounts),
                priors=tuple(float(p) for p in mechanism.priors),
                structures=structures,
                episodes=tuple(e.id for e in chosen),
                scores=scores,
                notes=tuple(notes),
            )
        )
    steps = sum(t.members * t.episode.scenario.horizon for t in tasks)
    return HistoryWeighing(
        mechanisms=tuple(out),
        members=members,
        seed=seed,
        method=method,
        episode_hashes=keys,
        simulations=len(tasks),
        member_steps=steps,
        seconds=seconds,
        folds=folds,
    )


def _plain_name(mechanism: Mechanism, account: str) -> str:
    """The structure choosing one account of a mechanism, the seed's for the others (its
    canonical name is the same in every scenario that declares the mechanism)."""
    return SEED if account == mechanism.accounts[0].id else f"{mechanism.id}={account}"
