"""One bargaining round on one issue for M members at once: the engine's entry point.

``bargaining_round(model, positions, capability, salience, status_quo)`` takes arrays
shaped (members, actors) on the issue scale (the engine uses 0–100) and returns the
actors' new positions and the model's forecast for the round. It is pure (inputs are
never modified), deterministic, and member m's result is bit-identical whatever the
other members contain: every model computes member by member.

What "one round" means per model:

* ``compromise``: positions unchanged; forecast the c·s-weighted mean (Achen 2006).
* ``median``: positions unchanged; forecast the weighted median, the Condorcet winner
  among the positions with votes c·s.
* ``eum``: one round (two passes) of Bueno de Mesquita's expected-utility model in
  Scholz et al.'s reading; forecast the median voter position μ of the *new*
  positions — BDM's own forecast under majority rule.
* ``smp``: one turn of KTAB's spatial model (1-D case of the multi-dimensional model);
  forecast the probability-weighted position of the new state, Σ_u p_u x_u over its
  unique positions with KTAB's reported probabilities.
* ``nash``: positions unchanged; forecast the asymmetric Nash bargaining solution over
  the status quo with weights c·s.

If nobody attaches salience to the issue, nothing moves and the forecast is the status
quo (no actor cares to change it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from alliancesim.bargaining import smp_kernel
from alliancesim.bargaining.arrays import as_issue_arrays, sequential_sum
from alliancesim.bargaining.compromise import compromise_outcome
from alliancesim.bargaining.eum import eum_options, eum_round
from alliancesim.bargaining.median import median_outcome
from alliancesim.bargaining.nash import nash_options, nash_outcome
from alliancesim.bargaining.smp import (
    assess,
    expected_position,
    smp_options,
    smp_turn,
    state_probabilities,
)

__all__ = ["MODELS", "Round", "bargaining_round", "check_model", "model_options"]

MODELS: tuple[str, ...] = ("compromise", "median", "eum", "smp", "nash")


class Round(NamedTuple):
    """The result of one bargaining round for M members."""

    positions: np.ndarray  # (M, A) new positions after one round, same scale as input
    outcome: np.ndarray  # (M,) the model's forecast for this round


def check_model(model: str) -> str:
    """Return ``model`` if it is one of MODELS, else raise ValueError listing the valid ones."""
    if model not in MODELS:
        raise ValueError(f"unknown bargaining model {model!r}; valid models: {', '.join(MODELS)}")
    return model


def model_options(model: str, options: Mapping[str, object] | None) -> object:
    """The typed options object of ``model`` from a mapping (ValueError on unknown names)."""
    check_model(model)
    if model == "eum":
        return eum_options(options)
    if model == "smp":
        return smp_options(options)
    if model == "nash":
        return nash_options(options)
    if options:
        raise ValueError(f"the {model} model takes no options, got {sorted(options)}")
    return None


def bargaining_round(
    model: str,
    positions,
    capability,
    salience,
    status_quo,
    *,
    options: Mapping[str, object] | None = None,
    check: bool = True,
) -> Round:
    """One round of ``model`` for each of M members (arrays (M, A) and (M,)).

    Returns the actors' new positions (M, A) on the input scale and the round's
    forecast (M,). Raises ValueError for an unknown model or option, or for inputs of
    the wrong shape, non-finite values, capabilities <= 0 or saliences outside [0, 1].
    ``check=False`` skips those checks and the defensive copies, for callers (the engine)
    whose inputs are float64 arrays already kept in range; inputs are still never modified.
    """
    opts = model_options(model, options)
    if check:
        x, c, s, q = as_issue_arrays(positions, capability, salience, status_quo)
    else:
        x, c, s, q = positions, capability, salience, status_quo
        if model in ("eum", "smp"):
            x = np.array(x, dtype=np.float64, copy=True)
    anyone = sequential_sum(c * s, axis=1) > 0
    if model == "compromise":
        return Round(x, compromise_outcome(x, c, s, q))
    if model == "median":
        return Round(x, median_outcome(x, c, s, q))
    if model == "nash":
        return Round(x, nash_outcome(x, c, s, q, opts))  # type: ignore[arg-type]
    if model == "eum":
        step = eum_round(x, c, s, q, opts)  # type: ignore[arg-type]
        return Round(step.positions, step.median)
    return _smp_round(x, c, s, q, anyone, opts)  # type: ignore[arg-type]


def _smp_round(x, c, s, q, anyone, opts, *, compiled: bool | None = None) -> Round:
    """One KTAB turn on the 1-D issue; positions mapped to [0, 1] by the option ``scale``.

    Uses the compiled kernel (bit-identical to the NumPy version) when Numba is
    installed and the options are KTAB's default sub-models.
    """
    lo, hi = opts.scale
    width = hi - lo
    unit = ((x - lo) / width)[:, :, None]
    sal = s[:, :, None]
    if compiled is None:
        compiled = smp_kernel.supports(opts)
    if compiled:
        new_unit, expected = smp_kernel.smp_round_compiled(unit, sal, c, opts)
    else:
        step = smp_turn(unit, sal, c, opts)
        new_unit = step.positions
        after = assess(new_unit, sal, c, opts)
        _, p_unique = state_probabilities(new_unit, c, after, opts)
        expected = expected_position(new_unit, p_unique)
    forecast = lo + expected[:, 0] * width
    moved = new_unit[:, :, 0] != unit[:, :, 0]
    new_x = np.where(moved & anyone[:, None], lo + new_unit[:, :, 0] * width, x)
    return Round(new_x, np.where(anyone, forecast, q))
