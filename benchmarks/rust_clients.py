"""Round trips per second: aerospike-py (Rust core) vs the official C-based client.

Run ``python benchmarks/rust_clients.py [--seconds 2] [--concurrency 32]``.
By default the embedded server runs in a child process (so that its Python
work does not share the measured client's GIL); set ``AEROSPIKE_HOSTS`` (and
``AEROSPIKE_NAMESPACE``, default ``test``) to measure a real cluster instead.

Every figure is put + get pairs on one 100-byte record, each call one round
trip, measured the same way in the same run:

- ``sequential``: one caller, one call at a time (C client; aerospike-py sync;
  aerospike-py async awaiting each call).
- ``concurrent``: ``--concurrency`` calls in flight (C client: that many
  threads; aerospike-py async: that many tasks on one event loop).

Next to each rate: CPU microseconds per round trip spent by this process (the
client) and, on the embedded server, by the server's process. Nothing here
asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import aerospike
import aerospike_py

from aerospike_cache.server import EmbeddedServer
from aerospike_cache.server.pytest_plugin import real_cluster_hosts

VALUE = {"v": b"x" * 100}
SET = "rust_bench"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def target() -> Iterator[tuple[list[tuple[str, int]], str, list[float]]]:
    """(hosts, namespace, out): a fresh server per figure; ``out`` gets its CPU seconds.

    The embedded server runs in a child process that is reaped on close, so its
    CPU time is the growth of RUSAGE_CHILDREN (nothing is appended for a cluster).
    """
    hosts = real_cluster_hosts()
    out: list[float] = []
    if hosts is not None:
        yield hosts, os.environ.get("AEROSPIKE_NAMESPACE", "test"), out
        return
    before = _cpu(resource.RUSAGE_CHILDREN)
    with EmbeddedServer(isolated=True) as server:
        yield server.hosts, "test", out
    out.append(_cpu(resource.RUSAGE_CHILDREN) - before)


def _timed(seconds: float, step: Callable[[], int]) -> float:
    """Call ``step`` (which returns the round trips it made) until time is up: rate."""
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        n += step()
    return n / (time.perf_counter() - start)


def sequential(client: Any, key: tuple[str, str, str], seconds: float) -> float:
    """Put+get round trips per second on one key, one after the other; closes ``client``."""
    try:

        def step() -> int:
            for _ in range(50):
                client.put(key, VALUE)
                client.get(key)
            return 100

        step()  # warm up the connection pool
        return _timed(seconds, step)
    finally:
        client.close()


def c_client_sequential(hosts: list[tuple[str, int]], ns: str, seconds: float) -> float:
    return sequential(aerospike.client({"hosts": hosts}), (ns, SET, "c-seq"), seconds)


def c_client_threads(hosts: list[tuple[str, int]], ns: str, seconds: float, n: int) -> float:
    client: Any = aerospike.client({"hosts": hosts})
    counts = [0] * n
    stop = threading.Event()

    def worker(i: int) -> None:
        key = (ns, SET, f"c-thr-{i}")
        while not stop.is_set():
            client.put(key, VALUE)
            client.get(key)
            counts[i] += 2

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    try:
        start = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        return sum(counts) / (time.perf_counter() - start)
    finally:
        client.close()


def py_sync_sequential(hosts: list[tuple[str, int]], ns: str, seconds: float) -> float:
    client = aerospike_py.client({"hosts": hosts}).connect()
    return sequential(client, (ns, SET, "py-seq"), seconds)


async def py_async(hosts: list[tuple[str, int]], ns: str, seconds: float, n: int) -> float:
    """aerospike-py's async client with ``n`` calls in flight (1 = sequential awaits)."""
    client = aerospike_py.AsyncClient({"hosts": hosts})
    await client.connect()
    counts = [0] * n
    deadline = 0.0

    async def worker(i: int) -> None:
        key = (ns, SET, f"py-async-{i}")
        while time.perf_counter() < deadline:
            await client.put(key, VALUE)
            await client.get(key)
            counts[i] += 2

    try:
        deadline = time.perf_counter() + 0.2  # warm up
        await asyncio.gather(*(worker(i) for i in range(n)))
        counts = [0] * n
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(worker(i) for i in range(n)))
        return sum(counts) / (time.perf_counter() - start)
    finally:
        await client.close()


Measure = Callable[[list[tuple[str, int]], str], float]


def run_figure(measure: Measure, seconds: float, idle_cpu: float) -> str:
    """One table row: round trips/s, and CPU microseconds per round trip on each side."""
    with target() as (hosts, ns, server_cpu):
        client_before = _cpu(resource.RUSAGE_SELF)
        start = time.perf_counter()
        rate = measure(hosts, ns)
        round_trips = rate * (time.perf_counter() - start)  # warm-up included, roughly
        client_cpu = _cpu(resource.RUSAGE_SELF) - client_before
    row = f"{rate:>9,.0f} {1e6 * client_cpu / round_trips:>10.0f}"
    if server_cpu:
        row += f" {1e6 * max(0.0, server_cpu[0] - idle_cpu) / round_trips:>10.0f}"
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/rust_clients.py")
    parser.add_argument("--seconds", type=float, default=2.0, help="per figure (default 2)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight (default 32)")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin this process and the embedded server (its child) to one CPU",
    )
    args = parser.parse_args(argv)
    if args.pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    n, sec = args.concurrency, args.seconds
    with target() as (_hosts, _ns, idle):
        pass  # the CPU of starting and stopping an idle server, taken off each figure
    idle_cpu = idle[0] if idle else 0.0
    where = "AEROSPIKE_HOSTS cluster" if real_cluster_hosts() else "embedded server (child)"
    pinned = ", client and server pinned to one CPU" if args.pin else ""
    print(f"put+get round trips, 100-byte value, against the {where}{pinned}")
    print(f"{'':<40} {'per s':>9} {'client us':>10} {'server us':>10}", flush=True)
    rows: list[tuple[str, Measure]] = [
        ("C client (aerospike 19), sequential", lambda h, ns: c_client_sequential(h, ns, sec)),
        ("aerospike-py sync, sequential", lambda h, ns: py_sync_sequential(h, ns, sec)),
        (
            "aerospike-py async, sequential awaits",
            lambda h, ns: asyncio.run(py_async(h, ns, sec, 1)),
        ),
        (f"C client (aerospike 19), {n} threads", lambda h, ns: c_client_threads(h, ns, sec, n)),
        (f"aerospike-py async, {n} tasks", lambda h, ns: asyncio.run(py_async(h, ns, sec, n))),
    ]
    for label, measure in rows:
        print(f"{label:<40} {run_figure(measure, sec, idle_cpu)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
