from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from alliancesim.runner import run

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def alliance_path() -> Path:
    """A small alliance scenario with a feedback loop, a recommendation and a counterfactual."""
    return DATA / "alliance.toml"


@pytest.fixture(scope="session")
def alliance_run(alliance_path: Path):
    """An in-memory run of it under baseline and both policies."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(alliance_path, members=400, seed=5)


@pytest.fixture
def verdicts() -> list[dict]:
    """Claim verdicts as `ClaimVerdict.to_dict()` gives them (three kinds)."""
    thresholds = {"supported": "lower bound > 0.6", "rejected": "upper bound < 0.4"}
    base = {"n": 400, "tie_share": 0.25, "thresholds": thresholds, "failure_note": ""}
    return [
        {
            **base,
            "claim_id": "withdrawal_feeds_fear",
            "statement": "A unilateral withdrawal raises Seoul's fear of abandonment.",
            "seed": "000_ea92047b3d6a092b.txt",
            "quote": "the Trump administration might take actions that feed abandonment fears in Seoul",
            "comparison": "fear_abandonment.ROK at 2027Q2: baseline > no_withdrawal",
            "statistic": "member",
            "share": 0.97,
            "share_ci": [0.95, 0.98],
            "verdict": "supported",
            "failure_box": None,
        },
        {
            **base,
            "claim_id": "maybe",
            "statement": "Something < that & depends.",
            "seed": None,
            "quote": None,
            "source": "assumption: a test",
            "comparison": "cohesion at 2027Q2: consult_first > baseline",
            "statistic": "member",
            "share": 0.5,
            "share_ci": [0.45, 0.55],
            "verdict": "contested",
            "failure_box": {
                "description": "rules.fear_feeds_hedging.weight ≥ 0.3",
                "coverage": 0.8,
                "density": 0.7,
            },
        },
        {
            **base,
            "claim_id": "wrong",
            "statement": "Consulting raises hedging.",
            "seed": None,
            "quote": None,
            "source": None,
            "comparison": "nuclear_hedging.ROK at 2027Q2: consult_first > baseline",
            "statistic": "mean",
            "share": 0.0,
            "share_ci": [0.0, 0.01],
            "mean_difference": -0.07,
            "mean_difference_ci": [-0.08, -0.06],
            "verdict": "rejected",
            "failure_box": None,
        },
    ]
