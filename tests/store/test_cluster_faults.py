"""The store on a cluster that loses a node: a lost node is not a cache outage (issue 13).

These need the embedded cluster's ``kill``/``restart`` (the ``embedded_cluster``
factory), so they are skipped against a real cluster.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheUnavailable
from aerospike_cache.server import EmbeddedCluster
from aerospike_cache.store import MISSING, AerospikeStore, failures
from tests.store.conftest import CLUSTER_TIMEOUT_MS, node_count, until

TIMEOUT_MS = CLUSTER_TIMEOUT_MS
HEARTBEAT_S = 0.5
Factory = Callable[..., EmbeddedCluster]
Stores = Callable[..., AerospikeStore]


class _Load:
    """Threads doing gets and sets (``writes`` of them) on a store, counting outcomes."""

    def __init__(self, store: AerospikeStore, writes: float, threads: int = 8) -> None:
        self.store = store
        self.writes = writes
        self.gets = {"ok": 0, "failed": 0}
        self.acked: dict[str, int] = {}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._work, args=(t,)) for t in range(threads)]

    def _work(self, t: int) -> None:
        rng = random.Random(t)
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"t{t}:{rng.randrange(20)}"  # one writer per key: acknowledged values are exact
            if rng.random() < self.writes:
                with contextlib.suppress(CacheUnavailable):  # until the cluster has re-formed
                    if self.store.set(key, n, None):
                        self.acked[key] = n
                continue
            try:
                self.store.get(key)
                self.gets["ok"] += 1
            except CacheUnavailable:
                self.gets["failed"] += 1

    def __enter__(self) -> _Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


@pytest.mark.embedded_only("node loss (kill)")
@pytest.mark.parametrize("writes", [0.1, 0.5])
def test_a_lost_node_is_not_an_outage(
    embedded_cluster: Factory, make_cluster_store: Stores, writes: float
) -> None:
    # the reference set-up: 2 nodes, replication factor 2, the breaker at its defaults
    cluster = embedded_cluster(2, 2, heartbeat_timeout=HEARTBEAT_S)
    store = make_cluster_store(cluster)
    until(lambda: node_count(store) == 2)
    with _Load(store, writes) as load:
        time.sleep(0.2)
        cluster.kill(1)
        until(lambda: node_count(store) == 1)  # the survivor took over
        time.sleep(0.3)
    total = load.gets["ok"] + load.gets["failed"]
    assert load.gets["failed"] <= total // 100, load.gets  # at least 99% of gets succeed
    assert store.records.entry is not None and not store.records.entry.breaker.is_open
    for key, n in load.acked.items():  # no acknowledged write lost
        assert store.get(key) == n
    assert store.set("after", 1, None)  # writes work once the cluster has re-formed


def _get_raising(store: AerospikeStore, key: str) -> Any:
    try:
        return store.get(key)
    except CacheUnavailable as exc:
        return exc


@pytest.mark.embedded_only("node loss (kill)")
def test_the_whole_cluster_down_still_opens_the_breaker(
    embedded_cluster: Factory, make_cluster_store: Stores
) -> None:
    cluster = embedded_cluster(3, 2, heartbeat_timeout=HEARTBEAT_S)
    store = make_cluster_store(cluster)
    until(lambda: node_count(store) == 3)
    assert store.set("k", 1, None)
    for node in cluster.nodes:
        cluster.kill(node)
    failed = 0
    started = time.monotonic()
    entry = store.records.entry
    assert entry is not None
    while not entry.breaker.is_open:
        # keys on every node: each refuses, so the cluster is seen gone at once
        assert isinstance(_get_raising(store, f"k{failed}"), CacheUnavailable)
        failed += 1
        assert time.monotonic() - started < 2 * TIMEOUT_MS / 1000 + 1
    # open within one command timeout of the last answer, after a few calls
    assert failed < 50
    answer = _get_raising(store, "k")
    assert isinstance(answer, CacheUnavailable) and "circuit open" in str(answer)


@pytest.mark.embedded_only("node loss (kill)")
def test_a_node_incident_is_logged_once_naming_the_node_and_once_when_over(
    embedded_cluster: Factory, make_cluster_store: Stores, caplog: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(failures, "NODE_QUIET_S", 0.3)
    cluster = embedded_cluster(2, 1, heartbeat_timeout=5)
    store = make_cluster_store(cluster, fail_open=True)
    other = make_cluster_store(cluster, fail_open=True, set_name="other")  # shares the client
    until(lambda: node_count(store) == 2)
    lost = cluster.nodes[1]
    lost_address = f"{lost.host}:{lost.port}"
    keys = [f"k{i}" for i in range(40)]
    for key in keys:
        store.set(key, key, None)
    with caplog.at_level(logging.WARNING, logger="aerospike_cache"):
        cluster.kill(lost)
        for _ in range(3):
            for key in keys:  # replication factor 1: the lost node's keys fail, others answer
                store.get(key)
                other.get(key)
        cluster.restart(lost)
        time.sleep(0.35)  # NODE_QUIET_S without a failure of the lost node
        assert store.get(keys[0]) in (keys[0], MISSING)  # an answer ends the incident
    lines = [r.getMessage() for r in caplog.records]
    failed = [m for m in lines if f"node {lost_address} " in m and "failed during" in m]
    over = [m for m in lines if f"node {lost_address} " in m and "no failure" in m]
    assert len(failed) == 1 and len(over) == 1, lines  # once per client, not per store
    assert not [m for m in lines if "unavailable during" in m], lines  # not a cluster outage
