"""The experiment store: a stored run comes back as it was; list, export, delete, analyses."""

from __future__ import annotations

import json
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from alliancesim.errors import InputError
from alliancesim.store import Store
from alliancesim.store.catalogue import SCHEMA_VERSION
from alliancesim.workflows import run_and_store


def test_a_stored_run_reopens_with_the_same_summary_and_trajectories(stored) -> None:
    store, results = stored
    again = store.open_run(results.run_id)
    assert again.summary().to_dict() == results.summary().to_dict()
    first, second = results.dataset(), again.dataset()
    for name in first.data_vars:
        np.testing.assert_array_equal(first[name].values, second[name].values)
    assert again.scenario_hash == results.scenario_hash
    assert again.directory == store.runs_dir / results.run_id


def test_the_catalogue_describes_the_run(stored) -> None:
    from alliancesim import __version__

    store, results = stored
    record = store.get(results.run_id)
    assert (record.members, record.seed, record.policies) == (
        2500,
        7,
        ["baseline", "consult_first"],
    )
    assert record.version == __version__
    assert record.scenario_id == "toy"
    assert record.horizon == results.summary().horizon
    assert record.finished >= record.started
    base = results.summary().policies["baseline"]
    assert record.p_decoupling == base.p_decoupling
    assert record.p_decoupling_ci == base.p_decoupling_ci
    # one Parquet file per block of 2048 members, for trajectories and for parameters
    blocks = sorted(p.name for p in (record.directory / "trajectories").iterdir())
    assert blocks == ["block-000000.parquet", "block-000001.parquet"]
    assert record.files == 4
    assert record.bytes == sum(p.stat().st_size for p in record.directory.rglob("*.parquet"))


def test_sampled_parameter_ranges_match_the_parquet_files(stored) -> None:
    store, results = stored
    drawn = pd.concat(
        pd.read_parquet(p) for p in sorted((results.directory / "parameters").glob("*.parquet"))
    )
    rows = {r["name"]: r for r in store.parameters(results.run_id)}
    assert set(rows) == set(drawn.columns) - {"member"}
    for name, row in rows.items():
        assert row["drawn_min"] == drawn[name].min()
        assert row["drawn_max"] == drawn[name].max()
        assert row["drawn_mean"] == pytest.approx(drawn[name].mean(), rel=1e-12)
    assert rows["rules.fear_from_cut.weight"]["distribution"] == "U(0.1, 0.3)"


def test_claim_verdicts_are_stored_with_the_run(stored) -> None:
    from alliancesim.claims import check_claims

    store, results = stored
    verdicts = store.claim_verdicts(results.run_id)
    expected = [json.loads(json.dumps(v.to_dict())) for v in check_claims(results)]
    assert verdicts == expected
    assert [v["statistical_verdict"] for v in verdicts] == ["supported"]


def test_runs_are_listed_newest_first_and_found_by_prefix(stored, mini_path) -> None:
    store, results = stored
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        newer = run_and_store(store, mini_path, members=50, seed=1, run_id="zz-newer-run").results
    try:
        ids = [r.run_id for r in store.runs()]
        assert ids[:2] == ["zz-newer-run", results.run_id]
        assert store.resolve("latest") == "zz-newer-run"
        assert store.resolve("zz-") == "zz-newer-run"
        assert store.resolve(results.run_id) == results.run_id
        assert [r.run_id for r in store.runs("no-such-scenario")] == []
    finally:
        store.delete(newer.run_id)


@pytest.mark.parametrize("reference", ["nope", "../etc", "a/b", ""])
def test_unknown_or_malformed_run_ids_are_input_errors(stored, reference) -> None:
    store, _ = stored
    with pytest.raises(InputError) as info:
        store.get(reference)
    assert info.value.problems[0].file == "RUN_ID"


def test_export_writes_every_row_as_parquet_and_csv(stored, tmp_path) -> None:
    store, results = stored
    expected = results.members * len(results.policies) * (results.model.horizon + 1)
    for fmt in ("parquet", "csv"):
        out = tmp_path / fmt
        files = store.export(results.run_id, fmt, out)
        assert {f.name for f in files} == {
            f"trajectories.{fmt}",
            f"parameters.{fmt}",
            "run.json",
            "summary.json",
            "claims.json",
            "parameter_ranges.json",
        }
        read = f"read_{fmt}"
        with duckdb.connect() as con:
            n = con.execute(f"SELECT count(*) FROM {read}('{out}/trajectories.{fmt}')").fetchone()
            members = con.execute(
                f"SELECT count(*) FROM {read}('{out}/parameters.{fmt}')"
            ).fetchone()
        assert n == (expected,)
        assert members == (results.members,)
    exported = pd.read_parquet(tmp_path / "parquet" / "trajectories.parquet")
    with results.connect() as con:
        original = con.execute(
            "SELECT * EXCLUDE (policy), policy::VARCHAR AS policy FROM trajectories "
            "ORDER BY policy, member, step"
        ).df()
    exported["policy"] = exported["policy"].astype(str)
    pd.testing.assert_frame_equal(
        exported[original.columns].reset_index(drop=True), original, check_dtype=False
    )
    summary = json.loads((tmp_path / "csv" / "summary.json").read_text())
    assert (
        summary["baseline"]["p_decoupling"] == results.summary().policies["baseline"].p_decoupling
    )
    with pytest.raises(InputError):
        store.export(results.run_id, "csv", tmp_path / "csv")  # not empty
    with pytest.raises(InputError):
        store.export(results.run_id, "xlsx", tmp_path / "x")


def test_delete_removes_rows_and_files(tmp_path, mini_path) -> None:
    store = Store(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_and_store(store, mini_path, members=40, seed=2).results
    directory = results.directory
    store.attach_analysis(
        "note", {"x": 1}, scenario_hash=results.scenario_hash, run_id=results.run_id
    )
    record = store.delete(results.run_id)
    assert record.run_id == results.run_id
    assert store.runs() == []
    assert not directory.exists()
    assert list(store.runs_dir.iterdir()) == []
    assert store.analyses() == []
    with store.catalogue() as con:
        for table in ("runs", "summaries", "parameters", "claim_verdicts"):
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    with pytest.raises(InputError):
        store.delete(results.run_id)


def test_analyses_are_attached_to_a_scenario_and_read_back_newest_first(stored) -> None:
    store, results = stored
    first = store.attach_analysis(
        "sensitivity", {"method": "sobol", "factors": []}, scenario_hash=results.scenario_hash
    )
    second = store.attach_analysis(
        "sensitivity",
        {"method": "morris", "value": np.float64(0.5), "missing": float("nan")},
        scenario_hash=results.scenario_hash,
        run_id=results.run_id,
    )
    found = store.analyses(scenario_hash=results.scenario_hash, kind="sensitivity")
    assert [a["analysis_id"] for a in found] == [second, first]
    assert found[0]["payload"] == {"method": "morris", "value": 0.5, "missing": None}
    assert found[0]["run_id"] == results.run_id
    assert store.analyses(kind="other") == []


def test_a_failed_run_leaves_nothing_behind(tmp_path, mini_path) -> None:
    store = Store(tmp_path)
    with pytest.raises(InputError):
        run_and_store(store, mini_path, members=10, seed=1, policies=["no_such_policy"])
    assert store.runs() == []
    assert list(store.runs_dir.iterdir()) == []


def test_a_store_opens_only_newer_schemas_with_a_clear_error(tmp_path) -> None:
    store = Store(tmp_path)
    with store.catalogue() as con:
        con.execute("UPDATE store_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer alliancesim"):
        Store(tmp_path)


def test_a_failing_claim_check_does_not_lose_the_run(tmp_path, mini_path, monkeypatch) -> None:
    import alliancesim.claims

    def broken(results, **_):
        raise ZeroDivisionError("bug in the claims")

    monkeypatch.setattr(alliancesim.claims, "check_claims", broken)
    store = Store(tmp_path)
    with pytest.warns(RuntimeWarning, match="bug in the claims"):
        results = run_and_store(store, mini_path, members=30, seed=1).results
    assert [r.run_id for r in store.runs()] == [results.run_id]
    assert store.claim_verdicts(results.run_id) is None
    assert store.get(results.run_id).claims_evaluated is False


def test_a_run_from_an_older_catalogue_is_migrated_and_summed_again(tmp_path, mini_path) -> None:
    """A schema-1 catalogue (no record of which measures the sums are of) is migrated; its runs
    reopen with partial sums recomputed from the Parquet files, equal to rounding."""
    store = Store(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_and_store(store, mini_path, members=2500, seed=3).results
    with store.catalogue() as con:
        con.execute("ALTER TABLE summaries DROP COLUMN measures")
        con.execute("UPDATE store_meta SET value = '1' WHERE key = 'schema_version'")
    again = Store(tmp_path).open_run(results.run_id)
    for policy in results.policies:
        np.testing.assert_array_equal(
            again.sums.decoupled_by_step[policy], results.sums.decoupled_by_step[policy]
        )
        for sums in ("horizon_sum", "horizon_sq", "diff_sum", "diff_sq"):
            np.testing.assert_allclose(
                getattr(again.sums, sums)[policy],
                getattr(results.sums, sums)[policy],
                rtol=1e-12,
                atol=1e-9,
            )
    new, old = again.summary(), results.summary()
    for policy in results.policies:
        assert (
            new.policies[policy].p_decoupling_by_step == old.policies[policy].p_decoupling_by_step
        )
        for name, entry in old.policies[policy].indicators.items():
            mean = new.policies[policy].indicators[name]["mean"]
            assert mean == pytest.approx(entry["mean"], rel=1e-12)
            assert new.policies[policy].indicators[name]["q50"] == entry["q50"]
    with store.catalogue() as con:
        assert con.execute("SELECT value FROM store_meta").fetchone() == (str(SCHEMA_VERSION),)
        assert con.execute("SELECT count(measures) FROM summaries").fetchone() == (0,)


def test_a_store_whose_path_holds_quotes_and_glob_characters(tmp_path, mini_path) -> None:
    """The run's files are listed, not globbed: a decoy the glob would match is never read."""
    decoy = Store(tmp_path / "it's a decoy store")
    odd = Store(tmp_path / "it's [a] *store")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_and_store(decoy, mini_path, members=50, seed=5)
        results = run_and_store(odd, mini_path, members=300, seed=2).results
    again = odd.open_run(results.run_id)
    assert again.directory == odd.runs_dir / results.run_id
    assert again.summary().to_dict() == results.summary().to_dict()
    assert len(again.parameters()) == 300
    written = odd.export(results.run_id, "csv", tmp_path / "out [csv?]")
    trajectories = pd.read_csv(next(p for p in written if p.name == "trajectories.csv"))
    assert len(trajectories) == 300 * len(results.policies) * (results.model.horizon + 1)


def test_a_store_under_a_question_mark_is_refused_clearly(tmp_path) -> None:
    """DuckDB cannot write its catalogue's log under a '?' (run directories are fine)."""
    with pytest.raises(InputError, match="holding '\\?'"):
        Store(tmp_path / "which store?").runs()


def test_waiting_for_the_catalogue_never_overflows() -> None:
    """Retries back off to 0.1 s and stay there, however long a process waits."""
    from alliancesim.store.locks import _retry_delay

    assert _retry_delay(0) == 0.005
    assert _retry_delay(2_000) == 0.1
