"""Runs under several structures: each structure's answer and their weighted combination, checked
against the toy's answers worked out by hand, against the members' own draws, and against the
scalar oracle; a scenario without mechanisms runs exactly as it always did.

The toy (data/toy.toml): trust.ROK.USA starts at u ~ U(0, 1); decoupling is trust < 0.3 at any
step 1..2. Per step, trust moves by c·consult + b, where consult is 0 under baseline and 1 under
consult_first, c = +0.1 (consult=reassure, the seed's) or −0.05 (consult=costly), and b = −0.1
(burden=backfire, the seed's) or 0 (burden=leverage, whose rule moves fear instead). So at the
horizon trust = u + 2·(c·consult + b), and the alliance has decoupled iff u + min(d, 2d) < 0.3
with d the drift. Priors: consult 1/2, 1/2; burden 3/4, 1/4; the default design runs seed
(3/8), consult=costly (3/8) and burden=leverage (1/8), weighted 3/7, 3/7, 1/7.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import stats

from alliancesim.draws import Draws, blocks_of
from alliancesim.engine import simulate
from alliancesim.model import compile_model
from alliancesim.runfiles import weighted_quantiles
from alliancesim.runner import run
from alliancesim.scenario import load_scenario
from alliancesim.sums import WeightedSums
from alliancesim.testing import simulate_member
from alliancesim.workflows import claims_of_run

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"
MINI = Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml"
MEMBERS = 3000  # two blocks
DRIFT = {  # (structure, policy) -> trust's change per step
    ("seed", "baseline"): -0.1,
    ("seed", "consult_first"): 0.1 - 0.1,
    ("consult=costly", "baseline"): -0.1,
    ("consult=costly", "consult_first"): -0.05 - 0.1,
    ("burden=leverage", "baseline"): 0.0,
    ("burden=leverage", "consult_first"): 0.1,
}
WEIGHTS = {"seed": 3 / 7, "consult=costly": 3 / 7, "burden=leverage": 1 / 7}


@pytest.fixture(scope="module")
def toy_run():
    return run(TOY, members=MEMBERS, seed=7)


@pytest.fixture(scope="module")
def u(toy_run) -> np.ndarray:
    return toy_run.parameters()["state.trust.ROK.USA.initial"].to_numpy()


def _by_hand(u: np.ndarray, structure: str, policy: str) -> tuple[np.ndarray, np.ndarray]:
    """Trust at the horizon and the decoupled flag of each member, from its draw."""
    d = DRIFT[(structure, policy)]
    return u + 2 * d, (u + min(d, 2 * d) < 0.3).astype(float)


def _t_interval(x: np.ndarray) -> tuple[float, tuple[float, float]]:
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean()), (float(x.mean() - half), float(x.mean() + half))


def test_the_run_holds_the_default_design_with_its_weights(toy_run):
    assert toy_run.structures == ["seed", "consult=costly", "burden=leverage"]
    assert toy_run.weights == pytest.approx(WEIGHTS, abs=1e-15)
    assert toy_run.several
    summary = toy_run.summary()
    assert summary.combined and list(summary.structures) == toy_run.structures
    assert summary.to_dict()["policies_under"] == "weighted"


def test_each_structure_gives_the_answer_worked_out_by_hand(toy_run, u):
    # with a Latin hypercube over the one uncertain number, the shares are exact:
    # seed 0.5 / 0.3, costly 0.5 / 0.6, leverage 0.3 / 0.2
    exact = {
        ("seed", "baseline"): 0.5,
        ("seed", "consult_first"): 0.3,
        ("consult=costly", "baseline"): 0.5,
        ("consult=costly", "consult_first"): 0.6,
        ("burden=leverage", "baseline"): 0.3,
        ("burden=leverage", "consult_first"): 0.2,
    }
    for structure in toy_run.structures:
        summary = toy_run.structure(structure).summary()
        assert not summary.structures or list(summary.structures) == [structure]
        _, base_flag = _by_hand(u, structure, "baseline")
        for policy in ("baseline", "consult_first"):
            trust, flag = _by_hand(u, structure, policy)
            row = summary.policies[policy]
            assert row.p_decoupling == pytest.approx(exact[(structure, policy)], abs=1e-12)
            assert row.p_decoupling == flag.mean()
            assert row.indicators["trust.ROK.USA"]["mean"] == pytest.approx(trust.mean(), abs=1e-12)
            assert row.indicators["leverage_on"]["mean"] == (structure == "burden=leverage")
            if policy == "consult_first":
                change = row.vs_baseline["decoupled"]
                mean, (lo, hi) = _t_interval(flag - base_flag)
                assert change["mean_difference"] == pytest.approx(mean, abs=1e-12)
                assert change["ci"] == pytest.approx([lo, hi], abs=1e-12)


def test_the_weighted_combination_is_member_by_member(toy_run, u):
    summary = toy_run.summary()
    flags = {
        p: sum(WEIGHTS[s] * _by_hand(u, s, p)[1] for s in WEIGHTS)
        for p in ("baseline", "consult_first")
    }
    trust = sum(WEIGHTS[s] * _by_hand(u, s, "consult_first")[0] for s in WEIGHTS)
    # P: 3/7 · 0.5 + 3/7 · 0.5 + 1/7 · 0.3 = 3.3/7 under baseline
    assert summary.policies["baseline"].p_decoupling == pytest.approx(3.3 / 7, abs=1e-12)
    assert summary.policies["consult_first"].p_decoupling == pytest.approx(
        (3 * 0.3 + 3 * 0.6 + 0.2) / 7, abs=1e-12
    )
    # the paired change: 3/7 · (−0.2) + 3/7 · 0.1 + 1/7 · (−0.1) = −0.4/7, t interval over members
    change = summary.policies["consult_first"].vs_baseline["decoupled"]
    mean, (lo, hi) = _t_interval(flags["consult_first"] - flags["baseline"])
    assert mean == pytest.approx(-0.4 / 7, abs=1e-12)
    assert change["mean_difference"] == pytest.approx(mean, abs=1e-12)
    assert change["ci"] == pytest.approx([lo, hi], abs=1e-12)
    # by hand, the members' combined change is −3/7 on [0.3, 0.5), +3/7 on [0.5, 0.6),
    # −1/7 on [0.2, 0.3): its variance is 2.64/49, so the interval's half-width is about
    # 1.96 · sqrt(2.64/49/3000)
    assert (hi - lo) / 2 == pytest.approx(1.96 * math.sqrt(2.64 / 49 / MEMBERS), rel=0.01)
    curve = summary.policies["baseline"].p_decoupling_by_step
    assert curve[0] == 0.0 and curve[2] == pytest.approx(flags["baseline"].mean(), abs=1e-12)
    lo_p, hi_p = summary.policies["baseline"].p_decoupling_ci
    assert 0 <= lo_p < curve[2] < hi_p <= 1
    entry = summary.policies["consult_first"].indicators["trust.ROK.USA"]
    assert entry["mean"] == pytest.approx(trust.mean(), abs=1e-12)
    # quantiles of the weighted mixture of the structures' members
    values = np.concatenate([_by_hand(u, s, "consult_first")[0] for s in WEIGHTS])
    weights = np.concatenate([np.full(MEMBERS, WEIGHTS[s]) for s in WEIGHTS])
    expected = weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
    assert [entry["q05"], entry["q50"], entry["q95"]] == pytest.approx(expected, abs=1e-12)


def test_the_combination_from_the_stored_rows_equals_the_engines(toy_run):
    sums = toy_run.weighted_sums
    again = WeightedSums.from_files(
        toy_run.files, toy_run.weights, toy_run.policies, sums.measures, toy_run.model.horizon
    )
    for policy in toy_run.policies:
        for part in ("decoupled_sum", "decoupled_sq", "horizon_sum", "diff_sum", "diff_sq"):
            np.testing.assert_allclose(
                getattr(again, part)[policy], getattr(sums, part)[policy], rtol=1e-12, atol=1e-9
            )


def test_weighted_quantiles_with_equal_weights_are_hazens():
    rng = np.random.default_rng(3)
    x = rng.normal(size=101)
    levels = [0.0, 0.05, 0.25, 0.5, 0.9, 1.0]
    got = weighted_quantiles(x, np.ones_like(x), levels)
    assert got == pytest.approx(np.quantile(x, levels, method="hazen"), abs=1e-14)


def test_claims_per_structure_and_combined(toy_run):
    outcome = claims_of_run(toy_run)
    (claim,) = outcome.verdicts
    by_structure = {s: v["verdict"] for s, v in claim["structures"].items()}
    # one path from the lever to trust under each structure, of a fixed sign: the claim is
    # structural under each, but holds under two and fails under the third
    assert by_structure == {
        "seed": "holds by construction",
        "consult=costly": "fails by construction",
        "burden=leverage": "holds by construction",
    }
    assert {v["class"] for v in claim["structures"].values()} == {"structural"}
    assert claim["verdict"] == "split"
    assert claim["class"] == "contingent"
    assert claim["verdict_weights"] == pytest.approx(
        {"holds by construction": 4 / 7, "fails by construction": 3 / 7}
    )
    assert claim["share"] == pytest.approx(4 / 7)
    # every member's weighted paired difference is 3/7 · 0.2 + 3/7 · (−0.1) + 1/7 · 0.2
    assert claim["mean_difference"] == pytest.approx(0.5 / 7, abs=1e-12)
    assert claim["mean_difference_ci"] == pytest.approx([0.5 / 7, 0.5 / 7], abs=1e-12)


def test_one_structure_analyses_name_what_to_call_on_a_run_of_several(toy_run):
    """check_claims and discover read one structure's members: on a run of several they say
    which call answers instead, and on one structure's slice they answer as claims_of_run's."""
    from alliancesim.analysis import discover
    from alliancesim.claims import check_claims

    with pytest.raises(ValueError, match=r"claims_of_run\(results\).*consult=costly"):
        check_claims(toy_run, discover=False)
    with pytest.raises(ValueError, match=r"discover\(results.structure\(name\)\).*seed"):
        discover(toy_run)
    (alone,) = check_claims(toy_run.structure("consult=costly"), discover=False)
    (claim,) = claims_of_run(toy_run).verdicts
    assert alone.share == claim["structures"]["consult=costly"]["share"]
    found = discover(toy_run.structure("seed"))
    assert found.members == MEMBERS


def test_structures_are_paired_and_the_oracle_agrees(toy_run):
    """Every structure sees the same draws; each member's stored trajectory is the oracle's."""
    model = toy_run.model
    ds = toy_run.dataset()
    trust = ds["trust.ROK.USA"]
    assert trust.dims == ("structure", "policy", "member", "step")
    np.testing.assert_array_equal(  # common random numbers: the same start in every structure
        trust.isel(step=0).values, np.broadcast_to(trust.isel(step=0).values[0, 0], (3, 2, MEMBERS))
    )
    names = model.parameter_names
    draws = Draws.block(model, 7, blocks_of(MEMBERS)[1])
    for structure in toy_run.structures:
        for policy in toy_run.policies:
            for m in (0, 951):  # members 2048 and 2999 of the second block
                unit = {names[r]: float(draws.unit[i, m]) for i, r in enumerate(draws.unit_rows)}
                slots = [list(draws.slots[t, :, m]) for t in range(model.horizon)]
                expected = simulate_member(model.scenario, policy, unit, slots, structure)
                got = trust.sel(structure=structure, policy=policy).values[2048 + m]
                np.testing.assert_allclose(got, expected["trust.ROK.USA"], rtol=0, atol=1e-12)


def test_a_scenario_without_mechanisms_runs_exactly_as_before(tmp_path):
    """One structure, seed: the engine's own trajectories, written without a structure column,
    and a summary without structures."""
    results = run(MINI, members=2500, seed=5, directory=tmp_path / "run")
    assert results.structures == ["seed"] and not results.structured
    model = compile_model(load_scenario(MINI))
    files = sorted((tmp_path / "run" / "trajectories").glob("*.parquet"))
    schema = pq.read_schema(files[0])
    assert schema.names[:3] == ["policy", "member", "step"]
    assert "structure" not in schema.names
    meta = pq.ParquetFile(files[0]).metadata
    encoded = [
        meta.row_group(0).column(k).path_in_schema
        for k in range(meta.num_columns)
        if "RLE_DICTIONARY" in str(meta.row_group(0).column(k).encodings)
    ]
    assert encoded == ["policy"]
    table = pq.read_table(files[1]).to_pandas()
    draws = Draws.block(model, 5, blocks_of(2500)[1])
    for policy in results.policies:
        spec = model.policy(policy)
        record = simulate(model, spec, draws.parameters(model, spec), draws.slots)
        mine = table[table["policy"] == policy].sort_values(["step", "member"])
        for j, name in enumerate(model.record_names):
            got = mine[name].to_numpy(dtype=float).reshape(model.horizon + 1, -1)
            np.testing.assert_array_equal(got, record[:, j, :])
    assert "structures" not in results.summary().to_dict()
    assert set(results.summary().to_dict()) == {
        "scenario",
        "members",
        "seed",
        "horizon",
        "steps",
        "policies",
    }


def test_a_structure_run_alone_equals_its_slice_of_a_run_of_several(toy_run):
    alone = run(TOY, members=MEMBERS, seed=7, structures=["consult=costly"])
    assert alone.structures == ["consult=costly"] and not alone.several
    assert alone.weights == {"consult=costly": 1.0}
    mine = alone.summary().policies
    theirs = toy_run.structure("consult=costly").summary().policies
    assert {p: v.to_dict() for p, v in mine.items()} == {p: v.to_dict() for p, v in theirs.items()}
    with alone.connect() as con:  # one structure: read as a run without structures
        columns = {r[0] for r in con.execute("DESCRIBE trajectories").fetchall()}
    assert "structure" not in columns
