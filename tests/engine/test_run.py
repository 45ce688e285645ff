"""The ensemble run: reproducibility, common random numbers, summaries checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alliancesim.ensemble import BLOCK_SIZE
from alliancesim.errors import InputError
from alliancesim.intervals import wilson_interval
from alliancesim.runner import run


def _same(a, b) -> bool:
    return all(np.array_equal(a[v].values, b[v].values, equal_nan=True) for v in a.data_vars)


def test_same_seed_gives_bit_identical_results(toy_path):
    first = run(toy_path, members=300, seed=7).dataset()
    second = run(toy_path, members=300, seed=7).dataset()
    assert _same(first, second)


def test_different_seed_gives_different_results(toy_path):
    first = run(toy_path, members=300, seed=7).dataset()
    other = run(toy_path, members=300, seed=8).dataset()
    assert not np.array_equal(first["cohesion"].values, other["cohesion"].values)


def test_worker_count_does_not_change_results(toy_path):
    members = 2 * BLOCK_SIZE + 100  # three blocks, the last one short
    one = run(toy_path, members=members, seed=3, workers=1)
    two = run(toy_path, members=members, seed=3, workers=2)
    assert _same(one.dataset(), two.dataset())
    assert one.summary().to_dict() == two.summary().to_dict()


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(toy_path):
    members = BLOCK_SIZE + 10
    inline = run(toy_path, members=members, seed=5)
    dask = run(toy_path, members=members, seed=5, workers=2, dask_local=True)
    assert _same(inline.dataset(), dask.dataset())


@pytest.mark.slow
def test_a_running_dask_scheduler_gives_identical_results(toy_path):
    """`--scheduler ADDR`: connect to a cluster someone else started."""
    from distributed import LocalCluster

    members = BLOCK_SIZE + 10
    inline = run(toy_path, members=members, seed=6)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        remote = run(toy_path, members=members, seed=6, scheduler=cluster.scheduler_address)
    assert _same(inline.dataset(), remote.dataset())


def test_full_blocks_do_not_depend_on_ensemble_size(toy_path):
    """Block b draws only from SeedSequence(seed, spawn_key=(b,)): members of full blocks agree."""
    small = run(toy_path, members=BLOCK_SIZE, seed=1).dataset()
    large = (
        run(toy_path, members=BLOCK_SIZE + 50, seed=1).dataset().isel(member=slice(0, BLOCK_SIZE))
    )
    assert _same(small, large)


def test_policies_are_paired_on_the_same_draws(toy_path):
    ds = run(toy_path, members=400, seed=2).dataset()
    # Step 0 depends only on parameter draws, identical under every policy that leaves them alone.
    base = ds["cohesion"].sel(policy="baseline", step=0).values
    for policy in ("consult_first", "early_scm"):
        assert np.array_equal(base, ds["cohesion"].sel(policy=policy, step=0).values)
    # The provocation stream is common: until the first withdrawal or SCM, trajectories coincide.
    first_step = ds["event"].sel(policy="baseline", happening="provocation").values
    consult = ds["event"].sel(policy="consult_first", happening="provocation").values
    assert np.array_equal(first_step[:, :2], consult[:, :2])


def test_early_scm_happens_only_under_its_policy(toy_path):
    ds = run(toy_path, members=50, seed=2).dataset()
    scm = ds["event"].sel(happening="scm")
    assert float(scm.sel(policy="baseline").sum()) == 0.0
    by_step = scm.sel(policy="early_scm").values  # (member, step)
    assert np.all(by_step[:, 2] == 1.0)  # 2025Q4 is step 2
    assert by_step[:, [0, 1, *range(3, 11)]].sum() == 0.0


def test_consultation_lever_changes_the_consulted_share(toy_path):
    ds = run(toy_path, members=2000, seed=4).dataset()
    for policy, lever in (("baseline", 0.2), ("consult_first", 0.9)):
        events = ds["event"].sel(policy=policy, happening="withdrawal").values > 0
        consulted = ds["consulted.withdrawal"].sel(policy=policy).values > 0
        share = consulted.sum() / events.sum()
        assert events.sum() > 200
        assert abs(share - lever) < 4 * math.sqrt(lever * (1 - lever) / events.sum())


def test_summary_matches_direct_computation(toy_path):
    results = run(toy_path, members=1500, seed=11)
    ds = results.dataset()
    summary = results.summary()
    H = results.model.horizon
    for policy in results.policies:
        decoupled = ds["decoupled"].sel(policy=policy).values
        p = summary.policies[policy]
        by_step = decoupled.mean(axis=0)
        assert p.p_decoupling_by_step == pytest.approx(list(by_step), abs=1e-15)
        assert p.p_decoupling_ci == wilson_interval(int(decoupled[:, H].sum()), 1500)
        cohesion = ds["cohesion"].sel(policy=policy, step=H).values
        stats = p.indicators["cohesion"]
        assert stats["mean"] == pytest.approx(cohesion.mean(), rel=1e-12)
        assert stats["q05"] == pytest.approx(np.quantile(cohesion, 0.05), rel=1e-12)
        assert stats["q50"] == pytest.approx(np.median(cohesion), rel=1e-12)
        if policy != "baseline":
            base = ds["cohesion"].sel(policy="baseline", step=H).values
            diff = cohesion - base
            half = 1.9615 * diff.std(ddof=1) / math.sqrt(diff.size)  # t(0.975, 1499) = 1.96155
            got = p.vs_baseline["cohesion"]
            assert got["mean_difference"] == pytest.approx(diff.mean(), rel=1e-9, abs=1e-15)
            assert got["ci"][1] - got["mean_difference"] == pytest.approx(half, rel=1e-3)


@pytest.mark.parametrize(("successes", "n"), [(5, 10), (0, 10), (10, 10), (81, 263), (1, 2000)])
def test_wilson_interval_equals_scipy(successes, n):
    """Independent reference: scipy's binomtest(...).proportion_ci(method="wilson")."""
    from scipy.stats import binomtest

    reference = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(successes, n)
    assert lo == pytest.approx(reference.low, abs=1e-12)
    assert hi == pytest.approx(reference.high, abs=1e-12)


def test_large_runs_stream_to_parquet_with_the_same_summary(toy_path, monkeypatch, tmp_path):
    in_memory = run(toy_path, members=600, seed=9)
    import alliancesim.runner as runner

    monkeypatch.setattr(runner, "IN_MEMORY_LIMIT", 1)
    streamed = run(toy_path, members=600, seed=9)
    assert streamed.files.tables == [] and streamed.directory is not None
    assert sorted(p.name for p in (streamed.directory / "trajectories").iterdir()) == [
        "block-000000.parquet"
    ]
    assert in_memory.summary().to_dict() == streamed.summary().to_dict()
    assert _same(in_memory.dataset(), streamed.dataset())


def test_combined_policies_and_unknown_policy(toy_path):
    results = run(toy_path, members=100, seed=1, policies=["consult_first+early_scm"])
    assert results.policies == ["baseline", "consult_first+early_scm"]
    with pytest.raises(InputError, match="unknown policy 'nope'"):
        run(toy_path, members=100, policies=["nope"])


def test_bad_member_count_is_an_input_error(toy_path):
    with pytest.raises(InputError, match="members must be at least 1"):
        run(toy_path, members=0)
