"""Bueno de Mesquita's expected-utility model, in the reading of Scholz, Calbert & Smith (2011).

Source: J. B. Scholz, G. J. Calbert, G. A. Smith, "Unravelling Bueno De Mesquita's
Group Decision Model", ICAART 2011, pp. 18–30 (also J. Theoretical Politics 23(4),
2011), who assembled the model from BDM 1985, BDM & Lalman 1986 and BDM 1994/1997.
The formulas are those of ``shared/BARGAINING.md`` §2.

One round, for every member at once (arrays shaped (members, actors)):

1. the median μ: the actor position with the largest total vote, i.e. the weighted
   median with votes c·s (``median.weighted_median``);
2. utilities of success U_s, failure U_f, things getting better U_b or worse U_w, and
   the status quo U_sq, from the distance d = |x_i − x_j| / (x_max − x_min) bent by
   the risk exponent r of whoever does the judging;
3. the probability P that i beats j, from the votes c_k s_k of everyone who prefers
   one of the two positions;
4. the expected utility E^i(U_ij) = s_j (P U_s + (1 − P) U_f) + (1 − s_j) U_s
   − Q U_sq − (1 − Q)(T U_b + (1 − T) U_w) of i challenging j;
5. risk exponents from each actor's security Sec_i = Σ_j E^j(U_ji): a first pass
   with r = 1 gives R_i = (2 Sec_i − Sec_max − Sec_min)/(Sec_max − Sec_min) and
   r_i = (1 − R_i/3)/(1 + R_i/3); a second pass recomputes everything with r_i;
6. offers, from the signs and sizes of E^i(U_ij) and E^j(U_ji) (Scholz's fig. 6):
   conflict (both positive: the larger prevails, the loser moves to the winner),
   compromise (one positive, larger in size: the loser moves the fraction
   |E^j(U_ji) / E^i(U_ij)| of the way, eq. 35/36), capitulation (the negative one
   larger in size: the loser moves all the way), stalemate (both negative);
7. each actor picks one offer; all move at once.

The round's forecast is the median μ of the new positions (BDM forecasts the median
voter position under majority rule); the weighted mean is reported beside it.

Where the sources disagree, ``EUMOptions`` says which reading is used. The defaults
are the reading that reproduces Scholz et al.'s own Table 2 for the EC car-emission
case (medians 8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6): the probability normalised
by the votes over all pairs of positions, votes bent by the voters' risk exponents,
both sides of an offer judged by the receiver with its own risk exponent, and offers
chosen by kind (conflict, then compromise, then capitulation). This is how a public
replication describes Scholz's own program, and it is the only combination of the
options here that reproduces that table (``tests/bargaining/test_eum_ec.py``).
``EUMOptions.as_written()`` gives the formulas of BARGAINING.md read literally
(P per pair, E^j(U_ji) with j's own risk exponent, the most enforceable offer); on
the EC case that reading converges to one extreme within a few rounds.

Speed: distances are computed once per round and shared by both passes; the
probability is accumulated voter by voter (no members × A × A × A temporary); pow is
skipped where r = 1 (x**1 is x exactly); members are processed in blocks that fit the
CPU cache. Every operation is elementwise per member or a sum over actors taken in a
fixed order, so member m's result does not depend on the other members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np

from alliancesim.bargaining import eum_kernel
from alliancesim.bargaining.arrays import sequential_sum, weighted_mean
from alliancesim.bargaining.median import weighted_median
from alliancesim.bargaining.options import options_of

__all__ = ["EUMOptions", "EUMRound", "eum_options", "eum_round"]

# Members per block: keeps the (block, A, A) temporaries in the CPU cache.
_BLOCK_ELEMENTS = 1 << 15


@dataclass(frozen=True)
class EUMOptions:
    """The disputed points of the expected-utility model (see the module docstring).

    q:
        probability Q that the status quo holds if nobody challenges. Scholz used
        Q = 1.0 to replicate BDM (1994); BDM & Lalman (1986) use 0.5. With Q = 1 the
        "better"/"worse" utilities U_b, U_w (and with them μ and T) drop out.
    probability:
        how P (i beats j) is normalised. Every voter k lends c_k s_k a_k to the side it
        prefers, a_k = (its distance to j) − (its distance to i).
        ``"all_pairs"`` (default): the votes for i over j divided by the votes summed
        over *all* pairs of actor positions, as Scholz's program does; P is small and
        challenges are rarely worth a fight. ``"pair"``: divided by the votes on this
        pair only, Σ_k c_k s_k |a_k| (BARGAINING.md); then P_ij + P_ji = 1.
        ``"net"``: the net vote max(0, Σ c_k s_k a_k) over the votes on this pair.
    vote_risk:
        whether a voter's distances are bent by its risk exponent (|x_k − x_j|/range)**r_k
        when it votes in the second pass (default True, as Scholz's program does).
    reply_risk:
        whose risk exponent is used for E^j(U_ji) when actor i judges an offer from j.
        ``"perceiver"`` (default): i's own, for both E^i(U_ij) and E^j(U_ji) (each actor
        sees the contest through its own risk attitude, as Scholz's program does).
        ``"own"``: j's (BARGAINING.md, quoting Scholz: "for expected utility equations
        with a j superscript, j's risk taking propensity is used").
    ej_salience:
        the salience weighing the contest in E^j(U_ji) when i judges an offer from j.
        ``"target"`` (default): that of the one challenged, i (every E uses its target's
        salience). ``"same"``: the pair's s_j, as in a literal reading of the paper.
    compromise_sign:
        +1 (default): in a compromise the loser moves toward the proposer by the fraction
        |E^i(U_ij) / E^j(U_ji)|. −1 reverses that displacement (the disputed sign of the
        "compromise" octant of Scholz's fig. 6).
    offer_rule:
        which offer an actor takes. ``"by_kind"`` (default, Scholz's program): a lost
        conflict before a compromise before a capitulation; among lost conflicts and
        capitulations the one that moves it least; among compromises the smallest
        (|E^i| x_i + |E^j| x_j)/(|E^i| + |E^j|), the ranking Scholz's program uses.
        ``"strongest"`` (BARGAINING.md step 7): the offer from the most enforceable
        proposer (largest E^j(U_ji)); among equals the one that moves it least.
    """

    q: float = 1.0
    probability: Literal["all_pairs", "pair", "net"] = "all_pairs"
    vote_risk: bool = True
    reply_risk: Literal["perceiver", "own"] = "perceiver"
    ej_salience: Literal["target", "same"] = "target"
    compromise_sign: int = 1
    offer_rule: Literal["by_kind", "strongest"] = "by_kind"

    def __post_init__(self) -> None:
        choices: dict[str, tuple[object, ...]] = {
            "probability": ("all_pairs", "pair", "net"),
            "vote_risk": (True, False),
            "reply_risk": ("perceiver", "own"),
            "ej_salience": ("target", "same"),
            "compromise_sign": (1, -1),
            "offer_rule": ("by_kind", "strongest"),
        }
        if not (isinstance(self.q, int | float) and 0.0 <= self.q <= 1.0):
            raise ValueError(f"eum option q must be a number in [0, 1], got {self.q!r}")
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed or (isinstance(value, bool) != isinstance(allowed[0], bool)):
                raise ValueError(f"eum option {name} must be one of {list(allowed)}, got {value!r}")

    @classmethod
    def as_written(cls, **changes: object) -> EUMOptions:
        """The formulas of BARGAINING.md §2 read literally (P per pair, E^j with r_j, strongest offer)."""
        base = {
            "probability": "pair",
            "vote_risk": False,
            "reply_risk": "own",
            "offer_rule": "strongest",
        }
        base.update(changes)
        return cls(**base)  # type: ignore[arg-type]


def eum_options(options: object = None) -> EUMOptions:
    """EUMOptions from None, an EUMOptions, or a mapping of option names to values.

    Raises ValueError naming the valid options when a name is unknown.
    """
    return options_of(EUMOptions, "eum", options)


class EUMRound(NamedTuple):
    """One round of the expected-utility model for M members and A actors."""

    positions: np.ndarray  # (M, A) positions after the round
    median: np.ndarray  # (M,) median voter position μ of the new positions (the forecast)
    mean: np.ndarray  # (M,) c·s-weighted mean of the new positions
    risk: np.ndarray  # (M, A) risk exponents r_i of the second pass (empty unless details)
    expected_utility: np.ndarray  # (M, A, A) E^i(U_ij), second pass, own r_i (empty unless details)


def eum_round(
    positions: np.ndarray,
    capability: np.ndarray,
    salience: np.ndarray,
    status_quo: np.ndarray,
    options: EUMOptions | None = None,
    *,
    details: bool = False,
    backend: Literal["auto", "numpy", "numba"] = "auto",
) -> EUMRound:
    """One round (two passes) of the expected-utility model for each member.

    Returns the new positions and the median μ of the new positions, the round's
    forecast. With ``details`` the second pass's risk exponents and expected
    utilities come too. A member in which nobody attaches salience to the issue does
    not move, and its forecast is its status quo. ``backend`` picks the compiled
    kernel (``eum_kernel``, the default when Numba is installed) or this module's
    NumPy version.
    """
    opts = options or EUMOptions()
    x = np.asarray(positions, dtype=np.float64)
    c = np.asarray(capability, dtype=np.float64)
    s = np.asarray(salience, dtype=np.float64)
    q = np.asarray(status_quo, dtype=np.float64)
    use_numba = backend == "numba" or (backend == "auto" and eum_kernel.AVAILABLE)
    if backend == "numba" and not eum_kernel.AVAILABLE:
        raise ValueError("backend 'numba' asked for, but numba is not installed")
    if use_numba:
        new_x, risk, eu = eum_kernel.eum_round_compiled(x, c, s, opts, details)
    else:
        new_x, risk, eu = _round_numpy(x, c, s, opts, details)
    w = c * s
    anyone = sequential_sum(w, axis=1) > 0
    new_x = np.where(anyone[:, None], new_x, x)
    median = np.where(anyone, weighted_median(new_x, w), q)
    mean = weighted_mean(new_x, w, q)
    return EUMRound(new_x, median, mean, risk, eu)


def _round_numpy(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, opts: EUMOptions, details: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The NumPy version over all members, block by block."""
    n_members, n_actors = x.shape
    block = max(1, _BLOCK_ELEMENTS // (n_actors * n_actors))
    new_x = np.empty_like(x)
    risk = np.empty_like(x) if details else np.empty((0, n_actors))
    eu = np.empty((n_members, n_actors, n_actors)) if details else np.empty((0, n_actors, n_actors))
    for lo in range(0, n_members, block):
        hi = min(n_members, lo + block)
        bx, br, beu = _round_block(x[lo:hi], c[lo:hi], s[lo:hi], opts)
        new_x[lo:hi] = bx
        if details:
            risk[lo:hi] = br
            eu[lo:hi] = beu
    return new_x, risk, eu


def _round_block(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, opts: EUMOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One round for a block of members: new positions, risk exponents, pass-2 EUs."""
    w = c * s
    span = x.max(axis=1) - x.min(axis=1)
    span = np.where(span > 0, span, 1.0)[:, None, None]
    gap = np.abs(x[:, :, None] - x[:, None, :])  # |x_i − x_j|, shared by everything below
    d = gap / span
    apart = gap > 0  # pairs at distinct positions (only these contest anything)
    s_target = s[:, None, :]  # s_j for row i, column j
    s_row = s[:, :, None]

    if opts.q < 1.0:
        mu = weighted_median(x, w)
        to_mu = np.abs(x - mu[:, None])[:, :, None]
        m_plus_d = to_mu / span + d  # (|x_i − μ| + |x_i − x_j|) / range, row i
        # T = 1 when j moving to μ leaves i better off: i is closer to μ than to j.
        better = (to_mu < gap).astype(np.float64)
    else:
        to_mu = m_plus_d = better = None

    def status_quo_terms(r: np.ndarray | None, mpd: np.ndarray | None, t: np.ndarray | None):
        """Q U_sq + (1 − Q)(T U_b + (1 − T) U_w) with row exponents r (None: r = 1)."""
        usq = 2.0 - 4.0 * (0.5 if r is None else np.power(0.5, r)[:, :, None])
        sq = opts.q * usq
        if mpd is not None:
            ub = 2.0 - 4.0 * _bend(0.5 - 0.25 * mpd, r)
            uw = 2.0 - 4.0 * _bend(0.5 + 0.25 * mpd, r)
            sq = sq + (1.0 - opts.q) * (t * ub + (1.0 - t) * uw)
        return sq

    # Pass 1: everyone risk-neutral (r = 1); security levels give the risk exponents.
    prob1 = _win_probability(d, w, None, opts.probability)
    us1 = 2.0 - 4.0 * (0.5 - 0.5 * d)
    uf1 = 2.0 - 4.0 * (0.5 + 0.5 * d)
    e1 = s_target * (prob1 * us1 + (1.0 - prob1) * uf1) + (1.0 - s_target) * us1
    e1 = np.where(apart, e1 - status_quo_terms(None, m_plus_d, better), 0.0)
    security = sequential_sum(e1, axis=1)  # Sec_i = Σ_j E^j(U_ji): column sums
    smax = security.max(axis=1, keepdims=True)
    smin = security.min(axis=1, keepdims=True)
    spread = smax - smin
    big_r = np.where(
        spread > 0, (2.0 * security - smax - smin) / np.where(spread > 0, spread, 1.0), 0.0
    )
    r = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)

    # Pass 2 with the risk exponents.
    prob = _win_probability(d, w, r, opts.probability) if opts.vote_risk else prob1
    us = 2.0 - 4.0 * _bend(0.5 - 0.5 * d, r)  # row i's utilities with i's exponent
    uf = 2.0 - 4.0 * _bend(0.5 + 0.5 * d, r)
    sq_own = status_quo_terms(r, m_plus_d, better)
    # E^i(U_ij), i's expected utility of challenging j, with i's own exponent.
    e_own = s_target * (prob * us + (1.0 - prob) * uf) + (1.0 - s_target) * us - sq_own
    e_own = np.where(apart, e_own, 0.0)

    # Receiver i's estimate of E^j(U_ji): j challenging i, indexed [i, j].
    reply_salience = s_row if opts.ej_salience == "target" else s_target
    prob_ji = prob.transpose(0, 2, 1)
    if opts.reply_risk == "perceiver":
        # With i's exponent: d is symmetric, so U_s, U_f of row i serve for the pair.
        if m_plus_d is not None:
            sq_reply = status_quo_terms(r, m_plus_d.transpose(0, 2, 1), better.transpose(0, 2, 1))
        else:
            sq_reply = sq_own
        e_reply = (
            reply_salience * (prob_ji * us + (1.0 - prob_ji) * uf) + (1.0 - reply_salience) * us
        )
        e_reply = e_reply - sq_reply
    else:
        us_t, uf_t = us.transpose(0, 2, 1), uf.transpose(0, 2, 1)
        sq_t = np.broadcast_to(sq_own, e_own.shape).transpose(0, 2, 1)
        e_reply = (
            reply_salience * (prob_ji * us_t + (1.0 - prob_ji) * uf_t)
            + (1.0 - reply_salience) * us_t
        )
        e_reply = e_reply - sq_t
    e_reply = np.where(apart, e_reply, 0.0)
    new_x = _take_offers(x, e_own, e_reply, apart, opts)
    return new_x, r, e_own


def _bend(base: np.ndarray, r: np.ndarray | None) -> np.ndarray:
    """base ** r_i for row i; r None means r = 1 (no pow: x**1 is x exactly)."""
    if r is None:
        return base
    return np.power(base, r[:, :, None])


def _win_probability(d: np.ndarray, w: np.ndarray, r: np.ndarray | None, rule: str) -> np.ndarray:
    """P[m, i, j]: probability that i beats j, from every voter k's c_k s_k-weighted vote.

    Voter k's preference for i over j is a_k = δ_kj − δ_ki with δ_kj = d_kj ** r_k
    (r None: unbent). Accumulated voter by voter, so no (M, A, A, A) array is built.
    """
    n_actors = d.shape[1]
    bent = d if r is None else np.power(d, r[:, :, None])
    for_i = np.zeros_like(d)
    all_votes = np.zeros(d.shape[0])
    for k in range(n_actors):
        a = bent[:, k, None, :] - bent[:, k, :, None]  # a[i, j] = δ_kj − δ_ki
        for_i += w[:, k, None, None] * np.maximum(a, 0.0)
        if rule == "all_pairs":
            all_votes += w[:, k] * sequential_sum(sequential_sum(np.abs(a), axis=2), axis=1)
    if rule == "all_pairs":
        total = np.broadcast_to(all_votes[:, None, None], d.shape)
    else:
        # a_k(j, i) = −a_k(i, j), so the votes for j over i are the transpose.
        total = for_i + for_i.transpose(0, 2, 1)
        if rule == "net":
            for_i = np.maximum(for_i - for_i.transpose(0, 2, 1), 0.0)
    return np.where(total > 0, for_i / np.where(total > 0, total, 1.0), 0.5)


def _take_offers(
    x: np.ndarray, e_own: np.ndarray, e_reply: np.ndarray, apart: np.ndarray, opts: EUMOptions
) -> np.ndarray:
    """Where each actor moves after one round's offers (steps 6 and 7).

    Indexed [i, j] from receiver i's side: ``e_own`` = E^i(U_ij), ``e_reply`` = its
    estimate of E^j(U_ji). j makes i an offer when E^j(U_ji) > 0 (and they stand
    apart). For i that offer means:

    * lost conflict, E^j(U_ji) > E^i(U_ij) > 0: i moves to x_j;
    * compromise, E^i(U_ij) < 0 < E^j(U_ji) and |E^i(U_ij)| < E^j(U_ji): i moves toward
      x_j by the fraction |E^i(U_ij) / E^j(U_ji)| (times ``compromise_sign``);
    * capitulation, E^i(U_ij) < 0 < E^j(U_ji) and |E^i(U_ij)| >= E^j(U_ji): i moves to x_j;
    * otherwise (i wins the conflict, or stalemate) no move.
    """
    xi = x[:, :, None]
    xj = x[:, None, :]
    offered = apart & (e_reply > 0.0)
    lost = offered & (e_own > 0.0) & (e_own < e_reply)
    weaker = offered & (e_own < 0.0)
    compromise = weaker & (-e_own < e_reply)
    capitulation = weaker & ~compromise
    ratio = np.abs(e_own) / np.where(offered, e_reply, 1.0)
    toward = xi + opts.compromise_sign * (xj - xi) * ratio
    dest = np.where(compromise, toward, np.broadcast_to(xj, e_own.shape))
    move = np.abs(dest - xi)

    if opts.offer_rule == "by_kind":
        denom = np.where(compromise, np.abs(e_own) + np.abs(e_reply), 1.0)
        key = (np.abs(e_own) * xi + np.abs(e_reply) * xj) / denom
        new_x = np.full(x.shape, np.nan)
        for kind, rank in ((lost, move), (compromise, key), (capitulation, move)):
            take = np.isnan(new_x) & kind.any(axis=2)
            chosen = _first_best(kind, rank, dest)
            new_x = np.where(take, chosen, new_x)
    else:
        any_offer = lost | compromise | capitulation
        strength = np.where(any_offer, e_reply, -np.inf)
        strongest = any_offer & (strength == strength.max(axis=2, keepdims=True))
        new_x = _first_best(strongest, move, dest)
    return np.where(np.isfinite(new_x), new_x, x)


def _first_best(mask: np.ndarray, rank: np.ndarray, dest: np.ndarray) -> np.ndarray:
    """Per receiver: the destination of the masked offer with the smallest rank (then lowest)."""
    ranked = np.where(mask, rank, np.inf)
    best = mask & (ranked == ranked.min(axis=2, keepdims=True))
    return np.where(best, dest, np.inf).min(axis=2)
