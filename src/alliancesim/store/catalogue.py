"""The DuckDB catalogue of the experiment store: its tables and how a process opens it.

One row per complete run in ``runs``; per run, one row per structure and policy in
``summaries`` (the numbers the run summary is computed from, so a stored run reopens with the
same summary; a run of several structures also has one row per policy for their weighted
combination, structure ``weighted``), one
row per uncertain parameter in ``parameters`` (its distribution and the range actually drawn),
one row per claim in ``claim_verdicts``; ``scenarios`` keeps each scenario definition once by
content hash; ``analyses`` holds results attached later (sensitivity indices, rankings…) to a
scenario hash and optionally a run. The bulky per-member trajectories are Parquet files beside
the catalogue, never in it.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from alliancesim.errors import InputError

__all__ = ["SCHEMA_VERSION", "connect"]

SCHEMA_VERSION = 4

_SUMMARIES = """
CREATE TABLE IF NOT EXISTS summaries (
    run_id VARCHAR NOT NULL,
    structure VARCHAR NOT NULL,  -- a structure, or 'weighted' for their combination (schema 3)
    policy VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    p_decoupling DOUBLE NOT NULL,
    p_decoupling_lo DOUBLE NOT NULL,
    p_decoupling_hi DOUBLE NOT NULL,
    decoupled_by_step BIGINT[],  -- NULL for the weighted combination
    horizon_sum DOUBLE[] NOT NULL,
    horizon_sq DOUBLE[] NOT NULL,
    diff_sum DOUBLE[],
    diff_sq DOUBLE[],
    summary JSON NOT NULL,
    measures VARCHAR[],  -- the names behind horizon_sum… (schema 2; NULL: not recorded)
    decoupled_sum DOUBLE[],  -- the weighted combination's sums by step (schema 3)
    decoupled_sq DOUBLE[],
    PRIMARY KEY (run_id, structure, policy)
)"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (
    scenario_hash VARCHAR PRIMARY KEY,
    scenario_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    definition JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    scenario_id VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    seed HUGEINT NOT NULL,
    members BIGINT NOT NULL,
    policies VARCHAR[] NOT NULL,
    record VARCHAR NOT NULL,
    horizon VARCHAR NOT NULL,
    steps INTEGER NOT NULL,
    started TIMESTAMP NOT NULL,  -- UTC
    finished TIMESTAMP NOT NULL,  -- UTC
    elapsed_seconds DOUBLE NOT NULL,
    status VARCHAR NOT NULL,
    directory VARCHAR NOT NULL,
    files INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    claims_evaluated BOOLEAN NOT NULL,
    structures VARCHAR[],  -- the structures run, in order (schema 3; NULL: ['seed'])
    weights JSON  -- the structures' weights and where they come from (schema 4; NULL: priors)
);
{_SUMMARIES};
CREATE TABLE IF NOT EXISTS parameters (
    run_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    distribution VARCHAR NOT NULL,
    drawn_min DOUBLE,
    drawn_mean DOUBLE,
    drawn_max DOUBLE,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS claim_verdicts (
    run_id VARCHAR NOT NULL,
    claim_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    verdict VARCHAR NOT NULL,
    share DOUBLE,
    share_lo DOUBLE,
    share_hi DOUBLE,
    n BIGINT,
    payload JSON NOT NULL,
    PRIMARY KEY (run_id, claim_id)
);
CREATE SEQUENCE IF NOT EXISTS analysis_ids START 1;
CREATE TABLE IF NOT EXISTS analyses (
    analysis_id BIGINT PRIMARY KEY DEFAULT nextval('analysis_ids'),
    scenario_hash VARCHAR NOT NULL,
    run_id VARCHAR,
    kind VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,  -- UTC
    payload JSON NOT NULL
);
"""


RUN_TABLES = ("runs", "summaries", "parameters", "claim_verdicts")
"""Tables whose rows belong to one run (deleted with it)."""


def connect(path: Path, timeout: float = 60.0) -> duckdb.DuckDBPyConnection:
    """Open the catalogue read-write, creating its tables on first use.

    Call only while holding the catalogue lock, and close the connection before releasing it.
    If a program outside alliancesim (a DuckDB shell, say) holds the file, retry until the
    timeout, then fail with a message naming the file.
    """
    if "?" in str(path):  # DuckDB names its write-ahead log by putting ".wal" before a "?"
        raise InputError.single(
            str(path),
            "DuckDB cannot keep a catalogue under a path holding '?'; choose another "
            "$ALLIANCESIM_HOME",
        )
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
    try:
        con.execute("SET threads TO 2")
        version = _schema_version(con)
        if version is None:
            con.execute("BEGIN TRANSACTION")
            con.execute(_SCHEMA)
            con.execute(
                "INSERT INTO store_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            con.execute("COMMIT")
        elif version > SCHEMA_VERSION:
            raise RuntimeError(
                f"the experiment store {path} was written by a newer alliancesim "
                f"(schema {version}, this version reads {SCHEMA_VERSION})"
            )
        elif version < SCHEMA_VERSION:
            _migrate(con, version)
    except BaseException:
        con.close()
        raise
    return con


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'"
    ).fetchone()
    if not row or row[0] == 0:
        return None
    found = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    return int(found[0]) if found else None


_MIGRATIONS = {
    # schema 1 -> 2: the names of the measures summed at the horizon, kept with the sums
    1: "ALTER TABLE summaries ADD COLUMN measures VARCHAR[]",
    # schema 2 -> 3: structures. A run's structures; summaries keyed by structure (every
    # earlier run has one, the seed's), the weighted combination's sums beside them
    2: f"""
ALTER TABLE runs ADD COLUMN IF NOT EXISTS structures VARCHAR[];
{_SUMMARIES.replace("TABLE IF NOT EXISTS summaries", "TABLE summaries_3")};
INSERT INTO summaries_3 (run_id, structure, policy, position, p_decoupling, p_decoupling_lo,
    p_decoupling_hi, decoupled_by_step, horizon_sum, horizon_sq, diff_sum, diff_sq, summary,
    measures)
SELECT run_id, 'seed', policy, position, p_decoupling, p_decoupling_lo, p_decoupling_hi,
    decoupled_by_step, horizon_sum, horizon_sq, diff_sum, diff_sq, summary, measures
FROM summaries;
DROP TABLE summaries;
ALTER TABLE summaries_3 RENAME TO summaries;
""",
    # schema 3 -> 4: the weights a run combined its structures with, and their source (history's
    # weights or the priors); earlier runs used the priors
    3: "ALTER TABLE runs ADD COLUMN IF NOT EXISTS weights JSON",
}


def _migrate(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Bring an older catalogue up to this schema, one version at a time, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    for step in range(version, SCHEMA_VERSION):
        con.execute(_MIGRATIONS[step])
    con.execute(
        "UPDATE store_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)]
    )
    con.execute("COMMIT")
