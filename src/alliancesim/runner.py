"""``run``: simulate a scenario over an ensemble under each policy (and each structure of its
contested mechanisms) and collect the results."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from alliancesim.draws import blocks_of, check_seed
from alliancesim.ensemble import recorded_names, run_blocks, scenario_hash, summary_names
from alliancesim.errors import InputError
from alliancesim.executors import using_executor
from alliancesim.ids import new_run_id
from alliancesim.model import Model, compile_model
from alliancesim.results import Results
from alliancesim.runfiles import RunFiles
from alliancesim.scenario.loader import load_scenario
from alliancesim.scenario.schema import Scenario
from alliancesim.scratch import new_scratch_folder
from alliancesim.sizes import check_run_fits, run_cost, useful_workers
from alliancesim.structures import structure_weights, structures_to_run, weights_caveat
from alliancesim.sums import PartialSums, WeightedSums

__all__ = ["DEFAULT_MEMBERS", "DEFAULT_SCENARIO", "IN_MEMORY_LIMIT", "account_weights", "run"]

DEFAULT_SCENARIO = "us-rok-2025"
DEFAULT_MEMBERS = 2000
IN_MEMORY_LIMIT = 512 * 2**20
"""Runs whose trajectories would exceed this many bytes stream to Parquet files instead."""


def _policies(model: Model, requested: Sequence[str] | None) -> list[str]:
    names = list(requested) if requested else list(model.scenario.policy_ids)
    out = ["baseline"] + [p for p in names if p != "baseline"]
    for name in out:
        model.policy(name)  # raises InputError for unknown or conflicting policies
    seen: list[str] = []
    for name in out:
        if name not in seen:
            seen.append(name)
    return seen


def run(
    scenario: Scenario | str | Path = DEFAULT_SCENARIO,
    policies: Sequence[str] | None = None,
    members: int = DEFAULT_MEMBERS,
    seed: int = 0,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    dask_local: bool = False,
    directory: Path | None = None,
    record: str = "all",
    on_block: Callable[[int, int], None] | None = None,
    run_id: str | None = None,
    structures: str | Sequence[str] | None = None,
    weights: str | Path = "history",
    hash_files: bool = False,
) -> Results:
    """Simulate ``members`` plausible worlds of the scenario under each policy (and baseline)
    and each structure.

    ``structures``: for a scenario with contested mechanisms, the structures to run: None for
    the seed and each rival account alone, ``"all"`` for every combination, or a list of
    structures (``"seed"``, ``"consult=costly_signal"``…); a scenario without mechanisms has
    one, ``seed``. Every policy under every structure sees the same parameter draws and random
    events (paired comparisons). The same scenario, seed, members and structures give
    bit-identical results with any executor. ``weights`` says how the structures are weighed
    in their combination: ``"history"`` (history's weights of the accounts, from the packaged
    weights file, where they exist and are fresh; the priors elsewhere), ``"prior"`` (the
    accounts' priors), or a weights file written by ``alliancesim structures --write``; the
    results say which (``weights_source``). Trajectories go to ``directory`` as Parquet when
    given (or when too large for memory, to a temporary one); ``hash_files``: each file is
    hashed as it is written, beside the write (for the store's manifest). ``on_block(done,
    total)`` reports progress.
    """
    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario)
    if members < 1:
        raise InputError.single("--members", f"members must be at least 1, got {members}")
    check_seed(seed)
    if record not in ("all", "indicators"):
        raise InputError.single("--record", f"record must be 'all' or 'indicators', got {record!r}")
    model = compile_model(scenario)
    names = _policies(model, policies)
    chosen = structures_to_run(scenario, structures)
    accounts, weights_source, evidence = account_weights(scenario, weights)
    structure_weights_ = structure_weights(chosen, accounts)
    weights_source += weights_caveat(chosen, accounts, structure_weights_)
    size = members * len(names) * (model.horizon + 1) * (len(recorded_names(model, record)) + 3) * 8
    size *= len(structure_weights_)
    keep = size <= IN_MEMORY_LIMIT
    cost = run_cost(model, len(names) * len(structure_weights_), members, record)
    writes_to = Path(directory) if directory is not None else None
    if writes_to is None and not keep:
        writes_to = Path(tempfile.gettempdir())
    check_run_fits(cost, workers=workers, directory=writes_to)
    workers = useful_workers(members, workers)
    scratch = None
    if directory is None and not keep:  # removed when no one reads it (alliancesim.scratch)
        scratch = new_scratch_folder()
        directory = scratch.directory
    run_id = run_id or new_run_id()  # named by its start time
    structured = bool(scenario.mechanisms)
    files = RunFiles(
        Path(directory) if directory is not None else None,
        structured=structured,
        hashed=hash_files,
        scratch=scratch,
    )
    measures = summary_names(model, record)
    sums = {name: PartialSums(measures) for name in structure_weights_}
    weighted = WeightedSums(measures, structure_weights_) if len(structure_weights_) > 1 else None
    total = len(blocks_of(members))
    window = max(2, 2 * max(workers, 1))
    try:
        with using_executor(executor, workers, scheduler, dask_local) as pool:
            started = time.perf_counter()
            outputs = run_blocks(
                scenario,
                names,
                members,
                seed,
                pool,
                record=record,
                window=window,
                structures=structure_weights_,
            )
            for done, output in enumerate(outputs, 1):
                files.add_block(output.index, output.trajectories, output.parameters, keep=keep)
                for name, part in output.sums.items():
                    sums[name].merge(part)
                if weighted is not None and output.weighted is not None:
                    weighted.merge(output.weighted)
                if on_block is not None:
                    on_block(done, total)
    except BaseException:
        if scratch is not None:
            scratch.remove()  # a failed or interrupted run leaves no files behind
        raise
    return Results(
        run_id=run_id,
        model=model,
        policies=names,
        members=members,
        seed=seed,
        record=record,
        scenario_hash=scenario_hash(scenario),
        files=files,
        structure_sums=sums,
        elapsed=time.perf_counter() - started,
        weighted_sums=weighted,
        weights=structure_weights_,
        weights_source=weights_source,
        account_weights=accounts or {},
        account_evidence=evidence,
    )


def account_weights(
    scenario: Scenario, weights: str | Path = "history"
) -> tuple[dict[str, dict[str, float]] | None, str, dict[str, dict[str, Any]]]:
    """The accounts' weights a run of the scenario uses (None: the priors), where they come
    from, in words — ``"history"`` (the packaged or ``$ALLIANCESIM_HISTORY_WEIGHTS`` file),
    ``"prior"``, or a weights file's path — and what history's weights rest on
    (:meth:`~alliancesim.history_file.HistoryWeights.evidence`; empty for the priors)."""
    if not scenario.mechanisms:
        return None, "", {}
    if str(weights) == "prior":
        return None, "priors", {}
    from alliancesim.history_file import history_weights

    if str(weights) != "history" and not Path(weights).exists():
        raise InputError.single(
            "--weights",
            f"expected 'history', 'prior' or a weights file (alliancesim structures --write), "
            f"got {str(weights)!r}",
        )
    found = history_weights(scenario, None if str(weights) == "history" else Path(weights))
    return (found.accounts or None), found.describe(), found.evidence()
