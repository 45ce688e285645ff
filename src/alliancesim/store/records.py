"""What the store says about a run: its catalogue record, its claim verdicts, and the small
helpers that turn results into plain JSON data for the catalogue."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from alliancesim.errors import InputError
from alliancesim.results import Results

__all__ = [
    "HOME_VARIABLE",
    "ClaimsOutcome",
    "RunRecord",
    "default_home",
    "evaluate_claims",
    "plain",
]

HOME_VARIABLE = "ALLIANCESIM_HOME"


def default_home() -> Path:
    """Where the store lives: ``$ALLIANCESIM_HOME``, else ``~/.local/share/alliancesim``."""
    value = os.environ.get(HOME_VARIABLE)
    if value:
        return Path(value).expanduser()
    return Path.home() / ".local" / "share" / "alliancesim"


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: NumPy numbers and arrays unwrapped, NaN and inf as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return plain(value.to_dict())
    return value


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
    p_decoupling: float | None  # under baseline, at the horizon
    p_decoupling_ci: tuple[float, float] | None

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
        }


@dataclass
class ClaimsOutcome:
    """The claim verdicts computed for a run, or why there are none."""

    verdicts: list[dict[str, Any]] | None
    note: str = ""


def evaluate_claims(results: Results) -> ClaimsOutcome:
    """The scenario's claims checked on this run (``alliancesim.claims.check_claims``).

    None (with the reason) when the claims module is not available or the run cannot answer
    the claims, e.g. because a policy a claim compares was not run. A run is worth keeping
    even if checking its claims fails unexpectedly: that failure is reported as a warning and
    the run stored without verdicts.
    """
    if not results.model.scenario.claims:
        return ClaimsOutcome([], "the scenario makes no claims")
    try:
        from alliancesim.claims import check_claims
    except ImportError:
        return ClaimsOutcome(None, "claims not evaluated: alliancesim.claims is not available")
    try:
        verdicts = check_claims(results)
    except InputError as exc:
        return ClaimsOutcome(None, f"claims not evaluated: {exc}")
    except Exception as exc:  # a bug in the claims must not lose the run
        warnings.warn(f"checking the claims failed: {exc!r}", RuntimeWarning, stacklevel=2)
        return ClaimsOutcome(None, f"claims not evaluated: checking them failed ({exc!r})")
    return ClaimsOutcome([plain(v.to_dict()) for v in verdicts])
