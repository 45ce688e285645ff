"""A stored run's files are checked against the checksums recorded when it was stored
(hardening issue, items 10 and 11): a flipped byte or a truncated file is an error naming the
file, from every command that reads the run, never a silently wrong number."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from alliancesim.errors import InputError
from alliancesim.store import Store
from alliancesim.store.checksums import MANIFEST
from alliancesim.workflows import run_and_store


@pytest.fixture
def stored(tmp_path, monkeypatch):
    """A small stored run of us-rok-2019 and its store."""
    monkeypatch.setenv("ALLIANCESIM_HOME", str(tmp_path / "home"))
    store = Store()
    made = run_and_store(store, _scenario(), members=40, policies=["baseline"])
    return store, made.record


def _scenario():
    from alliancesim.scenario.loader import load_scenario

    return load_scenario("us-rok-2019")


def _block(record) -> Path:
    return sorted((record.directory / "trajectories").glob("*.parquet"))[0]


def test_the_manifest_lists_every_file_and_sha256sum_agrees(stored) -> None:
    _, record = stored
    manifest = (record.directory / MANIFEST).read_text().splitlines()
    listed = sorted(line.split("  ", 1)[1] for line in manifest)
    on_disk = sorted(
        p.relative_to(record.directory).as_posix()
        for p in record.directory.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )
    assert listed == on_disk and any(name.startswith("trajectories/") for name in listed)
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "--check", "--quiet", MANIFEST], cwd=record.directory, check=False
        )
        assert check.returncode == 0


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [_flip_a_byte, _truncate], ids=["flipped", "truncated"])
def test_a_damaged_file_is_an_error_naming_it(stored, damage) -> None:
    store, record = stored
    block = _block(record)
    damage(block)
    with pytest.raises(InputError) as caught:
        store.open_run(record.run_id)
    [problem] = caught.value.problems
    assert problem.file == str(block)
    assert "does not match the checksum recorded when it was stored" in problem.message
    assert f"alliancesim delete {record.run_id}" in problem.message
    with pytest.raises(InputError):
        store.export(record.run_id, "csv", block.parent.parent.parent / "out")


def test_a_missing_file_is_an_error_naming_it(stored) -> None:
    store, record = stored
    block = _block(record)
    block.unlink()
    with pytest.raises(InputError) as caught:
        store.open_run(record.run_id)
    assert caught.value.problems[0].file == str(block)
    assert "is missing this file" in caught.value.problems[0].message


@pytest.mark.parametrize(
    "args",
    [["report", "latest", "--out", "{tmp}/r.html"], ["export", "latest", "--out", "{tmp}/x"],
     ["compare", "--run", "latest"], ["claims", "--run", "latest", "--no-discover"]],
    ids=["report", "export", "compare", "claims"],
)  # fmt: skip
def test_every_command_reading_a_damaged_run_exits_2(stored, tmp_path, cli, args) -> None:
    _, record = stored
    _flip_a_byte(_block(record))
    code, _out, err = cli(*[a.format(tmp=tmp_path) for a in args])
    assert code == 2, err
    assert "does not match the checksum" in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "x").exists()


def test_a_run_stored_before_checksums_is_read_as_before(stored) -> None:
    store, record = stored
    (record.directory / MANIFEST).unlink()
    assert store.open_run(record.run_id).summary().members == 40


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("mine"), "exists and is not a directory"),
        (lambda p: (p.mkdir(), (p / "keep.txt").write_text("mine")), "exists and is not empty"),
    ],
    ids=["a-file", "a-full-directory"],
)
def test_export_never_writes_over_what_is_there(stored, tmp_path, cli, make, message) -> None:
    target = tmp_path / "target"
    make(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = cli("export", "latest", "--out", str(target))
    assert code == 2 and message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_export_where_nothing_can_be_written_exits_2(stored, cli) -> None:
    code, _, err = cli("export", "latest", "--out", "/proc/alliancesim/x")
    assert code == 2 and "cannot create the output directory here" in err


def test_an_export_that_fails_half_way_leaves_nothing(stored, tmp_path, monkeypatch) -> None:
    store, record = stored
    real = Store.export

    def fail_after_writing(self, reference, fmt, out):
        real(self, reference, fmt, out)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "export", fail_after_writing)
    from alliancesim.workflows import export_stored_run

    with pytest.raises(OSError):
        export_stored_run(store, record.run_id, "csv", tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == []
