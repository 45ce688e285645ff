"""A scenario and its modules as one: every entry by section, the ids they declare, and the
names those ids give rise to (:class:`~alliancesim.scenario.names.Namespace`).

An entry that failed the schema still declares its id (so one mistake does not cascade into
"unknown actor" complaints wherever the actor is named), and ids must be unique within their
section's namespace (an event, a scheduled event and an action share one).
"""

from __future__ import annotations

from dataclasses import dataclass

from alliancesim.scenario.files import Problems
from alliancesim.scenario.names import Namespace
from alliancesim.scenario.sections import Section, sections
from alliancesim.scenario.validation import Document, Item

__all__ = ["Merged", "check_duplicates", "merge"]


@dataclass
class Merged:
    """Every entry of every section, from the scenario and its modules, with its declared id."""

    items: dict[str, list[Item]]
    declared: dict[str, list[tuple[Item, str]]]

    def of(self, key: str) -> list[Item]:
        """The entries of a section: the scenario's, then each module's, in include order."""
        return self.items.get(key, [])

    def ids(self, key: str) -> list[str]:
        """The ids the entries of a section declare (malformed or not), in order."""
        return [ident for _, ident in self.declared.get(key, [])]

    def namespace(self) -> Namespace:
        """The names the declared ids give rise to."""
        issues: dict[str, list[str]] = {}
        for item, ident in self.declared.get("issues", []):
            positions = item.raw.get("positions")
            actors = (
                [a for a in positions if isinstance(a, str)] if isinstance(positions, dict) else []
            )
            issues.setdefault(ident, []).extend(actors)
        signs, index = self._decoupling_flags()
        return Namespace(
            actors=self.ids("actors"),
            issues=issues,
            states=self.ids("state"),
            events=self.ids("events"),
            scheduled=self.ids("schedule"),
            actions=self.ids("actions"),
            levers=self.ids("levers"),
            params=self.ids("parameters"),
            indicators=self.ids("indicators"),
            election_outcomes=self.ids("elections.outcomes"),
            signs=signs,
            index=index,
            accounts=self.accounts(),
        )

    def _decoupling_flags(self) -> tuple[list[str], bool]:
        """The ids of the decoupling signs as written, and whether there is a cohesion index."""
        items = self.of("decoupling")
        raw = items[0].raw if items else {}
        signs = raw.get("signs", [])
        ids = [
            sign["id"]
            for sign in (signs if isinstance(signs, list) else [])
            if isinstance(sign, dict) and isinstance(sign.get("id"), str)
        ]
        return ids, isinstance(raw.get("index"), dict)

    def accounts(self) -> list[str]:
        """``<mechanism>.<account>`` for every account of every mechanism (as written)."""
        out = []
        for item, mechanism in self.declared.get("mechanisms", []):
            accounts = item.raw.get("accounts")
            for account in accounts if isinstance(accounts, list) else []:
                if isinstance(account, dict) and isinstance(account.get("id"), str):
                    out.append(f"{mechanism}.{account['id']}")
        return out


def merge(main: Document, modules: list[Document]) -> Merged:
    """The entries of the scenario's sections from ``main`` and its ``modules``; the scenario's
    single tables (``[scenario]``, ``[decoupling]``) from ``main`` alone."""
    items: dict[str, list[Item]] = {key: [item] for key, item in main.singles.items()}
    declared: dict[str, list[tuple[Item, str]]] = {}
    for document in [main, *modules]:
        for section in sections("scenario", single=False):
            for item in document.arrays.get(section.key, []):
                items.setdefault(section.key, []).append(item)
                ident = item.raw.get("id")
                if isinstance(ident, str):
                    declared.setdefault(section.key, []).append((item, ident))
                if section.inner_ids is not None:
                    field = section.inner_ids[0]
                    inner = declared.setdefault(f"{section.key}.{field}", [])
                    inner.extend(_inner_declarations(item, field))
    return Merged(items, declared)


def _inner_declarations(item: Item, field: str) -> list[tuple[Item, str]]:
    """The ids the entries written in ``field`` of an entry declare (an election's outcomes),
    each as an item of its own at its place in the file."""
    written = item.raw.get(field)
    validated = getattr(item.partial, field, None)
    out = []
    for k, raw in enumerate(written if isinstance(written, list) else []):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        value = validated[k] if isinstance(validated, list) and k < len(validated) else None
        inner = Item(item.file, item.section, (*item.loc, field, k), raw, value, value)
        out.append((inner, raw["id"]))
    return out


def check_duplicates(merged: Merged, problems: Problems) -> None:
    """Every id declared a second time in its namespace, pointing at the first."""
    seen: dict[str, dict[str, Item]] = {}
    for section in sections("scenario", single=False):
        if not section.declares_ids:
            continue
        groups = [(section.namespace, merged.declared.get(section.key, []))]
        if section.inner_ids is not None:
            field, namespace = section.inner_ids
            groups.append((namespace, merged.declared.get(f"{section.key}.{field}", [])))
        for namespace, declared in groups:
            _check_unique(seen.setdefault(namespace, {}), declared, section, problems)


def _check_unique(
    first_of: dict[str, Item],
    declared: list[tuple[Item, str]],
    section: Section,
    problems: Problems,
) -> None:
    """Each id of ``declared`` not seen before in its namespace (``first_of``)."""
    for item, ident in declared:
        first = first_of.setdefault(ident, item)
        if first is item:
            continue
        where = f"{first.file.display}:{first.file.line((*first.loc, 'id'))}"
        also = "" if first.section is section else f" as [[{first.section.key}]]"
        problems.add(
            item.file,
            (*item.loc, "id"),
            f"duplicate id {ident!r} (first declared at {where}{also})",
        )
