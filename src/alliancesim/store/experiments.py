"""The experiment store: runs kept on disk, listed, reopened, exported and deleted.

Layout under ``$ALLIANCESIM_HOME`` (default ``~/.local/share/alliancesim``)::

    runs.duckdb               the catalogue (see catalogue.py)
    runs.duckdb.lock          the catalogue lock (see locks.py)
    runs/<run_id>/            a complete run: trajectories/block-NNNNNN.parquet,
                              parameters/block-NNNNNN.parquet
    runs/<run_id>.partial/    a run being simulated (see staging.py)

A run becomes visible in one step: its staging directory is renamed and its catalogue rows
inserted in one DuckDB transaction, both under the catalogue lock. A process killed at any
moment leaves either nothing visible or a complete run; leftovers are removed the next time
any process opens the store.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from alliancesim.errors import InputError
from alliancesim.ids import new_run_id
from alliancesim.jsonable import dumps
from alliancesim.model import Model
from alliancesim.results import Results
from alliancesim.runfiles import RunFiles
from alliancesim.store import catalogue
from alliancesim.store.checksums import (
    MANIFEST,
    hash_run_files,
    verify_run_files,
    write_manifest,
)
from alliancesim.store.locks import DEFAULT_TIMEOUT, catalogue_lock
from alliancesim.store.records import RunRecord, default_home
from alliancesim.store.staging import (
    RUN_ID,
    Leftovers,
    Staging,
    drop_owner,
    fsync_tree,
    leftovers,
    new_staging,
    release,
    trash_name,
)
from alliancesim.structures import SEED, WEIGHTED
from alliancesim.sums import PartialSums, WeightedSums

__all__ = ["Store"]

_RUN_COLUMNS = (
    "r.run_id, r.scenario_id, s.title, r.scenario_hash, r.version, r.seed, r.members, "
    "r.policies, r.record, r.horizon, r.steps, r.started, r.finished, r.elapsed_seconds, "
    "r.directory, r.files, r.bytes, r.claims_evaluated, b.p_decoupling, b.p_decoupling_lo, "
    "b.p_decoupling_hi, r.structures, r.weights"
)
_HEADLINE = (  # the summary a run is listed by: its one structure's, or the weighted combination
    "CASE WHEN len(coalesce(r.structures, ['seed'])) > 1 THEN 'weighted' "
    "ELSE coalesce(r.structures[1], 'seed') END"
)
_RUN_FROM = (
    "FROM runs r JOIN scenarios s USING (scenario_hash) "
    "LEFT JOIN summaries b ON b.run_id = r.run_id AND b.policy = 'baseline' "
    f"AND b.structure = {_HEADLINE} "
    "WHERE r.status = 'complete'"
)
_SUMMARY_COLUMNS = (
    "run_id, structure, policy, position, p_decoupling, p_decoupling_lo, p_decoupling_hi, "
    "decoupled_by_step, horizon_sum, horizon_sq, diff_sum, diff_sq, summary, measures, "
    "decoupled_sum, decoupled_sq"
)


@dataclass
class Store:
    """An experiment store at ``home``: a DuckDB catalogue and the runs' Parquet files.

    Opening a store removes what crashed processes left behind (see :meth:`recover`). No
    DuckDB connection is held between calls, so any number of processes can share a store.
    """

    home: Path = field(default_factory=default_home)
    timeout: float = DEFAULT_TIMEOUT
    recovered: Leftovers = field(init=False)

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser()
        self.recovered = self.recover()

    # -- paths and the catalogue ------------------------------------------------------------
    @property
    def catalogue_path(self) -> Path:
        """The DuckDB catalogue file."""
        return self.home / "runs.duckdb"

    @property
    def runs_dir(self) -> Path:
        """The directory of the runs' Parquet files."""
        return self.home / "runs"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with catalogue_lock(self.home / "runs.duckdb.lock", self.timeout):
            yield

    @contextmanager
    def catalogue(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The catalogue, open under the catalogue lock for the duration of the block."""
        with self._locked():
            con = catalogue.connect(self.catalogue_path, self.timeout)
            try:
                yield con
            finally:
                con.close()

    # -- crash recovery -----------------------------------------------------------------------
    def recover(self) -> Leftovers:
        """Remove what killed processes left: abandoned staging directories, run directories
        without a complete catalogue row, catalogue rows of runs whose files are gone."""
        if not self.home.exists():
            return Leftovers()
        with self.catalogue() as con:
            con.execute("BEGIN TRANSACTION")
            incomplete = [
                r[0]
                for r in con.execute(
                    "SELECT run_id FROM runs WHERE status <> 'complete'"
                ).fetchall()
            ]
            rows = con.execute(
                "SELECT run_id, directory FROM runs WHERE status = 'complete'"
            ).fetchall()
            missing = [rid for rid, d in rows if not (self.home / d).is_dir()]
            if self.runs_dir.is_dir():
                for rid in incomplete + missing:
                    _delete_rows(con, rid)
            con.execute("COMMIT")
            complete = {rid for rid, _ in rows} - set(missing)
            found = leftovers(self.runs_dir, complete)
            for path in found.abandoned + found.orphaned:
                shutil.rmtree(path, ignore_errors=True)
        for path in found.trash:
            shutil.rmtree(path, ignore_errors=True)
        return found

    # -- writing a run --------------------------------------------------------------------------
    @contextmanager
    def staging(self, run_id: str | None = None) -> Iterator[Staging]:
        """A fresh staging directory for a run; removed if the block fails."""
        with self._locked():
            staging = new_staging(self.runs_dir, run_id or new_run_id())
        try:
            yield staging
        finally:
            release(staging, discard=True)  # after a commit the staging directory is gone

    @contextmanager
    def preparing(self, staging: Staging) -> Iterator[None]:
        """Within the block, the finished run in ``staging`` is made ready to commit on another
        thread: its files hashed for the manifest and flushed to disk (both release the
        interpreter lock, so the second core does them while the block reads the run). The
        block ends once they are done; :meth:`commit` then takes the digests and finds the
        files flushed. A failure there is left for :meth:`commit`, which does the work again."""

        def prepare() -> None:
            with suppress(Exception):
                hash_run_files(staging.directory)
                fsync_tree(staging.directory)

        worker = threading.Thread(target=prepare, name="alliancesim-prepare-commit", daemon=True)
        worker.start()
        try:
            yield
        finally:
            worker.join()

    def commit(
        self, results: Results, staging: Staging, verdicts: list[dict[str, Any]] | None
    ) -> RunRecord:
        """Make a finished run visible: rename its directory and insert its catalogue rows (with
        its claim ``verdicts``, None when they were not evaluated) in one transaction, under the
        catalogue lock. Everything slow happens before the lock."""
        if results.directory != staging.directory:
            raise ValueError("the results were not written into this staging directory")
        summary = results.summary()
        summary_rows = _summary_rows(results)
        parameters = _parameter_rows(results)
        files = write_manifest(staging.directory)  # checked whenever the run is read
        _, size = fsync_tree(staging.directory)
        size -= (staging.directory / MANIFEST).stat().st_size  # the run's data, as before
        scenario = results.model.scenario
        definition = scenario.model_dump_json(warnings=False)
        finished = datetime.now(UTC)
        final = staging.final
        n = results.members
        with self.catalogue() as con:
            drop_owner(staging)
            staging.directory.rename(final)
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    "INSERT INTO scenarios VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [results.scenario_hash, scenario.id, scenario.scenario.title, definition],
                )
                con.execute(
                    "INSERT INTO runs (run_id, scenario_id, scenario_hash, version, seed, "
                    "members, policies, record, horizon, steps, started, finished, "
                    "elapsed_seconds, directory, files, bytes, claims_evaluated, structures, "
                    "weights, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, 'complete')",
                    [
                        results.run_id,
                        scenario.id,
                        results.scenario_hash,
                        _version(),
                        results.seed,
                        n,
                        list(results.policies),
                        results.record,
                        summary.horizon,
                        results.model.horizon,
                        _utc_naive(staging.started),
                        _utc_naive(finished),
                        results.elapsed,
                        final.relative_to(self.home).as_posix(),
                        files,
                        size,
                        verdicts is not None,
                        list(results.structures),
                        _weights_json(results),
                    ],
                )
                con.executemany(
                    f"INSERT INTO summaries ({_SUMMARY_COLUMNS}) VALUES "
                    f"({', '.join('?' * len(_SUMMARY_COLUMNS.split(', ')))})",
                    summary_rows,
                )
                if parameters:
                    con.executemany(
                        "INSERT INTO parameters VALUES (?, ?, ?, ?, ?, ?)",
                        [[results.run_id, *row] for row in parameters],
                    )
                for position, verdict in enumerate(verdicts or []):
                    share_ci = verdict.get("share_ci") or [None, None]
                    con.execute(
                        "INSERT INTO claim_verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            results.run_id,
                            str(verdict.get("claim_id")),
                            position,
                            str(verdict.get("verdict")),
                            verdict.get("share"),
                            share_ci[0],
                            share_ci[1],
                            verdict.get("n"),
                            dumps(verdict, indent=None),
                        ],
                    )
                con.execute("COMMIT")
            except BaseException:
                with suppress(Exception):
                    con.execute("ROLLBACK")
                shutil.rmtree(final, ignore_errors=True)
                raise
            results.files = results.files.moved_to(final)
            return self._record(con, results.run_id)

    # -- reading --------------------------------------------------------------------------------
    def runs(self, scenario: str | None = None) -> list[RunRecord]:
        """Complete runs, newest first (optionally of one scenario id)."""
        with self.catalogue() as con:
            where = " AND r.scenario_id = ?" if scenario else ""
            rows = con.execute(
                f"SELECT {_RUN_COLUMNS} {_RUN_FROM}{where} ORDER BY r.started DESC, r.run_id DESC",
                [scenario] if scenario else [],
            ).fetchall()
        return [self._from_row(row) for row in rows]

    def resolve(self, reference: str) -> str:
        """The run id meant by ``reference``: an id, a unique prefix of one, or ``latest``."""
        with self.catalogue() as con:
            if reference == "latest":
                row = con.execute(
                    f"SELECT r.run_id {_RUN_FROM} ORDER BY r.started DESC, r.run_id DESC LIMIT 1"
                ).fetchone()
                if row is None:
                    raise InputError.single("RUN_ID", f"the store {self.home} holds no runs yet")
                return str(row[0])
            if not RUN_ID.match(reference):
                raise InputError.single(
                    "RUN_ID", f"expected a run id such as 20250701T120000-ab12cd, got {reference!r}"
                )
            matches = [
                r[0]
                for r in con.execute(
                    f"SELECT r.run_id {_RUN_FROM} AND starts_with(r.run_id, ?) ORDER BY 1",
                    [reference],
                ).fetchall()
            ]
        if reference in matches:
            return reference
        if len(matches) == 1:
            return str(matches[0])
        if not matches:
            raise InputError.single(
                "RUN_ID", f"no stored run {reference!r} in {self.home} (see `alliancesim runs`)"
            )
        raise InputError.single(
            "RUN_ID", f"{reference!r} matches {len(matches)} runs: {', '.join(matches[:5])}…"
        )

    def get(self, reference: str) -> RunRecord:
        """The catalogue record of one run (id, unique prefix or ``latest``)."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            return self._record(con, run_id)

    def summary(self, reference: str, structure: str | None = None) -> dict[str, Any]:
        """The stored per-policy summary of a run, as `run --json` prints it: of its one
        structure, or of the weighted combination of its structures (``structure``: of that
        structure, or ``weighted``)."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            if structure is None:
                structure = self._headline(con, run_id)
            rows = con.execute(
                "SELECT policy, summary FROM summaries WHERE run_id = ? AND structure = ? "
                "ORDER BY position",
                [run_id, structure],
            ).fetchall()
        return {policy: json.loads(text) for policy, text in rows}

    def structure_summaries(self, reference: str) -> dict[str, dict[str, Any]]:
        """Every stored per-policy summary of a run, by structure (and ``weighted``)."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            rows = con.execute(
                "SELECT structure, policy, summary FROM summaries WHERE run_id = ? "
                "ORDER BY structure = 'weighted', list_position(coalesce(("
                "SELECT structures FROM runs WHERE run_id = ?), ['seed']), structure), position",
                [run_id, run_id],
            ).fetchall()
        out: dict[str, dict[str, Any]] = {}
        for structure, policy, text in rows:
            out.setdefault(structure, {})[policy] = json.loads(text)
        return out

    def _headline(self, con: duckdb.DuckDBPyConnection, run_id: str) -> str:
        row = con.execute(f"SELECT {_HEADLINE} FROM runs r WHERE run_id = ?", [run_id]).fetchone()
        return str(row[0]) if row else "seed"

    def claim_verdicts(self, reference: str) -> list[dict[str, Any]] | None:
        """The claim verdicts stored with a run, or None if they were not evaluated."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            evaluated = con.execute(
                "SELECT claims_evaluated FROM runs WHERE run_id = ?", [run_id]
            ).fetchone()
            rows = con.execute(
                "SELECT payload FROM claim_verdicts WHERE run_id = ? ORDER BY position", [run_id]
            ).fetchall()
        if not evaluated or not evaluated[0]:
            return None
        return [json.loads(r[0]) for r in rows]

    def parameters(self, reference: str) -> list[dict[str, Any]]:
        """The run's uncertain parameters: distribution and the range of values drawn."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            rows = con.execute(
                "SELECT name, distribution, drawn_min, drawn_mean, drawn_max FROM parameters "
                "WHERE run_id = ? ORDER BY name",
                [run_id],
            ).fetchall()
        keys = ("name", "distribution", "drawn_min", "drawn_mean", "drawn_max")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def open_run(self, reference: str) -> Results:
        """A stored run as :class:`Results`, reading its trajectories from the stored Parquet.

        Its summary, DuckDB views and xarray Dataset are those of the original run.
        """
        from alliancesim.model import compile_model
        from alliancesim.scenario.schema import Scenario

        run_id = self.resolve(reference)
        with self.catalogue() as con:
            record = self._record(con, run_id)
            definition = con.execute(
                "SELECT definition FROM scenarios WHERE scenario_hash = ?", [record.scenario_hash]
            ).fetchone()
            partials = con.execute(
                "SELECT structure, policy, decoupled_by_step, horizon_sum, horizon_sq, diff_sum, "
                "diff_sq, measures, decoupled_sum, decoupled_sq FROM summaries "
                "WHERE run_id = ? ORDER BY position",
                [run_id],
            ).fetchall()
        assert definition is not None
        try:
            scenario = Scenario.model_validate_json(definition[0])
        except ValueError as exc:
            raise InputError.single(
                str(self.catalogue_path),
                f"run {run_id} was made by alliancesim {record.version}; this version cannot "
                f"read its scenario any more ({str(exc).splitlines()[0]})",
            ) from None
        verify_run_files(record.directory, run_id)
        model = compile_model(scenario)
        files = RunFiles(record.directory, structured=bool(scenario.mechanisms))
        measures = _summary_measures(model, record.record)
        sums: dict[str, PartialSums] = {}
        for structure in record.structures:
            rows = [row for row in partials if row[0] == structure]
            if rows and all(row[7] == measures for row in rows):
                sums[structure] = PartialSums.from_rows(measures, [row[1:7] for row in rows])
            else:  # made by a version that summarised other measures: sum them from Parquet
                sums[structure] = PartialSums.from_files(
                    files.only(structure), record.policies, measures, model.horizon
                )
        results = Results(
            run_id=run_id,
            model=model,
            policies=list(record.policies),
            members=record.members,
            seed=record.seed,
            record=record.record,
            scenario_hash=record.scenario_hash,
            files=files,
            structure_sums=sums,
            elapsed=record.elapsed_seconds,
            weights=dict(record.weights or {}),
            weights_source=record.weights_source or ("priors" if scenario.mechanisms else ""),
            account_weights=dict(record.account_weights or {}),
            account_evidence=dict(record.account_evidence or {}),
        )
        if results.several:
            rows = [row for row in partials if row[0] == WEIGHTED]
            if rows and all(row[7] == measures for row in rows):
                results.weighted_sums = WeightedSums.from_rows(
                    measures,
                    results.weights,
                    [(row[1], row[8], row[9], *row[3:7]) for row in rows],
                )
            else:
                results.weighted_sums = WeightedSums.from_files(
                    files, results.weights, record.policies, measures, model.horizon
                )
        return results

    # -- analyses attached later ------------------------------------------------------------------
    def attach_analysis(
        self, kind: str, payload: Any, *, scenario_hash: str, run_id: str | None = None
    ) -> int:
        """Keep an analysis result (e.g. kind ``sensitivity``) for a scenario and optionally a
        run; reports show the newest of each kind. Returns the analysis id."""
        if run_id is not None:
            run_id = self.resolve(run_id)
        with self.catalogue() as con:
            row = con.execute(
                "INSERT INTO analyses (scenario_hash, run_id, kind, created, payload) "
                "VALUES (?, ?, ?, ?, ?) RETURNING analysis_id",
                [
                    scenario_hash,
                    run_id,
                    kind,
                    _utc_naive(datetime.now(UTC)),
                    dumps(payload, indent=None),
                ],
            ).fetchone()
        assert row is not None
        return int(row[0])

    def analyses(
        self,
        *,
        scenario_hash: str | None = None,
        run_id: str | None = None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Attached analyses, newest first, filtered by scenario hash, run and kind."""
        clauses, values = [], []
        for column, value in (("scenario_hash", scenario_hash), ("run_id", run_id), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.catalogue() as con:
            rows = con.execute(
                "SELECT analysis_id, scenario_hash, run_id, kind, created, payload FROM analyses "
                f"{where} ORDER BY created DESC, analysis_id DESC",
                values,
            ).fetchall()
        return [
            {
                "analysis_id": r[0],
                "scenario_hash": r[1],
                "run_id": r[2],
                "kind": r[3],
                "created": r[4].replace(tzinfo=UTC).isoformat(),
                "payload": json.loads(r[5]),
            }
            for r in rows
        ]

    # -- export and delete ----------------------------------------------------------------------
    def export(self, reference: str, fmt: str, out: Path) -> list[Path]:
        """Write a run's trajectories, parameters, summary and claims into ``out`` as Parquet or
        CSV (one file per table) plus JSON (``structures.json``: each structure's summary and
        their weighted combination's, for a run of other structures than the seed alone);
        returns the files written."""
        if fmt not in ("parquet", "csv"):
            raise InputError.single("--format", f"expected parquet or csv, got {fmt!r}")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError.single(str(out), "output directory exists and is not empty")
        record = self.get(reference)
        summary = self.summary(record.run_id)
        claims = self.claim_verdicts(record.run_id)
        parameters = self.parameters(record.run_id)
        verify_run_files(record.directory, record.run_id)
        out.mkdir(parents=True, exist_ok=True)
        written = RunFiles(record.directory).export(out, fmt)
        documents: list[tuple[str, Any]] = [
            ("run.json", record.to_dict()),
            ("summary.json", summary),
            ("claims.json", claims),
            ("parameter_ranges.json", parameters),
        ]
        if record.structures != (SEED,):
            documents.append(("structures.json", self.structure_summaries(record.run_id)))
        for name, data in documents:
            path = out / name
            path.write_text(dumps(data) + "\n")
            written.append(path)
        return written

    def delete(self, reference: str) -> RunRecord:
        """Remove a run: its catalogue rows first (in one transaction), then its files."""
        run_id = self.resolve(reference)
        with self.catalogue() as con:
            record = self._record(con, run_id)
            con.execute("BEGIN TRANSACTION")
            _delete_rows(con, run_id)
            con.execute("DELETE FROM analyses WHERE run_id = ?", [run_id])
            con.execute("COMMIT")
            trash = trash_name(record.directory)
            with suppress(FileNotFoundError):
                record.directory.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
        return record

    # -- helpers ----------------------------------------------------------------------------------
    def _record(self, con: duckdb.DuckDBPyConnection, run_id: str) -> RunRecord:
        row = con.execute(
            f"SELECT {_RUN_COLUMNS} {_RUN_FROM} AND r.run_id = ?", [run_id]
        ).fetchone()
        if row is None:
            raise InputError.single("RUN_ID", f"no stored run {run_id!r} in {self.home}")
        return self._from_row(row)

    def _from_row(self, row: tuple[Any, ...]) -> RunRecord:
        (run_id, sid, title, shash, version, seed, members, policies, record, horizon, steps,
         started, finished, elapsed, directory, files, size, claims, p, lo, hi,
         structures, weights) = row  # fmt: skip
        stored = json.loads(weights) if weights else {}
        return RunRecord(
            run_id=run_id,
            scenario_id=sid,
            scenario_title=title,
            scenario_hash=shash,
            version=version,
            seed=int(seed),
            members=int(members),
            policies=list(policies),
            record=record,
            horizon=horizon,
            steps=int(steps),
            started=started.replace(tzinfo=UTC),
            finished=finished.replace(tzinfo=UTC),
            elapsed_seconds=float(elapsed),
            directory=self.home / directory,
            files=int(files),
            bytes=int(size),
            claims_evaluated=bool(claims),
            p_decoupling=p,
            p_decoupling_ci=(lo, hi) if lo is not None else None,
            structures=tuple(structures or (SEED,)),
            weights=stored.get("weights"),
            weights_source=str(stored.get("source", "")),
            account_weights=stored.get("accounts"),
            account_evidence=stored.get("evidence"),
        )


def _weights_json(results: Results) -> str | None:
    """The run's structure weights and their source, as the catalogue keeps them."""
    if not results.structured:
        return None
    return dumps(
        {
            "weights": results.weights,
            "source": results.weights_source,
            "accounts": results.account_weights,
            "evidence": results.account_evidence,
        },
        indent=None,
    )


def _delete_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    for table in catalogue.RUN_TABLES:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])


def _utc_naive(moment: datetime) -> datetime:
    """The catalogue keeps times as naive UTC timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _version() -> str:
    from alliancesim import __version__

    return __version__


def _parameter_rows(results: Results) -> list[tuple[str, str, float, float, float]]:
    """(name, distribution, min, mean, max drawn) of each sampled parameter of the run."""
    specs = {p.name: p for p in results.model.parameters}
    out = []
    for name, *drawn in results.files.parameter_ranges():
        spec = specs.get(name)
        distribution = spec.value.describe() if spec is not None else ""
        out.append((name, distribution, *drawn))
    return out


def _summary_rows(results: Results) -> list[list[Any]]:
    """The catalogue's summaries rows of a run: per structure and policy, and per policy for
    the weighted combination of several structures."""
    rows: list[list[Any]] = []
    for structure in results.structures:
        part = results.structure(structure)
        summary = part.summary()
        for position, (policy, p) in enumerate(summary.policies.items()):
            rows.append(
                [
                    results.run_id,
                    structure,
                    policy,
                    position,
                    p.p_decoupling,
                    p.p_decoupling_ci[0],
                    p.p_decoupling_ci[1],
                    *part.sums.row(policy),
                    dumps(p.to_dict(), indent=None),
                    part.sums.measures,
                    None,
                    None,
                ]
            )
    if results.several:
        weighted = results.weighted_sums
        assert weighted is not None
        for position, (policy, p) in enumerate(results.summary().policies.items()):
            decoupled_sum, decoupled_sq, *horizon = weighted.row(policy)
            rows.append(
                [
                    results.run_id,
                    WEIGHTED,
                    policy,
                    position,
                    p.p_decoupling,
                    p.p_decoupling_ci[0],
                    p.p_decoupling_ci[1],
                    None,
                    *horizon,
                    dumps(p.to_dict(), indent=None),
                    weighted.measures,
                    decoupled_sum,
                    decoupled_sq,
                ]
            )
    return rows


def _summary_measures(model: Model, record: str) -> list[str]:
    """The measures, in order, behind a run's horizon sums (the engine decides them)."""
    from alliancesim.ensemble import summary_names

    return summary_names(model, record)
