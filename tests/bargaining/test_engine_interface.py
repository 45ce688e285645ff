"""The engine's contract: ``bargaining_round(model, positions, capability, salience, status_quo)``.

Source of the contract: the engine issue (DESIGN.md §4.2): arrays (members, actors),
pure, deterministic, member m bit-identical whatever else is in the batch, no NaN in
degenerate cases, ValueError listing the models for an unknown name.
"""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.bargaining import MODELS, Round, bargaining_round, eum_kernel
from alliancesim.bargaining.eum import EUMOptions, eum_round


def random_issue(members: int, actors: int, seed: int):
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(0, 100, (members, actors)),
        rng.uniform(0.5, 10, (members, actors)),
        rng.uniform(0, 1, (members, actors)),
        rng.uniform(0, 100, members),
    )


def test_models_constant():
    assert MODELS == ("compromise", "median", "eum", "smp", "nash")


def test_unknown_model_lists_valid_ones():
    x, c, s, q = random_issue(2, 3, 0)
    with pytest.raises(ValueError, match="compromise, median, eum, smp, nash"):
        bargaining_round("bdm", x, c, s, q)


def test_unknown_option_is_refused():
    x, c, s, q = random_issue(2, 3, 0)
    with pytest.raises(ValueError, match="valid options"):
        bargaining_round("eum", x, c, s, q, options={"Q": 0.5})
    with pytest.raises(ValueError, match="takes no options"):
        bargaining_round("median", x, c, s, q, options={"q": 0.5})


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("positions", np.ones(3), "shaped"),
        ("capability", np.zeros((2, 3)), "> 0"),
        ("salience", np.full((2, 3), 1.5), r"\[0, 1\]"),
        ("status_quo", np.ones(3), "status_quo"),
    ],
)
def test_bad_inputs_raise(field, bad, message):
    x, c, s, q = random_issue(2, 3, 0)
    args = {"positions": x, "capability": c, "salience": s, "status_quo": q}
    args[field] = bad
    with pytest.raises(ValueError, match=message):
        bargaining_round("compromise", **args)


@pytest.mark.parametrize("model", MODELS)
def test_pure_and_shaped(model):
    """Inputs are not modified; the result is a Round of (M, A) positions and (M,) outcomes."""
    x, c, s, q = random_issue(6, 5, 1)
    copies = [a.copy() for a in (x, c, s, q)]
    result = bargaining_round(model, x, c, s, q)
    for before, after in zip(copies, (x, c, s, q), strict=True):
        np.testing.assert_array_equal(before, after)
    assert isinstance(result, Round)
    assert result.positions.shape == (6, 5) and result.outcome.shape == (6,)
    again = bargaining_round(model, x, c, s, q)
    np.testing.assert_array_equal(result.positions, again.positions)
    np.testing.assert_array_equal(result.outcome, again.outcome)


@pytest.mark.parametrize("model", MODELS)
def test_member_does_not_depend_on_the_batch(model):
    """Member m's result is bit-identical alone, in a batch of 1000, or next to other members."""
    x, c, s, q = random_issue(1000, 7, 2)
    batch = bargaining_round(model, x, c, s, q)
    for m in (0, 499, 999):
        alone = bargaining_round(model, x[m : m + 1], c[m : m + 1], s[m : m + 1], q[m : m + 1])
        np.testing.assert_array_equal(batch.positions[m], alone.positions[0])
        np.testing.assert_array_equal(batch.outcome[m], alone.outcome[0])
    x2, c2, s2, q2 = random_issue(1000, 7, 3)
    x2[10], c2[10], s2[10], q2[10] = x[10], c[10], s[10], q[10]
    other = bargaining_round(model, x2, c2, s2, q2)
    np.testing.assert_array_equal(other.positions[10], batch.positions[10])
    np.testing.assert_array_equal(other.outcome[10], batch.outcome[10])


@pytest.mark.parametrize("model", MODELS)
def test_degenerate_cases_give_no_nan(model):
    """All actors at one position; nobody salient; a single actor; two actors at the status quo."""
    cases = [
        (np.full((1, 4), 30.0), np.ones((1, 4)), np.full((1, 4), 0.5), np.array([30.0])),
        (np.array([[10.0, 40.0, 90.0]]), np.ones((1, 3)), np.zeros((1, 3)), np.array([55.0])),
        (np.array([[70.0]]), np.array([[2.0]]), np.array([[0.8]]), np.array([20.0])),
        (np.array([[20.0, 20.0]]), np.ones((1, 2)), np.ones((1, 2)), np.array([20.0])),
    ]
    expected = [30.0, 55.0, 70.0, 20.0]
    for (x, c, s, q), want in zip(cases, expected, strict=True):
        result = bargaining_round(model, x, c, s, q)
        assert np.all(np.isfinite(result.positions)) and np.all(np.isfinite(result.outcome))
        if model == "nash" and want == 70.0:
            want = 70.0  # a lone actor gets its way
        assert result.outcome[0] == pytest.approx(want, abs=1e-6), (model, x)


def test_nobody_salient_keeps_positions_and_status_quo():
    x = np.array([[10.0, 40.0, 90.0]])
    for model in MODELS:
        result = bargaining_round(model, x, np.ones((1, 3)), np.zeros((1, 3)), np.array([55.0]))
        np.testing.assert_array_equal(result.positions, x)
        assert result.outcome[0] == 55.0


@pytest.mark.skipif(not eum_kernel.AVAILABLE, reason="numba not installed")
@pytest.mark.parametrize(
    "options",
    [
        EUMOptions(),
        EUMOptions(q=0.5),
        EUMOptions.as_written(),
        EUMOptions(ej_salience="same", compromise_sign=-1),
        EUMOptions(probability="net", reply_risk="own"),
    ],
)
def test_compiled_eum_equals_numpy_reference(options):
    """The Numba kernel and the readable NumPy version agree (pow differs in the last bit only)."""
    x, c, s, q = random_issue(400, 7, 4)
    a = eum_round(x, c, s, q, options, details=True, backend="numba")
    b = eum_round(x, c, s, q, options, details=True, backend="numpy")
    np.testing.assert_allclose(a.expected_utility, b.expected_utility, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.risk, b.risk, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-9)
