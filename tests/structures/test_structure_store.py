"""A run of several structures in the experiment store: kept per structure and combined, listed
by its weighted answer, reopened with the same summary, exported with its structures; and a
catalogue written before structures existed opens and migrates."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from alliancesim.store import Store
from alliancesim.store.catalogue import SCHEMA_VERSION
from alliancesim.workflows import run_and_store

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy.toml"
MINI = Path(__file__).resolve().parents[1] / "report" / "data" / "alliance.toml"


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("home"))
    made = run_and_store(store, TOY, members=500, seed=2)
    return store, made


def test_the_run_is_listed_by_its_weighted_answer(stored):
    store, made = stored
    (record,) = store.runs()
    assert record.structures == ("seed", "consult=costly", "burden=leverage")
    weighted = made.results.summary().policies["baseline"]
    assert record.p_decoupling == weighted.p_decoupling
    assert record.p_decoupling_ci == tuple(weighted.p_decoupling_ci)
    assert record.to_dict()["structures"] == list(record.structures)


def test_a_reopened_run_has_the_same_summaries_and_sums(stored):
    store, made = stored
    again = store.open_run(made.record.run_id)
    assert again.structures == made.results.structures
    assert again.weights == made.results.weights
    assert again.summary().to_dict() == made.results.summary().to_dict()
    for structure in again.structures:
        mine, theirs = again.structure(structure).sums, made.results.structure(structure).sums
        for policy in again.policies:
            np.testing.assert_array_equal(
                mine.decoupled_by_step[policy], theirs.decoupled_by_step[policy]
            )
            np.testing.assert_array_equal(mine.diff_sum[policy], theirs.diff_sum[policy])
    for policy in again.policies:
        np.testing.assert_array_equal(
            again.weighted_sums.diff_sq[policy], made.results.weighted_sums.diff_sq[policy]
        )
        np.testing.assert_array_equal(
            again.weighted_sums.decoupled_sum[policy],
            made.results.weighted_sums.decoupled_sum[policy],
        )


def test_stored_summaries_by_structure(stored):
    store, made = stored
    run_id = made.record.run_id
    summary = made.results.summary()
    assert store.summary(run_id) == json.loads(
        json.dumps({p: v.to_dict() for p, v in summary.policies.items()})
    )
    seed = store.summary(run_id, "seed")
    assert seed["baseline"]["p_decoupling"] == summary.structures["seed"]["baseline"].p_decoupling
    every = store.structure_summaries(run_id)
    assert list(every) == ["seed", "consult=costly", "burden=leverage", "weighted"]


def test_claims_are_stored_combined_with_each_structure(stored):
    store, made = stored
    (claim,) = store.claim_verdicts(made.record.run_id)
    assert claim["verdict"] == "split"
    assert set(claim["structures"]) == set(made.results.structures)
    assert claim["structures"]["consult=costly"]["verdict"] == "fails by construction"


def test_an_export_keeps_the_structures(stored, tmp_path):
    store, made = stored
    written = store.export(made.record.run_id, "parquet", tmp_path / "out")
    names = {p.name for p in written}
    assert "structures.json" in names
    table = pq.read_table(tmp_path / "out" / "trajectories.parquet")
    assert table.column_names[0] == "structure"
    assert set(table.column("structure").to_pylist()) == set(made.results.structures)
    assert len(table) == 500 * 3 * 2 * 3  # members × structures × policies × steps


_V2_SUMMARIES = """
CREATE TABLE summaries_2 (
    run_id VARCHAR NOT NULL,
    policy VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    p_decoupling DOUBLE NOT NULL,
    p_decoupling_lo DOUBLE NOT NULL,
    p_decoupling_hi DOUBLE NOT NULL,
    decoupled_by_step BIGINT[] NOT NULL,
    horizon_sum DOUBLE[] NOT NULL,
    horizon_sq DOUBLE[] NOT NULL,
    diff_sum DOUBLE[],
    diff_sq DOUBLE[],
    summary JSON NOT NULL,
    measures VARCHAR[],
    PRIMARY KEY (run_id, policy)
);
INSERT INTO summaries_2 SELECT run_id, policy, position, p_decoupling, p_decoupling_lo,
    p_decoupling_hi, decoupled_by_step, horizon_sum, horizon_sq, diff_sum, diff_sq, summary,
    measures FROM summaries;
DROP TABLE summaries;
ALTER TABLE summaries_2 RENAME TO summaries;
ALTER TABLE runs DROP COLUMN structures;
UPDATE store_meta SET value = '2' WHERE key = 'schema_version';
"""


def test_a_catalogue_from_before_structures_opens_and_migrates(tmp_path):
    """A schema-2 catalogue (summaries keyed by policy alone) is migrated: its runs are the
    seed's, listed and reopened with the same summary."""
    store = Store(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = run_and_store(store, MINI, members=300, seed=3).results
    before = store.runs()[0]
    with store.catalogue() as con:
        con.execute(_V2_SUMMARIES)
    migrated = Store(tmp_path)
    with migrated.catalogue() as con:
        assert con.execute("SELECT value FROM store_meta").fetchone() == (str(SCHEMA_VERSION),)
        structures = con.execute("SELECT DISTINCT structure FROM summaries").fetchall()
        assert structures == [("seed",)]
    (record,) = migrated.runs()
    assert record.structures == ("seed",)
    assert record.p_decoupling == before.p_decoupling
    again = migrated.open_run(results.run_id)
    assert again.summary().to_dict() == results.summary().to_dict()
    assert migrated.summary(results.run_id) == store.summary(results.run_id)
