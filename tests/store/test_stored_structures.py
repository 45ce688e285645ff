"""A run of several structures stored from files (too large for memory) is read at its final
place once committed: its structures' views follow the rename (the report of a just-stored
run reads every structure's trajectories after the commit)."""

from __future__ import annotations

from pathlib import Path

from alliancesim.store import Store
from alliancesim.workflows import robust_view_of_run, run_and_store

TOY = Path(__file__).parents[1] / "structures" / "data" / "toy.toml"


def test_structures_of_a_just_stored_run_read_its_final_files(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("alliancesim.runner.IN_MEMORY_LIMIT", 0)  # as a large run: on disk
    store = Store(tmp_path)
    made = run_and_store(store, TOY, members=60)  # its claims read each structure first
    assert made.results.several and not made.results.files.tables
    for name in made.results.structures:
        part = made.results.structure(name)
        assert part.files.directory == made.record.directory
        assert "trust.ROK.USA" in part.files.columns()
    view = robust_view_of_run(made.results)
    assert view is not None
