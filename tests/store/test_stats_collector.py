"""The stats collector on its own: counts, errors, histograms, reset, info parsing."""

from __future__ import annotations

import threading

import pytest

from aerospike_cache.store.stats import SET_FIELDS, Histogram, Stats, merge_nodes, server_figures

from ..real_node import NODES, Recorded


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
    assert hist.percentiles(0.5, 0.99) == (1000, [p50, p99])  # one pass, the same answers
    hist.add(5.0)  # past the linear buckets
    assert hist.percentiles(0.5, 1.0)[1][1] == pytest.approx(5.0, rel=0.091)
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


class Replay:
    """Answers ``info_all`` with a real node's recorded answer, as client 19 returns it."""

    def __init__(self, node: Recorded, strip_name: bool) -> None:
        self.node = node
        self.strip_name = strip_name

    def info_all(self, command: str) -> dict[str, tuple[None, str]]:
        raw = self.node.answers[command]
        return {"BB9": (None, self.node.value(command) if self.strip_name else raw)}


@pytest.mark.parametrize("strip_name", [False, True])
@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_server_figures_of_a_real_nodes_answers(node: Recorded, strip_name: bool) -> None:
    ns = node.namespace
    figures = server_figures(Replay(node, strip_name), ns, "infoset")
    stats = figures["namespace_stats"]
    pairs = dict(p.split("=", 1) for p in node.value(f"namespace/{ns}").split(";"))
    assert figures["nodes"] == 1
    for name in ("objects", "master_objects", "data_used_bytes", "data_total_bytes"):
        assert stats[name] == int(pairs[name]), name
    assert stats["nsup-period"] == pairs["nsup-period"]
    assert stats["stop_writes"] == "false"
    assert stats["storage-engine.evict-used-pct"] == "0"
    # sets/<ns>/<set>: "objects=1:tombstones=0:data_used_bytes=64:...;", no ns=/set= prefix
    assert figures["set_stats"] == {"objects": 1, "data_used_bytes": 64}


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_an_absent_set_has_no_figures(node: Recorded) -> None:
    answers = {"A": node.value(f"sets/{node.namespace}/nosuchset")}
    assert answers == {"A": ""}
    assert merge_nodes(answers, SET_FIELDS, ":") == {}


@pytest.mark.parametrize("node", NODES, ids=lambda n: n.name)
def test_a_real_nodes_set_answer_merges_with_colons(node: Recorded) -> None:
    answer = node.value(f"sets/{node.namespace}/infoset")
    assert not answer.startswith("ns=")
    merged = merge_nodes({"A": answer, "B": answer}, SET_FIELDS, ":")
    assert merged == {"objects": 2, "data_used_bytes": 128}
