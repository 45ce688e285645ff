"""Where a scenario comes from: the seed documents it quotes, and which entries quote them.

Every entry of a section whose sources are the model's provenance (the section registry's
``sourced``) may cite a seed quote, in its ``source``, in its per-field ``sources`` or in an
entry written inside it (an issue's stances).
"""

from __future__ import annotations

from collections.abc import Iterator

from alliancesim.scenario.entries import Entry, SeedQuote, Source
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.sections import sections

__all__ = ["cited_sources", "seed_quotes"]


def cited_sources(scenario: Scenario) -> Iterator[tuple[str, Source]]:
    """Every source of the model's entries, with what cites it (``"rule abandonment_from_cut"``,
    ``"decoupling"``), in the order of the format."""
    for section in sections("scenario"):
        if not section.sourced:
            continue
        value = getattr(scenario, section.key)
        for entry in [value] if section.single else value:
            who = f"{section.label} {entry.id}" if section.declares_ids else section.label
            for source in _sources(entry):
                yield who, source


def _sources(entry: Entry) -> Iterator[Source]:
    """The sources of an entry and of the entries written inside it, in order."""
    if entry.source is not None:
        yield entry.source
    yield from entry.sources.values()
    for _, inner in entry.inner_entries():
        yield from _sources(inner)


def seed_quotes(scenario: Scenario) -> dict[str, list[tuple[str, SeedQuote]]]:
    """Every verbatim seed quote the scenario cites, by seed file: (what cites it, quote), each
    quote once (where it is first cited)."""
    out: dict[str, list[tuple[str, SeedQuote]]] = {}
    seen: set[tuple[str, str]] = set()
    for who, source in cited_sources(scenario):
        if not isinstance(source, SeedQuote) or (source.seed, source.quote) in seen:
            continue
        seen.add((source.seed, source.quote))
        out.setdefault(source.seed, []).append((who, source))
    return out
