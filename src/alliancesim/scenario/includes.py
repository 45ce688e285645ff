"""Rule modules that a scenario includes: what an ``include`` may name, and following the chain.

:func:`include_target` is the one place that decides what may be included; :func:`follow_includes`
reads and validates each module once, in include order, refusing cycles, chains longer than
:data:`~alliancesim.scenario.reading.MAX_INCLUDE_DEPTH` and scenarios given as modules.
:func:`follow_account_includes` does the same for the modules of each account of the scenario's
contested mechanisms (``[[mechanisms.accounts]]``), whose rules act only under that account: a
module belongs to one account, or to the scenario, never to both.
"""

from __future__ import annotations

from pathlib import Path

from alliancesim.scenario.files import Problems, TomlFile, display_path, read_toml
from alliancesim.scenario.library import LIBRARY, builtin_modules, exists, looks_like_path, resolve
from alliancesim.scenario.names import suggest
from alliancesim.scenario.reading import MAX_INCLUDE_DEPTH, Includes
from alliancesim.scenario.validation import Document, validate

__all__ = ["follow_account_includes", "follow_includes", "include_target"]


def include_target(name: str, file: TomlFile | None, includes: Includes) -> Path | str:
    """The file an ``include`` entry names, or why it may not be included (a message).

    The one place that decides what a scenario may include: under ``Includes.BUILTIN`` only a
    built-in module's name (never a path); under ``Includes.FILES`` also a module file, relative
    to the including file. Whether the file may then be opened (a regular file, not too large)
    is decided when it is read (:func:`~alliancesim.scenario.reading.read_scenario_bytes`).
    """
    known = builtin_modules()
    if includes is Includes.BUILTIN:
        if name in known:
            return LIBRARY / f"{name}.toml"
        return (
            "an uploaded scenario may include only built-in rule modules "
            f"({', '.join(known) or 'none'}), got {name!r}"
        )
    path = resolve(name, relative_to=file.path if file is not None else None)
    if not exists(path) or path.is_dir():
        if looks_like_path(name):
            return f"cannot include {name!r}: no such file"
        listing = f" (built-in modules: {', '.join(known)})" if known else ""
        return f"cannot include {name!r}: no built-in module or file of that name" + (
            suggest(name, known) or listing
        )
    return path


def follow_includes(main: Document, includes: Includes, problems: Problems) -> list[Document]:
    """Every module ``main`` includes, directly or through other modules, validated, each once."""
    out: list[Document] = []
    _follow(main, [main.file.path.resolve()], includes, problems, out)
    return out


def follow_account_includes(
    main: Document, includes: Includes, problems: Problems, included: list[Document]
) -> list[tuple[str, Document]]:
    """Every module an account of the scenario's mechanisms includes, directly or through other
    modules, validated, with its account (``<mechanism>.<account>``), in mechanism and account
    order. A module the scenario (``included``) or another account already brings is refused:
    its rules would act under one structure and under all of them at once."""
    out: list[tuple[str, Document]] = []
    owner = {d.file.path.resolve(): "the scenario" for d in included}
    root = [main.file.path.resolve()]
    for mechanism in main.arrays.get("mechanisms", []):
        accounts = mechanism.raw.get("accounts")
        for j, account in enumerate(accounts if isinstance(accounts, list) else []):
            names = account.get("include") if isinstance(account, dict) else None
            if not isinstance(names, list) or not names:
                continue
            key = f"{mechanism.raw.get('id')}.{account.get('id')}"
            loc = (*mechanism.loc, "accounts", j, "include")
            found: list[Document] = []
            _follow_names(
                main.file,
                [((*loc, i), name) for i, name in enumerate(names)],
                root,
                includes,
                problems,
                found,
            )
            for module in found:
                path = module.file.path.resolve()
                if path in owner:
                    problems.add(
                        main.file,
                        loc,
                        f"module {module.file.display} is already brought by {owner[path]}: a "
                        f"module's rules belong to one account or to the scenario, so account "
                        f"{key!r} needs a module of its own",
                    )
                    continue
                owner[path] = f"account {key!r}"
                out.append((key, module))
    return out


def _follow(
    document: Document,
    stack: list[Path],
    includes: Includes,
    problems: Problems,
    out: list[Document],
) -> None:
    names = [((document.kind, "include", k), name) for k, name in enumerate(document.includes())]
    _follow_names(document.file, names, stack, includes, problems, out)


def _follow_names(
    file: TomlFile,
    names: list[tuple[tuple[object, ...], object]],
    stack: list[Path],
    includes: Includes,
    problems: Problems,
    out: list[Document],
) -> None:
    """Read, validate and follow each module ``names`` give (with where ``file`` names them)."""
    for loc, name in names:
        if not isinstance(name, str):
            continue  # the schema reports it
        if not name.strip():
            problems.add(file, loc, "expected a module name or a path to a .toml file, got ''")
            continue
        path = include_target(name, file, includes)
        if isinstance(path, str):
            problems.add(file, loc, path)
            continue
        resolved = path.resolve()
        if resolved in stack:
            chain = " -> ".join(display_path(p) for p in [*stack, resolved])
            problems.add(file, loc, f"include cycle: {chain}")
            continue
        if len(stack) > MAX_INCLUDE_DEPTH:
            problems.add(
                file,
                loc,
                f"includes nested too deeply: more than {MAX_INCLUDE_DEPTH} modules in a chain",
            )
            continue
        if any(d.file.path.resolve() == resolved for d in out):
            continue  # already included through another path
        child = read_toml(path, problems)
        if child is None:
            continue
        if "scenario" in child.data:
            problems.add(
                file,
                loc,
                f"{name!r} is a scenario, not a rule module; only modules can be included",
            )
            continue
        module = validate(child, "module", problems)
        out.append(module)
        _follow(module, [*stack, resolved], includes, problems, out)
