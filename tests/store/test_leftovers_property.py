"""Property: whatever mix of directories a crash leaves, recovery removes exactly the dead ones."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.store import staging

STATES = (
    "complete",
    "orphan",
    "dead_partial",
    "ownerless_partial",
    "live_partial",
    "trash",
    "foreign",
)
ids = st.from_regex(r"[0-9]{8}T[0-9]{6}-[a-f0-9]{6}", fullmatch=True)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(ids, st.sampled_from(STATES), max_size=12))
def test_leftovers_are_exactly_the_dead_entries(entries: dict[str, str]) -> None:
    root = Path(tempfile.mkdtemp())
    runs = root / "runs"
    runs.mkdir()
    live: list[staging.Staging] = []
    try:
        for run_id, state in entries.items():
            if state in ("complete", "orphan"):
                (runs / run_id / "trajectories").mkdir(parents=True)
            elif state == "dead_partial":
                (runs / f"{run_id}.partial").mkdir()
                (runs / f"{run_id}.partial" / ".owner").write_text("1\n")
            elif state == "ownerless_partial":
                (runs / f"{run_id}.partial").mkdir()
            elif state == "live_partial":
                live.append(staging.new_staging(runs, run_id))  # owned by this process
            elif state == "trash":
                (runs / f"{run_id}-x{staging.TRASH}").mkdir()
            else:
                (runs / f"{run_id}.notes").write_text("not ours")
        complete = {i for i, s in entries.items() if s == "complete"}
        found = staging.leftovers(runs, complete)

        def named(state: str, suffix: str = "") -> set[str]:
            return {f"{i}{suffix}" for i, s in entries.items() if s == state}

        assert {p.name for p in found.abandoned} == named("dead_partial", ".partial") | named(
            "ownerless_partial", ".partial"
        )
        assert {p.name for p in found.orphaned} == named("orphan")
        assert {p.name for p in found.trash} == named("trash", f"-x{staging.TRASH}")
    finally:
        for s in live:
            staging.release(s, discard=True)
        shutil.rmtree(root)
