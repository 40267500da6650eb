"""Store fixtures: the contract runs once per store set-up in :data:`SETUPS`.

A set-up builds a store on the test server from ``AerospikeStore`` keyword
arguments. Features that wrap or extend the store (a near cache, stats, a
cluster) add their set-up here, and every contract test then runs on it too.
The ``cluster`` set-up runs the contract on a 3-node embedded cluster
(replication factor 2); a test that reads or writes records behind the
store's back takes ``raw_client``, a client of the store's own cluster.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aerospike_cache.connection import registry
from aerospike_cache.errors import CacheUnavailable
from aerospike_cache.server import EmbeddedCluster, NamespaceConfig
from aerospike_cache.server.pytest_plugin import AerospikeTestServer, real_cluster_hosts
from aerospike_cache.store import AerospikeStore
from tests.clock import FakeClock

Setup = Callable[[Any, dict[str, Any]], AerospikeStore]


def plain(server: Any, options: dict[str, Any]) -> AerospikeStore:
    """The store as configured, nothing added."""
    return AerospikeStore(server.hosts, **options)


def observed(server: Any, options: dict[str, Any]) -> AerospikeStore:
    """A store with an observer on its failure path (as stats will be): results unchanged."""
    store = plain(server, options)
    store.add_observer(lambda op, code, node, elapsed: None)
    return store


def near(server: Any, options: dict[str, Any]) -> AerospikeStore:
    """A store with a near cache in front of its reads: results unchanged for this process."""
    return plain(server, {"near_cache": {"ttl": 60.0}, **options})


def cluster(server: Any, options: dict[str, Any]) -> AerospikeStore:
    """A plain store on a 3-node cluster (``make_store`` gives it the cluster as ``server``)."""
    return plain(server, options)


SETUPS: dict[str, Setup] = {
    "plain": plain,
    "observed": observed,
    "near": near,
    "cluster": cluster,
}


def behind_its_back(store: AerospikeStore) -> None:
    """Another process changed the store's records: a near cache would serve its entries up
    to its ttl (the contract, tested in test_near_cache); the test drops them instead."""
    if store.near is not None:
        store.near.drop_all()


@pytest.fixture(params=sorted(SETUPS))
def store_setup(request: pytest.FixtureRequest) -> Setup:
    return SETUPS[request.param]


@pytest.fixture(scope="session")
def contract_cluster(aerospike_server: Any) -> Iterator[tuple[Any, Any]]:
    """``(server, raw client)`` of the ``cluster`` set-up: 3 embedded nodes, replication
    factor 2, the test server's namespaces (a real cluster: ``AEROSPIKE_HOSTS`` itself)."""
    import aerospike

    if real_cluster_hosts():
        yield aerospike_server, None
        return
    namespaces = [NamespaceConfig("cache"), NamespaceConfig("test"), NamespaceConfig("nonsup", 0)]
    if aerospike_server.namespace not in ("cache", "test", "nonsup"):
        namespaces.append(NamespaceConfig(aerospike_server.namespace))
    # isolated (child process), as the test server: the client holds the GIL in truncate()
    embedded = EmbeddedCluster(3, 2, namespaces, isolated=True).start()
    server = AerospikeTestServer(embedded.hosts, aerospike_server.namespace, "nonsup")
    client = aerospike.client(server.config)
    try:
        yield server, client
    finally:
        client.close()
        embedded.close()


@pytest.fixture
def store_server(
    request: pytest.FixtureRequest, store_setup: Setup, aerospike_server: Any, aerospike_set: str
) -> Any:
    """The server the current set-up's stores use (the cluster's set is emptied after)."""
    if store_setup is not cluster:
        return aerospike_server
    server, client = request.getfixturevalue("contract_cluster")
    if client is not None:

        def empty() -> None:
            time.sleep(0.002)  # a truncate spares records of its own millisecond
            client.truncate(server.namespace, aerospike_set, 0)

        request.addfinalizer(empty)
    return server


@pytest.fixture
def raw_client(request: pytest.FixtureRequest, store_setup: Setup, aerospike_client: Any) -> Any:
    """A raw ``aerospike`` client of the current set-up's cluster (for behind-the-back access)."""
    if store_setup is cluster:
        return request.getfixturevalue("contract_cluster")[1] or aerospike_client
    return aerospike_client


def _maker(server: Any, set_name: str, setup: Setup) -> Callable[..., AerospikeStore]:
    def make(**options: Any) -> AerospikeStore:
        options.setdefault("namespace", server.namespace)
        options.setdefault("set_name", set_name)
        return setup(server, options)

    return make


@pytest.fixture
def make_store(
    store_server: Any, aerospike_set: str, store_setup: Setup
) -> Callable[..., AerospikeStore]:
    """Build stores of the current set-up on its server; options as AerospikeStore's."""
    return _maker(store_server, aerospike_set, store_setup)


@pytest.fixture
def store(make_store: Callable[..., AerospikeStore]) -> AerospikeStore:
    return make_store()


@pytest.fixture
def make_plain(aerospike_server: Any, aerospike_set: str) -> Callable[..., AerospikeStore]:
    """Build plain stores (for tests of one module, not of the contract)."""
    return _maker(aerospike_server, aerospike_set, plain)


@pytest.fixture
def plain_store(make_plain: Callable[..., AerospikeStore]) -> AerospikeStore:
    return make_plain()


# Python 3.12+ warns at every os.fork() of a process that runs threads (here:
# the client's, the I/O pool's). The fork tests fork such a process on purpose,
# as a pre-fork server (gunicorn --preload, uWSGI) does, to check what the child
# gets; the child only runs the code under test and _exits, so nothing can
# deadlock on a lock a parent thread held. The warning is about that fork.
forks_on_purpose = pytest.mark.filterwarnings(
    r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to "
    r"deadlocks in the child:DeprecationWarning"
)
needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork()")


FAULT_TIMEOUT_MS = 300


@pytest.fixture
def make_faulty(embedded_server: Any) -> Callable[..., AerospikeStore]:
    """Plain stores on a private embedded server whose faults a test controls."""

    def make(**options: Any) -> AerospikeStore:
        options.setdefault("namespace", "test")
        options.setdefault("set_name", "faults")
        options.setdefault("timeout_ms", FAULT_TIMEOUT_MS)
        options.setdefault("connect_timeout_ms", FAULT_TIMEOUT_MS)
        return AerospikeStore([(embedded_server.host, embedded_server.port)], **options)

    return make


@pytest.fixture
def clock(store: AerospikeStore) -> FakeClock:
    """The store's clock, moved by hand (no real time passes: the server never evicts)."""
    fake = FakeClock()
    store.clock = fake
    return fake


CLUSTER_TIMEOUT_MS = 300


@pytest.fixture
def make_cluster_store() -> Iterator[Callable[..., AerospikeStore]]:
    """Plain stores on a cluster (``make(cluster, **options)``), short timeouts, fast tending.

    Their clients are discarded after the test: its cluster is gone, nothing should tend it.
    """
    made: list[AerospikeStore] = []

    def make(cluster: Any, **options: Any) -> AerospikeStore:
        options.setdefault("namespace", "test")
        options.setdefault("set_name", "cluster")
        options.setdefault("timeout_ms", CLUSTER_TIMEOUT_MS)
        options.setdefault("client_config", {"tend_interval": 250})
        store = AerospikeStore(cluster.hosts, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        if store.records.entry is not None:
            registry.discard(store.records.entry)


def until(check: Callable[[], Any], timeout: float = 15.0) -> None:
    """Wait (polling) until ``check()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {check}"
        time.sleep(0.05)


def node_count(store: AerospikeStore) -> int:
    """How many nodes the store's client knows."""
    return len(store.records.client().get_nodes())


def unreadable(get: Callable[[str], Any], keys: list[str]) -> list[str]:
    """The keys a strict single ``get`` cannot read: on a cluster that lost a node
    (replication factor 1), the lost node's keys, as the client routes them."""
    lost = []
    for key in keys:
        try:
            get(key)
        except CacheUnavailable:
            lost.append(key)
    return lost


def writes_work(store: AerospikeStore) -> bool:
    """Whether a write succeeds (a cluster that lost a node: once it has re-formed)."""
    try:
        return store.set("writes_work", 1, None)
    except CacheUnavailable:
        return False
