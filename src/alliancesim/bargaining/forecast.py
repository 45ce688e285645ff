"""Forecast one negotiation from a stakeholder table, round by round (the standalone forecaster).

``forecast(model, stakeholders)`` runs one of the models on every issue of a
``Stakeholders`` table and returns a ``History``: every actor's position after each
round, the model's forecast and the c·s-weighted mean of each round (round 0 is the
starting state). The one-dimensional models (compromise, median, eum, nash) take the
issues one at a time, over the actors that take part in each; the SMP takes all
issues together as the dimensions of one space, as KTAB does, and stops by its own
rule unless a number of rounds is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from alliancesim.bargaining.arrays import weighted_mean
from alliancesim.bargaining.compromise import compromise_outcome
from alliancesim.bargaining.median import median_outcome
from alliancesim.bargaining.nash import nash_outcome
from alliancesim.bargaining.rounds import bargaining_round, check_model, model_options
from alliancesim.bargaining.smp import SMPOptions, run_smp
from alliancesim.bargaining.stakeholders import Stakeholders
from alliancesim.errors import InputError, Problem

__all__ = ["DEFAULT_ROUNDS", "History", "forecast"]

# Rounds run when none are asked for: the static models need one; Scholz et al.'s
# Table 2 shows eight rounds of the expected-utility model; the SMP has its own rule.
DEFAULT_ROUNDS: dict[str, int | None] = {
    "compromise": 1,
    "median": 1,
    "nash": 1,
    "eum": 8,
    "smp": None,
}


@dataclass(frozen=True)
class History:
    """A forecast round by round.

    positions (rounds+1, actors, issues) on the issues' scales, NaN where an actor
    takes no part; forecasts and means (rounds+1, issues); probabilities
    (rounds+1, actors) for the SMP (KTAB's reported probability of each actor's
    position), else None.
    """

    model: str
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    positions: np.ndarray
    forecasts: np.ndarray
    means: np.ndarray
    probabilities: np.ndarray | None
    stopped: str
    options: dict[str, object]

    @property
    def rounds(self) -> int:
        """The number of rounds run (states minus one)."""
        return self.positions.shape[0] - 1

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description: per issue, each actor's positions and the forecasts by round."""

        def clean(values: np.ndarray) -> list[float | None]:
            return [None if not np.isfinite(v) else float(v) for v in values]

        issues = []
        for d, name in enumerate(self.issues):
            issues.append(
                {
                    "issue": name,
                    "forecast": clean(self.forecasts[:, d]),
                    "weighted_mean": clean(self.means[:, d]),
                    "positions": {
                        actor: clean(self.positions[:, a, d])
                        for a, actor in enumerate(self.actors)
                        if np.isfinite(self.positions[0, a, d])
                    },
                }
            )
        out: dict[str, object] = {
            "model": self.model,
            "rounds": self.rounds,
            "stopped": self.stopped,
            "options": self.options,
            "actors": list(self.actors),
            "issues": issues,
        }
        if self.probabilities is not None:
            out["probabilities"] = {
                a: clean(self.probabilities[:, i]) for i, a in enumerate(self.actors)
            }
        return out


def forecast(
    model: str,
    stakeholders: Stakeholders,
    rounds: int | None = None,
    options: Mapping[str, object] | None = None,
) -> History:
    """Forecast the negotiation in ``stakeholders`` with ``model``, round by round.

    ``rounds`` defaults to DEFAULT_ROUNDS[model] (for the SMP: until KTAB's stopping
    rule). Raises ValueError for an unknown model or option, InputError when the table
    does not suit the model (the Nash model without a status quo; the SMP with an
    actor missing from an issue or with capabilities that differ between issues).
    """
    check_model(model)
    if rounds is not None and rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    if model == "smp":
        return _forecast_smp(stakeholders, rounds, options)
    opts = model_options(model, options)
    n_rounds = DEFAULT_ROUNDS[model] if rounds is None else rounds
    assert n_rounds is not None
    sh = stakeholders
    n_actors, n_issues = sh.position.shape
    positions = np.full((n_rounds + 1, n_actors, n_issues), np.nan)
    forecasts = np.full((n_rounds + 1, n_issues), np.nan)
    means = np.full((n_rounds + 1, n_issues), np.nan)
    problems = []
    for d in range(n_issues):
        present = np.isfinite(sh.position[:, d]) & np.isfinite(sh.salience[:, d])
        x = sh.position[present, d][None, :]
        c = sh.capability[present, d][None, :]
        s = sh.salience[present, d][None, :]
        sq = sh.status_quo[d]
        if not np.isfinite(sq):
            if model == "nash":
                problems.append(
                    Problem(
                        sh.source,
                        None,
                        f"issue {sh.issues[d]}",
                        "the nash model needs a status quo: "
                        "add a row with actor status_quo (or use --status-quo)",
                    )
                )
                continue
            sq = float(np.mean(x))
        q = np.array([sq])
        positions[0, present, d] = x[0]
        forecasts[0, d] = _static_forecast(model, x, c, s, q, opts)[0]
        means[0, d] = weighted_mean(x, c * s, q)[0]
        for t in range(1, n_rounds + 1):
            step = bargaining_round(model, x, c, s, q, options=options)
            x = step.positions
            positions[t, present, d] = x[0]
            forecasts[t, d] = step.outcome[0]
            means[t, d] = weighted_mean(x, c * s, q)[0]
    if problems:
        raise InputError(problems)
    return History(
        model,
        sh.actors,
        sh.issues,
        positions,
        forecasts,
        means,
        None,
        f"ran {n_rounds} round{'s' if n_rounds != 1 else ''}",
        _as_dict(opts),
    )


def _static_forecast(model, x, c, s, q, opts) -> np.ndarray:
    """The model's forecast for a state before any round is played."""
    if model == "compromise":
        return compromise_outcome(x, c, s, q)
    if model == "nash":
        return nash_outcome(x, c, s, q, opts)
    return median_outcome(x, c, s, q)  # median, and eum's median voter position μ


def _as_dict(opts: object) -> dict[str, object]:
    if opts is None:
        return {}
    return {
        k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(opts).items()
    }  # type: ignore[arg-type]


def _forecast_smp(
    sh: Stakeholders, rounds: int | None, options: Mapping[str, object] | None
) -> History:
    """All issues as the dimensions of one KTAB spatial model."""
    opts = model_options("smp", options)
    assert isinstance(opts, SMPOptions)
    problems = []
    n_issues = sh.position.shape[1]
    for a, actor in enumerate(sh.actors):
        missing = [sh.issues[d] for d in range(n_issues) if not np.isfinite(sh.position[a, d])]
        if missing:
            problems.append(
                Problem(
                    sh.source,
                    None,
                    f"actor {actor}",
                    "the smp model needs every actor on every "
                    f"issue; missing: {', '.join(missing)}",
                )
            )
        caps = sh.capability[a][np.isfinite(sh.capability[a])]
        if caps.size and np.any(caps != caps[0]):
            problems.append(
                Problem(
                    sh.source,
                    None,
                    f"actor {actor}",
                    "the smp model needs one capability per "
                    f"actor; got {', '.join(f'{v:g}' for v in caps)} on different issues",
                )
            )
    total = np.nansum(sh.salience, axis=1)
    for a in np.nonzero(total > 1.0 + 1e-9)[0]:
        problems.append(
            Problem(
                sh.source,
                None,
                f"actor {sh.actors[a]}",
                "the smp model needs each actor's saliences "
                f"to add up to at most 1 (100%), got {total[a]:g}",
            )
        )
    if problems:
        raise InputError(problems)
    given_scale = options is not None and "scale" in options
    scales = [opts.scale if given_scale else sh.issue_scale(d) for d in range(n_issues)]
    lo = np.array([s[0] for s in scales])
    width = np.array([s[1] - s[0] for s in scales])
    unit = (sh.position - lo) / width
    history = run_smp(unit, sh.salience, sh.capability[:, 0], opts, turns=rounds)
    positions = np.where(
        history.positions == unit[None], sh.position[None], lo + history.positions * width
    )
    forecasts = lo + history.expected * width
    w = sh.capability * sh.salience
    means = np.stack(
        [
            [
                weighted_mean(p[None, :, d], w[None, :, d], np.array([np.nan]))[0]
                for d in range(n_issues)
            ]
            for p in positions
        ]
    )
    options_used = _as_dict(dataclasses.replace(opts, scale=scales[0]) if n_issues == 1 else opts)
    if n_issues > 1 and not given_scale:
        options_used["scale"] = [list(s) for s in scales]
    return History(
        "smp",
        sh.actors,
        sh.issues,
        positions,
        forecasts,
        means,
        history.probabilities,
        history.stopped,
        options_used,
    )
