"""The Aerospike server killed (SIGKILL) under HTTP load, and brought back: the site as deployed.

The Django example runs under gunicorn (``--preload``, the master connected
before forking: ``CACHE_WARM_UP=1``) on an embedded server in a process of its
own; ``wrk`` loads its pages; a few seconds in, the server is killed with
SIGKILL, and a few seconds later it is started again on the same port (empty,
as a restarted in-memory node is). Each second of the run gives its answers,
non-2xx and X-Cache hit ratio, so the figures say what a visitor saw while the
cache was gone and how soon pages came from the cache again.

With fail-open (``IGNORE_EXCEPTIONS``) every request must succeed (pages are
rendered while the cache is down) and the hit ratio must come back within
:data:`RECOVERY_BOUND_S` of the restart; without it the failed pages must be
the package's documented exceptions (``aerospike_cache.errors``) in the
site's error log, and pages must be served again after the restart. Either
way the workers must be the same processes at the end (none crashed).

wrk runs once for the whole scenario; its Lua script counts the answers of
each wall-clock second, so the timeline has one-second resolution.

Only the embedded server is killed: a cluster named by ``AEROSPIKE_HOSTS`` is
shared, and is never touched here. ``python benchmarks/http_faults.py``
prints the figures; ``reliability.py`` runs it as its scenario (j).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from http_load import (
    HOST,
    SITES,
    Proc,
    Result,
    free_port,
    running_site,
    site_env,
    start_aerospike,
    worker_pids,
)
from http_load import warm as warm_site
from http_load import wrk as wrk_run

RECOVERY_BOUND_S = 5.0  # hits back within a few seconds of the server's return
SITE = SITES["django-gunicorn"]
ERROR = re.compile(r"aerospike_cache\.errors\.(\w+)")


@dataclass
class Second:
    """One wall-clock second of the load run, as the answers arriving in it tell."""

    start: float  # seconds since the kill
    phase: str  # before, down, after (the server's state for most of the second)
    answers: int
    non2xx: int
    hits: int
    misses: int

    @property
    def hit_ratio(self) -> float | None:
        return self.hits / (self.hits + self.misses) if self.hits + self.misses else None


@dataclass
class FaultRun:
    fail_open: bool
    workers: int
    result: Result = field(default_factory=Result)
    seconds: list[Second] = field(default_factory=list)
    workers_before: set[int] = field(default_factory=set)
    workers_after: set[int] = field(default_factory=set)
    errors: Counter[str] = field(default_factory=Counter)
    restart_at: float = 0.0  # seconds since the kill
    recovery_s: float | None = None  # restart -> end of the first second with the hit ratio back
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return self.result.non2xx + self.result.socket_errors

    def during(self, phase: str) -> list[Second]:
        return [s for s in self.seconds if s.phase == phase]


def run(
    fail_open: bool, before: float = 2.5, down: float = 3.0, after: float = 6.0, workers: int = 4
) -> FaultRun:
    """One kill-and-return under one wrk run: ``before`` s, ``down`` s, then ``after`` s."""
    out = FaultRun(fail_open, workers)
    port = free_port()
    holder: dict[str, Proc] = {}
    holder["server"], _ = start_aerospike(port)
    env = site_env(
        "aerospike",
        f"{HOST}:{port}",
        0,
        f"faults_{os.getpid()}_{int(fail_open)}",
        AEROSPIKE_FAIL_OPEN="1" if fail_open else "0",
        CACHE_WARM_UP="1",
    )
    marks: dict[str, float] = {}

    def kill() -> None:
        marks["kill"] = time.time()
        holder["server"].kill9()

    def restart() -> None:
        marks["restart"] = time.time()
        holder["server"], _ = start_aerospike(port)

    try:
        with running_site(SITE, env, workers, preload=True) as (site, base):
            warm_site(base, SITE.paths)
            out.workers_before = worker_pids(site.pid)
            timers = [threading.Timer(before, kill), threading.Timer(before + down, restart)]
            for timer in timers:
                timer.start()
            try:
                out.result = wrk_run(base, SITE.paths, math.ceil(before + down + after))
            finally:
                for timer in timers:
                    timer.join()
            out.workers_after = worker_pids(site.pid)
            out.errors = Counter(ERROR.findall(site.output()))
    finally:
        holder["server"].stop()
    kill_at, restart_at = marks["kill"], marks["restart"]
    out.restart_at = restart_at - kill_at
    for second, counts in sorted(out.result.seconds.items()):
        middle = second + 0.5
        phase = "before" if middle < kill_at else "down" if middle < restart_at else "after"
        out.seconds.append(Second(second - kill_at, phase, *counts))
    # the first and last seconds are partial (wrk starting, stopping): steady is in between
    steady_seconds = [s.hit_ratio for s in out.during("before")[1:] if s.hit_ratio is not None]
    steady = min(steady_seconds, default=0.0)
    for s in out.during("after"):
        if (s.hit_ratio or 0.0) >= 0.9 * steady:
            out.recovery_s = max(0.0, s.start + 1 - out.restart_at)
            break
    check(out, steady)
    return out


def check(out: FaultRun, steady: float) -> None:
    def need(ok: bool, problem: str) -> None:
        if not ok:
            out.problems.append(problem)

    need(steady > 0.5, f"the hit ratio before the kill was only {steady:.0%}")
    need(out.workers_after == out.workers_before, "workers were replaced (one crashed)")
    down = out.during("down")
    if out.fail_open:
        need(out.failed == 0, f"{out.failed} requests failed with fail-open")
        need(sum(s.answers for s in down) > 0, "no page served while the cache was down")
        need(
            out.recovery_s is not None and out.recovery_s <= RECOVERY_BOUND_S,
            f"the hit ratio was not back within {RECOVERY_BOUND_S:.0f} s of the restart",
        )
    else:
        need(sum(s.non2xx for s in down) > 0, "no request failed while the cache was down")
        need(sum(out.errors.values()) > 0, "no aerospike_cache.errors exception in the log")
        last = out.seconds[-2] if len(out.seconds) > 1 else None  # the last whole second
        need(last is not None and last.non2xx == 0, "pages still failed at the end")


def timeline(run: FaultRun) -> str:
    """The seconds of one run as a markdown table."""
    mode = "fail-open" if run.fail_open else "strict"
    lines = [
        f"| {mode}: second (from the kill) | server | answers | non-2xx | X-Cache hit ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for s in run.seconds:
        ratio = "-" if s.hit_ratio is None else f"{s.hit_ratio:.0%}"
        lines.append(f"| {s.start:+.1f} | {s.phase} | {s.answers} | {s.non2xx} | {ratio} |")
    return "\n".join(lines)


def summary(run: FaultRun) -> str:
    errors = ", ".join(f"{name} x {n}" for name, n in run.errors.most_common()) or "none"
    back = "never" if run.recovery_s is None else f"within {run.recovery_s:.1f} s"
    same = "the same" if run.workers_after == run.workers_before else "NOT the same"
    r = run.result
    return (
        f"{r.requests} requests ({r.rps:,.0f}/s), {r.non2xx} non-2xx, {r.socket_errors} socket "
        f"errors, p99 {r.p99_ms:.0f} ms, max {r.max_ms:.0f} ms; server back "
        f"{run.restart_at:.1f} s after the kill; hit ratio back {back} of the restart; "
        f"exceptions in the site's log: {errors}; {len(run.workers_before)} workers, {same} "
        "processes at the end"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    failed = False
    for fail_open in (True, False):
        out = run(fail_open, workers=args.workers)
        print(timeline(out))
        print()
        print(summary(out))
        print()
        for problem in out.problems:
            print(f"VIOLATED ({'fail-open' if fail_open else 'strict'}): {problem}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
