"""The spatial model of politics (SMP) of KAPSARC's KTAB, in its default configuration.

Sources: Efird, Lester & Wise (2016), "The Dynamics of China's Coalitions", J. East
Asian Studies 16:117–145; the KTAB code (KAPSARC, MIT licence): ``smp.cpp``,
``smpbcn.cpp`` (``SMPState::doBCN``, ``probEduChlg``, ``bestChallenge``),
``kmodel.cpp`` and ``kutils``. Written anew from BARGAINING.md §3 and a reading of
that code; floating-point operations are done in KTAB's order so that the histories
agree with KTAB's reference logs to every printed digit
(``tests/bargaining/test_smp_ktab.py``).

Positions x_i ∈ [0, 1]^D (input / 100), saliences s_id ∈ [0, 1] with S_i = Σ_d s_id ≤ 1,
capabilities c_i > 0; ideals equal positions (identity accommodation). One turn:

1. distances d_ij = sqrt(Σ_d (s_id (x_id − x_jd))² / Σ_d s_id²), utility
   u(d, R) = (1 − d)(1 + d R);
2. a probabilistic Condorcet election (``pce.election``) over the n positions with
   risk-neutral utilities and capability weights gives p; risk attitudes
   R_i = (3 p_i − (p_max + 2 p_min)) / (2 (p_max − p_min)); h's estimate of i's attitude
   r^h_i = (2 R_h + R_i)/3; h's utility matrix U^h(i, j) = u(d_ij, r^h_i);
3. every actor i, with its own estimates, weighs challenging every j: the principals'
   and each third party's votes (a three-actor contest, semi-committed third parties)
   give the chance P_ij that i prevails; the expected gain is
   ΔEU = (1 − S_j) 2U_ii + S_j [P_ij 2U_ii + (1 − P_ij) 2U_ij] − (U_ii + U_ij);
   i challenges the j with the largest gain if it exceeds 1e-5;
4. the challenge becomes a bargain interpolated per dimension with weights
   s_id² P² and s_jd² (1 − P)² (S2P2), rounded to 4 decimals; it joins the queues of
   both actors, each of which also holds the status quo;
5. each actor k values every bargain in its queue as its mean utility over all
   positions after the bargain; a PCE over the queue (capability weights) picks the
   most probable bargain, and only k moves, to its side of that bargain.

The model stops when t ≥ 100, or t ≥ 2 and D(s_{t−1}, s_t) / (D(s_0, s_1) + 1e-4) < 0.02,
with D = Σ_i ‖x_i − x_i'‖. Each state is reported as KTAB does: a PCE over the unique
positions (tolerance 1e-3) with each actor's own utilities, an actor being shown the
probability of the last unique position it is equivalent to.

Arrays carry a leading member axis M: positions (M, A, D). Nothing is combined
across members, and sums run in actor order, so member m's turn is bit-identical
whatever else is computed with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

from alliancesim.bargaining import smp_kernel
from alliancesim.bargaining.options import options_of
from alliancesim.bargaining.pce import PCEModel, VictoryModel, election, unique_positions

__all__ = [
    "SMPAssessment",
    "SMPHistory",
    "SMPOptions",
    "SMPTurn",
    "assess",
    "run_smp",
    "smp_options",
    "smp_turn",
    "state_probabilities",
]

_MIN_CHALLENGE_GAIN = 1e-5  # KTAB's minSigEDU
_MIN_CONTEST = 1e-10  # KTAB's minCltn in probEduChlg
_MIN_BARGAIN_WEIGHT = 1e-6  # KTAB's minW in interpBrgnSnPm


@dataclass(frozen=True)
class SMPOptions:
    """KTAB's model parameters; the defaults are KTAB's default configuration.

    victory: Linear (KTAB ``VictoryProbModel``); pce: Conditional (``PCEModel``;
    also ``markov_uniform``, ``markov_incentive``); big_r_range: Mid, R ∈ [−0.5, 1]
    (``BigRRange``); big_r_adjust: OneThird, r^h_i = (2 R_h + R_i)/3 (``BigRAdjust``);
    third_party: SemiCommit (``ThirdPartyCommit``); bargain: S2P2 (``InterVecBrgn``).
    Voting is proportional, transitions deterministic, bargains InitOnlyInterp, and
    the accommodation matrix the identity (ideals follow positions) — KTAB's defaults,
    not options here.

    max_turns, min_turns, stop_ratio: KTAB's stopping rule (100, 2, 0.02).
    position_tolerance: two positions closer than this (on [0, 1]) count as one when
    probabilities are reported (KTAB's posTol, 1e-3).
    scale: the issue scale (lo, hi) that maps to KTAB's [0, 1] (default 0–100, the
    engine's and KTAB's input scale).
    """

    victory: VictoryModel = "linear"
    pce: PCEModel = "conditional"
    big_r_range: Literal["mid", "min", "max"] = "mid"
    big_r_adjust: Literal["one_third", "half", "two_thirds", "full", "none"] = "one_third"
    third_party: Literal["semi", "full", "none"] = "semi"
    bargain: Literal["s2p2", "s1p1"] = "s2p2"
    max_turns: int = 100
    min_turns: int = 2
    stop_ratio: float = 0.02
    position_tolerance: float = 1e-3
    scale: tuple[float, float] = (0.0, 100.0)

    def __post_init__(self) -> None:
        choices: dict[str, tuple[str, ...]] = {
            "victory": ("linear", "square", "quartic", "octic"),
            "pce": ("conditional", "markov_uniform", "markov_incentive"),
            "big_r_range": ("mid", "min", "max"),
            "big_r_adjust": ("one_third", "half", "two_thirds", "full", "none"),
            "third_party": ("semi", "full", "none"),
            "bargain": ("s2p2", "s1p1"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"smp option {name} must be one of {list(allowed)}, got {getattr(self, name)!r}"
                )
        if not (isinstance(self.max_turns, int) and self.max_turns >= 1):
            raise ValueError(
                f"smp option max_turns must be a positive integer, got {self.max_turns!r}"
            )
        lo, hi = self.scale
        if not hi > lo:
            raise ValueError(
                f"smp option scale must be (low, high) with high > low, got {self.scale!r}"
            )


def smp_options(options: object = None) -> SMPOptions:
    """SMPOptions from None, an SMPOptions, or a mapping of option names to values."""
    return options_of(SMPOptions, "smp", options, prepare=_scale_as_tuple)


def _scale_as_tuple(given: dict[str, Any]) -> dict[str, Any]:
    if "scale" in given:
        given["scale"] = tuple(float(v) for v in given["scale"])
    return given


class SMPAssessment(NamedTuple):
    """How every actor sees a state: distances, risk attitudes and utility estimates."""

    distance: np.ndarray  # (M, A, A) d_ij from i's ideal to j's position, with i's saliences
    risk: np.ndarray  # (M, A) risk attitudes R_i from the risk-neutral PCE
    utility: (
        np.ndarray
    )  # (M, A, A, A) utility[h, i, j] = U^h(i, j), h's estimate of i's utility of j


class SMPTurn(NamedTuple):
    """One KTAB turn for M members."""

    positions: np.ndarray  # (M, A, D) new positions on [0, 1]
    target: np.ndarray  # (M, A) whom each actor challenged (-1: nobody)
    gain: np.ndarray  # (M, A) the expected gain of that challenge (0 if none)


class SMPHistory(NamedTuple):
    """A whole SMP run of one case."""

    positions: np.ndarray  # (T+1, A, D) positions on [0, 1], state 0 first
    probabilities: np.ndarray  # (T+1, A) KTAB's reported probability of each actor's position
    expected: np.ndarray  # (T+1, D) probability-weighted position of each state
    stopped: str  # why the run stopped


def _sequential(values: np.ndarray) -> np.ndarray:
    """Sum over the last axis, first element first."""
    total = np.zeros(values.shape[:-1])
    for k in range(values.shape[-1]):
        total = total + values[..., k]
    return total


def _utility(d: np.ndarray, big_r: np.ndarray) -> np.ndarray:
    """KTAB bsUtil: (1 − d)(1 + d R) for d ≤ 1, else (1 − d)(1 + R)."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * big_r), (1.0 - d) * (1.0 + big_r))


def _distance(frm: np.ndarray, to: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """KTAB bvDiff: salience-weighted distance; frm, to, sal broadcast with a last dim axis.

    An actor with no salience on any dimension sees every position at distance 0.
    """
    diff = frm - to
    num = np.zeros(np.broadcast_shapes(diff.shape, sal.shape)[:-1])
    den = np.zeros(sal.shape[:-1])
    for dim in range(diff.shape[-1]):
        ds = diff[..., dim] * sal[..., dim]
        num = num + ds * ds
        den = den + sal[..., dim] * sal[..., dim]
    safe = np.where(den > 0, den, 1.0)
    return np.where(den > 0, np.sqrt(num / safe), 0.0)


def _risk_from_probability(p: np.ndarray, rng: str) -> np.ndarray:
    """KTAB bigRfromProb: risk attitudes from PCE probabilities (all equal: risk-neutral)."""
    pmin = p.min(axis=-1, keepdims=True)
    pmax = p.max(axis=-1, keepdims=True)
    spread = pmax - pmin
    safe = np.where(spread > 0, spread, 1.0)
    if rng == "mid":
        r = (3.0 * p - (pmax + 2.0 * pmin)) / (2.0 * safe)
    elif rng == "min":
        r = (p - pmin) / safe
    else:
        r = (2.0 * p - (pmax + pmin)) / safe
    return np.where(spread > 0, r, 0.0)


def _estimate(rh: np.ndarray, ri: np.ndarray, rule: str) -> np.ndarray:
    """KTAB estNRA: h's estimate of i's risk attitude."""
    if rule == "one_third":
        return ((2.0 * rh) + ri) / 3.0
    if rule == "two_thirds":
        return (rh + (2.0 * ri)) / 3.0
    if rule == "half":
        return (rh + ri) / 2.0
    if rule == "full":
        return ri + 0.0 * rh
    return rh + 0.0 * ri


def assess(
    positions: np.ndarray, salience: np.ndarray, capability: np.ndarray, opts: SMPOptions
) -> SMPAssessment:
    """Risk attitudes and every actor's utility estimates for a state (KTAB setAllAUtil).

    positions, salience (M, A, D) on [0, 1]; capability (M, A).
    """
    x = positions
    d = _distance(x[:, :, None, :], x[:, None, :, :], salience[:, :, None, :])  # d[i, j]
    neutral = _utility(d, np.zeros(d.shape))
    p = election(neutral, capability, pce=opts.pce, victory=opts.victory)
    big_r = _risk_from_probability(p, opts.big_r_range)
    est = _estimate(big_r[:, :, None], big_r[:, None, :], opts.big_r_adjust)  # est[h, i]
    utility = _utility(d[:, None, :, :], est[:, :, :, None])
    return SMPAssessment(d, big_r, utility)


def state_probabilities(
    positions: np.ndarray, capability: np.ndarray, assessment: SMPAssessment, opts: SMPOptions
) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's reported PCE over the state's unique positions (SMPState::pDist(-1)).

    Each actor votes with its own utilities U^i(i, j); options are the unique
    positions. Returns (per-actor probability as KTAB prints it, (M, A); probability
    of each actor's unique position, (M, A) — zero for actors that are not the
    first at their position).
    """
    n = positions.shape[1]
    idx = np.arange(n)
    own = assessment.utility[:, idx, idx, :]  # own[i, j] = U^i(i, j)
    unique, last_match = unique_positions(positions, opts.position_tolerance)
    p = election(own, capability, unique, pce=opts.pce, victory=opts.victory)
    shown = np.take_along_axis(p, last_match, axis=1)
    return shown, p


def expected_position(positions: np.ndarray, p_unique: np.ndarray) -> np.ndarray:
    """Σ_u p_u x_u over the unique positions, per member and dimension (M, D)."""
    total = np.zeros((positions.shape[0], positions.shape[2]))
    for i in range(positions.shape[1]):
        total = total + p_unique[:, i, None] * positions[:, i, :]
    return total


def _challenges(
    assessment: SMPAssessment, salience_total: np.ndarray, weight: np.ndarray, tpc: str
) -> tuple[np.ndarray, np.ndarray]:
    """ΔEU[m, i, j] of i challenging j and i's chance P[m, i, j] of prevailing (probEduChlg(i, i, i, j))."""
    u = assessment.utility
    n = u.shape[1]
    idx = np.arange(n)
    rows, cols = idx[:, None], idx[None, :]
    u_ii = u[:, idx, idx, idx][:, :, None]  # U^i(i, i)
    u_ij = u[:, rows, rows, cols]  # U^i(i, j)
    u_ji = u[:, rows, cols, rows]  # U^i(j, i)
    u_jj = u[:, rows, cols, cols]  # U^i(j, j)
    w_i = weight[:, :, None]
    w_j = weight[:, None, :]
    contrib_i = w_i * (u_ii - u_ij)
    contrib_j = w_j * (u_ji - u_jj)
    for_i = _MIN_CONTEST + np.where(contrib_i > 0.0, contrib_i, 0.0)
    for_j = _MIN_CONTEST - np.where(contrib_i < 0.0, contrib_i, 0.0)
    for_i = for_i + np.where(contrib_j > 0.0, contrib_j, 0.0)
    for_j = for_j - np.where(contrib_j < 0.0, contrib_j, 0.0)
    base_i, base_j = for_i, for_j
    for k in range(n):
        third = (rows != k) & (cols != k)
        u_ki = u[:, idx, k, idx][:, :, None]  # U^i(k, i)
        u_kj = u[:, :, k, :]  # U^i(k, j)
        u_kk = u[:, idx, k, k][:, :, None]  # U^i(k, k)
        w_k = weight[:, k, None, None]
        little = w_k * (u_ki - u_kj)  # k's vote in the little contest (i:j)
        ci = np.where(little > 0.0, base_i + little, base_i)
        cj = np.where(little < 0.0, base_j - little, base_j)
        p_ik = ci / (ci + cj)
        p_jk = 1.0 - p_ik
        if tpc == "semi":
            ik_beats_j, j_beats_ik = (u_ki + u_ki) + u_kk, (u_kj + u_kj) + u_kj
            i_beats_jk, jk_beats_i = (u_ki + u_ki) + u_ki, (u_kj + u_kj) + u_kk
        elif tpc == "full":
            ik_beats_j, j_beats_ik = (u_ki + u_ki) + u_ki, (u_kj + u_kj) + u_kj
            i_beats_jk, jk_beats_i = ik_beats_j, j_beats_ik
        else:
            ik_beats_j, j_beats_ik = (u_ki + u_ki) + u_kk, (u_kj + u_kj) + u_kk
            i_beats_jk, jk_beats_i = ik_beats_j, j_beats_ik
        with_i = (p_ik * ik_beats_j) + (p_jk * j_beats_ik)
        with_j = (p_ik * i_beats_jk) + (p_jk * jk_beats_i)
        vote = w_k * (with_i - with_j)
        for_i = for_i + np.where(third & (vote > 0.0), vote, 0.0)
        for_j = for_j - np.where(third & (vote < 0.0), vote, 0.0)
    p_i = for_i / (for_i + for_j)
    p_j = for_j / (for_i + for_j)
    win, lose = u_ii + u_ii, u_ij + u_ij
    contest = p_i * win + p_j * lose
    s_j = salience_total[:, None, :]
    challenge = (1.0 - s_j) * win + s_j * contest
    gain = challenge - (u_ii + u_ij)
    return gain, p_i


def _round4(v: np.ndarray) -> np.ndarray:
    """KTAB round4: (int)(0.5 + v * 10000) / 10000 (truncation toward zero, as C does)."""
    return np.trunc(0.5 + v * 10000.0) / 10000.0


def smp_turn(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    opts: SMPOptions | None = None,
    assessment: SMPAssessment | None = None,
) -> SMPTurn:
    """One KTAB turn (SMPState::doBCN) for each member; positions, salience (M, A, D) on [0, 1]."""
    opts = opts or SMPOptions()
    x = np.asarray(positions, dtype=np.float64)
    sal = np.asarray(salience, dtype=np.float64)
    cap = np.asarray(capability, dtype=np.float64)
    n_members, n, n_dims = x.shape
    if assessment is None:
        assessment = assess(x, sal, cap, opts)
    s_total = _sequential(sal)
    weight = s_total * cap
    idx = np.arange(n)

    # Step 3: each actor's best target.
    gain, p_win = _challenges(assessment, s_total, weight, opts.third_party)
    gain = np.where(idx[:, None] != idx[None, :], gain, -np.inf)
    worth = np.where(gain > _MIN_CHALLENGE_GAIN, gain, -np.inf)
    target = np.argmax(worth, axis=2)
    challenges = np.isfinite(np.take_along_axis(worth, target[:, :, None], axis=2)[:, :, 0])
    target = np.where(challenges, target, -1)
    safe_target = np.where(challenges, target, idx[None, :])
    best_gain = np.where(
        challenges, np.take_along_axis(gain, safe_target[:, :, None], axis=2)[:, :, 0], 0.0
    )
    p_i = np.take_along_axis(p_win, safe_target[:, :, None], axis=2)[:, :, 0]

    # Step 4: the bargain each challenger proposes (initiator's and receiver's new positions).
    t_i = x
    t_j = np.take_along_axis(x, safe_target[:, :, None], axis=1)
    s_i = sal
    s_j = np.take_along_axis(sal, safe_target[:, :, None], axis=1)
    prob_i = p_i[:, :, None]
    prob_j = 1.0 - prob_i
    if opts.bargain == "s2p2":
        w_i = (s_i * s_i) * (prob_i * prob_i)
        w_j = (s_j * s_j) * (prob_j * prob_j)
    else:
        w_i = s_i * prob_i
        w_j = s_j * prob_j
    denom = (w_i + _MIN_BARGAIN_WEIGHT) + w_j
    b_init = _round4(((w_i + _MIN_BARGAIN_WEIGHT) * t_i + w_j * t_j) / denom)
    b_rcvr = _round4((w_i * t_i + (_MIN_BARGAIN_WEIGHT + w_j) * t_j) / denom)

    # Step 5: value of every bargain to every actor a: mean utility of the state after it.
    own = assessment.utility[:, idx, idx, :]  # own[a, n] = U^a(a, n)
    status_quo_value = _sequential(own) / n  # (M, A)
    risk = assessment.risk
    x_a = x[:, None, :, :]  # voter a's position, broadcast over initiators i
    sal_a = sal[:, None, :, :]
    u_init = _utility(_distance(x_a, b_init[:, :, None, :], sal_a), risk[:, None, :])  # (M, i, a)
    u_rcvr = _utility(_distance(x_a, b_rcvr[:, :, None, :], sal_a), risk[:, None, :])
    value = u_init + u_rcvr
    for k in range(n):
        moved = (idx[None, :] == k) | (
            target == k
        )  # (M, i): k is the initiator or receiver of i's bargain
        value = value + np.where(moved[:, :, None], 0.0, own[:, None, :, k])
    value = value / n  # value[m, i, a]: actor a's value of initiator i's bargain

    # Queues: slot 0 the status quo, then the bargains involving k in initiator order.
    involved = challenges[:, None, :] & (
        (idx[None, :, None] == idx[None, None, :]) | (target[:, None, :] == idx[None, :, None])
    )
    slot = np.cumsum(involved, axis=2)  # slot number of initiator i's bargain in k's queue
    width = 1 + int(slot[:, :, -1].max()) if n else 1
    option_value = np.zeros((n_members, n, width, n))
    option_value[:, :, 0, :] = status_quo_value[:, None, :]
    valid = np.zeros((n_members, n, width), dtype=bool)
    valid[:, :, 0] = True
    initiator = np.full((n_members, n, width), -1)
    for i in range(n):
        mm, kk = np.nonzero(involved[:, :, i])
        ss = slot[mm, kk, i]
        option_value[mm, kk, ss, :] = value[mm, i, :]
        valid[mm, kk, ss] = True
        initiator[mm, kk, ss] = i
    util = np.swapaxes(option_value, 2, 3)  # util[m, k, voter a, option]
    p = election(
        util,
        np.broadcast_to(cap[:, None, :], (n_members, n, n)),
        valid,
        pce=opts.pce,
        victory=opts.victory,
    )
    chosen = np.argmax(p, axis=2)  # first of the most probable bargains (KTAB ndxMaxAbs)
    chosen_init = np.take_along_axis(initiator, chosen[:, :, None], axis=2)[:, :, 0]
    safe_init = np.where(chosen_init >= 0, chosen_init, 0)
    as_init = np.take_along_axis(b_init, safe_init[:, :, None], axis=1)
    as_rcvr = np.take_along_axis(b_rcvr, safe_init[:, :, None], axis=1)
    is_own = (chosen_init == idx[None, :])[:, :, None]
    new_x = np.where((chosen_init < 0)[:, :, None], x, np.where(is_own, as_init, as_rcvr))
    del n_dims
    return SMPTurn(new_x, target, best_gain)


def _state_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KTAB stateDist: Σ_i ‖a_i − b_i‖, per member."""
    diff = a - b
    sq = np.zeros(diff.shape[:-1])
    for dim in range(diff.shape[-1]):
        sq = sq + diff[..., dim] * diff[..., dim]
    return _sequential(np.sqrt(sq))


def run_smp(
    positions: np.ndarray,
    salience: np.ndarray,
    capability: np.ndarray,
    opts: SMPOptions | None = None,
    *,
    turns: int | None = None,
    backend: Literal["auto", "numpy", "numba"] = "auto",
) -> SMPHistory:
    """Run KTAB's SMP on one case until its stopping rule (or exactly ``turns`` turns).

    positions, salience (A, D) on [0, 1]; capability (A,). Returns every state's
    positions, KTAB's reported probabilities and the probability-weighted position.
    ``backend`` picks how the turns are computed: the compiled kernel (``smp_kernel``,
    bit-identical, the default when Numba is installed and the options are KTAB's
    default sub-models) or this module's NumPy code.
    """
    opts = opts or SMPOptions()
    compiled = backend == "numba" or (backend == "auto" and smp_kernel.supports(opts))
    if compiled and not smp_kernel.supports(opts):
        raise ValueError("the compiled SMP needs numba and linear victory with the conditional PCE")
    x = np.asarray(positions, dtype=np.float64)[None]
    sal = np.asarray(salience, dtype=np.float64)[None]
    cap = np.asarray(capability, dtype=np.float64)[None]
    states = [x]
    shown, expected = [], []
    assessment = assess(x, sal, cap, opts)
    stopped = ""
    limit = turns if turns is not None else opts.max_turns
    t = 0
    while True:
        prob, p_unique = state_probabilities(states[-1], cap, assessment, opts)
        shown.append(prob[0])
        expected.append(expected_position(states[-1], p_unique)[0])
        if stopped:
            break
        if compiled:
            new_positions, _ = smp_kernel.smp_round_compiled(states[-1], sal, cap, opts)
        else:
            new_positions = smp_turn(states[-1], sal, cap, opts, assessment).positions
        states.append(new_positions)
        t += 1
        assessment = assess(new_positions, sal, cap, opts)
        if turns is not None:
            if t >= turns:
                stopped = f"ran the requested {turns} turns"
            continue
        first = _state_distance(states[0], states[1])[0] + 1e-4
        last = _state_distance(states[-2], states[-1])[0]
        if t >= limit:
            stopped = f"reached the limit of {limit} turns"
        elif t >= opts.min_turns and last / first < opts.stop_ratio:
            stopped = f"converged: turn {t} moved {last / first:.4f} of the first turn (< {opts.stop_ratio})"
    return SMPHistory(np.concatenate(states), np.array(shown), np.array(expected), stopped)
