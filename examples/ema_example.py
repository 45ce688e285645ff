"""Explore a scenario with EMA Workbench: sample worlds × policies, then find where it decouples.

    .venv/bin/python examples/ema_example.py                 # us-rok-2025, 100 worlds
    .venv/bin/python examples/ema_example.py --scenarios 500 --workers 2
    .venv/bin/python examples/ema_example.py path/to/scenario.toml --scenarios 50

The scenario becomes an ``ema_workbench.Model`` (alliancesim.ema.ema_model): its uncertain
numbers are the uncertainties, ``alliance_policy`` (the seeds' recommendations) is the lever,
its indicators and ``p_decoupling`` are the outcomes. Each experiment simulates one sampled
world on a few replicate event streams. The script then runs EMA's PRIM on the experiments in
which decoupling is more likely than not under the baseline.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="us-rok-2025")
    parser.add_argument("--scenarios", type=int, default=100, help="sampled worlds")
    parser.add_argument("--replicates", type=int, default=4, help="event streams per experiment")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    warnings.simplefilter("ignore")  # EMA's optional-dependency notices
    from ema_workbench import MultiprocessingEvaluator, Sample, SequentialEvaluator
    from ema_workbench.analysis import prim

    from alliancesim.ema import LEVER, ema_model

    model = ema_model(args.scenario, replicates=args.replicates)
    print(
        f"{model.name}: {len(model.uncertainties)} uncertainties, "
        f"levers {[c.value for c in model.levers[LEVER].categories]}, "
        f"outcomes {[o.name for o in model.outcomes]}"
    )
    policies = [Sample(c.value, **{LEVER: c.value}) for c in model.levers[LEVER].categories]
    evaluator = (
        MultiprocessingEvaluator(model, n_processes=args.workers)
        if args.workers > 1
        else SequentialEvaluator(model)
    )
    with evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=args.scenarios, policies=policies
        )

    print("\nmean P(decoupling) over the sampled worlds, per policy:")
    for policy in experiments[LEVER].unique():
        mask = (experiments[LEVER] == policy).to_numpy()
        print(f"  {policy:<28} {np.mean(outcomes['p_decoupling'][mask]):.3f}")

    baseline = (experiments[LEVER] == "baseline").to_numpy()
    x = experiments.loc[baseline, [u.name for u in model.uncertainties]].reset_index(drop=True)
    y = outcomes["p_decoupling"][baseline] > 0.5
    print(f"\nbaseline worlds where decoupling is more likely than not: {y.sum()} of {len(y)}")
    if y.sum() >= 5:
        found = prim.Prim(x, y.astype(int)).find_box()
        print(found.peeling_trajectory.tail(5).to_string())
        initial, chosen = found.box_lims[0], found.box_lim
        restricted = [c for c in chosen.columns if not chosen[c].equals(initial[c])]
        print("\nthe last box restricts:")
        print(chosen[restricted].T.rename(columns={0: "low", 1: "high"}).to_string())


if __name__ == "__main__":
    main()
