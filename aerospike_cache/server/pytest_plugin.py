"""pytest plugin (auto-loaded through the ``pytest11`` entry point).

Fixtures:

``aerospike_server`` (session)
    Where the tests run: ``.hosts``, ``.host``, ``.port``, ``.namespace``,
    ``.nonsup_namespace``, ``.embedded`` and ``.config``. With ``AEROSPIKE_HOSTS``
    set (``host:port[,host:port]``) it points at that real cluster and starts
    nothing; otherwise it runs an :class:`EmbeddedServer` with namespaces
    ``cache``, ``test`` (nsup on) and ``nonsup`` (nsup-period 0).
``aerospike_client`` (session)
    A connected official ``aerospike`` client, closed at session end.
``aerospike_set`` (function)
    A set name no other running test uses, truncated after the test. On a
    real cluster names come from a bounded pool (``t_<slice>_<n>``, see
    :func:`pooled_set_name`) and are used again by later tests: a real node
    never forgets a set name (until restarted) and refuses a write that would
    create a namespace's 4096th set (code 4), so a name per test would use
    that up in a few runs of a large suite. Each test process leases its
    slice of the pool in the cluster (a record in the set ``t_pool_leases``,
    given back at exit), so concurrent sessions never share a name. On the
    embedded server each test gets a fresh name.
``embedded_server`` (function)
    A fresh private :class:`EmbeddedServer` (for fault tests); skipped on a
    real cluster.
``make_embedded_server`` (function)
    A factory: ``make_embedded_server({"cache": {"data-size": "1M",
    "evict-used-pct": 60}})`` returns a started, private :class:`EmbeddedServer`
    with those namespaces (any :class:`EmbeddedServer` keyword argument too;
    closed after the test; for a namespace that fills up); skipped on a real
    cluster.
``aerospike_cluster`` (session)
    A multi-node cluster: ``.hosts``, ``.namespace``, ``.embedded`` and
    ``.config``. With ``AEROSPIKE_HOSTS`` set, that real cluster; otherwise an
    :class:`EmbeddedCluster` of 3 nodes, replication factor 2, in a child
    process (so ``truncate`` works), namespaces ``cache`` and ``test``.
``embedded_cluster`` (function)
    A factory: ``embedded_cluster(nodes=3, replication_factor=2,
    heartbeat_timeout=0.5)`` returns a started, private, in-process
    :class:`EmbeddedCluster` (closed after the test; for node-loss tests);
    skipped on a real cluster.

Marker ``embedded_only`` (optionally ``embedded_only("why")``): the test needs
the embedded server (skipped on a real cluster, with the reason).

Environment: ``AEROSPIKE_HOSTS``, ``AEROSPIKE_NAMESPACE`` (default ``test``),
``AEROSPIKE_NONSUP_NAMESPACE`` (real cluster only), ``AEROSPIKE_CLUSTER_NAME``.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ._cluster import EmbeddedCluster
from ._engine import NamespaceConfig
from ._server import EmbeddedServer, client_config

SKIP_REASON = (
    "needs the embedded server's fault controls (AEROSPIKE_HOSTS points at a real cluster)"
)
EMBEDDED_ONLY_REASON = "needs the embedded server (AEROSPIKE_HOSTS points at a real cluster)"


@dataclass
class AerospikeTestServer:
    """What the ``aerospike_server`` fixture yields."""

    hosts: list[tuple[str, int]]
    namespace: str
    nonsup_namespace: str | None
    embedded: EmbeddedServer | None = None
    cluster_name: str | None = None
    extra_config: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.hosts[0][0]

    @property
    def port(self) -> int:
        return self.hosts[0][1]

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    @property
    def config(self) -> dict[str, Any]:
        """A fresh configuration dict for ``aerospike.client(...)``."""
        return {**client_config(self.hosts, self.cluster_name), **self.extra_config}


@dataclass
class AerospikeTestCluster:
    """What the ``aerospike_cluster`` fixture yields."""

    hosts: list[tuple[str, int]]
    namespace: str
    embedded: EmbeddedCluster | None = None
    cluster_name: str | None = None

    @property
    def is_embedded(self) -> bool:
        return self.embedded is not None

    @property
    def config(self) -> dict[str, Any]:
        """A fresh configuration dict for ``aerospike.client(...)``."""
        return client_config(self.hosts, self.cluster_name)


def parse_hosts(text: str) -> list[tuple[str, int]]:
    """``"host:port[,host:port]"`` (port defaults to 3000; ``[v6]:port`` accepted)."""
    hosts = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            port = int(rest.lstrip(":") or 3000)
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text)
        else:
            host, port = item, 3000
        hosts.append((host, port))
    if not hosts:
        raise ValueError(f"AEROSPIKE_HOSTS has no host: {text!r}")
    return hosts


def real_cluster_hosts() -> list[tuple[str, int]] | None:
    text = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    return parse_hosts(text) if text else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "embedded_only(reason=None): the test needs the embedded server (skipped, with the "
        "reason, when AEROSPIKE_HOSTS is set)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("embedded_only")
    if marker is not None and real_cluster_hosts():
        # embedded_only("why"): what only the embedded server can do for the test
        pytest.skip(
            f"{EMBEDDED_ONLY_REASON}: {marker.args[0]}" if marker.args else EMBEDDED_ONLY_REASON
        )


def _target_names() -> tuple[str, str | None]:
    """The namespace (``AEROSPIKE_NAMESPACE``, default ``test``) and the cluster name
    (``AEROSPIKE_CLUSTER_NAME``) the fixtures use, on a real cluster or an embedded one."""
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "").strip() or "test"
    return namespace, os.environ.get("AEROSPIKE_CLUSTER_NAME", "").strip() or None


@pytest.fixture(scope="session")
def aerospike_server() -> Iterator[AerospikeTestServer]:
    namespace, cluster_name = _target_names()
    hosts = real_cluster_hosts()
    if hosts is not None:
        nonsup = os.environ.get("AEROSPIKE_NONSUP_NAMESPACE", "").strip() or None
        yield AerospikeTestServer(hosts, namespace, nonsup, None, cluster_name)
        return
    configs = [NamespaceConfig("cache"), NamespaceConfig("test"), NamespaceConfig("nonsup", 0)]
    if namespace not in ("cache", "test", "nonsup"):
        configs.append(NamespaceConfig(namespace))
    # isolated (child process): the client holds the GIL during truncate()
    server = EmbeddedServer(namespaces=configs, cluster_name=cluster_name, isolated=True)
    server.start()
    try:
        yield AerospikeTestServer(server.hosts, namespace, "nonsup", server, cluster_name)
    finally:
        server.close()


@pytest.fixture(scope="session")
def aerospike_client(aerospike_server: AerospikeTestServer) -> Iterator[Any]:
    import aerospike

    client = aerospike.client(aerospike_server.config)
    if not client.is_connected():
        client.connect()
    try:
        yield client
    finally:
        client.close()


# A real namespace holds at most 4095 set names until the node restarts, and a
# truncate does not give a name back: a fresh name per test would fill a real
# cluster after a few runs of a suite (writes to a new set then answer code 4).
# So on a real cluster tests draw their sets from a bounded pool, each name
# truncated after its test and handed out again only after every other name of
# the pool. Concurrent test sessions (CI jobs, xdist workers) must not share
# names, or one truncates the other's records mid-test: each session leases a
# slice of the pool in the cluster itself (see lease_pool_slice).
# A name whose truncate failed is not clean and is never handed out again.
# The embedded server has no such limit, and tests there move its clock (a
# truncate spares records written "later"), so there each test's set is fresh.
SET_POOL_SIZE = 64
SET_POOL_SLICES = 16
LEASE_SET = "t_pool_leases"
LEASE_STALE_S = 6 * 3600  # a lease this old was left by a session that died
_set_numbers = itertools.count()
_unclean_set_names: set[str] = set()
_lease: tuple[int, int | None] | None = None  # (pid, slice) once this process asked


def pooled_set_name(prefix: str = "t") -> str:
    """A set name for one test: fresh on the embedded server, from a bounded pool
    (see above) on a real cluster."""
    if real_cluster_hosts():
        pool_slice = _pool_slice()
        for _ in range(SET_POOL_SIZE):
            number = next(_set_numbers) % SET_POOL_SIZE
            name = f"{prefix}_{pool_slice:x}_{number}"
            if name not in _unclean_set_names:
                return name
    return f"{prefix}_{uuid.uuid4().hex[:10]}"  # (or every pooled name is unclean)


def lease_pool_slice(
    client: Any, namespace: str, owner: str, now: float, lease_set: str = LEASE_SET
) -> int | None:
    """Claim a free slice of the set-name pool for ``owner``: one record per slice in
    ``lease_set``, written only if absent (or if older than :data:`LEASE_STALE_S`,
    under a generation check). ``None``: every slice is held."""
    from aerospike import POLICY_EXISTS_CREATE, POLICY_GEN_EQ
    from aerospike import exception as aex

    start = os.getpid() % SET_POOL_SLICES
    bins = {"owner": owner, "at": int(now)}
    for step in range(SET_POOL_SLICES):
        number = (start + step) % SET_POOL_SLICES
        key = (namespace, lease_set, f"slice-{number}")
        try:  # ttl -1: never expires, so a namespace without nsup takes it too
            client.put(key, bins, policy={"ttl": -1, "exists": POLICY_EXISTS_CREATE})
            return number
        except aex.RecordExistsError:
            pass
        try:
            _, meta, held = client.get(key)
            if now - int(held.get("at", 0)) > LEASE_STALE_S:
                policy = {"ttl": -1, "gen": POLICY_GEN_EQ}
                client.put(key, bins, {"gen": meta["gen"]}, policy)
                return number
        except (aex.RecordNotFound, aex.RecordGenerationError):
            continue  # released or taken over meanwhile: try the next slice
    return None


def release_pool_slice(
    client: Any, namespace: str, number: int, owner: str, lease_set: str = LEASE_SET
) -> None:
    """Give a slice back (only if ``owner`` still holds it)."""
    from aerospike import POLICY_GEN_EQ
    from aerospike import exception as aex

    key = (namespace, lease_set, f"slice-{number}")
    try:
        _, meta, held = client.get(key)
        if held.get("owner") == owner:
            client.remove(key, policy={"gen": POLICY_GEN_EQ, "generation": meta["gen"]})
    except (aex.RecordNotFound, aex.RecordGenerationError):
        pass


def _pool_slice() -> int:
    """This process's slice: leased at its first set name (a forked child leases its own)."""
    global _lease
    if _lease is None or _lease[0] != os.getpid():
        _lease = (os.getpid(), _lease_for_this_process())
    leased = _lease[1]
    return os.getpid() % SET_POOL_SLICES if leased is None else leased


def _lease_for_this_process() -> int | None:
    import aerospike
    from aerospike import exception as aex

    hosts = real_cluster_hosts()
    namespace, cluster_name = _target_names()
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    client = None
    try:
        client = aerospike.client(client_config(hosts or [], cluster_name))
        if not client.is_connected():  # 19.x connects in the constructor
            client.connect()
        number = lease_pool_slice(client, namespace, owner, time.time())
    except aex.AerospikeError as exc:
        if client is not None:
            client.close()
        warnings.warn(f"{_UNLEASED} (the lease failed: {exc})", stacklevel=4)
        return None
    if number is None:
        client.close()
        warnings.warn(
            f"{_UNLEASED}: all {SET_POOL_SLICES} slices are leased (stale leases are taken "
            f"over after {LEASE_STALE_S // 3600} h, or remove the records of set {LEASE_SET!r})",
            stacklevel=4,
        )
        return None
    atexit.register(_release_at_exit, os.getpid(), client, namespace, number, owner)
    try:  # the slice is ours now: what an interrupted session left in it goes first
        clean_slice(client, namespace, number)
    except aex.AerospikeError as exc:
        warnings.warn(f"the leased slice {number:x} could not be cleaned: {exc}", stacklevel=4)
    return number


def clean_slice(client: Any, namespace: str, number: int) -> list[str]:
    """Truncate the sets of ``aerospike_set``'s names in slice ``number`` that hold records,
    and the sets tests derived from them (``t_<slice>_<n>_...``); returns their names."""
    in_slice = re.compile(rf"t_{number:x}_\d+(_.*)?").fullmatch
    names = sets_holding_records(client, namespace, lambda name: bool(in_slice(name)))
    for name in names:
        client.truncate(namespace, name, 0)
    return names


_UNLEASED = (
    "this test session shares a slice of the set-name pool chosen by process id: a "
    "concurrent session may truncate its sets"
)


def _release_at_exit(pid: int, client: Any, namespace: str, number: int, owner: str) -> None:
    if os.getpid() != pid:  # a forked child: the lease and the client are the parent's
        return
    try:
        release_pool_slice(client, namespace, number, owner)
    finally:
        client.close()


def sets_holding_records(client: Any, namespace: str, match: Callable[[str], bool]) -> list[str]:
    """The namespace's sets holding records on some node whose name ``match`` accepts."""
    from ..store.stats import info_values, parse_pairs  # the store's info parsing

    found: set[str] = set()
    for answer in info_values(client.info_all(f"sets/{namespace}")).values():
        for item in answer.split(";"):  # a set each: "ns=...:set=...:objects=...:..."
            fields = parse_pairs(item, ":")
            name = fields.get("set", "")
            if name and fields.get("objects", "0") != "0" and match(name):
                found.add(name)
    return sorted(found)


def set_name_unclean(name: str) -> None:
    """Never hand ``name`` out again: its records may still be there."""
    _unclean_set_names.add(name)


@pytest.fixture
def aerospike_set(aerospike_server: AerospikeTestServer, aerospike_client: Any) -> Iterator[str]:
    name = pooled_set_name()
    yield name
    if aerospike_server.embedded is None:
        # the name is used again: a truncate spares records written in its own
        # millisecond, so start it in a later one
        time.sleep(0.002)
    ns = aerospike_server.namespace
    try:
        aerospike_client.truncate(ns, name, 0)
        if aerospike_server.embedded is None:
            # and the sets a test derived from it ("<name>_2"): the name comes back
            derived = sets_holding_records(aerospike_client, ns, lambda s: s.startswith(name + "_"))
            for other in derived:
                aerospike_client.truncate(ns, other, 0)
    except Exception:  # the test broke the connection: the name is not clean, drop it
        set_name_unclean(name)


@pytest.fixture
def embedded_server() -> Iterator[EmbeddedServer]:
    if real_cluster_hosts():
        pytest.skip(SKIP_REASON)
    server = EmbeddedServer(
        namespaces=[
            NamespaceConfig("cache"),
            NamespaceConfig("test"),
            NamespaceConfig("nonsup", 0),
        ],
        isolated=True,
    )
    server.start()
    try:
        yield server
    finally:
        _stop(server)


def _stop(server: EmbeddedServer | EmbeddedCluster) -> None:
    """Close a test's private server, and the package's shared clients of it: its port
    may serve another test's server next (see ``ClientRegistry.discard_hosts``)."""
    from ..connection import registry

    hosts = list(server.hosts)
    server.close()
    registry.discard_hosts(hosts)


@pytest.fixture
def make_embedded_server() -> Iterator[Callable[..., EmbeddedServer]]:
    if real_cluster_hosts():
        pytest.skip(SKIP_REASON)
    started: list[EmbeddedServer] = []

    def make(namespaces: Any = None, **kwargs: Any) -> EmbeddedServer:
        kwargs.setdefault("isolated", True)  # the client holds the GIL during truncate()
        server = EmbeddedServer(namespaces=namespaces, **kwargs)
        started.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in started:
            _stop(server)


@pytest.fixture(scope="session")
def aerospike_cluster() -> Iterator[AerospikeTestCluster]:
    namespace, cluster_name = _target_names()
    hosts = real_cluster_hosts()
    if hosts is not None:
        yield AerospikeTestCluster(hosts, namespace, None, cluster_name)
        return
    names = ["cache", "test"] if namespace in ("cache", "test") else ["cache", "test", namespace]
    cluster = EmbeddedCluster(3, 2, names, cluster_name=cluster_name, isolated=True)
    cluster.start()
    try:
        yield AerospikeTestCluster(cluster.hosts, namespace, cluster, cluster_name)
    finally:
        cluster.close()


@pytest.fixture
def embedded_cluster() -> Iterator[Callable[..., EmbeddedCluster]]:
    if real_cluster_hosts():
        pytest.skip(SKIP_REASON)
    started: list[EmbeddedCluster] = []

    def make(
        nodes: int = 3, replication_factor: int = 2, heartbeat_timeout: float = 0.5
    ) -> EmbeddedCluster:
        cluster = EmbeddedCluster(nodes, replication_factor, heartbeat_timeout=heartbeat_timeout)
        started.append(cluster)
        return cluster.start()

    try:
        yield make
    finally:
        for cluster in started:
            _stop(cluster)
