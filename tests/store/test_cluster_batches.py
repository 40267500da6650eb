"""Batches on a cluster that loses a node (issue 13): the live nodes' rows are the answer.

A batch spanning a lost node returns the rows of the nodes that answered and
reports only the lost node's keys: strict, as a ``CacheUnavailable`` naming
that node; fail-open, as misses (and failed keys for writes). The same holds
for the Django and Flask forms of the batches. After the survivors take over,
every row answers and a key-pattern scan covers what the cluster holds. These
need the embedded cluster's ``kill``, so they are skipped against a real cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from aerospike_cache.connection import registry
from aerospike_cache.django import AerospikeCache as DjangoCache
from aerospike_cache.errors import CacheUnavailable
from aerospike_cache.flask import AerospikeCache as FlaskCache
from aerospike_cache.server import EmbeddedCluster
from aerospike_cache.store import AerospikeStore
from tests.store.conftest import CLUSTER_TIMEOUT_MS, node_count, unreadable, until, writes_work

KEYS = [f"k{i}" for i in range(40)]
Factory = Callable[..., EmbeddedCluster]
Stores = Callable[..., AerospikeStore]


@dataclass
class Batches:
    """One form of the three batches: ``get`` gives the hits, ``set`` and ``delete``
    the keys that failed (``None``: the form does not say); ``one`` is a single get."""

    store: AerospikeStore
    one: Callable[[str], Any]
    get: Callable[[list[str]], dict[str, Any]]
    set: Callable[[dict[str, Any]], list[str]]
    delete: Callable[[list[str]], list[str] | None]


def _store_form(store: AerospikeStore) -> Batches:
    return Batches(
        store,
        store.get,
        store.get_many,
        lambda mapping: store.set_many(mapping, None),
        lambda keys: store.remove_many(keys)[1],
    )


def _django_form(cluster: EmbeddedCluster, fail_open: bool) -> Batches:
    location = ",".join(f"{host}:{port}" for host, port in cluster.hosts)
    options = {
        "NAMESPACE": "test",
        "SET": "django",
        "TIMEOUT_MS": CLUSTER_TIMEOUT_MS,
        "IGNORE_EXCEPTIONS": fail_open,
        "CLIENT_CONFIG": {"tend_interval": 250},
    }
    cache = DjangoCache(location, {"OPTIONS": options})

    def delete(keys: list[str]) -> None:
        cache.delete_many(keys)  # Django's delete_many reports nothing

    def set_(mapping: dict[str, Any]) -> list[str]:
        return cache.set_many(mapping, None)

    return Batches(cache.store, cache.get, cache.get_many, set_, delete)


def _flask_form(cluster: EmbeddedCluster, fail_open: bool) -> Batches:
    cache = FlaskCache(
        cluster.hosts,
        "test",
        "flask",
        fail_open=fail_open,
        timeout_ms=CLUSTER_TIMEOUT_MS,
        client_config={"tend_interval": 250},
        ignore_delete_many_errors=True,
    )

    def get(keys: list[str]) -> dict[str, Any]:
        found = zip(keys, cache.get_many(*keys), strict=True)
        return {key: value for key, value in found if value is not None}

    def set_(mapping: dict[str, Any]) -> list[str]:
        done = set(cache.set_many(mapping, 0))
        return [key for key in mapping if key not in done]

    def delete(keys: list[str]) -> list[str]:
        done = set(cache.delete_many(*keys))
        return [key for key in keys if key not in done]

    return Batches(cache.store, cache.get, get, set_, delete)


@pytest.fixture
def forms(make_cluster_store: Stores) -> Iterator[Callable[[str, EmbeddedCluster, bool], Batches]]:
    """``forms(frontend, cluster, fail_open)``: that frontend's batches on ``cluster``."""
    made: list[Batches] = []

    def make(frontend: str, cluster: EmbeddedCluster, fail_open: bool) -> Batches:
        if frontend == "store":
            form = _store_form(make_cluster_store(cluster, fail_open=fail_open))
        else:
            form = (_django_form if frontend == "django" else _flask_form)(cluster, fail_open)
            made.append(form)
        return form

    yield make
    for form in made:  # its cluster is gone after the test: nothing should tend it
        if form.store.records.entry is not None:
            registry.discard(form.store.records.entry)


def _failure(call: Callable[[], Any]) -> str:
    with pytest.raises(CacheUnavailable) as info:
        call()
    return str(info.value)


@pytest.mark.embedded_only("node loss (kill)")
@pytest.mark.parametrize("frontend", ["store", "django", "flask"])
def test_a_batch_spanning_a_lost_node_answers_for_the_live_nodes_and_names_the_lost_one(
    embedded_cluster: Factory, forms: Callable[..., Batches], frontend: str
) -> None:
    # replication factor 1, a long heartbeat: the lost node's rows cannot be answered
    cluster = embedded_cluster(2, 1, heartbeat_timeout=30)
    strict, fail_open = forms(frontend, cluster, False), forms(frontend, cluster, True)
    until(lambda: node_count(strict.store) == 2)
    assert strict.set({key: key for key in KEYS}) == []
    node = cluster.nodes[1]
    address = f"{node.host}:{node.port}"
    cluster.kill(node)
    lost = unreadable(strict.one, KEYS)
    live = [key for key in KEYS if key not in lost]
    assert lost and live

    assert fail_open.get(KEYS) == {key: key for key in live}  # misses: the lost keys only
    assert fail_open.set(dict.fromkeys(KEYS, "new")) == lost
    assert fail_open.get(KEYS) == dict.fromkeys(live, "new")
    failures = {
        "get_many": (lambda: strict.get(KEYS), len(lost)),
        "set_many": (lambda: strict.set(dict.fromkeys(KEYS, "strict")), len(lost)),
        "delete_many": (lambda: strict.delete(KEYS[:20]), len(set(lost) & set(KEYS[:20]))),
    }
    for op, (call, failed) in failures.items():
        message = _failure(call)
        assert f"during {op}" in message and f"{failed} keys failed" in message, message
        assert f"node {address} did not answer" in message, message
    assert fail_open.delete(KEYS) in (lost, None)  # Django's delete_many reports nothing
    assert fail_open.get(KEYS) == {}


@pytest.mark.embedded_only("node loss (kill)")
@pytest.mark.parametrize("replication_factor", [1, 2])
def test_after_take_over_every_row_answers_and_every_partition_is_scanned(
    embedded_cluster: Factory, make_cluster_store: Stores, replication_factor: int
) -> None:
    cluster = embedded_cluster(3, replication_factor, heartbeat_timeout=0.5)
    store = make_cluster_store(cluster)
    until(lambda: node_count(store) == 3)
    store.set_many({key: key for key in KEYS}, None)
    cluster.kill(1)
    until(lambda: node_count(store) == 2)  # the survivors took over
    until(lambda: writes_work(store))
    found = store.get_many(KEYS)  # strict: no row fails
    if replication_factor == 2:
        assert found == {key: key for key in KEYS}
    else:  # the lost node's records are gone: misses, never stale values
        assert 0 < len(found) < len(KEYS) and all(found[key] == key for key in found)
    listed = list(store.keys("k*"))  # the scan covers what the cluster holds, once
    assert sorted(listed) == sorted(found)
    assert store.set_many(dict.fromkeys(KEYS, 2), None) == []
    assert store.get_many(KEYS) == dict.fromkeys(KEYS, 2)
    assert sorted(store.delete_many(KEYS[:20])) == sorted(KEYS[:20])
    assert store.delete_pattern("k*") == len(KEYS) - 20
    assert list(store.keys("k*")) == []


@pytest.mark.embedded_only("node loss (kill)")
def test_before_take_over_reads_answer_from_the_replicas(
    embedded_cluster: Factory, make_cluster_store: Stores
) -> None:
    # replication factor 2: each lost row has a live copy, which the client reads
    cluster = embedded_cluster(2, 2, heartbeat_timeout=30)
    store = make_cluster_store(cluster)
    until(lambda: node_count(store) == 2)
    store.set_many({key: key for key in KEYS}, None)
    node = cluster.nodes[1]
    cluster.kill(node)
    assert store.get_many(KEYS) == {key: key for key in KEYS}
    # writes wait for the lost replica until the survivors take over: they fail, naming it
    message = _failure(lambda: store.set_many(dict.fromkeys(KEYS, 2), None))
    assert f"node {node.host}:{node.port} did not answer" in message, message
