"""Back-tests and calibration: how long they take on the built-in episodes.

Prints two tables:

1. ``backtest`` per built-in episode: wall time for an ensemble of members (simulation and
   quantiles), and member-steps per second;
2. ``history_match`` on all built-in episodes: per wave, points × replicates × episodes simulated,
   wall time, simulated member-steps per second, and the share of points not ruled out;
3. ``calibrate --out-of-sample``: one history match per fold, then the fold's back-tests;
4. rival structures weighed by history, leave one episode out: every built-in episode under
   every structure it needs (``weigh_by_history``, 2 worker processes), its wall time and
   member-steps per second, and the scoring's time. While no built-in episode declares a
   contested mechanism of the built-in scenarios, the same work is timed on a stand-in: every
   episode given one mechanism of 11 accounts (the seed and the ten rival accounts RIVALS.md
   lists), each a different weight of the dilemma module's P1 rule.

``--quick`` runs smaller sizes.
"""

from __future__ import annotations

import argparse
import time
from itertools import pairwise

from rich.console import Console
from rich.table import Table

from alliancesim.analysis.backtest import backtest
from alliancesim.analysis.calibrate import Wave, history_match, module_parameters
from alliancesim.analysis.out_of_sample import calibrate_out_of_sample
from alliancesim.commands.history import builtin_episodes
from alliancesim.scenario import load_scenario

STAND_IN_STRUCTURES = 11
"""The seed plus the ten rival accounts RIVALS.md lists (consult 1, nuclear 3, burden 1, engage
1, troops 1, align 1, japan 1, domestic 1): the work of weighing them all one at a time."""


def main() -> None:
    """Time back-tests and a calibration on the built-in episodes and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    members = 2000 if args.quick else 20000
    points, replicates, waves = (500, 4, 2) if args.quick else (4000, 8, 4)
    episodes = [load_scenario(e) for e in builtin_episodes()]
    console = Console()

    table = Table(title=f"backtest, {members:,} members", title_justify="left")
    for column in ("episode", "steps", "targets", "seconds", "member-steps/s"):
        table.add_column(column, justify="right" if column != "episode" else "left")
    for scenario in episodes:
        backtest(scenario, members=64)  # warm-up (compilation, imports)
        start = time.perf_counter()
        result = backtest(scenario, members=members)
        elapsed = time.perf_counter() - start
        steps = scenario.scenario.horizon
        table.add_row(
            scenario.id,
            str(steps),
            str(len(result.scored)),
            f"{elapsed:.2f}",
            f"{members * steps / elapsed:,.0f}",
        )
    console.print(table)

    steps = sum(s.scenario.horizon for s in episodes)
    times: list[float] = [time.perf_counter()]
    done: list[Wave] = []

    def on_wave(wave: Wave) -> None:
        times.append(time.perf_counter())
        done.append(wave)

    shared = sorted(module_parameters("dilemma"))
    calibration = history_match(
        episodes,
        points=points,
        replicates=replicates,
        waves=waves,
        seed=0,
        on_wave=on_wave,
        parameters=shared,
        skip_unmatched=True,
        rank=2,
    )
    table = Table(
        title=(
            f"history_match on {len(episodes)} episodes ({len(calibration.dimensions)} parameters), "
            f"{points:,} points x {replicates} replicates per wave"
        ),
        title_justify="left",
    )
    for column in ("wave", "members simulated", "seconds", "member-steps/s", "not ruled out"):
        table.add_column(column, justify="right")
    for wave, (t0, t1) in zip(done, pairwise(times), strict=True):
        simulated = wave.points * replicates * len(episodes)
        table.add_row(
            str(wave.index),
            f"{simulated:,}",
            f"{t1 - t0:.2f}",
            f"{wave.points * replicates * steps / (t1 - t0):,.0f}",
            f"{wave.non_implausible:,} ({100 * wave.non_implausible / wave.points:.1f} %)",
        )
    console.print(table)
    console.print(f"total {times[-1] - times[0]:.1f} s")

    # calibration scored out of sample: one history match per fold, then the fold's back-tests
    oos_points, oos_replicates, oos_waves, oos_members = (
        (300, 4, 2, 500) if args.quick else (2000, 8, 3, 2000)
    )
    start = time.perf_counter()
    result = calibrate_out_of_sample(
        episodes,
        transfer=set(shared),
        points=oos_points,
        replicates=oos_replicates,
        waves=oos_waves,
        members=oos_members,
    )
    elapsed = time.perf_counter() - start
    folds = len(result.folds)
    trained = sum(len(f.trained_on) for f in result.folds)
    simulated = oos_points * oos_replicates * oos_waves * trained + 2 * oos_members * len(episodes)
    console.print(
        f"calibrate --out-of-sample: {folds} folds, {oos_waves} waves of {oos_points:,} points x "
        f"{oos_replicates} replicates on the other folds, back-tests of {oos_members:,} members: "
        f"{elapsed:.1f} s ({simulated:,} episode histories simulated)"
    )

    weigh_structures(episodes, members=500 if args.quick else 2000, console=console)


def stand_in(episode, accounts: int = STAND_IN_STRUCTURES):
    """The episode with a stand-in mechanism of ``accounts`` accounts: each replaces the
    dilemma module's P1 rule (a cut raises Seoul's fear) by one of a different fixed weight."""
    from alliancesim.scenario.entries import Account, Mechanism
    from alliancesim.scenario.uncertain import Fixed

    base = next(r for r in episode.rules if r.id == "p1_cut_raises_fear")
    source = "assumption: benchmark stand-in"
    mechanism = Mechanism(
        id="standin",
        label="stand-in",
        question="how strongly does a cut raise Seoul's fear?",
        accounts=[Account(id=f"a{i}", label=f"weight {0.05 + 0.04 * i:.2f}", source=source)
                  for i in range(accounts)],
        source=source,
    )  # fmt: skip
    rules = [r for r in episode.rules if r.id != base.id]
    rules += [
        base.model_copy(
            update={"id": f"{base.id}_{i}", "weight": Fixed(0.05 + 0.04 * i), "account": f"standin.a{i}"}
        )
        for i in range(accounts)
    ]  # fmt: skip
    return episode.model_copy(update={"mechanisms": [mechanism], "rules": rules})


def weigh_structures(episodes: list, *, members: int, console: Console) -> None:
    """Time the leave-one-episode-out weighing of every structure on every episode: the
    simulations (2 worker processes) and the scoring (log densities, CRPS terms, stacking and
    BMA with every fold held out)."""
    from alliancesim.analysis.rivals import weigh_by_history
    from alliancesim.workflows import _mechanisms_of

    defaults = [load_scenario(s) for s in ("us-rok-2019", "us-rok-2021", "us-rok-2025")]
    mechanisms, _ = _mechanisms_of(defaults)
    declared = any(m.id == d.id for e in episodes for m in e.mechanisms for d in mechanisms)
    what = "the structures they declare"
    if not declared:
        episodes = [stand_in(e) for e in episodes]
        mechanisms = list(episodes[0].mechanisms)
        what = (
            f"a stand-in mechanism of {STAND_IN_STRUCTURES} accounts (no built-in episode "
            "declares a mechanism of the built-in scenarios yet)"
        )
    start = time.perf_counter()
    result = weigh_by_history(mechanisms, episodes, members=members, workers=2)
    elapsed = time.perf_counter() - start
    console.print(
        f"structures weighed by history, leave one episode out: {len(episodes)} episodes x "
        f"{what}: {result.simulations} runs of {members:,} members ({result.member_steps:,} "
        f"member-steps), 2 workers: simulations {result.seconds:.1f} s "
        f"({result.member_steps / result.seconds:,.0f} member-steps/s), scoring "
        f"{elapsed - result.seconds:.1f} s, total {elapsed:.1f} s"
    )
    for m in result.mechanisms:
        if m.weights:
            best = max(m.weights, key=lambda a: m.weights[a])
            console.print(
                f"  {m.mechanism}: {len(m.episodes)} episodes, {m.scores.targets} targets; "
                f"heaviest weight {best} ({m.weights[best]:.2f}; near the prior is no verdict)"
            )


if __name__ == "__main__":
    main()
