"""The built-in library: every scenario loads, every number has provenance, every seed quote is
verbatim, the seeds' recommendations are policies, their claims are testable, and the dilemma
module encodes the ten propositions of DESIGN §4.3.

The seed documents live outside the repository: ``$ALLIANCESIM_SEEDS`` or ``../shared/seeds``
relative to the repository root. Tests that need their text are skipped when they are absent.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alliancesim.scenario import (
    builtin_modules,
    builtin_scenarios,
    load_scenario,
    scenario_parameters,
)
from alliancesim.scenario.loader import LIBRARY
from alliancesim.scenario.schema import ENTRY_SECTIONS, Entry, Module, Policy, Scenario, SeedQuote
from alliancesim.scenario.uncertain import Fixed

REPO = Path(__file__).resolve().parents[1]

SEED_SCENARIOS = {
    "us-rok-2025": "000_ea92047b3d6a092b.txt",
    "us-rok-2021": "001_00561143f748d279.txt",
    "us-rok-2019": "003_0c1f547c9cb3c5fa.txt",
}

RECOMMENDATIONS = {
    # seed 000: three elements "critical" to prevent decoupling
    "us-rok-2025": {"consult_first", "encourage_role", "early_dialogue"},
    # seed 001: the six recommendations for 2021
    "us-rok-2021": {
        "joint_road_map",
        "senior_channel",
        "covid_assistance",
        "public_health_agenda",
        "china_consultation",
        "posture_in_alliance_goals",
    },
    # seed 003: withdrawal threats as cost-sharing leverage, against not threatening
    "us-rok-2019": {"withdrawal_threats", "no_threats"},
}

# DESIGN §4.3: the state variables every seed scenario declares (the dilemma module reads them).
DILEMMA_STATES = {
    "commitment.USA.ROK",
    "trust.ROK.USA",
    "trust.USA.ROK",
    "fear_abandonment.ROK",
    "fear_entrapment.ROK",
    "threat.ROK.DPRK",
    "threat.USA.DPRK",
    "threat.ROK.PRC",
    "threat.USA.PRC",
    "doubt.USA.ROK",
    "support_public.ROK",
    "support_public.USA",
    "favourability.ROK.USA",
    "favourability.ROK.PRC",
    "nuclear_hedging.ROK",
    "cooperation.ROK.JPN",
}

_SOURCE = re.compile(r"^(public|assumption):\s*\S.{3,}")


# --------------------------------------------------------------------------------------------
# helpers (also exercised on deliberately wrong inputs below, so that a broken check is caught)


def seeds_directory() -> Path | None:
    """Where the seed documents are, or None."""
    env = os.environ.get("ALLIANCESIM_SEEDS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "seeds")
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.txt")):
            return candidate
    return None


def normalise(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces and line breaks) to one space."""
    return " ".join(text.split())


def quote_found(quote: str, seed_text: str) -> bool:
    """Whether the quote occurs verbatim in the seed, up to whitespace. Curly quotes, apostrophes
    and dashes must match exactly (the seeds use them; a quote must copy them)."""
    return normalise(quote) in normalise(seed_text)


def source_problem(source: Any) -> str | None:
    """Why a source is not well-formed, or None."""
    if source is None:
        return "no source"
    if isinstance(source, SeedQuote):
        if source.seed not in set(SEED_SCENARIOS.values()):
            return f"unknown seed file {source.seed!r}"
        if len(source.quote.strip()) < 8:
            return "quote too short"
        return None
    if isinstance(source, str):
        if not _SOURCE.match(source):
            return f"not 'public: <what, year>' or 'assumption: <reason>': {source!r}"
        return None
    return f"unexpected source type {type(source).__name__}"


def entries(scenario: Scenario) -> Iterator[tuple[str, Entry]]:
    """Every entry of a loaded scenario (its included modules' entries too), with a label, and
    the entries nested in them: stances, mechanisms' accounts, elections' outcomes, decoupling
    signs and the cohesion index."""
    for section in ENTRY_SECTIONS:
        for entry in getattr(scenario, section):
            label = f"{section}.{getattr(entry, 'id', '?')}"
            yield label, entry
            if section == "issues":
                for actor, stance in entry.positions.items():
                    yield f"{label}.positions.{actor}", stance
            if section == "mechanisms":
                for account in entry.accounts:
                    yield f"{label}.accounts.{account.id}", account
            if section == "elections":
                for outcome in entry.outcomes:
                    yield f"{label}.outcomes.{outcome.id}", outcome
    yield "decoupling", scenario.decoupling
    for sign in scenario.decoupling.signs:
        yield f"decoupling.signs.{sign.id}", sign
    if scenario.decoupling.index is not None:
        yield "decoupling.index", scenario.decoupling.index


def provenance_problems(scenario: Scenario) -> list[str]:
    """Every number without a well-formed source, and every entry whose sources are malformed."""
    problems = []
    for name, spec in scenario_parameters(scenario).items():
        problem = source_problem(spec.source)
        if problem:
            problems.append(f"{scenario.id}: {name}: {problem}")
    for label, entry in entries(scenario):
        for field, source in [("source", entry.source), *entry.sources.items()]:
            if source is None and field == "source":
                continue  # numbers are checked above; an entry without numbers may omit it
            problem = source_problem(source)
            if problem:
                problems.append(f"{scenario.id}: {label}.{field}: {problem}")
        if isinstance(entry, Policy) and entry.set and entry.source_of("set") is None:
            problems.append(f"{scenario.id}: {label}: the numbers it sets have no source")
    return problems


def seed_quotes(scenario: Scenario) -> Iterator[tuple[str, SeedQuote]]:
    """Every seed quote of the scenario (and its modules), with where it is used."""
    for label, entry in entries(scenario):
        for field, source in [("source", entry.source), *entry.sources.items()]:
            if isinstance(source, SeedQuote):
                yield f"{label}.{field}", source


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def loaded() -> dict[str, Scenario]:
    return {ident: load_scenario(ident) for ident in builtin_scenarios()}


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    directory = seeds_directory()
    if directory is None:
        pytest.skip("seed documents not found ($ALLIANCESIM_SEEDS or ../shared/seeds)")
    return {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.txt")}


@pytest.fixture(scope="module")
def dilemma() -> Module:
    raw = tomllib.loads((LIBRARY / "dilemma.toml").read_text(encoding="utf-8"))
    return Module.model_validate(raw)


# --------------------------------------------------------------------------------------------
# the library loads


def test_seed_scenarios_and_dilemma_are_built_in() -> None:
    assert set(SEED_SCENARIOS) <= set(builtin_scenarios())
    assert "dilemma" in builtin_modules()


@pytest.mark.parametrize("ident", builtin_scenarios())
def test_every_builtin_loads(ident: str) -> None:
    scenario = load_scenario(ident)
    assert scenario.id == ident
    assert scenario.decoupling is not None


def test_default_scenario_is_us_rok_2025_from_2025q3_for_18_quarters() -> None:
    from alliancesim.runner import DEFAULT_SCENARIO

    assert DEFAULT_SCENARIO == "us-rok-2025"
    meta = load_scenario(DEFAULT_SCENARIO).scenario
    assert (meta.start, meta.step, meta.horizon) == ("2025Q3", "quarter", 18)
    assert meta.seed == SEED_SCENARIOS["us-rok-2025"]


@pytest.mark.parametrize("ident", sorted(SEED_SCENARIOS))
def test_seed_scenario_names_its_seed_and_includes_the_dilemma(ident: str, loaded: dict) -> None:
    scenario = loaded[ident]
    assert scenario.scenario.seed == SEED_SCENARIOS[ident]
    assert scenario.scenario.include[0] == "dilemma"
    assert scenario.scenario.step == "quarter"


# --------------------------------------------------------------------------------------------
# provenance


@pytest.mark.parametrize("ident", builtin_scenarios())
def test_every_number_has_provenance(ident: str, loaded: dict) -> None:
    assert provenance_problems(loaded[ident]) == []


def test_provenance_check_catches_a_number_without_source(tmp_path: Path) -> None:
    text = (LIBRARY / "us-rok-2019.toml").read_text(encoding="utf-8")
    # strip the provenance of one uncertain parameter: its entry-level source and its sources
    block = text.index('id = "wedge_sensitivity"')
    end = text.index("[[parameters]]", block)
    stripped = re.sub(r"\nsource = .*", "", text[block:end])
    broken = text[:block] + stripped + text[end:]
    path = tmp_path / "broken.toml"
    path.write_text(broken, encoding="utf-8")
    problems = provenance_problems(load_scenario(path))
    assert any("param.wedge_sensitivity: no source" in p for p in problems)


def test_source_check_rejects_malformed_sources() -> None:
    assert source_problem("assumption: a reason") is None
    assert source_problem("public: Pew, 2019") is None
    assert source_problem("assumption:") is not None
    assert source_problem("a guess") is not None
    assert (
        source_problem(SeedQuote(seed="999_unknown.txt", quote="a quote of some length"))
        is not None
    )
    assert source_problem(None) is not None


# --------------------------------------------------------------------------------------------
# seed quotes


@pytest.mark.parametrize("ident", builtin_scenarios())
def test_every_seed_quote_is_verbatim(ident: str, loaded: dict, seeds: dict) -> None:
    missing = []
    for where, quote in seed_quotes(loaded[ident]):
        if quote.seed not in seeds:
            missing.append(f"{where}: no seed file {quote.seed}")
        elif not quote_found(quote.quote, seeds[quote.seed]):
            missing.append(f"{where}: not in {quote.seed}: {quote.quote!r}")
    assert missing == []


def test_quote_check_is_exact_up_to_whitespace(seeds: dict) -> None:
    text = seeds["000_ea92047b3d6a092b.txt"]
    # the seed breaks this sentence over lines and uses an em dash and a curly apostrophe
    assert quote_found("informed, rather than genuinely consulted", text)
    assert quote_found("the United States might downgrade South Korea’s position", text)
    assert not quote_found("the United States might downgrade South Korea's position", text)
    assert not quote_found("informed rather than genuinely consulted", text)
    assert not quote_found("genuinely consult each other before taking any unilateral steps", text)


# --------------------------------------------------------------------------------------------
# recommendations, claims, contents


@pytest.mark.parametrize("ident", sorted(SEED_SCENARIOS))
def test_recommendations_are_policies_sourced_in_their_seed(ident: str, loaded: dict) -> None:
    scenario = loaded[ident]
    policies = {p.id: p for p in scenario.policies}
    assert RECOMMENDATIONS[ident] <= set(policies), RECOMMENDATIONS[ident] - set(policies)
    for ident_ in RECOMMENDATIONS[ident]:
        policy = policies[ident_]
        assert policy.kind == "recommendation"
        assert isinstance(policy.source, SeedQuote) and policy.source.seed == SEED_SCENARIOS[ident]
        assert policy.set or policy.schedule, f"{ident_} changes nothing"


@pytest.mark.parametrize("ident", sorted(SEED_SCENARIOS))
def test_at_least_four_claims_each_quoting_its_own_seed(ident: str, loaded: dict) -> None:
    scenario = loaded[ident]
    assert len(scenario.claims) >= 4
    for claim in scenario.claims:
        assert isinstance(claim.source, SeedQuote), claim.id
        assert claim.source.seed == SEED_SCENARIOS[ident], claim.id
        assert claim.compare.policy != claim.compare.against, claim.id


@pytest.mark.parametrize("ident", sorted(SEED_SCENARIOS))
def test_counterfactuals_remove_a_driver(ident: str, loaded: dict) -> None:
    scenario = loaded[ident]
    for policy in scenario.policies:
        if policy.kind == "counterfactual":
            assert policy.set or policy.schedule, f"{policy.id} changes nothing"
    used = {
        part
        for c in scenario.claims
        for side in (c.compare.policy, c.compare.against)
        for part in side.split("+")
    }
    declared = {p.id for p in scenario.policies} | {"baseline"}
    assert used <= declared


@pytest.mark.parametrize("ident", sorted(SEED_SCENARIOS))
def test_state_issues_indicators_and_decoupling(ident: str, loaded: dict) -> None:
    scenario = loaded[ident]
    assert {s.id for s in scenario.state} >= DILEMMA_STATES
    for issue in scenario.issues:
        assert all(end.strip() for end in issue.ends) and issue.unit, issue.id
        assert issue.model in ("compromise", "median", "eum"), issue.id
        assert len(issue.positions) >= 2, issue.id
    assert "force_posture" in {i.id for i in scenario.issues}
    indicators = {i.id: i for i in scenario.indicators}
    cohesion = indicators["cohesion"].expr.names
    for part in (
        "trust.ROK.USA",
        "trust.USA.ROK",
        "commitment.USA.ROK",
        "fear_abandonment.ROK",
        "position_gap",
        "threat_gap",
    ):
        assert part in cohesion, part
    # decoupling is observable signs, each sourced; the cohesion index is kept as an index
    decoupling = scenario.decoupling
    assert decoupling.when is None and len(decoupling.signs) >= 3
    assert 2 <= decoupling.at_least < len(decoupling.signs)
    assert decoupling.source is not None and all(s.source is not None for s in decoupling.signs)
    assert not any("cohesion" in s.when.names for s in decoupling.signs)
    assert decoupling.index is not None and "cohesion" in decoupling.index.when.names
    assert decoupling.index.threshold == "param.decoupling_threshold"


def test_the_2025_scenario_encodes_the_stryker_withdrawal(loaded: dict) -> None:
    scenario = loaded["us-rok-2025"]
    action = {a.id: a for a in scenario.actions}["stryker_withdrawal"]
    assert action.actor == "USA" and action.target == "ROK"
    assert action.effects["issue.force_posture.status_quo"].mean == pytest.approx(15)
    assert "policy.consultation" in action.consulted.names
    lever = {lever.id: lever for lever in scenario.levers}["consultation"]
    assert lever.value.support[1] < 0.5  # informed rather than consulted, under current policy
    consult = {p.id: p for p in scenario.policies}["consult_first"]
    assert consult.set["policy.consultation"].mean > 0.5
    scheduled = {s.id: s for s in scenario.schedule}
    assert scheduled["scm"].at and scheduled["strategic_dialogue"].at == []


def test_the_2019_scenario_encodes_the_deadlock_the_threat_and_the_wedge(loaded: dict) -> None:
    scenario = loaded["us-rok-2019"]
    assert {"sma_agreement", "withdrawal_threat", "worker_furlough"} <= {
        a.id for a in scenario.actions
    }
    assert {"dprk_launches", "dprk_outreach"} <= {e.id for e in scenario.events}
    policies = {p.id: p for p in scenario.policies}
    threat = policies["withdrawal_threats"].set["actions.withdrawal_threat.probability"].mean
    none = policies["no_threats"].set["actions.withdrawal_threat.probability"].mean
    assert threat > 0.5 and none == 0


# --------------------------------------------------------------------------------------------
# the dilemma module


def test_dilemma_encodes_all_ten_propositions(dilemma: Module) -> None:
    propositions = {rule.proposition for rule in dilemma.rules}
    assert set(range(1, 11)) <= propositions, set(range(1, 11)) - propositions


def test_dilemma_rules_have_theory_sources_and_uncertain_weights(dilemma: Module) -> None:
    for rule in dilemma.rules:
        assert rule.proposition is not None, rule.id
        assert source_problem(rule.source) is None, rule.id
        assert source_problem(rule.source_of("weight")) is None, rule.id
        assert not isinstance(rule.weight, Fixed), f"{rule.id}: the weight should be a range"
        assert rule.weight.support[0] >= 0, (
            f"{rule.id}: weights are positive, the sign is in the driver"
        )
    for parameter in dilemma.parameters:
        assert source_problem(parameter.source_of("value")) is None, parameter.id


def test_every_seed_scenario_runs_the_dilemma_rules(loaded: dict, dilemma: Module) -> None:
    ids = {rule.id for rule in dilemma.rules}
    for ident in SEED_SCENARIOS:
        assert ids <= {rule.id for rule in loaded[ident].rules}, ident
