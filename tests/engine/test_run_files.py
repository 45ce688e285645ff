"""A run's files: the same answers in memory and on disk, whatever the directory is called."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from alliancesim.runner import run
from alliancesim.sums import PartialSums

ODD = "it's [a] *run?"
DECOY = "it's a decoy run!"  # what the glob `it's [a] *run?` would match


def _frame(results) -> pd.DataFrame:
    with results.connect() as con:
        return con.execute(
            "SELECT * EXCLUDE (policy), policy::VARCHAR AS policy FROM trajectories "
            "ORDER BY policy, member, step"
        ).df()


def test_a_run_in_a_directory_named_with_quotes_and_glob_characters(
    toy_path, tmp_path, monkeypatch
) -> None:
    in_memory = run(toy_path, members=300, seed=2)
    import alliancesim.runner as runner

    monkeypatch.setattr(runner, "IN_MEMORY_LIMIT", 1)  # read from the files, not from memory
    run(toy_path, members=100, seed=9, directory=tmp_path / DECOY)
    odd = run(toy_path, members=300, seed=2, directory=tmp_path / ODD)
    assert odd.directory == tmp_path / ODD and not odd.files.tables
    assert odd.summary().to_dict() == in_memory.summary().to_dict()
    pd.testing.assert_frame_equal(_frame(odd), _frame(in_memory))
    pd.testing.assert_frame_equal(odd.parameters(), in_memory.parameters())
    xr.testing.assert_equal(odd.dataset(), in_memory.dataset())  # same values, other run id
    values = odd.files.member_values("cohesion", "consult_first", 3)
    np.testing.assert_array_equal(
        values, in_memory.files.member_values("cohesion", "consult_first", 3)
    )
    out = tmp_path / "out [copy]"
    out.mkdir()
    written = odd.files.export(out, "parquet")
    assert [p.name for p in written] == ["trajectories.parquet", "parameters.parquet"]
    exported = pd.read_parquet(written[0])
    assert len(exported) == 300 * len(odd.policies) * (odd.model.horizon + 1)


def test_partial_sums_survive_the_catalogue_and_the_files(toy_path, tmp_path) -> None:
    results = run(toy_path, members=500, seed=4, directory=tmp_path / "run")
    sums = results.sums
    rows = [(policy, *sums.row(policy)) for policy in results.policies]
    again = PartialSums.from_rows(sums.measures, rows)
    recomputed = PartialSums.from_files(
        results.files, results.policies, sums.measures, results.model.horizon
    )
    for policy in results.policies:
        np.testing.assert_array_equal(
            again.decoupled_by_step[policy], sums.decoupled_by_step[policy]
        )
        np.testing.assert_array_equal(
            recomputed.decoupled_by_step[policy], sums.decoupled_by_step[policy]
        )
        for part in ("horizon_sum", "horizon_sq", "diff_sum", "diff_sq"):
            np.testing.assert_array_equal(getattr(again, part)[policy], getattr(sums, part)[policy])
            np.testing.assert_allclose(
                getattr(recomputed, part)[policy],
                getattr(sums, part)[policy],
                rtol=1e-12,
                atol=1e-9,
            )


def test_a_run_kept_nowhere_cannot_be_queried(toy_path) -> None:
    results = run(toy_path, members=10, seed=1)
    results.files.tables.clear()
    with pytest.raises(ValueError, match="kept no trajectories"):
        results.connect()
