"""Rival structures: which account of each contested mechanism a run assumes, and their weights.

A scenario's ``[[mechanisms]]`` are the mechanisms the seeds or the literature explain in rival
ways (RIVALS.md); each has two or more *accounts*, the first being the seed's own. A
*structure* chooses one account for every mechanism. It is written by the accounts that differ
from the seed's, in the scenario's mechanism order::

    seed                                      every mechanism at its first account
    consult=costly_signal                     one rival account, the others the seed's
    consult=costly_signal,burden=leverage     two rival accounts

(accounts named at their first account may be written too; the name is made canonical). In the
model a structure is a set of values of the 0/1 rows ``structure.<mechanism>.<account>``: the
rules an account brings act only where its row is 1 (docs/semantics.md). A structure changes no
random draw, so every structure of a run sees the same worlds: a structure is paired like a
policy (common random numbers).

A run's structures (:func:`structures_to_run`): by default the seed and each rival account alone
("one at a time", 1 + Σ (k − 1) structures); ``"all"``, every combination (at most
:data:`MAX_STRUCTURES`); or a list of structures. Their weights (:func:`structure_weights`) are
the products of the accounts' priors (each mechanism's priors normalised over its accounts),
normalised over the structures run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alliancesim.errors import InputError
from alliancesim.scenario.names import suggest
from alliancesim.scenario.schema import Mechanism, Rule, Scenario

__all__ = [
    "ALL",
    "MAX_STRUCTURES",
    "SEED",
    "WEIGHTED",
    "Structure",
    "active_rules",
    "all_structures",
    "default_structures",
    "flag_name",
    "parse_structure",
    "structure_weights",
    "structures_to_run",
]

SEED = "seed"
"""The structure that keeps every mechanism at its first account (the seed's own)."""
ALL = "all"
"""Every combination of accounts."""
WEIGHTED = "weighted"
"""The name under which the weighted combination of a run's structures is kept (never a
structure's name: those are ``seed`` or hold ``=``)."""
MAX_STRUCTURES = 64
"""The most structures ``all`` may run."""
OPTION = "--structure"


def flag_name(mechanism: str, account: str) -> str:
    """The 0/1 quantity that says whether a structure chooses an account."""
    return f"structure.{mechanism}.{account}"


@dataclass(frozen=True)
class Structure:
    """One account for every mechanism: its canonical name, the accounts chosen (in the
    scenario's mechanism order) and its prior (the product of the accounts' priors)."""

    name: str
    accounts: tuple[tuple[str, str], ...]  # (mechanism, account) for every mechanism
    prior: float
    account_priors: tuple[float, ...] = ()
    """The prior of each chosen account within its mechanism (same order as ``accounts``)."""

    def flags(self, mechanisms: Sequence[Mechanism]) -> dict[str, float]:
        """``structure.<mechanism>.<account>`` → 1.0 for the accounts chosen, 0.0 for the others."""
        chosen = set(self.accounts)
        return {
            flag_name(m.id, a.id): 1.0 if (m.id, a.id) in chosen else 0.0
            for m in mechanisms
            for a in m.accounts
        }

    def account(self, mechanism: str) -> str:
        """The account this structure chooses for one mechanism."""
        return dict(self.accounts)[mechanism]


def _structure(mechanisms: Sequence[Mechanism], choice: dict[str, str]) -> Structure:
    """The structure choosing ``choice[m]`` (default: the first account) for each mechanism."""
    accounts = []
    priors = []
    rivals = []
    for mechanism in mechanisms:
        ids = [a.id for a in mechanism.accounts]
        account = choice.get(mechanism.id, ids[0])
        accounts.append((mechanism.id, account))
        priors.append(mechanism.priors[ids.index(account)])
        if account != ids[0]:
            rivals.append(f"{mechanism.id}={account}")
    return Structure(",".join(rivals) or SEED, tuple(accounts), math.prod(priors), tuple(priors))


def parse_structure(scenario: Scenario, text: str) -> Structure:
    """The structure ``text`` names (``seed`` or ``mechanism=account,…``); InputError saying
    what is wrong (an unknown mechanism or account, a mechanism named twice, a malformed part)."""
    mechanisms = list(scenario.mechanisms)
    spec = "".join(str(text).split())
    if spec == SEED:
        return _structure(mechanisms, {})
    by_id = {m.id: m for m in mechanisms}
    if not mechanisms:
        raise InputError.single(
            OPTION,
            f"{scenario.id} declares no contested mechanisms ([[mechanisms]]): its only "
            f"structure is {SEED!r}, got {text!r}",
        )
    choice: dict[str, str] = {}
    for part in spec.split(","):
        mechanism, equals, account = part.partition("=")
        if not equals or not mechanism or not account:
            raise InputError.single(
                OPTION,
                f"expected {SEED!r}, {ALL!r} or mechanism=account pairs joined by commas "
                f"(e.g. {_example(mechanisms)}), got {text!r}",
            )
        if mechanism not in by_id:
            raise InputError.single(
                OPTION,
                f"unknown mechanism {mechanism!r} in {text!r}{suggest(mechanism, by_id)}; "
                f"known: {', '.join(by_id)}",
            )
        accounts = [a.id for a in by_id[mechanism].accounts]
        if account not in accounts:
            raise InputError.single(
                OPTION,
                f"mechanism {mechanism!r} has no account {account!r}{suggest(account, accounts)}; "
                f"its accounts: {', '.join(accounts)}",
            )
        if mechanism in choice and choice[mechanism] != account:
            raise InputError.single(
                OPTION, f"{text!r} chooses two accounts of mechanism {mechanism!r}"
            )
        choice[mechanism] = account
    return _structure(mechanisms, choice)


def _example(mechanisms: Sequence[Mechanism]) -> str:
    if not mechanisms:
        return "consult=costly_signal"
    return f"{mechanisms[0].id}={mechanisms[0].accounts[-1].id}"


def default_structures(scenario: Scenario) -> list[Structure]:
    """The seed and each rival account alone, the other mechanisms at the seed's account."""
    mechanisms = list(scenario.mechanisms)
    out = [_structure(mechanisms, {})]
    for mechanism in mechanisms:
        for account in mechanism.accounts[1:]:
            out.append(_structure(mechanisms, {mechanism.id: account.id}))
    return out


def all_structures(scenario: Scenario) -> list[Structure]:
    """Every combination of accounts, the seed first; InputError above :data:`MAX_STRUCTURES`."""
    mechanisms = list(scenario.mechanisms)
    count = math.prod(len(m.accounts) for m in mechanisms)
    if count > MAX_STRUCTURES:
        sizes = " × ".join(str(len(m.accounts)) for m in mechanisms)
        raise InputError.single(
            OPTION,
            f"{ALL!r} would run {count} structures ({sizes} accounts), more than "
            f"{MAX_STRUCTURES}: name the structures to run with {OPTION} instead",
        )
    combinations = itertools.product(*([a.id for a in m.accounts] for m in mechanisms))
    return [
        _structure(mechanisms, dict(zip((m.id for m in mechanisms), combo, strict=True)))
        for combo in combinations
    ]


def structures_to_run(
    scenario: Scenario, requested: str | Sequence[str] | None = None
) -> list[Structure]:
    """The structures a run simulates: the default design (None), every combination (``"all"``)
    or the structures named (in the order given, each once)."""
    if requested is None:
        return default_structures(scenario)
    names = [requested] if isinstance(requested, str) else list(requested)
    if not names:
        return default_structures(scenario)
    if ALL in names:
        if len(names) > 1:
            raise InputError.single(OPTION, f"{ALL!r} already runs every structure; give it alone")
        return all_structures(scenario)
    out: list[Structure] = []
    for name in names:
        structure = parse_structure(scenario, name)
        if structure.name not in {s.name for s in out}:
            out.append(structure)
    return out


def structure_weights(
    structures: Sequence[Structure],
    accounts: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, float]:
    """Each structure's weight: the product of its accounts' weights, normalised over the
    structures given. An account's weight is its prior within its mechanism, or, for the
    mechanisms in ``accounts`` (mechanism → account → weight, e.g. history's weights), the
    weight given there. If those weights leave every structure given at zero (history rules
    out every account run), the priors are used."""
    if accounts:
        raw = {s.name: _weight(s, accounts) for s in structures}
        total = sum(raw.values())
        if total > 0:
            return {name: w / total for name, w in raw.items()}
    total = sum(s.prior for s in structures)
    return {s.name: s.prior / total for s in structures}


def _weight(structure: Structure, accounts: Mapping[str, Mapping[str, float]]) -> float:
    """A structure's unnormalised weight: its accounts' weights (given, else priors) multiplied."""
    priors = structure.account_priors or (1.0,) * len(structure.accounts)
    return math.prod(
        float(accounts[m][a]) if m in accounts and a in accounts[m] else p
        for (m, a), p in zip(structure.accounts, priors, strict=True)
    )


def active_rules(scenario: Scenario, structure: Structure | str) -> list[Rule]:
    """The rules that act under a structure: every rule without an account, and those of the
    accounts the structure chooses (the signed rule graph of that structure)."""
    if isinstance(structure, str):
        structure = parse_structure(scenario, structure)
    chosen = {f"{m}.{a}" for m, a in structure.accounts}
    return [r for r in scenario.rules if r.account is None or r.account in chosen]
