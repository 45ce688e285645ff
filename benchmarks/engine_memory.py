"""Peak memory of a huge run: 10^7 members × 18 steps streamed to Parquet.

Runs ``alliancesim.run`` on the default scenario (baseline policy, indicators recorded, two
workers) into a temporary directory and prints the peak resident memory of the main process and
of the largest worker, the run time and the size on disk. ``--members`` changes the size.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from alliancesim.runner import run


def main(argv: list[str] | None = None) -> None:
    """Run the memory benchmark and print one table row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="us-rok-2025")
    parser.add_argument("--members", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="10^6 members instead of 10^7")
    args = parser.parse_args(argv)
    members = 1_000_000 if args.quick else args.members
    tmp = Path(tempfile.mkdtemp(prefix="alliancesim-bench-"))
    try:
        start = time.perf_counter()
        results = run(
            args.scenario,
            policies=["baseline"],
            members=members,
            seed=0,
            workers=args.workers,
            directory=tmp / "run",
            record="indicators",
        )
        summary = results.summary()
        elapsed = time.perf_counter() - start
        size = sum(f.stat().st_size for f in (tmp / "run").rglob("*.parquet"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    steps = results.model.horizon
    print(
        f"{'members':>12} {'steps':>6} {'workers':>8} {'seconds':>8} {'member-steps/s':>15} "
        f"{'peak RSS main (MB)':>19} {'peak RSS worker (MB)':>21} {'Parquet (GB)':>13} {'P(decoupling)':>14}"
    )
    print(
        f"{members:>12,} {steps:>6} {args.workers:>8} {elapsed:>8.1f} {members * steps / elapsed:>15,.0f} "
        f"{parent:>19,.0f} {child:>21,.0f} {size / 2**30:>13.2f} {summary.policies['baseline'].p_decoupling:>14.4f}"
    )


if __name__ == "__main__":
    main()
