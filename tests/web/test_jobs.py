"""Runs are forked from the threaded server only between requests (``web/jobs.py``): a lock
that another request holds (as SQLite and DuckDB hold theirs while a request reads the job
cache or the store) is never copied held into the job."""

from __future__ import annotations

import os
import threading
import time

from alliancesim.web.jobs import ForkGate, gate


def wait_for(condition, what: str) -> None:
    """Wait for a state another thread reaches (no sleeping for a guessed time)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_a_fork_waits_for_the_other_requests_and_holds_new_ones_back() -> None:
    local = ForkGate()
    other_in, other_out, new_in = threading.Event(), threading.Event(), threading.Event()

    def other_request() -> None:
        local.enter()
        other_in.set()
        other_out.wait()
        local.leave()

    def new_request() -> None:
        local.enter()
        new_in.set()
        local.leave()

    first = threading.Thread(target=other_request)
    first.start()
    other_in.wait()
    forked = threading.Event()

    def fork() -> None:  # as os.fork's hooks do, inside the request that presses Run
        local.enter()
        local.before_fork()
        forked.set()
        local.after_fork()
        local.leave()

    forking = threading.Thread(target=fork)
    forking.start()
    wait_for(lambda: local._forks_waiting == 1, "the fork never started waiting")
    late = threading.Thread(target=new_request)
    late.start()
    assert not forked.is_set() and not new_in.is_set()  # both wait for the request going
    other_out.set()
    forking.join()
    late.join()
    first.join()
    assert forked.is_set() and new_in.is_set()
    assert local._serving == 0


def test_two_runs_pressed_together_do_not_wait_for_each_other() -> None:
    local = ForkGate()
    both_in = threading.Barrier(2)
    forked: list[str] = []

    def press_run(name: str) -> None:
        local.enter()
        both_in.wait()  # both requests are being served when they fork
        local.before_fork()
        forked.append(name)
        local.after_fork()
        local.leave()

    runs = [threading.Thread(target=press_run, args=(n,)) for n in ("a", "b")]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=30)
    assert sorted(forked) == ["a", "b"] and local._serving == 0


def test_a_forked_job_never_inherits_a_lock_a_request_held() -> None:
    held_by_request = threading.Lock()  # stands for DuckDB's and SQLite's in-process locks
    in_request = threading.Event()

    def request() -> None:
        gate.enter()
        with held_by_request:
            in_request.set()
            wait_for(lambda: gate._forks_waiting == 1, "the fork never started waiting")
        gate.leave()

    serving = threading.Thread(target=request)
    serving.start()
    in_request.wait()
    pid = os.fork()  # waits in the gate until the request is served
    if pid == 0:  # the job: the lock must be free here
        os._exit(0 if held_by_request.acquire(blocking=False) else 1)
    _, status = os.waitpid(pid, 0)
    serving.join()
    assert os.waitstatus_to_exitcode(status) == 0
