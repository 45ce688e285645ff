"""KTAB's SMP turn compiled with Numba, member by member: the engine's fast path.

The same computation as ``smp.assess``, ``smp.smp_turn`` and ``smp.state_probabilities``
(the NumPy version that is checked against KTAB's reference logs), written as loops in
the same order of floating-point operations, so the two give bit-identical results
(``tests/bargaining/test_smp_ktab.py`` checks this on KTAB's examples and on random
members). Only KTAB's default sub-models are compiled (linear victory, conditional PCE;
any risk range, risk adjustment, third-party commitment and S2P2/S1P1 bargains);
other options use the NumPy version.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover
    numba = None

__all__ = ["AVAILABLE", "smp_round_compiled", "supports"]

AVAILABLE = numba is not None
_RANGE = {"mid": 0, "min": 1, "max": 2}
_ADJUST = {"one_third": 0, "two_thirds": 1, "half": 2, "full": 3, "none": 4}
_THIRD = {"semi": 0, "full": 1, "none": 2}


def supports(opts) -> bool:
    """Whether these SMPOptions can run compiled (linear victory, conditional PCE)."""
    return AVAILABLE and opts.victory == "linear" and opts.pce == "conditional"


def _jit(fn):
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(cache=True, nogil=True)(fn)


@_jit
def _util(d, big_r):
    if d <= 1.0:
        return (1.0 - d) * (1.0 + d * big_r)
    return (1.0 - d) * (1.0 + big_r)


@_jit
def _dist(frm, r1, to, r2, sal, rs):
    """KTAB bvDiff between row r1 of ``frm`` and row r2 of ``to`` with the saliences in row rs of ``sal``
    (rows by index: array views cost more than the arithmetic here)."""
    num = 0.0
    den = 0.0
    for k in range(frm.shape[1]):
        ds = (frm[r1, k] - to[r2, k]) * sal[rs, k]
        num = num + ds * ds
        den = den + sal[rs, k] * sal[rs, k]
    if den > 0:
        return math.sqrt(num / den)
    return 0.0


@_jit
def _election(util, n_opt, weight, valid, p, c):
    """Conditional PCE, linear victory, proportional votes over the first ``n_opt`` columns
    of util[voter, option]; c: scratch (≥ options²)."""
    n_voters = util.shape[0]
    for a in range(n_opt):
        for b in range(n_opt):
            c[a, b] = 1e-8
    for k in range(n_voters):
        for a in range(n_opt):
            for b in range(n_opt):
                vote = weight[k] * (util[k, a] - util[k, b])
                if vote > 0.0:
                    c[a, b] += vote
    for a in range(n_opt):
        prod = 1.0
        for b in range(n_opt):
            if valid[b]:
                pv = 0.5 if a == b else c[a, b] / (c[a, b] + c[b, a])
                prod = prod * pv
        p[a] = prod if valid[a] else 0.0
    total = 0.0
    for a in range(n_opt):
        total = total + p[a]
    for a in range(n_opt):
        p[a] = p[a] / total


@_jit
def _estimate(rh, ri, adjust):
    if adjust == 0:
        return ((2.0 * rh) + ri) / 3.0
    if adjust == 1:
        return (rh + (2.0 * ri)) / 3.0
    if adjust == 2:
        return (rh + ri) / 2.0
    if adjust == 3:
        return ri + 0.0 * rh
    return rh + 0.0 * ri


@_jit
def _assess(x, sal, cap, rng, adjust, d, big_r, util, full, scratch, neutral, p, ones):
    """Distances, risk attitudes and utility estimates; with ``full`` False only U^i(i, j)
    (enough to report the state), stored in util[i, i, :]."""
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            d[i, j] = _dist(x, i, x, j, sal, i)
    for i in range(n):
        for j in range(n):
            neutral[i, j] = _util(d[i, j], 0.0)
    _election(neutral, n, cap, ones, p, scratch)
    pmin = p[0]
    pmax = p[0]
    for i in range(n):
        pmin = min(pmin, p[i])
        pmax = max(pmax, p[i])
    spread = pmax - pmin
    for i in range(n):
        if not spread > 0:
            big_r[i] = 0.0
        elif rng == 0:
            big_r[i] = (3.0 * p[i] - (pmax + 2.0 * pmin)) / (2.0 * spread)
        elif rng == 1:
            big_r[i] = (p[i] - pmin) / spread
        else:
            big_r[i] = (2.0 * p[i] - (pmax + pmin)) / spread
    if not full:
        for i in range(n):
            est = _estimate(big_r[i], big_r[i], adjust)
            for j in range(n):
                util[i, i, j] = _util(d[i, j], est)
        return
    for h in range(n):
        for i in range(n):
            est = _estimate(big_r[h], big_r[i], adjust)
            for j in range(n):
                util[h, i, j] = _util(d[i, j], est)


@_jit
def _probabilities(x, cap, util, tol, p_unique, scratch, own):
    """KTAB's reported PCE over unique positions (first-founded representatives)."""
    n = x.shape[0]
    unique = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        matched = False
        for j in range(i):
            if unique[j]:
                sq = 0.0
                for k in range(x.shape[1]):
                    diff = x[i, k] - x[j, k]
                    sq = sq + diff * diff
                if math.sqrt(sq) < tol:
                    matched = True
        unique[i] = not matched
    for i in range(n):
        for j in range(n):
            own[i, j] = util[i, i, j]
    _election(own, n, cap, unique, p_unique, scratch)


@_jit
def _round4(v):
    return math.trunc(0.5 + v * 10000.0) / 10000.0


@_jit
def _turn(
    x,
    sal,
    cap,
    big_r,
    util,
    third_rule,
    s1p1,
    new_x,
    scratch,
    work,
    target,
    b_init,
    b_rcvr,
    value,
    options,
    opt_util,
    pq,
    valid,
):
    n, n_dims = x.shape
    s_total = work[0]
    weight = work[1]
    p_target = work[2]
    status_quo = work[3]
    for i in range(n):
        acc = 0.0
        for k in range(n_dims):
            acc = acc + sal[i, k]
        s_total[i] = acc
    for i in range(n):
        weight[i] = s_total[i] * cap[i]
        target[i] = -1
        p_target[i] = 0.0
    # Challenges: for initiator i, all targets j at once in the innermost loop (SIMD-friendly);
    # each (i, j) still adds its third parties k in index order, as KTAB does.
    base_i = np.empty(n)
    base_j = np.empty(n)
    for_i = np.empty(n)
    for_j = np.empty(n)
    for i in range(n):
        u = util[i]
        u_ii = u[i, i]
        for j in range(n):
            u_ij = u[i, j]
            contrib_i = weight[i] * (u_ii - u_ij)
            contrib_j = weight[j] * (u[j, i] - u[j, j])
            fi = 1e-10 + (contrib_i if contrib_i > 0.0 else 0.0)
            fj = 1e-10 - (contrib_i if contrib_i < 0.0 else 0.0)
            fi = fi + (contrib_j if contrib_j > 0.0 else 0.0)
            fj = fj - (contrib_j if contrib_j < 0.0 else 0.0)
            base_i[j] = fi
            base_j[j] = fj
            for_i[j] = fi
            for_j[j] = fj
        for k in range(n):
            if k == i:
                continue
            u_ki = u[k, i]
            u_kk = u[k, k]
            w_k = weight[k]
            for j in range(n):
                u_kj = u[k, j]
                little = w_k * (u_ki - u_kj)
                ci = base_i[j] + little if little > 0.0 else base_i[j]
                cj = base_j[j] - little if little < 0.0 else base_j[j]
                p_ik = ci / (ci + cj)
                p_jk = 1.0 - p_ik
                if third_rule == 0:
                    ik_j, j_ik = (u_ki + u_ki) + u_kk, (u_kj + u_kj) + u_kj
                    i_jk, jk_i = (u_ki + u_ki) + u_ki, (u_kj + u_kj) + u_kk
                elif third_rule == 1:
                    ik_j, j_ik = (u_ki + u_ki) + u_ki, (u_kj + u_kj) + u_kj
                    i_jk, jk_i = ik_j, j_ik
                else:
                    ik_j, j_ik = (u_ki + u_ki) + u_kk, (u_kj + u_kj) + u_kk
                    i_jk, jk_i = ik_j, j_ik
                with_i = (p_ik * ik_j) + (p_jk * j_ik)
                with_j = (p_ik * i_jk) + (p_jk * jk_i)
                vote = w_k * (with_i - with_j)
                third = j != k
                for_i[j] = for_i[j] + (vote if (third and vote > 0.0) else 0.0)
                for_j[j] = for_j[j] - (vote if (third and vote < 0.0) else 0.0)
        best = -math.inf
        for j in range(n):
            if j == i:
                continue
            u_ij = u[i, j]
            p_i = for_i[j] / (for_i[j] + for_j[j])
            p_j = for_j[j] / (for_i[j] + for_j[j])
            win, lose = u_ii + u_ii, u_ij + u_ij
            contest = p_i * win + p_j * lose
            challenge = (1.0 - s_total[j]) * win + s_total[j] * contest
            gain = challenge - (u_ii + u_ij)
            if gain > 1e-5 and gain > best:
                best = gain
                target[i] = j
                p_target[i] = p_i

    for i in range(n):
        j = target[i] if target[i] >= 0 else i
        prob_i = p_target[i]
        prob_j = 1.0 - prob_i
        for k in range(n_dims):
            si, sj = sal[i, k], sal[j, k]
            if s1p1:
                w_i = si * prob_i
                w_j = sj * prob_j
            else:
                w_i = (si * si) * (prob_i * prob_i)
                w_j = (sj * sj) * (prob_j * prob_j)
            denom = (w_i + 1e-6) + w_j
            b_init[i, k] = _round4(((w_i + 1e-6) * x[i, k] + w_j * x[j, k]) / denom)
            b_rcvr[i, k] = _round4((w_i * x[i, k] + (1e-6 + w_j) * x[j, k]) / denom)

    for a in range(n):
        acc = 0.0
        for m in range(n):
            acc = acc + util[a, a, m]
        status_quo[a] = acc / n
    # value[i, a]: a's value of initiator i's bargain
    for i in range(n):
        if target[i] < 0:
            continue
        for a in range(n):
            acc = _util(_dist(x, a, b_init, i, sal, a), big_r[a]) + _util(
                _dist(x, a, b_rcvr, i, sal, a), big_r[a]
            )
            for m in range(n):
                if m != i and m != target[i]:
                    acc = acc + util[a, a, m]
            value[i, a] = acc / n

    for k in range(n):
        count = 1
        for i in range(n):
            if target[i] >= 0 and (i == k or target[i] == k):
                count += 1
        options[0] = -1
        slot = 1
        for i in range(n):
            if target[i] >= 0 and (i == k or target[i] == k):
                options[slot] = i
                slot += 1
        for a in range(n):
            opt_util[a, 0] = status_quo[a]
            for s in range(1, count):
                opt_util[a, s] = value[options[s], a]
        _election(opt_util, count, cap, valid, pq, scratch)
        chosen = 0
        for s in range(1, count):
            if pq[s] > pq[chosen]:
                chosen = s
        i = options[chosen]
        for dim in range(n_dims):
            if i < 0:
                new_x[k, dim] = x[k, dim]
            elif i == k:
                new_x[k, dim] = b_init[i, dim]
            else:
                new_x[k, dim] = b_rcvr[i, dim]


@_jit
def _rounds(x, sal, cap, rng, adjust, third_rule, s1p1, tol, new_x, expected):
    n_members, n, n_dims = x.shape
    d = np.empty((n, n))
    big_r = np.empty(n)
    util = np.empty((n, n, n))
    p_unique = np.empty(n)
    p = np.empty(n)
    scratch = np.empty((n + 1, n + 1))
    neutral = np.empty((n, n))
    own = np.empty((n, n))
    ones = np.ones(n, dtype=np.bool_)
    work = np.empty((4, n))
    target = np.empty(n, dtype=np.int64)
    b_init = np.empty((n, n_dims))
    b_rcvr = np.empty((n, n_dims))
    value = np.empty((n, n))
    options = np.empty(n + 1, dtype=np.int64)
    opt_util = np.empty((n, n + 1))
    pq = np.empty(n + 1)
    valid = np.ones(n + 1, dtype=np.bool_)
    for m in range(n_members):
        _assess(x[m], sal[m], cap[m], rng, adjust, d, big_r, util, True, scratch, neutral, p, ones)
        _turn(
            x[m],
            sal[m],
            cap[m],
            big_r,
            util,
            third_rule,
            s1p1,
            new_x[m],
            scratch,
            work,
            target,
            b_init,
            b_rcvr,
            value,
            options,
            opt_util,
            pq,
            valid,
        )
        _assess(
            new_x[m], sal[m], cap[m], rng, adjust, d, big_r, util, False, scratch, neutral, p, ones
        )
        _probabilities(new_x[m], cap[m], util, tol, p_unique, scratch, own)
        for k in range(n_dims):
            acc = 0.0
            for i in range(n):
                acc = acc + p_unique[i] * new_x[m, i, k]
            expected[m, k] = acc


def smp_round_compiled(
    x: np.ndarray, sal: np.ndarray, cap: np.ndarray, opts
) -> tuple[np.ndarray, np.ndarray]:
    """One KTAB turn for every member (positions, saliences (M, A, D) on [0, 1]).

    Returns the new positions and the probability-weighted position of the new state (M, D).
    """
    new_x = np.empty_like(x)
    expected = np.empty((x.shape[0], x.shape[2]))
    _rounds(
        np.ascontiguousarray(x),
        np.ascontiguousarray(sal),
        np.ascontiguousarray(cap),
        _RANGE[opts.big_r_range],
        _ADJUST[opts.big_r_adjust],
        _THIRD[opts.third_party],
        opts.bargain == "s1p1",
        float(opts.position_tolerance),
        new_x,
        expected,
    )
    return new_x, expected
