"""A process that stores one run, for the crash and concurrency tests.

    python child.py HOME SCENARIO MEMBERS SEED [--pause AT]

``--pause AT`` makes the process announce the moment (by creating ``HOME/paused-<AT>``) and
sleep there so the test can SIGKILL it exactly then: ``block`` after the first block is
written, ``rename`` after the staging directory is renamed (before the catalogue rows are
committed), ``commit`` just before the catalogue transaction commits.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from alliancesim.workflows import run_and_store


def _pause(home: Path, at: str) -> None:
    (home / f"paused-{at}").touch()
    time.sleep(600)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("home", type=Path)
    parser.add_argument("scenario")
    parser.add_argument("members", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--pause", choices=["block", "rename", "commit"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    from alliancesim.store import Store, catalogue

    if args.pause == "block":
        from alliancesim.runfiles import RunFiles

        add_block = RunFiles.add_block

        def add_then_pause(
            self: RunFiles, index: int, trajectories: bytes, parameters: bytes, *, keep: bool
        ) -> None:
            add_block(self, index, trajectories, parameters, keep=keep)
            _pause(args.home, "block")

        RunFiles.add_block = add_then_pause  # type: ignore[method-assign]
    elif args.pause == "rename":
        rename = Path.rename

        def rename_then_pause(self: Path, target: Path) -> Path:
            out = rename(self, target)
            if self.name.endswith(".partial"):
                _pause(args.home, "rename")
            return out

        Path.rename = rename_then_pause  # type: ignore[method-assign]
    elif args.pause == "commit":
        connect = catalogue.connect

        class PausingConnection:
            def __init__(self, con: object) -> None:
                self._con = con
                self._inserted_run = False

            def execute(self, sql: str, *params: object) -> object:
                if sql.lstrip().startswith("INSERT INTO runs"):
                    self._inserted_run = True
                if sql.strip().upper() == "COMMIT" and self._inserted_run:
                    _pause(args.home, "commit")
                return self._con.execute(sql, *params)

            def __getattr__(self, name: str) -> object:
                return getattr(self._con, name)

        def pausing_connect(*a: object, **k: object) -> object:
            return PausingConnection(connect(*a, **k))

        catalogue.connect = pausing_connect  # type: ignore[assignment]

    store = Store(args.home)
    results = run_and_store(store, args.scenario, members=args.members, seed=args.seed).results
    print(results.run_id, flush=True)


if __name__ == "__main__":
    main()
