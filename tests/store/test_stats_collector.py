"""The stats collector on its own: counts, errors, histograms, reset, info parsing."""

from __future__ import annotations

import threading

from aerospike_cache.store.stats import Histogram, Stats, merge_nodes


class Breaker:
    threshold = 2
    failures = 0


def test_counts_are_what_was_recorded() -> None:
    breaker = Breaker()
    stats = Stats(lambda: breaker)
    stats.observe("get", 0, None, 0.0001)
    stats.observe("get", 2, None, 0.0002)  # not found: an answer
    stats.observe("add", 5, None, 0.0001)  # exists: an answer
    breaker.failures = 1
    stats.observe("get", -8, "n1:3000", 0.3)
    breaker.failures = 2  # this outage opened the circuit
    stats.observe("get", -8, None, 0.3)
    stats.observe("set", None, None, 0.0)  # circuit open: no code
    stats.hits += 4
    stats.misses += 2
    stats.near_hits += 1
    stats.sets += 2
    stats.deletes += 1
    snap = stats.snapshot("open")
    assert {k: snap[k] for k in ("hits", "misses", "near_hits", "sets", "deletes")} == {
        "hits": 4,
        "misses": 2,
        "near_hits": 1,
        "sets": 2,
        "deletes": 1,
    }
    assert snap["hit_ratio"] == round(4 / 6, 4)
    assert snap["errors"] == {"-8": 2, "none": 1}
    assert snap["breaker"] == {"state": "open", "openings": 1}
    assert {op: lat["count"] for op, lat in snap["latency"].items()} == {
        "add": 1,
        "get": 4,
        "set": 1,
    }


def test_reset_starts_from_zero() -> None:
    stats = Stats()
    stats.observe("get", 4, None, 0.001)
    stats.hits += 1
    stats.reset()
    snap = stats.snapshot()
    assert (snap["hits"], snap["errors"], snap["latency"], snap["hit_ratio"]) == (0, {}, {}, None)


def test_percentiles_are_within_a_bucket_of_the_truth() -> None:
    hist = Histogram()
    for micros in range(1, 1001):  # 1 µs .. 1 ms, uniform
        hist.add(micros * 1e-6)
    p50, p99 = hist.percentile(0.5), hist.percentile(0.99)
    assert p50 is not None and p99 is not None
    assert 500e-6 <= p50 <= 500e-6 * 1.091
    assert 990e-6 <= p99 <= 990e-6 * 1.091
    assert Histogram().percentile(0.5) is None


def test_counts_are_exact_under_threads() -> None:
    stats = Stats()

    def work() -> None:
        for _ in range(5000):
            stats.observe("get", 0, None, 1e-5)
            stats.hits += 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = stats.snapshot()
    assert snap["hits"] == 20000 and snap["latency"]["get"]["count"] == 20000


def test_node_answers_merge_counts_and_keep_settings() -> None:
    answers = {
        "A": "objects=10;master_objects=5;nsup-period=120;evicted_objects=1",
        "B": "objects=8;master_objects=5;nsup-period=120;evicted_objects=0",
    }
    merged = merge_nodes(answers, ("objects", "master_objects", "nsup-period", "evicted_objects"))
    assert merged == {
        "objects": 18,
        "master_objects": 10,
        "nsup-period": "120",
        "evicted_objects": 1,
    }
    sets = {"A": "ns=cache:set=s:objects=3:data_used_bytes=300;"}
    assert merge_nodes(sets, ("objects", "data_used_bytes")) == {
        "objects": 3,
        "data_used_bytes": 300,
    }


def test_a_nodes_own_state_merges_as_the_highest() -> None:
    answers = {
        "A": "data_used_pct=72;stop_writes=true;evict_ttl=300;data_used_bytes=700",
        "B": "data_used_pct=65;stop_writes=false;evict_ttl=0;data_used_bytes=600",
    }
    fields = ("data_used_pct", "stop_writes", "evict_ttl", "data_used_bytes")
    assert merge_nodes(answers, fields) == {
        "data_used_pct": 72,  # the fullest node: not a sum
        "stop_writes": "true",  # any node refusing writes
        "evict_ttl": 300,
        "data_used_bytes": 1300,
    }


def test_a_real_nodes_set_answer_merges() -> None:
    recorded = (  # sets/cache/infoset of a real 8.1.2 node: no ns=/set= prefix
        "objects=1:tombstones=0:data_used_bytes=64:truncate_lut=0:sindexes=0:"
        "index_populating=false:truncating=false:default-read-touch-ttl-pct=0:default-ttl=0:"
        "disable-eviction=false:enable-index=false:stop-writes-count=0:stop-writes-size=0;"
    )
    assert merge_nodes({"A": recorded}, ("objects", "data_used_bytes")) == {
        "objects": 1,
        "data_used_bytes": 64,
    }
