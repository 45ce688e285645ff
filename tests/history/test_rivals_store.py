"""A run weighed by history's weights keeps them in the store: reopened, listed and reported
with the same weights and the same words about where they come from; a catalogue from before
weights were kept (schema 3) migrates, its runs weighed by their priors."""

from __future__ import annotations

import pytest
from test_rivals import EPISODES, RIVALS, write_weights_file  # the toy episodes

from alliancesim.analysis.rivals import weigh_by_history
from alliancesim.scenario import load_scenario
from alliancesim.store import Store
from alliancesim.store.catalogue import SCHEMA_VERSION
from alliancesim.workflows import report_of_stored_run, run_and_store, view_of_stored_run


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    toy = load_scenario(RIVALS / "toy-rivals.toml")
    episodes = [load_scenario(RIVALS / f"{e}.toml") for e in EPISODES]
    weighing = weigh_by_history(toy.mechanisms, episodes, members=8, seed=1, method="stacking")
    path = write_weights_file(
        weighing,
        tmp_path_factory.mktemp("weights") / "w.json",
        "alliancesim structures --write w.json",
    )
    store = Store(tmp_path_factory.mktemp("home"))
    made = run_and_store(store, toy, members=40, seed=3, weights=path)
    return store, made


def test_a_reopened_run_keeps_history_weights(stored):
    store, made = stored
    assert made.results.weights["seed"] == pytest.approx(2 / 3, abs=1e-6)
    again = store.open_run(made.record.run_id)
    assert again.weights == made.results.weights
    assert again.weights_source == made.results.weights_source
    assert again.account_weights == made.results.account_weights
    assert again.summary().to_dict() == made.results.summary().to_dict()
    (record,) = store.runs()
    assert record.weights == made.results.weights
    assert record.to_dict()["weights_source"].startswith("history (drift)")


def test_view_and_report_say_which_account_history_favours(stored):
    store, made = stored
    view, _ = view_of_stored_run(store, made.record.run_id)
    assert view.weights_source.startswith("history (drift): stacking on 3 episodes")
    # the stored run kept what the weights rest on: stacking put 67 % on rise, but the three
    # episodes' scores do not separate the accounts
    assert store.open_run(made.record.run_id).account_evidence == made.results.account_evidence
    assert made.results.account_evidence["drift"]["episodes"] == 3
    assert view.history == (
        "History does not separate the accounts of drift (Where the level drifts): rise 67 % "
        "(prior 25 %); fall 33 % (prior 25 %); flat 0 % (prior 50 %) — their forecasts on 3 "
        "episodes score within noise of one another, so the weights lean without deciding.",
    )
    html = report_of_stored_run(store, made.record.run_id)
    assert "id='history-favours'" in html and "History does not separate the accounts" in html


def test_a_catalogue_from_before_weights_migrates(tmp_path):
    home = tmp_path / "old"
    old = Store(home)
    toy = load_scenario(RIVALS / "toy-rivals.toml")
    run_and_store(old, toy, members=20, seed=1, weights="prior")
    with old.catalogue() as con:
        con.execute("ALTER TABLE runs DROP COLUMN weights")
        con.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'")
    migrated = Store(home)
    with migrated.catalogue() as con:
        assert con.execute("SELECT value FROM store_meta").fetchone() == (str(SCHEMA_VERSION),)
    (record,) = migrated.runs()
    assert record.weights is None and record.weights_source == ""
    again = migrated.open_run(record.run_id)
    assert again.weights == pytest.approx({"seed": 0.25, "drift=fall": 0.25, "drift=flat": 0.5})
    assert again.weights_source == "priors"
