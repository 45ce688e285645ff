"""The seeds' contested mechanisms as rival accounts (RIVALS.md, issue 14).

Each contested mechanism is declared, with its rival, in every seed scenario it applies to; the
shared ``dilemma`` module keeps none of their rules; no agreed payment is fixed in a scenario;
``us-rok-2025`` replays the record before it projects; and, on modest ensembles, every
recommendation of each seed harms the alliance in some worlds while every claim the rival
accounts contest comes out contingent (docs/library.md reports the full-size runs).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from alliancesim import run
from alliancesim.analysis.compare import rank_policies
from alliancesim.scenario import builtin_modules, builtin_scenarios, load_scenario
from alliancesim.scenario.loader import LIBRARY
from alliancesim.workflows import claims_of_run, default_policies
from test_library import RECOMMENDATIONS  # the seeds' recommendations

# mechanism -> the first account (the seed's own) in each seed scenario
MECHANISMS = {
    "us-rok-2025": {
        "consult": "reassure",
        "troops": "symbol",
        "nuclear": "retrenchment",
        "engage": "coordinated",
        "align": "hedge",
        "japan": "shared_fear",
    },
    "us-rok-2021": {
        "consult": "reassure",
        "troops": "tool",
        "nuclear": "retrenchment",
        "burden": "backfire",
        "engage": "coordinated",
        "align": "hedge",
        "japan": "history",
    },
    "us-rok-2019": {
        "consult": "reassure",
        "troops": "symbol",
        "nuclear": "retrenchment",
        "burden": "backfire",
        "engage": "wedge",
        "japan": "shared_fear",
    },
}

# the claims whose direction rests on a mechanism RIVALS.md contests (docs/library.md)
CONTESTED = {
    "us-rok-2025": {
        "consultation_preserves_cohesion": "consult",
        "coordination_eases_worries": "consult",
        "withdrawal_feeds_abandonment_fear": "troops",
        "withdrawal_accelerates_nuclear_debate": "nuclear",
    },
    "us-rok-2021": {
        "road_map_denies_exploitation": "engage",
        "road_map_relieves_tensions": "consult",
        "channel_first_step_to_stability": "engage",
        "aid_signals_goodwill": "engage",
        "consultation_eases_chess_piece_fear": "consult",
        "unconsulted_posture_changes_undermine": "troops",
        "coercion_bends_seoul": "align",
    },
    "us-rok-2019": {
        "threats_backfire_on_cost_sharing": "burden",
        "carrot_and_stick_drives_wedges": "engage",
        "threat_views_deeper_than_money": "engage",
    },
}

# the rules the dilemma module held before their mechanisms became contested
MOVED = {
    "p1_cut_lowers_commitment": "troops-symbol",
    "p1_cut_raises_fear": "troops-symbol",
    "p2_consultation_builds_rok_trust": "consult-reassure",
    "p2_consultation_builds_us_trust": "consult-reassure",
    "p5_consultation_lowers_doubt": "consult-reassure",
    "p3_fear_feeds_nuclear_debate": "nuclear-retrenchment",
    "p6_outreach_lowers_rok_threat": "engage-wedge",
    "p6_outreach_lowers_us_threat": "engage-wedge",
    "p7_coercion_raises_entrapment": "align-hedge",
    "p9_shared_abandonment_fear": "japan-shared-fear",
    "p9_shared_threat_credible_patron": "japan-history",
}

MEMBERS = 500


def _rules(module: str) -> set[str]:
    raw = tomllib.loads((LIBRARY / f"{module}.toml").read_text(encoding="utf-8"))
    return {r["id"] for r in raw.get("rules", [])}


@pytest.mark.parametrize("ident", sorted(MECHANISMS))
def test_each_contested_mechanism_is_declared_with_its_rivals(ident: str) -> None:
    scenario = load_scenario(ident)
    declared = {m.id: m for m in scenario.mechanisms}
    assert set(declared) == set(MECHANISMS[ident])
    for mechanism, first in MECHANISMS[ident].items():
        accounts = declared[mechanism].accounts
        assert accounts[0].id == first, mechanism
        assert len(accounts) >= 2
        for account in accounts:
            assert account.include, f"{mechanism}.{account.id} brings no rules"
            assert account.source is not None
            assert all(m in builtin_modules() for m in account.include)


def test_the_dilemma_module_keeps_only_what_no_source_disputes() -> None:
    kept = _rules("dilemma")
    assert not kept & set(MOVED)
    for rule, module in MOVED.items():  # each moved to the seed's account, word for word
        assert rule in _rules(module)
        others = [m for m in builtin_modules() if m != module and rule in _rules(m)]
        assert others == [], (rule, others)


def test_every_builtin_module_is_included_by_a_builtin_scenario() -> None:
    """So the library's provenance and quote checks (tests/test_library.py) reach its numbers."""
    used: set[str] = set()
    for ident in builtin_scenarios():
        scenario = load_scenario(ident)
        used |= set(scenario.scenario.include)
        used |= {m for mech in scenario.mechanisms for a in mech.accounts for m in a.include}
    assert set(builtin_modules()) <= used


@pytest.mark.parametrize("ident", ["us-rok-2021", "us-rok-2019"])
def test_no_agreed_payment_is_fixed_in_the_scenario(ident: str) -> None:
    """The SMA payment is the bargain struck when the agreement happens (a rule from Seoul's
    offer and the bargaining forecast), never a number of the scenario (RIVALS.md R-burden)."""
    scenario = load_scenario(ident)
    target = "issue.cost_sharing.status_quo"
    assert not any(target in a.effects or target in a.sets for a in scenario.actions)
    assert not any(target in s.effects or target in s.sets for s in scenario.schedule)
    (settles,) = [
        r for r in scenario.rules if r.target == target and "sma_agreement" in r.driver.text
    ]
    assert {"position.ROK.cost_sharing", "issue.cost_sharing.outcome"} <= settles.driver.names


def test_the_2025_scenario_replays_the_record_then_projects() -> None:
    scenario = load_scenario("us-rok-2025")
    meta = scenario.scenario
    assert (meta.start, meta.history_until, meta.horizon) == ("2025Q3", "2026Q1", 18)
    in_history = [s for s in scenario.schedule if any(a <= "2026Q1" for a in s.at)]
    assert {"tariff_letter", "georgia_raid", "joint_fact_sheet", "ndaa_troop_floor"} <= {
        s.id for s in in_history
    }
    for event in in_history:  # dated from the record
        assert str(event.source).startswith("public:"), event.id
    (election,) = scenario.elections
    assert (election.country, election.at) == ("USA", "2029Q1")
    # no Stryker withdrawal before 2026Q2 (the rotation continued), in any world or policy
    results = run(scenario, ["baseline", "no_feedback"], members=120, seed=3, structures="seed")
    data = results.dataset()
    withdrawals = data["count"].sel(happening="stryker_withdrawal")
    assert float(withdrawals.sel(step=3).max()) == 0.0
    assert float(withdrawals.isel(step=-1).max()) > 0.0  # the projection lets it happen
    # the recorded events happen in every world, at their dates
    fact_sheet = data["event"].sel(happening="joint_fact_sheet", policy="baseline")
    assert np.all(fact_sheet.sel(step=2).values == 1.0)
    assert np.all(fact_sheet.sel(step=1).values == 0.0)


@pytest.fixture(scope="module", params=sorted(MECHANISMS))
def judged(request):
    """One modest run of a seed scenario's default policies under its default structures (the
    seed and each rival account alone): its claims and its ranking."""
    scenario = load_scenario(request.param)
    results = run(scenario, default_policies(scenario), members=MEMBERS, seed=0)
    return request.param, claims_of_run(results), rank_policies(results)


def test_every_recommendation_harms_the_alliance_in_some_worlds(judged) -> None:
    ident, _, ranking = judged
    rows = {row["policy"]: row for row in ranking}
    for policy in RECOMMENDATIONS[ident]:
        harm = rows[policy]["harm"]
        assert harm["share"] > 0, f"{policy} harms no world"
        assert 0 <= harm["ci"][0] <= harm["share"] <= harm["ci"][1] <= 1


def test_every_contested_claim_is_contingent_and_at_least_half_are(judged) -> None:
    ident, claims, _ = judged
    verdicts = {v["claim_id"]: v for v in claims.verdicts}
    for claim, mechanism in CONTESTED[ident].items():
        verdict = verdicts[claim]
        assert verdict["class"] == "contingent", (claim, verdict["class_reason"])
        # where it fails: a rival account of its mechanism, or worlds of a seed structure
        not_holding = [
            name
            for name, row in verdict["structures"].items()
            if row["verdict"] not in ("supported", "holds by construction")
            or (row.get("fails") or 0) > 0
        ]
        assert not_holding, (claim, mechanism)
    contingent = sum(v["class"] == "contingent" for v in verdicts.values())
    assert 2 * contingent >= len(verdicts), {k: v["class"] for k, v in verdicts.items()}


def test_a_contested_claim_splits_where_its_rival_account_reverses_it(judged) -> None:
    """The burden, engage and align rivals reverse the seed's claim by construction."""
    ident, claims, _ = judged
    verdicts = {v["claim_id"]: v for v in claims.verdicts}
    reversed_by = {
        "us-rok-2019": ("threats_backfire_on_cost_sharing", "burden=leverage"),
        "us-rok-2021": ("coercion_bends_seoul", "align=balance"),
        "us-rok-2025": ("withdrawal_accelerates_nuclear_debate", "nuclear=backfire"),
    }[ident]
    claim, structure = reversed_by
    assert verdicts[claim]["verdict"] == "split"
    assert verdicts[claim]["structures"][structure]["verdict"] in (
        "fails by construction",
        "rejected",
    )
    assert verdicts[claim]["structures"]["seed"]["verdict"] in (
        "supported",
        "holds by construction",
    )
