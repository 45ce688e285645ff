"""Load a scenario from TOML: read it, validate every entry, follow its includes, check every
reference, and build the :class:`~alliancesim.scenario.schema.Scenario`.

Each step is a module with one job: :mod:`~alliancesim.scenario.library` says which file a
reference names; :mod:`~alliancesim.scenario.files` reads it (TOML with located errors, through
:mod:`~alliancesim.scenario.reading`'s limits); :mod:`~alliancesim.scenario.validation` checks
each entry against its section's schema (in the words of :mod:`~alliancesim.scenario.wording`);
:mod:`~alliancesim.scenario.includes` follows the rule modules (the scenario's, and those of each
account of its contested mechanisms, whose rules the loader marks with their account);
:mod:`~alliancesim.scenario.merge` puts the scenario and its modules together and checks that
ids are unique; :mod:`~alliancesim.scenario.references` checks every reference between entries;
:mod:`~alliancesim.scenario.overrides` applies the modules' revised ranges.

All problems are collected and raised together as one :class:`~alliancesim.errors.InputError`,
each naming the file, the line, the field path and what was expected. Nothing in a scenario
file can make the loader raise anything but ``InputError``: every problem is a message, never a
traceback.
"""

from __future__ import annotations

import tomllib  # noqa: F401 - files.py parses with it; tests/attacks patch it through this module
from pathlib import Path
from typing import Any

from alliancesim.errors import InputError
from alliancesim.scenario.clock import Clock
from alliancesim.scenario.files import Problems, TomlFile, read_toml
from alliancesim.scenario.includes import (
    follow_account_includes,
    follow_includes,
    include_target,
)
from alliancesim.scenario.library import (
    LIBRARY,
    builtin_modules,
    builtin_scenarios,
    looks_like_path,
    resolve,
)
from alliancesim.scenario.merge import check_duplicates, merge
from alliancesim.scenario.names import suggest
from alliancesim.scenario.overrides import apply_overrides
from alliancesim.scenario.reading import Includes
from alliancesim.scenario.references import check_references
from alliancesim.scenario.schema import Module, Scenario
from alliancesim.scenario.sections import sections
from alliancesim.scenario.validation import Document, Item, validate

__all__ = [
    "LIBRARY",
    "Includes",
    "builtin_modules",
    "builtin_scenarios",
    "include_target",
    "load_module",
    "load_scenario",
    "resolve",
]

_SCENARIO_SECTIONS = {s.key: s.model for s in sections("scenario", single=False)}
"""The arrays of tables a scenario may have, with their entries' schema (the fuzz tests' list)."""


def load_scenario(reference: str | Path, *, includes: Includes = Includes.FILES) -> Scenario:
    """Load and fully check a scenario (a built-in id such as ``us-rok-2025`` or a TOML path).

    ``includes`` says what the scenario may include: built-in modules and module files (the
    default), or built-in modules only (``Includes.BUILTIN``, for files from untrusted hands).
    Raises :class:`~alliancesim.errors.InputError` listing every problem found: each with the
    file, the line, the field path and what was expected.
    """
    problems = Problems()
    main = _read_scenario_file(reference, problems)
    if main is None:
        raise InputError(problems.found)
    document = validate(main, "scenario", problems)
    modules = follow_includes(document, includes, problems)
    accounts = follow_account_includes(document, includes, problems, modules)
    merged = merge(document, [*modules, *(module for _, module in accounts)])
    check_duplicates(merged, problems)
    clock = _clock(document, problems)
    check_references(merged, clock, problems)
    owners = _account_owners(accounts, problems)
    singles = {key: item.value for key, item in document.singles.items()}
    missing = any(s.key not in singles for s in sections("scenario", single=True) if s.required)
    if problems.found or missing:
        if not problems.found:  # pragma: no cover - every failure above reports a problem
            problems.add(main, (), "the scenario could not be loaded")
        raise InputError(problems.found)
    arrays = {
        s.key: [i.value for i in merged.of(s.key)] for s in sections("scenario", single=False)
    }
    arrays["rules"] = [_owned(item, owners) for item in merged.of("rules")]
    scenario = Scenario.model_construct(**singles, **arrays)
    overrides = [
        item.value
        for module in [*modules, *(module for _, module in accounts)]
        for item in module.arrays.get("overrides", [])
    ]
    return apply_overrides(scenario, overrides)  # calibrated ranges: see scenario/overrides.py


def load_module(reference: str | Path) -> Module:
    """A rule module (a built-in name such as ``dilemma`` or a path) with each entry checked
    against its schema. The names it reads are not checked: they are the including scenario's.

    Raises :class:`~alliancesim.errors.InputError` listing every problem found.
    """
    problems = Problems()
    file = read_toml(resolve(reference), problems)
    if file is not None and "module" not in file.data:
        problems.add(file, (), f"{str(reference)!r} is not a rule module (it has no module table)")
    if file is None or problems.found:
        raise InputError(problems.found)
    document = validate(file, "module", problems)
    if problems.found:
        raise InputError(problems.found)
    singles = {key: item.value for key, item in document.singles.items()}
    arrays = {key: [item.value for item in items] for key, items in document.arrays.items()}
    return Module.model_construct(**singles, **arrays)


def _account_owners(accounts: list[tuple[str, Document]], problems: Problems) -> dict[int, str]:
    """The account (``<mechanism>.<account>``) of each rule an account's modules bring, by the
    rule's ``id()``; a rule there that names another account is a problem."""
    owners: dict[int, str] = {}
    for key, module in accounts:
        for item in module.arrays.get("rules", []):
            written = item.raw.get("account")
            if isinstance(written, str) and written != key:
                problems.add(
                    item.file,
                    (*item.loc, "account"),
                    f"this rule is brought by account {key!r} (its module is that account's), "
                    f"so it cannot say account = {written!r}",
                )
            owners[id(item)] = key
    return owners


def _owned(item: Item, owners: dict[int, str]) -> Any:
    """A rule as the scenario holds it: with its account when an account's module brings it."""
    key = owners.get(id(item))
    if key is None or item.value.account == key:
        return item.value
    return item.value.model_copy(update={"account": key})


def _read_scenario_file(reference: str | Path, problems: Problems) -> TomlFile | None:
    """The scenario file a reference names, read; None (with the problem) if it is missing,
    unreadable, empty or a rule module."""
    text = str(reference)
    path = resolve(reference)
    if looks_like_path(text) or isinstance(reference, Path):
        missing = "no such file"
    else:
        known = builtin_scenarios()
        missing = "no such file, and not a built-in scenario" + (
            suggest(text, known) or (f" (built-in: {', '.join(known)})" if known else "")
        )
    main = read_toml(path, problems, missing=missing)
    if main is None:
        return None
    if not main.data:
        problems.add(
            main,
            (),
            "the file is empty: a scenario has at least [scenario], [[actors]] and [decoupling]",
            line=1,
        )
        return None
    if "module" in main.data and "scenario" not in main.data:
        problems.add(
            main,
            ("module",),
            "this is a rule module, not a scenario: include it from a scenario with "
            f'include = ["{path.stem}"]',
        )
        return None
    return main


def _clock(document: Document, problems: Problems) -> Clock | None:
    """The scenario's clock, even when other fields of [scenario] are invalid."""
    meta = document.singles.get("scenario")
    if meta is None:
        return None
    start, step, horizon = (meta.get(k) for k in ("start", "step", "horizon"))
    if start is None or step is None:
        return None
    if ("-" in start) != (step == "month"):
        kind = "month" if "-" in start else "quarter"
        example = "2025-07" if step == "month" else "2025Q3"
        problems.add(
            document.file,
            ("scenario", "start"),
            f"{start!r} is a {kind} but step is {step!r}: write start like {example!r} "
            "or change step",
        )
        return None
    return None if horizon is None else Clock(start, step, horizon)
