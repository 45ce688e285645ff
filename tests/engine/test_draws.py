"""The random-number recipes, against draws constructed here from what docs/design.md and
docs/analysis.md say, and simulated by the scalar oracle.

A run's block b draws from ``SeedSequence(seed, spawn_key=(b,))`` a Latin hypercube over the
parameters uncertain under any policy, then the slots of every step; an experiment's points
share R event streams drawn from ``SeedSequence(seed)``. Any change to a recipe (seeding,
order of draws, block size, which parameters are drawn) moves these numbers by far more than
the oracle's tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import qmc

from alliancesim.analysis.experiments import Experiments
from alliancesim.runner import run
from alliancesim.scenario.loader import load_scenario
from alliancesim.testing import member_parameters, simulate_member

BLOCK = 2048  # members per block, as docs/design.md states it
SEED = 11


def _generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _slots_per_step(scenario) -> int:
    return 2 * len(scenario.events) + 2 * len(scenario.actions)


def _close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-12)


def test_each_block_of_a_run_draws_from_its_own_seed_sequence(toy_path, tmp_path) -> None:
    # a lever uncertain only under a policy: the hypercube covers it too (one column per
    # parameter uncertain under any of the scenario's policies, in parameter order)
    text = toy_path.read_text().replace(
        'set = { "policy.consultation" = 0.9 }',
        'set = { "policy.consultation" = { low = 0.5, high = 0.9 } }',
    )
    (tmp_path / "toy.toml").write_text(text)
    scenario = load_scenario(tmp_path / "toy.toml")
    results = run(scenario, members=BLOCK + 40, seed=SEED)
    model = results.model
    names = [model.parameter_names[r] for r in model.uncertain_rows(scenario.policy_ids)]
    assert "policy.consultation" in names
    horizon = scenario.scenario.horizon
    parameters = results.parameters()
    checked = 0
    with results.connect() as con:
        for block, start, size in ((0, 0, BLOCK), (1, BLOCK, 40)):
            rng = _generator(SEED, block)
            unit = qmc.LatinHypercube(d=len(names), rng=rng).random(size)
            slots = rng.random((horizon, _slots_per_step(scenario), size))
            for m in (0, 1, size - 1):
                member = start + m
                u = dict(zip(names, (float(x) for x in unit[m]), strict=True))
                drawn = member_parameters(scenario, "baseline", u)
                for name in names:
                    assert _close(float(parameters.loc[member, name]), drawn[name]), name
                steps = [[float(x) for x in slots[t, :, m]] for t in range(horizon)]
                for policy in results.policies:
                    expected = simulate_member(scenario, policy, u, steps)
                    stored = con.execute(
                        "SELECT * EXCLUDE (policy, member) FROM trajectories "
                        "WHERE policy::VARCHAR = ? AND member = ? ORDER BY step",
                        [policy, member],
                    ).df()
                    assert list(stored["step"]) == list(range(horizon + 1))
                    for name in stored.columns.drop("step"):
                        got = stored[name].to_numpy(dtype=np.float64)
                        assert all(
                            _close(float(a), b) for a, b in zip(got, expected[name], strict=True)
                        ), (policy, member, name)
                    checked += 1
    assert checked == 6 * len(results.policies)


def test_experiment_points_share_event_streams_drawn_from_the_seed(toy_path) -> None:
    scenario = load_scenario(toy_path)
    replicates, seed = 3, 5
    experiments = Experiments(
        scenario, ("cohesion", "decoupled"), replicates=replicates, seed=seed, at=3
    )
    names = experiments.space.names
    unit = _generator(1).uniform(0.05, 0.95, (4, len(names)))
    got = experiments.evaluate_unit(unit)
    streams = _generator(seed).random(
        (scenario.scenario.horizon, _slots_per_step(scenario), replicates)
    )
    for k in range(unit.shape[0]):
        u = dict(zip(names, (float(x) for x in unit[k]), strict=True))
        runs = [
            simulate_member(
                scenario,
                "baseline",
                u,
                [[float(x) for x in streams[t, :, r]] for t in range(streams.shape[0])],
            )
            for r in range(replicates)
        ]
        for j, measure in enumerate(experiments.measures):
            expected = sum(history[measure][3] for history in runs) / replicates
            assert _close(float(got[k, j]), expected), (k, measure)
