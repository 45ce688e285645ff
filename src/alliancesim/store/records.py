"""What the store says about a run (its catalogue record) and where the store lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["HOME_VARIABLE", "RunRecord", "default_home"]

HOME_VARIABLE = "ALLIANCESIM_HOME"


def default_home() -> Path:
    """Where the store lives: ``$ALLIANCESIM_HOME``, else the platform's user data directory
    (platformdirs): ``~/.local/share/alliancesim`` on Linux (``$XDG_DATA_HOME/alliancesim``
    when that is set), ``~/Library/Application Support/alliancesim`` on macOS,
    ``%LOCALAPPDATA%\\alliancesim`` on Windows."""
    value = os.environ.get(HOME_VARIABLE)
    if value:
        return Path(value).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("alliancesim", appauthor=False))


@dataclass(frozen=True)
class RunRecord:
    """One stored run as the catalogue describes it."""

    run_id: str
    scenario_id: str
    scenario_title: str
    scenario_hash: str
    version: str
    seed: int
    members: int
    policies: list[str]
    record: str
    horizon: str
    steps: int
    started: datetime
    finished: datetime
    elapsed_seconds: float
    directory: Path
    files: int
    bytes: int
    claims_evaluated: bool
    p_decoupling: float | None  # under baseline, at the horizon (weighted over structures)
    p_decoupling_ci: tuple[float, float] | None
    structures: tuple[str, ...] = ("seed",)  # the structures run, in order
    weights: dict[str, float] | None = None  # the structures' weights (None: the priors)
    weights_source: str = ""  # where the weights come from, in words
    account_weights: dict[str, dict[str, float]] | None = None  # history's, per mechanism
    account_evidence: dict[str, dict[str, Any]] | None = None  # what history's weights rest on

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "run_id": self.run_id,
            "scenario": self.scenario_id,
            "scenario_title": self.scenario_title,
            "scenario_hash": self.scenario_hash,
            "version": self.version,
            "seed": self.seed,
            "members": self.members,
            "policies": self.policies,
            "record": self.record,
            "horizon": self.horizon,
            "steps": self.steps,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "elapsed_seconds": self.elapsed_seconds,
            "directory": str(self.directory),
            "files": self.files,
            "bytes": self.bytes,
            "claims_evaluated": self.claims_evaluated,
            "p_decoupling": self.p_decoupling,
            "p_decoupling_ci": list(self.p_decoupling_ci) if self.p_decoupling_ci else None,
            "structures": list(self.structures),
            "weights": self.weights,
            "weights_source": self.weights_source,
            "account_weights": self.account_weights,
            "account_evidence": self.account_evidence,
        }
