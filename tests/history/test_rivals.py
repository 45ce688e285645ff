"""Rival structures weighed by history, end to end, on toy episodes whose right weights are known
by construction.

Mechanism ``drift`` has three deterministic accounts: ``rise`` (+1 a quarter), ``fall`` (−1 a
quarter) and ``flat``. Two episodes rose (observed +2 and +4 after 2 and 4 quarters), one fell
(−2, −4); each observation has error 0.5, so each observed change has error √0.5. Every
account's forecast is a point, so its density of an observed change is the normal density with
sd √0.5 at the miss: 0 for the right account, 4 or 8 for the opposite one, 2 or 4 for ``flat``.

- Stacking: the mixture of ``rise`` and ``fall`` puts all but e^−16 of its density where the
  history of each episode is; the best mixture weights are the shares of targets each account
  got right, 4/6 and 2/6, and ``flat`` adds nothing (weight 0).
- BMA: the evidence of an account is the product of its densities: ``rise`` misses the falling
  episode by 4 and 8 (log density −16 − c and −64 − c, c = log(√0.5 √2π)), ``flat`` misses
  every target by 2 or 4 (−4 − c, −16 − c), so with priors (1, 1, 2)/4 the posterior odds of
  ``rise`` against ``flat`` are (1/4)e^(−80)/((1/2)e^(−60)) = e^(−20)/2: BMA, which assumes one
  account is true, picks the account that is never badly wrong — the M-open case stacking is for.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from alliancesim.analysis.rivals import account_structure, episodes_declaring, weigh_by_history
from alliancesim.history_file import history_weights, read_weights_file, weights_document
from alliancesim.runner import run
from alliancesim.scenario import load_scenario
from alliancesim.structures import parse_structure, structure_weights, weights_caveat
from alliancesim.workflows import structures_by_history

RIVALS = Path(__file__).parent / "data" / "rivals"
EPISODES = ("rise-2001", "rise-2003", "fall-2005")
C = math.log(math.sqrt(0.5) * math.sqrt(2 * math.pi))  # −log of the normal density's peak


def _renamed(scenario, ident):
    return scenario.model_copy(
        update={"scenario": scenario.scenario.model_copy(update={"id": ident})}
    )


@pytest.fixture(scope="module")
def episodes():
    return [load_scenario(RIVALS / f"{e}.toml") for e in EPISODES]


@pytest.fixture(scope="module")
def toy():
    return load_scenario(RIVALS / "toy-rivals.toml")


@pytest.fixture(scope="module")
def weighing(toy, episodes):
    return weigh_by_history(toy.mechanisms, episodes, members=8, seed=1)


def test_stacking_gives_each_account_the_share_of_history_it_forecast(weighing):
    (drift,) = weighing.mechanisms
    assert drift.episodes == EPISODES
    assert drift.structures == ("seed", "drift=fall", "drift=flat")
    w = drift.weights
    assert w["rise"] == pytest.approx(4 / 6, abs=1e-6)
    assert w["fall"] == pytest.approx(2 / 6, abs=1e-6)
    assert w["flat"] == pytest.approx(0.0, abs=1e-9)
    assert drift.scores.targets == 6


def test_bma_picks_the_account_never_badly_wrong(weighing):
    bma = weighing.mechanisms[0].scores.bma.as_dict()
    assert bma["rise"] == pytest.approx(0.5 * math.exp(-20), rel=1e-6)
    assert bma["fall"] == pytest.approx(0.5 * math.exp(-100), rel=1e-6)
    assert bma["flat"] == pytest.approx(1.0, abs=1e-8)


def test_scores_are_the_normal_log_densities_by_hand(weighing):
    scores = weighing.mechanisms[0].scores
    # rise: right on 4 targets, misses the falling episode by 4 and 8
    assert scores.log["rise"] == pytest.approx((6 * C + 16 + 64) / 6, rel=1e-9)
    # flat: misses every target by 2 (z² = 8) or 4 (z² = 32)
    assert scores.log["flat"] == pytest.approx((6 * C + 3 * (4 + 16)) / 6, rel=1e-9)
    # fall: right on 2 targets, misses each rising episode by 4 and 8
    assert scores.log["fall"] == pytest.approx((6 * C + 2 * (16 + 64)) / 6, rel=1e-9)
    # the falling episode held out: weights fitted on the rising two put everything on rise
    fold = next(f for f in scores.loo.folds if f.episode == "fall-2005")
    assert fold.weights.as_dict()["rise"] == pytest.approx(1.0, abs=1e-9)
    assert fold.by_structure["rise"] == pytest.approx(C + (16 + 64) / 2, rel=1e-9)
    assert fold.by_structure["fall"] == pytest.approx(C, rel=1e-9)
    # out of sample the weighted accounts do worse on it than flat alone (C + 10): history
    # without a falling episode cannot teach that levels fall
    assert fold.combined > fold.by_structure["flat"] == pytest.approx(C + (4 + 16) / 2)


def test_simulations_are_the_same_whatever_the_workers(toy, episodes, weighing):
    again = weigh_by_history(toy.mechanisms, episodes, members=8, seed=1, workers=2)
    assert again.mechanisms[0].weights == weighing.mechanisms[0].weights
    assert again.mechanisms[0].scores.log == weighing.mechanisms[0].scores.log
    assert weighing.simulations == 9 and again.simulations == 9
    assert weighing.member_steps == 9 * 8 * 4


def test_episodes_declaring_the_mechanism_otherwise_are_left_out(toy, episodes):
    other = _renamed(episodes[0], "renamed-accounts").model_copy(
        update={
            "mechanisms": [
                episodes[0]
                .mechanisms[0]
                .model_copy(
                    update={
                        "accounts": [
                            a.model_copy(update={"id": f"{a.id}2"})
                            for a in episodes[0].mechanisms[0].accounts
                        ]
                    }
                )
            ],
        }
    )
    chosen, notes = episodes_declaring(toy.mechanisms[0], [*episodes, other])
    assert [e.id for e in chosen] == list(EPISODES)
    assert len(notes) == 1 and "renamed-accounts" in notes[0] and "left out" in notes[0]


def test_a_mechanism_no_episode_declares_has_no_history(toy):
    plain = load_scenario(Path(__file__).parent / "data" / "scored-episode.toml")
    result = weigh_by_history(toy.mechanisms, [plain], members=4)
    assert result.mechanisms[0].scores is None and result.mechanisms[0].weights is None
    assert result.simulations == 0


def test_account_structures_keep_the_other_mechanisms_at_the_seed(toy):
    assert account_structure(toy, "drift", "rise") == "seed"
    assert account_structure(toy, "drift", "flat") == "drift=flat"


def test_structure_weights_multiply_history_and_priors():
    two = load_scenario(Path(__file__).parents[1] / "structures" / "data" / "toy.toml")
    structures = [parse_structure(two, s) for s in ("seed", "consult=costly", "burden=leverage")]
    # priors: consult 1/2, 1/2; burden 3/4, 1/4
    assert structure_weights(structures) == pytest.approx(
        {
            "seed": 3 / 8 / (7 / 8),
            "consult=costly": 3 / 8 / (7 / 8),
            "burden=leverage": 1 / 8 / (7 / 8),
        }
    )
    # history weighs consult 0.9 / 0.1; burden keeps its priors
    raw = {"seed": 0.9 * 0.75, "consult=costly": 0.1 * 0.75, "burden=leverage": 0.9 * 0.25}
    total = sum(raw.values())
    assert structure_weights(structures, {"consult": {"reassure": 0.9, "costly": 0.1}}) == (
        pytest.approx({k: v / total for k, v in raw.items()})
    )
    # history rules out every account run: the priors are used
    assert structure_weights([structures[1]], {"consult": {"reassure": 1.0, "costly": 0.0}}) == {
        "consult=costly": 1.0
    }


def test_degenerate_history_weights_are_said():
    two = load_scenario(Path(__file__).parents[1] / "structures" / "data" / "toy.toml")
    structures = [parse_structure(two, s) for s in ("seed", "consult=costly", "burden=leverage")]

    def caveat(accounts):
        return weights_caveat(structures, accounts, structure_weights(structures, accounts))

    # history weighs consult 0.9 / 0.1: nothing degenerate
    assert caveat({"consult": {"reassure": 0.9, "costly": 0.1}}) == ""
    # history rules out the seed's consult and burden's leverage: only consult=costly is left
    one = caveat({"consult": {"reassure": 2e-16, "costly": 1.0}, "burden": {"leverage": 0.0}})
    assert "all the weight on consult=costly" in one  # stacking's 1e-16 is no weight
    # every structure run chooses an account history rules out: priors, and the run says so
    ruled_out = {"consult": {"reassure": 0.0, "costly": 0.0}}
    assert structure_weights(structures, ruled_out) == structure_weights(structures)
    assert "every structure run at zero" in caveat(ruled_out)
    assert caveat(None) == ""


# --------------------------------------------------------------------------------------------
# the weights file: provenance, freshness, and runs that use it


def write_weights_file(weighing, path: Path, command: str) -> Path:
    """``path``: the weights file of ``weighing`` by the toy episodes, as ``command`` writes it
    (dated 2026-01-01, version ``test``)."""
    document = weights_document(
        weighing,
        command=command,
        date="2026-01-01",
        version="test",
        sources={e: str(RIVALS / f"{e}.toml") for e in EPISODES},
    )
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def weights_file(tmp_path, weighing):
    command = "alliancesim structures toy-rivals.toml --write w.json"
    return write_weights_file(weighing, tmp_path / "w.json", command)


def test_a_weights_file_keeps_the_weights_and_their_provenance(weights_file, weighing):
    read = read_weights_file(weights_file)
    assert read.mechanisms["drift"].weights() == weighing.mechanisms[0].weights
    assert read.mechanisms["drift"].favoured()[0] == "rise"
    assert set(read.episodes) == set(EPISODES)
    assert "stacking on 3 episodes (8 members, seed 1; w.json, 2026-01-01" in read.provenance()


def test_a_fresh_file_gives_history_weights(toy, weights_file, weighing):
    found = history_weights(toy, weights_file)
    assert found.accounts == {"drift": weighing.mechanisms[0].weights}
    assert not found.stale and not found.notes
    assert found.describe().startswith("history (drift): stacking on 3 episodes")


def test_a_changed_episode_makes_the_file_stale(toy, episodes, weights_file):
    changed = episodes[2].model_copy(
        update={
            "observations": [
                o.model_copy(update={"value": o.value + 1}) for o in episodes[2].observations
            ]
        }
    )
    found = history_weights(toy, weights_file, episodes=[*episodes[:2], changed])
    assert found.accounts == {} and found.stale == ("drift",)
    assert "fall-2005 changed or gone" in found.notes[0]
    assert "alliancesim structures toy-rivals.toml --write w.json" in found.notes[0]


def test_a_new_episode_declaring_the_mechanism_makes_the_file_stale(toy, episodes, weights_file):
    extra = _renamed(episodes[0], "rise-2007")
    found = history_weights(toy, weights_file, episodes=[*episodes, extra])
    assert found.stale == ("drift",) and "rise-2007 now declares it" in found.notes[0]


def test_other_accounts_are_not_weighed_by_the_file(episodes, weights_file, toy):
    mechanism = toy.mechanisms[0]
    other = toy.model_copy(
        update={
            "mechanisms": [mechanism.model_copy(update={"accounts": list(mechanism.accounts[:2])})]
        }
    )
    found = history_weights(other, weights_file, episodes=episodes)
    assert found.accounts == {} and "other accounts or modules" in found.notes[0]


def test_the_same_accounts_in_another_order_are_weighed_by_the_file(episodes, weights_file, toy):
    # each scenario lists its seed's account first: two seeds may list one mechanism's accounts
    # in two orders, and the episodes' weights still apply to both
    mechanism = toy.mechanisms[0]
    reordered = toy.model_copy(
        update={
            "mechanisms": [
                mechanism.model_copy(update={"accounts": list(reversed(mechanism.accounts))})
            ]
        }
    )
    found = history_weights(reordered, weights_file, episodes=episodes)
    assert found.accounts == history_weights(toy, weights_file, episodes=episodes).accounts
    assert found.accounts and not found.notes


def test_a_run_uses_history_weights_and_says_so(toy, weights_file):
    results = run(toy, members=20, seed=0, weights=weights_file)
    assert results.weights["seed"] == pytest.approx(2 / 3, abs=1e-6)
    assert results.weights["drift=fall"] == pytest.approx(1 / 3, abs=1e-6)
    assert results.weights["drift=flat"] == pytest.approx(0.0, abs=1e-9)
    assert results.weights_source.startswith("history (drift)")
    # decoupled (level below −2) only under fall: the weighted answer is fall's weight
    baseline = results.summary().policies["baseline"]
    assert baseline.p_decoupling == pytest.approx(1 / 3, abs=1e-6)
    prior = run(toy, members=20, seed=0, weights="prior")
    assert prior.weights == pytest.approx({"seed": 0.25, "drift=fall": 0.25, "drift=flat": 0.5})
    assert prior.weights_source == "priors"
    assert prior.summary().policies["baseline"].p_decoupling == pytest.approx(0.25)
    # the same worlds: each structure's own answer does not depend on the weights
    assert (
        prior.structure("drift=fall").summary().to_dict()
        == results.structure("drift=fall").summary().to_dict()
    )


def test_the_use_case_reads_a_fresh_file_and_computes_otherwise(toy, episodes, weights_file):
    from_file = structures_by_history([toy], weights_file=weights_file)
    assert not from_file.computed
    (verdict,) = from_file.verdicts
    assert verdict.favoured()[0] == "rise" and verdict.source.startswith("file: stacking")
    assert "history favours rise with weight 67 % against a prior of 25 %" in verdict.sentence()
    computed = structures_by_history([toy], episodes=episodes, members=8, seed=1)
    assert computed.computed and computed.weighing.simulations == 9
    assert [a.weight for a in computed.verdicts[0].accounts] == pytest.approx(
        [a.weight for a in verdict.accounts]
    )


def test_the_files_content_hash_is_the_stores(episodes):
    from alliancesim.ensemble import scenario_hash
    from alliancesim.history_file import content_hash

    assert [content_hash(e) for e in episodes] == [scenario_hash(e) for e in episodes]
