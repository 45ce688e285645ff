"""Turn mode: a played game against the engine run it must equal, and choices against what
they mean in scenario terms (a held event = a policy scheduling it, a lever = a policy setting
it, a forced action = its effects and rules applied in every world)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.engine import ActionChoice, parameter_values, simulate
from alliancesim.errors import InputError
from alliancesim.model import Model
from alliancesim.turns import AUTOPILOT, PLAYED, TurnChoices, TurnSession, turn_options
from alliancesim.web.games import GameCache, GameSetup
from alliancesim.web.sources import ScenarioSources

MEMBERS = 64


def engine_run(model: Model, session: TurnSession, policy: str) -> np.ndarray:
    """What ``simulate`` records for the session's draws under ``policy``: (steps+1, names, M)."""
    spec = model.policy(policy)
    draws = session.draws
    P = parameter_values(model, spec, draws.unit, draws.unit_rows)
    out = simulate(model, spec, P, draws.slots)
    rows = [model.record_names.index(n) for n in session.names]
    return out[:, rows, :]


def played(session: TurnSession, track: str = PLAYED) -> np.ndarray:
    return np.stack(session.record[track])


def test_a_game_left_to_the_model_is_the_engine_run(toy_model: Model) -> None:
    for policy in ("baseline", "consult_first"):
        session = TurnSession(toy_model, seed=3, members=MEMBERS, policy=policy)
        while not session.finished:
            session.play()
        expected = engine_run(toy_model, session, policy).astype(np.float32)
        for track in (PLAYED, AUTOPILOT):
            assert np.array_equal(played(session, track), expected)
        decoupled = simulate(
            toy_model,
            toy_model.policy(policy),
            parameter_values(
                toy_model, toy_model.policy(policy), session.draws.unit, session.draws.unit_rows
            ),
            session.draws.slots,
        )[:, -1, :]
        assert np.array_equal(np.stack(session.decoupled[PLAYED]), decoupled.astype(bool))


def test_holding_the_scm_in_the_first_quarter_is_the_policy_that_schedules_it(
    toy_model: Model,
) -> None:
    session = TurnSession(toy_model, seed=1, members=MEMBERS)
    session.play(TurnChoices(scheduled={"scm": True}))
    while not session.finished:
        session.play()
    assert np.array_equal(
        played(session), engine_run(toy_model, session, "early_scm").astype(np.float32)
    )
    assert not np.array_equal(played(session), played(session, AUTOPILOT))


def test_skipping_the_calendar_scm_removes_its_effect(toy_model: Model) -> None:
    session = TurnSession(toy_model, seed=1, members=MEMBERS)
    session.play()
    assert session.scheduled_next() == ["scm"]  # 2025Q4 is on the calendar
    session.play(TurnChoices(scheduled={"scm": False}))
    report = session.last_quarter()
    scm = next(h for h in report.happenings if h["id"] == "scm")
    assert scm["share"] == {PLAYED: 0.0, AUTOPILOT: 1.0}


def test_setting_the_lever_from_the_first_quarter_is_the_policy_that_sets_it(
    toy_model: Model,
) -> None:
    session = TurnSession(toy_model, seed=2, members=MEMBERS)
    session.play(TurnChoices(levers={"consultation": 0.9}))
    while not session.finished:
        session.play()
    assert np.array_equal(
        played(session), engine_run(toy_model, session, "consult_first").astype(np.float32)
    )


def test_a_forced_unconsulted_withdrawal_adds_its_effect_and_rules_in_every_world(
    toy_model: Model,
) -> None:
    session = TurnSession(toy_model, seed=5, members=MEMBERS)
    state = session.tracks[PLAYED]
    rows = {p.name: k for k, p in enumerate(toy_model.parameters)}
    w_fear = state.P[rows["rules.fear_from_cut.weight"]]
    w_trust = state.P[rows["rules.trust_from_cut.weight"]]
    fear_start = state.X[toy_model.quantities.index("fear_abandonment.ROK")].copy()
    trust_start = state.X[toy_model.quantities.index("trust.ROK.USA")].copy()
    session.play(TurnChoices(actions={"withdrawal": ActionChoice(happens=True, consulted=False)}))
    j = toy_model.happenings.index("withdrawal")
    auto = session.tracks[AUTOPILOT]
    assert np.all(state.event[j] == 1.0) and np.all(state.count[j] == 1.0)
    assert np.all(state.consulted[0] == 0.0)
    fear = session.values("fear_abandonment.ROK")
    trust = session.values("trust.ROK.USA")
    fear_auto = session.values("fear_abandonment.ROK", AUTOPILOT)
    trust_auto = session.values("trust.ROK.USA", AUTOPILOT)
    # where the model did not withdraw and nothing was clipped, the difference is the effect
    # (0.1, never scaled) plus the rule's push (weight × withdrawal, gate 1: not consulted),
    # saturating from the start-of-step value: w·(1 − v₀) for a rise on [0, 1], w·v₀ for a
    # fall (the other rules push both tracks alike: provocations raise fear in both, in the
    # same direction)
    free = (auto.event[j] == 0.0) & (fear < 1.0) & (trust > 0.0)
    assert free.sum() > MEMBERS // 2
    expected_fear = 0.1 + w_fear * (1.0 - fear_start)
    assert np.allclose(fear[free] - fear_auto[free], expected_fear[free], atol=1e-6)
    assert np.allclose(trust[free] - trust_auto[free], (w_trust * trust_start)[free], atol=1e-6)


def test_a_consulted_withdrawal_only_adds_its_effect(toy_model: Model) -> None:
    session = TurnSession(toy_model, seed=5, members=MEMBERS)
    session.play(TurnChoices(actions={"withdrawal": ActionChoice(happens=True, consulted=True)}))
    auto = session.tracks[AUTOPILOT]
    j = toy_model.happenings.index("withdrawal")
    fear = session.values("fear_abandonment.ROK")
    fear_auto = session.values("fear_abandonment.ROK", AUTOPILOT)
    free = (auto.event[j] == 0.0) & (fear < 1.0)
    assert np.allclose(fear[free] - fear_auto[free], 0.1, atol=1e-6)
    assert np.all(session.tracks[PLAYED].consulted[0] == 1.0)


def test_a_one_off_action_happens_once_however_often_it_is_forced(toy_model: Model) -> None:
    session = TurnSession(toy_model, seed=4, members=MEMBERS)
    force = TurnChoices(actions={"withdrawal": ActionChoice(happens=True)})
    for _ in range(3):
        session.play(force)
    j = toy_model.happenings.index("withdrawal")
    assert np.all(session.tracks[PLAYED].count[j] == 1.0)
    assert session.action_status()["withdrawal"]["done"] == 1.0


def test_ruling_out_an_action_every_quarter_keeps_it_from_happening(toy_model: Model) -> None:
    session = TurnSession(toy_model, seed=4, members=256)
    stop = TurnChoices(actions={"withdrawal": ActionChoice(happens=False)})
    while not session.finished:
        session.play(stop)
    j = toy_model.happenings.index("withdrawal")
    assert session.tracks[AUTOPILOT].count[j].sum() > 0  # the model would have withdrawn
    assert session.tracks[PLAYED].count[j].sum() == 0


def test_the_game_ends_at_the_horizon(toy_model: Model) -> None:
    session = TurnSession(toy_model, members=10)
    for _ in range(toy_model.horizon):
        session.play()
    assert session.finished
    with pytest.raises(InputError):
        session.play()


def test_the_choices_offered_come_from_the_scenario(toy_model: Model) -> None:
    options = turn_options(toy_model)
    assert options.actors == {"USA": "United States", "ROK": "South Korea"}
    assert [a.id for a in options.actions_of("USA")] == ["withdrawal"]
    assert options.actions_of("USA")[0].consultable
    assert not options.actions_of("ROK")[0].consultable  # no consultation rule
    assert [s.id for s in options.scheduled] == ["scm"]
    assert options.scheduled[0].steps == frozenset({2})
    assert [lever.id for lever in options.levers] == ["consultation"]
    assert options.levers[0].default == pytest.approx(0.2)
    assert turn_options(toy_model, "consult_first").levers[0].default == pytest.approx(0.9)
    assert turn_options(toy_model, "early_scm").scheduled[0].steps == frozenset({1, 2})


def test_choices_naming_what_the_scenario_lacks_are_input_errors(toy_model: Model) -> None:
    with pytest.raises(InputError) as caught:
        TurnChoices.from_dict(
            {
                "actions": {"invasion": {"happens": True}},
                "scheduled": {"scm": "yes"},
                "levers": {"consultation": float("nan")},
            },
            toy_model,
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"actions", "scheduled.scm", "levers.consultation"}


@settings(max_examples=12, deadline=None)
@given(
    moves=st.lists(
        st.fixed_dictionaries(
            {
                "actions": st.fixed_dictionaries(
                    {
                        "withdrawal": st.fixed_dictionaries(
                            {
                                "happens": st.sampled_from([None, True, False]),
                                "consulted": st.sampled_from([None, True, False]),
                            }
                        )
                    }
                ),
                "scheduled": st.fixed_dictionaries({"scm": st.sampled_from([True, False])}),
                "levers": st.fixed_dictionaries({"consultation": st.floats(0, 1, allow_nan=False)}),
            }
        ),
        min_size=1,
        max_size=5,
    ),
    seed=st.integers(0, 50),
)
def test_a_replayed_game_is_the_game_played(toy_model: Model, moves: list, seed: int) -> None:
    session = TurnSession(toy_model, seed=seed, members=32)
    branch = None
    for k, move in enumerate(moves):
        session.play(TurnChoices.from_dict(move, toy_model))
        if k == 0:
            branch = session.copy()  # a copy must not change when the game goes on
            before = played(branch).copy()
    replayed = TurnSession.replay(
        toy_model, [TurnChoices.from_dict(m, toy_model) for m in moves], seed=seed, members=32
    )
    assert np.array_equal(played(session), played(replayed))
    assert np.array_equal(played(session, AUTOPILOT), played(replayed, AUTOPILOT))
    assert branch is not None and np.array_equal(played(branch), before)


def test_the_game_cache_gives_the_replayed_game(tmp_path, toy_path) -> None:
    sources = ScenarioSources(tmp_path / "uploads")
    digest = "0" * 64
    sources.upload_path(digest).write_bytes(toy_path.read_bytes())
    cache = GameCache(sources)
    setup = GameSetup(scenario=f"upload:{digest}", members=20, seed=7)
    moves = [{"levers": {"consultation": 0.5}}, {"scheduled": {"scm": False}}, {}]
    step_by_step = None
    for n in range(1, len(moves) + 1):
        step_by_step = cache.session(setup, moves[:n])
    fresh = GameCache(sources).session(setup, moves)
    assert step_by_step is not None and step_by_step.step == 3
    assert np.array_equal(played(step_by_step), played(fresh))
    with pytest.raises(InputError):
        cache.session(GameSetup(scenario=f"upload:{digest}", policy="nonsense"), [])
    with pytest.raises(InputError):
        GameSetup.from_dict({"members": 5})
