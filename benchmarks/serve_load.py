"""Load on the dashboard: 20 simulated users on loopback for a bounded time.

Starts ``alliancesim serve`` on a free loopback port with a fresh store holding one stored run
(``us-rok-2025``, 500 members) and its default limits (2 runs at once), reads the address it
prints (with its access token, which every request then carries), and runs ``--users`` threads
until ``--duration`` seconds have passed. Each user repeats what a wargame designer does, as the
browser's renderer does it (HTTP POSTs to ``/_dash-update-component`` with the renderer's
payloads, see ``alliancesim.web.client``):

1. load the page (``/``, ``/_dash-layout``, ``/_dash-dependencies``);
2. choose the 2025 scenario (its policies and parameter ranges);
3. start a game (500 plausible worlds, the user's own seed) and show it;
4. play three turns, the first forcing the Stryker withdrawal without consultation, each turn
   followed by the game view and its fan chart;
5. open the stored run (all the report's charts) and switch its fan chart;
6. open the past-runs tab (the store's run list);
7. the first ``--runners`` users (default 4) also press Run: ``--run-members`` worlds (default
   300) of ``us-rok-2025`` under its default policies and structures (the design the page
   ticks), a background job polled until it answers; its latency is also given apart for the
   runs that finished and the presses refused by the limit.

More runners than the server's limit press Run at once, so some runs are refused: a refusal
("already going") is the limit working and is counted apart; anything else that is not a
finished run (an HTTP error, a timeout, another message) is an error. A monitor counts the
runs simulating at each moment (the store's staging directories) and checks the limit was
never exceeded.

Prints, per request kind, the count, errors and latency percentiles, and the overall rate.
``--quick`` runs 20 users for 20 s; the default is 20 users for 60 s. ``--url`` targets a
running server instead (the address it printed, with ``?token=``; it must hold at least one
stored run for step 5; the monitor is off).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from alliancesim.web.client import DashClient, token_from_url

ACTION = '{"id":["ALL"],"type":"turn-action"}'
CONSULT = '{"id":["ALL"],"type":"turn-consult"}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """Latencies and errors per request kind, and run outcomes, from every user thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.runs: dict[str, int] = defaultdict(int)  # finished / refused (limit) / error

    def timed(self, kind: str, call: Any) -> Any:
        start = time.perf_counter()
        try:
            result = call()
        except Exception as exc:  # an error is a result here
            with self.lock:
                self.errors[kind].append(f"{type(exc).__name__}: {exc}"[:200])
            return None
        elapsed = time.perf_counter() - start
        with self.lock:
            self.latency[kind].append(elapsed)
        return result

    def request(
        self,
        kind: str,
        client: DashClient,
        component: str,
        values: dict[str, Any],
        changed: list[str],
        expect: str | None = None,
    ) -> Any:
        """The callback that writes ``component``, called as the page calls it and timed as
        ``kind``; its response. With ``expect``, a response without that component is an error
        of ``kind``."""
        answer = self.timed(kind, lambda: client.call(client.find(component), values, changed))
        if expect is not None and answer is not None and expect not in answer:
            with self.lock:
                self.errors[kind].append(f"no {expect} in the response")
        return answer


RUN_KIND = "press Run (background job)"
DEFAULT_POLICIES: list[str] = []  # us-rok-2025's, filled in main()
DEFAULT_STRUCTURES: list[str] = []  # its default design, ticked by the page; filled in main()


def press_run(client: DashClient, rec: Recorder, label: str, members: int) -> None:
    """Press Run as the page does (start the job, poll it) and sort the answer."""
    values = {
        "run.n_clicks": 1,
        "client.data": label,  # distinct per press: Dash would merge identical jobs
        "scenario.value": "builtin:us-rok-2025",
        "policies.value": DEFAULT_POLICIES,  # what the page ticks for the scenario
        "combinations.value": "",
        "members.value": members,
        "seed.value": 0,
        "structures.value": DEFAULT_STRUCTURES,
    }
    start = time.perf_counter()
    answer = rec.timed(
        RUN_KIND,
        lambda: client.call_background(client.find("run-error"), values, ["run.n_clicks"]),
    )
    elapsed = time.perf_counter() - start
    text = json.dumps(answer)
    with rec.lock:
        if answer is None:
            rec.runs["error"] += 1  # the exception is in rec.errors
        elif "finished-run" in text:
            rec.runs["finished"] += 1
            rec.latency[f"{RUN_KIND}: finished"].append(elapsed)
        elif '"run-busy"' in text:
            rec.runs["refused: runs at once"] += 1
            rec.latency[f"{RUN_KIND}: refused"].append(elapsed)
        else:
            rec.runs["error"] += 1
            rec.errors[RUN_KIND].append(f"unexpected answer: {text[:160]}")


def user(
    client: DashClient,
    rec: Recorder,
    seed: int,
    run_id: str,
    deadline: float,
    run_members: int = 0,
) -> None:
    """One simulated wargame designer, repeating a session until the deadline (pressing Run
    at the end of each session if ``run_members``)."""
    scenario = "builtin:us-rok-2025"
    session = 0
    while time.monotonic() < deadline:
        session += 1
        rec.timed(
            "page (3 GETs)",
            lambda: [client.get(p) for p in ("/", "/_dash-layout", "/_dash-dependencies")],
        )
        rec.request(
            "choose scenario",
            client,
            "scenario-about",
            {"scenario.value": scenario},
            ["scenario.value"],
        )
        new = rec.request(
            "new game",
            client,
            "turn-game",
            {
                "turn-scenario.value": scenario,
                "turn-policy.value": "baseline",
                "turn-members.value": 500,
                "turn-seed.value": seed,
                "turn-new.n_clicks": 1,
            },
            ["turn-new.n_clicks"],
        )
        if not new:
            continue
        game = new["turn-game"]["data"]
        show(client, rec, game)
        for turn in range(1, 4):
            form: dict[str, Any] = {"turn-game.data": game, "turn-play.n_clicks": turn}
            if turn == 1:
                action = {"type": "turn-action", "id": "stryker_withdrawal"}
                consult = {"type": "turn-consult", "id": "stryker_withdrawal"}
                form[f"{ACTION}.value"] = [{"id": action, "value": "yes"}]
                form[f"{ACTION}.id"] = [{"id": action, "value": action}]
                form[f"{CONSULT}.value"] = [{"id": consult, "value": "inform"}]
                form[f"{CONSULT}.id"] = [{"id": consult, "value": consult}]
            played = rec.request("play a turn", client, "turn-game", form, ["turn-play.n_clicks"])
            if not played or "turn-game" not in played:
                with rec.lock:
                    rec.errors["play a turn"].append(
                        f"no game in the response: {str(played)[:120]}"
                    )
                break
            game = played["turn-game"]["data"]
            show(client, rec, game)
        if run_id:
            rec.request(
                "open a stored run",
                client,
                "results",
                {"selected-run.data": run_id},
                ["selected-run.data"],
                expect="results",
            )
            rec.request(
                "fan chart of a run",
                client,
                "fan-chart",
                {"fan-quantity.value": "fear_abandonment.ROK", "selected-run.data": run_id},
                ["fan-quantity.value"],
            )
        rec.request(
            "open the past-runs tab", client, "runs-list", {"tabs.value": "runs"}, ["tabs.value"]
        )
        if run_members:
            press_run(client, rec, f"user{seed}-session{session}", run_members)


def show(client: DashClient, rec: Recorder, game: dict[str, Any]) -> None:
    """What the page asks after a game changes: the game view and the fan chart."""
    rec.request(
        "show the game",
        client,
        "turn-report",
        {"turn-game.data": game},
        ["turn-game.data"],
        expect="turn-report",
    )
    rec.request(
        "game fan chart",
        client,
        "turn-fan",
        {"turn-quantity.value": "cohesion", "turn-game.data": game},
        ["turn-game.data"],
    )


def start_server(home: Path, work: Path, options: list[str]) -> tuple[subprocess.Popen, str, str]:
    """``alliancesim serve`` on a free loopback port; (process, base URL, access token), the
    token read from the address it prints."""
    port = free_port()
    script = Path(sys.executable).with_name("alliancesim")
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from alliancesim.cli import main; main()"]
    )
    work.mkdir(parents=True, exist_ok=True)
    log = work.parent / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workdir", str(work), *options],
            env={**os.environ, "ALLIANCESIM_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while True:
        found = re.search(r"http://\S+\?token=\S+", log.read_text())
        if found:
            url, token = token_from_url(found.group(0))
            probe = urllib.request.Request(url + "/", headers={"Authorization": f"token {token}"})
            try:
                with urllib.request.urlopen(probe, timeout=2):
                    return server, url, str(token)
            except OSError:
                pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the dashboard did not start: {log.read_text()[-2000:]}")
        time.sleep(0.3)


class Monitor:
    """Samples, every 50 ms, how many runs are simulating (the store's staging directories)."""

    def __init__(self, home: Path):
        self.runs = home / "runs"
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                going = sum(1 for p in self.runs.glob("*.partial") if p.is_dir())
            except OSError:
                going = 0
            self.peak = max(self.peak, going)
            self.samples += 1
            self._stop.wait(0.05)

    def __enter__(self) -> Monitor:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def server_cpu(server: subprocess.Popen | None) -> float:
    """CPU seconds (user + system) used so far by the server and its child processes."""
    if server is None:
        return float("nan")
    import psutil

    process = psutil.Process(server.pid)
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 users for 20 s")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=None, help="seconds (default 60)")
    parser.add_argument("--runners", type=int, default=4, help="users who also press Run")
    parser.add_argument("--run-members", type=int, default=300, help="worlds per Run (small)")
    parser.add_argument("--max-runs", type=int, default=2, help="the server's --max-runs")
    parser.add_argument(
        "--url", help="a running dashboard (the address it printed, with ?token=) instead"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    duration = args.duration or (20.0 if args.quick else 60.0)
    console = Console()
    server = None
    home = None
    tmp = tempfile.TemporaryDirectory(prefix="alliancesim-load-")
    from alliancesim.scenario import load_scenario
    from alliancesim.structures import default_structures
    from alliancesim.workflows import default_policies

    scenario = load_scenario("us-rok-2025")
    DEFAULT_POLICIES[:] = default_policies(scenario)
    DEFAULT_STRUCTURES[:] = [s.name for s in default_structures(scenario)]
    try:
        if args.url:
            url, token = token_from_url(args.url)
            run_id = ""
        else:
            home = Path(tmp.name) / "home"
            from alliancesim.store import Store
            from alliancesim.workflows import run_and_store

            if not args.json:
                console.print("storing one run (us-rok-2025, 500 members) and starting the server…")
            run_id = run_and_store(Store(home), "us-rok-2025", members=500, seed=0).results.run_id
            server, url, token = start_server(
                home, Path(tmp.name) / "work", ["--max-runs", str(args.max_runs)]
            )
        client = DashClient(url, timeout=120, token=token)
        if args.url:
            runs = client.call(
                client.find("runs-list"),
                {"tabs.value": "runs", "refresh-runs.n_clicks": 1},
                ["refresh-runs.n_clicks"],
            )
            text = json.dumps(runs)
            marker = '"run": "'
            run_id = text.split(marker)[1].split('"')[0] if marker in text else ""
        # one warm-up session outside the measurement (imports, the first game)
        warm = Recorder()
        user(client, warm, seed=999, run_id=run_id, deadline=time.monotonic() + 0.001)
        rec = Recorder()
        cpu_before = server_cpu(server)
        deadline = time.monotonic() + duration
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=user,
                args=(DashClient(url, timeout=120, token=token), rec, k, run_id, deadline),
                kwargs={"run_members": args.run_members if k < args.runners else 0},
            )
            for k in range(args.users)
        ]
        monitor = Monitor(home) if home is not None else None
        if monitor is not None:
            monitor.__enter__()
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            if monitor is not None:
                monitor.__exit__(None, None, None)
        wall = time.perf_counter() - started
        cpu = server_cpu(server) - cpu_before
        stored_runs = len(Store(home).runs()) - 1 if home is not None else None
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        tmp.cleanup()
    rows = []
    kinds = list(dict.fromkeys([*rec.latency, *rec.errors]))
    for kind in kinds:
        values = np.array(rec.latency.get(kind, []))
        pct = np.percentile(values, [50, 90, 99]) if len(values) else [np.nan] * 3
        rows.append(
            {
                "request": kind,
                "count": len(values),
                "errors": len(rec.errors.get(kind, [])),
                "p50_ms": float(pct[0] * 1000),
                "p90_ms": float(pct[1] * 1000),
                "p99_ms": float(pct[2] * 1000),
                "max_ms": float(values.max() * 1000) if len(values) else float("nan"),
            }
        )
    total = sum(r["count"] for r in rows if not r["request"].startswith(f"{RUN_KIND}:"))
    errors = sum(r["errors"] for r in rows)
    peak = monitor.peak if monitor is not None else None
    over_limit = peak is not None and peak > args.max_runs
    runs = dict(rec.runs)
    if args.json:
        print(
            json.dumps(
                {
                    "users": args.users,
                    "seconds": wall,
                    "requests": total,
                    "errors": errors,
                    "runs": runs,
                    "stored_runs": stored_runs,
                    "max_runs": args.max_runs,
                    "peak_runs_going": peak,
                    "rows": rows,
                    "error_samples": {k: v[:3] for k, v in rec.errors.items()},
                }
            )
        )
        return 0 if errors == 0 and not over_limit else 1
    table = Table(title=f"dashboard under load: {args.users} users, {wall:.0f} s, loopback")
    for column in ("request", "count", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for r in rows:
        table.add_row(
            r["request"], str(r["count"]), str(r["errors"]),
            *(f"{r[k]:.0f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"{total} requests, {errors} errors, {total / wall:.1f} requests/s; server CPU "
        f"{cpu:.1f} s ({1000 * cpu / max(total, 1):.0f} ms a request); load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    if runs:
        console.print(
            "Run pressed "
            + ", ".join(f"{n} × {outcome}" for outcome, n in sorted(runs.items()))
            + f"; {stored_runs} runs stored; at most {peak} simulating at once "
            f"(limit {args.max_runs}" + (", [red]EXCEEDED[/red])" if over_limit else ", kept)"),
            highlight=False,
        )
    for kind, samples in rec.errors.items():
        console.print(f"[red]{kind}[/red]: {samples[0]}", highlight=False)
    return 0 if errors == 0 and not over_limit else 1


if __name__ == "__main__":
    sys.exit(main())
