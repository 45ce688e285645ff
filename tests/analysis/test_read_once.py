"""A run read once gives exactly what it gives read one query at a time.

Inside :meth:`Results.reading` every query over a run shares one DuckDB connection, the whole
run's values at a step and its parameters are read once for all its structures, the claims read
their quantities once per step and share the classes' graphs and path counts between structures,
and the index's threshold sensitivity and the robustness read several policies per query; the
horizon's values are sorted once for each structure's quantiles (DuckDB interpolating between
the order statistics) and for their mixture (the sorted runs merged), harm's screen computes
every parameter's distance in one pass and asks SciPy for p-values only as far as it needs, and
a stored run's files are hashed as they are written. Each answer is compared here, bit for bit,
with the plain computation: every value read by its own query on its own connection, every
class worked out afresh, the paths counted by the walk the classes used before
(:func:`_reference_signs`, kept here as the oracle), DuckDB's own quantiles, one sort of all
values, one SciPy test per parameter, the file hashed from disk.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from alliancesim import claim_classes, runfiles
from alliancesim.analysis.experiments import measure_step
from alliancesim.bands import indicator_bands
from alliancesim.claim_classes import PathSigns, classify_claim, policy_difference
from alliancesim.claims import claims_outcome, classify, paired_values
from alliancesim.commands.run import run_payload
from alliancesim.decisions import robust_view_payload
from alliancesim.intervals import mean_interval
from alliancesim.jsonable import dumps, plain
from alliancesim.model import compile_model
from alliancesim.presentation import present_run, run_facts
from alliancesim.scenario import load_scenario
from alliancesim.store import Store
from alliancesim.workflows import claims_of_run, default_policies, run_and_store

STRUCTURES = ["seed", "consult=costly_signal,troops=tool", "nuclear=threat"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[Store, str]:
    """A small run of the default scenario under three structures (priors), kept in a store."""
    store = Store(tmp_path_factory.mktemp("read-once-home"))
    scenario = load_scenario("us-rok-2025")
    done = run_and_store(
        store,
        scenario,
        policies=default_policies(scenario),
        members=40,
        seed=11,
        structures=STRUCTURES,
        weights="prior",
    )
    return store, done.record.run_id


def _fresh(stored: tuple[Store, str]) -> Any:
    """The stored run opened anew (nothing read or summarised yet)."""
    store, run_id = stored
    return store.open_run(run_id)


def _same(a: Any, b: Any) -> None:
    """Equal as JSON, NaN included (bit for bit: floats are written with repr)."""
    assert dumps(plain(a)) == dumps(plain(b))


# --------------------------------------------------------------------------------------------
# claims


def test_the_claims_read_once_equal_each_structure_checked_on_its_own(stored):
    results = _fresh(stored)
    fast = claims_of_run(results)
    assert fast.verdicts and len(fast.verdicts) == len(results.model.scenario.claims)
    for name in results.structures:
        alone = claims_outcome(_fresh(stored).structure(name))  # its own reads, its own classes
        _same([v["structures"][name] for v in fast.verdicts], alone.verdicts)


def test_each_verdict_counts_the_members_read_one_query_at_a_time(stored):
    results = _fresh(stored)
    fast = claims_of_run(results)
    assert fast.verdicts is not None
    claims = {c.id: c for c in results.model.scenario.claims}
    parameters = results.parameters()
    for row in fast.verdicts:
        claim = claims[row["claim_id"]]
        step = measure_step(results.model, claim.compare.at)
        differences = 0.0
        for name in results.structures:
            files = results.structure(name).files
            a = files.member_values(claim.compare.indicator, claim.compare.policy, step)
            b = files.member_values(claim.compare.indicator, claim.compare.against, step)
            holds, fails, ties, _ = classify(a, b, claim.compare.expect)
            own = row["structures"][name]
            assert (own["holds"], own["fails"], own["ties"]) == (
                int(holds.sum()),
                int(fails.sum()),
                int(ties.sum()),
            )
            share = holds.sum() / (holds.sum() + fails.sum()) if (holds | fails).any() else math.nan
            expected = classify_claim(
                results.model,
                claim,
                parameters=parameters,
                holds=holds,
                fails=fails,
                share=float(share),
                structure=name,
            )
            assert own["class"] == expected.name
            assert own["class_reason"] == expected.reason
            _same(own["class_details"], expected.details)
            differences = differences + results.weights[name] * (a - b)
        mean, ci = mean_interval(np.asarray(differences))
        assert row["mean_difference"] == mean
        assert row["mean_difference_ci"] == [ci[0], ci[1]]


def test_paired_values_from_the_read_values_equal_the_members_own_query(stored):
    from alliancesim.claims import claim_values

    results = _fresh(stored)
    claims = list(results.model.scenario.claims)
    for name in results.structures:
        part = results.structure(name)
        with results.reading():
            values = claim_values(part, claims)
        for claim in claims:
            a, b, step = paired_values(part, claim, values=values)
            a0, b0, step0 = paired_values(part, claim)
            assert step == step0
            assert a.tobytes() == a0.tobytes() and b.tobytes() == b0.tobytes()


# --------------------------------------------------------------------------------------------
# the path counts of the claims' classes


def _reference_signs(
    model: Any, claim: Any, structure: str | None
) -> tuple[PathSigns, dict[str, int | None]]:
    """The path counts as the classes counted them before (a stack of frozensets), the oracle."""
    changes = policy_difference(model, claim.compare.policy, claim.compare.against)
    graph = claim_classes._graph(model, structure)
    target = claim.compare.indicator
    useful = claim_classes._reaching(graph, target)
    signs = PathSigns()
    for source, direction in changes.items():
        if source not in useful:
            continue
        start = 0 if direction is None else direction
        stack = [(source, start, frozenset([source]))]
        while stack:
            node, sign, seen = stack.pop()
            if node == target:
                if sign > 0:
                    signs.positive += 1
                elif sign < 0:
                    signs.negative += 1
                else:
                    signs.unknown += 1
                if signs.total >= claim_classes.MAX_PATHS:
                    signs.truncated = True
                    return signs, changes
                continue
            for nxt, link_sign in graph.get(node, ()):
                if nxt in useful and nxt not in seen:
                    stack.append((nxt, sign * link_sign, seen | {nxt}))
    return signs, changes


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("limit", [20_000, 37, 3])
def test_the_path_counts_equal_the_reference_walk_truncated_or_not(monkeypatch, limit, compiled):
    from alliancesim import paths

    monkeypatch.setattr(claim_classes, "MAX_PATHS", limit)
    if not compiled:  # the walk as Python runs it without Numba
        monkeypatch.setattr(paths, "_compiled", paths.count_signed_paths_python)
    scenario = load_scenario("us-rok-2025")
    model = compile_model(scenario)
    memo: dict[Any, Any] = {}
    truncated = 0
    for structure in [None, *STRUCTURES] if compiled or limit < 100 else ["seed"]:
        for claim in scenario.claims:
            expected = _reference_signs(model, claim, structure)
            assert claim_classes.structural_signs(model, claim, structure) == expected
            assert claim_classes.structural_signs(model, claim, structure, memo=memo) == expected
            truncated += expected[0].truncated
    assert truncated > 0  # some counts are cut short (even at the model's own limit)


# --------------------------------------------------------------------------------------------
# the run's view, its report's bands and its robustness


def test_the_view_read_once_equals_the_view_read_query_by_query(stored):
    store, run_id = stored
    record = store.get(run_id)
    plain_run, fast_run = _fresh(stored), _fresh(stored)
    slow = present_run(plain_run, None, run_facts(plain_run, record))  # no reading block
    with fast_run.reading():
        fast = present_run(fast_run, None, run_facts(fast_run, record))
    assert dumps(run_payload(fast_run, fast)) == dumps(run_payload(plain_run, slow))
    keys = list(slow.key_indicators)
    with fast_run.reading():
        fast_bands = indicator_bands(fast_run, keys)
    _same(fast_bands, indicator_bands(plain_run, keys))


def test_the_robustness_read_once_equals_the_robustness_read_query_by_query(stored):
    plain_run, fast_run = _fresh(stored), _fresh(stored)
    slow = robust_view_payload(plain_run, None)
    with fast_run.reading():
        fast = robust_view_payload(fast_run, None)
    _same(fast, slow)


# --------------------------------------------------------------------------------------------
# the files


def test_values_at_a_step_read_once_for_the_run_equal_each_structures_own(stored):
    results = _fresh(stored)
    step = results.model.horizon
    names = ["decoupled", "cohesion", "doubt.USA.ROK"]
    with results.reading():
        whole = results.files.values_at(step, names)
        parts = {n: results.structure(n).files.values_at(step, names) for n in results.structures}
        again = results.structure("seed").files.values_at(step, names)
        assert not next(iter(again.values()))["cohesion"].flags.writeable  # shared: read-only
    assert {s for s, _ in whole} == set(results.structures)
    for name in results.structures:
        own = _fresh(stored).structure(name).files.values_at(step, names)  # its own query
        assert list(parts[name]) == list(own)
        for key, arrays in own.items():
            assert whole[key].keys() == arrays.keys() == parts[name][key].keys()
            for n, values in arrays.items():
                assert parts[name][key][n].tobytes() == values.tobytes()


def test_member_steps_of_several_policies_per_query_equal_one_policy_at_a_time(stored, monkeypatch):
    results = _fresh(stored)
    names = ["decoupled", "cohesion", "not.recorded"]
    policies = results.policies
    part = results.structure("nuclear=threat")
    for budget in (runfiles.READ_ONCE_VALUES, 1):  # all policies in one query; one per query
        monkeypatch.setattr(runfiles, "READ_ONCE_VALUES", budget)
        with results.reading():
            read = list(part.files.member_steps_by_policy(names, policies))
        assert [p for p, _ in read] == list(policies)
        for policy, arrays in read:
            alone = part.files.member_steps(names, policy)
            assert arrays.keys() == alone.keys() == {"decoupled", "cohesion"}
            for n in alone:
                assert arrays[n].shape == alone[n].shape == (40, results.model.horizon + 1)
                assert arrays[n].tobytes() == alone[n].tobytes()


def test_a_reading_block_shares_one_connection_and_closes_it(stored, monkeypatch):
    results = _fresh(stored)
    opened = []
    real = runfiles.RunFiles._connection

    def counted(self, *args, **kwargs):
        con = real(self, *args, **kwargs)
        opened.append(con)
        return con

    monkeypatch.setattr(runfiles.RunFiles, "_connection", counted)
    with results.reading():
        claims_of_run(results)
        with results.reading():  # nested: the same block
            results.structure("seed").files.member_steps(["cohesion"], "baseline")
    assert len(opened) == 1
    import duckdb

    with pytest.raises(duckdb.ConnectionException):
        opened[0].execute("SELECT 1")
    results.structure("seed").files.member_steps(["cohesion"], "baseline")  # outside: its own
    assert len(opened) == 2


def test_where_harm_comes_from_equals_one_test_per_parameter(stored):
    from scipy import stats

    from alliancesim.analysis import harm

    results = _fresh(stored)
    frame = results.parameters()
    varying = [c for c in frame.columns if np.ptp(frame[c].to_numpy(dtype=np.float64)) > 0]
    cohesion = results.structure("seed").files.values_at(results.model.horizon, ["cohesion"])
    values = cohesion[("seed", "baseline")]["cohesion"]
    drawn = frame[varying[0]].to_numpy(dtype=np.float64)
    found = 0
    for mask in (
        values < np.median(values),
        values < np.quantile(values, 0.3),
        drawn > np.median(drawn),  # one parameter separates these worlds outright
        (drawn > np.quantile(drawn, 0.4)) ^ (values < np.quantile(values, 0.1)),
    ):
        expected = []
        for column in varying:  # the screen as it was written, one test per parameter
            x = frame[column].to_numpy(dtype=np.float64)
            test = stats.ks_2samp(x[mask], x[~mask])
            if test.pvalue * len(varying) < harm.WHERE_ALPHA:
                expected.append(
                    harm.HarmWhere(
                        str(column),
                        float(np.median(x[mask])),
                        float(np.median(x[~mask])),
                        float(test.statistic),
                    )
                )
        expected.sort(key=lambda w: (-w.distance, w.parameter))
        assert harm._where(results, mask) == tuple(expected[: harm.WHERE_PARAMETERS])
        found += bool(expected)
    assert found >= 2


@pytest.mark.parametrize("budget", [runfiles.READ_ONCE_VALUES, 40 * 19 * 6 * 4, 1])
def test_member_steps_of_several_structures_per_query_equal_each_structures_own(
    stored, monkeypatch, budget
):
    results = _fresh(stored)
    names = ["decoupled", "cohesion"]
    structures = ["nuclear=threat", "seed"]  # in the order asked, not the run's
    policies = ["consult_first", "baseline", "no_feedback"]
    monkeypatch.setattr(runfiles, "READ_ONCE_VALUES", budget)  # every group size, down to one
    with results.reading():
        read = list(results.files.member_steps_by_structure(names, structures, policies))
    assert [(s, p) for s, p, _ in read] == [(s, p) for s in structures for p in policies]
    for structure, policy, arrays in read:
        alone = _fresh(stored).structure(structure).files.member_steps(names, policy)
        assert arrays.keys() == alone.keys()
        for n in alone:
            assert arrays[n].tobytes() == alone[n].tobytes()


def test_rows_in_any_order_are_placed_as_sorted_rows_are_cut():
    rng = np.random.default_rng(5)
    pairs, policies, members, steps = 6, 3, 7, 4  # 2 structures × 3 policies
    s, p, m, t = np.meshgrid(
        np.arange(2) + 1,
        np.arange(3) + 1,
        np.arange(members) + 100,
        np.arange(steps),
        indexing="ij",
    )
    table = {
        "s": s.ravel(),
        "p": p.ravel(),
        "member": m.ravel(),
        "step": t.ravel(),
        "x": rng.random(s.size),
    }
    expected = runfiles._sorted_by_member_and_step(table, pairs, policies, ["x"])
    order = rng.permutation(s.size)
    shuffled = {k: v[order] for k, v in table.items()}
    placed = runfiles._by_member_and_step(shuffled, pairs, policies, ["x"])
    assert placed is not None
    for a, b in zip(placed, expected, strict=True):
        assert a["x"].shape == (members, steps)
        assert a["x"].tobytes() == b["x"].tobytes()
    twice = {k: np.concatenate([v[1:], v[:1]]) for k, v in shuffled.items()}
    twice["step"][-1] = twice["step"][0]  # one cell twice, another missing
    twice["member"][-1], twice["s"][-1], twice["p"][-1] = (
        twice["member"][0],
        twice["s"][0],
        twice["p"][0],
    )
    assert runfiles._by_member_and_step(twice, pairs, policies, ["x"]) is None
    short = {k: v[:-1] for k, v in shuffled.items()}
    assert runfiles._by_member_and_step(short, pairs, policies, ["x"]) is None


def test_a_claim_tested_only_where_the_weights_are_zero_has_no_combined_share(stored):
    from dataclasses import replace as changed

    from alliancesim.claims import ClaimsOutcome
    from alliancesim.workflows import combine_claims

    results = _fresh(stored)
    per = {n: claims_outcome(results.structure(n)) for n in results.structures}
    heavy = "nuclear=threat"
    results.weights = {n: 1.0 if n == heavy else 0.0 for n in results.structures}
    first = dict(per[heavy].verdicts[0], share=None)  # not tested under the only weighed one
    per[heavy] = changed(per[heavy], verdicts=[first, *per[heavy].verdicts[1:]])
    assert isinstance(per[heavy], ClaimsOutcome)
    combined = combine_claims(results, per)  # was a ZeroDivisionError
    assert combined.verdicts is not None
    assert combined.verdicts[0]["share"] is None
    assert combined.verdicts[1]["share"] == per[heavy].verdicts[1]["share"]


def test_after_the_simulation_nothing_is_simulated_again(tmp_path, monkeypatch):
    """The run's table, claims, stored view and report (as `alliancesim run --report` makes
    them, and as a stored run's report reads them back) simulate no member again."""
    from alliancesim import engine, ensemble
    from alliancesim.workflows import (
        report_of_new_stored_run,
        report_of_stored_run,
        report_parts,
        view_of_new_stored_run,
        view_of_run,
    )

    calls: list[int] = []
    real = engine.simulate

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "simulate", counted)
    monkeypatch.setattr(ensemble, "simulate", counted)
    store = Store(tmp_path / "home")
    scenario = load_scenario("us-rok-2025")

    def stored(into: Store, on_simulated):
        return run_and_store(
            into,
            scenario,
            policies=default_policies(scenario),
            members=20,
            seed=3,
            structures=STRUCTURES,
            weights="prior",
            on_simulated=on_simulated,
        )

    shown = []
    done = stored(store, lambda results: shown.append(view_of_run(results, None)))
    simulated = len(calls)
    assert simulated == len(STRUCTURES) * len(done.results.policies)  # one block, each pair once
    view = view_of_new_stored_run(done, shown[0])
    document = report_of_new_stored_run(store, done, view)
    assert "<html" in document
    assert "<html" in report_of_stored_run(store, done.record.run_id)
    assert len(calls) == simulated
    # the report's parts read before the commit (as `run --report` does) give the same report
    store_again = Store(tmp_path / "again")
    parts = []
    again = stored(store_again, lambda results: parts.append(report_parts(results, view)))
    early = report_of_new_stored_run(store_again, again, view, parts[0])
    late = report_of_new_stored_run(store_again, again, view)
    assert early == late


# --------------------------------------------------------------------------------------------
# the horizon's quantiles from values sorted once, the harm screen, files hashed as written


def _horizon_measures(results: Any) -> list[str]:
    from alliancesim.results import _measures

    return _measures(results)[:-1]


def test_each_structures_quantiles_from_sorted_values_equal_duckdbs(stored):
    from alliancesim.results import QUANTILES

    results = _fresh(stored)
    names = _horizon_measures(results)
    plain = results.files.structure_quantiles_at(results.model.horizon, names, QUANTILES)
    with results.reading():  # the values at the horizon read and sorted once
        fast = results.files.structure_quantiles_at(results.model.horizon, names, QUANTILES)
    assert fast.keys() == plain.keys() and len(plain) == 3 * len(results.policies) * len(names)
    _same(
        {str(k): v for k, v in sorted(fast.items())}, {str(k): v for k, v in sorted(plain.items())}
    )


def test_the_mixtures_quantiles_from_sorted_values_equal_one_sort_of_all(stored):
    from alliancesim.results import QUANTILES

    results = _fresh(stored)
    names = _horizon_measures(results)
    weights = results.weights
    H = results.model.horizon
    plain = results.files.mixture_quantiles_at(H, names, QUANTILES, weights)
    with results.reading():
        fast = results.files.mixture_quantiles_at(H, names, QUANTILES, weights)
        # the values harm reads at the horizon come from the same read
        harm_values = results.files.values_at(H, ["decoupled", "cohesion"])
    assert list(fast) == list(plain) and len(plain) == len(results.policies) * len(names)
    _same(list(fast.values()), list(plain.values()))
    alone = _fresh(stored).files.values_at(H, ["decoupled", "cohesion"])
    assert harm_values.keys() == alone.keys()
    for key, arrays in alone.items():
        for n, array in arrays.items():
            assert harm_values[key][n].tobytes() == array.tobytes()


def _duckdb_quantiles(values: np.ndarray, levels: list[float]) -> list[float]:
    import duckdb
    import pyarrow as pa

    with duckdb.connect() as con:
        con.register("t", pa.table({"x": values}))
        row = con.execute(f"SELECT quantile_cont(x, {runfiles._levels(levels)}) FROM t").fetchall()
    return [float(v) for v in row[0][0]]


@pytest.mark.parametrize("case", ["spread", "ties", "zeros", "signed zeros", "nan", "few"])
def test_quantiles_of_sorted_values_equal_duckdbs_own(case):
    import duckdb

    rng = np.random.default_rng(len(case))
    levels = [0.05, 0.25, 0.5, 0.75, 0.95, 0.333]
    groups = {}
    for k, n in enumerate([1, 2, 3, 17, 400, 2000]):
        x = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4)
        if case == "ties":
            x = np.round(x, 1) + 0.0  # no -0
        elif case == "zeros":
            x[: n // 2] = 0.0
        elif case == "signed zeros":
            x[: n // 2] = 0.0
            x[: n // 4 + 1] = -0.0
        elif case == "nan":
            x[0] = np.nan
        elif case == "few":
            x = rng.integers(0, 3, n).astype(np.float64)
        groups[("s", f"p{k}")] = {"x": x}
    ordered = {key: {"x": runfiles._sorted_stably(v["x"])} for key, v in groups.items()}
    with duckdb.connect() as con:
        found = runfiles._quantiles_of_sorted(con, ordered, ["x"], levels)
    if case == "nan":
        assert found is None  # left to DuckDB
        return
    if case == "signed zeros":  # 0 and -0 at an order statistic: DuckDB's own sort decides
        assert found is None
        return
    assert found is not None
    for (s, p), arrays in groups.items():
        _same(found[(s, p, "x")], _duckdb_quantiles(arrays["x"], levels))


@pytest.mark.parametrize("ties", [False, True])
def test_sorted_runs_merged_give_the_weighted_quantiles_of_one_sort(ties):
    rng = np.random.default_rng(3 + ties)
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    weights = {"b": 0.3, "a": 0.5, "c": 0.2}  # merged in the structures' sorted order
    whole = {}
    for s in weights:
        for p in ("baseline", "act"):
            x = rng.standard_normal(50)
            if ties:
                x = np.round(x, 0) * 0.0 + np.round(x, 0)  # few values, 0 and -0 among them
                x[::7] = -0.0
            whole[(s, p)] = {"x": x}
    ordered = {key: {"x": runfiles._sorted_stably(v["x"])} for key, v in whole.items()}
    fast = runfiles._mixture_quantiles(ordered, ["x"], levels, weights)
    for p in ("act", "baseline"):
        laid = np.concatenate([whole[(s, p)]["x"] for s in sorted(weights)])
        w = np.concatenate([np.full(50, weights[s]) for s in sorted(weights)])
        _same(fast[(p, "x")], runfiles.weighted_quantiles(laid, w, levels))
    assert list(fast) == [("act", "x"), ("baseline", "x")]


def test_sorted_stably_equals_the_stable_sort():
    rng = np.random.default_rng(8)
    for x in (
        rng.standard_normal(300),
        np.round(rng.standard_normal(300), 1),
        np.array([0.0, -0.0, 1.0, -0.0, 0.0]),
        np.array([np.nan, 1.0, np.nan, -1.0]),
        np.array([]),
    ):
        assert runfiles._sorted_stably(x).tobytes() == x[np.argsort(x, kind="stable")].tobytes()


def test_the_harm_screens_distances_equal_scipys_statistics():
    from scipy import stats

    from alliancesim.analysis import harm

    rng = np.random.default_rng(21)
    import pandas as pd

    frame = pd.DataFrame(
        {
            "smooth": rng.random(300),
            "coarse": rng.integers(0, 4, 300).astype(np.float64),  # ties
            "zeros": np.where(rng.random(300) < 0.5, 0.0, -0.0) + (rng.random(300) < 0.2),
            "fixed": np.full(300, 2.0),  # not varying: not screened
        }
    )
    screen = harm._Screen(frame)
    assert screen.names == ["smooth", "coarse", "zeros"]
    for mask in (
        rng.random(300) < 0.1,
        frame["coarse"].to_numpy() > 1,
        frame["smooth"].to_numpy() < 0.5,
    ):
        x = screen.x
        expected = stats.ks_2samp(x[mask], x[~mask], axis=0).statistic
        assert screen.distances(mask).tobytes() == np.asarray(expected).tobytes()


def test_the_harm_screen_names_what_every_parameters_test_names():
    """The screen asks for p-values in order of distance and stops early; what it names is
    what one exact test per parameter names, whether none, one, two or many are significant."""
    from scipy import stats

    from alliancesim.analysis import harm

    rng = np.random.default_rng(4)
    import pandas as pd

    n = 400
    frame = pd.DataFrame({f"p{k:03d}": rng.random(n) for k in range(60)})
    frame["p007"] = np.round(frame["p007"], 1)  # ties
    screen = harm._Screen(frame)
    lead = frame["p003"].to_numpy()
    second = frame["p041"].to_numpy()
    seen = set()
    for mask in (
        rng.random(n) < 0.2,  # nothing separates these worlds
        lead > 0.7,  # one parameter
        (lead > 0.6) & (second > 0.3),  # two
        (lead > 0.5) | (second > 0.8) | (frame["p007"].to_numpy() > 0.85),  # more than two
    ):
        expected = []
        for column in frame.columns:
            x = frame[column].to_numpy()
            test = stats.ks_2samp(x[mask], x[~mask])
            if test.pvalue * frame.shape[1] < harm.WHERE_ALPHA:
                expected.append(
                    harm.HarmWhere(
                        column,
                        float(np.median(x[mask])),
                        float(np.median(x[~mask])),
                        float(test.statistic),
                    )
                )
        seen.add(min(len(expected), 3))
        expected.sort(key=lambda w: (-w.distance, w.parameter))
        assert screen.where(mask) == tuple(expected[: harm.WHERE_PARAMETERS])
    assert seen == {0, 1, 2, 3}


def test_a_file_hashed_as_written_has_the_digest_of_its_bytes(tmp_path):
    import hashlib
    import os

    from alliancesim.store import checksums

    data = np.random.default_rng(2).bytes(3_000_000)
    (tmp_path / "trajectories").mkdir()
    path = tmp_path / "trajectories" / "block-000000.parquet"
    checksums.write_hashed(path, data)
    checksums.write_manifest(tmp_path)
    line = (tmp_path / checksums.MANIFEST).read_text()
    assert line == f"{hashlib.sha256(data).hexdigest()}  trajectories/block-000000.parquet\n"
    checksums.verify_run_files(tmp_path, "r")
    # changed after it was written: hashed anew from the file, and found damaged
    checksums.write_hashed(path, data)
    with open(path, "r+b") as handle:
        handle.write(b"x")
    os.utime(path, ns=(1, 1))
    with pytest.raises(Exception, match="does not match"):
        checksums.verify_run_files(tmp_path, "r")
    checksums.write_manifest(tmp_path)
    assert (tmp_path / checksums.MANIFEST).read_text().split()[0] == hashlib.sha256(
        path.read_bytes()
    ).hexdigest()


def test_the_runs_values_at_a_step_placed_by_member_equal_them_sorted_by_duckdb(stored):
    results = _fresh(stored)
    names = ["decoupled", "cohesion", "trust.ROK.USA"]
    with results.reading():
        files = results.files
        reading = files._reading()
        con = reading.connection(files, parameters=False)
        base = runfiles._base_view(files)
        for step in (0, 7, results.model.horizon):
            placed = files._values_of_run(reading, step, names)
            plain = runfiles._values_by_group(con, base, "structure::VARCHAR", step, names)
            assert placed is not None
            assert list(placed) == list(plain)  # pairs in the same order
            for pair, arrays in plain.items():
                for n in names:
                    assert placed[pair][n].tobytes() == arrays[n].tobytes()
        pairs = list(plain)
        assert runfiles._values_placed(con, base, "structure::VARCHAR", 0, names, pairs[1:]) is None


def test_the_parameters_ranges_are_read_once_and_equal_read_anew(stored):
    results = _fresh(stored)
    with results.reading():
        first = results.files.parameter_ranges()
    again = _fresh(stored).files.parameter_ranges()
    assert first == again and len(first) > 100
    assert results.files.parameter_ranges() == first
