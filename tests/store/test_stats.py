"""store.stats(): the counts are what the test did; errors by code; the breaker; server figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheOperationError
from aerospike_cache.store import AerospikeStore


def test_counts_equal_what_was_done(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.failures.sample_every = 1  # time every call: latency counts are then call counts
    store.set("a", 1, 60)
    store.set_many({"b": 2, "c": 3}, 60)
    store.add("d", 4, 60)
    store.get("a")
    store.get("absent")
    store.get_many(["a", "b", "nope"])
    store.delete("a")
    store.delete_many(["b", "c", "never"])
    stats = store.stats()
    assert {k: stats[k] for k in ("hits", "misses", "near_hits", "sets", "deletes")} == {
        "hits": 3,
        "misses": 2,
        "near_hits": 0,
        "sets": 4,
        "deletes": 4,
    }
    assert stats["hit_ratio"] == 0.6
    assert stats["errors"] == {}
    assert stats["breaker"] == {"state": "closed", "openings": 0}
    counts = {op: lat["count"] for op, lat in stats["latency"].items()}
    assert counts == {"set": 1, "set_many": 1, "add": 1, "get": 2, "get_many": 1, "delete": 1,
                      "delete_many": 1}  # fmt: skip
    for lat in stats["latency"].values():
        assert 0 < lat["p50_ms"] <= lat["p99_ms"]


def test_latency_is_sampled_and_counts_are_exact(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.set("k", 1, 60)
    store.reset_stats()
    for _ in range(320):
        store.get("k")
        store.get("absent")
    stats = store.stats()
    assert (stats["hits"], stats["misses"]) == (320, 320)
    timed = stats["latency"]["get"]["count"]
    assert 640 // 31 <= timed < 640  # one call in 16 on average, at least one in 31


def test_near_hits_count_as_hits(make_plain: Callable[..., AerospikeStore]) -> None:
    store = make_plain(near_cache={"ttl": 60.0})
    store.set("k", "v", 60)
    for _ in range(3):
        store.get("k")
    stats = store.stats()
    assert (stats["hits"], stats["near_hits"], stats["misses"]) == (3, 2, 0)
    assert stats["near_cache"] == {
        "entries": 1,
        "max_entries": 10000,
        "ttl": 60.0,
        "max_idle": None,
    }


def test_reset_stats_starts_from_zero(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.get("x")
    store.reset_stats()
    stats = store.stats()
    assert (stats["misses"], stats["latency"]) == (0, {})


@pytest.mark.embedded_only("fault controls")
def test_errors_by_result_code_and_breaker_openings(embedded_server: Any) -> None:
    store = AerospikeStore(
        embedded_server.hosts,
        namespace="test",
        set_name="stats",
        timeout_ms=200,
        connect_timeout_ms=200,
        fail_open=True,
        breaker_threshold=2,
        breaker_cooldown=60,
    )
    store.set("k", 1, 60)
    embedded_server.fail_next(2, 4)  # parameter error, twice: answers, not outages
    store.get("k")
    store.set("k", 2, 60)
    embedded_server.stop()
    for _ in range(4):
        store.get("k")  # two timeouts open the circuit; then it fails fast
    stats = store.stats()
    assert stats["errors"]["4"] == 2
    assert stats["breaker"] == {"state": "open", "openings": 1}
    outages = sum(n for code, n in stats["errors"].items() if code != "4")
    assert outages == 4


@pytest.mark.embedded_only("fault controls")
def test_errors_are_counted_when_they_raise(embedded_server: Any) -> None:
    store = AerospikeStore(embedded_server.hosts, namespace="test", set_name="stats")
    embedded_server.fail_next(1, 14)  # key busy
    with pytest.raises(CacheOperationError):
        store.set("k", 1, 60)
    assert store.stats()["errors"] == {"14": 1}
    assert store.stats()["sets"] == 1  # the attempt counts


def test_server_figures_of_the_namespace_and_set(plain_store: AerospikeStore) -> None:
    store = plain_store
    store.set_many({f"k{i}": i for i in range(5)}, 60)
    figures = store.server_stats()
    assert figures["namespace"] == store.namespace and figures["set"] == store.set_name
    assert figures["nodes"] >= 1
    assert figures["set_stats"]["objects"] >= 5  # every copy on every node
    assert "nsup-period" in figures["namespace_stats"]
    for name in ("data_used_bytes", "data_used_pct", "stop_writes", "evicted_objects"):
        assert name in figures["namespace_stats"], name  # 7.0+ names (the embedded server's)
    assert "storage-engine.evict-used-pct" in figures["namespace_stats"]
    assert figures["namespace_stats"]["objects"] >= 5
