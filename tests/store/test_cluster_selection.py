"""Key patterns on a cluster (issue 13): every node's partitions, each exactly once.

``keys()`` and ``delete_pattern()`` run a query that the client sends to every
node for the partitions it masters. On a healthy cluster (the 3-node
``aerospike_cluster``, or the real one ``AEROSPIKE_HOSTS`` names) every entry
is listed once, across pages. While a node is lost (the embedded cluster's
``kill``), what is covered depends on the replication factor and on whether
the survivors took over; see docs/reliability.md, scenario (i).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aerospike_cache.errors import CacheUnavailable
from aerospike_cache.server import EmbeddedCluster
from aerospike_cache.server.pytest_plugin import pooled_set_name
from aerospike_cache.store import AerospikeStore, selection
from tests.store.conftest import node_count, unreadable, until

KEYS = [f"a:{i}" for i in range(120)]
OTHERS = [f"b:{i}" for i in range(30)]
Factory = Callable[..., EmbeddedCluster]
Stores = Callable[..., AerospikeStore]


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    # pages of a few records: a page ends on one node and the next starts on another
    monkeypatch.setattr(selection, "PAGE", 7)


def test_keys_and_delete_pattern_cover_every_partition_once(aerospike_cluster: Any) -> None:
    store = AerospikeStore(
        aerospike_cluster.hosts,
        namespace=aerospike_cluster.namespace,
        set_name=pooled_set_name("sel"),
    )
    if aerospike_cluster.is_embedded:  # its 3 nodes, all known: the query spans them
        until(lambda: node_count(store) == len(aerospike_cluster.embedded.nodes))
    assert store.set_many({key: 1 for key in KEYS + OTHERS}, None) == []
    listed = list(store.keys("a:*"))
    assert len(listed) == len(KEYS) and set(listed) == set(KEYS)  # no duplicate, none missed
    assert store.delete_pattern("a:*") == len(KEYS)  # each removed once
    assert sorted(store.keys("*")) == sorted(OTHERS)
    assert store.delete_pattern("*") == len(OTHERS)


def _filled(
    embedded_cluster: Factory, make_cluster_store: Stores, replication_factor: int
) -> tuple[EmbeddedCluster, AerospikeStore, AerospikeStore]:
    """A 3-node cluster (the survivors take over only after 30 s) holding KEYS,
    a strict and a fail-open store on it."""
    cluster = embedded_cluster(3, replication_factor, heartbeat_timeout=30)
    strict = make_cluster_store(cluster)
    fail_open = make_cluster_store(cluster, fail_open=True)
    until(lambda: node_count(strict) == len(cluster.nodes))
    assert strict.set_many({key: 1 for key in KEYS}, None) == []
    return cluster, strict, fail_open


@pytest.mark.embedded_only("node loss (kill)")
def test_before_take_over_without_replicas_a_scan_fails_strict_and_ends_early_fail_open(
    embedded_cluster: Factory, make_cluster_store: Stores
) -> None:
    cluster, strict, fail_open = _filled(embedded_cluster, make_cluster_store, 1)
    node = cluster.nodes[1]
    cluster.kill(node)
    lost = unreadable(strict.get, KEYS)
    live = [key for key in KEYS if key not in lost]
    assert lost and live
    # strict: the call fails, naming the node; nothing partial is listed or removed
    for call in (lambda: list(strict.keys("a:*")), lambda: strict.delete_pattern("a:*")):
        with pytest.raises(CacheUnavailable, match=f"node {node.host}:{node.port} did not answer"):
            call()
    # fail-open: the listing ends at the failure; what it has is the live nodes', once each
    listed = list(fail_open.keys("a:*"))
    assert len(listed) == len(set(listed)) and set(listed) <= set(live)
    removed = fail_open.delete_pattern("a:*")
    assert len(fail_open.get_many(live)) == len(live) - removed  # the count is exact


@pytest.mark.embedded_only("node loss (kill)")
def test_before_take_over_replicas_cover_the_lost_nodes_partitions(
    embedded_cluster: Factory, make_cluster_store: Stores
) -> None:
    cluster, strict, _ = _filled(embedded_cluster, make_cluster_store, 2)
    cluster.kill(1)
    listed = list(strict.keys("a:*"))  # the client reads the lost partitions from replicas
    assert len(listed) == len(KEYS) and set(listed) == set(KEYS)
