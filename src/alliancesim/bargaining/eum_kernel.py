"""The expected-utility round compiled with Numba: the engine's hot path.

Same model, same options and the same order of operations as ``eum._round_block``
(the readable NumPy version, kept as the reference and used when Numba is not
installed), but member by member in compiled loops: no (M, A, A) temporaries, pow
only in the second pass, about 15× faster for 7 actors (``benchmarks/bargaining.py``).
The two agree to ~1e-15 (NumPy's ``power`` is not libm's ``pow`` in the last bit);
``tests/bargaining/test_engine_interface.py`` checks them against each other.
"""

from __future__ import annotations

import math

import numpy as np

try:  # Numba is optional at import time: without it the NumPy version is used.
    import numba
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

__all__ = ["AVAILABLE", "eum_round_compiled"]

AVAILABLE = numba is not None

_PROB_CODES = {"all_pairs": 0, "pair": 1, "net": 2}


def _jit(fn):
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(cache=True, nogil=True)(fn)


@_jit
def _median(x, w, n):
    """Weighted median among positions (as median.weighted_median, 1e-12 ties to the lowest)."""
    best = math.inf
    total = 0.0
    lo = x[0]
    hi = x[0]
    for i in range(n):
        total += w[i]
        lo = min(lo, x[i])
        hi = max(hi, x[i])
    cost = np.empty(n)
    for j in range(n):
        acc = 0.0
        for i in range(n):
            acc += w[i] * abs(x[i] - x[j])
        cost[j] = acc
        best = min(best, acc)
    limit = best + 1e-12 * (total * (hi - lo))
    out = math.inf
    for j in range(n):
        if cost[j] <= limit and x[j] < out:
            out = x[j]
    return out


@_jit
def _probability(d, w, r, use_r, rule, n, bent, for_i, prob):
    """P[i, j] that i beats j, voter by voter (as eum._win_probability)."""
    for k in range(n):
        for j in range(n):
            bent[k, j] = d[k, j] ** r[k] if use_r else d[k, j]
    for i in range(n):
        for j in range(n):
            for_i[i, j] = 0.0
    all_votes = 0.0
    for k in range(n):
        row_sum = 0.0
        for i in range(n):
            inner = 0.0
            for j in range(n):
                a = bent[k, j] - bent[k, i]
                for_i[i, j] += w[k] * max(a, 0.0)
                inner += abs(a)
            if i == 0:
                row_sum = inner
            else:
                row_sum += inner
        all_votes += w[k] * row_sum
    for i in range(n):
        for j in range(n):
            if rule == 0:
                total = all_votes
                votes = for_i[i, j]
            else:
                total = for_i[i, j] + for_i[j, i]
                votes = for_i[i, j] if rule == 1 else max(for_i[i, j] - for_i[j, i], 0.0)
            prob[i, j] = votes / total if total > 0 else 0.5


@_jit
def _member(
    x,
    c,
    s,
    q,
    rule,
    vote_risk,
    perceiver,
    target_salience,
    sign,
    by_kind,
    w,
    gap,
    d,
    mpd,
    better,
    bent,
    for_i,
    p1,
    p2,
    us,
    uf,
    sq_own,
    e_own,
    e_reply,
    r,
    ones,
    new_x,
):
    n = x.shape[0]
    lo = x[0]
    hi = x[0]
    for i in range(n):
        w[i] = c[i] * s[i]
        lo = min(lo, x[i])
        hi = max(hi, x[i])
        ones[i] = 1.0
    span = hi - lo
    if not span > 0:
        span = 1.0
    for i in range(n):
        for j in range(n):
            gap[i, j] = abs(x[i] - x[j])
            d[i, j] = gap[i, j] / span
    with_mu = q < 1.0
    if with_mu:
        mu = _median(x, w, n)
        for i in range(n):
            to_mu = abs(x[i] - mu)
            for j in range(n):
                mpd[i, j] = to_mu / span + d[i, j]
                better[i, j] = 1.0 if to_mu < gap[i, j] else 0.0

    # Pass 1 (r = 1) and the security levels.
    _probability(d, w, ones, False, rule, n, bent, for_i, p1)
    security = np.zeros(n)
    for i in range(n):
        for j in range(n):
            e = 0.0
            if gap[i, j] > 0:
                us1 = 2.0 - 4.0 * (0.5 - 0.5 * d[i, j])
                uf1 = 2.0 - 4.0 * (0.5 + 0.5 * d[i, j])
                e = s[j] * (p1[i, j] * us1 + (1.0 - p1[i, j]) * uf1) + (1.0 - s[j]) * us1
                sq = q * 0.0
                if with_mu:
                    ub = 2.0 - 4.0 * (0.5 - 0.25 * mpd[i, j])
                    uw = 2.0 - 4.0 * (0.5 + 0.25 * mpd[i, j])
                    sq = sq + (1.0 - q) * (better[i, j] * ub + (1.0 - better[i, j]) * uw)
                e = e - sq
            if i == 0:
                security[j] = e
            else:
                security[j] += e
    smax = security[0]
    smin = security[0]
    for i in range(n):
        smax = max(smax, security[i])
        smin = min(smin, security[i])
    spread = smax - smin
    for i in range(n):
        big_r = (2.0 * security[i] - smax - smin) / spread if spread > 0 else 0.0
        r[i] = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)

    # Pass 2 with the risk exponents.
    if vote_risk:
        _probability(d, w, r, True, rule, n, bent, for_i, p2)
    else:
        p2[:, :] = p1
    for i in range(n):
        usq = 2.0 - 4.0 * 0.5 ** r[i]
        for j in range(n):
            us[i, j] = 2.0 - 4.0 * (0.5 - 0.5 * d[i, j]) ** r[i]
            uf[i, j] = 2.0 - 4.0 * (0.5 + 0.5 * d[i, j]) ** r[i]
            sq = q * usq
            if with_mu:
                ub = 2.0 - 4.0 * (0.5 - 0.25 * mpd[i, j]) ** r[i]
                uw = 2.0 - 4.0 * (0.5 + 0.25 * mpd[i, j]) ** r[i]
                sq = sq + (1.0 - q) * (better[i, j] * ub + (1.0 - better[i, j]) * uw)
            sq_own[i, j] = sq
    for i in range(n):
        for j in range(n):
            if gap[i, j] > 0:
                e_own[i, j] = (
                    s[j] * (p2[i, j] * us[i, j] + (1.0 - p2[i, j]) * uf[i, j])
                    + (1.0 - s[j]) * us[i, j]
                    - sq_own[i, j]
                )
            else:
                e_own[i, j] = 0.0
    for i in range(n):
        usq = 2.0 - 4.0 * 0.5 ** r[i]
        for j in range(n):
            if not gap[i, j] > 0:
                e_reply[i, j] = 0.0
                continue
            rs = s[i] if target_salience else s[j]
            pji = p2[j, i]
            if perceiver:
                sq = sq_own[i, j]
                if with_mu:
                    ub = 2.0 - 4.0 * (0.5 - 0.25 * mpd[j, i]) ** r[i]
                    uw = 2.0 - 4.0 * (0.5 + 0.25 * mpd[j, i]) ** r[i]
                    sq = q * usq + (1.0 - q) * (better[j, i] * ub + (1.0 - better[j, i]) * uw)
                e_reply[i, j] = (
                    rs * (pji * us[i, j] + (1.0 - pji) * uf[i, j]) + (1.0 - rs) * us[i, j] - sq
                )
            else:
                e_reply[i, j] = (
                    rs * (pji * us[j, i] + (1.0 - pji) * uf[j, i])
                    + (1.0 - rs) * us[j, i]
                    - sq_own[j, i]
                )

    # Offers: receiver i, proposer j.
    for i in range(n):
        best_kind = 9
        best_rank = math.inf
        best_strength = -math.inf
        best_dest = math.inf
        for j in range(n):
            er = e_reply[i, j]
            eo = e_own[i, j]
            if not (gap[i, j] > 0 and er > 0.0):
                continue
            kind = 9
            dest = x[j]
            if eo > 0.0 and eo < er:
                kind = 0
            elif eo < 0.0:
                if -eo < er:
                    kind = 1
                    ratio = abs(eo) / er
                    dest = x[i] + sign * (x[j] - x[i]) * ratio
                else:
                    kind = 2
            if kind == 9:
                continue
            move = abs(dest - x[i])
            if by_kind:
                if kind == 1:
                    rank = (abs(eo) * x[i] + abs(er) * x[j]) / (abs(eo) + abs(er))
                else:
                    rank = move
                if kind < best_kind or (
                    kind == best_kind
                    and (rank < best_rank or (rank == best_rank and dest < best_dest))
                ):
                    best_kind = kind
                    best_rank = rank
                    best_dest = dest
            else:
                if er > best_strength or (
                    er == best_strength
                    and (move < best_rank or (move == best_rank and dest < best_dest))
                ):
                    best_kind = kind
                    best_strength = er
                    best_rank = move
                    best_dest = dest
        new_x[i] = best_dest if best_kind != 9 else x[i]


@_jit
def _all_members(
    x,
    c,
    s,
    q,
    rule,
    vote_risk,
    perceiver,
    target_salience,
    sign,
    by_kind,
    details,
    out_x,
    out_r,
    out_eu,
):
    n_members, n = x.shape
    w = np.empty(n)
    ones = np.empty(n)
    r = np.empty(n)
    new_x = np.empty(n)
    gap = np.empty((n, n))
    d = np.empty((n, n))
    mpd = np.zeros((n, n))
    better = np.zeros((n, n))
    bent = np.empty((n, n))
    for_i = np.empty((n, n))
    p1 = np.empty((n, n))
    p2 = np.empty((n, n))
    us = np.empty((n, n))
    uf = np.empty((n, n))
    sq_own = np.empty((n, n))
    e_own = np.empty((n, n))
    e_reply = np.empty((n, n))
    for m in range(n_members):
        _member(
            x[m],
            c[m],
            s[m],
            q,
            rule,
            vote_risk,
            perceiver,
            target_salience,
            sign,
            by_kind,
            w,
            gap,
            d,
            mpd,
            better,
            bent,
            for_i,
            p1,
            p2,
            us,
            uf,
            sq_own,
            e_own,
            e_reply,
            r,
            ones,
            new_x,
        )
        out_x[m, :] = new_x
        if details:
            out_r[m, :] = r
            out_eu[m, :, :] = e_own


def eum_round_compiled(x: np.ndarray, c: np.ndarray, s: np.ndarray, opts, details: bool):
    """New positions (and, with ``details``, risk exponents and E^i(U_ij)) for all members."""
    n_members, n = x.shape
    out_x = np.empty_like(x)
    out_r = np.empty((n_members if details else 0, n))
    out_eu = np.empty((n_members if details else 0, n, n))
    _all_members(
        np.ascontiguousarray(x),
        np.ascontiguousarray(c),
        np.ascontiguousarray(s),
        float(opts.q),
        _PROB_CODES[opts.probability],
        bool(opts.vote_risk),
        opts.reply_risk == "perceiver",
        opts.ej_salience == "target",
        float(opts.compromise_sign),
        opts.offer_rule == "by_kind",
        bool(details),
        out_x,
        out_r,
        out_eu,
    )
    return out_x, out_r, out_eu
