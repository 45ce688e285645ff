"""The packaged weights file describes the packaged episodes: regenerate it (``make weights``)
whenever an episode or a module an episode includes changes."""

from __future__ import annotations

import pytest

import alliancesim.scenario as scenario_package
import alliancesim.scenario.loader as loader
from alliancesim.history_file import (
    PACKAGED,
    REGENERATE,
    history_weights,
    read_weights_file,
    source_hash,
)
from alliancesim.scenario import load_scenario
from alliancesim.scenario.library import builtin_episodes, builtin_scenarios


def test_the_packaged_weights_match_the_packaged_episodes():
    weights = read_weights_file(PACKAGED)
    assert weights.format_version == 2 and weights.command == REGENERATE
    assert weights.method == "pseudo-bma+"
    for episode, known in weights.episodes.items():
        assert known == source_hash(episode), (
            f"{episode} changed since the packaged weights were computed: run `make weights`"
        )
    seeds = [s for s in builtin_scenarios() if s not in set(builtin_episodes())]
    for ident in seeds:
        found = history_weights(load_scenario(ident))
        assert not found.stale, f"{ident}: {found.notes} (run `make weights`)"
        assert set(found.accounts) == {m.id for m in load_scenario(ident).mechanisms}


def test_every_packaged_weight_has_its_interval_and_separation():
    for entry in read_weights_file(PACKAGED).mechanisms.values():
        assert entry.units >= 2
        assert sum(entry.weights().values()) == pytest.approx(1.0)
        for account in entry.accounts:
            assert account.interval is not None
            low, high = account.interval
            assert 0.0 <= low <= high <= 1.0
            assert account.verdict in ("best", "identical", "small", "within noise", "separated")


def test_checking_freshness_loads_no_scenario(monkeypatch):
    # the check reads the episode files as written (and keeps what it read between calls): a
    # run no longer loads the 13 episodes to hash them
    scenario = load_scenario("us-rok-2025")

    def refuse(*args, **kwargs):
        raise AssertionError("history_weights loaded a scenario")

    monkeypatch.setattr(loader, "load_scenario", refuse)
    monkeypatch.setattr(scenario_package, "load_scenario", refuse)
    found = history_weights(scenario)
    assert found.source is not None and not found.stale


def test_make_weights_runs_the_regenerating_command():
    from pathlib import Path

    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nweights:", 1)[1].splitlines()[1].strip()
    assert recipe == f"$(BIN)/{REGENERATE}"


def test_the_model_forecasts_the_episodes_as_when_the_packaged_weights_were_computed():
    # the episodes' hashes cover what is written in them; this covers the engine that
    # simulates them: a change that moves any forecast the weights rest on fails here
    from alliancesim.history_file import CHECK_MEMBERS, model_check

    weights = read_weights_file(PACKAGED)
    assert set(weights.model_check) == set(weights.episodes)
    now = model_check(weights.sources)
    for episode, structures in weights.model_check.items():
        assert set(now[episode]) == set(structures)
        for structure, means in structures.items():
            assert now[episode][structure] == pytest.approx(means, rel=1e-9, abs=1e-12), (
                f"the model's forecasts of {episode} under {structure} ({CHECK_MEMBERS} members) "
                "moved since the packaged weights were computed: run `make weights` (and "
                "`make calibration`)"
            )


def test_the_model_check_is_each_structures_forecast_worked_out_by_hand():
    # the toy level rises one unit a quarter under 'rise' (the seed's account), falls under
    # 'fall', stays under 'flat'; its targets are the change from 2000Q4 to 2001Q2 and 2001Q4
    from pathlib import Path

    from alliancesim.history_file import model_check

    toy = Path(__file__).parent / "data" / "rivals" / "rise-2001.toml"
    assert model_check({"rise-2001": str(toy)}) == {
        "rise-2001": {"seed": [2.0, 4.0], "drift=fall": [-2.0, -4.0], "drift=flat": [0.0, 0.0]}
    }
