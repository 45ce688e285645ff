"""`make bench`: run every benchmark script in this folder and print their tables.

Each script is run as ``python benchmarks/<name>.py [--quick]`` in its own process, so one
failing benchmark does not hide the others. ``BENCH_QUICK=1 make bench`` (or ``--quick``) runs
the smaller sizes. The huge-run memory benchmark runs only with ``--full``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ORDER = [
    "answers",
    "engine",
    "constructs",
    "bargaining",
    "deu",
    "analysis",
    "robust",
    "history",
    "store",
    "serve_load",
]
FULL_ONLY = ["engine_memory"]


def main() -> int:
    """Run the benchmarks; return non-zero if any failed."""
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
    full = "--full" in sys.argv
    names = [n for n in ORDER if (HERE / f"{n}.py").exists()]
    names += [n for n in FULL_ONLY if full and (HERE / f"{n}.py").exists()]
    failed = []
    for name in names:
        print(f"\n=== benchmarks/{name}.py {'--quick' if quick else ''}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(
            [sys.executable, str(HERE / f"{name}.py"), *(["--quick"] if quick else [])]
        )
        print(
            f"=== {name}: {'ok' if code == 0 else f'FAILED ({code})'} in {time.perf_counter() - start:.0f} s"
        )
        if code:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
