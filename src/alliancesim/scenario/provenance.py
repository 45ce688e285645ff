"""Where a scenario's numbers and mechanisms come from: the seed quotes it cites."""

from __future__ import annotations

from alliancesim.scenario.schema import Scenario, SeedQuote

__all__ = ["seed_quotes"]


def seed_quotes(scenario: Scenario) -> dict[str, list[tuple[str, SeedQuote]]]:
    """Every verbatim seed quote the scenario cites, by seed file: (what cites it, quote)."""
    out: dict[str, list[tuple[str, SeedQuote]]] = {}
    seen: set[tuple[str, str]] = set()
    groups = (
        ("actor", scenario.actors),
        ("lever", scenario.levers),
        ("parameter", scenario.parameters),
        ("issue", scenario.issues),
        ("state", scenario.state),
        ("rule", scenario.rules),
        ("event", scenario.events),
        ("scheduled event", scenario.schedule),
        ("action", scenario.actions),
        ("policy", scenario.policies),
        ("claim", scenario.claims),
        ("indicator", scenario.indicators),
    )
    for kind, entries in groups:
        for entry in entries:
            sources = [entry.source, *entry.sources.values()]
            if kind == "issue":
                for stance in entry.positions.values():
                    sources += [stance.source, *stance.sources.values()]
            for source in sources:
                if not isinstance(source, SeedQuote):
                    continue
                key = (source.seed, source.quote)
                if key in seen:
                    continue
                seen.add(key)
                out.setdefault(source.seed, []).append((f"{kind} {entry.id}", source))
    decoupling = scenario.decoupling.source
    if isinstance(decoupling, SeedQuote) and (decoupling.seed, decoupling.quote) not in seen:
        out.setdefault(decoupling.seed, []).append(("decoupling", decoupling))
    return out
