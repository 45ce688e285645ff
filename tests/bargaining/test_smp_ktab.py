"""The spatial model of politics against KTAB's own reference histories.

Inputs and references: KAPSARC KTAB (MIT licence, data/ktab/LICENSE-KTAB), copied from
shared/reference/ktab/: ``dummyData_3Dim.csv`` (7 actors × 3 dimensions) and
``SOE-Pol-Comp.csv`` (13 × 2) with KTAB's reference logs 20170530_ref-*.txt, and
``SOE-Policy.csv`` (26 × 1) with the history of a KTAB ``smpc`` run on the same
defaults (ktab-run-SOE-Policy.txt). Only the history blocks of the logs are kept in
``data/ktab/*.history.txt``. KTAB prints positions with one decimal (``%5.1f`` of
100·x) and probabilities with four (``%.4f``); the histories must agree on every
printed digit and on the number of turns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alliancesim.bargaining import forecast, read_ktab_csv, smp_kernel
from alliancesim.bargaining.rounds import _smp_round
from alliancesim.bargaining.smp import (
    SMPOptions,
    assess,
    expected_position,
    run_smp,
    smp_turn,
    state_probabilities,
)


def read_history(path: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """KTAB's history block: {"actor, dimension": ["75.8", ...]} and {"actor": ["0.0047", ...]}."""
    positions: dict[str, list[str]] = {}
    probabilities: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith(("#", "History")) or ":" not in line:
            continue
        key, values = line.split(":", 1)
        if key.endswith(", prob "):
            probabilities[key[: -len(", prob ")]] = values.split()
        else:
            positions[key.strip()] = values.split()
    return positions, probabilities


BACKENDS = ["numpy", "numba"] if smp_kernel.AVAILABLE else ["numpy"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy"])
def test_history_matches_ktab(data_dir, case, backend):
    """Every actor's position (to 0.1) and probability (to 4 decimals), every turn, and the turn count.

    Both ways of computing a turn (the NumPy code and the compiled kernel) are checked.
    """
    table = read_ktab_csv(data_dir / "ktab" / f"{case}.csv")
    ref_positions, ref_probabilities = read_history(data_dir / "ktab" / f"{case}.history.txt")
    history = run_smp(
        table.position / 100.0, table.salience, table.capability[:, 0], backend=backend
    )
    n_states = len(next(iter(ref_probabilities.values())))
    assert history.positions.shape[0] == n_states
    for a, actor in enumerate(table.actors):
        for d, issue in enumerate(table.issues):
            ours = [f"{100 * v:5.1f}".strip() for v in history.positions[:, a, d]]
            assert ours == ref_positions[f"{actor}, {issue}"], f"{actor} on {issue}"
        ours_p = [f"{p:.4f}" for p in history.probabilities[:, a]]
        assert ours_p == ref_probabilities[actor], f"probabilities of {actor}"


def test_forecast_api_gives_ktab_positions(data_dir):
    """forecast("smp", table) reports positions on the 0–100 input scale: KTAB's printed history."""
    table = read_ktab_csv(data_dir / "ktab" / "SOE-Pol-Comp.csv")
    ref_positions, _ = read_history(data_dir / "ktab" / "SOE-Pol-Comp.history.txt")
    history = forecast("smp", table)
    for a, actor in enumerate(table.actors):
        for d, issue in enumerate(table.issues):
            assert [f"{v:5.1f}".strip() for v in history.positions[:, a, d]] == ref_positions[
                f"{actor}, {issue}"
            ]


def test_stopping_rule_reported(data_dir):
    """KTAB's log for dummyData_3Dim: 'Fractional change compared to first step: 0.0045 (target=0.0200)' at turn 10."""
    history = forecast("smp", read_ktab_csv(data_dir / "ktab" / "dummyData_3Dim.csv"))
    assert history.rounds == 10
    assert "0.0045" in history.stopped


def test_first_turn_bargain_rounding(data_dir):
    """KTAB log, turn 0 of dummyData_3Dim: actor 4 challenges actor 0 and actor 0 adopts 4's bargain.

    Log: 'Bargain [1022, 4:0] … 4 proposes 0 adopt: 79.540 44.710 72.050' and later
    'postn 0 , 0 : 79.5400 44.7100 72.0500'; actor 4 itself moves to 79.54 44.72 72.05
    (the 1e-6 weight makes the two sides differ in the last rounded digit).
    """
    table = read_ktab_csv(data_dir / "ktab" / "dummyData_3Dim.csv")
    x = (table.position / 100.0)[None]
    s = table.salience[None]
    c = table.capability[None, :, 0]
    step = smp_turn(x, s, c, SMPOptions())
    assert step.positions[0, 0].tolist() == [0.7954, 0.4471, 0.7205]
    assert step.positions[0, 4].tolist() == [0.7954, 0.4472, 0.7205]
    assert step.target[0].tolist() == [6, 0, 6, 0, 0, 1, 1]


def test_turn_is_identical_inside_a_batch(data_dir):
    """A member's KTAB turn does not depend on the other members computed with it (bit-identical)."""
    table = read_ktab_csv(data_dir / "ktab" / "SOE-Policy.csv")
    x = (table.position / 100.0)[None]
    s = table.salience[None]
    c = table.capability[None, :, 0]
    opts = SMPOptions()
    alone = smp_turn(x, s, c, opts)
    rng = np.random.default_rng(7)
    others = rng.uniform(0, 1, (5, *x.shape[1:]))
    batch_x = np.concatenate([others[:2], x, others[2:]])
    batch_s = np.concatenate(
        [np.full((2, *s.shape[1:]), 0.3), s, rng.uniform(0, 1, (3, *s.shape[1:]))]
    )
    batch_c = np.concatenate([np.ones((2, c.shape[1])), c, rng.uniform(1, 5, (3, c.shape[1]))])
    together = smp_turn(batch_x, batch_s, batch_c, opts, assess(batch_x, batch_s, batch_c, opts))
    np.testing.assert_array_equal(together.positions[2], alone.positions[0])


@pytest.mark.skipif(not smp_kernel.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize("case", ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy"])
def test_compiled_turn_is_bit_identical_on_ktab_cases(data_dir, case):
    """The Numba turn (engine path) equals the NumPy turn checked above, five turns running."""
    table = read_ktab_csv(data_dir / "ktab" / f"{case}.csv")
    x = (table.position / 100.0)[None]
    s = table.salience[None]
    c = table.capability[None, :, 0]
    opts = SMPOptions()
    for _ in range(5):
        compiled, expected = smp_kernel.smp_round_compiled(x, s, c, opts)
        step = smp_turn(x, s, c, opts)
        after = assess(step.positions, s, c, opts)
        _, p_unique = state_probabilities(step.positions, c, after, opts)
        np.testing.assert_array_equal(compiled, step.positions)
        np.testing.assert_array_equal(expected, expected_position(step.positions, p_unique))
        x = compiled


@pytest.mark.skipif(not smp_kernel.AVAILABLE, reason="numba not installed")
def test_compiled_engine_round_is_bit_identical_on_random_members():
    """bargaining_round('smp') compiled vs NumPy on 500 random 1-D members, ties and zero saliences included."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 100, (500, 7))
    x[::3, 1] = x[::3, 0]
    c = rng.uniform(1, 10, (500, 7))
    s = rng.uniform(0, 1, (500, 7))
    s[::4, 2] = 0.0
    q = rng.uniform(0, 100, 500)
    anyone = (c * s).sum(axis=1) > 0
    a = _smp_round(x, c, s, q, anyone, SMPOptions(), compiled=True)
    b = _smp_round(x, c, s, q, anyone, SMPOptions(), compiled=False)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.outcome, b.outcome)
