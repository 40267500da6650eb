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

The same run loses one node of an embedded 3-node cluster (replication factor
2, in this process: the node's connections reset, as on a kill) instead of
the only server: with fail-open again no request may fail; without it, only
writes fail, with the documented exceptions, until the others take over.
Only embedded servers are killed: a cluster named by ``AEROSPIKE_HOSTS`` is
shared, and is never touched here. ``python benchmarks/http_faults.py``
prints the figures; ``reliability.py`` runs it as its scenario (k).
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
    NAMESPACE,
    SITES,
    Result,
    free_port,
    running_site,
    site_env,
    start_aerospike,
    worker_pids,
)
from http_load import warm as warm_site
from http_load import wrk as wrk_run

from aerospike_cache.server._server import random_node_name

RECOVERY_BOUND_S = 5.0  # hits back within a few seconds of the server's return
HEARTBEAT_TIMEOUT_S = 1.5  # the embedded cluster's: a lost node is noticed after this
TAKEOVER_BOUND_S = HEARTBEAT_TIMEOUT_S + 1.0  # the longest a page may wait on a lost node
SITE = SITES["django-gunicorn"]
ERROR = re.compile(r"aerospike_cache\.errors\.(\w+)")


@dataclass
class Second:
    """One wall-clock second of the load run, as the answers arriving in it tell."""

    start: float  # seconds since the kill
    phase: str  # before, kill (the kill in this second), down, return (the restart), after
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
    node: bool = False  # one node of a cluster lost, not the only server
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

    def during(self, *phases: str) -> list[Second]:
        return [s for s in self.seconds if s.phase in phases]


class ServerProcess:
    """The embedded server in a process of its own: killed with SIGKILL, started anew."""

    name = "embedded server killed (SIGKILL)"

    def __init__(self) -> None:
        self.port = free_port()
        # a real node comes back with its node id (derived from its MAC and port): a
        # new id would look like another node replacing it, which clients treat otherwise
        self.node_name = random_node_name()
        self.proc, _ = start_aerospike(self.port, self.node_name)
        self.hosts = f"{HOST}:{self.port}"

    def kill(self) -> None:
        self.proc.kill9()

    def restart(self) -> None:
        # empty, as a restarted in-memory node
        self.proc, _ = start_aerospike(self.port, self.node_name)

    def stop(self) -> None:
        self.proc.stop()


class ClusterNode:
    """One node of an embedded 3-node cluster (replication factor 2), in this process."""

    name = "1 of 3 nodes lost (replication factor 2)"

    def __init__(self) -> None:
        from aerospike_cache.server import EmbeddedCluster

        self.cluster = EmbeddedCluster(
            3, 2, [NAMESPACE], heartbeat_timeout=HEARTBEAT_TIMEOUT_S
        ).start()
        self.hosts = ",".join(f"{host}:{port}" for host, port in self.cluster.hosts)

    def kill(self) -> None:
        self.cluster.kill(1)  # its connections reset; the others take over after 1.5 s

    def restart(self) -> None:
        self.cluster.restart(1)  # rejoins empty and gets its partitions back

    def stop(self) -> None:
        self.cluster.close()


def run(
    fail_open: bool,
    before: float = 2.5,
    down: float = 3.0,
    after: float = 7.0,
    workers: int = 4,
    node: bool = False,
) -> FaultRun:
    """One kill-and-return under one wrk run: ``before`` s, ``down`` s, then ``after`` s.

    ``node``: lose one node of an embedded 3-node cluster instead of the only server.
    ``after`` must outlast :data:`RECOVERY_BOUND_S` by a whole second and the partial
    last one, or a recovery within the bound could still fail the end-of-run check.
    """
    if after < RECOVERY_BOUND_S + 2:
        raise ValueError(f"after={after} s: at least {RECOVERY_BOUND_S + 2:.0f} s are needed")
    out = FaultRun(fail_open, workers, node)
    target: ServerProcess | ClusterNode = ClusterNode() if node else ServerProcess()
    env = site_env(
        "aerospike",
        target.hosts,
        0,
        f"faults_{os.getpid()}_{int(fail_open)}",
        AEROSPIKE_FAIL_OPEN="1" if fail_open else "0",
        CACHE_WARM_UP="1",
    )
    marks: dict[str, float] = {}

    def kill() -> None:
        marks["kill"] = time.time()
        target.kill()

    def restart() -> None:
        target.restart()
        marks["restart"] = time.time()  # back: listening again (its start-up is not ours)

    try:
        with running_site(SITE, env, workers, preload=True) as (site, base):
            warm_site(site, base, SITE.paths)
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
        target.stop()
    kill_at, restart_at = marks["kill"], marks["restart"]
    out.restart_at = restart_at - kill_at
    for second, counts in sorted(out.result.seconds.items()):
        out.seconds.append(Second(second - kill_at, _phase(second, kill_at, restart_at), *counts))
    # the first and last seconds are partial (wrk starting, stopping): steady is in between
    steady_seconds = [s.hit_ratio for s in out.during("before")[1:] if s.hit_ratio is not None]
    steady = min(steady_seconds, default=0.0)
    for s in out.during("return", "after"):
        if (s.hit_ratio or 0.0) >= 0.9 * steady:
            out.recovery_s = max(0.0, s.start + 1 - out.restart_at)
            break
    check(out, steady)
    return out


def _phase(second: int, kill_at: float, restart_at: float) -> str:
    """What happened to the server in the wall-clock ``second``."""
    if second <= kill_at < second + 1:
        return "kill"
    if second <= restart_at < second + 1:
        return "return"
    return "before" if second < kill_at else "down" if second < restart_at else "after"


def check(out: FaultRun, steady: float) -> None:
    def need(ok: bool, problem: str) -> None:
        if not ok:
            out.problems.append(problem)

    need(steady > 0.5, f"the hit ratio before the kill was only {steady:.0%}")
    need(out.workers_after == out.workers_before, "workers were replaced (one crashed)")
    down = out.during("down")
    need(
        out.recovery_s is not None and out.recovery_s <= RECOVERY_BOUND_S,
        f"the hit ratio was not back within {RECOVERY_BOUND_S:.0f} s of the restart",
    )
    if out.fail_open:
        need(out.failed == 0, f"{out.failed} requests failed with fail-open")
        if out.node:  # the cache is not down: pages wait out the take-over, no longer
            need(
                out.result.max_ms <= TAKEOVER_BOUND_S * 1000,
                f"a page took {out.result.max_ms:.0f} ms: longer than the take-over "
                f"({HEARTBEAT_TIMEOUT_S} s heartbeat timeout) and a second",
            )
        else:
            need(sum(s.answers for s in down) > 0, "no page served while the cache was down")
    elif not out.node:  # the only server gone: the pages that need it fail, as documented
        need(sum(s.non2xx for s in down) > 0, "no request failed while the cache was down")
        need(sum(out.errors.values()) > 0, "no aerospike_cache.errors exception in the log")
    if not out.fail_open:
        failed = sum(s.non2xx for s in out.seconds)
        need(
            failed <= sum(out.errors.values()),
            "pages failed with something else than aerospike_cache.errors",
        )
        last = out.seconds[-2] if len(out.seconds) > 1 else None  # the last whole second
        need(last is not None and last.non2xx == 0, "pages still failed at the end")


def timeline(run: FaultRun) -> str:
    """The seconds of one run as a markdown table."""
    mode = f"{'1 of 3 nodes' if run.node else 'the server'}, {_mode(run)}"
    lines = [
        f"| {mode}: second (from the kill) | state | answers | non-2xx | X-Cache hit ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for s in run.seconds:
        ratio = "-" if s.hit_ratio is None else f"{s.hit_ratio:.0%}"
        lines.append(f"| {s.start:+.1f} | {s.phase} | {s.answers} | {s.non2xx} | {ratio} |")
    return "\n".join(lines)


def _mode(run: FaultRun) -> str:
    return "fail-open" if run.fail_open else "strict"


def summary(run: FaultRun) -> str:
    errors = ", ".join(f"{name} x {n}" for name, n in run.errors.most_common()) or "none"
    back = "never" if run.recovery_s is None else f"within {run.recovery_s:.1f} s"
    same = "the same" if run.workers_after == run.workers_before else "NOT the same"
    lost = "node" if run.node else "server"
    r = run.result
    return (
        f"{r.requests} requests ({r.rps:,.0f}/s), {r.non2xx} non-2xx, {r.socket_errors} socket "
        f"errors, p99 {r.p99_ms:.0f} ms, max {r.max_ms:.0f} ms; {lost} back "
        f"{run.restart_at:.1f} s after the kill; hit ratio back {back} of the restart; "
        f"exceptions in the site's log: {errors}; {len(run.workers_before)} workers, {same} "
        "processes at the end"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    failed = False
    for node in (False, True):
        for fail_open in (True, False):
            out = run(fail_open, workers=args.workers, node=node)
            print(timeline(out))
            print()
            print(summary(out))
            print()
            for problem in out.problems:
                print(f"VIOLATED ({'node' if node else 'server'}, {_mode(out)}): {problem}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
