"""The packaged calibration describes the packaged episodes: remake
``calibrated-dilemma.toml`` (``make calibration``) whenever an episode or a module an episode
includes changes. Cheap: the episodes' files are hashed as written, nothing is simulated."""

from __future__ import annotations

from pathlib import Path

from alliancesim.analysis.calibrate import RECALIBRATE, calibration_sources
from alliancesim.history_file import source_hash
from alliancesim.scenario.library import builtin_episodes

REMAKE = f"run `make calibration` ({RECALIBRATE})"


def test_the_packaged_calibration_matches_the_packaged_episodes():
    recorded = calibration_sources("calibrated-dilemma")
    assert recorded, f"calibrated-dilemma.toml records no episodes' hashes: {REMAKE}"
    episodes = set(builtin_episodes())
    assert set(recorded) == episodes, (
        f"calibrated-dilemma.toml was calibrated on other episodes (added: "
        f"{sorted(episodes - set(recorded))}, gone: {sorted(set(recorded) - episodes)}): {REMAKE}"
    )
    changed = sorted(e for e, known in recorded.items() if source_hash(e) != known)
    assert not changed, (
        f"{', '.join(changed)} changed since calibrated-dilemma.toml was calibrated: {REMAKE}"
    )


def test_the_packaged_calibration_names_its_episodes_in_every_source():
    text = Path(__file__).parents[2] / "src/alliancesim/scenario/library/calibrated-dilemma.toml"
    written = text.read_text(encoding="utf-8")
    episodes = ", ".join(sorted(builtin_episodes()))
    assert f'title = "Ranges calibrated on {episodes}"' in written
    sources = [line for line in written.splitlines() if line.startswith("source = ")]
    assert sources and all(f"calibrate on {episodes}, " in line for line in sources)


def test_make_calibration_runs_the_documented_command():
    root = Path(__file__).parents[2]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ncalibration:", 1)[1].splitlines()[1].strip()
    assert recipe == f"$(BIN)/{RECALIBRATE}"
    documented = " ".join((root / "docs" / "backtests.md").read_text(encoding="utf-8").split())
    assert " ".join(RECALIBRATE.replace(" \\", "").split()) in documented.replace(" \\ ", " ")
