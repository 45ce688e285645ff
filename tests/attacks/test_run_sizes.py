"""The estimate the disk check relies on (:mod:`alliancesim.sizes`): it counts the columns the
runner stores, agrees with the engine's constants, and is never below what a real stored run
takes (nor wildly above)."""

from __future__ import annotations

from pathlib import Path

import pytest

from alliancesim import ensemble, runner, sizes
from alliancesim.model import compile_model
from alliancesim.scenario import builtin_scenarios, load_scenario
from alliancesim.store import Store
from alliancesim.structures import structures_to_run
from alliancesim.workflows import default_policies, run_and_store


@pytest.mark.parametrize("scenario_id", builtin_scenarios())
@pytest.mark.parametrize("record", ["all", "indicators"])
def test_the_columns_are_those_the_runner_stores(scenario_id: str, record: str) -> None:
    model = compile_model(load_scenario(scenario_id))
    assert sizes.recorded_columns(model, record) == len(ensemble.recorded_names(model, record))


def test_the_constants_are_the_engine_s() -> None:
    assert sizes.BLOCK_SIZE == ensemble.BLOCK_SIZE
    assert sizes.CHUNK_BLOCKS == ensemble.CHUNK_BLOCKS
    assert sizes.KEPT_IN_MEMORY == runner.IN_MEMORY_LIMIT


@pytest.mark.parametrize(
    ("scenario_id", "policies", "members"),
    [("us-rok-2025", 2, 2500), ("carter-1977", 1, 3000)],
)
def test_the_estimate_covers_a_real_stored_run(
    tmp_path: Path, scenario_id: str, policies: int, members: int
) -> None:
    scenario = load_scenario(scenario_id)
    names = default_policies(scenario)[:policies]
    structures = len(structures_to_run(scenario))  # the default design, as the dashboard counts
    cost = sizes.run_cost(compile_model(scenario), len(names) * structures, members)
    stored = run_and_store(Store(tmp_path), scenario, policies=names, members=members, seed=0)
    assert len(stored.results.structures) == structures
    files = [p for p in stored.record.directory.rglob("*") if p.is_file()]
    on_disk = sum(p.stat().st_size for p in files)
    assert on_disk <= cost.stored_bytes <= 2 * on_disk, (on_disk, cost.stored_bytes)
    assert cost.member_steps == members * policies * structures * stored.results.model.horizon


def test_the_largest_default_run_is_estimated_as_documented() -> None:
    scenario = load_scenario("us-rok-2025")
    cost = sizes.run_cost(compile_model(scenario), default_policies(scenario), 100_000)
    assert cost.describe() == (
        "100,000 worlds × 9 policies × 18 quarters (16,200,000 member-steps) will store about "
        "7.6 GB"
    )


def test_free_bytes_looks_at_the_nearest_existing_folder(tmp_path: Path) -> None:
    assert sizes.free_bytes(tmp_path / "not" / "yet") == sizes.free_bytes(tmp_path) > 0


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 bytes"), (999, "999 bytes"), (1500, "1.5 KB"), (4.76e9, "4.8 GB"), (250e6, "250 MB")],
)
def test_bytes_for_people(n: float, text: str) -> None:
    assert sizes.human_bytes(n) == text
