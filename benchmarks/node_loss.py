"""The node-loss scenario of ``reliability.py``: one node of a replicated cluster is lost.

An :class:`~aerospike_cache.server.EmbeddedCluster` of 2 nodes (replication
factor 2, like the reference measurement) serves 8 threads doing gets and sets
through one store (strict, ``timeout_ms=300``, the breaker at its defaults);
one node is killed and the survivor takes over after ``heartbeat_timeout``.
Figures: the share of gets that succeeded from the kill on, how long writes
kept failing after the kill, the slowest call, acknowledged writes lost.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aerospike_cache.errors import CacheUnavailable
from aerospike_cache.server import EmbeddedCluster
from aerospike_cache.store import AerospikeStore

HEARTBEAT_TIMEOUT_S = 1.5  # the reference cluster re-formed about 2.4 s after the kill
KEYS_PER_THREAD = 20


@dataclass
class Outcome:
    gets: int = 0
    gets_failed: int = 0
    writes: int = 0
    writes_failed: int = 0
    last_write_failure: float = 0.0
    worst_s: float = 0.0
    acked: dict[str, int] = field(default_factory=dict)
    lost: int = 0


class _Worker:
    def __init__(self, store: AerospikeStore, writes: float, out: Outcome) -> None:
        self.store = store
        self.writes = writes
        self.out = out
        self.counting = threading.Event()  # set at the kill: count from then on
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def run(self, t: int) -> None:
        rng = random.Random(t)
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"t{t}:{rng.randrange(KEYS_PER_THREAD)}"  # one writer per key
            write = rng.random() < self.writes
            started = time.monotonic()
            try:
                if write:
                    ok = self.store.set(key, n, None)
                    if ok:
                        self.out.acked[key] = n
                else:
                    self.store.get(key)
                    ok = True
            except CacheUnavailable:
                ok = False
            self._count(write, ok, started)

    def _count(self, write: bool, ok: bool, started: float) -> None:
        now = time.monotonic()
        if not self.counting.is_set():
            return
        out = self.out
        with self.lock:
            out.worst_s = max(out.worst_s, now - started)
            if write:
                out.writes += 1
                if not ok:
                    out.writes_failed += 1
                    out.last_write_failure = max(out.last_write_failure, now)
            else:
                out.gets += 1
                out.gets_failed += 0 if ok else 1


def run(writes: float, seconds: float, threads: int = 8, **store_options: Any) -> Outcome:
    """Kill one node of a 2-node cluster under load; measure for ``seconds`` after the kill."""
    out = Outcome()
    with EmbeddedCluster(2, 2, ["test"], heartbeat_timeout=HEARTBEAT_TIMEOUT_S) as cluster:
        store = AerospikeStore(
            cluster.hosts, namespace="test", set_name="node_loss", **store_options
        )
        worker = _Worker(store, writes, out)
        pool = [threading.Thread(target=worker.run, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        try:
            time.sleep(0.5)
            killed_at = time.monotonic()
            worker.counting.set()
            cluster.kill(1)
            time.sleep(seconds)
        finally:
            worker.stop.set()
            for thread in pool:
                thread.join()
        out.last_write_failure = max(0.0, out.last_write_failure - killed_at)
        out.lost = sum(1 for key, n in out.acked.items() if store.get(key) != n)
    return out
