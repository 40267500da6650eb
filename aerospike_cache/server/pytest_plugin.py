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
    A unique set name, truncated after the test.
``embedded_server`` (function)
    A fresh private :class:`EmbeddedServer` (for fault tests); skipped on a
    real cluster.

Marker ``embedded_only``: the test needs the embedded server (skipped on a
real cluster).

Environment: ``AEROSPIKE_HOSTS``, ``AEROSPIKE_NAMESPACE`` (default ``test``),
``AEROSPIKE_NONSUP_NAMESPACE`` (real cluster only), ``AEROSPIKE_CLUSTER_NAME``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ._engine import NamespaceConfig
from ._server import EmbeddedServer

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
        cfg: dict[str, Any] = {"hosts": list(self.hosts)}
        if self.cluster_name:
            cfg["cluster_name"] = self.cluster_name
        cfg.update(self.extra_config)
        return cfg


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
        "embedded_only: the test needs the embedded server (skipped when AEROSPIKE_HOSTS is set)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("embedded_only") is not None and real_cluster_hosts():
        pytest.skip(EMBEDDED_ONLY_REASON)


@pytest.fixture(scope="session")
def aerospike_server() -> Iterator[AerospikeTestServer]:
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "").strip() or "test"
    cluster_name = os.environ.get("AEROSPIKE_CLUSTER_NAME", "").strip() or None
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


@pytest.fixture
def aerospike_set(aerospike_server: AerospikeTestServer, aerospike_client: Any) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:10]
    yield name
    # the test may have broken the connection; nothing to clean then
    with contextlib.suppress(Exception):
        aerospike_client.truncate(aerospike_server.namespace, name, 0)


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
        server.close()
